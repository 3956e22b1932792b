"""The findings table: every sentence a curriculum designer reads, generated from the tables (never hard-coded),
each with its statistic, its p / q where a test applies, and the entries it rests on.

:func:`build_findings` returns one row per finding: ``kind`` (no_unit, unit_fit, dependence, code_share, trend,
keyness, coverage, caveat — the report's order), ``text`` (a Chinese sentence), ``statistic`` (the numbers behind
it, as text), ``p_value``,
``q_value`` (empty where no test applies), ``entry_ids`` (the entries it rests on, "3,17,42"), ``caveat``.
When no trend survives the tests, a row says so: that is a result.
"""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pandas as pd

from .needs import _some, needs_stage_findings
from .stats import min_fisher_p

FINDING_COLUMNS = ["kind", "text", "statistic", "p_value", "q_value", "entry_ids", "caveat"]
# the report's order: what a designer should act on first — questions no unit covers, questions that fit another
# unit, needs trainees keep raising, questions deferred or left unanswered, topics that rest on one instructor,
# competency areas whose share moves across cohorts — then description (trends, keyness, who asks, coverage
# counts), and the caveats last (still shown)
KIND_ORDER = ["no_unit", "unit_fit", "need", "deferral", "parts", "dependence", "code_share", "cohort_trend", "trend",
              "keyness", "askers", "coverage", "caveat"]
ALPHA = 0.05


def ids_text(ids) -> str:
    """Entry ids as the findings table stores them: sorted, unique, comma-joined ("3,17,42")."""
    return ",".join(str(i) for i in sorted({int(i) for i in ids if not pd.isna(i)}))


def _row(kind: str, text: str, statistic: str = "", p=np.nan, q=np.nan, ids=(), caveat: str = "") -> dict:
    return dict(kind=kind, text=text, statistic=statistic, p_value=float(p) if p is not None else np.nan,
                q_value=float(q) if q is not None else np.nan, entry_ids=ids_text(ids), caveat=caveat)


def _prob_text(x: float) -> str:
    """A p- or q-value for a sentence: "< 0.001", "= 0.00333" (three significant digits under 0.01, so that a
    reader can check a q against its p: 32 × 0.00333 = 0.107, where 32 × 0.003 is not: r10), else "= 0.107"."""
    if x < 0.001:
        return "< 0.001"
    return f"= {x:.3g}" if x < 0.01 else f"= {x:.3f}"


def _fmt_p(p: float) -> str:
    return f"p {_prob_text(p)}"


#: how a q-value is named where a reader sees it (the Benjamini–Hochberg corrected p-value)
Q_NAME = "q（校正后的显著性）"


def _fmt_q(q: float, name: str = Q_NAME) -> str:
    """A q-value as a reader reads it: ``q（校正后的显著性）< 0.001`` or ``… = 0.012`` (never 1.01e-06)."""
    if pd.isna(q):
        return f"{name}：无法计算"
    return f"{name} {_prob_text(q)}"


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

        role = turn_roles(content_tokens(tokens), turns)
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
            runner_up = max((len(v) for k, v in answered.items() if k != host), default=0)
            keys = [c for c in ("cohort", "session_type", "unit_no") if c in e]  # a session: cohort × unit or class
            sessions = e.groupby(keys, dropna=False).ngroups
            his = e[e.entry_id.isin(ids)].groupby(keys, dropna=False).ngroups
            rows.append(_row("caveat", f"{host}在 {len(ids)}/{n} 条问答中作答（作答次多的教员 {runner_up} 条），有问答入册的 "
                             f"{sessions} 个课次中 {his} 个有他/她的回答；任何主题由他/她作答最多，本身不说明该主题依赖这位"
                             "教员——教员依赖按各人总体作答比例校正。",
                             f"{host}：{len(ids)}/{n} 条（{len(ids) / n:.0%}）" + (f"；前言：“{pre}”" if pre else ""),
                             ids=ids, caveat="其中也有对其他教员回答的补充。"))
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
            cav = ("本次分析没有培训班的课程表（运行时可用 --curriculum 提供）：只能列出有问答入册的单元；单元编号的空缺不说明授过哪些课，"
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
        text, stat = (f"入册问答最多的单元是第{int(r.cohort)}期第{int(r.unit_no)}单元“{r.unit_title}”（{int(r.n_entries)} 条）。",
                      f"{int(r.n_entries)}/{len(entries)} 条")
        course = _most_asked_course(u, int(r.n_entries))
        if course is not None:  # a course taught in several cohorts draws more in all (r15: 11 against 8)
            title, taught, n = course
            text += (f"按课程计（各期同名的单元合并），最多的是“{title}”：" + "、".join(
                f"第{int(x.cohort)}期第{int(x.unit_no)}单元 {int(x.n_entries)} 条" for x in taught.itertuples())
                + f"，共 {n} 条。")
            stat += f"；“{title}”{n}/{len(entries)} 条"
            ids = ids.union(*(ids_of.get((int(x.cohort), "unit", int(x.unit_no)), set()) for x in taught.itertuples()))
        rows.append(_row("coverage", text, stat, ids=ids, caveat="条数反映编选，也反映提问。"))
    return rows


def _most_asked_course(units: pd.DataFrame, most: int) -> tuple[str, pd.DataFrame, int] | None:
    """The unit title taught in several cohorts whose units together have more entries than ``most`` (the most
    of any one cohort's unit), with those units in course order and the total; ``None`` if there is none."""
    by_title = units.groupby("unit_title", sort=False)
    pooled = by_title.n_entries.sum()
    several = pooled[(by_title.cohort.nunique() >= 2) & (pooled > most)]
    if several.empty:
        return None
    title = several.sort_values(ascending=False, kind="stable").index[0]
    taught = units[(units.unit_title == title) & (units.n_entries > 0)].sort_values(["cohort", "unit_no"], kind="stable")
    return str(title), taught, int(pooled[title])


# ---------------------------------------------------------------- unit fit

def _held_out_note(flag: str) -> str:
    """The measured held-out precision of ``flag`` on the bundled booklet (:data:`unitfit.HELD_OUT`), as text."""
    from .unitfit import held_out_precision

    n, no, both = held_out_precision(flag)
    judged, no_, partly_, what = (
        ("人工单元契合判断", "不属于本单元", "部分属于", "相似度规则标为“更贴近另一单元”（比本单元高出 z ≥ 2）的问答")
        if flag == "closer_elsewhere" else
        ("人工课程覆盖判断", "没有单元覆盖", "只部分覆盖", "相似度规则标为“与各单元都不接近”的问答"))
    return (f"在工具附带的这本问答合集上按{judged}检验（编号为奇数的留出一半）：{what}，留出一半里有 {n} 条，其中判为“{no_}”的 {no} 条、"
            f"加上“{partly_}”的共 {both} 条，精确率 {no / n:.2f} / {both / n:.2f}" if n else "")


def _ranking_note() -> str:
    """How often the ranking agreed with the hand judgement on the held-out half (:data:`unitfit.HELD_OUT`)."""
    from .unitfit import HELD_OUT

    r = HELD_OUT["ranking"]
    return (f"排名本身：留出一半中，人工判为契合本单元的 {r['n_yes']} 条有 {r['own_first']} 条本单元排第一；"
            f"人工判为更属于另一单元的 {r['n_moved']} 条中，那个单元排第一的 {r['better_first']} 条、"
            f"排前三的 {r['better_top3']} 条。")


def unit_fit_findings(fit: pd.DataFrame, entries: pd.DataFrame, max_items: int = 8,
                      deferred: pd.DataFrame | None = None) -> list[dict]:
    """Unit fit against the syllabus: the ranking (how many questions rank another unit's syllabus first), and
    the instructors' own deferrals (an instructor says the subject is taught in another unit, with the line;
    ``deferred``, the needs stage's ``deferred_questions``, names who said it and how much he said after it).
    "Closer to another unit" claims of the similarity rule are shown only if its held-out precision reaches
    :data:`unitfit.PRECISION_AIM` (it does not on the bundled booklet: the finding says so)."""
    from .unitfit import HELD_OUT, PRECISION_AIM

    if fit is None or fit.empty:
        return []
    scored = fit[fit.fit_score.notna()]
    syllabus = str(fit.syllabus.iloc[0]) if "syllabus" in fit else "titles"
    source = {"file": "课程表文件中的单元说明", "example": "分析工具自带的示例课程表的单元说明（按单元标题撰写，非培训方原文）",
              "titles": "单元标题（没有单元说明）"}.get(syllabus, syllabus)
    if "ranking" not in fit:
        return []
    elsewhere = scored[scored["rank"].astype("Int64") > 1]
    h = HELD_OUT["closer_elsewhere"]
    good = h["flagged"] and h["no"] / h["flagged"] >= PRECISION_AIM
    rows = [_row("unit_fit", f"把每条提问与各单元的大纲（标题与{source}）逐一比对：{len(scored)} 条单元问答中，"
                 f"{len(elsewhere)} 条最贴近的不是所在单元（各条的单元排名见“单元契合”表）。"
                 + ("" if good or syllabus == "titles" else
                    "这一相似度排名与人工判断对不上，所以不据此判定哪条问答“更应放在另一单元”，只列出教员自己"
                    "说明在别的单元讲的问题，以及用词上与各单元大纲都不接近的问题（阅读清单）。"),
                 f"{len(elsewhere)}/{len(scored)}；相似度：同义词归并后的实词 tf-idf 余弦，按各单元在其他单元提问上的"
                 f"得分标准化（z）", ids=elsewhere.entry_id,
                 caveat=(_held_out_note("closer_elsewhere") + f"，低于 {PRECISION_AIM}。" + _ranking_note())
                 if not good and syllabus != "titles" else
                 ("只有单元标题时无法判断契合，只标出教员自己的说明。" if syllabus == "titles" else ""))]
    title = dict(zip(entries.entry_id, entries.title))
    if "evidence" not in fit:
        return rows
    # the instructor says it is taught elsewhere (flagged), or that this unit dealt with part of it and another
    # unit will take it up ("both": not flagged, as the unit fits in part — but a designer reads it as a link)
    ev = fit[((fit.evidence == "defer") & (fit.flag == "closer_elsewhere"))
             | ((fit.evidence == "both") & (fit.evidence_unit.fillna("") != "") & (fit.evidence_unit != fit.unit))]
    said = {}  # (entry, line) → (speaker, characters after the sentence)
    if deferred is not None and {"entry_id", "line", "speaker", "after_chars"} <= set(deferred):
        said = {(int(d.entry_id), int(d.line)): (str(d.speaker), d.after_chars) for d in deferred.itertuples()
                if not pd.isna(d.line)}
    for r in ev.sort_values("entry_id", kind="stable").head(max_items).itertuples():
        where = f"第 {r.entry_id} 条“{title.get(r.entry_id, '')}”在“{r.unit}”提问，"
        who, after = said.get((int(r.entry_id), int(r.evidence_line)), (None, None)) \
            if not pd.isna(r.evidence_line) else (None, None)
        teacher = f"{who}老师" if who else "作答教员"
        answered = (f"（本次也作了回答：这句之后又说了约 {int(after)} 字）"
                    if who and not pd.isna(after) and int(after) > 0 else "")
        several = bool(SEVERAL_COURSES.search(str(r.evidence_quote)))
        later = "后续还有不止一门课程会讲" if several else "后续或其他课程还会讲"
        unit = r.evidence_unit if r.evidence == "both" else r.best_unit
        guess = (f"最接近的是“{unit}”（这句话提到的其他课程无法由此确定）" if several else f"推定为“{unit}”")
        if r.evidence == "both":
            text = (where + f"{teacher}说本单元已讲到其中一部分，{later}{answered}；按后一句与各单元大纲的字面重合，"
                    f"{guess}：这条问答部分属于本单元、部分属于{'后续课程' if several else '那个单元'}。")
        else:
            text = where + f"{teacher}说这一内容{later}{answered}；按这句话与各单元大纲的字面重合，{guess}。"
        rows.append(_row("unit_fit", text, f"第 {int(r.evidence_line)} 行：“{r.evidence_quote}”", ids=[r.entry_id],
                         caveat="对应单元由这句话与各单元大纲的字面重合推定。"))
    return rows


#: an instructor's sentence that sends a question to more than one later course ("后续还有好几门课程会涉及，包括
#: “需求管理”、“项目立项”等", entry 34, l.2120): the unit guessed from it is one of them at best (r9)
SEVERAL_COURSES = re.compile(r"好几门|几门课|多门课|多个单元|几个单元|好几个|“[^”]{1,20}”[、和及与]“[^”]{1,20}”")


def no_unit_findings(fit: pd.DataFrame, entries: pd.DataFrame, max_items: int = 12) -> list[dict]:
    """Questions whose words are far from every unit's syllabus: the ``fits_no_unit`` entries of the unit-fit
    table. The flag measures word similarity only; it is not a finding that no unit covers the question. Per-entry
    rows (title, unit asked in, closest units) are shown only when the flag's held-out precision against the hand
    coverage judgement reaches :data:`unitfit.PRECISION_AIM` (the gate of the "closer elsewhere" claims); below
    it the summary row says what was measured, gives the precision, and calls the list a reading list."""
    from .unitfit import HELD_OUT, PRECISION_AIM

    if fit is None or fit.empty or "flag" not in fit:
        return []
    gaps = fit[fit.flag == "fits_no_unit"].sort_values(["top_z", "entry_id"], kind="stable")
    if not len(gaps):
        return []
    h = HELD_OUT["fits_no_unit"]
    good = bool(h["flagged"]) and h["no"] / h["flagged"] >= PRECISION_AIM
    title = dict(zip(entries.entry_id, entries.title))
    note = _held_out_note("fits_no_unit")
    verdict = ("" if good else f"，低于 {PRECISION_AIM}：多数被标记的问答其实有单元覆盖，所以不逐条成句，"
               "也不称它们为课程缺口（条目编号附在本条，只作阅读清单）")
    example = "syllabus" in fit and (fit["syllabus"] == "example").any()
    which = "各单元大纲（分析工具自带的示例大纲：据单元标题编写，不是本培训班的正式大纲）" if example else "各单元大纲"
    rows = [_row("no_unit", f"{len(gaps)}/{len(fit)} 条问答在用词上与{which}都不接近（同义词归并后的实词相似度，"
                 "每个单元的标准化得分都低）。这只是用词的比较，不说明没有单元讲授这些内容：这是一份阅读清单，"
                 "不是课程缺口的名单。",
                 f"{len(gaps)}/{len(fit)}；每个单元的标准化得分 z 都 < 0.5", ids=gaps.entry_id,
                 caveat=(note + verdict + "。") if note else "只是值得翻阅的清单，不是结论。")]
    if not good:
        return rows
    for r in gaps.head(max_items).itertuples():
        where = "答疑讨论课" if r.unit == "答疑讨论课" else f"“{r.unit}”"
        rows.append(_row("no_unit", f"第 {r.entry_id} 条“{title.get(r.entry_id, '')}”（在{where}提问；关键词：{r.about}）"
                         f"在用词上与各单元大纲都不接近；用词相对最接近的是：{r.ranking.replace(' > ', '、')}。",
                         f"最高 z = {r.top_z:.2f}", ids=[r.entry_id], caveat="只比较了用词，请阅读原文再下结论。"))
    return rows


# ---------------------------------------------------------------- cohorts and the units they share

def shared_units_text(entries: pd.DataFrame, cohorts) -> str:
    """Which units the ``cohorts`` share (the same title is the same unit), as a reader names them:
    "第3、4、5单元（信息规划与系统设计方法、医院信息系统架构治理、信息化建设与项目管理）" when the numbers agree, else
    each title with its numbers; "没有共同的单元" when none. Every contrast between cohorts states it: a difference
    between cohorts whose entries come from different units may be the units'."""
    from .codeshare import shared_unit_titles

    cohorts = [int(c) for c in cohorts]
    titles = shared_unit_titles(entries, cohorts)
    if not titles:
        return "没有共同的单元"
    u = entries[(entries.session_type == "unit") & entries.cohort.isin(cohorts) & entries.unit_title.isin(titles)]
    nos = {t: sorted({(int(c), int(n)) for c, n in zip(g.cohort, g.unit_no) if not pd.isna(n)})
           for t, g in u.groupby("unit_title", sort=False)}
    same = all(len({n for _, n in nos[t]}) == 1 for t in titles)
    if same:
        numbers = sorted((nos[t][0][1], t) for t in titles)
        return (f"第{'、'.join(str(n) for n, _ in numbers)}单元（{'、'.join(t for _, t in numbers)}）")
    return "、".join(f"“{t}”（" + "、".join(f"第{c}期第{n}单元" for c, n in nos[t]) + "）" for t in titles)


def cohort_pair_units(entries: pd.DataFrame | None, a: int, b: int) -> str:
    """"第1期与第2期都有问答入册的单元只有第3、4、5单元（…）" — the clause every contrast of two cohorts carries."""
    from .codeshare import shared_unit_titles

    if entries is None or "unit_title" not in entries:
        return ""
    titles = shared_unit_titles(entries, [a, b])
    if not titles:
        return f"第{a}期与第{b}期的问答没有来自同一单元的（按单元标题比较）"
    units = entries[entries.cohort.isin([a, b]) & (entries.session_type == "unit")]
    n_units = units.unit_title.nunique()
    shared = units[units.unit_title.isin(titles)]
    # how much of each cohort those units hold (r10: 15 of 第1期's 41 entries, 12 of 第2期's 16)
    base = "、".join(f"第{c}期 {int((entries.cohort == c).sum())} 条中 {int((shared.cohort == c).sum())} 条" for c in (a, b))
    # "都有问答入册": the booklet's selection, not the programme's curriculum (r12 read "共有的单元" as the latter)
    return (f"第{a}期与第{b}期都有问答入册的单元{'只有' if n_units > len(titles) else ''}{shared_units_text(entries, [a, b])}"
            f"（{base}问答来自这些单元）")


# ---------------------------------------------------------------- trends

def term_label(term: str, tokens: pd.DataFrame | None, column: str = "token", most: int = 3, note: str = "") -> str:
    """A term as a finding names it: “信息规划”, and where the tokens' view merges other words into it (the concept
    view of :func:`corpus_tools.text.analysis_tokens`: the word as printed in ``word``), those words:
    “信息规划”（含“信息化规划”）— at most ``most``, the most used first; ``note`` goes in the same brackets
    (“信息规划”（含“信息化规划”；第1期 0/41 → …）)."""
    merged = ""
    if tokens is not None and "word" in tokens and column in tokens:
        words = tokens.word[(tokens[column] == term) & (tokens.word != term)].astype(str)
        if len(words):
            counts = words.value_counts()
            order = sorted(counts.index, key=lambda w: (-counts[w], w))[:most]
            merged = "含" + "、".join(f"“{w}”" for w in order) + ("等" if len(counts) > most else "")
    inside = "；".join(x for x in (merged, note) if x)
    return f"“{term}”" + (f"（{inside}）" if inside else "")


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
                   max_items: int = 4, column: str = "token", alpha: float = ALPHA) -> list[dict]:
    """Cohort trends from :func:`corpus_tools.trends.emerging_fading`: the calls that survive (q ≤ 0.05 and within
    units), unit effects, or a plain statement that none survive — only where the comparison could have found one
    (the cohorts share a unit, and the smallest p Fisher's test can reach for these group sizes, times the tests
    corrected together, is ≤ α); where the cohorts share no unit, say that instead; every row names the units the
    two cohorts share. The q values correct for every test of the table (all cohort pairs together, as
    :func:`~corpus_tools.trends.emerging_fading` computes them), and the statistic says so. A token-level change
    that the entries contradict is shown only when its G² is itself significant."""
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
    # a token-count reading that the entries contradict is worth a warning only where a reader would draw it: the
    # token-level G² is itself significant (else nobody would read a trend into it)
    from scipy.stats import chi2

    g2_bar = float(chi2.isf(alpha, 1))
    rev_all = ef[(tok_dir * doc_dir < 0) & (ef.g2_tokens >= g2_bar)].sort_values(
        pair + ["g2_tokens", "term"], ascending=[True, True, False, True], kind="stable").groupby(pair, sort=False).head(1)

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
    family = _correction_family(summary)
    for (a0, b0), g in summary.iterrows():
        rows += _trend_pair_rows(int(a0), int(b0), g, called_of.get((a0, b0), []), units_of.get((a0, b0), []),
                                 rev_of.get((a0, b0), []), entries, cohort_ids, entries_with, alpha, family)
    return rows


def _correction_family(summary: pd.DataFrame) -> tuple[int, str]:
    """``(number of tests, how they split over the cohort pairs)`` of the Benjamini–Hochberg correction behind
    the trend table's q values: every (cohort pair, term) test at once."""
    n = int(summary.n.sum())
    if len(summary) < 2:
        return n, ""
    return n, "、".join(f"第{int(a)}期→第{int(b)}期 {int(g.n)} 个" for (a, b), g in summary.iterrows())


def _trend_pair_rows(a: int, b: int, g, called: list, unit_effects: list, reversed_: list,
                     entries: pd.DataFrame | None, cohort_ids: dict, entries_with, alpha: float,
                     family: tuple[int, str]) -> list[dict]:
    """The trend findings of the cohort pair ``a → b`` (``g``: the pair's summary row; ``called``, ``unit_effects``,
    ``reversed_``: its rows of each kind, see :func:`trend_findings`; ``family``: see :func:`_correction_family`)."""
    rows: list[dict] = []
    ids = cohort_ids.get(a, set()) | cohort_ids.get(b, set())
    n_from, n_to = int(g.n_from), int(g.n_to)
    units = cohort_pair_units(entries, a, b)
    n_tests, split = family
    floor = min_fisher_p(n_from, n_to) * n_tests  # the q of a term found in one cohort's entries only, ranked first
    corrected = (f"q（校正后的显著性）按相邻各期之间的全部 {n_tests} 次检验（{split}）一起校正" if split else
                 f"q（校正后的显著性）按这 {n_tests} 次检验校正")
    if g.n_called == 0 and g.n_units == 0 and int(g.shared) > 0 and floor <= alpha:
        rows.append(_row("trend", f"第{a}期→第{b}期：没有一个词的使用（按问答条数，含教员的回答）在校正多重检验后有显著"
                         "变化。条数少，检验只能检出很大的差异：这不说明两期关心的话题没有变化。"
                         f"{units}，其余问答来自各自不同的单元。",
                         f"检验 {int(g.n)} 个词（各在 ≥ 3 条问答中出现），第{a}期 {n_from} 条、第{b}期 {n_to} 条问答；"
                         f"{corrected}；最小 {_fmt_p(g.p_min)}，最小 {_fmt_q(g.q_min)}",
                         p=g.p_min, q=g.q_min, ids=ids,
                         caveat="问答条数少，只有很大的差异才能检出；没有检出不等于没有差异。"))
    for r in called:
        word = "增多" if r.call == "emerging" else "减少"
        rows.append(_row("trend", f"第{a}期→第{b}期，使用“{r.term}”的问答{word}：{r.docs_from}/{r.n_from} → "
                         f"{r.docs_to}/{r.n_to} 条，并在两期共有的单元内同样成立。",
                         f"Fisher 精确检验 {_fmt_p(r.p_value)}，{_fmt_q(r.q_value)}；单元内分层检验 "
                         f"p = {r.p_within_unit:.3f}；最集中的一条占用词 {r.top_entry_share:.0%}；{units}",
                         p=r.p_value, q=r.q_value,
                         ids=entries_with(r.term, ids),
                         caveat=(f"{r.top_speaker} 一人说了其中 {r.top_speaker_share:.0%}。" if r.one_speaker
                                 else "")))
    for r in unit_effects:
        rows.append(_row("trend", f"第{a}期→第{b}期“{r.term}”的差异（{r.docs_from}/{r.n_from} → {r.docs_to}/{r.n_to} 条）"
                         "在两期共有的单元内不成立：它来自两期问答所属的单元不同，是单元效应，不是趋势。",
                         f"Fisher {_fmt_p(r.p_value)}，{_fmt_q(r.q_value)}；{units}；单元内 "
                         + ("无法检验" if pd.isna(r.p_within_unit) else f"p = {r.p_within_unit:.3f}"),
                         p=r.p_value, q=r.q_value, ids=entries_with(r.term, ids)))
    if int(g.shared) == 0:
        rows.append(_row("trend", f"第{a}期与第{b}期的问答没有一个共同的单元（按单元标题比较）：两期之间的任何差异都无法与“来自哪些单元”区分，"
                         "因此不据此判断这两期之间的词语趋势（各词的检验仍列在表中，并计入多重检验校正）。",
                         f"共同单元 0 个；第{a}期 {n_from} 条、第{b}期 {n_to} 条问答", ids=ids,
                         caveat="比较期别时应按单元分层。"))
    elif g.n_called == 0 and g.n_units == 0 and floor > alpha:
        rows.append(_row("trend", f"第{a}期→第{b}期的词语比较没有检出能力：两期只有 {n_from} 条和 {n_to} 条问答，"
                         f"即使一个词只出现在一期的全部问答中，校正 {n_tests} 次检验后也达不到显著（{units}）。",
                         f"Fisher 检验在这两组条数下可得的最小 p = {min_fisher_p(n_from, n_to):.3g}，"
                         f"× {n_tests} 次检验 = {floor:.3g} > {alpha}" + (f"（{split}）" if split else ""), ids=ids))
    # token counts that the entries contradict: the largest G² whose direction the entry shares reverse
    for r in reversed_:
        word = "减少" if r.per_10k_to < r.per_10k_from else "增多"
        rows.append(_row("trend", f"只看词次会误读：第{a}期→第{b}期“{r.term}”的词次{word}（每万词 "
                         f"{r.per_10k_from:.0f} → {r.per_10k_to:.0f}），而使用它的问答比例相反"
                         f"（{r.docs_from}/{r.n_from} → {r.docs_to}/{r.n_to}）；第 {int(r.top_entry)} 条一条就占了两期中它全部"
                         f"词次的 {r.top_entry_share:.0%}。",
                         f"词次 G² = {r.g2_tokens:.1f}（描述性）；条数层面 Fisher {_fmt_p(r.p_value)}；{units}",
                         p=r.p_value, q=r.q_value, ids=entries_with(r.term, ids),
                         caveat="词次层面的 G² 只作描述，不作趋势判断。"))
    return rows


def restates_name(term: str, name: str, min_chars: int = 2) -> bool:
    """Does ``term`` restate the group's own name — contained in it, containing it, or sharing a word of at least
    ``min_chars`` characters with it (规划 and 信息规划; 集成平台 and 系统集成, which share 集成)? A unit label's
    "第1期·第11单元 " prefix is not part of the name. Such a term tells a reader only what the name already says."""
    name = re.sub(r"^第\d+期·(第\d+单元)?\s*", "", str(name)).replace(" ", "")
    term = str(term).replace(" ", "")
    if not term or not name:
        return False
    if term in name or name in term:
        return True
    return any(term[i:i + min_chars] in name for i in range(len(term) - min_chars + 1))


def keyness_findings(key: pd.DataFrame | None, tokens: pd.DataFrame | None = None, entries: pd.DataFrame | None = None,
                     by: str = "section", per_group: int = 3, column: str = "token",
                     turns: pd.DataFrame | None = None) -> list[dict]:
    """Terms that mark a group (section, unit …) at the entry level with q ≤ 0.05 (from ``keyness_entries``),
    leaving out terms that restate the group's own name (:func:`restates_name`); a group left with none is not
    reported. The caveat says where a word is the instructors' rather than the trainees' (``turns``: in how many of
    its entries only an instructor says it) and when one instructor answers most of the group (r11: every entry of
    【系统集成】 is 薛万国's)."""
    if key is None or key.empty:
        return []
    over = key[key.key == "over"].sort_values(["group", "q_value", "term"], kind="stable")
    if by != "cohort":
        over = over[[not restates_name(t, g) for t, g in zip(over.term, over.group)]]
    name = {"section": "栏目", "cohort": "期", "unit": "单元"}.get(by, by)
    if over.empty:
        return [_row("keyness", f"没有一个词在某个{name}的问答中显著多于其余{name}（条数层面，{Q_NAME} ≤ 0.05）。",
                     f"检验 {len(key)} 个（{name}×词）；最小 {_fmt_q(key.q_value.min())}", q=key.q_value.min())]
    rows = []
    entries_with = TermEntries(tokens, column)
    cohort_of = (dict(zip(entries.entry_id.astype(int), entries.cohort))
                 if by != "cohort" and entries is not None and "cohort" in entries else None)
    for g, grp in over.groupby("group", sort=True):
        top = grp.head(per_group)
        ids = set(entries.entry_id[entries[by] == g]) if entries is not None and by in entries else set()
        with_term = {r.term: entries_with(r.term, ids) for r in top.itertuples()}
        hit = set().union(*map(set, with_term.values()))
        label = f"第{int(g)}期" if by == "cohort" else f"“{g}”"
        one_cohort = "".join(_one_cohort_note(t, used, ids, cohort_of, name) for t, used in with_term.items())
        only = _answer_only(with_term, tokens, turns, column)
        one_cohort += (_answer_only_note(with_term, only) + _one_instructor_note(ids, entries, name)
                       + (_one_session_note(ids, entries, name) if by != "unit" else ""))
        rows.append(_row("keyness", f"{name}{label}的问答比其余{name}明显多用的词：" + "、".join(
            f"{r.term}（{r.docs_group}/{r.n_group} 条，其余 {r.docs_rest}/{r.n_rest}"
            + ("；都只出现在教员的回答里" if with_term[r.term] and only.get(r.term) == len(with_term[r.term]) else "")
            + "）" for r in top.itertuples()) + "。",
            f"{Q_NAME}：" + "；".join(f"{r.term} {_fmt_q(r.q_value, '').strip()}" for r in top.itertuples()),
            p=top.p_value.min(), q=top.q_value.min(), ids=hit or ids,
            caveat=one_cohort + KEYNESS_COUNTS
            + (f"与{name}名称重复的词（如“信息规划”的“规划”）不列出。" if by != "cohort" else "")))
    return rows


def _one_cohort_note(term: str, with_term: list[int], group_ids: set, cohort_of: dict | None,
                     name: str = "栏目") -> str:
    """When every entry of a group using ``term`` comes from one cohort (and there are ≥ 2 of them), the sentence
    saying so, with how much of the group (a ``name``: 栏目, 单元) that cohort is — the group's word may be that
    cohort's ("使用“战略”的 4 条都来自第3期，本栏目 6 条中 5 条来自第3期：栏目与期次在这里分不开。"); "" otherwise.
    ``cohort_of``: entry → cohort (None: no cohorts, no note)."""
    if cohort_of is None or len(with_term) < 2:
        return ""
    cs = {cohort_of.get(int(i)) for i in with_term}
    if len(cs) != 1 or pd.isna(next(iter(cs))):
        return ""
    c = int(next(iter(cs)))
    in_c = sum(1 for i in group_ids if not pd.isna(cohort_of.get(int(i))) and int(cohort_of[int(i)]) == c)
    return (f"使用“{term}”的 {len(with_term)} 条都来自第{c}期，本{name} {len(group_ids)} 条中 {in_c} 条来自第{c}期："
            f"{name}与期次在这里分不开。")


def turn_roles(tokens: pd.DataFrame, turns: pd.DataFrame) -> pd.Series:
    """The role of the turn each token is in (``"instructor"``, ``"trainee"``; ``"title"`` for the title, turn 0,
    which has no row in ``turns``), aligned with ``tokens``' rows."""
    role = tokens[["entry_id", "turn_no"]].astype("int64").merge(
        turns[["entry_id", "turn_no", "role"]].astype({"entry_id": "int64", "turn_no": "int64"}),
        on=["entry_id", "turn_no"], how="left").role
    return pd.Series(role.fillna("title").astype(str).to_numpy(), index=tokens.index)


def _answer_only(with_term: dict[str, list[int]], tokens: pd.DataFrame | None, turns: pd.DataFrame | None,
                 column: str = "token") -> dict[str, int]:
    """Per word, how many of its entries (``with_term``) print it in instructors' turns only — not in the title,
    nor in a trainee's turn; {} without turns."""
    if tokens is None or turns is None or not {"entry_id", "turn_no"} <= set(tokens) or "role" not in turns:
        return {}
    used = tokens[tokens[column].isin(list(with_term))]
    asking = used[turn_roles(used, turns) != "instructor"]
    return {term: len(set(ids) - set(asking.entry_id[asking[column] == term].astype(int))) for term, ids in with_term.items()}


def _answer_only_note(with_term: dict[str, list[int]], only: dict[str, int]) -> str:
    """"“接口”的 11 条中 3 条只出现在教员的回答里，标题和学员的发言里没有。" for each word some of whose entries
    print it in instructors' turns only (``only``: :func:`_answer_only`); "" when there is none."""
    notes = [f"“{t}”的 {len(ids)} 条中 {only[t]} 条只出现在教员的回答里，标题和学员的发言里没有"
             for t, ids in with_term.items() if only.get(t)]
    return ("；".join(notes) + "。") if notes else ""


def _one_instructor_note(ids: set, entries: pd.DataFrame | None, name: str) -> str:
    """"本栏目 12 条都有薛万国作答（其中 5 条另有其他教员）：多用的词也可能是他/她的用词。" when one instructor
    answers in at least three quarters of a group's entries (≥ 3); "" otherwise. (Not "都由…作答": other
    instructors answer too, r12.)"""
    if entries is None or "answered_by" not in entries or len(ids) < 3:
        return ""
    per = _answered(entries[entries.entry_id.isin(ids)])
    if not per:
        return ""
    who = sorted(per, key=lambda n: (-len(per[n]), n))[0]
    k = len(per[who])
    if 4 * k < 3 * len(ids):
        return ""
    with_others = len({e for n, got in per.items() if n != who for e in got} & per[who])
    many = f"都有{who}作答" if k == len(ids) else f"中 {k} 条有{who}作答"
    others = f"（其中 {with_others} 条另有其他教员）" if with_others else "（没有其他教员）"
    return f"本{name} {len(ids)} 条{many}{others}：多用的词也可能是他/她的用词。"


def _one_session_note(ids: set, entries: pd.DataFrame | None, name: str) -> str:
    """"本栏目 12 条中 7 条来自第1期第11单元“医学信息标准”。" when one session (cohort + unit or discussion class)
    gave at least half of a group's entries (≥ 3): the group's words may be that session's (r12); "" otherwise."""
    if entries is None or len(ids) < 3 or not {"cohort", "session_type", "unit_no", "unit_title"} <= set(entries):
        return ""
    from .network import session_keys

    sessions = session_keys(entries[entries.entry_id.isin(ids)]).value_counts()
    if sessions.empty:
        return ""
    top, n = min(sessions.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
    return f"本{name} {len(ids)} 条中 {int(n)} 条来自{top}。" if 2 * int(n) >= len(ids) else ""


# what a keyness finding's counts are (a reader who searches the text for the characters finds more entries)
KEYNESS_COUNTS = ("条数按分词后的词计：标题或发言里作为一个独立的词出现才算；在复合词里（如“整体规划”里的“规划”）"
                  "或只在出处注记里出现的不计。")


# ---------------------------------------------------------------- instructor dependence

def dependence_findings(dep: pd.DataFrame | None, entries: pd.DataFrame, entry_topics: pd.DataFrame | None = None,
                        alpha: float = ALPHA, turns: pd.DataFrame | None = None) -> list[dict]:
    """Topics that lean on an instructor within the sessions their questions were asked in (the stratified exact
    test of :func:`corpus_tools.network.topic_dependence`), and topics that only look so overall: their top
    instructor answers most of the sessions the topic comes from anyway. With ``turns``, a sentence also names the
    entries whose trainee names the instructor (“能否请刘新平老师介绍一下…”, entry 67: a question put to him, r13)."""
    if dep is None or dep.empty:
        return []
    said = _DependenceEntries(entries, entry_topics, turns)
    flagged = dep[dep.flagged.fillna(False).astype(bool)].sort_values(["p_value", "topic_id", "instructor"],
                                                                      kind="stable")
    rows = []
    if flagged.empty:
        tested = dep[dep.p_value.notna()]
        rows.append(_row("dependence", "在同一课次（同期同单元）之内比较后，没有一个主题显著依赖某一位教员。",
                         f"{len(tested)} 个（主题×教员）组合；分层精确检验最小 {_fmt_p(tested.p_value.min())}",
                         p=tested.p_value.min(), q=tested.q_value.min()))
    n_tests = int(dep.p_value.notna().sum())
    rows += [_dependent_row(r, said, n_tests, alpha) for r in flagged.itertuples()]
    # looks dependent overall (the most answering instructor, significant without sessions) but not within them
    seeming = dep[(dep["rank"] == 1) & (dep.p_overall < alpha) & ~dep.flagged.fillna(False).astype(bool)]
    rows += [_seeming_row(r, said)
             for r in seeming.sort_values(["p_overall", "topic_id", "instructor"], kind="stable").itertuples()]
    return rows


class _DependenceEntries:
    """What the dependence sentences say of entries: a topic's entries an instructor answered, their titles, how
    many instructors answered each, and which of them the trainee put to the instructor by name."""

    def __init__(self, entries: pd.DataFrame, entry_topics: pd.DataFrame | None, turns: pd.DataFrame | None) -> None:
        self.answered = _answered(entries)
        self.n_answering = Counter(e for ids in self.answered.values() for e in ids)
        self.topic_ids: dict[int, set[int]] = {}
        if entry_topics is not None:
            first = entry_topics[entry_topics["rank"] == 1]
            for t, g in first.groupby("topic_id"):
                self.topic_ids[int(t)] = set(g.entry_id)
        self.titles = dict(zip(entries.entry_id.astype(int), entries.title.astype(str))) if "title" in entries else {}
        self.asked_words: dict[int, str] = {}
        if turns is not None and {"entry_id", "role", "text"} <= set(turns):
            asking = turns[turns.role == "trainee"]
            for e, text in zip(asking.entry_id.astype(int), asking.text.astype(str)):
                self.asked_words[e] = self.asked_words.get(e, "") + text

    def ids(self, r) -> set[int]:
        """The entries of row ``r``'s topic that its instructor answered."""
        return self.topic_ids.get(int(r.topic_id), set()) & self.answered.get(r.instructor, set())

    def titles_of(self, ids: set[int], who: str = "") -> str:
        """What the instructor's entries of the topic ask (a topic's label may fit them poorly: r9), and which of
        them a trainee put to him or her by name."""
        out = _some([f"第 {i} 条" + (f"“{self.titles[i]}”" if self.titles.get(i) else "") for i in sorted(ids)], 6, "条")
        named = [i for i in sorted(ids) if who and who in self.asked_words.get(i, "")]
        if named:
            out += "；" + "、".join(f"第 {i} 条" for i in named) + f"的学员在提问里点了{who}的名"
        return out


def _within(r) -> str:
    """The comparison inside the strata of dependence row ``r``: the topic's entries there, then the others."""
    in_n = int(r.session_entries - r.rest_entries)
    in_k = int(r.session_k - r.rest_k)
    out = (f"在该主题问题与其他问题同时出现的 {int(r.n_sessions)} 个课次（同期同单元）里，{r.instructor}作答该主题的 "
           f"{in_k}/{in_n} 条、其余问题的 {int(r.rest_k)}/{int(r.rest_entries)} 条（{r.rest_share:.0%}）")
    if in_n < r.n_entries:
        out += f"；另 {int(r.n_entries - in_n)} 条来自只有该主题问题的课次，无法在课次内比较"
    v = int(r.varying_sessions)
    if 0 < v < int(r.n_sessions):  # the other strata (answered all or none) tell the exact test nothing (r10)
        out += (f"；其中只有 {v} 个课次（{r.varying_session_names}）{r.instructor}作答了部分而非全部问答，检验的"
                f"证据只来自这 {v} 个课次：该主题 {int(r.varying_topic_k)}/{int(r.varying_topic_entries)} 条、"
                f"其余问题 {int(r.varying_rest_k)}/{int(r.varying_rest_entries)} 条")
    return out


def _leaning(r) -> str:
    """Which way the within-session comparison of row ``r`` points, where it is not significant."""
    topic = r.varying_topic_k / r.varying_topic_entries if r.varying_topic_entries else 0.0
    rest = r.varying_rest_k / r.varying_rest_entries if r.varying_rest_entries else 0.0
    return "，方向与依赖一致，但可比较的问答太少" if topic > rest else "，课次之内他/她作答该主题的比例并不更高"


def _dependent_row(r, said: _DependenceEntries, n_tests: int, alpha: float) -> dict:
    """A topic that leans on an instructor within the sessions (significant at p < α; said so only if q ≤ α)."""
    ids = said.ids(r)
    alone = sum(1 for i in ids if said.n_answering[i] == 1)  # he or she is among them: the only one
    cav = [f"其中 {alone} 条只有他/她作答，其余 {len(ids) - alone} 条另有教员作答。"]
    if r.tie:
        cav.append("在该主题中作答条数与他人并列。")
    if r.q_value <= alpha:
        claim = "：这个主题依赖这位教员，不只是因为他/她在哪些单元答疑。"
    else:  # flagged at p < α (issue 19 item 6), but not after correcting for the comparisons
        claim = (f"。课次之内的差异单看显著（{_fmt_p(r.p_value)}），但按同时检验的 {n_tests} 个（主题×教员）组合"
                 f"校正后 q = {r.q_value:.3f} > {alpha:g}，不显著：可能是偶然，只是一个提示，不能据此说这个主题"
                 "依赖这位教员。")
    return _row("dependence", f"主题“{r.label}”的 {r.n_entries} 条问答中，{r.instructor}作答 {r.k} 条"
                f"（{r.share:.0%}：{said.titles_of(ids, r.instructor)}）；{_within(r)}{claim}",
                f"分层（课次）精确检验 {_fmt_p(r.p_value)}，期望 {r.expected:.1f} 条；CMH p = {r.p_cmh:.3f}；"
                f"{_fmt_q(r.q_value)}；在该主题中的作答比例是该教员总体作答比例的 {r.lift:.1f} 倍（其总体作答比例 {r.base_share:.0%}）",
                p=r.p_value, q=r.q_value, ids=ids, caveat="".join(cav))


def _seeming_row(r, said: _DependenceEntries) -> dict:
    """A topic whose top instructor answers significantly many of its entries overall, but not within sessions."""
    ids = said.ids(r)
    opening = (f"主题“{r.label}”的 {r.n_entries} 条问答中 {r.instructor}作答 {r.k} 条"
               f"（{said.titles_of(ids, r.instructor)}），看似依赖他/她；")
    if pd.isna(r.p_value):
        return _row("dependence", opening + "但这些问题所在的课次里没有可比较的其他问题（或他/她作答了全部），"
                    "无法区分主题与课程安排。",
                    f"总体超几何检验 {_fmt_p(r.p_overall)}（是该教员总体作答比例的 {r.lift:.1f} 倍）；分层检验无法进行",
                    p=r.p_overall, ids=ids, caveat="总体上的集中不等于依赖：可能只是他/她在那几个单元答疑。")
    return _row("dependence", opening + f"但{_within(r)}。同一课次之内比较，差异不显著（{_fmt_p(r.p_value)}）"
                f"{_leaning(r)}。总体上的集中可能来自他/她在哪些单元答疑；这些数据既不能说这个主题依赖这位教员，也不能排除。",
                f"总体超几何检验 {_fmt_p(r.p_overall)}（是该教员总体作答比例的 {r.lift:.1f} 倍）；分层（课次）精确检验 "
                f"{_fmt_p(r.p_value)}，期望 {r.expected:.1f} 条",
                p=r.p_value, q=r.q_value, ids=ids, caveat="不显著不等于没有依赖：课次少、条数少，检验的把握有限。")


# ---------------------------------------------------------------- code shares by cohort

def cohort_units_text(entries: pd.DataFrame, cohort: int) -> str:
    """The sessions a cohort's entries come from: "第1单元“信息中心组织与管理”、第2单元“医院信息规划”和答疑讨论课"."""
    e = entries[entries.cohort == cohort]
    units = e[e.session_type == "unit"].drop_duplicates("unit_no").sort_values("unit_no")
    parts = [f"第{int(r.unit_no)}单元“{r.unit_title}”" for r in units.itertuples() if not pd.isna(r.unit_no)]
    disc = "答疑讨论课" if (e.session_type == "discussion").any() else ""
    return "、".join(parts) + (f"和{disc}" if parts and disc else disc)


def _leave_one_cohort_out(g: pd.DataFrame, z: float) -> tuple[int, float] | None:
    """``(cohort, p)``: the cohort whose removal weakens a code's trend most and the trend test's p without it
    (1.0 when the trend then vanishes or reverses); None with fewer than 3 cohorts. ``g``: the code's rows of
    ``code_share_by_cohort`` in cohort order."""
    from .cohorttrends import weakest_cohort

    if len(g) < 3:
        return None
    i, p = weakest_cohort(g.n_code.to_numpy(float), g.n_entries.to_numpy(float), g.cohort.to_numpy(float), z)
    return int(g.cohort.iloc[i]), p


def _number_ranges(numbers: list[int]) -> str:
    """Sorted numbers as runs: [1, 2, 3, 5, 7, 8] → "1–3、5、7–8"."""
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return "、".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _unit_numbers_by_cohort(entries: pd.DataFrame, cohorts: list[int]) -> str:
    """Which units (by number) each cohort's entries come from — the part of the course each cohort was sampled
    at: "各期问答所在的单元：第1期第3–7、10–12单元，第2期第1–5单元，第3期第1–2单元和答疑讨论课（3 条）。" (""
    when no unit is numbered)."""
    units = entries[entries.session_type == "unit"].dropna(subset=["cohort", "unit_no"])
    parts = []
    for c in cohorts:
        n_disc = int(((entries.cohort == c) & (entries.session_type == "discussion")).sum())
        disc = f"答疑讨论课（{n_disc} 条）" if n_disc else ""
        if (units.cohort == c).any():
            numbers = _number_ranges([int(n) for n in units.unit_no[units.cohort == c]])
            parts.append(f"第{c}期第{numbers}单元" + (f"和{disc}" if disc else ""))
        elif disc:
            parts.append(f"第{c}期只有{disc}")
    return f"各期问答所在的单元：{'，'.join(parts)}。" if any("单元" in p for p in parts) else ""


def _cohort_units_context(entries: pd.DataFrame, cohorts: list[int]) -> tuple[str, str, list[int]]:
    """``(mix, covered, missing)``: the sentence saying which units each pair of consecutive cohorts drew from,
    the cohorts the shared units cover (第1期与第2期) and those they miss ([3]; [] when none)."""
    from .codeshare import shared_unit_titles

    pairs = []
    for a, b in zip(cohorts, cohorts[1:]):
        text = cohort_pair_units(entries, a, b)
        if not shared_unit_titles(entries, [a, b]):  # name the later cohort's units: nothing else to compare with
            text += f"（第{b}期的问答只来自{cohort_units_text(entries, b)}）"
        pairs.append(text)
    mix = (f"各期入册的单元不同：{'；'.join(pairs)}。{_unit_numbers_by_cohort(entries, cohorts)}"
           "占比的变化可能来自各期入册的是哪些单元（课程的哪一段），而不一定是学员关注点的变化。")
    units = entries[entries.session_type == "unit"].dropna(subset=["cohort", "unit_no"])
    shared = shared_unit_titles(entries, cohorts)
    covered = sorted({int(c) for c in units.cohort[units.unit_title.isin(shared)]})
    missing = [c for c in cohorts if c not in covered]
    covered_text = ("与".join(f"第{c}期" for c in covered) if len(covered) <= 2 else
                    "第" + "、".join(str(c) for c in covered) + "期")
    return mix, covered_text, missing


def _apart_cohorts_clause(entries: pd.DataFrame, apart: list[int]) -> str:
    """The sentence a share trend carries when some cohorts (``apart``: the ``missing`` of
    :func:`_cohort_units_context`) drew no entry from a unit another cohort also drew from: the change to them
    cannot be told apart from their units ("" when every cohort shares a unit)."""
    if not apart:
        return ""
    return ("到" + "、".join(f"第{c}期" for c in apart) + "的变化与入册的单元分不开："
            + "；".join(f"第{c}期的问答只来自{cohort_units_text(entries, c)}" for c in apart)
            + "，没有一个单元与其他期相同（按单元标题比较）。")


def _area_units(code: str, units: pd.DataFrame, entries: pd.DataFrame, shared_titles: set[str]) -> str:
    """The units whose very title names a code's area (运维服务 → 第1期第6单元“运维服务管理”), with how many of each
    cohort's entries they gave and whether another cohort has entries of that unit: "第1期第6单元“运维服务管理”6/41 条
    （其他期没有这一单元的问答）" ("" when no title names it). ``units``: the entries asked in a unit."""
    area_words = [x for x in re.split(r"[与和、·]", str(code)) if len(x) >= 2]
    named = units[[any(x in str(t) for x in area_words) for t in units.unit_title]]
    counts = named.groupby(["cohort", "unit_no", "unit_title"], sort=True).size()
    return "、".join(f"第{int(c)}期第{int(n)}单元“{t}”{int(k)}/{int((entries.cohort == c).sum())} 条"
                    + ("" if t in shared_titles else "（其他期没有这一单元的问答）") for (c, n, t), k in counts.items())


def code_share_findings(share: pd.DataFrame | None, entries: pd.DataFrame, code_entries: pd.DataFrame | None = None,
                        alpha: float = ALPHA) -> list[dict]:
    """Codes whose share of the entries rises or falls across the ordered cohorts (Cochran–Armitage, BH q ≤ α over
    the codes, from :func:`corpus_tools.codeshare.code_share_by_cohort`), each with its per-cohort shares and Wilson
    intervals, the same trend within the units the cohorts share (naming the cohorts those units cover), and the
    unit-mix caveat; one row for the codes without a significant trend (q > α), naming any with p < α."""
    from .codeshare import shared_unit_titles

    if share is None or share.empty or share.cohort.nunique() < 2:
        return []
    cohorts = sorted(int(c) for c in share.cohort.unique())
    shared_titles = set(shared_unit_titles(entries, cohorts))
    mix, covered_text, apart = _cohort_units_context(entries, cohorts)
    missing = bool(apart)
    missing_text = "第" + "、".join(str(c) for c in apart) + "期" if apart else ""
    apart_clause = _apart_cohorts_clause(entries, apart)  # the same for every code
    units = entries[entries.session_type == "unit"].dropna(subset=["cohort", "unit_no"])
    shared_text = shared_units_text(entries, cohorts)
    per_code = share.drop_duplicates("code")
    n_codes = len(per_code)
    rows = []
    trending = per_code[per_code.trend_q <= alpha].sort_values(["trend_p", "code"], kind="stable")
    for r in trending.itertuples():
        g = share[share.code == r.code].sort_values("cohort")
        shares = g.share.to_numpy(dtype=float)
        up = r.trend_z > 0
        steps = np.diff(shares)
        monotone = bool((steps > 0).all()) if up else bool((steps < 0).all())
        how = ("逐期" if monotone else "总体") + ("上升" if up else "下降")
        parts = " → ".join(f"第{int(x.cohort)}期 {int(x.n_code)}/{int(x.n_entries)}（{x.share:.0%}，95% 区间 "
                           f"{x.ci_low:.0%}–{x.ci_high:.0%}）" for x in g.itertuples())
        within = ("共有单元之内无法检验" if pd.isna(r.within_units_p) else
                  f"只看{covered_text}共有的单元（{shared_text}）：分层趋势检验 {_fmt_p(r.within_units_p)}"
                  + (f"（{missing_text}没有这些单元的问答，不在其中）" if missing else ""))
        ids = []
        if code_entries is not None and r.code in code_entries:
            ids = code_entries.entry_id[code_entries[r.code].fillna(False).astype(bool)]
        cav = mix
        named = _area_units(r.code, units, entries, shared_titles)
        if named:
            cav += f"标题就含这一领域名称的单元，各期入册的条数不同：{named}。"
        only = (f"；{missing_text}没有这些单元的问答，到{missing_text}的变化无法在单元之内检验" if missing else "")
        cav += (f"在{covered_text}共有的单元之内这一趋势不显著{only}。" if not (r.within_units_p < alpha) else
                f"在{covered_text}共有的单元之内同样成立{only}。")
        loo = _leave_one_cohort_out(g, r.trend_z)
        fragile = ""
        if loo is not None and not loo[1] < alpha:  # the trend does not survive leaving one cohort out
            cav += (f"去掉第{loo[0]}期（{int((entries.cohort == loo[0]).sum())} 条问答）后 "
                    f"{_fmt_p(loo[1]) + '，不再显著' if loo[1] < 1 else '趋势消失或反向'}：只看其余各期，证据不足以确认这一趋势。")
            fragile = f"去掉第{loo[0]}期后{'不再显著（' + _fmt_p(loo[1]) + '）' if loo[1] < 1 else '趋势消失或反向'}。"
        rows.append(_row("code_share", f"“{r.code}”类问答（按编码规则）在各期问答中的占比{how}：{parts}。"
                         + apart_clause + fragile
                         + ("这一升降不能直接当作学员关注点的变化。" if fragile or missing else ""),
                         f"Cochran–Armitage 趋势检验 z = {r.trend_z:.2f}，{_fmt_p(r.trend_p)}，{_fmt_q(r.trend_q)}"
                         f"（{n_codes} 个编码）；{within}",
                         p=r.trend_p, q=r.trend_q, ids=ids, caveat=cav))
    rest = per_code[~(per_code.trend_q <= alpha)].sort_values(["trend_p", "code"], kind="stable")
    if len(rest):
        nominal = rest[rest.trend_p < alpha]
        note = "".join(f"；“{x.code}” p = {x.trend_p:.3f}，校正后 q = {x.trend_q:.3f}" for x in nominal.itertuples())
        # a nominal trend is as tied to the units each cohort drew from as a called one: say which units name it
        tied = [(x.code, _area_units(x.code, units, entries, shared_titles)) for x in nominal.itertuples()]
        tied_text = "".join(f"“{c}”的名义变化（p < {alpha:g}）也与入册单元有关：标题含这一领域名称的单元是{u}。"
                            for c, u in tied if "其他期没有" in u)
        rows.append(_row("code_share", f"其余 {len(rest)} 个编码（{'、'.join(rest.code)}）在各期问答中的占比没有显著的逐期趋势"
                         f"（按 {n_codes} 个编码校正多重检验后 q 都 > {alpha:g}）。",
                         f"Cochran–Armitage 趋势检验，最小 p = {rest.trend_p.min():.3g}{note}；各期占比与 95% 区间见表 "
                         "code_share_by_cohort",
                         p=rest.trend_p.min(), q=rest.trend_q.min(),
                         caveat=f"问答条数少（第{cohorts[-1]}期只有 "
                                f"{int(share[share.cohort == cohorts[-1]].n_entries.iloc[0])} 条），只有很大的变化才能检出。"
                                + tied_text))
    return rows


# ---------------------------------------------------------------- all

def build_findings(tables: dict[str, pd.DataFrame], booklet, column: str = "token",
                   extra: list[dict] | None = None) -> pd.DataFrame:
    """The findings table from the study's tables (any that are missing are skipped): ``tokens``, ``curriculum``,
    ``unit_fit``, ``emerging_fading_terms``, ``keyness_entries_by_section``, ``topic_dependence``,
    ``entry_topics``, ``code_share_by_cohort``, ``code_entries``. Columns :data:`FINDING_COLUMNS`; rows grouped by
    kind in the order of :func:`kind_rank` (actionable kinds first, caveats last)."""
    tokens = tables.get("tokens")
    e = booklet.entries
    rows = caveat_findings(booklet, tokens)
    if tables.get("curriculum") is not None:
        rows += coverage_findings(tables["curriculum"], e)
    rows += unit_fit_findings(tables.get("unit_fit"), e, deferred=tables.get("deferred_questions"))
    rows += no_unit_findings(tables.get("unit_fit"), e)
    if tables.get("emerging_fading_terms") is not None:
        rows += trend_findings(tables["emerging_fading_terms"], e, tokens, column=column)
    rows += keyness_findings(tables.get("keyness_entries_by_section"), tokens, e, "section", column=column,
                             turns=booklet.turns)
    rows += dependence_findings(tables.get("topic_dependence"), e, tables.get("entry_topics"), turns=booklet.turns)
    rows += code_share_findings(tables.get("code_share_by_cohort"), e, tables.get("code_entries"))
    rows += needs_stage_findings(tables, e, booklet.askers)  # recurring needs, deferred questions, who asks
    rows += list(extra or [])  # rows a stage made itself (topics carried forward: carry.carry_findings)
    from .cohorttrends import trend_findings as cohort_trend_findings  # trends over many cohorts (programme)

    rows += cohort_trend_findings(tables.get("cohort_trends"), e, tokens, column=column)
    out = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    out["_k"] = [kind_rank(k) for k in out.kind]
    return out.sort_values("_k", kind="stable").drop(columns="_k").reset_index(drop=True)


def kind_rank(kind: str) -> float:
    """Where a kind of finding stands in the report: :data:`KIND_ORDER`'s position; a kind not listed there goes
    with the actionable ones, just before ``dependence``."""
    return float(KIND_ORDER.index(kind)) if kind in KIND_ORDER else KIND_ORDER.index("dependence") - 0.5
