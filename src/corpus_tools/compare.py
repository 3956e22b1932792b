"""Compare two booklets (an earlier and a later session): what is new, what vanished.

- topics: each booklet's topics are fitted on its own; a new topic matches an old one when their top terms overlap
  (Jaccard ≥ ``min_jaccard``); unmatched new topics are *new*, unmatched old ones *vanished*;
- key terms: keyness of the new booklet against the old one (G², log ratio, p);
- units: unit titles gained and lost; hospitals and people returning, new and gone.
Outputs: tables, a figure and a section for the report (``comparison.html``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .booklet import Booklet, read_booklet
from .features import document_term_matrix
from .report import Report, esc, list_html, numbers_html, table_html
from .store import write_table, write_text
from .text import ChineseTokenizer, tokenizer_for, tokens_table
from .topics import TopicSettings, select_and_fit, top_terms, topic_tables
from .trends import keyness


@dataclass
class Comparison:
    old: Booklet
    new: Booklet
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    outdir: Path | None = None

    def summary(self) -> str:
        t = self.tables
        lines = ["Comparison", f"  old  {self.old.meta.get('source')}: {len(self.old.entries)} entries",
                 f"  new  {self.new.meta.get('source')}: {len(self.new.entries)} entries"]
        topics = t["topic_matches"]
        lines.append(f"  topics   {int((topics.status == 'new').sum())} new, {int((topics.status == 'vanished').sum())}"
                     f" vanished, {int((topics.status == 'kept').sum())} kept")
        units = t["units_diff"]
        for status in ("gained", "lost", "kept"):
            lines.append(f"  units {status:<7}" + "、".join(units[units.status == status].unit_title))
        for name in ("hospitals_diff", "people_diff"):
            d = t[name]
            lines.append(f"  {name.split('_')[0]:<9} " + ", ".join(f"{s} {int((d.status == s).sum())}"
                                                                   for s in ("new", "returning", "gone")))
        if self.outdir:
            lines.append(f"  outputs  {self.outdir.resolve()}")
        return "\n".join(lines)


def _topics(b: Booklet, tk: ChineseTokenizer, tokens: pd.DataFrame, seed: int):
    s = TopicSettings()
    dtm = document_term_matrix(tokens, b, s.view, s.min_df, s.max_df, dict(s.weights), exclude=set(tk.names))
    fit, _ = select_and_fit(dtm, s, seed)
    return fit, dtm, topic_tables(fit, dtm)["topics"]


def match_topics(old_terms: list[list[str]], new_terms: list[list[str]], old_labels: list[str],
                 new_labels: list[str], min_jaccard: float = 0.15) -> pd.DataFrame:
    """Greedy one-to-one matching of topics by the Jaccard overlap of their top terms (best pairs first)."""
    pairs = []
    for i, a in enumerate(old_terms):
        for j, b in enumerate(new_terms):
            inter, union = len(set(a) & set(b)), len(set(a) | set(b))
            pairs.append((inter / union if union else 0.0, i, j))
    pairs.sort(key=lambda x: (-x[0], x[1], x[2]))
    used_o, used_n, rows = set(), set(), []
    for jac, i, j in pairs:
        if jac < min_jaccard or i in used_o or j in used_n:
            continue
        used_o.add(i)
        used_n.add(j)
        rows.append(dict(status="kept", old_topic=i, old_label=old_labels[i], new_topic=j, new_label=new_labels[j],
                         jaccard=jac, shared_terms="、".join(t for t in new_terms[j] if t in set(old_terms[i]))))
    rows += [dict(status="vanished", old_topic=i, old_label=old_labels[i], new_topic=None, new_label="",
                  jaccard=0.0, shared_terms="") for i in range(len(old_terms)) if i not in used_o]
    rows += [dict(status="new", old_topic=None, old_label="", new_topic=j, new_label=new_labels[j], jaccard=0.0,
                  shared_terms="") for j in range(len(new_terms)) if j not in used_n]
    return pd.DataFrame(rows).astype({"old_topic": "Int64", "new_topic": "Int64"})


def _set_diff(old: set[str], new: set[str], column: str) -> pd.DataFrame:
    rows = ([dict(status="returning", **{column: x}) for x in sorted(old & new)]
            + [dict(status="new", **{column: x}) for x in sorted(new - old)]
            + [dict(status="gone", **{column: x}) for x in sorted(old - new)])
    return pd.DataFrame(rows, columns=["status", column])


def compare_booklets(old_path: str | Path, new_path: str | Path, outdir: str | Path | None = None,
                     seed: int = 0, formats: tuple[str, ...] = ("png", "svg")) -> Comparison:
    """Compare two booklets; with ``outdir`` write the tables, a figure and ``comparison.html``."""
    old, new = read_booklet(old_path), read_booklet(new_path)
    tk_old, tk_new = tokenizer_for(old), tokenizer_for(new)
    tok_old, tok_new = tokens_table(old, tk_old), tokens_table(new, tk_new)
    fit_o, dtm_o, topics_o = _topics(old, tk_old, tok_old, seed)
    fit_n, dtm_n, topics_n = _topics(new, tk_new, tok_new, seed)
    matches = match_topics(top_terms(fit_o, dtm_o.terms, 10), top_terms(fit_n, dtm_n.terms, 10),
                           list(topics_o.label), list(topics_n.label))
    # key terms: the new booklet against the old one, as two groups of one combined corpus
    offset = int(old.entries.entry_id.max())
    both_tokens = pd.concat([tok_old.assign(booklet="old"),
                             tok_new.assign(entry_id=tok_new.entry_id + offset, booklet="new")])
    both_entries = pd.concat([old.entries[["entry_id"]].assign(booklet="old"),
                              new.entries[["entry_id"]].assign(entry_id=new.entries.entry_id + offset,
                                                               booklet="new")])
    key = keyness(both_tokens.drop(columns="booklet"), both_entries, "booklet")
    key_new = key[(key.group == "new") & (key.p_g2 < 0.05)].copy()
    key_new["status"] = ["new_key" if g > 0 else "faded" for g in key_new.g2]
    units = _set_diff(set(old.units.unit_title.dropna()) - {""}, set(new.units.unit_title.dropna()) - {""},
                      "unit_title")
    units["status"] = units.status.map({"returning": "kept", "new": "gained", "gone": "lost"})
    hosp = _set_diff(set(old.hospitals.hospital), set(new.hospitals.hospital), "hospital")
    people = pd.concat([
        _set_diff(set(old.people[old.people.role == r].name), set(new.people[new.people.role == r].name),
                  "name").assign(role=r) for r in ("trainee", "instructor")], ignore_index=True)
    tables = {"topic_matches": matches, "key_terms_new_vs_old": key_new.reset_index(drop=True),
              "units_diff": units, "hospitals_diff": hosp, "people_diff": people}
    result = Comparison(old, new, tables)
    if outdir is not None:
        out = Path(outdir)
        result.outdir = out
        for name, df in tables.items():
            write_table(df, out, name)
        from .plots.style import save_figure
        from .plots.trends import keyness_bars

        fig = keyness_bars(key.assign(group=key.group.map({"new": "新一期 vs 旧一期", "old": "旧一期 vs 新一期"})),
                           ["新一期 vs 旧一期"], title="新旧两期的关键词变化")
        save_figure(fig, out / "compare_key_terms", formats)
        write_text(out / "comparison.html", comparison_report(result, out).render())
        write_text(out / "comparison_manifest.json", json.dumps(
            dict(old=dict(path=str(old_path), sha256=old.meta.get("sha256")),
                 new=dict(path=str(new_path), sha256=new.meta.get("sha256")), seed=seed), ensure_ascii=False,
            indent=2))
    return result


def comparison_report(c: Comparison, outdir: Path) -> Report:
    t = c.tables
    rep = Report("两期问答合集对比", f"{Path(str(c.old.meta.get('source'))).name} → "
                                       f"{Path(str(c.new.meta.get('source'))).name}")
    m = t["topic_matches"]
    rep.add("numbers", "概览", numbers_html([
        ("旧一期问答", len(c.old.entries)), ("新一期问答", len(c.new.entries)),
        ("新出现的主题", int((m.status == "new").sum())), ("消失的主题", int((m.status == "vanished").sum())),
        ("新增单元", int((t["units_diff"].status == "gained").sum())),
        ("新医院", int((t["hospitals_diff"].status == "new").sum()))]))
    sentences = []
    for r in m[m.status == "new"].itertuples():
        sentences.append(f"新主题：{r.new_label}")
    for r in m[m.status == "vanished"].itertuples():
        sentences.append(f"消失的主题：{r.old_label}")
    rep.add("topics", "主题的变化", list_html(sentences) + table_html(m))
    svg = outdir / "compare_key_terms.svg"
    fig = svg.read_text(encoding="utf-8") if svg.exists() else ""
    rep.add("terms", "关键词的变化", (fig[fig.index("<svg"):] if fig else "")
            + table_html(t["key_terms_new_vs_old"][["term", "count", "count_rest", "g2", "p_g2", "log_ratio",
                                                    "status"]].head(40)))
    rep.add("units", "课程单元", table_html(t["units_diff"]))
    rep.add("people", "医院与人员", table_html(t["hospitals_diff"]) + table_html(t["people_diff"]))
    return rep
