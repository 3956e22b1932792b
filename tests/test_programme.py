"""A programme: several booklets read as one study, and trends over many cohorts.

The booklets are made here from the bundled one (data/raw/hit_cio_training_qa.txt, 4154 lines, 68 entries = 68
source notes "上述内容来源于…": 41 print 第一期, 16 第二期, 11 第三期). Counts quoted below come from reading it:
- entry 1: title at line 27 under 【信息规划】 (line 26), asked by 张敦明 (line 31), answered by 薛万国 (line 37),
  source note lines 92–94 (第三期, 第 2 单元“医院信息规划”); entry 2 ends with its note, lines 198–200 (第三期, 第 1
  单元); its lines 95–200 print no other 第…期.
- lines 1–2103 hold 33 source notes (20 第一期, 8 第二期, 5 第三期); the 34th entry's title is at line 2104.
- 戴赢 is named once, at line 205.
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import corpus_tools as ct
from conftest import BOOKLET
from corpus_tools import cohorttrends, stats
from corpus_tools.programme import combine_booklets, parse_offset_specs, read_booklets

RAW = BOOKLET.read_text(encoding="utf-8").split("\n")  # RAW[i - 1] is line i
LATER = {"第一期": "第四期", "第二期": "第五期", "第三期": "第六期"}
LATEST = {"第一期": "第七期", "第二期": "第八期", "第三期": "第九期"}


def _swap(line: str, table: dict[str, str]) -> str:
    for a, b in table.items():
        line = line.replace(a, b)
    return line


def _write(folder: Path, name: str, lines: list[str]) -> Path:
    p = folder / name
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _booklet_b(folder: Path) -> Path:
    """The next session's booklet: lines 1–2103 (33 entries; entries 34–68 removed), cohorts renumbered 4–6, the
    section 信息规划 renamed 规划能力, the trainee 戴赢 renamed 戴盈 — except entry 1 (lines 27–94), reprinted as it
    stands (same text, same note: 第三期)."""
    other = {**LATER, "【信息规划】": "【规划能力】", "戴赢": "戴盈"}
    lines = [(ln if 27 <= i <= 94 else _swap(ln, other)) for i, ln in enumerate(RAW[:2103], start=1)]
    return _write(folder, "B.txt", lines)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("programme")
    return {"A": _write(d, "A.txt", RAW), "B": _booklet_b(d),
            # a third booklet: lines 1–2103 again, cohorts 7–9, nothing reprinted (every note differs)
            "D": _write(d, "D.txt", [_swap(ln, LATEST) for ln in RAW[:2103]]),
            # a booklet that prints the same cohorts as A: 薛万国 renamed, so the entries he speaks in are not reprints
            "C": _write(d, "C.txt", [ln.replace("薛万国", "薛万果") for ln in RAW])}


@pytest.fixture(scope="module")
def two(files) -> ct.Booklet:
    return read_booklets([files["A"], files["B"]])


def test_two_booklets_entries_ids_and_cohorts(two):
    e = two.entries
    # 68 of A + 33 of B − 1 reprint
    assert len(e) == 68 + 33 - 1
    assert e.entry_id.is_unique and list(e.entry_id) == list(range(1, 101))
    assert (e.booklet == "A").sum() == 68 and (e.booklet == "B").sum() == 32
    # B's entry 2 follows A's 68 entries; its number in B stays 2; its lines are B's (= the raw's) lines
    r = e[e.entry_id == 69].iloc[0]
    assert (r.booklet, r.booklet_entry_no, r.cohort, r.cohort_printed, r.line_end) == ("B", 2, 6, 6, 200)
    # cohorts in programme order: A prints 1–3 (41, 16, 11), B 4–6 (20, 8, 5 − the reprint of a 第三期 entry)
    assert e.groupby("cohort").size().to_dict() == {1: 41, 2: 16, 3: 11, 4: 20, 5: 8, 6: 4}
    assert (e.cohort == e.cohort_printed).all()  # no conflict: no offset
    assert not (two.warnings.code == "cohort_conflict").any()
    # every table keyed by entry follows the renumbering and keeps its booklet and line
    t = two.turns
    assert set(t.entry_id) == set(e.entry_id)
    first_b = t[(t.entry_id == 69) & (t.turn_no == 1)].iloc[0]
    assert first_b.booklet == "B" and first_b.line_start > 94
    ln = two.lines
    assert ((ln.booklet == "B") & (ln.line_no == 198)).sum() >= 1
    assert set(two.askers.entry_id) <= set(e.entry_id)


def test_the_reprint_is_found_listed_and_left_out(two):
    rep = two.reprinted_entries
    assert len(rep) == 1
    r = rep.iloc[0]
    assert (r.booklet, r.booklet_entry_no, r.line_start, r.line_end) == ("B", 1, 27, 94)
    assert (r.kept_booklet, r.kept_booklet_entry_no, r.kept_entry_id) == ("A", 1, 1)
    assert "第三期" in r.source_note and r.title.startswith("医院信息科为什么要具备规划能力")
    # the reprint's lines stay in the lines table, belonging to no entry
    ln = two.lines
    assert ln[(ln.booklet == "B") & ln.line_no.between(27, 94)].entry_id.isna().all()


def test_same_text_under_another_note_is_kept_with_a_warning(two):
    # B's entry 2 (lines 95–200) = A's entry 2 word for word, but its note prints 第六期 instead of 第三期
    w = two.warnings[two.warnings.code == "same_text_other_note"]
    msg = w[w.message.str.startswith("B 的第 2 条问答")]
    assert len(msg) == 1 and "与 A 的第 2 条文字相同" in msg.message.iloc[0]
    assert ((two.entries.booklet == "B") & (two.entries.booklet_entry_no == 2)).any()


def test_people_matched_across_booklets(two):
    p = two.people.set_index(["name", "role"])
    assert p.loc[("薛万国", "instructor"), "booklets"] == "A、B"  # answers in both (line 37 and after)
    assert p.loc[("戴赢", "trainee"), "booklets"] == "A"  # renamed in B …
    assert p.loc[("戴盈", "trainee"), "booklets"] == "B"  # … so a person of its own
    assert p.loc[("张敦明", "trainee"), "booklets"] == "A"  # he asks only entry 1, whose reprint is left out
    assert p.person_id.is_unique
    assert len(two.people[two.people.name == "薛万国"]) == 1
    # hospitals over both booklets: 戴赢 (line 205, A) and 戴盈 (B) from 台州恩泽医疗中心（集团）恩泽医院, one entry each;
    # 曹坤 (lines 486, 2243, 2746, 4068 of A; 486 again in B) under two spellings of 浙江省台州恩泽医疗中心
    h = two.hospitals.set_index("hospital")
    assert h.loc["台州恩泽医疗中心（集团）恩泽医院", "trainees"] == "戴赢、戴盈"
    assert h.loc["台州恩泽医疗中心（集团）恩泽医院", "n_entries"] == 2
    assert h.loc["浙江省台州恩泽医疗中心", "n_entries"] == 4 + 1
    # sections: 信息规划 (A) and 规划能力 (B) are two sections; one heading each
    s = two.sections.set_index("section")
    assert s.loc["信息规划", "booklets"] == "A" and s.loc["规划能力", "booklets"] == "B"


def test_three_booklets_in_programme_order(files):
    b = read_booklets([files["A"], files["B"], files["D"]])
    e = b.entries
    assert len(e) == 68 + 32 + 33
    assert list(e.entry_id) == list(range(1, 134))
    assert list(dict.fromkeys(e.booklet)) == ["A", "B", "D"]
    assert sorted(e.cohort.unique()) == list(range(1, 10))
    assert e[e.booklet == "D"].groupby("cohort").size().to_dict() == {7: 20, 8: 8, 9: 5}
    assert e[e.booklet == "D"].entry_id.min() == 101
    assert len(b.meta["booklets"]) == 3 and [x["cohort_offset"] for x in b.meta["booklets"]] == [0, 0, 0]


def test_two_booklets_printing_the_same_cohorts_are_a_conflict(files):
    b = read_booklets([files["A"], files["C"]])
    w = b.warnings[b.warnings.code == "cohort_conflict"]
    assert len(w) == 1
    msg = w.message.iloc[0]
    assert "C" in msg and "A" in msg and "第1期" in msg and "--cohort-offset C.txt=N" in msg
    c = b.entries[b.entries.booklet == "C"]
    assert len(c) > 0 and (c.cohort == c.cohort_printed + 3).all()  # numbered after A's 第3期
    # entries without 薛万国 are the same text and note in both: reprints, counted once
    assert len(b.reprinted_entries) == 68 - len(c)
    # the analyst's offset is taken as given, without a warning
    b2 = read_booklets([files["A"], files["C"]], {"C.txt": 10})
    c2 = b2.entries[b2.entries.booklet == "C"]
    assert (c2.cohort == c2.cohort_printed + 10).all()
    assert not (b2.warnings.code == "cohort_conflict").any()


def test_an_offset_for_no_booklet_is_refused(files, capsys):
    from corpus_tools import cli

    with pytest.raises(ValueError, match="none of the booklets"):
        read_booklets([files["A"], files["B"]], {"E.txt": 3})
    rc = cli.main(["run", str(files["A"]), str(files["B"]), "--cohort-offset", "E.txt=3", "-q", "-o", "/nonexistent"])
    assert rc == 2 and "E.txt" in capsys.readouterr().err


def test_programme_csv(files, tmp_path):
    from corpus_tools import cli
    from corpus_tools.programme import offsets_from_table

    assert offsets_from_table(pd.DataFrame(dict(booklet=["A.txt", "C"], cohort_offset=["0", "10"]))) == \
        {"A.txt": 0, "C": 10}
    with pytest.raises(ValueError, match="line 3"):
        offsets_from_table(pd.DataFrame(dict(booklet=["A.txt", "C"], cohort_offset=["0", "x"])))
    csv = tmp_path / "programme.csv"
    csv.write_text("booklet,cohort_offset\nC.txt,10\n", encoding="utf-8")
    args = cli.build_parser().parse_args(["run", str(files["A"]), str(files["C"]), "--programme", str(csv),
                                          "--cohort-offset", "A.txt=1"])
    assert cli._cohort_offsets(args) == {"C.txt": 10, "A.txt": 1}


def test_offset_specs():
    assert parse_offset_specs(["B.txt=3", "dir/C.txt = 6"]) == {"B.txt": 3, "dir/C.txt": 6}
    with pytest.raises(ValueError, match="FILE=N"):
        parse_offset_specs(["B.txt"])
    with pytest.raises(ValueError, match="FILE=N"):
        parse_offset_specs(["B.txt=-1"])


def test_one_booklet_is_as_read(booklet):
    assert combine_booklets([booklet]) is booklet
    assert set(booklet.entries.booklet) == {"hit_cio_training_qa"}
    assert (booklet.entries.booklet_entry_no == booklet.entries.entry_id).all()


# ---------------------------------------------------------------- trends over many cohorts

def test_trend_z_by_hand():
    """r = 0, 1, 2 of n = 4, 4, 4 at t = 1, 2, 3: p̄ = 3/12, T = 1·(0 − 1) + 2·(1 − 1) + 3·(2 − 1) = 2,
    Var = 0.25·0.75·(4·14 − 24²/12) = 1.5, z = 2/√1.5."""
    z, p = cohorttrends.trend_z(np.array([[0, 1, 2]]), np.array([4, 4, 4]), np.array([1, 2, 3]))
    assert z[0] == pytest.approx(2 / math.sqrt(1.5))
    assert (z[0], p[0]) == pytest.approx(stats.cochran_armitage([0, 1, 2], [4, 4, 4], [1, 2, 3]))


def test_leave_one_out_is_the_test_without_each_cohort():
    """The vectorised leave-one-out p equals stats.cochran_armitage run without each cohort in turn (largest p;
    a reversal counts as 1)."""
    r = np.array([[1, 3, 4, 9], [5, 0, 6, 2]])
    n, t = np.array([10, 12, 9, 11]), np.array([1, 2, 3, 4])
    z, _ = cohorttrends.trend_z(r, n, t)
    got = cohorttrends.leave_one_out_p(r, n, t, z)
    for i in range(2):
        worst = 0.0
        for c in range(4):
            k = [j for j in range(4) if j != c]
            zc, pc = stats.cochran_armitage(r[i, k], n[k], t[k])
            worst = max(worst, 1.0 if np.sign(zc) != np.sign(z[i]) else pc)
        assert got[i] == pytest.approx(worst)


@pytest.fixture(scope="module")
def six(tmp_path_factory):
    """A (cohorts 1–3) + all of A renumbered 4–6: six cohorts of 41, 16, 11, 41, 16, 11 entries, with the tokens
    of a real run."""
    d = tmp_path_factory.mktemp("six")
    a = _write(d, "A.txt", RAW)
    b = _write(d, "B6.txt", [_swap(ln, LATER) for ln in RAW])
    bk = read_booklets([a, b])
    from corpus_tools.stages import words

    study = ct.analyse(bk, ct.Params(jobs=1), stages=["tokens"])
    return bk, words(study, "concept")


def _planted(bk, tokens):
    """区块链 (in no entry of the booklet) planted in a share (c − 1)/5 of cohort c's entries, spread evenly
    over them (0, 3, 4, 24, 12, 11 entries); 元宇宙 in every entry of cohort 6 only (a one-cohort burst)."""
    e = bk.entries.sort_values("entry_id")
    rows = []
    for c, g in e.groupby("cohort"):
        s = Fraction(int(c) - 1, 5)
        for r, eid in enumerate(g.entry_id):
            if math.floor((r + 1) * s) > math.floor(r * s):
                rows.append((int(eid), "区块链"))
            if c == 6:
                rows.append((int(eid), "元宇宙"))
    extra = pd.DataFrame(dict(entry_id=[r[0] for r in rows], turn_no=1, token_no=10_000, token=[r[1] for r in rows],
                              word=[r[1] for r in rows], pos="n", concept=[r[1] for r in rows], is_content=True,
                              is_name=False))
    return pd.concat([tokens, extra.astype({c: tokens[c].dtype for c in extra.columns})], ignore_index=True)


def test_planted_trend_called_and_one_cohort_burst_not(six):
    bk, tokens = six
    assert bk.entries.groupby("cohort").size().tolist() == [41, 16, 11, 41, 16, 11]
    ct_ = cohorttrends.cohort_trends(_planted(bk, tokens), bk.entries, bk.turns)
    t = ct_.set_index("term")
    r = t.loc["区块链"]
    assert r.docs_by_cohort == "0、3、4、24、12、11" and r.n_by_cohort == "41、16、11、41、16、11"
    assert r.call == "rising" and r.direction == "rising" and bool(r.within_unit)
    assert r.p_without_one_cohort < 0.05
    # the burst: r = 0, …, 0, 11 of n as above, t = 1…6; z by the formula is about 6 — significant on its own
    n = np.array([41, 16, 11, 41, 16, 11.0])
    tt = np.arange(1, 7.0)
    pbar = 11 / 136
    z = (6 * 11 - 11 * (n * tt).sum() / 136) / math.sqrt(pbar * (1 - pbar) * ((n * tt * tt).sum()
                                                                             - (n * tt).sum() ** 2 / 136))
    b = t.loc["元宇宙"]
    assert b.statistic == pytest.approx(z) and b.q_value <= 0.05
    # … but leaving out cohort 6 leaves no use at all: no cohort-by-cohort trend
    assert b.p_without_one_cohort == 1.0 and b.call == "one cohort"
    # the findings name the planted term and the entries it rests on, not the burst
    rows = cohorttrends.trend_findings(ct_, bk.entries, _planted(bk, tokens))
    texts = " ".join(x["text"] for x in rows)
    assert "区块链" in texts and "元宇宙" not in texts
    ids = [x for x in rows if "区块链" in x["text"]][0]["entry_ids"].split(",")
    assert len(ids) == 3 + 4 + 24 + 12 + 11


@pytest.fixture(scope="module")
def two_run(files, tmp_path_factory) -> Path:
    """The whole run (every stage, report, tables) on booklets A and B, from the command line: its folder. Figures
    as SVG only, the format the report inlines (PNG files would add a raster of each, which no test reads); the
    tests read the tables and the report."""
    from corpus_tools import cli

    out = tmp_path_factory.mktemp("two_run") / "out"
    rc = cli.main(["run", str(files["A"]), str(files["B"]), "-q", "-k", "4", "-j", "1", "--formats", "svg",
                   "-o", str(out)])
    assert rc == 0
    return out


def test_cli_runs_two_booklets(two_run):
    out = two_run
    proc = out / "data" / "processed"
    e = pd.read_csv(proc / "entries.csv", encoding="utf-8-sig")
    assert len(e) == 100 and e.entry_id.is_unique
    rep = pd.read_csv(proc / "reprinted_entries.csv", encoding="utf-8-sig")
    assert list(rep.kept_entry_id) == [1]
    trends = pd.read_csv(proc / "cohort_trends.csv", encoding="utf-8-sig")
    assert set(trends.cohorts) == {"1、2、3、4、5、6"}
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "后出合集重印的问答" in page and "医院信息科为什么要具备规划能力" in page  # the reprint, listed
    f = pd.read_csv(proc / "findings.csv", encoding="utf-8-sig")
    assert (f.kind == "cohort_trend").any()


def _world(unit_of, speaker_of):
    """30 entries: cohort 1 = entries 1–10, cohort 2 = 11–20, cohort 3 = 21–30; 云 in entries 16–30 (0, 5, 10
    of 10 per cohort); every entry says 医院 (in all: not testable)."""
    ids = list(range(1, 31))
    entries = pd.DataFrame(dict(entry_id=ids, cohort=[(i - 1) // 10 + 1 for i in ids], session_type="unit",
                                unit_no=1, unit_title=[unit_of(i) for i in ids]))
    rows = [(i, "医院") for i in ids] + [(i, "云") for i in ids if i >= 16]
    tokens = pd.DataFrame(dict(entry_id=[r[0] for r in rows], turn_no=1, token=[r[1] for r in rows],
                               is_content=True, is_name=False))
    turns = pd.DataFrame(dict(entry_id=ids, turn_no=1, speaker=[speaker_of(i) for i in ids]))
    return tokens, entries, turns


def test_a_trend_made_by_units_is_a_unit_effect():
    # units: cohort 1 all in X, cohort 2 half X (11–15) half Y (16–20), cohort 3 all in Y; 云 = exactly the Y entries
    tokens, entries, turns = _world(lambda i: "X" if i <= 15 else "Y", lambda i: f"学员{i}")
    r = cohorttrends.cohort_trends(tokens, entries, turns).set_index("term").loc["云"]
    assert r.docs_by_cohort == "0、5、10" and r.q_value < 0.05 and r.p_without_one_cohort < 0.05
    # within X (0 of 15) and within Y (15 of 15) nothing varies: no within-unit trend
    assert not r.within_unit and r.call == "unit effect"


def test_a_trend_one_speaker_says_is_not_called():
    # one unit for all, so the within-unit test is the overall one; 云 said by 张三 alone
    tokens, entries, turns = _world(lambda i: "X", lambda i: "张三" if i >= 16 else f"学员{i}")
    r = cohorttrends.cohort_trends(tokens, entries, turns).set_index("term").loc["云"]
    assert r.top_speaker == "张三" and r.top_speaker_share == 1.0 and r.call == "one speaker"
    # said by many: the same counts are called a rising trend
    tokens, entries, turns = _world(lambda i: "X", lambda i: f"学员{i}")
    r = cohorttrends.cohort_trends(tokens, entries, turns).set_index("term").loc["云"]
    assert r.call == "rising" and bool(r.within_unit)
    assert "医院" not in set(cohorttrends.cohort_trends(tokens, entries, turns).query("call != ''").term)


def test_the_figure_shows_the_called_trend_with_its_shares(six):
    from corpus_tools.plots import trends as plots

    bk, tokens = six
    table = cohorttrends.cohort_trends(_planted(bk, tokens), bk.entries, bk.turns)
    called = table[table.call.isin(["rising", "falling"])]
    fig = plots.cohort_trend_shares(called)
    shown = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert [ax.get_title() for ax in shown] == ["词：区块链"]
    line = shown[0].get_lines()[0]
    # the planted shares: 0/41, 3/16, 4/11, 24/41, 12/16, 11/11
    assert line.get_ydata() == pytest.approx([0, 3 / 16, 4 / 11, 24 / 41, 12 / 16, 1])
    texts = {t.get_text() for t in shown[0].texts}
    assert {"0/41", "3/16", "11/11"} <= texts


def test_a_step_between_booklets_is_called_with_a_caveat():
    """40 entries, cohorts 1–4 of 10; booklet A holds cohorts 1–2, booklet B cohorts 3–4; one unit. 云 in 0, 0, 8,
    8 of 10 (entries 23–30, 33–40): a rise overall, none within either booklet (A: 0 and 0; B: 8 and 8, z = 0)."""
    ids = list(range(1, 41))
    entries = pd.DataFrame(dict(entry_id=ids, cohort=[(i - 1) // 10 + 1 for i in ids], session_type="unit",
                                unit_no=1, unit_title="X", booklet=["A" if i <= 20 else "B" for i in ids]))
    rows = [(i, "医院") for i in ids] + [(i, "云") for i in ids if i % 10 in (3, 4, 5, 6, 7, 8, 9, 0) and i > 20]
    tokens = pd.DataFrame(dict(entry_id=[r[0] for r in rows], turn_no=1, token=[r[1] for r in rows],
                               is_content=True, is_name=False))
    turns = pd.DataFrame(dict(entry_id=ids, turn_no=1, speaker=[f"学员{i}" for i in ids]))
    table = cohorttrends.cohort_trends(tokens, entries, turns)
    r = table.set_index("term").loc["云"]
    assert r.docs_by_cohort == "0、0、8、8" and r.call == "rising"
    assert r.within_booklet_statistic == pytest.approx(0.0) and r.p_within_booklet == pytest.approx(1.0)
    rows = cohorttrends.trend_findings(table, entries, tokens)
    assert "各本合集内部并不成立" in rows[0]["caveat"]


def test_the_planted_trend_holds_within_each_booklet(six):
    bk, tokens = six
    r = cohorttrends.cohort_trends(_planted(bk, tokens), bk.entries, bk.turns).set_index("term").loc["区块链"]
    # within A: 0/41, 3/16, 4/11; within B6: 24/41, 12/16, 11/11 — rising in both
    assert r.within_booklet_statistic > 0 and r.p_within_booklet < 0.05
    rows = cohorttrends.trend_findings(cohorttrends.cohort_trends(_planted(bk, tokens), bk.entries, bk.turns),
                                       bk.entries, _planted(bk, tokens))
    assert rows[0]["caveat"] == ""


# ---------------------------------------------------------------- recurring needs across booklets

@pytest.fixture(scope="module")
def split_need(tmp_path_factory):
    """The need 专病库 of the bundled booklet — entries 43 (title l.2689, 第一期 l.2738), 45 (l.2779–2857, 第二期
    l.2855) and 46 (l.2871–2946, 第一期 l.2944); 专病库 is in each question (l.2693, l.2779, l.2871) — split over three booklets: A = the booklet without 45 and 46
    (lines 1–2778 and 2947–4154: 66 entries), B = the front matter (lines 1–25), the heading 【数据应用】 (l.2614) and
    entry 45 printed as 第五期, D = the same with entry 46 printed as 第七期. The same 68 questions and answers as
    the one booklet, so the same words and weights: the need is found again, now across three booklets."""
    d = tmp_path_factory.mktemp("needs")
    front = RAW[:25] + [RAW[2613]]
    a = _write(d, "A.txt", RAW[:2778] + RAW[2946:])
    b = _write(d, "B.txt", front + [_swap(ln, LATER) for ln in RAW[2778:2857]])
    c = _write(d, "D.txt", front + [_swap(ln, LATEST) for ln in RAW[2870:2946]])
    bk = read_booklets([a, b, c])
    study = ct.analyse(bk, ct.Params(jobs=1), stages=["needs"])
    return bk, study


def test_a_need_raised_in_three_booklets_is_one_need(split_need):
    bk, study = split_need
    e = bk.entries
    assert len(e) == 68 and list(e.groupby("booklet", sort=False).size()) == [66, 1, 1]
    needs = study.tables["recurring_needs"]
    group = needs[needs.entry_id.isin([43, 67, 68])]
    assert group.need_id.nunique() == 1  # one need, not three
    g = needs[needs.need_id == group.need_id.iloc[0]].sort_values("entry_id")
    # A's entry 43 (第一期), B's entry 1 (= the booklet's 45, 第二期 printed 第五期), D's entry 1 (= 46, 第七期)
    assert list(g.entry_id) == [43, 67, 68]
    assert list(g.booklet) == ["A", "B", "D"] and list(g.booklet_entry_no) == [43, 1, 1]
    assert list(g.cohort) == [1, 5, 7]
    assert g.title.iloc[1] == "专病库的建设与管理，有哪些好的思路？"  # l.2779
    assert "专病库" in g.label.iloc[0]


def test_the_need_across_booklets_is_the_need_of_the_one_booklet(split_need, booklet):
    """The same entries grouped the same way as in the one-booklet run (the grouping sees only the text)."""
    from corpus_tools.needs import need_pairs

    bk, split = split_need
    study = ct.analyse(booklet, ct.Params(jobs=1), stages=["needs"])
    ids = {int(i): (b, int(n)) for i, b, n in zip(bk.entries.entry_id, bk.entries.booklet, bk.entries.booklet_entry_no)}
    # the one booklet's entry k is A's entry k below 45, k − 2 above 46; 45 and 46 are B's and D's first entries
    to_one = {i: (n if b == "A" and n < 45 else n + 2 if b == "A" else 45 if b == "B" else 46) for i, (b, n) in
              ids.items()}
    pairs = {tuple(sorted((to_one[a], to_one[b]))) for a, b in need_pairs(split.tables["recurring_needs"])}
    assert pairs == need_pairs(study.tables["recurring_needs"])


def test_the_findings_row_names_the_booklets_and_cohorts(split_need):
    from corpus_tools import needs

    bk, study = split_need
    rows = [x for x in needs.needs_findings(study.tables["recurring_needs"], bk.entries)]
    row = [x for x in rows if "专病库的建设与管理" in x["text"]][0]
    assert "跨 3 本合集（A、B、D）、3 期（第1期 1 条、第5期 1 条、第7期 1 条）" in row["text"]
    assert "第 67 条（B 第 1 条）“专病库的建设与管理，有哪些好的思路？”" in row["text"]
    assert row["entry_ids"].split(",") == ["43", "67", "68"]
    assert "组跨不止一本合集" in rows[0]["text"]


# ---------------------------------------------------------------- the programme view

def test_cohort_overview_of_the_split_need(split_need, booklet):
    from corpus_tools.programmeview import booklets_overview, cohort_overview, shows_programme

    bk, study = split_need
    assert shows_programme(bk.entries) and not shows_programme(booklet.entries)  # the bundled booklet: 3 cohorts
    v = cohort_overview(bk.entries, study.tables).set_index("cohort")
    # A: 41 第一期 entries less 46, 16 第二期 less 45, 11 第三期; B: 45 as 第五期; D: 46 as 第七期
    assert list(v.index) == [1, 2, 3, 5, 7]
    assert list(v.n_entries) == [40, 15, 11, 1, 1] and list(v.booklet) == ["A", "A", "A", "B", "D"]
    # 45's note (l.2855): 第 4 单元“医院信息系统架构治理”
    assert v.loc[5, "units"] == "医院信息系统架构治理（1）" and v.loc[5, "entry_ids"] == "67"
    assert v.loc[5, "recurring_needs"].startswith("需求") and "（第 67 条；也见于第1期、第7期）" in v.loc[5, "recurring_needs"]
    assert "（第 43 条；也见于第5期、第7期）" in v.loc[1, "recurring_needs"]
    assert v.topics.eq("").all() and v.codes.eq("").all()  # no topics or codes stage in this study
    books = booklets_overview(bk.entries, bk.reprinted_entries)
    assert books.values.tolist() == [["A", "1–3", 66, 0], ["B", "5", 1, 0], ["D", "7", 1, 0]]


def test_the_report_shows_the_programme_cohort_by_cohort(two_run, browser):
    """The report of the two-booklet run has the programme view, its cohorts in the programme's order: A's 第一–三期
    (41, 16, 11 entries), then B's 第四–六期 (20, 8, 5 less the reprinted entry 1, a 第三期 entry printed as it
    stands: 4)."""
    from browser import assert_clean, open_page, screenshot

    page = open_page(browser, two_run / "report.html")
    try:
        section = page.locator("#programme")
        assert section.is_visible() and "逐期总览" in section.locator("h2").inner_text()
        cells = page.eval_on_selector_all("#table-cohort_overview tbody tr",
                                          "rows => rows.map(r => [r.cells[0].textContent.trim(),"
                                          " r.cells[1].textContent.trim(), r.cells[3].textContent.trim()])")
        assert cells == [["第1期", "A", "41"], ["第2期", "A", "16"], ["第3期", "A", "11"], ["第4期", "B", "20"],
                         ["第5期", "B", "8"], ["第6期", "B", "4"]]
        books = page.eval_on_selector_all("#table-booklets_overview tbody tr",
                                          "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))")
        assert books == [["A", "1–3", "68", "0"], ["B", "4–6", "32", "1"]]
        # a cohort's link shows its entries in the table of all entries
        page.locator("#table-cohort_overview tbody tr").nth(5).locator("button, a").first.click()
        shown = page.eval_on_selector_all("#entries-table tbody.entry:not([hidden])", "els => els.map(e => e.dataset.id)")
        assert len(shown) == 4
        section.scroll_into_view_if_needed()
        screenshot(page, "report_programme.png")
        assert_clean(page)
    finally:
        page.context.close()


def test_a_need_of_a_long_programme_is_named_in_short():
    """A need of 30 entries over 15 booklets and 30 cohorts (a long programme): the finding names the first 12
    questions, 8 booklets and 10 cohorts and says how many there are; entry_ids keeps all 30."""
    from corpus_tools import needs

    ids = list(range(1, 31))
    entries = pd.DataFrame(dict(entry_id=ids, booklet=[f"P{(i - 1) // 2 + 1:02d}" for i in ids],
                                booklet_entry_no=[(i - 1) % 2 + 1 for i in ids], cohort=ids,
                                title=[f"问题{i}" for i in ids]))
    table = entries.assign(need_id=1, label="集成平台", unit="医学信息标准", section="系统集成", similarity=0.5,
                           shared_terms="集成平台")
    row = needs.needs_findings(table, entries)[1]
    assert "跨 15 本合集（P01、P02、P03、P04、P05、P06、P07、P08……等 15 本）、30 期（第1期 " in row["text"]
    assert "第10期 1 条……等 30 期）" in row["text"]  # one entry per cohort
    assert "第 12 条（P06 第 2 条）“问题12”……等 30 条。" in row["text"] and "问题13" not in row["text"]
    assert row["entry_ids"] == ",".join(map(str, ids))
