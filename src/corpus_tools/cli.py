"""``corpus-tools`` — the command layer. Thin: each command calls the package and prints.

Every bad option and every input the tool cannot use gives ONE line on stderr, ``corpus-tools: error: …``, and
exit code 2 — never a traceback (``--debug`` shows it). Warnings are one line each, ``corpus-tools: warning: …``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import functools
import math
import os
import sys
import traceback
import warnings
from pathlib import Path
from typing import Iterator, NoReturn

from . import __version__
from .errors import BookletError, OutputLocked
from .ingest import DEFAULT_MAX_MB
from .paths import DEFAULT_BOOKLET, DEFAULT_OUTDIR
from .study import Params

DEFAULTS = Params()  # every option's default is the parameter's own (study.Params)

PROG = "corpus-tools"
MAX_SEED = 2**32 - 1  # numpy's seeds are 32-bit

KWIC_EPILOG = """\
output: one line per occurrence,
  [entry·turn] speaker（教员 instructor | 学员 trainee） 行<the booklet line the term is on>: …left【term】right…
then a count line: "<n> occurrences of “term” in <m> entries: <first entry ids>".
Exit status: 0 if the term occurs, 1 if it does not, 2 on an error."""


# ---------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``corpus-tools run: error: … (see corpus-tools run --help)``, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {_one_line(message)} (see {self.prog} --help)\n")


def _int_in(lo: int | None = None, hi: int | None = None, what: str = "a whole number"):
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if lo is not None and value < lo:
            raise argparse.ArgumentTypeError(f"{value} is too small: must be ≥ {lo}")
        if hi is not None and value > hi:
            raise argparse.ArgumentTypeError(f"{value} is too large: must be ≤ {hi}")
        return value
    parse.__name__ = "int"
    return parse


def _positive_mb(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of megabytes") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be a positive number of megabytes")
    return value


def _term(text: str) -> str:
    term = text.strip()
    if not term:
        raise argparse.ArgumentTypeError("the term is blank: give a word, e.g. 数据湖")
    if any(c in term for c in "\n\r\t\x00"):
        raise argparse.ArgumentTypeError("the term must be one line of text")
    return term


def _existing_file(text: str) -> str:
    p = Path(text)
    if not p.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    if not p.is_file():
        raise argparse.ArgumentTypeError(f"{text}: not a regular file")
    return text


def _existing_path(text: str) -> str:
    if not Path(text).exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file or folder")
    return text


def _add_debug(p: argparse.ArgumentParser, top: bool = False) -> None:
    p.add_argument("--debug", action="store_true", default=False if top else argparse.SUPPRESS,
                   help="on an error, show the full Python traceback (default: one error line)")


def _run_options(p: argparse.ArgumentParser, booklet: bool = True) -> None:
    if booklet:
        p.add_argument("booklet", nargs="*", default=[str(DEFAULT_BOOKLET)],
                       help="booklet text file, UTF-8/UTF-16/GB18030; several booklets (earliest first) are analysed "
                            f"as one programme (default: {DEFAULT_BOOKLET})")
        p.add_argument("--cohort-offset", action="append", default=[], metavar="FILE=N",
                       help="several booklets: add N to the cohorts FILE prints (e.g. B.txt=3: its 第一期 is cohort 4 "
                            "of the programme); repeat per booklet (default: 0, or after the highest cohort so far "
                            "when two booklets print the same cohort, with a warning)")
        p.add_argument("--programme", type=_existing_file, default=None, metavar="CSV",
                       help="several booklets: a CSV with columns booklet, cohort_offset (as --cohort-offset) "
                            "(default: none)")
    p.add_argument("-o", "--output", default=str(DEFAULT_OUTDIR), metavar="FOLDER",
                   help="output folder; tables go to data/processed/, figures to figures/ (default: the current "
                        "folder)")
    _add_study_options(p)
    p.add_argument("--formats", nargs="+", default=list(DEFAULTS.formats), choices=["png", "svg", "pdf"],
                   metavar="FMT", help=f"figure file formats, any of png svg pdf (default: {' '.join(DEFAULTS.formats)})")
    p.add_argument("--dpi", type=_int_in(50, 1200, "a resolution in dots per inch"), default=DEFAULTS.dpi,
                   metavar="N", help="resolution of PNG figures, 50 … 1200 (default: %(default)s)")
    p.add_argument("--figure-size", choices=["single", "double"], default=DEFAULTS.figure_size,
                   help="figure width: one journal column (8.5 cm) or two (17.5 cm) (default: %(default)s)")
    p.add_argument("--synonyms", type=_existing_file, default=None, metavar="FILE",
                   help="concept file (concept, variant) (default: the shipped starter file)")
    p.add_argument("--topics-from", type=_existing_path, default=None, metavar="OLD_OUT",
                   help="an earlier run's output folder (or its data/processed/topic_model.json): also place this "
                        "booklet's entries among that run's topics (same ids and labels), with how well each fits "
                        "and the shares per topic old vs new (default: off)")
    p.add_argument("--fresh", action="store_true",
                   help="recompute every stage instead of reusing cached results (default: reuse)")
    p.add_argument("--pdf", action="store_true",
                   help="also print the report to report.pdf with Chromium (default: HTML only)")
    p.add_argument("--all-figures", action="store_true",
                   help="draw every figure into figures/, also those the report does not show (word clouds, the "
                        "term co-occurrence network, the cohort and unit views …) (default: the report's figures)")
    p.add_argument("-j", "--jobs", type=_int_in(1, 64, "a number of processes"), default=DEFAULTS.jobs, metavar="N",
                   help="worker processes for choosing topics and drawing figures; results do not depend on it "
                        "(default: %(default)s)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output (default: progress on stderr)")
    _add_input_options(p)


def _add_study_options(p: argparse.ArgumentParser) -> None:
    """The options that change what a study finds, shared by ``run`` (and the stage commands) and ``notebooks``."""
    p.add_argument("--seed", type=_int_in(0, MAX_SEED, "a seed (a whole number ≥ 0)"), default=DEFAULTS.seed,
                   metavar="N",
                   help="random seed of every stochastic step, 0 … 2^32-1 (default: %(default)s)")
    p.add_argument("-k", "--topics", dest="k", type=_int_in(2, None, "a number of topics"), default=DEFAULTS.k,
                   help="number of topics, 2 ≤ k ≤ number of entries (default: chosen by the documented "
                        "stability/coherence rule)")
    p.add_argument("--anonymise", "--anonymize", action="store_true",
                   help="show trainees as stable codes (T01 …) instead of names in every table, figure, network "
                        "and the report (default: names shown)")
    p.add_argument("--curriculum", type=_existing_file, default=None, metavar="FILE",
                   help="curriculum CSV (cohort, unit_no, title[, description, lecturer]) to compare the questions "
                        "with (default: the shipped example curriculum when it lists exactly the booklet's units, "
                        "else the unit titles the booklet prints)")
    p.add_argument("--codes", type=_existing_file, default=None, metavar="FILE",
                   help="codebook file with the coding rules (default: the shipped starter codebook)")


def _add_input_options(p: argparse.ArgumentParser) -> None:
    """``--max-size`` (the input check) and ``--debug``, on every command that reads a booklet."""
    p.add_argument("--max-size", type=_positive_mb, default=None, metavar="MB",
                   help=f"largest booklet accepted, in megabytes (default: {DEFAULT_MAX_MB:g})")
    _add_debug(p)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Parse and analyse training-programme Q&A booklets "
                                       "(医院信息中心主任能力培训班 答疑合集).",
                epilog="Run 'corpus-tools COMMAND --help' for a command's options. On bad input every command "
                       "prints one line 'corpus-tools: error: …' and exits with status 2.")
    p.add_argument("--version", action="version", version=f"corpus-tools {__version__}")
    _add_debug(p, top=True)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    desc = "Parse a booklet into tables (CSV for Excel + Parquet) and a plain-text parse report."
    sp = sub.add_parser("parse", help=desc, description=desc)
    sp.add_argument("input", help="booklet text file (UTF-8/UTF-16/GB18030)")
    sp.add_argument("-o", "--output", default=str(DEFAULT_OUTDIR / "data" / "processed"),
                    help="output folder (default: %(default)s)")
    sp.add_argument("--formats", nargs="+", default=list(DEFAULTS.table_formats), choices=["csv", "parquet"],
                    help="table file formats (default: %(default)s)")
    _add_input_options(sp)
    sp.set_defaults(func=_cmd_parse)

    desc = "Every use of a term in the booklet's turns, with its context (key word in context)."
    kp = sub.add_parser("kwic", help=desc, description=desc, epilog=KWIC_EPILOG,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    kp.add_argument("term", type=_term, help="the term, e.g. 数据湖 or 等保 (not blank)")
    kp.add_argument("--booklet", default=str(DEFAULT_BOOKLET), help="booklet (default: %(default)s)")
    kp.add_argument("-w", "--window", type=_int_in(1, 500, "a number of characters"), default=20,
                    help="characters of context each side, 1 … 500 (default: %(default)s)")
    kp.add_argument("--csv", metavar="PATH", default=None,
                    help="also write the hits to exactly this file, as CSV (UTF-8 with BOM) with columns entry_id, "
                         "turn_no, speaker, role, left, term, right, line_start (the turn's first line), line (the occurrence's), "
                         "title (default: no file)")
    kp.add_argument("--force", action="store_true", help="let --csv overwrite an existing file (default: refuse)")
    _add_input_options(kp)
    kp.set_defaults(func=_cmd_kwic)

    desc = ("The whole study on a booklet: parse → tokens → topics → networks → trends/coverage → figures → "
            "report.html.")
    rp = sub.add_parser("run", help=desc, description=desc)
    _run_options(rp)
    rp.set_defaults(func=_cmd_run)
    from .stages import STAGES  # one subcommand per declared stage

    for name, what in [(st.name, st.description) for st in STAGES] + [
            ("report", "the self-contained HTML review report (runs every stage)")]:
        d = f"Only {what}; the stages it needs run too (their outputs are written as well)."
        sp_ = sub.add_parser(name, help=f"Only {what}.", description=d)
        _run_options(sp_)
        sp_.set_defaults(func=_cmd_run)

    _add_notebooks_compare_cache(sub)
    return p


def _add_notebooks_compare_cache(sub) -> None:
    """The ``notebooks``, ``compare`` and ``cache`` commands."""
    desc = "Execute every notebook (notebooks/NN_*.ipynb) on a booklet into an output folder."
    np_ = sub.add_parser("notebooks", help=desc, description=desc)
    np_.add_argument("--booklet", default=None, help="booklet (default: the bundled one)")
    np_.add_argument("--programme-booklets", nargs="+", default=None, metavar="FILE",
                     help="the booklets of 06_programme, earliest first (default: --booklet alone)")
    np_.add_argument("-o", "--output", default="notebooks_out",
                     help="folder for the executed notebooks (default: %(default)s)")
    _add_study_options(np_)
    _add_input_options(np_)
    np_.set_defaults(func=_cmd_notebooks)

    desc = ("Compare two booklets (e.g. two sessions): topics, key terms, units, hospitals and people gained or "
            "lost.")
    cp = sub.add_parser("compare", help=desc, description=desc)
    cp.add_argument("old", help="the earlier booklet")
    cp.add_argument("new", help="the later booklet")
    cp.add_argument("-o", "--output", default="comparison", help="output folder (default: %(default)s)")
    cp.add_argument("--seed", type=_int_in(0, MAX_SEED, "a seed (a whole number ≥ 0)"), default=DEFAULTS.seed,
                    help="random seed (default: %(default)s)")
    cp.add_argument("--formats", nargs="+", default=list(DEFAULTS.formats), choices=["png", "svg", "pdf"],
                    metavar="FMT", help=f"figure file formats, any of png svg pdf (default: {' '.join(DEFAULTS.formats)})")
    cp.add_argument("-k", "--topics", dest="k", type=_int_in(2, None, "a number of topics"), default=DEFAULTS.k,
                    help="number of topics in both booklets (default: chosen for each by the documented rule)")
    _add_input_options(cp)
    cp.set_defaults(func=_cmd_compare)

    desc = ("Show or empty the result cache ($CORPUS_TOOLS_CACHE or ~/.cache/corpus_tools): entries per kind, "
            "size, the size cap ($CORPUS_TOOLS_CACHE_MAX_MB) and where its key is kept.")
    kp_ = sub.add_parser("cache", help=desc, description=desc)
    what = kp_.add_mutually_exclusive_group()
    what.add_argument("--info", action="store_true", help="show what the cache holds (default: on, when no other option is given)")
    what.add_argument("--clear", action="store_true", help="remove every cached entry (default: off)")
    what.add_argument("--prune", action="store_true", help="remove least recently used entries down to the cap (default: off; done after every run)")
    kp_.set_defaults(func=_cmd_cache)


# ---------------------------------------------------------------- commands


class UsageError(Exception):
    """A bad option found after parsing (e.g. k larger than the number of entries): one line, exit 2."""


def _cmd_parse(args: argparse.Namespace) -> int:
    from .booklet import read_booklet

    from .save import write_booklet
    from .store import StagedOutput

    booklet = read_booklet(args.input)
    outdir = Path(args.output)
    # staged: the tables of a previous parse stay as they were unless every new table was written
    with StagedOutput(outdir, manifest="parse_report.txt") as stage:
        written = write_booklet(booklet, stage, formats=tuple(args.formats))
    print(booklet.report(), end="")
    print(f"\n已写入 {len(written)} 个文件到 {outdir}/（表格格式：{'、'.join(args.formats)}；"
          f"解析报告 parse_report.txt）")
    return 0


def make_params(args: argparse.Namespace):
    """The run parameters from the options: only the fields the parameter class declares are passed."""
    names = {f.name for f in dataclasses.fields(Params)}
    wanted = dict(seed=args.seed, k=args.k, formats=tuple(args.formats), anonymise=args.anonymise,
                  dpi=getattr(args, "dpi", None), figure_size=getattr(args, "figure_size", None),
                  curriculum=getattr(args, "curriculum", None), codes=getattr(args, "codes", None),
                  synonyms=getattr(args, "synonyms", None), topics_from=getattr(args, "topics_from", None),
                  fresh=getattr(args, "fresh", False),
                  max_size=getattr(args, "max_size", None), pdf=getattr(args, "pdf", False),
                  all_figures=getattr(args, "all_figures", False), jobs=getattr(args, "jobs", None))
    kwargs = {k: v for k, v in wanted.items() if k in names and v is not None}
    try:
        return Params(**kwargs)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _cmd_run(args: argparse.Namespace) -> int:
    from .pipeline import run

    params = make_params(args)  # k ≤ the number of entries is checked by run, once the booklet is parsed
    only = None if args.command == "run" else (args.command,)
    offsets = _cohort_offsets(args)
    booklets = list(args.booklet) if isinstance(args.booklet, (list, tuple)) else [args.booklet]
    if offsets:
        from .programme import check_offsets

        try:
            check_offsets(offsets, booklets)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    summary = run(booklets, args.output, params,  # one booklet, or a programme (pipeline.run tells them apart)
                  progress=not args.quiet, only=only, fresh=bool(getattr(args, "fresh", False)),
                  cohort_offsets=offsets or None)
    print(summary)
    return 0


def _cohort_offsets(args: argparse.Namespace) -> dict[str, int]:
    """``--programme CSV`` then ``--cohort-offset FILE=N`` (which wins) as ``{booklet: offset}``."""
    from .programme import offsets_from_table, parse_offset_specs

    out: dict[str, int] = {}
    try:
        if getattr(args, "programme", None):
            import pandas as pd

            out.update(offsets_from_table(pd.read_csv(args.programme, dtype=str, encoding="utf-8-sig")))
        out.update(parse_offset_specs(getattr(args, "cohort_offset", None) or []))
    except ValueError as exc:
        raise UsageError(f"{getattr(args, 'programme', None) or '--cohort-offset'}: {exc}") from None
    return out


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from .booklet import read_booklet
    from .notebooks import run_notebooks

    booklet = args.booklet or str(DEFAULT_BOOKLET)
    n = len(read_booklet(booklet).entries)  # bad input: one line here, before any notebook runs
    if args.k is not None and args.k > n:
        raise UsageError(f"-k {args.k}: the booklet {booklet} has only {n} entries; choose 2 ≤ k ≤ {n}")
    def done(path: Path, i: int, n_notebooks: int, seconds: float) -> None:  # one line per notebook
        print(f"[{i}/{n_notebooks}] {path.name} 已执行（{seconds:.0f} 秒）→ {path}", flush=True)

    run_notebooks(args.output, booklet=args.booklet, seed=args.seed, k=args.k, anonymise=args.anonymise,
                  curriculum=args.curriculum, codes=args.codes, booklets=args.programme_booklets, on_done=done)
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare_booklets

    from .resultcache import cache

    result = compare_booklets(args.old, args.new, args.output, seed=args.seed, formats=tuple(args.formats),
                              k=args.k, cache=cache())
    print(result.summary())
    return 0


def _cmd_kwic(args: argparse.Namespace) -> int:
    import pandas as pd

    from .booklet import read_booklet
    from .store import write_csv_file
    from .trends import kwic

    target = Path(args.csv) if args.csv else None
    if target is not None:
        if target.exists() and not args.force:
            raise UsageError(f"{target}: the file exists; add --force to overwrite it")
        if target.is_dir():
            raise UsageError(f"{target}: is a folder; give a file name for --csv")
    booklet = read_booklet(args.booklet)
    hits = kwic(booklet.turns, args.term, window=args.window, lines=booklet.lines)
    titles = booklet.entries.set_index("entry_id").title
    for h in hits.itertuples():
        print(f"[{h.entry_id:>3}·{h.turn_no}] {h.speaker or '（匿名学员）'}（{'教员' if h.role == 'instructor' else '学员'}）"
              f" 行{h.line_start if pd.isna(h.line) else h.line}: …{h.left}【{h.term}】{h.right}…")
    n_entries = hits.entry_id.nunique()
    print(f"\n{len(hits)} occurrence{'' if len(hits) == 1 else 's'} of “{args.term}” in {n_entries} "
          f"entr{'y' if n_entries == 1 else 'ies'}"
          + (f": {', '.join(str(i) for i in sorted(hits.entry_id.unique())[:10])}" if len(hits) else ""))
    if target is not None:
        out = hits.assign(title=[titles[i] for i in hits.entry_id])
        written = write_csv_file(out, target)
        print(f"written to {written}")
    return 0 if len(hits) else 1


# ---------------------------------------------------------------- errors and warnings


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"{PROG}: warning: {_one_line(message)}", file=sys.stderr)


def _error(message: str, debug: bool) -> int:
    hint = "" if debug else " (run again with --debug for the traceback)"
    print(f"{PROG}: error: {_one_line(message)}{hint}", file=sys.stderr)
    return 2


def _os_error_text(exc: OSError) -> str:
    name = exc.filename if exc.filename not in (None, "") else None
    reason = exc.strerror or str(exc) or type(exc).__name__
    if name is not None and exc.filename2:
        return f"{name} → {exc.filename2}: {reason}"
    return f"{name}: {reason}" if name is not None else reason


def _writable_config_for_matplotlib() -> None:
    """If matplotlib's config folder cannot be written (HOME read-only or missing) and ``MPLCONFIGDIR`` is not
    set, point it at a temporary folder (removed at exit) with one warning, instead of matplotlib's two-line
    message in this process and in every worker."""
    if os.environ.get("MPLCONFIGDIR") or "matplotlib" in sys.modules:
        return
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    folder = Path(base) / "matplotlib"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return
    except OSError:
        pass
    import atexit
    import shutil
    import tempfile

    tmp = tempfile.mkdtemp(prefix="corpus-tools-matplotlib-")
    atexit.register(shutil.rmtree, tmp, True)
    os.environ["MPLCONFIGDIR"] = tmp
    warnings.warn(f"{folder} cannot be written (is HOME writable?); matplotlib's settings go to {tmp} for this run",
                  RuntimeWarning, stacklevel=2)


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM (``kill``) raises KeyboardInterrupt, so staged output is cleaned up and the lock
    released before the process ends (``kill -9`` cannot be caught: the next run recovers instead)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _cmd_cache(args: argparse.Namespace) -> int:
    from .resultcache import DiskCache

    c = DiskCache()
    if args.clear:
        print(f"removed {c.clear()} cached files from {c.root}")
        return 0
    if args.prune:
        print(f"removed {len(c.prune())} least recently used entries from {c.root}")
        return 0
    info = c.info()
    print(f"cache folder: {info['folder']}")
    for kind, v in info["kinds"].items():
        print(f"  {kind:8} {v['entries']:6d} entries  {v['bytes'] / 2**20:9.1f} MB")
    # MB as $CORPUS_TOOLS_CACHE_MAX_MB counts them (2**20 bytes): the default cap prints as 1024
    print(f"  total             {info['total_bytes'] / 2**20:9.1f} MB of at most {info['max_bytes'] / 2**20:.0f} MB "
          f"(least recently used entries are removed after each run)")
    print(f"key file: {info['key_file']} (entries are checked against it before use)")
    return 0


@functools.lru_cache(maxsize=1)
def _parser() -> argparse.ArgumentParser:
    """The parser, built once per process: ``parse_args`` leaves it unchanged, and building it costs more than a
    small command (many in-process ``main()`` calls, e.g. the tests)."""
    return build_parser()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            args = _parser().parse_args(argv)
        except SystemExit as exc:  # --help, --version, or a one-line usage error
            return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        debug = bool(getattr(args, "debug", False)) or debug
        if args.command not in ("parse", "kwic", "cache"):  # the commands that draw figures
            _writable_config_for_matplotlib()
        from .ingest import input_size_limit

        try:
            with input_size_limit(getattr(args, "max_size", None)), _terminate_as_interrupt():
                # the module's handler as it is now (the parser, built once, holds the one of its first call)
                return globals().get(args.func.__name__, args.func)(args)
        except (BookletError, OutputLocked, UsageError) as exc:
            print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"{PROG}: error: interrupted; unfinished outputs were discarded", file=sys.stderr)
            return 130
        except BrokenPipeError:  # e.g. `corpus-tools kwic … | head`
            try:
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep Python quiet at exit
            except OSError:
                pass
            return 0
        except OSError as exc:
            if debug:
                traceback.print_exc()
            return _error(_os_error_text(exc), debug)
        except MemoryError:
            if debug:
                traceback.print_exc()
            return _error("out of memory: the booklet is too large for this machine's memory "
                          "(try a smaller booklet or fewer topics)", debug)
        except Exception as exc:  # anything unexpected: still one line
            if debug:
                traceback.print_exc()
            return _error(f"unexpected {type(exc).__name__}: {exc}", debug)


def entry() -> None:
    """The ``corpus-tools`` command (and ``python -m corpus_tools.cli``): :func:`main`, then exit with its code.
    Before the interpreter's own clean-up, the objects left are moved out of the garbage collector's sight
    (``gc.freeze``): its collections at exit walk every object of the study and of the libraries (≈ 0.35 s after a
    run on the booklet) and find nothing that exiting does not free anyway. In-process callers use :func:`main`."""
    code = main()
    import gc

    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
