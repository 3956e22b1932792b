"""The whole run on the bundled booklet: output tree, manifest, determinism."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from corpus_tools.pipeline import RunParams, run
from conftest import BOOKLET


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    params = RunParams(seed=0, k=7, formats=("png", "svg"))
    outs = []
    for name in ("a", "b"):
        out = tmp_path_factory.mktemp(name)
        run(BOOKLET, out, params, progress=False)
        outs.append(out)
    return outs


def test_output_tree(two_runs):
    out = two_runs[0]
    tables = {p.stem for p in (out / "data" / "processed").glob("*.parquet")}
    assert {"entries", "turns", "askers", "people", "units", "tokens", "topics", "entry_topics", "topic_terms",
            "keyness_by_cohort", "keyness_by_section", "emerging_fading_terms", "coverage_units", "curriculum",
            "unit_by_section", "unit_by_topic"} <= tables
    figures = {p.name for p in (out / "figures").iterdir()}
    for stem in ("overview_entries_by_section", "topics_section_heatmap", "keyness_by_cohort",
                 "coverage_unit_by_section", "trends_top_terms_by_cohort"):
        assert f"{stem}.png" in figures and f"{stem}.svg" in figures
    assert "wordcloud_cohort_01.png" in figures and "wordcloud_cohort_01.svg" not in figures
    manifest = json.loads((out / "run_manifest.json").read_text(encoding="utf-8"))
    assert manifest["input"]["sha256"] == __import__("hashlib").sha256(BOOKLET.read_bytes()).hexdigest()
    assert manifest["params"]["k"] == 7 and manifest["params"]["seed"] == 0
    assert set(manifest["timings"]) == {"parse", "tokens", "topics", "network", "trends", "coverage", "figures",
                                        "report"}
    assert "pandas" in manifest["versions"]
    topics = pd.read_csv(out / "data" / "processed" / "topics.csv", encoding="utf-8-sig")
    assert len(topics) == 7 and topics["size"].sum() == 68


def test_same_input_same_outputs(two_runs):
    a, b = (json.loads((o / "run_manifest.json").read_text(encoding="utf-8"))["output_sha256"] for o in two_runs)
    assert a.keys() == b.keys() and len(a) > 50
    different = [k for k in a if a[k] != b[k] and not k.endswith(".parquet")]
    assert different == []
    for name in ("entries", "entry_topics", "keyness_by_cohort"):
        pd.testing.assert_frame_equal(pd.read_parquet(two_runs[0] / "data" / "processed" / f"{name}.parquet"),
                                      pd.read_parquet(two_runs[1] / "data" / "processed" / f"{name}.parquet"))
