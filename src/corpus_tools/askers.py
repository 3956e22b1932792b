"""Who asks: how concentrated the questions are among the trainees who ask them, and what different kinds of
hospital ask about.

- :func:`asker_concentration` (table ``askers_summary``): per cohort, every trainee who opened an entry, ranked by
  the entries they opened, with the cumulative share of the cohort's entries.
- :func:`hospital_kinds` (table ``hospital_kinds``): the kind of each asker's hospital read from the label as
  printed (hospital, bracketed alias, department) by the rules of ``resources/hospital_kinds.txt``
  (``kind<TAB>标签<TAB>regex``; 县/区级医院, 高校附属医院, 集团与多院区 …): one row per (kind, hospital).
- :func:`kind_section_tests` (table ``hospital_kind_tests``): for each kind and section, the entries opened by
  askers of that kind against the other entries (Fisher's exact test, two-sided), Benjamini–Hochberg q over every
  (kind, section) pair tested. A comparison is claimed only where q ≤ 0.05.

A hospital's kind is read from all the spellings and bracketed aliases printed for its canonical hospital (so a
trainee printed once as 台州恩泽医疗中心（集团） and once as 浙江省台州恩泽医疗中心 counts in both entries), plus its
own department text. County-level divisions are also read with a gazetteer (``resources/county_divisions.csv``, the
national division codes): a county, district or county-level city named after its own province or prefecture
(深圳市龙岗…, 陕西省神木市…) or in full at the start of the name. Membership of a group is inherited across a
trainee's hospitals (:data:`INHERITED_KINDS`): a trainee who signs once as of a group (曹坤, 台州恩泽医疗中心（集团）,
l.2243) and elsewhere as of one of its hospitals (浙江省台州医院, l.1372) asks from the group in every entry.

An asker is a trainee who opens an entry (``askers.opens_entry``); an entry opened by two trainees counts for each.
Entries opened by an instructor or by an unnamed trainee count in their cohort's total but for no asker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from .stats import bh_qvalues, fisher_test

INHERITED_KINDS = ("group_multisite",)  # kinds a trainee's other hospitals inherit (a group's member hospital)
_COUNTY_SUFFIX = re.compile(r"(自治县|自治旗|林区|特区|区|县|市|旗)$")
_PARENT_SUFFIX = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|自治区|自治州|地区|省|市|盟)$")
TOP_N = 5  # the concentration finding: share of the cohort's entries opened by its TOP_N most active askers
MIN_KIND_ENTRIES = 3  # a kind is tested against the sections only when its askers opened at least this many entries


@dataclass(frozen=True)
class KindRule:
    """One hospital-kind rule: ``kind`` (id), ``label`` (Chinese, for readers), ``pattern`` (regex on the label)."""

    kind: str
    label: str
    pattern: re.Pattern


def load_kind_rules(path: str | None = None) -> tuple[KindRule, ...]:
    """The rules of ``resources/hospital_kinds.txt`` (or of the file at ``path``), in file order."""
    from .resources import load_list

    rules = []
    for line in load_list("hospital_kinds.txt", path):
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"hospital kind rule needs kind<TAB>label<TAB>regex: {line!r}")
        rules.append(KindRule(parts[0].strip(), parts[1].strip(), re.compile(parts[2].strip())))
    return tuple(rules)


def load_county_divisions(path: str | None = None) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """The county-level divisions of ``resources/county_divisions.csv``: (full name, short name, parent names —
    prefecture and province, each in full and short)."""
    import csv

    from .resources import load_list

    out = []
    for row in csv.reader(load_list("county_divisions.csv", path)):
        if len(row) < 4 or row[0] == "adcode":
            continue
        _, county, pref, prov = row[:4]
        parents = tuple(dict.fromkeys(x for p in (pref, prov) if p for x in (p, _PARENT_SUFFIX.sub("", p))
                                      if len(x) >= 2))
        out.append((county, _COUNTY_SUFFIX.sub("", county), parents))
    return tuple(out)


def county_in_name(name: str, divisions) -> str:
    """The county-level division a hospital's name gives (“深圳市龙岗” → 龙岗区), as the matched text, or "": a
    division's full name at the start of the name or right after its own prefecture or province, or its short
    name (≥ 2 characters) right after its own prefecture or province."""
    for full, short, parents in divisions:
        for form in dict.fromkeys((full, short)):
            if len(form) < 2:
                continue
            start = name.find(form)
            while start >= 0:
                before = name[:start]
                parent = next((p for p in parents if before.endswith(p)), None)
                if parent or (form == full and start == 0):
                    return f"{parent or ''}{form}（县级行政区）"
                start = name.find(form, start + 1)
    return ""


def _openers(askers: pd.DataFrame) -> pd.DataFrame:
    """Named trainees who open an entry: one row per (entry, trainee)."""
    a = askers[askers.opens_entry.fillna(False).astype(bool) & (askers.role == "trainee")]
    return a[a.name.fillna("") != ""].copy()


def asker_concentration(entries: pd.DataFrame, askers: pd.DataFrame) -> pd.DataFrame:
    """Table ``askers_summary``: one row per (cohort, asker), ranked within the cohort by entries opened (ties by
    first entry), with ``share`` = n_entries / cohort entries and ``cum_share`` down the ranking (0–1)."""
    op = _openers(askers).merge(entries[["entry_id", "cohort"]], on="entry_id", how="left")
    n_cohort = entries.groupby("cohort").entry_id.nunique()
    rows = []
    for cohort, g in op.groupby("cohort", sort=True):
        per = (g.groupby("name").agg(n_entries=("entry_id", "nunique"), first=("entry_id", "min"),
                                     hospital=("hospital_canonical", lambda h: "；".join(dict.fromkeys(
                                         x for x in h if isinstance(x, str) and x))),
                                     ids=("entry_id", lambda s: ",".join(str(int(i)) for i in sorted(set(s)))))
               .reset_index().sort_values(["n_entries", "first", "name"], ascending=[False, True, True],
                                          kind="stable"))
        total = int(n_cohort.get(cohort, 0))
        seen: set[int] = set()
        for rank, r in enumerate(per.itertuples(), start=1):
            seen |= {int(i) for i in r.ids.split(",")}
            cum = len(seen)  # distinct entries: an entry opened by two askers counts once
            rows.append(dict(cohort=int(cohort), rank=rank, asker=r.name, hospital=r.hospital,
                             n_entries=int(r.n_entries), n_cohort_entries=total, share=r.n_entries / total,
                             cum_entries=cum, cum_share=cum / total, n_askers=len(per), entry_ids=r.ids))
    cols = ["cohort", "rank", "asker", "hospital", "n_entries", "n_cohort_entries", "share", "cum_entries",
            "cum_share", "n_askers", "entry_ids"]
    return pd.DataFrame(rows, columns=cols)


def _label_text(r) -> str:
    return "".join(str(x) for x in (r.hospital, r.hospital_alias, r.department) if isinstance(x, str))


def _canonical(r) -> str:
    c = getattr(r, "hospital_canonical", None)
    return c if isinstance(c, str) and c else (r.hospital if isinstance(r.hospital, str) else "")


def hospital_names(askers: pd.DataFrame) -> dict[str, str]:
    """Every spelling and bracketed alias printed for each canonical hospital, joined: ``{canonical: text}``."""
    names: dict[str, list[str]] = {}
    for r in askers.itertuples():
        c = _canonical(r)
        if c:
            names.setdefault(c, [c])
            names[c] += [x for x in (r.hospital, r.hospital_alias) if isinstance(x, str) and x]
    return {c: "；".join(dict.fromkeys(v)) for c, v in names.items()}


def asker_kinds(askers: pd.DataFrame, rules: tuple[KindRule, ...], divisions=None) -> pd.DataFrame:
    """Every opening asker's hospital kinds: rows (entry_id, name, hospital, kind, label, evidence), one per
    matching rule (an asker whose label matches no rule has no row). The rules read all the spellings and aliases
    of the asker's canonical hospital plus the department; the county rule also the gazetteer
    (:func:`county_in_name`); kinds of :data:`INHERITED_KINDS` pass to the trainee's other hospitals."""
    divisions = load_county_divisions() if divisions is None else divisions
    names = hospital_names(askers)
    openers = _openers(askers)
    matched: dict[tuple[str, str], list[tuple[str, str, str]]] = {}  # (hospital, department) → (kind, label, text)
    rows = []
    for r in openers.itertuples():
        hosp = _canonical(r)
        dept = "".join(x for x in (r.department,) if isinstance(x, str))
        if (hosp, dept) not in matched:  # the rules read only these two: once per pair, not per entry
            text = names.get(hosp, "") + "；" + dept
            found_all = []
            for rule in rules:
                m = rule.pattern.search(text)
                found = m.group(0) if m else ""
                if not found and rule.kind == "county_district":
                    found = next((e for n in names.get(hosp, "").split("；")
                                  if (e := county_in_name(n, divisions))), "")
                if found:
                    found_all.append((rule.kind, rule.label, found))
            matched[(hosp, dept)] = found_all
        for kind, label, found in matched[(hosp, dept)]:
            rows.append(dict(entry_id=int(r.entry_id), name=r.name, hospital=hosp, kind=kind, label=label,
                             evidence=found))
    out = pd.DataFrame(rows, columns=["entry_id", "name", "hospital", "kind", "label", "evidence"])
    inherited = []
    for kind in INHERITED_KINDS:
        by_name = dict(list(out[out.kind == kind].groupby("name", sort=False)))  # each trainee's rows of the kind
        for r in openers.itertuples():
            have = by_name.get(r.name)
            if have is None:
                continue
            hosp = _canonical(r)
            mine = have[have.hospital != hosp]
            if len(mine) and not (have.entry_id == int(r.entry_id)).any():
                ev = str(mine.evidence.iloc[0])
                spelling = next((n for n in names.get(mine.hospital.iloc[0], "").split("；") if ev in n),
                                mine.hospital.iloc[0])
                inherited.append(dict(entry_id=int(r.entry_id), name=r.name, hospital=hosp, kind=kind,
                                      label=mine.label.iloc[0], evidence=f"同一学员{r.name}另署名{spelling}"))
    if inherited:
        out = pd.concat([out, pd.DataFrame(inherited)], ignore_index=True)
    return out


def hospital_kinds(askers: pd.DataFrame, rules: tuple[KindRule, ...] | None = None) -> pd.DataFrame:
    """Table ``hospital_kinds``: one row per (kind, hospital) in rule order, hospitals by entries opened; the
    matched text, the askers and the entries they opened."""
    rules = load_kind_rules() if rules is None else rules
    k = asker_kinds(askers, rules)
    if k.empty:
        return pd.DataFrame(columns=["kind", "label", "hospital", "evidence", "askers", "n_entries", "entry_ids"])
    order = {r.kind: i for i, r in enumerate(rules)}
    rows = []
    for (kind, hosp), g in k.groupby(["kind", "hospital"], sort=False):
        rows.append(dict(kind=kind, label=g.label.iloc[0], hospital=hosp,
                         evidence="、".join(dict.fromkeys(g.evidence)), askers="、".join(dict.fromkeys(g.name)),
                         n_entries=g.entry_id.nunique(),
                         entry_ids=",".join(str(i) for i in sorted(set(g.entry_id)))))
    out = pd.DataFrame(rows, columns=["kind", "label", "hospital", "evidence", "askers", "n_entries", "entry_ids"])
    out["_o"] = out.kind.map(order)
    return (out.sort_values(["_o", "n_entries", "hospital"], ascending=[True, False, True], kind="stable")
            .drop(columns="_o").reset_index(drop=True))


def kind_section_tests(entries: pd.DataFrame, kinds: pd.DataFrame, min_entries: int = MIN_KIND_ENTRIES
                       ) -> pd.DataFrame:
    """Table ``hospital_kind_tests``: for every kind whose askers opened ≥ ``min_entries`` entries (and not all of
    them) and every section, k₁ of n₁ entries of that kind are in the section against k₂ of n₂ other entries;
    Fisher's exact test (two-sided), BH q over every row."""
    rows = []
    all_ids = set(entries.entry_id.astype(int))
    section_of = dict(zip(entries.entry_id.astype(int), entries.section))
    sections = list(dict.fromkeys(entries.section))
    for kind, g in kinds.groupby("kind", sort=False):
        ids = {int(i) for s in g.entry_ids for i in str(s).split(",") if i}
        rest = all_ids - ids
        if len(ids) < min_entries or not rest:
            continue
        for s in sections:
            in_k = sorted(i for i in ids if section_of[i] == s)
            in_r = sum(1 for i in rest if section_of[i] == s)
            rows.append(dict(kind=kind, label=g.label.iloc[0], section=s, k_kind=len(in_k), n_kind=len(ids),
                             k_rest=in_r, n_rest=len(rest), share_kind=len(in_k) / len(ids),
                             share_rest=in_r / len(rest), entry_ids=",".join(map(str, in_k))))
    out = pd.DataFrame(rows, columns=["kind", "label", "section", "k_kind", "n_kind", "k_rest", "n_rest",
                                      "share_kind", "share_rest", "entry_ids"])
    if len(out):
        out["p_value"] = fisher_test(out.k_kind, out.n_kind, out.k_rest, out.n_rest)
        out["q_value"] = bh_qvalues(out.p_value.to_numpy())
    else:
        out["p_value"], out["q_value"] = pd.Series(dtype=float), pd.Series(dtype=float)
    return out


# ---------------------------------------------------------------- findings

def _opened_by_others(entries: pd.DataFrame, cohort: int, named: set[int]) -> str:
    """The clause for a cohort's entries no named trainee opened: by an instructor (named) or by an unnamed
    trainee, with their entry numbers ("" when there are none)."""
    e = entries[(entries.cohort == cohort) & ~entries.entry_id.isin(named)]
    if e.empty:
        return ""
    parts = []
    by_instructor = e[e.asked_by_role.fillna("") == "instructor"]
    if len(by_instructor):
        parts.append("、".join(f"第 {int(r.entry_id)} 条由教员{r.asked_by}" for r in by_instructor.itertuples()
                              if not pd.isna(r.asked_by)) or f"{len(by_instructor)} 条由教员")
    unnamed = e[e.asked_by_role.fillna("") != "instructor"]
    if len(unnamed):
        parts.append(f"{len(unnamed)} 条（第 {'、'.join(str(int(i)) for i in unnamed.entry_id)} 条）由未署名的学员")
    return "，另有" + ("" if parts[0].startswith("第") else " ") + "、".join(parts) + "开启"


_N_PEOPLE = {2: "两", 3: "三"}


def _co_opened(g: pd.DataFrame) -> str:
    """The clause naming a cohort's entries opened by two or more trainees (each counted once in the sentence's
    entry counts), e.g. "（其中第 31 条由柳明、金忠林两位学员开启，只计一条）"; "" when there are none. ``g``: the cohort's rows
    of ``askers_summary``, in rank order."""
    openers: dict[int, list[str]] = {}
    for r in g.itertuples():
        for i in str(r.entry_ids).split(","):
            if i:
                openers.setdefault(int(i), []).append(str(r.asker))
    shared = {i: names for i, names in sorted(openers.items()) if len(names) > 1}
    if not shared:
        return ""
    return "（其中" + "；".join(f"第 {i} 条由{'、'.join(names)}{_N_PEOPLE.get(len(names), f'{len(names)} ')}位学员开启"
                             for i, names in shared.items()) + ("，各只计一条）" if len(shared) > 1 else "，只计一条）")


def _entries_by_asker(conc: pd.DataFrame | None) -> dict[str, set[int]]:
    """Each trainee's opened entries over all cohorts, from ``askers_summary`` (``conc``); {} without it."""
    per: dict[str, set[int]] = {}
    for r in ([] if conc is None else conc.itertuples()):
        per.setdefault(str(r.asker), set()).update(int(i) for i in str(r.entry_ids).split(",") if i)
    return per


#: what a kind's label may suggest and the names do not tell (r11: 4 of the 5 county or district hospitals are in
#: city districts of 深圳, 上海 and 武汉)
DISTRICT_NOTE = {"county_district": "“区”也包括直辖市和大城市的市辖区，区级医院不一定是基层医院。"}


def _followers_only(askers: pd.DataFrame | None, entries: pd.DataFrame, cohort: int, openers: set[str]) -> str:
    """"，另有 1 位（方卫青）只在别人开启的问答里提问": the named trainees of a cohort's entries who open none of
    them; "" when there is none or no ``askers`` table."""
    if askers is None or not {"entry_id", "name", "role"} <= set(askers):
        return ""
    ids = set(entries.entry_id[entries.cohort == cohort].astype(int))
    them = askers[askers.entry_id.astype(int).isin(ids) & (askers.role == "trainee")].name.dropna().astype(str)
    only = sorted({n for n in them if n and n not in openers})
    return f"，另有 {len(only)} 位（{'、'.join(only)}）只在别人开启的问答里提问" if only else ""


def _mostly_one_asker(per: dict[str, set[int]], ids: set[int]) -> str:
    """"（其中 7 条由曹坤一人开启）" when one trainee opened at least 40 % of ``ids`` (and ``ids`` has ≥ 4 entries):
    what a kind of hospital asks is then much what one person asks (3 of 7 county and district entries are 童杰's:
    r11); "" otherwise. ``per``: :func:`_entries_by_asker`."""
    if not per or len(ids) < 4:
        return ""
    best = sorted(per, key=lambda a: (-len(per[a] & ids), a))[0]
    k = len(per[best] & ids)
    return f"（其中 {k} 条由{best}一人开启）" if 5 * k >= 2 * len(ids) else ""


def askers_findings(tables: dict[str, pd.DataFrame], entries: pd.DataFrame, top_n: int = TOP_N,
                    alpha: float = 0.05, askers: pd.DataFrame | None = None) -> list[dict]:
    """Rows of the findings table (kind "askers"): the concentration of askers per cohort, the hospital kinds with
    their entries, and what the kind × section tests allow (q ≤ ``alpha``), or that nothing does. ``askers`` (the
    booklet's table): the named trainees who only ask in entries others opened are counted apart (r11)."""
    from .findings import _fmt_p, _row

    rows: list[dict] = []
    conc = tables.get("askers_summary")
    if conc is not None and len(conc):
        for cohort, g in conc.groupby("cohort", sort=True):
            n = int(g.n_cohort_entries.iloc[0])
            top = g[(g["rank"] <= top_n) & (g.n_entries >= 2)]
            if top.empty:
                rows.append(_row("askers", f"第{int(cohort)}期的 {n} 条问答由 {len(g)} 位署名学员开启{_co_opened(g)}，"
                                 "每人一条：没有集中在少数人身上。",
                                 f"{len(g)} 位学员各 1 条", ids=[int(i) for s in g.entry_ids for i in str(s).split(",")]))
                continue
            ids = {int(i) for s in top.entry_ids for i in str(s).split(",") if i}
            rest = g[~g.index.isin(top.index)]
            rest_ids = {int(i) for s in rest.entry_ids for i in str(s).split(",") if i} - ids
            who = "、".join(f"{r.asker} {int(r.n_entries)} 条" for r in top.itertuples())
            many = len(ids) / n >= 0.5 and len(top) <= len(g) / 2
            named = {int(i) for s in g.entry_ids for i in str(s).split(",") if i}
            other = _opened_by_others(entries, int(cohort), named)
            rows.append(_row("askers", f"第{int(cohort)}期的 {n} 条问答中，开启问答最多的 {len(top)} 位学员开启了 {len(ids)} 条"
                             f"（{len(ids) / n:.0%}），其余 {len(rest)} 位署名学员共 {len(rest_ids)} 条{_co_opened(g)}{other}"
                             + ("：这一期入册的问题有一半以上来自少数几位学员，反映的首先是他们的关注。" if many else "。"),
                             f"{who}（只计开启 ≥ 2 条、排名前 {top_n} 的学员）；共 {len(g)} 位署名学员开启问答"
                             + _followers_only(askers, entries, int(cohort), set(g.asker)), ids=ids,
                             caveat="本册是编选的问答：入册多少也取决于编者。"))
    kinds = tables.get("hospital_kinds")
    if kinds is not None and len(kinds):
        by_asker = _entries_by_asker(conc)
        for kind, g in kinds.groupby("kind", sort=False):
            ids = {int(i) for s in g.entry_ids for i in str(s).split(",") if i}
            sec = entries[entries.entry_id.isin(ids)].section.value_counts()
            rows.append(_row("askers", f"{g.label.iloc[0]}（按医院名称与署名判断：{len(g)} 家医院）的学员开启了 {len(ids)} 条"
                             f"问答{_mostly_one_asker(by_asker, ids)}，分布在："
                             + "、".join(f"{s} {int(c)} 条" for s, c in sec.items()) + "。",
                             "；".join(f"{r.hospital}（“{r.evidence}”）{int(r.n_entries)} 条" for r in g.itertuples()),
                             ids=ids, caveat="医院类型按医院名称（含同一医院的其他写法与括注的别名）中的字样判断（规则见 "
                                             "resources/hospital_kinds.txt；县级行政区按全国区划名录），名称未写明"
                                             "类型的医院不计入（例如名称里没有“军”“大学”等字样的军队或高校医院）；只计"
                                             "开启问答的学员，在别人开启的问答里追问的不计。"
                                             + DISTRICT_NOTE.get(str(kind), "")))
    tests = tables.get("hospital_kind_tests")
    if tests is not None and len(tests):
        sig = tests[tests.q_value <= alpha].sort_values(["q_value", "kind", "section"], kind="stable")
        for r in sig.itertuples():
            more = "多" if r.share_kind > r.share_rest else "少"
            rows.append(_row("askers", f"{r.label}的学员问“{r.section}”明显更{more}：{r.k_kind}/{r.n_kind} 条，"
                             f"其余学员 {r.k_rest}/{r.n_rest} 条。",
                             f"Fisher 精确检验 {_fmt_p(r.p_value)}，q（校正后的显著性）= {r.q_value:.3f}（{len(tests)} 个类型×栏目）",
                             p=r.p_value, q=r.q_value, ids=[int(i) for i in str(r.entry_ids).split(",") if i]))
        if sig.empty:
            best = tests.sort_values(["p_value", "kind", "section"], kind="stable").iloc[0]
            rows.append(_row("askers", "不同类型医院的学员所问的栏目没有可靠差异：校正多重检验后，没有一个医院类型在某个栏目"
                             "问得显著更多或更少。",
                             f"检验 {len(tests)} 个（医院类型×栏目），Fisher 精确检验；最小 p = {best.p_value:.3g}"
                             f"（{best.label}·{best.section}：{int(best.k_kind)}/{int(best.n_kind)} 对 "
                             f"{int(best.k_rest)}/{int(best.n_rest)}），最小 q = {tests.q_value.min():.3g}",
                             p=float(tests.p_value.min()), q=float(tests.q_value.min()),
                             caveat="每类医院只有几条问答，只有很大的差异才能检出；没有检出不等于没有差异。"))
    return rows
