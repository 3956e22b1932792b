"""``corpus-tools`` — the command layer. Thin: each command calls the package and prints; errors on bad input
are one line naming the file and line, with exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import BookletError
from .paths import DEFAULT_BOOKLET, DEFAULT_OUTDIR


def _cmd_parse(args: argparse.Namespace) -> int:
    from .booklet import read_booklet

    booklet = read_booklet(args.input)
    outdir = Path(args.output)
    written = booklet.save(outdir, formats=tuple(args.formats))
    print(booklet.report(), end="")
    print(f"\nWrote {len(written)} files to {outdir}/ (tables as {', '.join(args.formats)}; parse_report.txt)")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from .pipeline import RunParams, run

    params = RunParams(seed=args.seed, k=args.k, formats=tuple(args.formats), anonymise=args.anonymise)
    only = None if args.command == "run" else (args.command,)
    summary = run(args.booklet, args.output, params, progress=not args.quiet, only=only)
    print(summary)
    return 0


def _cmd_notebooks(args: argparse.Namespace) -> int:
    from .notebooks import run_notebooks

    for path in run_notebooks(args.output, booklet=args.booklet, seed=args.seed, k=args.k,
                              anonymise=args.anonymise):
        print(f"executed → {path}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from .compare import compare_booklets

    result = compare_booklets(args.old, args.new, args.output, seed=args.seed, formats=tuple(args.formats))
    print(result.summary())
    return 0


def _run_options(p: argparse.ArgumentParser, booklet: bool = True) -> None:
    if booklet:
        p.add_argument("booklet", nargs="?", default=str(DEFAULT_BOOKLET), help="booklet (default: the bundled one)")
    p.add_argument("-o", "--output", default=str(DEFAULT_OUTDIR), help="output root (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="random seed of every stochastic step (default 0)")
    p.add_argument("-k", "--topics", dest="k", type=int, default=None,
                   help="number of topics (default: chosen by the documented stability/coherence rule)")
    p.add_argument("--anonymise", "--anonymize", action="store_true",
                   help="show trainees as stable codes (T01 …) instead of names in networks, figures and report")
    p.add_argument("--formats", nargs="+", default=["png", "svg"], choices=["png", "svg", "pdf"],
                   help="figure formats (default: png svg)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")


def _cmd_kwic(args: argparse.Namespace) -> int:
    from .booklet import read_booklet
    from .store import write_table
    from .trends import kwic

    booklet = read_booklet(args.booklet)
    hits = kwic(booklet.turns, args.term, window=args.window)
    titles = booklet.entries.set_index("entry_id").title
    for h in hits.itertuples():
        print(f"[{h.entry_id:>3}·{h.turn_no}] {h.speaker or '（匿名学员）'}（{'教员' if h.role == 'instructor' else '学员'}）"
              f" 行{h.line_start}: …{h.left}【{h.term}】{h.right}…")
    print(f"\n{len(hits)} occurrences of “{args.term}” in {hits.entry_id.nunique()} entries"
          + (f": {', '.join(str(i) for i in sorted(hits.entry_id.unique())[:10])}" if len(hits) else ""))
    if args.csv:
        out = hits.assign(title=[titles[i] for i in hits.entry_id])
        write_table(out, Path(args.csv).parent, Path(args.csv).stem, ("csv",))
        print(f"written to {args.csv}")
    return 0 if len(hits) else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="corpus-tools", description="Parse and analyse training-programme Q&A booklets.")
    p.add_argument("--version", action="version", version=f"corpus-tools {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    sp = sub.add_parser("parse", help="parse a booklet into tables (CSV for Excel + Parquet) and a parse report")
    sp.add_argument("input", help="booklet text file (UTF-8/UTF-16/GB18030)")
    sp.add_argument("-o", "--output", default=str(DEFAULT_OUTDIR / "data" / "processed"),
                    help="output folder (default: %(default)s)")
    sp.add_argument("--formats", nargs="+", default=["csv", "parquet"], choices=["csv", "parquet"])
    sp.set_defaults(func=_cmd_parse)

    kp = sub.add_parser("kwic", help="every use of a term in the turns, with its context (key word in context)")
    kp.add_argument("term", help="the term, e.g. 数据湖 or 等保")
    kp.add_argument("--booklet", default=str(DEFAULT_BOOKLET), help="booklet (default: the bundled one)")
    kp.add_argument("-w", "--window", type=int, default=20, help="characters of context each side (default 20)")
    kp.add_argument("--csv", help="also write the hits to this CSV file (UTF-8 with BOM)")
    kp.set_defaults(func=_cmd_kwic)

    rp = sub.add_parser("run", help="the whole study on a booklet: parse → tokens → topics → networks → "
                                    "trends/coverage → figures → report.html")
    _run_options(rp)
    rp.set_defaults(func=_cmd_run)
    for name, what in (("topics", "topic models, their comparison and figures"),
                       ("network", "speaker–topic networks (tables, GEXF/GraphML, figures)"),
                       ("trends", "keyword trends, keyness, emerging/fading terms, word clouds"),
                       ("coverage", "curriculum coverage tables and figures"),
                       ("report", "the self-contained HTML review report (runs what it needs)")):
        sp_ = sub.add_parser(name, help=f"only {what}")
        _run_options(sp_)
        sp_.set_defaults(func=_cmd_run)

    np_ = sub.add_parser("notebooks", help="execute every notebook on a booklet into an output folder")
    np_.add_argument("--booklet", default=None, help="booklet (default: the bundled one)")
    np_.add_argument("-o", "--output", default="notebooks_out", help="folder for executed notebooks")
    np_.add_argument("--seed", type=int, default=0)
    np_.add_argument("-k", "--topics", dest="k", type=int, default=None)
    np_.add_argument("--anonymise", "--anonymize", action="store_true")
    np_.set_defaults(func=_cmd_notebooks)

    cp = sub.add_parser("compare", help="compare two booklets (e.g. two sessions): topics, key terms, units, "
                                        "hospitals and people gained or lost")
    cp.add_argument("old", help="the earlier booklet")
    cp.add_argument("new", help="the later booklet")
    cp.add_argument("-o", "--output", default="comparison", help="output folder (default: %(default)s)")
    cp.add_argument("--seed", type=int, default=0)
    cp.add_argument("--formats", nargs="+", default=["png", "svg"], choices=["png", "svg", "pdf"])
    cp.set_defaults(func=_cmd_compare)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BookletError as exc:
        print(f"corpus-tools: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"corpus-tools: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
