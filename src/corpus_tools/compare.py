"""Compare two booklets (an earlier and a later one): what is new, what is gone, what was renamed.

Each booklet is analysed by the one analysis core (:func:`corpus_tools.analysis.analyse`); :func:`compare_studies`
(pure) turns the two studies into tables, each with a ``status`` column — ``new`` / ``gone`` / ``kept`` /
``renamed`` (and ``rising`` / ``falling`` for key terms):

- ``entries_diff``: entries matched by title, then by the text of their opening question (an entry whose title
  changed but whose question did not is *renamed*);
- ``cohorts_diff``, ``sections_diff``, ``units_diff``: matched by name; a gone one and a new one holding mostly
  the same entries (≥ half of each, by ``entries_diff``) is *renamed* (a section given a new name, a unit's
  entries moved to another cohort's number);
- ``people_diff`` (name and role), ``hospitals_diff``: by name;
- ``topics_diff``: each booklet's topics fitted on its own, matched one-to-one by the overlap of their top terms
  (Jaccard ≥ ``min_jaccard``); a matched topic whose label changed is *renamed*;
- ``terms_diff``: terms used in entries of one booklet and not the other (*new* / *gone*, in ≥ 3 entries), and
  terms whose share of entries changed (Fisher's exact test on entries, Benjamini–Hochberg q ≤ 0.05: *rising* /
  *falling*).

:func:`compare_booklets` reads the two files, analyses them, and with ``outdir`` writes the tables, the figures
and ``comparison.html``: the overview of changes always (when nothing changed it says so), the key terms only when
some term changed (otherwise the page says in a sentence why there is no chart).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .schema import conform

STATUS_ORDER = ["new", "gone", "renamed", "rising", "falling", "kept"]
STATUS_ZH = {"new": "新增", "gone": "消失", "renamed": "更名", "kept": "保留", "rising": "增多", "falling": "减少"}
DIFF_TABLES = ["cohorts_diff", "sections_diff", "units_diff", "entries_diff", "people_diff", "hospitals_diff",
               "topics_diff", "terms_diff"]
WHAT_ZH = {"cohorts_diff": "期次", "sections_diff": "栏目", "units_diff": "课程单元", "entries_diff": "问答",
           "people_diff": "人员", "hospitals_diff": "医院", "topics_diff": "主题", "terms_diff": "关键词"}


@dataclass
class Comparison:
    """Two studies and the tables comparing them (see the module doc)."""

    old: Any  # Study
    new: Any  # Study
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    outdir: Path | None = None
    skipped: dict[str, str] = field(default_factory=dict)  # table → why it is empty (e.g. too few entries)

    def counts(self, name: str) -> dict[str, int]:
        s = self.tables[name].status
        return {k: int((s == k).sum()) for k in STATUS_ORDER if (s == k).any()}

    def summary(self) -> str:
        """What changed, in Chinese, one line per kind of thing."""
        o, n = self.old.booklet, self.new.booklet
        lines = ["对比结果",
                 f"  旧版  {o.meta.get('source')}：{len(o.entries)} 条问答",
                 f"  新版  {n.meta.get('source')}：{len(n.entries)} 条问答"]
        for name in DIFF_TABLES:
            c = self.counts(name)
            lines.append(f"  {WHAT_ZH[name]:<5} " + ("，".join(f"{STATUS_ZH[k]} {v}" for k, v in c.items()) or "无"))
            if name in self.skipped:
                lines.append(f"        未比较：{self.skipped[name]}")
            if name in ("entries_diff", "terms_diff", "people_diff", "hospitals_diff"):
                continue
            for status in ("new", "gone", "renamed"):
                names = _names(self.tables[name], status)
                if names:
                    more = f"……等 {len(names)} 项" if len(names) > SUMMARY_ITEMS else ""
                    lines.append(f"        {STATUS_ZH[status]}：" + "；".join(names[:SUMMARY_ITEMS]) + more)
        if self.outdir:
            lines.append(f"  对比报告：{(self.outdir / 'comparison.html').resolve()}  （用浏览器打开）")
        return "\n".join(lines)


SUMMARY_ITEMS = 8  # names listed per status in the terminal summary; the rest are counted ("……等 N 项")


def _names(df: pd.DataFrame, status: str) -> list[str]:
    d = df[df.status == status]
    if status == "renamed":
        return [f"{a} → {b}" for a, b in zip(d.old_name, d.new_name)]
    col = "new_name" if status == "new" else "old_name"
    return [str(x) for x in d[col]] if col in d else []


# ---------------------------------------------------------------- matching

def _norm(text: Any) -> str:
    """Text compared without whitespace and the booklet's ★ marks."""
    return re.sub(r"[\s★☆]", "", "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text))


def entries_diff(old, new) -> pd.DataFrame:
    """Entries of two booklets matched by title, then by the text of the opening question. Columns: status,
    old_entry, new_entry, old_title, new_title, note. An entry whose question repeats one already matched is *new*
    (``note`` names the entry it repeats)."""
    o, n = old.entries, new.entries
    o_title = {int(i): _norm(t) for i, t in zip(o.entry_id, o.title)}
    n_title = {int(i): _norm(t) for i, t in zip(n.entry_id, n.title)}
    o_q = {int(i): _norm(q) for i, q in zip(o.entry_id, o.question)}
    n_q = {int(i): _norm(q) for i, q in zip(n.entry_id, n.question)}
    by_title: dict[str, list[int]] = {}
    for i, t in o_title.items():
        by_title.setdefault(t, []).append(i)
    pairs: dict[int, int] = {}  # new → old
    used: set[int] = set()
    for j, t in n_title.items():
        for i in by_title.get(t, []):
            if i not in used:
                pairs[j] = i
                used.add(i)
                break
    by_q: dict[str, list[int]] = {}
    for i, q in o_q.items():
        if q:
            by_q.setdefault(q, []).append(i)
    renamed, repeats = set(), {}
    for j in n_title:
        if j in pairs or not n_q[j]:
            continue
        free = [i for i in by_q.get(n_q[j], []) if i not in used]
        if free:
            pairs[j] = free[0]
            used.add(free[0])
            renamed.add(j)
        elif by_q.get(n_q[j]):
            repeats[j] = by_q[n_q[j]][0]
    title_o = dict(zip(o.entry_id.astype(int), o.title))
    title_n = dict(zip(n.entry_id.astype(int), n.title))
    rows = []
    for j in sorted(n_title):
        if j in pairs:
            rows.append(dict(status="renamed" if j in renamed else "kept", old_entry=pairs[j], new_entry=j,
                             old_title=title_o[pairs[j]], new_title=title_n[j], note=""))
        else:
            rows.append(dict(status="new", old_entry=pd.NA, new_entry=j, old_title="", new_title=title_n[j],
                             note=f"提问与旧版第 {repeats[j]} 条相同" if j in repeats else ""))
    for i in sorted(set(o_title) - used):
        rows.append(dict(status="gone", old_entry=i, new_entry=pd.NA, old_title=title_o[i], new_title="", note=""))
    out = pd.DataFrame(rows, columns=["status", "old_entry", "new_entry", "old_title", "new_title", "note"])
    return _ordered(out.astype({"old_entry": "Int64", "new_entry": "Int64"}), ["old_entry", "new_entry"])


def _ordered(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    key = df.status.map({s: i for i, s in enumerate(STATUS_ORDER)})
    return df.assign(_k=key).sort_values(["_k", *by], kind="stable").drop(columns="_k").reset_index(drop=True)


def group_diff(old_groups: pd.Series, new_groups: pd.Series, pairs: pd.DataFrame, order_old: Iterable[str],
               order_new: Iterable[str], min_share: float = 0.5) -> pd.DataFrame:
    """Groups (cohort, section, unit …) of two booklets matched by name; a gone and a new group that share at least
    ``min_share`` of each one's entries (``pairs``: old_entry ↔ new_entry) are *renamed*. ``old_groups`` /
    ``new_groups``: group name per entry id. Columns: status, old_name, new_name, n_old, n_new (entries)."""
    n_old = old_groups.value_counts()
    n_new = new_groups.value_counts()
    names_old = [g for g in dict.fromkeys(order_old) if g in n_old.index]
    names_new = [g for g in dict.fromkeys(order_new) if g in n_new.index]
    rows, matched_o, matched_n = [], set(), set()
    for g in names_old:
        if g in n_new.index:
            rows.append(dict(status="kept", old_name=g, new_name=g, n_old=int(n_old[g]), n_new=int(n_new[g])))
            matched_o.add(g)
            matched_n.add(g)
    p = pairs.dropna(subset=["old_entry", "new_entry"])
    link = pd.DataFrame({"o": old_groups.reindex(p.old_entry.astype(int)).to_numpy(),
                         "n": new_groups.reindex(p.new_entry.astype(int)).to_numpy()}).dropna()
    overlap = link.value_counts().sort_values(ascending=False, kind="stable")
    for (go, gn), k in overlap.items():
        if go in matched_o or gn in matched_n:
            continue
        if k >= min_share * n_old[go] and k >= min_share * n_new[gn]:
            rows.append(dict(status="renamed", old_name=go, new_name=gn, n_old=int(n_old[go]), n_new=int(n_new[gn])))
            matched_o.add(go)
            matched_n.add(gn)
    rows += [dict(status="new", old_name="", new_name=g, n_old=0, n_new=int(n_new[g]))
             for g in names_new if g not in matched_n]
    rows += [dict(status="gone", old_name=g, new_name="", n_old=int(n_old[g]), n_new=0)
             for g in names_old if g not in matched_o]
    out = pd.DataFrame(rows, columns=["status", "old_name", "new_name", "n_old", "n_new"])
    rank = {g: i for i, g in enumerate(list(names_old) + [g for g in names_new if g not in names_old])}
    out["_r"] = [rank.get(a or b, 0) for a, b in zip(out.old_name, out.new_name)]
    return _ordered(out, ["_r"]).drop(columns="_r")


def _cohort_label(c: Any) -> str | None:
    return None if pd.isna(c) else f"第{int(c)}期"


def _unit_label(r: Any) -> str | None:
    from .curriculum import unit_label

    return unit_label(r.cohort, "discussion" if r.session_type == "discussion" else "unit", r.unit_no, r.unit_title,
                      r.session_no if r.session_type == "discussion" else None, unknown=None)


def _entry_groups(b) -> dict[str, pd.Series]:
    e = b.entries
    ids = e.entry_id.astype(int)
    units = pd.Series([_unit_label(r) for r in e.itertuples()], index=ids)
    order_units = sorted(units.dropna().unique(), key=_unit_key)
    return {"cohorts": (pd.Series([_cohort_label(c) for c in e.cohort], index=ids).dropna(),
                        [f"第{c}期" for c in sorted(int(x) for x in e.cohort.dropna().unique())]),
            "sections": (pd.Series(list(e.section), index=ids), list(b.sections.section)),
            "units": (units.dropna(), order_units)}


def _unit_key(label: str) -> tuple:
    m = re.match(r"第(\d+)期·(?:第(\d+)单元)?", label)
    return (int(m.group(1)), int(m.group(2)) if m.group(2) else 10**6, label) if m else (10**6, 10**6, label)


def set_diff(old: pd.Series, new: pd.Series) -> pd.DataFrame:
    """Names (index) with a count in each booklet (values): new / gone / kept. Columns: status, old_name, new_name,
    n_old, n_new."""
    rows = ([dict(status="kept", old_name=x, new_name=x, n_old=int(old[x]), n_new=int(new[x]))
             for x in old.index if x in new.index]
            + [dict(status="new", old_name="", new_name=x, n_old=0, n_new=int(new[x]))
               for x in new.index if x not in old.index]
            + [dict(status="gone", old_name=x, new_name="", n_old=int(old[x]), n_new=0)
               for x in old.index if x not in new.index])
    out = pd.DataFrame(rows, columns=["status", "old_name", "new_name", "n_old", "n_new"])
    return _ordered(out, ["old_name", "new_name"])


def people_diff(old, new) -> pd.DataFrame:
    """People by name and role (trainee / instructor), with the entries each takes part in."""
    parts = []
    for role in ("trainee", "instructor"):
        po = old.people[old.people.role == role].set_index("name").n_entries
        pn = new.people[new.people.role == role].set_index("name").n_entries
        parts.append(set_diff(po.sort_index(), pn.sort_index()).assign(role=role))
    out = pd.concat(parts, ignore_index=True)
    return _ordered(out[["status", "role", "old_name", "new_name", "n_old", "n_new"]], ["role", "old_name",
                                                                                         "new_name"])


def hospitals_diff(old, new) -> pd.DataFrame:
    """Hospitals of the askers, with the number of entries their trainees asked."""
    def counts(b) -> pd.Series:
        a = b.askers.dropna(subset=["hospital_canonical"])
        a = a[a.hospital_canonical != ""]
        return a.groupby("hospital_canonical").entry_id.nunique().sort_index()
    return set_diff(counts(old), counts(new))


def topics_diff(old_topics: pd.DataFrame, new_topics: pd.DataFrame, min_jaccard: float = 0.15) -> pd.DataFrame:
    """One-to-one matching of topics by the Jaccard overlap of their top terms (best pairs first). Columns: status,
    old_topic, old_name, new_topic, new_name, jaccard, shared_terms, n_old, n_new."""
    def terms(t: pd.DataFrame) -> list[list[str]]:
        return [[x for x in re.split(r"[、,，\s]+", str(s)) if x] for s in t.top_terms]

    to, tn = terms(old_topics), terms(new_topics)
    pairs = []
    for i, a in enumerate(to):
        for j, b in enumerate(tn):
            union = len(set(a) | set(b))
            pairs.append((len(set(a) & set(b)) / union if union else 0.0, i, j))
    pairs.sort(key=lambda x: (-x[0], x[1], x[2]))
    used_o, used_n, rows = set(), set(), []
    ro, rn = old_topics.reset_index(drop=True), new_topics.reset_index(drop=True)
    for jac, i, j in pairs:
        if jac < min_jaccard or i in used_o or j in used_n:
            continue
        used_o.add(i)
        used_n.add(j)
        same = ro.label[i] == rn.label[j]
        rows.append(dict(status="kept" if same else "renamed", old_topic=int(ro.topic_id[i]), old_name=ro.label[i],
                         new_topic=int(rn.topic_id[j]), new_name=rn.label[j], jaccard=jac,
                         shared_terms="、".join(t for t in tn[j] if t in set(to[i])),
                         n_old=int(ro["size"][i]), n_new=int(rn["size"][j])))
    rows += [dict(status="gone", old_topic=int(ro.topic_id[i]), old_name=ro.label[i], new_topic=pd.NA, new_name="",
                  jaccard=np.nan, shared_terms="", n_old=int(ro["size"][i]), n_new=0)
             for i in range(len(to)) if i not in used_o]
    rows += [dict(status="new", old_topic=pd.NA, old_name="", new_topic=int(rn.topic_id[j]), new_name=rn.label[j],
                  jaccard=np.nan, shared_terms="", n_old=0, n_new=int(rn["size"][j]))
             for j in range(len(tn)) if j not in used_n]
    cols = ["status", "old_topic", "old_name", "new_topic", "new_name", "jaccard", "shared_terms", "n_old", "n_new"]
    out = pd.DataFrame(rows, columns=cols).astype({"old_topic": "Int64", "new_topic": "Int64"})
    return _ordered(out, ["old_topic", "new_topic"])


def terms_diff(old_tokens: pd.DataFrame, old_entries: pd.DataFrame, new_tokens: pd.DataFrame,
               new_entries: pd.DataFrame, min_docs: int = 3, alpha: float = 0.05) -> pd.DataFrame:
    """Terms that appear or vanish (in ≥ ``min_docs`` entries of one booklet and none of the other), and terms
    whose share of entries changed (Fisher's exact test on entries, BH q ≤ ``alpha``). Columns: status, term,
    docs_old, n_old, docs_new, n_new, share_old, share_new, log_ratio (log₂ new/old share), p_value, q_value."""
    from .trends import keyness_entries

    offset = int(old_entries.entry_id.max()) + 1
    tokens = pd.concat([old_tokens, new_tokens.assign(entry_id=new_tokens.entry_id + offset)], ignore_index=True)
    entries = pd.concat([old_entries[["entry_id"]].assign(booklet="old"),
                         new_entries[["entry_id"]].assign(entry_id=new_entries.entry_id + offset, booklet="new")],
                        ignore_index=True)
    k = keyness_entries(tokens, entries, "booklet", min_docs=min_docs, alpha=alpha, all_pairs=True)
    k = k[k.group == "new"]
    cols = ["status", "term", "docs_old", "n_old", "docs_new", "n_new", "share_old", "share_new", "log_ratio",
            "p_value", "q_value"]
    if k.empty:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame({"term": k.term, "docs_old": k.docs_rest, "n_old": k.n_rest, "docs_new": k.docs_group,
                        "n_new": k.n_group, "share_old": k.share_rest, "share_new": k.share_group,
                        "log_ratio": k.log_ratio, "p_value": k.p_value, "q_value": k.q_value})
    status = np.where((out.docs_old == 0) & (out.docs_new >= min_docs), "new",
                      np.where((out.docs_new == 0) & (out.docs_old >= min_docs), "gone",
                               np.where(out.q_value <= alpha, np.where(out.log_ratio > 0, "rising", "falling"),
                                        "")))
    out.insert(0, "status", status)
    out = out[out.status != ""]
    return _ordered(out[cols], ["p_value", "term"])


def skipped_comparisons(old, new) -> dict[str, str]:
    """Why a comparison table is left empty (table → reason, in Chinese): topics are compared only when both
    studies fitted them (a booklet under the topic stage's minimum of entries has none)."""
    out = {}
    for which, s in (("旧版", old), ("新版", new)):
        if "topics" not in s.tables and "topics_diff" not in out:
            why = s.skipped.get("topics", "没有主题模型")
            out["topics_diff"] = f"{which}未拟合主题（{why}）"
    return out


def compare_studies(old, new, min_jaccard: float = 0.15) -> dict[str, pd.DataFrame]:
    """The comparison tables of two studies (each needs the ``tokens`` table; topics are compared when both have
    the ``topics`` table, else ``topics_diff`` is empty: see :func:`skipped_comparisons`)."""
    from .schema import empty

    ob, nb = old.booklet, new.booklet
    entries = entries_diff(ob, nb)
    go, gn = _entry_groups(ob), _entry_groups(nb)
    tables = {}
    for name in ("cohorts", "sections", "units"):
        (so, order_o), (sn, order_n) = go[name], gn[name]
        tables[f"{name}_diff"] = group_diff(so, sn, entries, order_o, order_n)
    tables["entries_diff"] = entries
    tables["people_diff"] = people_diff(ob, nb)
    tables["hospitals_diff"] = hospitals_diff(ob, nb)
    if "topics" in old.tables and "topics" in new.tables:
        tables["topics_diff"] = topics_diff(old.tables["topics"], new.tables["topics"], min_jaccard)
    else:
        tables["topics_diff"] = empty("topics_diff")
    tables["terms_diff"] = terms_diff(old.tables["tokens"], ob.entries, new.tables["tokens"], nb.entries)
    return tables


# ---------------------------------------------------------------- figures (never empty)

def _styled(func):
    """The figure made in the project style (:func:`corpus_tools.plots.style.styled`: its fonts, so "log₂"
    finds a glyph), imported when the figure is drawn."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .plots.style import styled

        return styled(func)(*args, **kwargs)

    return wrapper


def _message(fig, ax, text: str) -> None:
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=13, wrap=True, transform=ax.transAxes)


@_styled
def changes_figure(tables: dict[str, pd.DataFrame]):
    """Stacked bars: per kind of thing (期次, 栏目 …), how many are new, gone, renamed (kept ones are not drawn).
    When nothing changed, the figure says so."""
    from .plots.style import PALETTE, new_figure, row_height

    kinds = [n for n in DIFF_TABLES if n in tables]
    shown = ["new", "gone", "renamed", "rising", "falling"]
    counts = pd.DataFrame({s: [int((tables[n].status == s).sum()) for n in kinds] for s in shown},
                          index=[WHAT_ZH[n] for n in kinds])
    # one text row per kind of thing plus the title, the axis and the legend (8 kinds: about 2.7 in, not 5)
    fig = new_figure(height=row_height(len(kinds), extra=1.3))
    ax = fig.add_subplot()
    if counts.to_numpy().sum() == 0:
        _message(fig, ax, "两本合集之间没有变化：期次、栏目、单元、问答、人员、医院、主题与关键词都相同。")
        return fig
    colors = {"new": PALETTE[2], "gone": PALETTE[3], "renamed": PALETTE[1], "rising": PALETTE[0],
              "falling": PALETTE[7]}
    left = np.zeros(len(kinds))
    y = np.arange(len(kinds))[::-1]
    for s in shown:
        v = counts[s].to_numpy()
        if v.sum() == 0:
            continue
        ax.barh(y, v, left=left, color=colors[s], label=STATUS_ZH[s], height=0.6)
        for yi, li, vi in zip(y, left, v):
            if vi:
                ax.text(li + vi / 2, yi, str(vi), ha="center", va="center", color="white", fontsize=9)
        left = left + v
    ax.set_yticks(y, counts.index)
    ax.set_xlabel("项数")
    ax.set_title("新旧两版之间的变化（保留不变的不计）")
    ax.legend(loc="lower right", frameon=False, ncols=min(5, len(shown)))
    ax.margins(x=0.08)
    return fig


@_styled
def terms_figure(terms: pd.DataFrame, n: int = 12):
    """Key terms that changed most: log₂ ratio of the share of entries using them (new vs old); new and gone terms
    at the ends. When no term changed, the figure says so."""
    from .plots.style import PALETTE, new_figure, row_height

    t = terms.copy()
    if len(t):
        t["lr"] = t.log_ratio.astype(float)
        t = pd.concat([t[t.lr > 0].sort_values(["lr", "term"], ascending=[False, True], kind="stable").head(n),
                       t[t.lr < 0].sort_values(["lr", "term"], kind="stable").head(n)])
    fig = new_figure(height=row_height(max(len(t), 3), extra=1.1))
    ax = fig.add_subplot()
    if t.empty:
        _message(fig, ax, "新旧两版之间没有新出现或消失的词（至少 3 条问答使用），\n各词出现于问答的比例也没有显著变化（q ≤ 0.05）。")
        return fig
    t = t.sort_values("lr", kind="stable")
    y = np.arange(len(t))
    ax.barh(y, t.lr, color=[PALETTE[2] if v > 0 else PALETTE[3] for v in t.lr], height=0.65)
    ax.set_yticks(y, [f"{term}（{STATUS_ZH[s]}）" for term, s in zip(t.term, t.status)])
    ax.axvline(0, color="#555", lw=0.8)
    ax.set_xlabel("log₂（新版含该词的问答占比 / 旧版占比）")
    ax.set_title("关键词的变化：右侧在新版中更常见，左侧更少见")
    return fig


# ---------------------------------------------------------------- the whole comparison

MANIFEST = "comparison_manifest.json"


def compare_booklets(old_path: str | Path, new_path: str | Path, outdir: str | Path | None = None,
                     seed: int = 0, formats: tuple[str, ...] = ("png", "svg"), k: int | None = None,
                     params: Any = None, min_jaccard: float = 0.15, cache: Any = None) -> Comparison:
    """Read and analyse two booklets (the same :func:`~corpus_tools.analysis.analyse` as ``run``, with ``params`` or
    ``Params(seed, k)``) and compare them; with ``outdir`` write the tables (CSV + Parquet), the figures and
    ``comparison.html``. ``cache`` (see :class:`corpus_tools.pipeline.DiskCache`) reuses stage results, e.g. of an
    earlier ``run`` of the old booklet with the same parameters.

    Written as ``run`` writes (:class:`corpus_tools.store.StagedOutput`): the folder's lock is taken before
    anything is computed (a second compare into it is refused at once), every file goes to a staging folder and
    replaces the previous comparison only when all were written — a failure leaves the old one byte for byte."""
    from .study import Params

    params = params or Params(seed=seed, k=k, formats=tuple(formats))
    if outdir is None:
        return _compare(old_path, new_path, params, min_jaccard, cache)
    from .save import write_staged

    out = Path(outdir)

    def make() -> tuple[Comparison, dict]:
        result = _compare(old_path, new_path, params, min_jaccard, cache)
        result.outdir = out
        return result, comparison_files(result, tuple(formats), dict(old=str(old_path), new=str(new_path)), params)

    return write_staged(out, MANIFEST, make)


def _compare(old_path: str | Path, new_path: str | Path, params: Any, min_jaccard: float,
             cache: Any) -> Comparison:
    """Read, analyse (up to the topics) and compare two booklets; nothing is written."""
    from .booklet import read_booklet
    from .analysis import analyse
    from .workers import WorkerPool

    old_b, new_b = read_booklet(old_path), read_booklet(new_path)
    with WorkerPool(params.jobs) as pool:  # the topic-model fits of both booklets, in params.jobs processes
        old = analyse(old_b, params, stages=["topics"], cache=cache, executor=pool)
        new = analyse(new_b, params, stages=["topics"], cache=cache, executor=pool)
    result = Comparison(old, new, compare_studies(old, new, min_jaccard), skipped=skipped_comparisons(old, new))
    if "topic_model" in old.objects:  # the new booklet's entries in the old booklet's topics (carry.py)
        from .carry import carry_between

        result.tables.update(carry_between(old, new))
    return result


def comparison_figures(c: Comparison) -> dict[str, Any]:
    """Figure makers by stem: the overview of changes always, the key terms only when some term changed (an
    empty chart is left out; the page says why, see :data:`NO_TERMS`)."""
    figs = {"compare_changes": lambda: changes_figure(c.tables)}
    if len(c.tables["terms_diff"]):
        figs["compare_key_terms"] = lambda: terms_figure(c.tables["terms_diff"])
    return figs


NO_TERMS = ("关键词的变化没有画图：新旧两版之间没有新出现或消失的词（至少 3 条问答使用），"
            "各词出现于问答的比例也没有显著变化（q ≤ 0.05，q 为校正后的显著性）。")


def comparison_files(c: Comparison, formats: tuple[str, ...], paths: dict[str, str], params: Any) -> dict:
    """Everything ``compare`` writes, by relative name (pure): the tables (DataFrames), the figures (bytes per
    format), ``comparison.html`` and ``comparison_manifest.json``."""
    from .plots.style import figure_files

    files: dict[str, Any] = {name: conform(name, df) for name, df in c.tables.items()}
    svgs = {}
    for stem, make in comparison_figures(c).items():
        drawn = figure_files(make(), tuple(formats) + (() if "svg" in formats else ("svg",)))
        files.update({f"{stem}.{fmt}": drawn[fmt] for fmt in formats})
        svgs[stem] = drawn["svg"].decode("utf-8")
    files["comparison.html"] = comparison_report(c, svgs).render()
    # the files this comparison writes: the next one into the folder removes those it no longer writes
    names = sorted(f"{n}.{fmt}" if isinstance(v, pd.DataFrame) else n for n, v in files.items()
                   for fmt in (("csv", "parquet") if isinstance(v, pd.DataFrame) else ("",)))
    files[MANIFEST] = json.dumps(
        dict(old=dict(path=paths["old"], sha256=c.old.booklet.meta.get("sha256")),
             new=dict(path=paths["new"], sha256=c.new.booklet.meta.get("sha256")),
             params={k: (list(v) if isinstance(v, tuple) else v) for k, v in params.as_dict().items()},
             skipped=c.skipped, files=names),
        ensure_ascii=False, indent=2)
    return files


SECTIONS = [("cohorts_diff", "期次", "按期次统计的问答条数；所有问答都移到另一期号的期次记为“更名”。"),
            ("sections_diff", "栏目", "同名栏目为“保留”；换了名字、但问答大体相同的栏目记为“更名”。"),
            ("units_diff", "课程单元", "单元以“第几期·第几单元 标题”区分；问答整体移到另一期号或标题的单元记为“更名”。"),
            ("entries_diff", "问答", "按标题、再按提问原文配对；标题改了但提问相同的记为“更名”。"),
            ("topics_diff", "主题", "两版各自拟合主题，再按关键词重合度一一配对；配上但名称不同的记为“更名”。"),
            ("terms_diff", "关键词", "只列出新出现、消失（至少 3 条问答使用）或使用比例显著变化（q ≤ 0.05）的词。"),
            ("carried_topic_shares", "沿用旧版主题",
             "新版的问答按旧版的主题模型归类（同样的主题号与名称）：各主题问答占比，旧版对新版（Fisher 精确检验，BH q）。"),
            ("carried_topics", "新版问答归入的旧版主题",
             "吻合度 = 与旧版主题中心的余弦；低于阈值（旧版问答自身吻合度的第 10 百分位）的是候选的新主题。"),
            ("people_diff", "人员", "按姓名与身份（学员 / 教员）比较；条数为其参与的问答条数。"),
            ("hospitals_diff", "医院", "提问学员所在的医院；条数为该院学员提出的问答条数。")]


def comparison_report(c: Comparison, svgs: dict[str, str] | None = None):
    """The comparison page (:class:`corpus_tools.report.Report` with the comparison template)."""
    from .report import (TABLE_HEADERS, Report, booklet_text, figure_block, figure_svg, numbers_block, table_block,
                         table_view, text_block)

    o, n = c.old.booklet, c.new.booklet
    rep = Report("两版问答合集对比", f"{Path(str(o.meta.get('source'))).name} → {Path(str(n.meta.get('source'))).name}",
                 template="comparison.html.j2")
    t = c.tables
    count = lambda name, s: int((t[name].status == s).sum())  # noqa: E731
    rep.add("overview", "概览", numbers_block([
        ("旧版问答", len(o.entries)), ("新版问答", len(n.entries)), ("新增问答", count("entries_diff", "new")),
        ("消失的问答", count("entries_diff", "gone")), ("新期次", count("cohorts_diff", "new")),
        ("更名的栏目", count("sections_diff", "renamed")), ("新主题", count("topics_diff", "new")),
        ("新医院", count("hospitals_diff", "new"))]))
    svgs = dict(svgs or {})
    captions = {"compare_changes": ("各类对象的变化", "每类对象中新增、消失、更名（关键词：增多、减少）的项数。",
                                    "见各表说明", "cohorts_diff 等"),
                "compare_key_terms": ("关键词的变化", "新版与旧版相比，含该词的问答占比的对数比。",
                                      "逐条问答计数，Fisher 精确检验，Benjamini–Hochberg 校正", "terms_diff")}
    for stem, make in comparison_figures(c).items():
        svg = svgs.get(stem) or figure_svg(make())
        title, caption, method, source = captions[stem]
        rep.sections[0].blocks.append(figure_block(stem, svg, title, caption, method, source))
    if "compare_key_terms" not in comparison_figures(c):
        rep.sections[0].blocks.append(text_block(NO_TERMS))
    for name, title, intro in SECTIONS:
        if name not in t:  # the carried-topic tables exist only when the old study kept its topic model
            continue
        df = t[name]
        rep.add(name.replace("_", "-"), title, table_block(table_view(
            df, f"table-{name}", intro=intro, searchable=len(df) > 15, headers=TABLE_HEADERS.get(name),
            note="" if len(df) else f"（{'未比较：' + c.skipped[name] if name in c.skipped else '没有可列出的项'}）")))
    rep.font_text = booklet_text(o) + booklet_text(n)
    return rep
