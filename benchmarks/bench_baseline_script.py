"""The reference point of issue 22 (item 8): a one-script analysis of the booklet as a user would write it without
this package — jieba tokens, tf-idf, one NMF fit, 10 PNG charts and a word cloud — timed against the whole
``corpus-tools run`` on the same booklet, each in a fresh process with an empty cache, ``--repeat`` times (the
minimum is reported: the machine is shared).

    .venv/bin/python benchmarks/bench_baseline_script.py [--repeat 3]
    .venv/bin/python benchmarks/bench_baseline_script.py --script-only   # the script alone, once, in this process

Target: run time ≤ 2 × the script's time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOKLET = ROOT / "data" / "raw" / "hit_cio_training_qa.txt"
MARK = "请用微信扫码观看答疑视频"  # the line that opens each entry's video notice


def script(outdir: Path) -> None:
    """The one-script analysis: entries split at the video notice, jieba words (2+ characters), tf-idf, NMF with
    7 topics, 10 bar charts of the topics' and entries' top words (PNG, 150 dpi) and one word cloud."""
    import jieba
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib import font_manager
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer
    from wordcloud import WordCloud

    from corpus_tools.fonts import cjk_font_path  # only to find the CJK font file a user would point at

    font = str(cjk_font_path())
    font_manager.fontManager.addfont(font)
    plt.rcParams["font.family"] = font_manager.FontProperties(fname=font).get_name()
    jieba.setLogLevel(60)
    text = BOOKLET.read_text(encoding="utf-8")
    docs = [d for d in text.split(MARK) if d.strip()]
    tokenized = [" ".join(w for w in jieba.lcut(d) if len(w) > 1 and not w.isascii()) for d in docs]
    vec = TfidfVectorizer(token_pattern=r"\S+", min_df=2, max_df=0.5, sublinear_tf=True)
    X = vec.fit_transform(tokenized)
    terms = np.array(vec.get_feature_names_out())
    nmf = NMF(n_components=7, init="nndsvd", random_state=0, max_iter=400)
    W = nmf.fit_transform(X)
    H = nmf.components_
    outdir.mkdir(parents=True, exist_ok=True)
    for t in range(7):  # 7 charts: each topic's top words
        top = H[t].argsort()[::-1][:15]
        fig, ax = plt.subplots(figsize=(6.9, 4.3), layout="constrained")
        ax.barh(terms[top][::-1], H[t][top][::-1])
        ax.set_title(f"主题 {t + 1} 的高权重词")
        fig.savefig(outdir / f"topic_{t + 1}.png", dpi=150)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(6.9, 4.3), layout="constrained")  # 8: topic sizes
    ax.bar([f"主题{t + 1}" for t in range(7)], np.bincount(W.argmax(1), minlength=7))
    ax.set_title("各主题的条目数")
    fig.savefig(outdir / "topic_sizes.png", dpi=150)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6.9, 6.9), layout="constrained")  # 9: entry × topic weights
    im = ax.imshow(W / np.maximum(W.sum(1, keepdims=True), 1e-12), aspect="auto", cmap="Blues")
    fig.colorbar(im, ax=ax)
    ax.set_title("条目 × 主题 权重")
    fig.savefig(outdir / "doc_topic_heatmap.png", dpi=150)
    plt.close(fig)
    freq = np.asarray(X.sum(0)).ravel()  # 10: the corpus's top words
    top = freq.argsort()[::-1][:30]
    fig, ax = plt.subplots(figsize=(6.9, 6.9), layout="constrained")
    ax.barh(terms[top][::-1], freq[top][::-1])
    ax.set_title("全书 tf-idf 最高的词")
    fig.savefig(outdir / "top_terms.png", dpi=150)
    plt.close(fig)
    cloud = WordCloud(font_path=font, width=1000, height=600, background_color="white", random_state=0)
    cloud.generate_from_frequencies(dict(zip(terms, freq)))
    cloud.to_file(str(outdir / "wordcloud.png"))


def timed(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--script-only", action="store_true")
    a = ap.parse_args()
    if a.script_only:
        script(Path(tempfile.mkdtemp(prefix="baseline-")))
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    base, run = [], []
    for _ in range(a.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            env["CORPUS_TOOLS_CACHE"] = str(Path(tmp) / "cache")
            base.append(timed([sys.executable, __file__, "--script-only"], env))
            run.append(timed([sys.executable, "-m", "corpus_tools.cli", "run", "-q", str(BOOKLET), "-o",
                              str(Path(tmp) / "out")], env))
    print(f"one-script analysis: {min(base):.1f} s (min of {a.repeat}: {', '.join(f'{x:.1f}' for x in base)})")
    print(f"corpus-tools run:    {min(run):.1f} s (min of {a.repeat}: {', '.join(f'{x:.1f}' for x in run)})")
    print(f"ratio run / script:  {min(run) / min(base):.2f} (target ≤ 2)")


if __name__ == "__main__":
    main()
