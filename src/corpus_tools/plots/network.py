"""Network figures: node size by volume, edge width by weight, labels for the important nodes only."""

from __future__ import annotations

import matplotlib
import networkx as nx
import numpy as np
from matplotlib.figure import Figure

from ..network import ordered_subgraph
from .style import PALETTE, new_figure

TYPE_COLORS = {"instructor": PALETTE[0], "topic": PALETTE[1], "trainee": PALETTE[2], "hospital": PALETTE[4],
               "term": PALETTE[7]}


def _sizes(G: nx.Graph, lo: float = 60, hi: float = 900) -> list[float]:
    v = np.array([float(G.nodes[n].get("size", 1) or 1) for n in G.nodes])
    v = np.sqrt(v)
    if v.max() == v.min():
        return [0.5 * (lo + hi)] * len(v)
    return list(lo + (v - v.min()) / (v.max() - v.min()) * (hi - lo))


def _widths(G: nx.Graph, lo: float = 0.4, hi: float = 5.0) -> list[float]:
    w = np.array([d.get("weight", 1) for _, _, d in G.edges(data=True)], dtype=float)
    if not len(w) or w.max() == w.min():
        return [1.2] * len(w)
    return list(lo + (w - w.min()) / (w.max() - w.min()) * (hi - lo))


def _important(G: nx.Graph, n_labels: int) -> set:
    ranked = sorted(G.nodes, key=lambda n: (-G.degree(n, weight="weight"), str(n)))
    return set(ranked[:n_labels])


def component_layout(G: nx.Graph, seed: int = 0) -> dict:
    """Spring layout (fixed seed) of each connected component, components side by side, largest first and
    drawn largest — a plain spring layout pushes small components to the corners and squeezes the main one."""
    comps = sorted((sorted(c, key=str) for c in (nx.weakly_connected_components(G) if G.is_directed()
                                                 else nx.connected_components(G))),
                   key=lambda c: (-len(c), str(c[0])))
    pos, x, y, row_height = {}, 0.0, 0.0, 0.0
    width = 2.0 * np.sqrt(len(comps[0])) + 4 if comps else 1.0
    for comp in comps:
        size = np.sqrt(len(comp))
        sub = ordered_subgraph(G, comp)
        local = (nx.spring_layout(sub, weight="weight", seed=seed, k=2.5 / np.sqrt(len(comp)), iterations=300)
                 if len(comp) > 1 else {comp[0]: np.zeros(2)})
        if x + 2 * size > width and x > 0:
            x, y, row_height = 0.0, y - row_height - 1.0, 0.0
        for n, (px, py) in local.items():
            pos[n] = np.array([x + size + px * size, y - size + py * size])
        x += 2 * size + 1.0
        row_height = max(row_height, 2 * size)
    return pos


def draw_graph(G: nx.Graph, title: str, pos: dict | None = None, n_labels: int = 25, seed: int = 0,
               figsize: tuple[float, float] = (9, 7)) -> Figure:
    """Spring layout (fixed seed) unless ``pos`` is given; node colour by type, size by volume, edge width by
    weight; only the ``n_labels`` nodes with the largest weighted degree are labelled."""
    fig = new_figure(*figsize)
    ax = fig.add_subplot()
    if G.number_of_nodes() == 0:
        ax.text(0.5, 0.5, "（无数据）", ha="center")
        ax.axis("off")
        return fig
    if pos is None:
        pos = component_layout(G, seed)
    colors = [TYPE_COLORS.get(G.nodes[n].get("type"), PALETTE[5]) for n in G.nodes]
    arrows = G.is_directed()
    nx.draw_networkx_edges(G, pos, ax=ax, width=_widths(G), alpha=0.35, edge_color="#666666", arrows=arrows,
                           arrowsize=8 if arrows else 10, node_size=_sizes(G))
    nx.draw_networkx_nodes(G, pos, ax=ax, node_size=_sizes(G), node_color=colors, alpha=0.9, linewidths=0.5,
                           edgecolors="white")
    labelled = _important(G, n_labels)
    labels = {n: G.nodes[n].get("label", str(n)) for n in G.nodes if n in labelled}
    nx.draw_networkx_labels(G, pos, labels=labels, ax=ax, font_size=8,
                            font_family=matplotlib.rcParams["font.sans-serif"][0],
                            bbox=dict(facecolor="white", alpha=0.65, edgecolor="none", pad=0.3))
    present = sorted({G.nodes[n].get("type") for n in G.nodes} - {None})
    for kind in present:
        ax.scatter([], [], color=TYPE_COLORS.get(kind, PALETTE[5]), label={"instructor": "教员", "topic": "主题",
                   "trainee": "学员", "hospital": "医院", "term": "关键词"}.get(kind, kind))
    ax.legend(frameon=False, loc="lower left", fontsize=8)
    ax.set_title(title)
    ax.axis("off")
    return fig


def bipartite_figure(G: nx.Graph, left_type: str, title: str, n_labels: int = 40) -> Figure:
    """Two columns: ``left_type`` nodes on the left (by volume), topics on the right."""
    left = sorted((n for n, d in G.nodes(data=True) if d.get("type") == left_type),
                  key=lambda n: (-G.degree(n, weight="weight"), str(n)))
    right = sorted((n for n, d in G.nodes(data=True) if d.get("type") != left_type), key=str)
    pos = {}
    for i, n in enumerate(left):
        pos[n] = (0.0, 1 - i / max(len(left) - 1, 1))
    for i, n in enumerate(right):
        pos[n] = (1.0, 1 - i / max(len(right) - 1, 1))
    height = max(5.0, 0.28 * max(len(left), len(right)) + 1.5)
    fig = draw_graph(G, title, pos=pos, n_labels=0, figsize=(9, height))
    ax = fig.axes[0]
    shown = _important(G, n_labels) | set(right)
    for n in left + right:
        if n in shown:
            x, y = pos[n]
            ax.text(x - 0.04 if x == 0 else x + 0.04, y, G.nodes[n].get("label", str(n)), fontsize=8,
                    ha="right" if x == 0 else "left", va="center")
    ax.set_xlim(-0.45, 1.6)
    return fig
