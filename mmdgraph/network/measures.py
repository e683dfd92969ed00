"""Measures: degree, betweenness and communities of every node, overall and per framework period."""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from ..namespaces import XSD
from ..store import Result
from .period import EARLIEST, LATEST, literal

if TYPE_CHECKING:
    import networkx as nx

    from .builder import Builder

#: How many nodes each framework period ranks in the measures table.
TOP_PER_PERIOD = 5
MEASURE_COLUMNS = [
    "period",
    "periodStart",
    "periodEnd",
    "rank",
    "node",
    "label",
    "type",
    "region",
    "degree",
    "weightedDegree",
    "degreeCentrality",
    "betweenness",
    "community",
]


def canonical(G: nx.Graph) -> nx.Graph:
    """A copy of G with nodes and edges in sorted order. Layouts and Louvain depend on the
    order, and a subgraph view iterates in hash order, which changes from run to run."""
    H = G.__class__()
    H.graph.update(G.graph)
    H.add_nodes_from(sorted(G.nodes(data=True), key=lambda na: na[0]))
    H.add_edges_from(sorted((tuple(sorted((u, v))) + (a,) for u, v, a in G.edges(data=True)), key=lambda e: e[:2]))
    return H


def centrality(G: nx.Graph) -> dict[str, dict[str, Any]]:
    """Degree, weighted degree, degree centrality, betweenness and community of every node.

    Communities: Louvain (networkx, weighted, fixed seed), numbered from the largest.

    >>> import networkx as nx
    >>> c = centrality(nx.path_graph(["a", "b", "c"]))
    >>> c["b"]["degree"], c["b"]["betweenness"]
    (2, 1.0)
    """
    import networkx as nx

    G = canonical(G)
    degree_c = nx.degree_centrality(G) if len(G) > 1 else {n: 0.0 for n in G}
    between = nx.betweenness_centrality(G)
    communities = nx.community.louvain_communities(G, weight="weight", seed=7) if len(G) else []
    labels = {n: str(G.nodes[n].get("label", n)) for n in G}
    communities = sorted(communities, key=lambda c: (-len(c), min(labels[n] for n in c)))
    community = {n: i for i, c in enumerate(communities, 1) for n in c}
    return {
        n: {
            "degree": G.degree(n),
            "weightedDegree": G.degree(n, weight="weight"),
            "degreeCentrality": degree_c[n],
            "betweenness": between[n],
            "community": community[n],
        }
        for n in G
    }


def _measure_rows(
    G: nx.Graph, period: str, lo: _dt.date, hi: _dt.date, only: str | None, top: int | None
) -> list[tuple[ox.NamedNode | ox.Literal | None, ...]]:
    measures = centrality(G)
    nodes = [n for n in G if only is None or G.nodes[n].get("type") == only]
    nodes.sort(
        key=lambda n: (-measures[n]["degreeCentrality"], -measures[n]["betweenness"], G.nodes[n].get("label", n), n)
    )
    integer, decimal = ox.NamedNode(XSD + "integer"), ox.NamedNode(XSD + "decimal")
    rows: list[tuple[ox.NamedNode | ox.Literal | None, ...]] = []
    for rank, n in enumerate(nodes[:top] if top else nodes, 1):
        m, a = measures[n], G.nodes[n]
        rows.append(
            (
                ox.Literal(period),
                None if lo == EARLIEST else literal(lo),
                None if hi == LATEST else literal(hi),
                ox.Literal(str(rank), datatype=integer),
                ox.NamedNode(n) if "|" not in n else ox.Literal(n),
                ox.Literal(str(a.get("label", n))),
                ox.Literal(str(a.get("type", ""))),
                ox.Literal(a["region"]) if a.get("region") else None,
                ox.Literal(str(m["degree"]), datatype=integer),
                ox.Literal(str(int(m["weightedDegree"])), datatype=integer),
                ox.Literal(f"{m['degreeCentrality']:.4f}", datatype=decimal),
                ox.Literal(f"{m['betweenness']:.4f}", datatype=decimal),
                ox.Literal(str(m["community"]), datatype=integer),
            )
        )
    return rows


def measures_table(builder: Builder, view: str, lo: _dt.date, hi: _dt.date) -> Result:
    """Every node of the whole period (``period`` "all"), then the most central nodes of the
    view's actor type (states; themes for ``themes``) in each framework period.

    ``builder`` is a :class:`mmdgraph.network.builder.Builder` on the store to measure."""
    from .registry import VIEWS

    rows = _measure_rows(builder.build(view, lo, hi), "all", lo, hi, None, None)
    for label, s, e in builder.periods(lo, hi):
        rows += _measure_rows(builder.build(view, s, e), label, s, e, VIEWS[view].ranked, TOP_PER_PERIOD)
    return Result(MEASURE_COLUMNS, rows)
