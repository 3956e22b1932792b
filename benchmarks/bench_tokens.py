"""The tokens stage alone (``terms.build_tokens``: tagging, term discovery, tagging again with the terms, the tokens
table) on the booklet and on synthetic corpora of N copies of it, each size in a fresh process: wall seconds and
peak RSS (MiB: this process before and after, and the largest worker process, if any).

Run: ``.venv/bin/python benchmarks/bench_tokens.py [N ...]`` (default sizes 1 10 30; 1 = the booklet itself).

``--save DIR`` pickles each size's ``tokens`` and ``discovered`` tables to ``DIR/tokref_N.pkl``; ``--check DIR``
compares them with ones saved earlier (``pandas.testing.assert_frame_equal``, exact: same rows, order, dtypes,
values), e.g. before and after a change of the tokenizer code.

Targets (2-core machine): ≤ 0.25 s per copy, linear in size, ≤ 300 MB added at 100 copies.
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BOOKLET = HERE.parent / "data" / "raw" / "hit_cio_training_qa.txt"


def _mib(ru_maxrss_kib: int) -> float:
    return ru_maxrss_kib / 1024


def one(n: int, save: Path | None, check: Path | None) -> dict:
    """Measure ``build_tokens`` on ``n`` copies (in this process); returns the numbers as a dict."""
    sys.path.insert(0, str(HERE))
    import corpus_tools
    from corpus_tools.terms import build_tokens

    with tempfile.TemporaryDirectory() as tmp:
        if n == 1:
            path = BOOKLET
        else:
            from bench_run import synthetic

            path = synthetic(n, Path(tmp) / f"x{n}.txt")
        booklet = corpus_tools.read_booklet(path)
    before = _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    t = time.perf_counter()
    stage = build_tokens(booklet)
    seconds = time.perf_counter() - t
    out = dict(copies=n, seconds=round(seconds, 2), per_copy=round(seconds / n, 3), rss_before=round(before),
               rss_self=round(_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)),
               rss_children=round(_mib(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)),
               tokens=len(stage.tokens), discovered=len(stage.discovered))
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        with open(save / f"tokref_{n}.pkl", "wb") as f:
            pickle.dump({"tokens": stage.tokens, "discovered": stage.discovered}, f)
    if check is not None:
        import pandas as pd

        with open(check / f"tokref_{n}.pkl", "rb") as f:
            ref = pickle.load(f)
        pd.testing.assert_frame_equal(stage.tokens, ref["tokens"], check_exact=True)
        pd.testing.assert_frame_equal(stage.discovered, ref["discovered"], check_exact=True)
        out["identical"] = True
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sizes", nargs="*", type=int, default=[1, 10, 30])
    ap.add_argument("--save", type=Path, help="pickle the tables to DIR/tokref_N.pkl")
    ap.add_argument("--check", type=Path, help="compare the tables with DIR/tokref_N.pkl")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size here
    a = ap.parse_args()
    if a.one is not None:
        print(json.dumps(one(a.one, a.save, a.check)))
        return
    print(f"{'copies':>6} {'seconds':>8} {'s/copy':>7} {'RSS before':>10} {'RSS peak':>9} {'workers':>8}  rows")
    for n in a.sizes:
        cmd = [sys.executable, __file__, "--one", str(n)]
        for flag, value in (("--save", a.save), ("--check", a.check)):
            if value is not None:
                cmd += [flag, str(value)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{n:>6} failed:\n{done.stderr.strip()[-2000:]}", flush=True)
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{r['copies']:>6} {r['seconds']:>8.2f} {r['per_copy']:>7.3f} {r['rss_before']:>8} MB "
              f"{r['rss_self']:>6} MB {r['rss_children']:>5} MB  {r['tokens']} tokens, {r['discovered']} terms"
              + ("  identical" if r.get("identical") else ""), flush=True)


if __name__ == "__main__":
    main()
