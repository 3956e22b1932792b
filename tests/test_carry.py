"""Topics carried forward (issue 21, item 3): the saved topic model and ``--topics-from``.

The new booklet is made here from the bundled one: every person renamed (names that occur nowhere in the booklet),
three sections renamed (【信息规划】 line 26, 【系统集成】 line 1282, 【科室管理】 line 3645), and one entry planted at
the end about the staff canteen's menu (食堂菜单) — a subject the booklet never mentions (no line of
data/raw/hit_cio_training_qa.txt contains 食堂, 菜单 or 菜谱). Entries 1–68 of the copy are the twins of entries
1–68 of the booklet (same order, same titles); entry 69 is the planted one.
"""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest

from corpus_tools.booklet import read_booklet
from corpus_tools.carry import (MODEL_FILE, TopicModelError, model_file, model_json, parse_model, read_model)
from corpus_tools.cli import main
from corpus_tools.analysis import analyse, param_digest
from corpus_tools.study import Params
from corpus_tools.store import file_sha256

from conftest import BOOKLET

SECTION_RENAMES = {"【信息规划】": "【规划与战略】", "【系统集成】": "【集成与互通】", "【科室管理】": "【部门管理】"}
PLANTED_TITLE = "食堂菜单怎样安排？"
PLANTED = (f"\n{PLANTED_TITLE}\n\n学员、大坪医院后勤科科长蔺晓禾：我们医院职工食堂的菜单每周都一样，大家吃腻了。早餐的包子、馒头、"
           "豆浆，午餐的红烧肉、青菜、米饭，怎样安排菜单才能让职工满意？\n\n邝星朗老师：食堂菜单可以按季节轮换，多放时令蔬菜，"
           "少放油盐；早餐加一些杂粮粥和鸡蛋，午餐荤素搭配，每周换一次菜谱，请职工投票选出喜欢的菜。\n\n"
           " （上述内容来源于第一期培训班第 6 单元“运维服务管理”课程答疑环节，\n\nHIT 专家网整理，未经发言者本人审核确认）\n")


def renamed_copy(booklet, text: str) -> tuple[str, dict[str, str]]:
    """The booklet's text with every person renamed (longest names first, to names absent from the text), the
    sections of SECTION_RENAMES renamed and the canteen entry appended; and the renaming used."""
    pool = [s + a + b for s in "岑邝蔺鄢喻郗" for a, b in itertools.permutations("若思予禾岚朗默汀", 2)]
    pool = [n for n in pool if n not in text]
    names = sorted(set(booklet.people.name.dropna()), key=lambda n: (-len(n), n))
    renames = dict(zip(names, pool))
    # a name may be wrapped onto the next line (刘鸿 / 齐：, lines 629–631) or spaced out (邱 明 辉 老 师 ：, line 1879)
    for old, new in renames.items():
        text = re.sub(r"\s*".join(map(re.escape, old)), new, text)
    for old, new in SECTION_RENAMES.items():
        text = text.replace(old, new)
    return text + PLANTED, renames


@pytest.fixture(scope="module")
def new_booklet_path(tmp_path_factory, booklet) -> Path:
    text, _ = renamed_copy(booklet, BOOKLET.read_text(encoding="utf-8"))
    path = tmp_path_factory.mktemp("carry") / "next_session.txt"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def new_booklet(new_booklet_path):
    return read_booklet(new_booklet_path)


@pytest.fixture(scope="module")
def carried(new_booklet, run_dir):
    """The copy's entries placed among the topics of the session's run (k = 7, seed 0), through ``analyse``."""
    return analyse(new_booklet, Params(k=7, topics_from=str(run_dir)), stages=["carry"])


def _assigned(study) -> dict[int, int]:
    et = study.tables["entry_topics"]
    return dict(zip(et.entry_id[et["rank"] == 1].astype(int), et.topic_id[et["rank"] == 1].astype(int)))


def test_the_copy_is_renamed_and_keeps_the_entries(booklet, new_booklet):
    # same 68 titles in the same order, plus the planted entry; nobody keeps a name, three sections renamed
    assert len(new_booklet.entries) == 69
    assert list(new_booklet.entries.title[:68]) == list(booklet.entries.title)
    assert new_booklet.entries.title.iloc[68] == PLANTED_TITLE
    assert not set(new_booklet.people.name) & set(booklet.people.name)
    assert {"规划与战略", "集成与互通", "部门管理"} <= set(new_booklet.sections.section)
    assert not {"信息规划", "系统集成", "科室管理"} & set(new_booklet.sections.section)


def test_the_run_saves_its_topic_model_and_it_round_trips(run_dir, study, booklet):
    path = run_dir / "data" / "processed" / MODEL_FILE
    assert model_file(run_dir) == path and path.exists()
    rec = json.loads(path.read_text(encoding="utf-8"))
    assert path.read_text(encoding="utf-8") == model_json(study.objects["topic_model"])
    assert rec["k"] == 7 and rec["seed"] == 0 and rec["booklet_sha256"] == booklet.meta["sha256"]
    assert rec["package_version"] and rec["settings"]["view"] == "entry"
    assert rec["settings"]["weights"] == {"title": 4, "question": 4, "answer": 1}
    m = read_model(run_dir)
    dtm, fit = study.objects["dtm"], study.objects["fit"]
    assert list(m.vocabulary) == [str(t) for t in dtm.terms]
    unit = fit.term_weights / np.linalg.norm(fit.term_weights, axis=1, keepdims=True)
    np.testing.assert_allclose(m.centroids, unit, atol=1e-12)
    assert list(m.topics.label) == list(study.tables["topics"].label)
    assert list(m.topics["size"]) == list(study.tables["topics"]["size"])
    again = parse_model(model_json(m.record), "again")
    np.testing.assert_array_equal(again.idf, m.idf)
    assert again.fit_threshold == m.fit_threshold
    # the run's manifest lists the model file with its checksum
    manifest = json.loads((run_dir / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["output_sha256"][f"data/processed/{MODEL_FILE}"] == file_sha256(path)


def test_every_twin_gets_the_topic_of_its_twin(carried, study):
    c = carried.tables["carried_topics"].set_index("entry_id")
    old = _assigned(study)
    assert {i: int(c.topic_id[i]) for i in range(1, 69)} == old
    labels = study.tables["topics"].set_index("topic_id").label
    assert all(c.label[i] == labels[old[i]] for i in range(1, 69))
    # the model's own check says the same of the old booklet: the nearest centroid is the consensus topic, 68/68
    assert read_model(carried.params.topics_from).record["self_check"]["nearest_matches_consensus"] == 68


def test_the_canteen_entry_fits_no_topic(carried):
    c = carried.tables["carried_topics"].set_index("entry_id")
    thr = read_model(carried.params.topics_from).fit_threshold
    assert bool(c.new_theme[69]) and c.fit[69] < thr
    assert list(c.index[c.new_theme]) == [69]  # every twin fits (its words are the old booklet's own)
    rows = [r for r in carried.objects["carried_findings"] if PLANTED_TITLE in r["text"]]
    assert len(rows) == 1 and rows[0]["entry_ids"] == "69" and "不属于任何已有主题" in rows[0]["text"]
    summary = carried.objects["carried_findings"][0]
    assert summary["text"].startswith("按上一本问答合集（68 条问答，7 个主题）") and "68/69 条" in summary["text"]
    assert summary["entry_ids"] == "69"


def test_shares_old_and_new(carried, study):
    s = carried.tables["carried_topic_shares"]
    sizes = study.tables["topics"]["size"].astype(int).tolist()
    assert s.n_old.tolist() == sizes and set(s.total_old) == {68}
    # the twins reproduce every topic's size; the canteen entry is in no topic
    assert s.n_new.tolist() == sizes and set(s.total_new) == {68}
    assert (s.p_value == 1.0).all() and (s.direction == "").all()
    assert any("没有一个主题的问答占比" in r["text"] for r in carried.objects["carried_findings"])


def test_a_shifted_booklet_shows_the_share_change(booklet, run_dir, study, tmp_path):
    """The copy without the entries of topic 0 (the largest): that topic's share falls from its size/68 to 0."""
    old = _assigned(study)
    keep = [i for i in range(1, 69) if old[i] != 0]
    lines = BOOKLET.read_text(encoding="utf-8").split("\n")
    e = booklet.entries.set_index("entry_id")
    # an entry runs from its title line to the line before the next title (line_start … line_end, 1-based)
    drop = {ln for i in range(1, 69) if old[i] == 0 for ln in range(int(e.line_start[i]), int(e.line_end[i]) + 1)}
    text = "\n".join(line for n, line in enumerate(lines, start=1) if n not in drop)
    path = tmp_path / "shifted.txt"
    path.write_text(text, encoding="utf-8")
    nb = read_booklet(path)
    assert list(nb.entries.title) == [e.title[i] for i in keep]
    s = analyse(nb, Params(k=7, topics_from=str(run_dir)), stages=["carry"]).tables["carried_topic_shares"]
    row = s.set_index("topic_id").loc[0]
    assert row.n_new == 0 and row.n_old == sizes_of(study)[0] and row.direction == "fewer" and row.q_value <= 0.05


def sizes_of(study) -> list[int]:
    return study.tables["topics"]["size"].astype(int).tolist()


def test_the_cache_key_reads_the_model_by_content(run_dir):
    path = run_dir / "data" / "processed" / MODEL_FILE
    assert param_digest("topics_from", str(run_dir)) == file_sha256(path) == param_digest("topics_from", str(path))


def test_cli_carry_writes_the_tables(new_booklet_path, run_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["carry", str(new_booklet_path), "-o", str(out), "--topics-from", str(run_dir), "-q", "-j", "1"]) == 0
    import pandas as pd

    t = pd.read_csv(out / "data" / "processed" / "carried_topics.csv", encoding="utf-8-sig")
    assert len(t) == 69 and t.new_theme.tolist().count(True) == 1 and bool(t.new_theme.iloc[68])


def _bad_files(tmp: Path, good: dict) -> dict[str, tuple[Path, str]]:
    """name → (file, a phrase its error line must contain)."""
    files = {}
    p = tmp / "not_json.json"
    p.write_text("这不是 JSON {", encoding="utf-8")
    files["not_json"] = (p, "not JSON")
    p = tmp / "other_schema.json"
    p.write_text(json.dumps({**good, "schema": "something/else"}), encoding="utf-8")
    files["schema"] = (p, "schema")
    p = tmp / "missing.json"
    p.write_text(json.dumps({k: v for k, v in good.items() if k not in ("idf", "centroids")}), encoding="utf-8")
    files["missing"] = (p, "idf, centroids")
    p = tmp / "shape.json"
    p.write_text(json.dumps({**good, "idf": good["idf"][:-1]}), encoding="utf-8")
    files["shape"] = (p, "shapes disagree")
    empty = tmp / "empty_folder"
    empty.mkdir()
    files["folder"] = (empty, "cannot read the topic model")
    return files


@pytest.mark.parametrize("case", ["not_json", "schema", "missing", "shape", "folder"])
def test_bad_model_files_give_one_line(case, run_dir, new_booklet_path, tmp_path, capsys):
    good = json.loads((run_dir / "data" / "processed" / MODEL_FILE).read_text(encoding="utf-8"))
    path, phrase = _bad_files(tmp_path, good)[case]
    with pytest.raises(TopicModelError, match=phrase):
        read_model(path)
    code = main(["carry", str(new_booklet_path), "-o", str(tmp_path / "out"), "--topics-from", str(path), "-q",
                 "-j", "1"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith("corpus-tools: error: ") and str(model_file(path)) in err[0] and phrase in err[0]


def test_compare_places_the_new_booklet_in_the_old_topics(new_booklet_path, study, cache_dir, tmp_path):
    """``compare OLD NEW`` takes the same path: the copy's entries in the bundled booklet's topics."""
    from corpus_tools.resultcache import DiskCache
    from corpus_tools.compare import compare_booklets

    out = tmp_path / "cmp"
    c = compare_booklets(BOOKLET, new_booklet_path, out, k=7, cache=DiskCache(cache_dir))
    t = c.tables["carried_topics"].set_index("entry_id")
    assert {i: int(t.topic_id[i]) for i in range(1, 69)} == _assigned(study)
    assert list(t.index[t.new_theme]) == [69]
    assert (out / "carried_topics.csv").exists() and (out / "carried_topic_shares.csv").exists()
    assert "沿用旧版主题" in (out / "comparison.html").read_text(encoding="utf-8")
