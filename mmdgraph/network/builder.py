"""The builder: runs the views' queries on one store, then builds any view for any period.

What each node is (label, type, region, dates ...) is read once per store, from the queries
``agents``, ``meetings`` and ``concepts``; the relationships of a view are read per period.
Which function builds which view is the registry's business (:mod:`.registry`).
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from ..namespaces import MMD, compact
from ..store import Result, Store
from .period import EARLIEST, LATEST, bound, join, literal, text

if TYPE_CHECKING:
    import networkx as nx
from .sparql import query_file

#: The queries that say what the nodes are: no dates there, so no bindings.
NODE_QUERIES = ("agents", "meetings", "concepts")


class Builder:
    """Runs the queries of one store once, then builds views for any period."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._nodes: dict[str, dict[str, str]] | None = None

    def select(self, name: str, lo: _dt.date | None = None, hi: _dt.date | None = None) -> Result:
        """Run ``queries/network/<name>.rq``, with ?from and ?to bound to [lo, hi] when given."""
        if lo is None:
            bindings = {}
        else:
            assert hi is not None, "select: give both bounds or neither"
            bindings = {"from": literal(lo), "to": literal(hi)}
        return self.store.select(query_file(name).text, bindings)

    # What each node is -----------------------------------------------------------------------

    def nodes(self) -> dict[str, dict[str, str]]:
        """node -> its attributes (multi-valued ones ``; ``-joined), for every node of every view."""
        if self._nodes is None:
            acc: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))

            def put(node: str, **values: str | None) -> None:
                for key, value in values.items():
                    if value is not None and value != "":
                        acc[node][key].add(value)

            for r in self.select("agents").rows:
                node = bound(r[0])
                kind, label, iso, region, side = map(text, r[1:])
                put(node, type=kind, label=label, iso=iso, region=region, side=side)
            for r in self.select("meetings").rows:
                node = bound(r[0])
                typ, type_label, label, start, sday, eday, status, country, theme, pillar = map(text, r[1:])
                put(
                    node,
                    type="meeting",
                    label=label,
                    date=start,
                    start=sday,
                    end=eday,
                    status=status,
                    country=country,
                    theme=theme,
                    pillar=pillar,
                )
                if typ != MMD + "Meeting":  # the most specific type: mmd:Meeting only if nothing else
                    put(node, meetingType=type_label)
                else:
                    put(node, _generic=type_label)
            for r in self.select("concepts").rows:
                node = bound(r[0])
                kind, label, notation, framework, sday, eday = map(text, r[1:])
                put(node, type=kind, label=label, notation=notation, framework=framework, start=sday, end=eday)
            nodes: dict[str, dict[str, str]] = {}
            for node, values in acc.items():
                generic = values.pop("_generic", set())
                if values.get("type") == {"meeting"} and not values.get("meetingType"):
                    values["meetingType"] = generic
                nodes[node] = {k: join(v) for k, v in sorted(values.items())}
            self._nodes = nodes
        return self._nodes

    def add_node(self, G: nx.Graph, node: str, **extra: Any) -> None:
        """Add ``node`` to G with what it is (once), then ``extra``."""
        if node not in G:
            attrs = dict(self.nodes().get(node, {}))
            attrs.setdefault("label", compact(node))
            attrs.setdefault("type", "other")
            G.add_node(node, **attrs)
        G.nodes[node].update(extra)

    # Relationships ---------------------------------------------------------------------------

    def leads(self, lo: _dt.date, hi: _dt.date) -> dict[tuple[str, str], dict[str, set[str]]]:
        """(meeting, agent) -> {"roles": {...}, "sources": {...}}: who hosted, chaired, co-chaired."""
        out: dict[tuple[str, str], dict[str, set[str]]] = {}
        for r in self.select("leads", lo, hi).rows:
            meeting, role, agent = bound(r[2]), bound(r[3]), bound(r[4])
            src = text(r[5])
            entry = out.setdefault((meeting, agent), {"roles": set(), "sources": set()})
            entry["roles"].add(role)
            if src:
                entry["sources"].add(compact(src))
        return out

    def build(self, view: str, lo: _dt.date, hi: _dt.date) -> nx.Graph:
        """The view's networkx graph for [lo, hi], named and described."""
        from .registry import VIEWS

        v = VIEWS[view]
        G = v.build(self, lo, hi)
        G.graph.update(name=view, description=v.description, generator="mmdgraph")
        if lo != EARLIEST:
            G.graph["from"] = lo.isoformat()
        if hi != LATEST:
            G.graph["to"] = hi.isoformat()
        return G

    def periods(self, lo: _dt.date, hi: _dt.date) -> list[tuple[str, _dt.date, _dt.date]]:
        """The frameworks' periods (and before the first, after the last), cut to [lo, hi]."""
        found = sorted(
            (_dt.date.fromisoformat(r[2].value), _dt.date.fromisoformat(r[3].value), text(r[1]) or compact(r[0].value))
            for r in self.select("periods").rows
        )
        periods: list[tuple[str, _dt.date, _dt.date]] = []
        if found:
            first, last = found[0][0], max(e for _, e, _ in found)
            periods.append((f"before {first.year}", EARLIEST, first - _dt.timedelta(days=1)))
            periods += [(label, s, e) for s, e, label in found]
            periods.append((f"after {last.year}", last + _dt.timedelta(days=1), LATEST))
        return [(label, max(s, lo), min(e, hi)) for label, s, e in periods if max(s, lo) <= min(e, hi)]
