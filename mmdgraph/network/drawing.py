"""Pictures of a view with matplotlib (the ``notebooks`` extra): ``draw`` and its ``sides_layout``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .colours import colour, colour_group
from .measures import canonical

if TYPE_CHECKING:
    import networkx as nx
    from matplotlib.axes import Axes


def sides_layout(G: nx.Graph) -> dict[Any, tuple[float, float]]:
    """Africa on the left half of a circle, Europe on the right, others at the bottom; each
    side ordered by region then label, so labels do not collide and cross-side links show."""

    def side(n: Any) -> str:
        a = G.nodes[n]
        return a.get("side") or ("Africa" if "Africa" in str(a.get("region", "")) else "other")

    def order(n: Any) -> tuple[str, str]:
        return str(G.nodes[n].get("region", "")), str(G.nodes[n].get("label", n))

    groups = {s: sorted((n for n in G if side(n) == s), key=order) for s in ("Africa", "Europe", "other")}
    pos: dict[Any, tuple[float, float]] = {}
    arcs = {"Africa": (100, 260), "Europe": (80, -80), "other": (250, 290)}
    for s, nodes in groups.items():
        a0, a1 = arcs[s]
        for i, n in enumerate(nodes):
            t = math.radians(a0 + (a1 - a0) * (i + 0.5) / len(nodes))
            pos[n] = (math.cos(t), math.sin(t))
    return pos


def draw(
    G: nx.Graph, ax: Axes | None = None, title: str | None = None, layout: str | None = None, label_size: int = 11
) -> Axes:
    """Draw a view with matplotlib: nodes coloured by region (states) or type, sized by
    (weighted) degree, labelled beside the node, with a legend. Returns the matplotlib Axes.

    ``layout``: ``"sides"`` (Africa left, Europe right; the default for co-chair) or
    ``"spring"`` (force-directed with a fixed seed; the default otherwise).
    """
    import matplotlib.pyplot as plt
    import networkx as nx
    from matplotlib.lines import Line2D

    G = canonical(G)
    if ax is None:
        _, ax = plt.subplots(figsize=(11, 9))
    layout = layout or ("sides" if G.graph.get("name") == "co-chair" else "spring")
    pos = sides_layout(G) if layout == "sides" else nx.spring_layout(G, seed=3, k=1.6 / max(1, len(G)) ** 0.5)
    strength = dict(G.degree(weight="weight"))
    top = max(strength.values(), default=1) or 1
    size = {n: 220 + 1100 * strength[n] / top for n in G}  # marker area in points²
    groups = {n: colour_group(G.nodes[n]) for n in G}
    weights = [a.get("weight", 1) for _, _, a in G.edges(data=True)]
    nx.draw_networkx_edges(G, pos, ax=ax, width=[1 + 1.8 * (w - 1) for w in weights], edge_color="#8c8c8c", alpha=0.8)
    nx.draw_networkx_nodes(
        G,
        pos,
        ax=ax,
        nodelist=list(G),
        node_color=[colour(groups[n]) for n in G],
        node_size=[size[n] for n in G],
        edgecolors="white",
        linewidths=1.5,
    )
    for n, (x, y) in pos.items():
        label = str(G.nodes[n].get("label", n))
        label = label if len(label) <= 40 else label[:39] + "…"
        gap = math.sqrt(size[n]) / 2 + 3  # the marker's radius in points, and a little air
        side = -1 if (layout == "sides" and x < -0.05) else 1
        ax.annotate(
            label,
            (x, y),
            xytext=(side * gap, 0),
            textcoords="offset points",
            va="center",
            ha="right" if side < 0 else "left",
            fontsize=label_size,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75},
        )
    if layout == "sides":
        for text, x in (("AFRICA", -1.0), ("EUROPE", 1.0)):
            ax.annotate(text, (x, 1.12), ha="center", fontsize=label_size + 1, color="#555555", weight="bold")
    weighted = any(w > 1 for w in weights)
    if weighted:
        for (u, v), w in nx.get_edge_attributes(G, "weight").items():
            if w > 1:
                (x1, y1), (x2, y2) = pos[u], pos[v]
                ax.annotate(
                    str(w),
                    ((x1 + x2) / 2, (y1 + y2) / 2),
                    ha="center",
                    va="center",
                    fontsize=label_size - 1,
                    bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": "#8c8c8c"},
                )
    handles = [Line2D([], [], marker="o", ls="", ms=11, color=colour(g), label=g) for g in sorted(set(groups.values()))]
    if layout == "sides":  # the lower right corner is free
        ax.legend(handles=handles, loc="lower right", frameon=False, fontsize=label_size)
    else:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1, 1), frameon=False, fontsize=label_size)
    note = "Node size: " + ("weighted degree" if weighted else "degree") + "."
    if weighted:
        note = "Line width and number: meetings led together. " + note
    ax.annotate(note, (0, 0), xycoords="axes fraction", fontsize=label_size - 2, color="#555555")
    ax.set_title(title or G.graph.get("description", ""), fontsize=label_size + 3)
    ax.margins(0.22 if layout == "sides" else 0.08)
    ax.set_axis_off()
    return ax
