"""The whole run on the bundled booklet: output tree, manifest, determinism, caching and up-to-date reruns."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pandas as pd
import pytest

from corpus_tools.pipeline import Params, run
from corpus_tools.stages import STAGES
from conftest import BOOKLET


def _manifest(out) -> dict:
    return json.loads((out / "run_manifest.json").read_text(encoding="utf-8"))


def test_output_tree(run_dir):
    out = run_dir
    tables = {p.stem for p in (out / "data" / "processed").glob("*.parquet")}
    assert {"entries", "turns", "askers", "people", "units", "tokens", "topics", "entry_topics", "topic_terms",
            "keyness_by_cohort", "keyness_by_section", "emerging_fading_terms", "coverage_units", "curriculum",
            "unit_by_section", "unit_by_topic"} <= tables
    figures = {p.name for p in (out / "figures").iterdir()}
    for stem in ("overview_entries_by_section", "topics_section_heatmap", "keyness_by_cohort",
                 "coverage_unit_by_section", "trends_top_terms_by_cohort"):
        assert f"{stem}.png" in figures and f"{stem}.svg" in figures
    # the figures the report does not show are left to --all-figures: listed in the gallery, with their data
    assert "wordcloud_cohorts.png" not in figures and (out / "figures" / "data" / "wordcloud_cohorts.csv").is_file()
    manifest = _manifest(out)
    assert manifest["input"]["sha256"] == hashlib.sha256(BOOKLET.read_bytes()).hexdigest()
    assert manifest["params"]["k"] == 7 and manifest["params"]["seed"] == 0
    # every declared stage ran and is timed; parse, figures, report and writing are timed too
    assert manifest["stages"] == [s.name for s in STAGES]
    assert {s.name for s in STAGES} | {"parse", "figures", "report", "write"} <= set(manifest["timings"])
    # every file the manifest lists is there with that checksum (PNG included)
    for rel, sha in manifest["output_sha256"].items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == sha, rel
    assert any(rel.endswith(".png") for rel in manifest["output_sha256"])
    topics = pd.read_csv(out / "data" / "processed" / "topics.csv", encoding="utf-8-sig")
    # (k = 7 was given, so the number of rows says nothing): every entry's first-ranked topic is counted in its
    # topic's size, the 68 entries of the booklet, and no topic of the k is empty
    first = pd.read_csv(out / "data" / "processed" / "entry_topics.csv", encoding="utf-8-sig").query("rank == 1")
    assert first.entry_id.is_unique and len(first) == 68
    assert topics.set_index("topic_id")["size"].to_dict() == \
        first.topic_id.value_counts().reindex(topics.topic_id, fill_value=0).to_dict()
    assert topics["size"].sum() == 68 and (topics["size"] > 0).all() and topics.topic_id.tolist() == list(range(7))
    # no staging, backup or lock left behind
    leftovers = [p.name for p in out.parent.iterdir() if ".staging-" in p.name or ".backup-" in p.name]
    assert leftovers == [] and not (out / ".corpus-tools.lock").exists()


@pytest.fixture(scope="module")
def second_run(tmp_path_factory):
    """A second cold run (its own empty cache) of the same input and parameters, in one process (``jobs=1``):
    the session's run used two workers, and results must not depend on that."""
    out = tmp_path_factory.mktemp("second")
    cache = tmp_path_factory.mktemp("cache2")
    result = run(BOOKLET, out, Params(k=7, seed=0, jobs=1), progress=False, cache_dir=cache)
    return out, cache, result


def test_the_summary_counts_the_files_in_the_folders_it_names(run_result, run_dir):
    """The summary a run prints names data/processed with the number of tables there (it counted the figures' data
    files of figures/data/ too: "88 张" for a folder of 57 CSV files), and the figures' data files apart."""
    import re

    text = str(run_result)
    processed = len(list((run_dir / "data" / "processed").glob("*.csv")))
    figure_data = len(list((run_dir / "figures" / "data").glob("*.csv")))
    assert processed > 40 and figure_data == 30  # the booklet's 30 figures, each with its data
    line = next(ln for ln in text.splitlines() if ln.startswith("数据表："))
    assert re.match(rf"数据表：{processed} 张（.*data/processed，CSV 可用 Excel 打开）；各图的数据 {figure_data} 张在 "
                    r"figures/data$", line), line


def test_same_input_same_outputs(run_dir, second_run):
    a, b = _manifest(run_dir)["output_sha256"], _manifest(second_run[0])["output_sha256"]
    assert a.keys() == b.keys() and len(a) > 50
    different = [k for k in a if a[k] != b[k] and not k.endswith(".parquet")]
    assert different == []
    for name in ("entries", "entry_topics", "keyness_by_cohort"):
        pd.testing.assert_frame_equal(pd.read_parquet(run_dir / "data" / "processed" / f"{name}.parquet"),
                                      pd.read_parquet(second_run[0] / "data" / "processed" / f"{name}.parquet"))


def test_unchanged_rerun_is_up_to_date(second_run):
    out, cache, first = second_run
    assert first.study.cached == []
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    t = time.perf_counter()
    again = run(BOOKLET, out, Params(k=7, seed=0), progress=False, cache_dir=cache)
    took = time.perf_counter() - t
    assert again.up_to_date and again.study is None
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before  # nothing rewritten
    assert "report.html" in str(again)
    assert took < 30  # generous: the point is that nothing was recomputed (see the timing benchmark)


def test_changed_file_is_noticed_and_only_formats_change_redoes_only_figures(second_run, tmp_path):
    out, cache, _ = second_run
    # a damaged output is not "up to date"
    target = out / "data" / "processed" / "topics.csv"
    original = target.read_bytes()
    target.write_bytes(original + b"x")
    with pytest.warns(RuntimeWarning, match=r"topics\.csv was changed after the last run: kept as ") as said:
        redo = run(BOOKLET, out, Params(k=7, seed=0), progress=False, cache_dir=cache)
    assert not redo.up_to_date
    assert set(redo.study.cached) == {s.name for s in STAGES}  # every stage came from the cache
    assert target.read_bytes() == original
    # the user's edit is not lost: the warning names where it was kept, and the kept copy is the edited file
    kept = Path(str(next(w.message for w in said if "topics.csv" in str(w.message))).split("kept as ")[-1].strip())
    assert kept.is_file() and kept.read_bytes() == original + b"x"
    assert kept.relative_to(out).parts[0] == "kept"
    # other figure formats: the stages are reused, only the figures are written (from the figure cache here)
    png = run(BOOKLET, tmp_path / "png", Params(k=7, seed=0, formats=("png",)), progress=False, cache_dir=cache)
    assert set(png.study.cached) == {s.name for s in STAGES}
    figs = {p.suffix for p in (tmp_path / "png" / "figures").glob("*.*")}
    assert ".png" in figs and ".svg" not in figs


def test_all_figures_draws_the_ten_the_report_leaves_out(second_run, tmp_path):
    """A plain run draws the figures the report shows (20 of the booklet's 30); --all-figures draws the other 10 as
    well, taking the stages and the 20 already drawn from the cache (same bytes); the gallery then lists files for
    all 30 and no longer says that some were not drawn."""
    from corpus_tools.report import REPORT_FIGURES

    out, cache, first = second_run
    drawn = {p.stem for p in (out / "figures").glob("*.png")}
    assert drawn == REPORT_FIGURES & set(first.study.figures) and len(drawn) == 20
    assert "另有 10 张报告中没有的图，加 --all-figures 即画出" in str(first)
    every = run(BOOKLET, tmp_path / "all", Params(k=7, seed=0, all_figures=True), progress=False, cache_dir=cache)
    assert set(every.study.cached) == {s.name for s in STAGES}
    pngs = {p.stem: p.read_bytes() for p in (tmp_path / "all" / "figures").glob("*.png")}
    assert set(pngs) == set(first.study.figures) and len(pngs) == 30
    assert all(pngs[stem] == (out / "figures" / f"{stem}.png").read_bytes() for stem in drawn)
    index = pd.read_csv(tmp_path / "all" / "figures" / "index.csv", encoding="utf-8-sig", keep_default_na=False)
    assert (index.files != "").all()
    assert "本次画出" not in (tmp_path / "all" / "figures" / "index.html").read_text(encoding="utf-8")
    assert "另有" not in str(every)


def test_fresh_ignores_the_cache(second_run, tmp_path):
    out, cache, _ = second_run
    fresh = run(BOOKLET, tmp_path / "fresh", Params(k=7, seed=0), progress=False, cache_dir=cache, fresh=True,
                only=("tokens",))
    assert fresh.study.cached == []
    assert fresh.study.stages_run == ["tokens"]


def test_a_failed_run_leaves_the_previous_run_as_it_was(second_run, tmp_path, monkeypatch):
    out, cache, _ = second_run
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    import corpus_tools.save as save

    def broken(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(save, "_write_gallery", broken)  # fails after tables and figures were staged
    with pytest.raises(RuntimeError, match="drawing failed"):
        run(BOOKLET, out, Params(k=7, seed=0, formats=("png",)), progress=False, cache_dir=cache)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_cached_results_of_other_code_are_not_reused(booklet, monkeypatch):
    """Cache keys carry a fingerprint of the package's files: the same version number with edited code (a
    development checkout) recomputes instead of reusing results made by the old code."""
    import corpus_tools.resources as resources
    from corpus_tools.analysis import analyse

    store: dict = {}

    class Cache:
        def get(self, stage, key):
            return store.get((stage, key))

        def put(self, stage, key, output):
            store[(stage, key)] = output

    first = analyse(booklet, Params(), stages=["overview"], cache=Cache())
    again = analyse(booklet, Params(), stages=["overview"], cache=Cache())
    assert first.cached == [] and again.cached == ["overview"]
    monkeypatch.setattr(resources, "code_fingerprint", lambda: "edited")
    edited = analyse(booklet, Params(), stages=["overview"], cache=Cache())
    assert edited.cached == [] and edited.stage_keys["overview"] != first.stage_keys["overview"]


def _chart(label: str):
    """A one-axes figure titled ``label``, in the project style: a figure for the renderer tests."""
    from corpus_tools.plots import style

    fig = style.new_figure()
    fig.add_subplot().set_title(label)
    return fig


def test_a_png_only_run_draws_the_reports_svgs_in_its_workers():
    """The report inlines its charts as SVG: with ``--formats png`` the renderer draws them as SVG too (in the
    workers, with the PNGs) and writes only the PNGs. Before, the report drew each chart again, one by one, in the
    run's main process: a PNG-only run of the booklet took 12 s instead of 8."""
    from corpus_tools.render import FigureRenderer
    from corpus_tools.report import REPORT_FIGURES
    from corpus_tools.study import FigureSpec

    shown = "overview_entries_by_section"
    assert shown in REPORT_FIGURES and "not_in_the_report" not in REPORT_FIGURES

    class Stub:  # just what the renderer reads
        stage_keys = {"overview": "k"}
        figures = {shown: FigureSpec(shown, _chart, ("甲",)), "not_in_the_report": FigureSpec("x", _chart, ("乙",))}
        figure_stage = {shown: "overview", "not_in_the_report": "overview"}

    params = Params(formats=("png",), all_figures=True)
    renderer = FigureRenderer(params, None, report=True)  # one job: drawn here, when added
    rendered = renderer.collect(Stub())
    assert {stem: sorted(v) for stem, v in rendered.items()} == {shown: ["png", "svg"], "not_in_the_report": ["png"]}
    assert rendered[shown]["svg"].lstrip().startswith(b"<?xml") and rendered[shown]["png"][:4] == b"\x89PNG"
    assert {stem: sorted(v) for stem, v in renderer.files(rendered).items()} == {shown: ["png"],
                                                                                "not_in_the_report": ["png"]}
    # without a report (a partial run), nothing is drawn beyond the formats asked for
    alone = FigureRenderer(params, None).collect(Stub())
    assert {stem: sorted(v) for stem, v in alone.items()} == {shown: ["png"], "not_in_the_report": ["png"]}


def test_a_rerun_adding_a_format_draws_only_that_format(tmp_path, monkeypatch):
    """The figure cache holds a figure's PNG and SVG; a rerun asking for PDF as well draws the PDF alone and takes
    the other two from the cache (it drew all three: a rerun adding --formats pdf took 8.3 s on the booklet). The
    PDF drawn alone is the file a run drawing all three formats writes (it was laid out at its own resolution)."""
    import corpus_tools.render as render
    from corpus_tools.resultcache import DiskCache
    from corpus_tools.render import FigureRenderer
    from corpus_tools.study import FigureSpec

    asked = []
    real = render._render_bytes
    monkeypatch.setattr(render, "_render_bytes", lambda spec, formats, *a: asked.append(formats) or real(spec, formats, *a))

    class Stub:
        stage_keys = {"overview": "k"}
        figures = {"overview_entries_by_section": FigureSpec("overview_entries_by_section", _chart, ("甲",))}
        figure_stage = {"overview_entries_by_section": "overview"}

    cache = DiskCache(tmp_path / "cache")
    first = FigureRenderer(Params(formats=("png", "svg")), cache).collect(Stub())
    again = FigureRenderer(Params(formats=("png", "svg", "pdf")), cache).collect(Stub())
    assert asked == [("png", "svg"), ("pdf",)]
    got = again["overview_entries_by_section"]
    assert list(got) == ["png", "svg", "pdf"] and got["pdf"].startswith(b"%PDF")
    assert {f: got[f] for f in ("png", "svg")} == first["overview_entries_by_section"]
    # and the PDF is cached in its turn: a third run draws nothing
    FigureRenderer(Params(formats=("png", "svg", "pdf")), cache).collect(Stub())
    assert len(asked) == 2
    fresh = FigureRenderer(Params(formats=("png", "svg", "pdf")), DiskCache(tmp_path / "fresh")).collect(Stub())
    assert fresh["overview_entries_by_section"] == got


def test_figures_wait_for_the_runs_font_and_are_drawn_with_it(booklet, tmp_path):
    """A figure added before the run's font subset is ready is held, then drawn with that font file — every
    figure of a run the same way, whichever stage made it and however fast the font was cut."""
    from concurrent.futures import Future

    from corpus_tools.fonts import cjk_font_path
    from corpus_tools.render import FigureRenderer
    from corpus_tools.study import FigureSpec

    seen = []

    def probe(label):
        from corpus_tools.plots import style

        seen.append((label, str(style.cjk_font_path())))
        fig = style.new_figure()
        fig.add_subplot().set_title(label)
        return fig

    class Stub:  # just what the renderer reads
        stage_keys = {"overview": "k"}

    font = Future()
    renderer = FigureRenderer(Params(formats=("png",), all_figures=True), None, font=font)  # one job: drawn here
    renderer.add(Stub(), "overview", {"a": FigureSpec("a", probe, ("甲",))})
    assert seen == [] and renderer.pending == {}  # held
    subset = tmp_path / "figure-font.otf"
    subset.write_bytes(cjk_font_path().read_bytes())  # a copy of the font, under another path
    font.set_result((None, str(subset)))
    renderer.add(Stub(), "overview", {"b": FigureSpec("b", probe, ("乙",))})
    assert seen == [("甲", str(subset)), ("乙", str(subset))]
    assert set(renderer.pending) == {"a", "b"}


def test_pages_get_a_covering_font_when_the_early_font_process_failed(study):
    """The run's font subset is cut in a process of its own; if that process fails, the report and the gallery
    still get a font holding every character they show (cut in the main process)."""
    from concurrent.futures import Future

    from corpus_tools.render import pages_font as _pages_font
    from corpus_tools.report import report_chars

    failed = Future()
    failed.set_exception(RuntimeError("font process died"))
    font = _pages_font(study, None, failed)
    assert report_chars(study) <= font.chars and len(font.woff_b64) > 100_000
    assert {"医", "院", "数", "据"} <= font.chars
