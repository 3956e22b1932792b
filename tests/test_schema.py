"""One schema for every table that is written (issue 13, item 5): every table of a real study — and every table
``compare`` writes — is declared in ``schema.TABLES``; ``conform`` keeps its columns and values (it only orders
and types them); a conformed table comes back from Parquet with the same dtypes and from CSV with the same values.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from corpus_tools.compare import DIFF_TABLES, compare_studies
from corpus_tools.schema import DYNAMIC, SAME_COLUMNS_AS, TABLES, conform, csv_dtypes, empty
from corpus_tools.store import csv_safe, read_table, write_table

# Tables of a study that have no declaration, with the reason. None today: the analysis views of the tokens
# (content words, concepts) live in study.objects, not in study.tables.
NOT_DECLARED: dict[str, str] = {}

N_ENTRIES = 68  # the booklet: entries 1–68 (titles ending the 68 source notes)
SECTIONS = ["信息规划", "系统架构", "系统建设", "系统集成", "项目管理", "数据应用", "网络安全", "IT 运维", "科室管理"]


def _later(study) -> SimpleNamespace:
    """A later booklet made from this one without another pipeline run: 【网络安全】 and its 4 entries dropped,
    【系统集成】 renamed 【系统集成与互联互通】, the last topic gone, and 厂商 said 供应商 throughout."""
    b = study.booklet
    keep = b.entries.section != "网络安全"
    ids = set(b.entries.entry_id[keep])
    rename = {"系统集成": "系统集成与互联互通"}
    entries = b.entries[keep].assign(section=lambda d: d.section.replace(rename))
    sections = b.sections[b.sections.section != "网络安全"].assign(section=lambda d: d.section.replace(rename))
    tokens = study.tables["tokens"]
    tokens = tokens[tokens.entry_id.isin(ids)].copy()
    for col in ("token", "concept"):
        tokens[col] = tokens[col].replace({"厂商": "供应商"})
    booklet = SimpleNamespace(entries=entries, sections=sections, people=b.people,
                              askers=b.askers[b.askers.entry_id.isin(ids)])
    return SimpleNamespace(booklet=booklet, tables={"topics": study.tables["topics"].iloc[:-1],
                                                    "tokens": tokens})


@pytest.fixture(scope="module")
def all_tables(study) -> dict[str, pd.DataFrame]:
    """Every table of the study, and the comparison tables of this booklet against a later edit of it."""
    diff = compare_studies(study, _later(study))
    assert set(diff) == set(DIFF_TABLES)
    return {**study.tables, **diff}


def _plain(df: pd.DataFrame) -> pd.DataFrame:
    """Values as Python objects, every kind of missing value as None (NaN of float64 = <NA> of Float64)."""
    out = df.astype(object).where(df.notna(), None).reset_index(drop=True)
    out.columns = pd.Index([str(c) for c in df.columns], dtype=object)
    return out


def test_every_table_is_declared(study, all_tables):
    undeclared = sorted(set(all_tables) - set(TABLES) - set(NOT_DECLARED))
    assert not undeclared, f"tables written without a declaration in schema.TABLES: {undeclared}"
    assert set(NOT_DECLARED) <= set(study.tables)  # an exception names a table that exists
    for name, cols in TABLES.items():  # every declaration documents every column
        assert cols and all(c.doc.strip() and c.dtype in ("Int64", "Float64", "string", "boolean") for c in cols)


def test_conform_keeps_columns_and_values(all_tables):
    problems = []
    for name, df in sorted(all_tables.items()):
        if name in NOT_DECLARED:
            continue
        out = conform(name, df)
        declared = [c.name for c in TABLES[name]]
        if set(out.columns) != {str(c) for c in df.columns}:
            problems.append(f"{name}: columns {sorted(map(str, df.columns))} → {sorted(out.columns)}")
            continue
        assert list(out.columns[:len(declared)]) == declared
        assert len(out) == len(df)
        try:
            pd.testing.assert_frame_equal(_plain(df[declared]), _plain(out[declared]), check_dtype=False)
            dyn = [c for c in df.columns if c not in declared]
            if dyn:
                pd.testing.assert_frame_equal(_plain(df[dyn]), _plain(out[[str(c) for c in dyn]]), check_dtype=False)
        except AssertionError as exc:
            problems.append(f"{name}: {str(exc).splitlines()[0:4]}")
        for c in TABLES[name]:
            assert str(out[c.name].dtype) == c.dtype, (name, c.name, out[c.name].dtype)
    assert not problems, "\n".join(problems)


def test_dynamic_tables(all_tables):
    """unit × section and unit × topic pivots and the code matrix: declared leading column, then one column per
    section / topic / code, named as text, of the dynamic dtype."""
    by_section = conform("unit_by_section", all_tables["unit_by_section"])
    assert list(by_section.columns) == ["unit", *SECTIONS]
    assert (by_section.dtypes[1:] == "Int64").all()
    assert int(by_section[SECTIONS].to_numpy().sum()) == N_ENTRIES  # every entry is in one unit and one section
    assert by_section.unit.iloc[0] == "第1期·第3单元 信息规划与系统设计方法"  # the first unit of the booklet
    by_topic = conform("unit_by_topic", all_tables["unit_by_topic"])
    assert sorted(by_topic.columns[1:]) == [str(t) for t in range(7)]  # k = 7, topic ids as text
    assert int(by_topic.iloc[:, 1:].to_numpy().sum()) == N_ENTRIES
    codes = conform("code_entries", all_tables["code_entries"])
    assert list(codes.columns[1:]) == list(all_tables["codebook"].code)
    assert (codes.dtypes[1:] == "boolean").all() and list(codes.entry_id) == list(range(1, N_ENTRIES + 1))
    assert set(DYNAMIC) == {"unit_by_section", "unit_by_topic", "code_entries"}


def test_same_columns_as_is_true():
    """Tables the data dictionary describes by another's columns have exactly those names; only ``group`` may
    differ in dtype."""
    for name, (base, _) in SAME_COLUMNS_AS.items():
        a, b = TABLES[name], TABLES[base]
        assert [c.name for c in a] == [c.name for c in b], name
        assert [c.name for c in a if c.dtype != dict((x.name, x.dtype) for x in b)[c.name]] in ([], ["group"])


def test_conform_refuses_to_lose_information():
    df = pd.DataFrame({"code": ["c"], "expression": ["a AND b"], "terms": ["a、b"]})
    with pytest.raises(ValueError, match="undeclared columns.*'note'"):
        conform("codebook", df.assign(note="x"))
    assert list(conform("codebook", df.assign(note="x"), extra="drop").columns) == ["code", "expression", "terms"]
    with pytest.raises(ValueError, match="lacks columns.*'terms'"):
        conform("codebook", df.drop(columns="terms"))
    with pytest.raises(TypeError):  # 1.5 entries cannot become an integer
        conform("entry_map", pd.DataFrame({"entry_id": [1.5], "x": [0.0], "y": [0.0]}))
    with pytest.raises(ValueError, match="duplicate"):  # a section named like the leading column
        conform("unit_by_section", pd.DataFrame([["第1期·第3单元 x", 1]], columns=["unit", "unit"]))
    assert list(empty("curriculum").dtypes.astype(str)) == [c.dtype for c in TABLES["curriculum"]]


def _csv_expected(df: pd.DataFrame) -> pd.DataFrame:
    """What CSV keeps: text neutralised against formulas (store.csv_safe), and an empty text cell is missing."""
    out = csv_safe(df)
    for c in out.columns:
        if out[c].dtype == "string":
            out[c] = out[c].mask(out[c] == "")
    return out


def test_round_trip_parquet_and_csv(all_tables, tmp_path):
    for name, df in sorted(all_tables.items()):
        if name in NOT_DECLARED:
            continue
        out = conform(name, df)
        pq, csv = tmp_path / "pq", tmp_path / "csv"
        write_table(out, pq, name, ("parquet",))
        write_table(out, csv, name, ("csv",))
        back = read_table(pq, name)
        assert dict(back.dtypes.astype(str)) == dict(out.dtypes.astype(str)), name
        pd.testing.assert_frame_equal(back, out, obj=name)
        # CSV: read as store.read_table does, with the declared dtypes (see csv_dtypes)
        back_csv = pd.read_csv(csv / f"{name}.csv", encoding="utf-8-sig", keep_default_na=False, na_values=[""],
                               dtype=csv_dtypes(name))
        assert dict(back_csv.dtypes.astype(str)) == dict(out.dtypes.astype(str)), name
        pd.testing.assert_frame_equal(back_csv, _csv_expected(out), check_exact=False, rtol=1e-12, obj=name)


def test_csv_text_of_digits_stays_text(all_tables, tmp_path):
    """coverage_units.unit_nos is text ("4", "2、6"): read without the declared dtypes it would come back as the
    float 4.0 (and conform would make it "4.0"); with csv_dtypes it is "4" again."""
    out = conform("coverage_units", all_tables["coverage_units"])
    write_table(out, tmp_path, "coverage_units", ("csv",))
    path = tmp_path / "coverage_units.csv"
    plain = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    typed = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""],
                        dtype=csv_dtypes("coverage_units"))
    digits = out.unit_nos.dropna().str.fullmatch(r"\d+")
    assert digits.any()
    assert conform("coverage_units", plain).unit_nos.dropna()[digits].str.endswith(".0").all()
    pd.testing.assert_series_equal(typed.unit_nos, _csv_expected(out).unit_nos)  # "" is missing in CSV


def test_comparison_tables_have_every_status(all_tables):
    """The later edit gives rows of each kind the declarations describe (so their dtypes were exercised)."""
    t = {n: conform(n, all_tables[n]) for n in DIFF_TABLES}
    assert set(t["sections_diff"].status) >= {"kept", "renamed"}  # 系统集成 → 系统集成与互联互通
    gone = t["sections_diff"][t["sections_diff"].status == "gone"]
    assert list(gone.old_name) == ["网络安全"] and gone.n_new.tolist() == [0]
    e = t["entries_diff"]
    assert int((e.status == "gone").sum()) == 4 and e[e.status == "gone"].new_entry.isna().all()
    assert t["topics_diff"].status.eq("gone").sum() == 1 and t["topics_diff"].new_topic.isna().sum() == 1
    terms = t["terms_diff"].set_index("term")
    assert terms.loc["厂商", "status"] == "gone" and terms.loc["厂商", "docs_new"] == 0
    assert not np.isnan(float(terms.loc["厂商", "p_value"]))


def test_the_run_wrote_every_table_as_declared(run_dir):
    """What pipeline.save_study wrote (it conforms every declared table): each Parquet file is a declared table
    and has the declared dtypes, dynamic columns the dynamic dtype."""
    folder = run_dir / "data" / "processed"
    written = sorted(p.stem for p in folder.glob("*.parquet"))
    assert {"entries", "tokens", "unit_by_topic", "code_entries", "findings"} <= set(written)
    for name in written:
        assert name in TABLES or name in NOT_DECLARED, f"{name}.parquet has no declaration"
        if name in NOT_DECLARED:
            continue
        df = read_table(folder, name)
        want = {c.name: c.dtype for c in TABLES[name]}
        got = dict(df.dtypes.astype(str))
        assert {k: got.get(k) for k in want} == want, name
        extra = {k: v for k, v in got.items() if k not in want}
        assert (name in DYNAMIC and set(extra.values()) <= {DYNAMIC[name].dtype}) or not extra, (name, extra)
