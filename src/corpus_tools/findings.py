"""The findings table: every sentence a curriculum designer reads, generated from the tables (never hard-coded),
each with its statistic, its p / q where a test applies, and the entries it rests on.

:func:`build_findings` returns one row per finding: ``kind`` (caveat, coverage, unit_fit, trend, keyness,
dependence), ``text`` (a Chinese sentence), ``statistic`` (the numbers behind it, as text), ``p_value``,
``q_value`` (empty where no test applies), ``entry_ids`` (the entries it rests on, "3,17,42"), ``caveat``.
When no trend survives the tests, a row says so: that is a result.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

FINDING_COLUMNS = ["kind", "text", "statistic", "p_value", "q_value", "entry_ids", "caveat"]
KIND_ORDER = ["caveat", "coverage", "unit_fit", "trend", "keyness", "dependence"]
ALPHA = 0.05


def ids_text(ids) -> str:
    """Entry ids as the findings table stores them: sorted, unique, comma-joined ("3,17,42")."""
    return ",".join(str(i) for i in sorted({int(i) for i in ids if not pd.isna(i)}))


def _row(kind: str, text: str, statistic: str = "", p=np.nan, q=np.nan, ids=(), caveat: str = "") -> dict:
    return dict(kind=kind, text=text, statistic=statistic, p_value=float(p) if p is not None else np.nan,
                q_value=float(q) if q is not None else np.nan, entry_ids=ids_text(ids), caveat=caveat)


def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


#: how a q-value is named where a reader sees it (the Benjamini–Hochberg corrected p-value)
Q_NAME = "q（校正后的显著性）"


def _fmt_q(q: float, name: str = Q_NAME) -> str:
    """A q-value as a reader reads it: ``q（校正后的显著性）< 0.001`` or ``… = 0.012`` (never 1.01e-06)."""
    if pd.isna(q):
        return f"{name}：无法计算"
    return f"{name} < 0.001" if q < 0.001 else f"{name} = {q:.3f}"


def _preface_quote(booklet, pattern: str) -> str:
    """The sentence of the preface (front matter) containing ``pattern``, or ""."""
    text = getattr(booklet, "front_matter", "") or ""
    for sentence in re.split(r"(?<=[。！？）])", text.replace("\n", "")):
        if pattern in sentence:
            return sentence.strip()
    return ""


def _answered(entries: pd.DataFrame) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for e, a in zip(entries.entry_id, entries.answered_by):
        for n in str(a if not pd.isna(a) else "").split("、"):
            if n:
                out.setdefault(n, set()).add(int(e))
    return out


# ---------------------------------------------------------------- caveats

def caveat_findings(booklet, tokens: pd.DataFrame | None = None) -> list[dict]:
    """What the booklet is: an editor's selection, not reviewed by the speakers, dominated by answers; and who
    takes part everywhere (the host)."""
    e, turns = booklet.entries, booklet.turns
    n = len(e)
    all_ids = e.entry_id.tolist()
    rows = []
    sel = _preface_quote(booklet, "部分")
    rows.append(_row("caveat", "本册收录的是编者选出的部分问答，不是答疑的全部记录：某个单元没有问答入册，不等于没有人提问；"
                     "各单元、各期的问答条数反映的是编选，不只是学员的兴趣。",
                     f"前言：“{sel}”" if sel else f"共 {n} 条问答；前言未说明是否收录全部问答",
                     ids=(), caveat="所有计数与检验都只针对入册的问答。"))
    note = "未经发言者本人审核确认"
    n_note = int(e.source_note.fillna("").str.contains(note).sum())
    pre = _preface_quote(booklet, note)
    if n_note or pre:
        said = pre or next((x for x in e.source_note.fillna("") if note in x), "")
        who = re.search(r"由\s*(.+?)\s*整理", said)
        rows.append(_row("caveat", f"问答由{who.group(1) if who else '编者'}整理，未经发言者本人审核：引文是整理稿，"
                         "措辞不一定是发言者审定的原话。",
                         f"{n_note}/{n} 条问答的来源说明注明“{note}”" + (f"；前言：“{pre}”" if pre else ""),
                         ids=e.entry_id[e.source_note.fillna("").str.contains(note)],
                         caveat="引用原话时请注明“据整理稿”。"))
    if tokens is not None and len(tokens):
        from .trends import content_tokens

        tokens = content_tokens(tokens)
        role = tokens[["entry_id", "turn_no"]].astype("int64").merge(
            turns[["entry_id", "turn_no", "role"]].astype({"entry_id": "int64", "turn_no": "int64"}),
            on=["entry_id", "turn_no"], how="left").role
        n_tok = len(role)
        n_ans, n_q = int((role == "instructor").sum()), int((role == "trainee").sum())
        measure = f"词次：教员 {n_ans:,}/{n_tok:,}（{n_ans / n_tok:.0%}），学员 {n_q:,}（{n_q / n_tok:.0%}），其余为标题"
        share = n_ans / n_tok
    else:
        chars = turns.text.fillna("").str.len()
        n_ans, n_tok = int(chars[turns.role == "instructor"].sum()), int(chars.sum())
        share = n_ans / n_tok if n_tok else 0.0
        measure = f"字数：教员 {n_ans:,}/{n_tok:,}（{share:.0%}）"
    rows.append(_row("caveat", f"文字以教员的回答为主（约 {share:.0%}）：词频、关键词和词的“趋势”主要描述教员怎么讲，"
                     "而不是学员问什么；因此趋势与关键词按“使用该词的问答条数”检验，而不按词次。",
                     measure, ids=all_ids, caveat="一段长回答可以让一个词的词次翻倍，却只算一条问答。"))
    answered = _answered(e)
    if answered:
        host, ids = sorted(answered.items(), key=lambda kv: (-len(kv[1]), kv[0]))[0]
        if len(ids) >= n / 3:
            pre = _preface_quote(booklet, host)
            rows.append(_row("caveat", f"{host}在 {len(ids)}/{n} 条问答中作答，是全程参与的主持者；任何主题由他作答最多，"
                             "本身不说明该主题依赖他——教员依赖按各人总体作答比例校正。",
                             f"{host}：{len(ids)}/{n} 条（{len(ids) / n:.0%}）" + (f"；前言：“{pre}”" if pre else ""),
                             ids=ids, caveat="主持者的作答也包括串场与补充。"))
    return rows


# ---------------------------------------------------------------- coverage

def coverage_findings(curric: pd.DataFrame, entries: pd.DataFrame, given: bool | None = None,
                      max_items: int = 6) -> list[dict]:
    """Units per cohort, units without entries (only when a curriculum file lists them), numbers that carry
    different titles in different cohorts, the discussion class."""
    from .trends import unit_strata

    rows = []
    given = bool(curric.in_curriculum.notna().any()) if given is None else given
    e = entries.assign(_unit=unit_strata(entries).to_numpy())
    ids_of: dict[tuple, set] = {}  # (cohort, "unit", unit number) → entries
    for i, c, s, n in zip(e.entry_id, e.cohort, e.session_type, e.unit_no):
        if s == "unit":
            ids_of.setdefault((None if pd.isna(c) else int(c), s, None if pd.isna(n) else int(n)), set()).add(i)
    ids_of_cohort = {c: g.entry_id for c, g in e.groupby("cohort", sort=False)}
    for cohort, grp in curric.groupby("cohort", sort=True):
        units = grp[grp.session_type == "unit"]
        disc = grp[grp.session_type != "unit"]
        seen = units[units.n_entries > 0]
        ids = ids_of_cohort.get(cohort, ())
        text = (f"第{int(cohort)}期：{len(seen)} 个单元有问答入册（共 {int(seen.n_entries.sum())} 条）"
                + (f"，另有答疑讨论课 {int(disc.n_entries.sum())} 条" if len(disc) and disc.n_entries.sum() else "")
                + "。")
        stat = "、".join(f"第{int(r.unit_no)}单元 {int(r.n_entries)} 条" for r in seen.itertuples())
        if given:
            empty = units[units.n_entries == 0]
            if len(empty):
                text += (f"课程表列出的 {len(empty)} 个单元没有问答入册：" + "、".join(
                    f"第{int(r.unit_no)}单元“{r.unit_title}”" for r in empty.itertuples()) + "。")
            cav = "没有问答入册 ≠ 没有人提问：本册只收录部分问答。"
        else:
            cav = ("未提供课程表（--curriculum）：只能列出有问答入册的单元；单元编号的空缺不说明授过哪些课，"
                   "也不借用他期的单元标题。本册只收录部分问答。")
        rows.append(_row("coverage", text, stat, ids=ids, caveat=cav))
    # the same number, different titles
    u = curric[curric.session_type == "unit"]
    for no, grp in u.groupby("unit_no", sort=True):
        titles = grp.drop_duplicates("unit_title")
        if len(titles) > 1:
            parts = "，".join(f"第{int(r.cohort)}期是“{r.unit_title}”" for r in grp.itertuples())
            ids = set().union(*(ids_of.get((int(r.cohort), "unit", int(no)), set()) for r in grp.itertuples()))
            rows.append(_row("coverage", f"第{int(no)}单元在不同期不是同一门课：{parts}。按期别分开统计，不合并。",
                             f"{len(titles)} 个标题", ids=ids))
    top = u.sort_values(["n_entries", "cohort"], ascending=[False, True], kind="stable").head(1)
    for r in top.itertuples():
        ids = ids_of.get((int(r.cohort), "unit", int(r.unit_no)), set())
        rows.append(_row("coverage", f"入册问答最多的单元是第{int(r.cohort)}期第{int(r.unit_no)}单元“{r.unit_title}”"
                         f"（{int(r.n_entries)} 条）。", f"{int(r.n_entries)}/{len(entries)} 条", ids=ids,
                         caveat="条数反映编选，也反映提问。"))
    return rows


# ---------------------------------------------------------------- unit fit

def unit_fit_findings(fit: pd.DataFrame, entries: pd.DataFrame, max_items: int = 8) -> list[dict]:
    """How many questions sit closer to another unit than to their own, and which (signals, not verdicts)."""
    if fit is None or fit.empty:
        return []
    scored = fit[fit.fit_score.notna()]
    flagged = scored[scored.flagged].sort_values(["margin", "entry_id"], ascending=[False, True], kind="stable")
    rep = str(fit.representation.iloc[0]) if "representation" in fit else ""
    method = {"concept": "概念（同义词归并后的实词）tf-idf 余弦，idf 按各单元画像计算",
              "char": "字符二元组 tf-idf 余弦", "token": "实词 tf-idf 余弦", "lsa": "LSA（20 维）余弦"}.get(rep, rep)
    calibrated = "best_p" in fit.columns and fit["best_p"].notna().any()
    rule = ("本单元对它并不突出（p > 0.10），而另一单元突出（p ≤ 0.05）" if calibrated
            else "另一单元的相似度比本单元高 25% 以上")
    rows = [_row("unit_fit", f"{len(flagged)}/{len(scored)} 条单元问答的提问与另一单元明显更接近（{rule}）："
                 "这是值得翻阅的信号，不是“放错了单元”的结论。" if len(flagged) else
                 f"{len(scored)} 条单元问答中，没有一条的提问与另一单元明显更接近。",
                 f"相似度：{method}；本单元的画像不含该条自身", ids=flagged.entry_id,
                 caveat="与人工逐条判断相比，这些标记的精确率只有约 0.55（留出的一半上 0.20，见 README）："
                        "请阅读原文再下结论。")]
    title = dict(zip(entries.entry_id, entries.title))
    for r in flagged.head(max_items).itertuples():
        rows.append(_row("unit_fit", f"第 {r.entry_id} 条“{title.get(r.entry_id, '')}”在“{r.unit}”提问，"
                         f"与“{r.best_unit}”更接近。",
                         f"契合度：本单元 {r.fit_score:.3f}，另一单元 {r.best_score:.3f}，差 {r.margin:.3f}"
                         + (f"；另一单元 p = {r.best_p:.3f}，本单元 p = {r.own_p:.3f}" if calibrated else ""),
                         ids=[r.entry_id],
                         caveat="信号，不是结论。"))
    return rows


# ---------------------------------------------------------------- trends

class TermEntries:
    """Which entries use a term: the content words of a tokens table (``column`` view) indexed once, so that a
    lookup costs the term's own uses instead of a scan of the whole table."""

    def __init__(self, tokens: pd.DataFrame | None, column: str = "token"):
        self.index: dict[str, int] = {}
        if tokens is None:
            return
        from .trends import content_tokens

        tokens = content_tokens(tokens)
        codes, terms = pd.factorize(tokens[column].astype(str))
        order = np.argsort(codes, kind="stable")
        self.entries = tokens.entry_id.to_numpy()[order]
        self.bounds = np.searchsorted(codes[order], np.arange(len(terms) + 1), side="left")
        self.index = {t: i for i, t in enumerate(terms)}

    def __call__(self, term: str, ids) -> list[int]:
        """The entries among ``ids`` whose tokens include ``term`` (sorted ids)."""
        i = self.index.get(term)
        if i is None:
            return []
        wanted = {int(x) for x in ids if not pd.isna(x)}
        return sorted({int(e) for e in self.entries[self.bounds[i]:self.bounds[i + 1]]} & wanted)


def trend_findings(ef: pd.DataFrame, entries: pd.DataFrame | None = None, tokens: pd.DataFrame | None = None,
                   max_items: int = 4, column: str = "token") -> list[dict]:
    """Cohort trends from :func:`corpus_tools.trends.emerging_fading`: the calls that survive (q ≤ 0.05 and within
    units), unit effects, or a plain statement that none survive; where the cohorts share no unit, say so; one
    example of a token-level change that the entries contradict."""
    rows: list[dict] = []
    if ef is None or ef.empty:
        n_cohorts = entries.cohort.nunique() if entries is not None else 0
        return [_row("trend", "无法比较期别：" + ("问答只来自一期。" if n_cohorts < 2 else
                                               "相邻两期之间没有在 ≥ 3 条问答中出现的词。"),
                     f"{n_cohorts} 期；检验 0 个词")]
    cohort_ids = ({int(c): set(g.entry_id) for c, g in entries.groupby("cohort")} if entries is not None else {})
    entries_with = TermEntries(tokens, column)
    pair = ["from_cohort", "to_cohort"]
    # every pair's rows at once (sorted within each pair as the pair's own sort would), then read per pair
    by_q = ef.sort_values(pair + ["q_value", "term"], kind="stable")
    called_all = by_q[by_q.call.isin(["emerging", "fading"])].groupby(pair, sort=False).head(max_items)
    units_all = by_q[by_q.call == "unit effect"].groupby(pair, sort=False).head(max_items)
    tok_dir = np.sign(ef.per_10k_to - ef.per_10k_from)
    doc_dir = np.sign(ef.share_to - ef.share_from)
    rev_all = ef[(tok_dir * doc_dir < 0)].sort_values(pair + ["g2_tokens", "term"], ascending=[True, True, False, True],
                                                      kind="stable").groupby(pair, sort=False).head(1)

    def bucket(df: pd.DataFrame) -> dict:
        out: dict = {}
        for r in df.itertuples():
            out.setdefault((r.from_cohort, r.to_cohort), []).append(r)
        return out

    called_of, units_of, rev_of = bucket(called_all), bucket(units_all), bucket(rev_all)
    summary = ef.groupby(pair, sort=True).agg(n=("term", "size"), n_from=("n_from", "first"), n_to=("n_to", "first"),
                                              p_min=("p_value", "min"), q_min=("q_value", "min"),
                                              n_called=("call", lambda c: int(c.isin(["emerging", "fading"]).sum())),
                                              n_units=("call", lambda c: int((c == "unit effect").sum())),
                                              shared=("shared_units", "first"))
    for (a0, b0), g in summary.iterrows():
        a, b = int(a0), int(b0)
        ids = cohort_ids.get(a, set()) | cohort_ids.get(b, set())
        n_from, n_to = int(g.n_from), int(g.n_to)
        if g.n_called == 0 and g.n_units == 0:
            rows.append(_row("trend", f"第{a}期→第{b}期：没有一个词的使用（按问答条数）在校正多重检验后有显著变化——"
                             "两期关心的话题看不出可靠的增减。",
                             f"检验 {int(g.n)} 个词（各在 ≥ 3 条问答中出现），第{a}期 {n_from} 条、第{b}期 {n_to} 条问答；"
                             f"最小 {_fmt_p(g.p_min)}，最小 {_fmt_q(g.q_min)}",
                             p=g.p_min, q=g.q_min, ids=ids,
                             caveat="问答条数少，只有很大的差异才能检出；没有检出不等于没有差异。"))
        for r in called_of.get((a0, b0), []):
            word = "增多" if r.call == "emerging" else "减少"
            rows.append(_row("trend", f"第{a}期→第{b}期，使用“{r.term}”的问答{word}：{r.docs_from}/{r.n_from} → "
                             f"{r.docs_to}/{r.n_to} 条，并在两期共有的单元内同样成立。",
                             f"Fisher 精确检验 {_fmt_p(r.p_value)}，{_fmt_q(r.q_value)}；单元内分层检验 "
                             f"p = {r.p_within_unit:.3f}；最集中的一条占用词 {r.top_entry_share:.0%}",
                             p=r.p_value, q=r.q_value,
                             ids=entries_with(r.term, ids),
                             caveat=(f"{r.top_speaker} 一人说了其中 {r.top_speaker_share:.0%}。" if r.one_speaker
                                     else "")))
        for r in units_of.get((a0, b0), []):
            rows.append(_row("trend", f"第{a}期→第{b}期“{r.term}”的差异（{r.docs_from}/{r.n_from} → {r.docs_to}/{r.n_to} 条）"
                             "在两期共有的单元内不成立：它来自两期问答所属的单元不同，是单元效应，不是趋势。",
                             f"Fisher {_fmt_p(r.p_value)}，{_fmt_q(r.q_value)}；共有单元 {int(r.shared_units)} 个，单元内 "
                             + ("无法检验" if pd.isna(r.p_within_unit) else f"p = {r.p_within_unit:.3f}"),
                             p=r.p_value, q=r.q_value, ids=entries_with(r.term, ids)))
        if int(g.shared) == 0:
            rows.append(_row("trend", f"第{a}期与第{b}期的问答没有一个共同的单元：两期之间的任何差异都无法与“来自哪些单元”区分。",
                             "共同单元 0 个", ids=ids, caveat="比较期别时应按单元分层。"))
        # token counts that the entries contradict: the largest G² whose direction the entry shares reverse
        for r in rev_of.get((a0, b0), []):
            word = "减少" if r.per_10k_to < r.per_10k_from else "增多"
            rows.append(_row("trend", f"只看词次会误读：第{a}期→第{b}期“{r.term}”的词次{word}（每万词 "
                             f"{r.per_10k_from:.0f} → {r.per_10k_to:.0f}），而使用它的问答比例相反"
                             f"（{r.docs_from}/{r.n_from} → {r.docs_to}/{r.n_to}）；第 {int(r.top_entry)} 条一条就占了两期中它全部"
                             f"词次的 {r.top_entry_share:.0%}。",
                             f"词次 G² = {r.g2_tokens:.1f}（描述性）；条数层面 Fisher {_fmt_p(r.p_value)}",
                             p=r.p_value, q=r.q_value, ids=entries_with(r.term, ids),
                             caveat="词次层面的 G² 只作描述，不作趋势判断。"))
    return rows


def keyness_findings(key: pd.DataFrame | None, tokens: pd.DataFrame | None = None, entries: pd.DataFrame | None = None,
                     by: str = "section", per_group: int = 3, column: str = "token") -> list[dict]:
    """Terms that mark a group (section, unit …) at the entry level with q ≤ 0.05 (from ``keyness_entries``)."""
    if key is None or key.empty:
        return []
    over = key[key.key == "over"].sort_values(["group", "q_value", "term"], kind="stable")
    name = {"section": "栏目", "cohort": "期", "unit": "单元"}.get(by, by)
    if over.empty:
        return [_row("keyness", f"没有一个词在某个{name}的问答中显著多于其余{name}（条数层面，{Q_NAME} ≤ 0.05）。",
                     f"检验 {len(key)} 个（{name}×词）；最小 {_fmt_q(key.q_value.min())}", q=key.q_value.min())]
    rows = []
    entries_with = TermEntries(tokens, column)
    for g, grp in over.groupby("group", sort=True):
        top = grp.head(per_group)
        ids = set(entries.entry_id[entries[by] == g]) if entries is not None and by in entries else set()
        hit = set()
        for r in top.itertuples():
            hit |= set(entries_with(r.term, ids))
        label = f"第{int(g)}期" if by == "cohort" else f"“{g}”"
        rows.append(_row("keyness", f"{name}{label}的问答特有的词：" + "、".join(
            f"{r.term}（{r.docs_group}/{r.n_group} 条，其余 {r.docs_rest}/{r.n_rest}）" for r in top.itertuples()) + "。",
            f"{Q_NAME}：" + "；".join(f"{r.term} {_fmt_q(r.q_value, '').strip()}" for r in top.itertuples()),
            p=top.p_value.min(), q=top.q_value.min(), ids=hit or ids, caveat=KEYNESS_COUNTS))
    return rows


# what a keyness finding's counts are (a reader who searches the text for the characters finds more entries)
KEYNESS_COUNTS = ("条数按分词后的词计：标题或发言里作为一个独立的词出现才算；在复合词里（如“整体规划”里的“规划”）"
                  "或只在出处注记里出现的不计。")


# ---------------------------------------------------------------- instructor dependence

def dependence_findings(dep: pd.DataFrame | None, entries: pd.DataFrame, entry_topics: pd.DataFrame | None = None,
                        alpha: float = ALPHA) -> list[dict]:
    """Topics whose top instructor answers more of them than that instructor's overall share explains."""
    if dep is None or dep.empty:
        return []
    answered = _answered(entries)
    alone_of = {int(e): [n for n in str(a if not pd.isna(a) else "").split("、") if n]
                for e, a in zip(entries.entry_id, entries.answered_by)}
    topic_ids: dict[int, set[int]] = {}
    if entry_topics is not None:
        first = entry_topics[entry_topics["rank"] == 1]
        for t, g in first.groupby("topic_id"):
            topic_ids[int(t)] = set(g.entry_id)
    rows = []
    flagged = dep[dep.flagged]
    if flagged.empty:
        rows.append(_row("dependence", "考虑到每位教员总体作答的比例后，没有一个主题显著依赖某一位教员。",
                         f"{len(dep)} 个主题；最小 {_fmt_p(dep.p_value.min())}，最小 {_fmt_q(dep.q_value.min())}"
                         "（超几何检验）", p=dep.p_value.min(), q=dep.q_value.min()))
    for r in flagged.itertuples():
        who = r.top_instructor.split("、")
        ids = topic_ids.get(int(r.topic_id), set()) & set().union(*(answered.get(w, set()) for w in who))
        alone = sum(1 for i in ids if set(alone_of.get(i, ())) <= set(who))
        cav = [f"其中 {alone} 条只有{'他们' if r.tie else '他/她'}作答，其余 {len(ids) - alone} 条另有教员作答。"]
        if r.base_share >= 1 / 3:
            cav.append(f"{r.top_instructor}在全部问答中作答 {r.base_share:.0%}，是全程参与的主持者：这可能反映该主题所在单元的"
                       "答疑形式，不一定说明只有他能回答。")
        if not r.q_value <= alpha:
            cav.append("按主题数校正后（q）不再显著，宜视为提示。")
        rows.append(_row("dependence", f"主题“{r.label}”的 {r.n_entries} 条问答中，{r.top_instructor}作答 {r.k} 条"
                         f"（{r.top_share:.0%}）" + ("（并列，统计按其中总体作答比例最低者计算）" if r.tie else "")
                         + f"，高于其在全部问答中的作答比例（{r.base_share:.0%}）：这个主题较多依赖"
                         f"{'这几位' if r.tie else '这一位'}教员。",
                         f"在该主题中的作答比例是该教员总体作答比例的 {r.lift:.1f} 倍；超几何检验 {_fmt_p(r.p_value)}，"
                         f"{_fmt_q(r.q_value)}",
                         p=r.p_value, q=r.q_value, ids=ids, caveat="".join(cav)))
    return rows


# ---------------------------------------------------------------- all

def build_findings(tables: dict[str, pd.DataFrame], booklet, column: str = "token") -> pd.DataFrame:
    """The findings table from the study's tables (any that are missing are skipped): ``tokens``, ``curriculum``,
    ``unit_fit``, ``emerging_fading_terms``, ``keyness_entries_by_section``, ``topic_dependence``,
    ``entry_topics``. Columns :data:`FINDING_COLUMNS`; rows grouped by kind in :data:`KIND_ORDER`."""
    tokens = tables.get("tokens")
    e = booklet.entries
    rows = caveat_findings(booklet, tokens)
    if tables.get("curriculum") is not None:
        rows += coverage_findings(tables["curriculum"], e)
    rows += unit_fit_findings(tables.get("unit_fit"), e)
    if tables.get("emerging_fading_terms") is not None:
        rows += trend_findings(tables["emerging_fading_terms"], e, tokens, column=column)
    rows += keyness_findings(tables.get("keyness_entries_by_section"), tokens, e, "section", column=column)
    rows += dependence_findings(tables.get("topic_dependence"), e, tables.get("entry_topics"))
    out = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    out["_k"] = out.kind.map({k: i for i, k in enumerate(KIND_ORDER)})
    return out.sort_values("_k", kind="stable").drop(columns="_k").reset_index(drop=True)
