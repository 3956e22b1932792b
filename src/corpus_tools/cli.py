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

    params = RunParams(seed=args.seed, k=args.k, formats=tuple(args.formats))
    summary = run(args.booklet, args.output, params, progress=not args.quiet)
    print(summary)
    return 0


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

    rp = sub.add_parser("run", help="run the whole study on a booklet: parse → tables → figures → report")
    rp.add_argument("booklet", nargs="?", default=str(DEFAULT_BOOKLET), help="booklet (default: the bundled one)")
    rp.add_argument("-o", "--output", default=str(DEFAULT_OUTDIR), help="output root (default: %(default)s)")
    rp.add_argument("--seed", type=int, default=0, help="random seed of every stochastic step (default 0)")
    rp.add_argument("-k", "--topics", dest="k", type=int, default=None,
                    help="number of topics (default: chosen by the documented stability/coherence rule)")
    rp.add_argument("--formats", nargs="+", default=["png", "svg"], choices=["png", "svg", "pdf"],
                    help="figure formats")
    rp.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    rp.set_defaults(func=_cmd_run)
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
