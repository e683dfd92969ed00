"""Network views of the graph: who leads the dialogue, with whom, in which bodies, on which themes.

Each view is a networkx graph built from SPARQL SELECTs run on a store (the embedded store,
rdflib, or a remote endpoint), so the same code reads the shipped graph or a published one.

=============  =================================================================================
view           nodes and edges
=============  =================================================================================
participation  states/organisations -- meetings; an edge per agent and meeting, ``role`` host,
               chair, co-chair (``"co-chair; host"`` when an agent had two roles)
co-chair       states/organisations -- states/organisations that led (chaired or co-chaired)
               the same meeting; ``weight`` = meetings led together
governance     members -- the dialogue's bodies, one node per body and role (chair, steering
               committee member, partner state, observer, secretariat ...)
themes         meetings -- themes -- pillars/domains -- frameworks -- the conferences that
               adopted them
=============  =================================================================================

Dates: ``start``/``end`` (first and last day, xsd:date) restrict every view to relationships
whose dates do not exclude the period; undated relationships (most memberships) are kept.

The package, one job a module: the queries are ``queries/network/*.rq`` (:mod:`.sparql`);
:mod:`.builder` runs them on a store; :mod:`.registry` holds the views (``VIEWS``: name ->
:class:`~.registry.View`, with its description, its queries and its build function);
:mod:`.measures` computes centrality and communities; :mod:`.writers` writes GraphML, GEXF, JSON
and the web page (``page.html``); :mod:`.drawing` draws with matplotlib; :mod:`.colours` and
:mod:`.period` are shared by them. :func:`network` is the entry point.

>>> G = network("co-chair")
>>> G.nodes["https://w3id.org/mmdgraph/id/FRA"]["label"], G.nodes["https://w3id.org/mmdgraph/id/FRA"]["side"]
('France', 'Europe')
>>> b"<graphml" in network("co-chair", format="graphml")
True
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from ..errors import UsageError
from .builder import Builder
from .colours import OTHER, REGION_COLOURS, TYPE_COLOURS, colour, colour_group
from .drawing import draw, sides_layout
from .measures import MEASURE_COLUMNS, TOP_PER_PERIOD, canonical, centrality, measures_table
from .period import SEP
from .registry import RANKED, VIEWS, View, views
from .writers import FORMATS, WRITERS, to_gexf, to_graphml, to_html, to_json

if TYPE_CHECKING:
    import networkx as nx

    from ..store import Result, Store

_Builder = Builder  # the name measures_table's builder had before the package

__all__ = [
    "FORMATS",
    "MEASURE_COLUMNS",
    "OTHER",
    "RANKED",
    "REGION_COLOURS",
    "SEP",
    "TOP_PER_PERIOD",
    "TYPE_COLOURS",
    "VIEWS",
    "WRITERS",
    "Builder",
    "View",
    "canonical",
    "centrality",
    "colour",
    "colour_group",
    "draw",
    "measures_table",
    "network",
    "sides_layout",
    "to_gexf",
    "to_graphml",
    "to_html",
    "to_json",
    "views",
]

# The query strings the module had (LEADS, ...) are files now: read on demand, prefixes included.
_QUERY_NAMES = {
    "LEADS": "leads",
    "MEMBERSHIPS": "memberships",
    "THEME_LINKS": "theme-links",
    "AGENTS": "agents",
    "MEETINGS": "meetings",
    "CONCEPTS": "concepts",
    "PERIODS": "periods",
}


def __getattr__(name: str) -> str:
    if name in _QUERY_NAMES:
        from .sparql import query_file

        return query_file(_QUERY_NAMES[name]).text
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@overload
def network(
    view: str,
    *,
    format: None = None,
    output: None = None,
    start: _dt.date | str | None = None,
    end: _dt.date | str | None = None,
    measures: Literal[False] = False,
    store: Store | None = None,
    endpoint: str | None = None,
) -> nx.Graph: ...


@overload
def network(
    view: str,
    *,
    format: None = None,
    output: None = None,
    start: _dt.date | str | None = None,
    end: _dt.date | str | None = None,
    measures: Literal[True],
    store: Store | None = None,
    endpoint: str | None = None,
) -> Result: ...


@overload
def network(
    view: str,
    *,
    format: str,
    output: None = None,
    start: _dt.date | str | None = None,
    end: _dt.date | str | None = None,
    measures: Literal[False] = False,
    store: Store | None = None,
    endpoint: str | None = None,
) -> bytes: ...


@overload
def network(
    view: str,
    *,
    format: str,
    output: Path | str,
    start: _dt.date | str | None = None,
    end: _dt.date | str | None = None,
    measures: Literal[False] = False,
    store: Store | None = None,
    endpoint: str | None = None,
) -> Path: ...


@overload
def network(
    view: str,
    *,
    format: str | None = None,
    output: Path | str | None = None,
    start: _dt.date | str | None = None,
    end: _dt.date | str | None = None,
    measures: bool = False,
    store: Store | None = None,
    endpoint: str | None = None,
) -> nx.Graph | Result | bytes | Path: ...


def network(
    view: str,
    *,
    format: str | None = None,
    output: Path | str | None = None,
    start: _dt.date | str | None = None,
    end: _dt.date | str | None = None,
    measures: bool = False,
    store: Store | None = None,
    endpoint: str | None = None,
) -> nx.Graph | Result | bytes | Path:
    """Build a network view of the graph.

    Returns the networkx graph; with ``measures=True`` a :class:`mmdgraph.store.Result` table
    (degree, betweenness, community of every node, then the most central states of each
    framework period); with ``format`` (graphml, gexf, json, html) the file's bytes, or, with
    ``output``, writes the file atomically and returns its path. ``start``/``end`` (a
    ``datetime.date`` or YYYY-MM-DD) keep only relationships whose dates do not exclude the
    period. ``store`` or ``endpoint`` as in :func:`mmdgraph.query`.
    """
    from ..loading import open_store
    from .period import bounds

    if view not in VIEWS:
        raise UsageError(f"unknown network view {view!r}; views: {', '.join(VIEWS)}")
    if format is not None and format not in WRITERS:
        raise UsageError(f"unknown network format {format!r}; use one of {', '.join(FORMATS)}")
    if measures and format is not None:
        raise UsageError("give a format or measures, not both")
    if output is not None and format is None:
        raise UsageError("output needs a format (graphml, gexf, json, html)")
    lo, hi = bounds(start, end)
    builder = Builder(open_store(store, endpoint))
    if measures:
        return measures_table(builder, view, lo, hi)
    G = builder.build(view, lo, hi)
    if format is None:
        return G
    data = WRITERS[format](G)
    if output is None:
        return data
    from ..export import write_atomic

    return write_atomic(output, data)
