"""Network figures: node colour by type, size by volume, edge width by weight — each with its legend.

Every node is labelled when the labels fit; otherwise the most connected are, and the legend says how many.
Labels sit beside their node (offset by the node's radius, so a large node never hides its own name), on no
other node and no other label (:func:`.labels.place_clear_of_points`).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..network import ordered_subgraph
from .labels import keep_labels_apart, place_clear_of_points, plain_label, short_label, wrap_label
from .style import NEUTRAL, PALETTE, current_style, freeze_layout, lay_out, new_figure, row_height, styled

TYPE_COLORS = {"instructor": PALETTE[0], "topic": PALETTE[1], "trainee": PALETTE[2], "hospital": PALETTE[4],
               "term": PALETTE[5]}
TYPE_NAMES = {"instructor": "教员", "topic": "主题", "trainee": "学员", "hospital": "医院", "term": "关键词"}

# what node size and edge width stand for, per graph (G.graph["name"], set in corpus_tools.network)
MEANING = {
    "instructor_topic": ("问答条数", "该教员在该主题作答的条数"),
    "trainee_topic": ("问答条数", "该学员在该主题提问的条数"),
    "hospital_topic": ("问答条数", "该医院学员在该主题提问的条数"),
    "trainee_instructor": ("问答条数", "该学员的问题由该教员作答的条数"),
    "instructor_coanswer": ("与他人共同作答的条数", "两人共同作答的问答条数"),
    "term_cooccurrence": ("出现该词的发言数", "两词同现的发言数"),
}


def _meaning(G: nx.Graph) -> tuple[str, str]:
    return MEANING.get(G.graph.get("name", ""), ("问答条数", "条数"))


def _volume(G: nx.Graph, n) -> float:
    return float(G.nodes[n].get("size", 1) or 1)


def _scale(values: np.ndarray, lo: float, hi: float, vmax: float) -> np.ndarray:
    """sqrt scale (area ∝ value for marker sizes): 0 → lo, vmax → hi."""
    return lo + np.sqrt(np.clip(values, 0, None) / max(vmax, 1e-9)) * (hi - lo)


def _node_sizes(G: nx.Graph, nodes: list, max_diameter: float) -> tuple[np.ndarray, float]:
    """Marker areas (pt²) with area ∝ volume, the largest ``max_diameter`` points across; returns (areas, vmax)."""
    v = np.array([_volume(G, n) for n in nodes])
    vmax = float(v.max()) if len(v) else 1.0
    d = _scale(v, max_diameter * 0.25, max_diameter, vmax)
    return d ** 2, vmax


def _edge_widths(w: np.ndarray, wmax: float, hi: float = 4.0) -> np.ndarray:
    return 0.3 + (np.asarray(w, float) / max(wmax, 1e-9)) * (hi - 0.3)


def _nice_steps(vmin: float, vmax: float) -> list[int]:
    """Up to three legend values spanning the data: the smallest, the middle and the largest (e.g. 10, 49, 88)."""
    vmin, vmax = max(int(round(vmin)), 1), max(int(round(vmax)), 1)
    return sorted({vmin, int(round((vmin + vmax) / 2)), vmax})


def _ranked(G: nx.Graph, nodes) -> list:
    return sorted(nodes, key=lambda n: (-G.degree(n, weight="weight"), -_volume(G, n), str(n)))


def _legend(fig: Figure, ax, G: nx.Graph, types: list[str], vmax: float, max_diameter: float, wmax: float,
            note: str = "") -> None:
    """One legend under the plot: node colours by type (with one type, only its name), three node sizes, three edge
    widths, and ``note``."""
    size_label, width_label = _meaning(G)
    handles = [Line2D([], [], marker="o", linestyle="", markersize=6, color=TYPE_COLORS.get(t, NEUTRAL),
                      label=TYPE_NAMES.get(t, t)) for t in types]
    vmin = min((_volume(G, n) for n in G.nodes), default=1.0)
    for v in _nice_steps(vmin, vmax):
        d = float(_scale(np.array([v]), max_diameter * 0.25, max_diameter, vmax)[0])
        handles.append(Line2D([], [], marker="o", linestyle="", markersize=d, color="#bbbbbb",
                              markeredgecolor="white", label=f"{v}"))
    n_size = len(handles) - len(types)
    if wmax > 0:
        wmin = min((d.get("weight", 1) for _, _, d in G.edges(data=True)), default=1)
        for w in _nice_steps(wmin, wmax):
            handles.append(Line2D([], [], color=NEUTRAL, alpha=0.6, linewidth=float(_edge_widths([w], wmax)[0]),
                                  label=f"{w}"))
    n_width = len(handles) - len(types) - n_size
    # three columns of the legend: types | node sizes | edge widths, titled through empty handles (wrapped in a
    # single column, where three one-line headings would not fit side by side)
    single = current_style().figure_size == "single"

    def head(text: str) -> Line2D:
        if single:
            text = "\n".join(text[i:i + 9] for i in range(0, len(text), 9))
        return Line2D([], [], linestyle="", label=text)

    blank = Line2D([], [], linestyle="", label="")
    one = len(types) == 1  # one kind of node: no colour to explain, the heading names the kind
    cols = [[head("颜色：节点类型")] + handles[:len(types)] if not one else [head(f"圆点 = {handles[0].get_label()}")],
            [head(f"节点大小：{size_label}")] + handles[len(types):len(types) + n_size],
            [head(f"边宽：{width_label}")] + handles[len(types) + n_size:]]
    if not n_width:
        cols = cols[:2]
    depth = max(len(c) for c in cols)
    ordered = [h for c in cols for h in c + [blank] * (depth - len(c))]
    leg = fig.legend(handles=ordered, loc="outside lower center", ncols=len(cols), frameon=False,
                     handlelength=1.6 if single else 2.2, columnspacing=0.8 if single else 1.5,
                     borderaxespad=0.2, labelspacing=0.6)
    for text, h in zip(leg.get_texts(), ordered):
        if h.get_label().startswith(("颜色", "节点大小", "边宽", "圆点")):
            text.set_color("#333333")
    if note:
        ax.set_title(note, fontsize=current_style().font_size, color="#444444", loc="left", pad=2)


def _label(ax, G: nx.Graph, n, xy, diameter: float, side: str, chars: int):
    """Text beside a node: ``side`` 'left'/'right' of it, offset by the node's radius."""
    off = diameter / 2 + 2.5
    return ax.annotate(short_label(G.nodes[n].get("label", str(n)), chars), xy,
                       xytext=(-off if side == "left" else off, 0), textcoords="offset points",
                       ha="right" if side == "left" else "left", va="center", annotation_clip=False)


@styled
def bipartite_figure(G: nx.Graph, left_type: str, title: str, n_labels: int = 40) -> Figure:
    """Two columns: ``left_type`` nodes on the left (most connected first), the other nodes (topics or
    instructors) on the right; lines from left to right (direction of a directed graph = left → right). All
    nodes are labelled when the rows leave room for a label each; otherwise the ``n_labels`` most connected
    left nodes are, and the legend says so."""
    s = current_style()
    left = _ranked(G, [n for n, d in G.nodes(data=True) if d.get("type") == left_type])
    right_nodes = [n for n, d in G.nodes(data=True) if d.get("type") != left_type]
    topic_ids = {n: d.get("label", str(n)) for n, d in G.nodes(data=True)}
    right = (sorted(right_nodes, key=str) if all(G.nodes[n].get("type") == "topic" for n in right_nodes)
             else _ranked(G, right_nodes))
    rows = max(len(left), len(right), 1)
    fig = new_figure(row_height(rows, extra=1.9))
    ax = fig.add_subplot()
    if G.number_of_nodes() == 0:
        ax.text(0.5, 0.5, "（无数据）", ha="center")
        ax.axis("off")
        return fig
    fig.suptitle(plain_label(title))
    ax.axis("off")
    # vertical room per row, in points (axes ≈ figure height minus title and legend)
    axes_pt = (fig.get_figheight() - 1.7) * 72
    pitch = axes_pt / max(rows - 1, 1)
    max_d = float(np.clip(pitch * 0.9, 4, 18))
    pos = {}
    for i, n in enumerate(left):
        pos[n] = (0.0, 1 - i / max(len(left) - 1, 1) if len(left) > 1 else 0.5)
    for i, n in enumerate(right):
        pos[n] = (1.0, 1 - i / max(len(right) - 1, 1) if len(right) > 1 else 0.5)
    # x range: room for the longest label on each side (in inches, converted to data units)
    chars = s.label_chars
    fs = s.font_size
    lw = max((len(short_label(G.nodes[n].get("label", n), chars)) for n in left), default=1) * fs / 72 + 0.3
    rw = max((len(short_label(topic_ids[n], chars)) for n in right), default=1) * fs / 72 + 0.3
    axw = fig.get_figwidth() - 0.15
    per_unit = max(axw - lw - rw, 1.0)
    ax.set_xlim(-lw / per_unit, 1 + rw / per_unit)
    ax.set_ylim(-0.04, 1.04)
    # edges, heaviest on top
    edges = sorted(G.edges(data=True), key=lambda e: (e[2].get("weight", 1), str(e[0]), str(e[1])))
    w = np.array([d.get("weight", 1) for _, _, d in edges], float)
    wmax = float(w.max()) if len(w) else 0.0
    if len(edges):
        ax.add_collection(LineCollection([[pos[a], pos[b]] for a, b, _ in edges], linewidths=_edge_widths(w, wmax),
                                         colors=NEUTRAL, alpha=0.45, zorder=1))
    # nodes
    nodes = left + right
    areas, vmax = _node_sizes(G, nodes, max_d)
    colors = [TYPE_COLORS.get(G.nodes[n].get("type"), NEUTRAL) for n in nodes]
    xy = np.array([pos[n] for n in nodes])
    ax.scatter(xy[:, 0], xy[:, 1], s=areas, c=colors, edgecolors="white", linewidths=0.4, zorder=2)
    diam = dict(zip(nodes, np.sqrt(areas)))
    # labels: one per row fits when the pitch is at least 1.15 × the font size
    fits = pitch >= fs * 1.15
    shown_left = left if fits else left[:n_labels]
    for n in shown_left:
        _label(ax, G, n, pos[n], diam[n], "left", chars)
    for n in right:
        _label(ax, G, n, pos[n], diam[n], "right", chars)
    note = "" if len(shown_left) == len(left) else (
        f"{TYPE_NAMES.get(left_type, left_type)}以点表示；标注前 {len(shown_left)} 位（按条数），共 {len(left)} 位")
    types = list(dict.fromkeys(G.nodes[n].get("type") for n in nodes))
    _legend(fig, ax, G, [t for t in types if t], vmax, max_d, wmax, note)
    return fig


def component_layout(G: nx.Graph, seed: int = 0) -> dict:
    """Positions in the unit square and beside it: the largest connected component by a spring layout (fixed
    seed) scaled to fill [0, 1]², the other components with two nodes or more stacked in a column to its
    right (x 1.15–1.55). Isolated nodes get no position (they are listed in the figure instead)."""
    comps = sorted((sorted(c, key=str) for c in (nx.weakly_connected_components(G) if G.is_directed()
                                                 else nx.connected_components(G))),
                   key=lambda c: (-len(c), str(c[0])))
    comps = [c for c in comps if len(c) > 1]
    pos: dict = {}
    if not comps:
        return pos

    def fit(comp, x0, y0, w, h):
        sub = ordered_subgraph(G, comp)
        local = nx.spring_layout(sub, weight="weight", seed=seed, k=1.8 / np.sqrt(len(comp)), iterations=300)
        arr = np.array([local[n] for n in comp])
        lo, hi = arr.min(axis=0), arr.max(axis=0)
        span = np.where(hi - lo > 0, hi - lo, 1)
        for n, p in zip(comp, arr):
            q = (p - lo) / span
            pos[n] = np.array([x0 + q[0] * w, y0 + q[1] * h])

    fit(comps[0], 0.0, 0.0, 1.0, 1.0)
    rest = comps[1:]
    for i, comp in enumerate(rest):
        cell = 1.0 / max(len(rest), 1)
        top = 1.0 - i * cell
        fit(comp, 1.2, top - cell * 0.8, 0.3, cell * 0.6)
    return pos


@styled
def draw_graph(G: nx.Graph, title: str, pos: dict | None = None, n_labels: int = 25, seed: int = 0,
               figsize: tuple[float, float] | None = None) -> Figure:
    """Free layout (:func:`component_layout`, fixed seed) unless ``pos`` is given; node colour by type, area by
    volume, edge width by weight, each with a legend. The ``n_labels`` most connected nodes are labelled
    (all when there are fewer), each beside its node on no other node or label; isolated nodes are listed under the plot."""
    s = current_style()
    w_in = figsize[0] if figsize else None
    fig = new_figure(figsize[1] if figsize else s.width * 0.78, w_in)
    ax = fig.add_subplot()
    ax.axis("off")
    if G.number_of_nodes() == 0:
        ax.text(0.5, 0.5, "（无数据）", ha="center")
        return fig
    fig.suptitle(plain_label(title))
    if pos is None:
        pos = component_layout(G, seed)
    isolated = sorted((n for n in G.nodes if n not in pos), key=lambda n: (-_volume(G, n), str(n)))
    nodes = [n for n in G.nodes if n in pos]
    edges = sorted(((a, b, d) for a, b, d in G.edges(data=True) if a in pos and b in pos),
                   key=lambda e: (e[2].get("weight", 1), str(e[0]), str(e[1])))
    w = np.array([d.get("weight", 1) for _, _, d in edges], float)
    wmax = float(w.max()) if len(w) else 0.0
    if len(edges):
        ax.add_collection(LineCollection([[pos[a], pos[b]] for a, b, _ in edges], linewidths=_edge_widths(w, wmax),
                                         colors=NEUTRAL, alpha=0.4, zorder=1))
    max_d = 16.0 if s.figure_size == "double" else 11.0
    areas, vmax = _node_sizes(G, nodes, max_d) if nodes else (np.array([]), 1.0)
    xy = np.array([pos[n] for n in nodes]) if nodes else np.zeros((0, 2))
    ax.scatter(xy[:, 0], xy[:, 1], s=areas, c=[TYPE_COLORS.get(G.nodes[n].get("type"), NEUTRAL) for n in nodes],
               edgecolors="white", linewidths=0.4, zorder=2)
    xmax = max(1.0, float(xy[:, 0].max()) if len(xy) else 1.0)
    ax.set_xlim(-0.08, xmax + 0.08)
    ax.set_ylim(-0.08, 1.08)
    ranked = _ranked(G, nodes)
    shown = ranked[:n_labels]
    diam = dict(zip(nodes, np.sqrt(areas)))
    texts = [ax.text(*pos[n], short_label(G.nodes[n].get("label", str(n)), s.label_chars), zorder=3) for n in shown]
    note_parts = []
    if len(shown) < len(nodes):
        note_parts.append(f"标注连接最多的 {len(shown)} 个节点，共 {len(nodes)} 个")
    if isolated:
        names = "、".join(short_label(G.nodes[n].get("label", n), 8) for n in isolated[:12])
        more = f" 等 {len(isolated)} 个" if len(isolated) > 12 else ""
        note_parts.append(f"未与其他节点相连（未画出）：{names}{more}")
    types = list(dict.fromkeys(G.nodes[n].get("type") for n in G.nodes))
    _legend(fig, ax, G, [t for t in types if t], vmax, max_d, wmax, "；".join(note_parts))
    if texts:  # beside its node, on no node and no other label (adjustText left labels on nodes at the edges)
        lay_out(fig)
        freeze_layout(fig)
        place_clear_of_points(ax, texts, [pos[n] for n in shown], xy, np.sqrt(areas) / 2,
                              anchor_radius_pt=[diam[n] / 2 for n in shown])
    return fig


# ---------------------------------------------------------------- matrices instead of two-mode tangles

@styled
def answer_matrix_figure(table, title: str, group_label: str, max_rows: int = 30) -> Figure:
    """An instructor × group matrix of :func:`.data.answer_matrix` (entries answered; number printed in each non-empty
    cell, white = 0) with marginal bars: the column sums on top (instructor-entry pairs: an entry two instructors
    answered counts twice), entries per instructor on the right (each entry is in one group). Instructors in table order,
    at most ``max_rows`` (those who answered most; the title says how many of how many)."""
    from matplotlib.gridspec import GridSpec

    from .style import sequential_cmap
    from .trends import set_column_labels

    s = current_style()
    people = list(dict.fromkeys(table.instructor))
    groups = list(dict.fromkeys(table.group))
    shown = people[:max_rows]
    m = table.pivot(index="instructor", columns="group", values="entries").reindex(index=shown, columns=groups)
    data = m.fillna(0).to_numpy(dtype=float)
    fig = new_figure(row_height(len(shown), per_row_pt=s.font_size * 1.9, extra=2.4))
    gs = GridSpec(2, 2, figure=fig, width_ratios=(5, 1), height_ratios=(1, max(len(shown), 1) / 4), wspace=0.02,
                  hspace=0.02)
    ax = fig.add_subplot(gs[1, 0])
    top = fig.add_subplot(gs[0, 0], sharex=ax)
    right = fig.add_subplot(gs[1, 1], sharey=ax)
    vmax = max(float(data.max()) if data.size else 1.0, 1.0)
    ax.imshow(np.ma.masked_equal(data, 0), cmap=sequential_cmap(), vmin=0, vmax=vmax, aspect="auto",
              interpolation="nearest")
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            if data[i, j]:
                ax.text(j, i, f"{data[i, j]:.0f}", ha="center", va="center", fontsize=s.small_size,
                        color="white" if data[i, j] > 0.55 * vmax else "black")
    ax.set_yticks(range(len(shown)), [short_label(p, 8) for p in shown])
    set_column_labels(ax, groups, fit=s.width * 0.7 * 72 / max(len(groups), 1) / (s.font_size * 1.1) - 0.5)
    ax.set_xticks(np.arange(len(groups) + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(len(shown) + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="#eeeeee", linewidth=0.5)
    ax.tick_params(which="minor", length=0)
    ax.spines[:].set_visible(False)
    ax.set_xlabel(group_label)
    ax.set_ylabel("作答教员（按作答条数）")
    row_totals = data.sum(axis=1)  # each entry is in one group: an instructor's entries answered
    right.barh(range(len(shown)), row_totals, color=PALETTE[0], height=0.7)
    for i, v in enumerate(row_totals):
        right.text(v, i, f" {v:.0f}", va="center", ha="left", fontsize=s.small_size)
    right.set_xlim(0, max(row_totals.max() if len(row_totals) else 1, 1) * 1.35)
    right.tick_params(axis="y", left=False, labelleft=False)
    right.set_xticks([])
    right.spines[["bottom", "left"]].set_visible(False)
    right.set_xlabel("合计", labelpad=2)
    col_totals = data.sum(axis=0)
    top.bar(range(len(groups)), col_totals, color=PALETTE[7], width=0.7)
    for j, v in enumerate(col_totals):
        top.text(j, v, f"{v:.0f}", ha="center", va="bottom", fontsize=s.small_size)
    top.set_ylim(0, max(col_totals.max() if len(col_totals) else 1, 1) * 1.3)
    top.tick_params(axis="x", bottom=False, labelbottom=False)
    top.set_yticks([])
    top.spines[["left", "bottom"]].set_visible(False)
    top.set_ylabel("作答人次", rotation=0, ha="right", va="center")
    more = f"（作答最多的 {len(shown)} 位，共 {len(people)} 位）" if len(shown) < len(people) else ""
    fig.suptitle(plain_label(title) + more)
    return fig


# ---------------------------------------------------------------- KH Coder's co-occurrence network

@styled
def cooccurrence_figure(edges, title: str = "关键词共现网络", seed: int = 0) -> Figure:
    """The network of :func:`.data.cooccurrence_edges` as KH Coder draws it: node area ∝ entries using the word,
    colour = community (Okabe–Ito; communities past the eighth grey), edge width ∝ Jaccard, every word labelled
    beside its node and the labels pushed apart; a legend says what colour, size and width mean. Layout:
    Fruchterman–Reingold with ``seed``."""
    s = current_style()
    G = nx.Graph()
    for r in edges.itertuples():
        G.add_node(r.term_a, entries=r.entries_a, community=r.community_a)
        G.add_node(r.term_b, entries=r.entries_b, community=r.community_b)
        G.add_edge(r.term_a, r.term_b, weight=float(r.jaccard))
    fig = new_figure(aspect=0.75 if s.figure_size == "double" else 1.0)
    ax = fig.add_subplot()
    ax.axis("off")
    ax.set_title(plain_label(title))
    if not len(G):
        ax.text(0.5, 0.5, "（没有符合条件的词对）", ha="center", va="center", transform=ax.transAxes)
        return fig
    nodes = sorted(G.nodes)
    pos = nx.spring_layout(G.subgraph(nodes), seed=seed, weight="weight", k=1.6 / np.sqrt(len(nodes)))
    xy = np.array([pos[n] for n in nodes])
    w = np.array([G.edges[e]["weight"] for e in G.edges])
    ax.add_collection(LineCollection([(pos[a], pos[b]) for a, b in G.edges], colors="#9a9a9a",
                                     linewidths=0.4 + 2.6 * (w - w.min()) / max(np.ptp(w), 1e-9), zorder=1))
    entries = np.array([G.nodes[n]["entries"] for n in nodes], dtype=float)
    emax = entries.max()
    big = 260 if s.figure_size == "double" else 130

    def area(v):
        return 12 + big * np.asarray(v, dtype=float) / emax

    n_colour = 6  # Okabe–Ito without black, grey and yellow: the largest six communities; the rest grey
    colours = [PALETTE[int(G.nodes[n]["community"])] if int(G.nodes[n]["community"]) < n_colour else "#b0b0b0"
               for n in nodes]
    ax.scatter(xy[:, 0], xy[:, 1], s=area(entries), c=colours, alpha=0.75, edgecolors="white", linewidths=0.5,
               zorder=2)
    ax.margins(0.06)
    lay_out(fig)  # so data ↔ pixel conversions hold for the label offsets
    to_px, to_data = ax.transData.transform, ax.transData.inverted().transform
    radius_px = np.sqrt(area(entries)) / 2 * fig.dpi / 72  # marker radius in pixels
    texts = [ax.text(*to_data(to_px((x, y)) + [0, r + 1.5 * fig.dpi / 72]), short_label(n, 8), fontsize=s.font_size,
                     ha="center", va="bottom", zorder=3)  # above its node, clear of it
             for n, (x, y), r in zip(nodes, xy, radius_px)]
    n_comm = len({G.nodes[n]["community"] for n in nodes})
    steps = [v for v in _nice_steps(entries.min(), emax) if v <= emax][-3:]
    sizes = {}
    for n in nodes:
        sizes[G.nodes[n]["community"]] = sizes.get(G.nodes[n]["community"], 0) + 1
    handles = [Line2D([], [], marker="o", ls="", color=PALETTE[c], markersize=6, label=f"社群 {c + 1}（{sizes[c]} 词）")
               for c in range(min(n_comm, n_colour))]
    if n_comm > n_colour:
        rest = n_comm - n_colour
        handles.append(Line2D([], [], marker="o", ls="", color="#b0b0b0", markersize=6,
                              label=f"其余 {rest} 个社群（各 ≤ {max(sizes[c] for c in sizes if c >= n_colour)} 词）"))
    ncols = min(len(handles) + len(steps), 4 if s.figure_size == "double" else 2)
    depth = max(-(-len(handles) // max(ncols - 1, 1)), len(steps))  # colours fill the first columns, sizes the last
    handles += [Line2D([], [], ls="", label="")] * ((ncols - 1) * depth - len(handles))
    handles += [Line2D([], [], marker="o", ls="", color="#d0d0d0", markersize=float(np.sqrt(area(v))),
                       label=f"{v} 条问答") for v in steps]
    handles += [Line2D([], [], ls="", label="")] * (ncols * depth - len(handles))
    fig.legend(handles=handles, loc="outside lower center", ncols=ncols, frameon=False,
               title=wrap_label(f"颜色 = 社群（模块度划分，{n_comm} 个）；圆面积 = 用到该词的问答条数；线宽 = Jaccard 系数",
                                int(s.width * 72 / s.font_size) - 8, 3),
               handletextpad=0.3, columnspacing=1.0, labelspacing=0.9)
    lay_out(fig)
    fig.set_layout_engine("none")
    order = sorted(range(len(nodes)), key=lambda i: (-entries[i], nodes[i]))  # the most used words placed first
    leaders = place_clear_of_points(ax, [texts[i] for i in order], xy[order], xy, np.sqrt(area(entries)) / 2,
                                    anchor_radius_pt=np.sqrt(area(entries[order])) / 2)
    fig.draw_without_rendering()  # where no clear spot was left (single width), the less used word's label goes
    keep_labels_apart(fig, [texts[i] for i in order], keep_first=0, leaders=leaders)
    return fig


CLUSTER_PALETTE = PALETTE[:6]  # Okabe–Ito without black, grey and yellow (readable as text)
SINGLE = "#555555"  # a cluster of one term


@styled
def term_dendrogram(clusters, title: str = "关键词聚类树") -> Figure:
    """Dendrogram of a :func:`corpus_tools.dispersion.term_clusters` table (with a ``group`` column: the section
    each term is key for): leaves on the left axis (root to the right), labelled level (horizontal Chinese) "term（group·entries）",
    links and labels coloured by flat cluster (clusters of one term dark grey), the cut that makes those clusters dashed. x = Jaccard distance
    between the terms' entry sets, average linkage (:func:`scipy.cluster.hierarchy.dendrogram`)."""
    from scipy.cluster.hierarchy import dendrogram

    from ..dispersion import cluster_linkage

    s = current_style()
    t = clusters.sort_values("term", kind="stable").reset_index(drop=True)
    fig = new_figure(row_height(len(t), per_row_pt=s.font_size * 1.55, extra=1.3))
    ax = fig.add_subplot()
    ax.set_title(plain_label(title))
    if len(t) < 2:
        ax.text(0.5, 0.5, "（词太少）", ha="center", va="center", transform=ax.transAxes)
        return fig
    Z = cluster_linkage(t)
    n = len(t)
    cluster = t.cluster.astype(int).to_numpy()
    members = {i: {i} for i in range(n)}
    for k, (a, b) in enumerate(Z[:, :2].astype(int)):
        members[n + k] = members[a] | members[b]

    sizes = t.cluster.astype(int).value_counts()
    multi = [c for c in sorted(sizes.index) if sizes[c] >= 2]  # clusters of one term stay grey

    def colour(c: int) -> str:
        return CLUSTER_PALETTE[multi.index(c) % len(CLUSTER_PALETTE)] if c in multi else SINGLE

    def link_colour(k: int) -> str:
        cs = {int(cluster[i]) for i in members[k]}
        return colour(cs.pop()) if len(cs) == 1 else "#aaaaaa"

    names = [f"{short_label(r.term, 8)}（{short_label(r.group, 6)}·{int(r.entries)}）" for r in t.itertuples()]
    d = dendrogram(Z, orientation="right", labels=names, ax=ax, link_color_func=link_colour,
                   leaf_font_size=s.font_size)
    k = int(t.cluster.max())
    heights = sorted(Z[:, 2])
    if 1 < k <= n - 1:
        cut = (heights[-k] + heights[-k + 1]) / 2
        ax.axvline(cut, color="#555555", linewidth=0.6, linestyle="--")
    leaf_cluster = [int(cluster[i]) for i in d["leaves"]]
    for label, c in zip(ax.get_yticklabels(), leaf_cluster):
        label.set_color(colour(c))
    ax.tick_params(axis="y", length=0, pad=1)
    ax.set_xlim(0, max(float(Z[:, 2].max()) * 1.02, 1e-9))
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.set_xlabel(wrap_label("Jaccard 距离（1 − 共同问答数 / 用到任一词的问答数）；平均连接",
                             int(s.width * 72 / s.label_size) - 6, 2))
    fig.legend(handles=[Line2D([], [], color="#555555", lw=0.6, ls="--", label=f"切成 {k} 簇（颜色 = 多词簇，深灰 = 单词簇）")],
               loc="outside lower center", frameon=False,
               title="括号内 = 该词为关键词的栏目·用到该词的问答条数")
    return fig
