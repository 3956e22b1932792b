"""Agreement of the run's own ``deferred_questions`` and ``recurring_needs`` tables with hand judgements made before
the methods were seen (tests/data/deferral_judgement.csv, tests/data/needs_judgement.csv; how they were made:
tests/data/JUDGEMENT_README.md). Split before tuning: deferrals by entry-id parity (even = development, odd =
held out); needs by pairs (a pair with an even entry = development, a pair of two odd entries = held out).
The numbers asserted here are the ones README.md quotes ("Needs, deferrals, who asks: how well validated?").
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from corpus_tools.needs import need_pairs

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def deferral_judgement() -> pd.DataFrame:
    return pd.read_csv(DATA / "deferral_judgement.csv", dtype={"entry_id": int})


@pytest.fixture(scope="module")
def needs_judgement() -> pd.DataFrame:
    return pd.read_csv(DATA / "needs_judgement.csv", dtype={"entry_id": int})


def _pairs_of(groups: pd.DataFrame) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    for _, g in groups.dropna(subset=["need_id"]).groupby("need_id"):
        ids = sorted(int(i) for i in g.entry_id)
        out |= {(a, b) for k, a in enumerate(ids) for b in ids[k + 1:]}
    return out


def _count(found: set, judged: set) -> tuple[int, int, int]:
    """(agreeing, found, judged)."""
    return len(found & judged), len(found), len(judged)


def test_judgements_cover_every_entry(deferral_judgement, needs_judgement, booklet):
    ids = set(booklet.entries.entry_id)
    assert set(deferral_judgement.entry_id) == ids and set(needs_judgement.entry_id) == ids
    assert set(deferral_judgement.kind) <= {"none", "defer", "sidestep", "out_of_scope"}
    # README_A: 4 defer, 2 sidestep; 11 needs over 25 entries (18 pairs)
    assert (deferral_judgement.kind != "none").sum() == 6
    assert needs_judgement.need_id.nunique() == 11 and needs_judgement.need_id.notna().sum() == 25
    assert len(_pairs_of(needs_judgement)) == 18


def test_deferrals_against_the_hand_judgement(study, deferral_judgement):
    """Entry level: an entry is found when the run's table has a row for it (any kind), judged when the hand
    judgement's kind is not "none"."""
    d = study.tables["deferred_questions"]
    found = {int(i) for i in d.entry_id[d.kind != "hedged"]}  # hedged: called hard, then answered (not a finding)
    judged = {int(i) for i in deferral_judgement.entry_id[deferral_judgement.kind != "none"]}
    # the hedged rows (called hard, then answered) are all entries the judgement calls answered: #7 (较难回答,
    # l.452), #14 (比较难, l.955), #21 (很难回答, l.1329), #28 (不了解…具体细节, l.1793), #61 (不好一概而论, l.3656),
    # #62 (难度还是挺大, l.3716)
    hedged = [7, 14, 21, 28, 61, 62]
    assert sorted(set(d.entry_id[d.kind == "hedged"])) == hedged
    assert set(deferral_judgement.kind[deferral_judgement.entry_id.isin(hedged)]) == {"none"}
    even = _count({i for i in found if i % 2 == 0}, {i for i in judged if i % 2 == 0})
    odd = _count({i for i in found if i % 2 == 1}, {i for i in judged if i % 2 == 1})
    assert even == (2, 2, 3)  # development: precision 1.00, recall 0.67 (the sidestep of #6 is missed)
    # held out: precision 1.00, recall 0.67 (#1 missed). Before the cold reading it was 2/3: #21 says "很难回答" and
    # then answers; the sidestep rule now needs < SUBSTANTIVE characters of answer after the phrase — a change
    # prompted by this held-out entry, so the held-out number is no longer untouched (README says so)
    assert odd == (2, 2, 3)
    # where both say "defer", the line agrees (the judgement's line is where its quote starts)
    d = study.tables["deferred_questions"]
    for r in deferral_judgement[deferral_judgement.kind == "defer"].itertuples():
        mine = d[(d.entry_id == r.entry_id) & (d.kind == "defer")]
        assert int(r.line) in set(mine.line.astype(int)), r.entry_id


def test_needs_against_the_hand_grouping(study, needs_judgement):
    """Pairwise: the pairs of entries the run's table puts in one need against the hand grouping's pairs."""
    found = need_pairs(study.tables["recurring_needs"])
    judged = _pairs_of(needs_judgement)

    def dev(p):
        return p[0] % 2 == 0 or p[1] % 2 == 0

    assert _count({p for p in found if dev(p)}, {p for p in judged if dev(p)}) == (8, 14, 14)  # dev 0.57 / 0.57
    # held out, measured once after the shared-object rule (needs.shares_object), which left the development
    # pairs unchanged and removed 29–55 (joined on 费用/收费 only: l.1841–1868 vs l.3364–3415)
    assert _count({p for p in found if not dev(p)}, {p for p in judged if not dev(p)}) == (1, 2, 4)
    assert _count(found, judged) == (9, 16, 18)  # all pairs: precision 0.56, recall 0.50
    assert (29, 55) not in found
    from corpus_tools.needs import AGREEMENT
    odd = {p for p in found if not dev(p)}
    assert AGREEMENT == {"all": (len(found & judged), len(found)), "held": (len(odd & judged), len(odd))}
    # the CDR/ODR/数据湖 need (hand N10: 19, 48, 50, 51) recurs across cohorts 1–3 in the run's table too
    n = study.tables["recurring_needs"]
    g = n[n.need_id == n.set_index("entry_id").need_id.get(48)]
    assert {48, 50, 51} <= set(g.entry_id) and set(g.cohort.astype(int)) == {1, 2, 3}


@pytest.fixture(scope="module")
def parts_judgement() -> pd.DataFrame:
    return pd.read_csv(DATA / "parts_judgement.csv", dtype={"entry_id": int})


def _parts_agreement(parts: pd.DataFrame, judged: pd.DataFrame, half: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """((entries split into as many parts as the readers split them, entries), (entries with several parts in the
    table among those the readers saw several parts in, those)) over the entries of one parity."""
    mine = parts.groupby("entry_id").n_parts.first()
    hand = judged.groupby("entry_id").part_no.max()
    ids = [i for i in hand.index if i % 2 == half]
    same = sum(int(mine.get(i, 0)) == int(hand[i]) for i in ids)
    several = [i for i in ids if hand[i] >= 2]
    return (same, len(ids)), (sum(int(mine.get(i, 0)) >= 2 for i in several), len(several))


def test_question_parts_against_the_readers_split(study, parts_judgement, booklet):
    """The readers' split (tests/data/parts_judgement.csv, 109 parts of the 68 entries: 100 answered, 9 partly,
    none wholly unanswered) against the run's question_parts: development (even) 33/34 entries with as many parts,
    9/9 entries asked in several parts found; held out (odd) 27/34 and 16/17 when scored once after the rule was
    frozen (5680f56), 28/34 after a cold reader showed that #53's second trainee (韩虎, l.3282–3299) only tells how
    his hospital does it (a later turn now needs a question mark or 请问/请教) — the numbers parts.AGREEMENT gives
    the findings."""
    from corpus_tools.parts import AGREEMENT

    j = parts_judgement
    assert set(j.entry_id) == set(booklet.entries.entry_id) and len(j) == 109
    assert j.addressed.value_counts().to_dict() == {"yes": 100, "partly": 9}
    parts = study.tables["question_parts"]
    assert _parts_agreement(parts, j, 0) == ((33, 34), (9, 9))
    held = _parts_agreement(parts, j, 1)
    assert held == ((28, 34), (16, 17))
    assert AGREEMENT == {"same_count": held[0], "several": held[1]}
    # every part a reader found starts within two lines of a part of the table, but for 3 of the 109
    near = sum(((parts.entry_id == r.entry_id) & (parts.line - r.part_line).abs().le(2)).any() for r in j.itertuples())
    assert near == 106
    # 柳明 asks at l.3248 and l.3254; 韩虎's account (l.3282–3299) is no part
    assert list(parts[parts.entry_id == 53].line) == [3248, 3254]
    caveat = study.tables["findings"].query("kind == 'parts'").caveat.iloc[0]
    assert f"{held[0][1]} 条中 {held[0][0]} 条问数相同" in caveat and f"{held[1][1]} 条中找到 {held[1][0]} 条" in caveat


def _frac(k: int, n: int) -> str:
    return f"{k}/{n}" if k == n else f"{k}/{n} = {k / n:.2f}"


def test_readme_quotes_the_numbers_of_the_run(study, deferral_judgement, needs_judgement):
    """The README's table is computed from the run's own tables, cell by cell."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    d = study.tables["deferred_questions"]
    found = {int(i) for i in d.entry_id[d.kind != "hedged"]}
    judged = {int(i) for i in deferral_judgement.entry_id[deferral_judgement.kind != "none"]}
    cells = []
    for part in (lambda i: i % 2 == 0, lambda i: i % 2 == 1, lambda i: True):
        f, j = {i for i in found if part(i)}, {i for i in judged if part(i)}
        cells.append((_frac(len(f & j), len(f)), _frac(len(f & j), len(j))))
    assert f"| {cells[0][0]} | {cells[1][0]} | {cells[2][0]} |" in readme
    assert f"| {cells[0][1]} | {cells[1][1]} | {cells[2][1]} |" in readme
    pf, pj = need_pairs(study.tables["recurring_needs"]), _pairs_of(needs_judgement)
    cells = []
    for part in (lambda p: p[0] % 2 == 0 or p[1] % 2 == 0, lambda p: p[0] % 2 == 1 and p[1] % 2 == 1,
                 lambda p: True):
        f, j = {p for p in pf if part(p)}, {p for p in pj if part(p)}
        cells.append((_frac(len(f & j), len(f)), _frac(len(f & j), len(j))))
    assert f"| recurring needs, pairwise precision | {cells[0][0]} | {cells[1][0]} | {cells[2][0]} |" in readme
    assert f"| … pairwise recall | {cells[0][1]} | {cells[1][1]} | {cells[2][1]} |" in readme
    parts, j = study.tables["question_parts"], pd.read_csv(DATA / "parts_judgement.csv")
    (s0, s1), (s2, s3) = zip(*(_parts_agreement(parts, j, h) for h in (0, 1)))
    same = [_frac(*s0), _frac(*s1), _frac(s0[0] + s1[0], s0[1] + s1[1])]
    several = [_frac(*s2), _frac(*s3), _frac(s2[0] + s3[0], s2[1] + s3[1])]
    assert f"| question parts, entries split into as many parts as the readers | {' | '.join(same)} |" in readme
    assert f"| … entries asked in several parts, found | {' | '.join(several)} |" in readme


def test_the_needs_caveat_quotes_the_agreement_of_the_run(study, needs_judgement):
    """The findings' caveat quotes pairwise precision: the numbers must be the run's own (all pairs, odd–odd)."""
    found, judged = need_pairs(study.tables["recurring_needs"]), _pairs_of(needs_judgement)
    odd = {p for p in found if p[0] % 2 and p[1] % 2}
    f = study.tables["findings"]
    caveat = f[f.kind == "need"].caveat.iloc[0]
    assert f"全部 {len(found & judged)}/{len(found)}" in caveat
    assert f"留出的奇数对 {len(odd & judged)}/{len(odd)}" in caveat
