"""Short written findings generated from the tables (never hard-coded): what a curriculum designer should read
first. Each function takes tables and returns sentences (Chinese, as the designers read them)."""

from __future__ import annotations

import pandas as pd


def coverage_findings(curric: pd.DataFrame, coverage_units: pd.DataFrame, homeless_by_section: pd.DataFrame,
                      max_items: int = 3) -> list[str]:
    out: list[str] = []
    top = coverage_units.iloc[0] if len(coverage_units) else None
    if top is not None:
        out.append(f"问答最多的课程单元是“{top.unit_title}”（{top.cohorts}，共 {top.n_questions} 条），"
                   f"关键词：{top.key_terms or '（无显著关键词）'}。")
    for cohort, grp in curric.groupby("cohort"):
        zero = grp[grp.n_entries == 0]
        if len(zero):
            names = "、".join(f"第{int(r.unit_no)}单元" + (f"“{r.unit_title}”" if r.unit_title else "")
                             + ("（标题据他期推断）" if r.title_source == "inferred" else "")
                             for r in zero.itertuples())
            out.append(f"第{int(cohort)}期有 {len(zero)} 个单元没有问答入册：{names}。")
        one = grp[grp.n_entries == 1]
        if len(one):
            out.append(f"第{int(cohort)}期只引出 1 条问答的单元：" +
                       "、".join(f"第{int(r.unit_no)}单元“{r.unit_title}”" for r in one.itertuples()) + "。")
    h = homeless_by_section[homeless_by_section.n_entries >= 3].head(max_items)
    for r in h.itertuples():
        out.append(f"栏目“{r.section}”的 {r.n_entries} 条问答中有 {r.n_without_home} 条"
                   f"（{r.share_without_home:.0%}）的提问与其来源单元的标题没有共同的实词——这些问题在课程中缺少“归属”。")
    return out


def trend_findings(emerging_fading: pd.DataFrame, max_terms: int = 4) -> list[str]:
    out: list[str] = []
    if emerging_fading is None or emerging_fading.empty:
        return out
    for (a, b), grp in emerging_fading.groupby(["from_cohort", "to_cohort"], sort=True):
        for call, word in (("emerging", "明显增多"), ("fading", "明显减少")):
            g = grp[grp.call == call].sort_values(["g2", "term"], ascending=[False, True]).head(max_terms)
            if len(g):
                items = "、".join(f"{r.term}（每万词 {r.per_10k_from:.0f}→{r.per_10k_to:.0f}，"
                                  f"{r.docs_from}→{r.docs_to} 条，G²={r.g2:.1f}）" for r in g.itertuples())
                out.append(f"第{int(a)}期→第{int(b)}期{word}的词：{items}。")
    return out


def topic_findings(topics: pd.DataFrame, homeless_by_topic: pd.DataFrame | None = None,
                   instructors_by_topic: pd.DataFrame | None = None) -> list[str]:
    out = [f"问答可分为 {len(topics)} 个主题，最大的是“{topics.label.iloc[0]}”（{int(topics['size'].iloc[0])} 条），"
           f"最小的是“{topics.label.iloc[-1]}”（{int(topics['size'].iloc[-1])} 条）。"] if len(topics) else []
    if homeless_by_topic is not None and len(homeless_by_topic):
        r = homeless_by_topic[homeless_by_topic.n_entries >= 3].head(1)
        for x in r.itertuples():
            out.append(f"主题“{topics.label[int(x.topic_id)]}”的提问最常落在标题不相干的单元里"
                       f"（{x.n_without_home}/{x.n_entries} 条）。")
    return out
