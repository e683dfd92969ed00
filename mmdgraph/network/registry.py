"""The registry of views: ``VIEWS`` maps each view's name to a :class:`View`, which says what it
holds, which queries it runs and which function builds it. To add a view: write its query under
``queries/network/``, a build function here, and an entry in ``VIEWS``.

>>> VIEWS["co-chair"].queries
('leads', 'agents', 'meetings', 'concepts')
>>> VIEWS["themes"].ranked
'theme'
"""

from __future__ import annotations

import datetime as _dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..namespaces import MMD, PROV, SKOS, compact
from .builder import NODE_QUERIES, Builder
from .period import SEP, bound, clean, interval, join, text

if TYPE_CHECKING:
    import networkx as nx

# Joined by several roles: keep the order people read ("host" after the leading roles).
_ROLE_ORDER = {"chair": 0, "co-chair": 1, "host": 2}
_RELATIONS = {
    MMD + "theme": "theme",
    MMD + "pillar": "pillar",
    SKOS + "broadMatch": "maps to",
    SKOS + "topConceptOf": "part of",
    PROV + "generated": "adopted",
}


@dataclass(frozen=True)
class View:
    """A network view: its name, what it holds (``views()``, the graph's ``description``), the
    function that builds it, the queries it runs, and the node type its measures rank."""

    name: str
    description: str
    #: ``build(builder, lo, hi)`` -> networkx.Graph of the relationships in [lo, hi].
    build: Callable[[Builder, _dt.date, _dt.date], nx.Graph]
    #: The queries/network/<name>.rq files it reads: its relationships', then the nodes'.
    queries: tuple[str, ...]
    #: The node type ranked in the "most central per period" rows of the measures table.
    ranked: str = "state"


def participation(b: Builder, lo: _dt.date, hi: _dt.date) -> nx.Graph:
    """States and organisations -- meetings: one edge per agent and meeting, with its roles."""
    import networkx as nx

    G = nx.Graph()
    meetings = b.nodes()
    for (meeting, agent), entry in sorted(b.leads(lo, hi).items()):
        b.add_node(G, agent)
        b.add_node(G, meeting)
        m = meetings.get(meeting, {})
        role = SEP.join(sorted(entry["roles"], key=lambda r: (_ROLE_ORDER.get(r, 9), r)))
        attrs = {"role": role, "label": role, "sources": join(entry["sources"])}
        attrs.update({k: m[k] for k in ("date", "start", "end", "theme", "pillar") if m.get(k)})
        if m.get("start") or m.get("end"):
            attrs["period"] = interval(m.get("start"), m.get("end"))
        G.add_edge(agent, meeting, **clean(attrs))
    return G


def co_chair(b: Builder, lo: _dt.date, hi: _dt.date) -> nx.Graph:
    """Leaders -- leaders of the same meeting, weighted by the meetings they led together."""
    import networkx as nx

    meetings = b.nodes()
    leaders: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))  # meeting -> agent -> roles
    sources: dict[str, set] = defaultdict(set)
    for (meeting, agent), entry in b.leads(lo, hi).items():
        roles = entry["roles"] - {"host"}
        if roles:
            leaders[meeting][agent] |= roles
            sources[meeting] |= entry["sources"]
    G = nx.Graph()
    led: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
    for meeting in sorted(leaders):
        agents = sorted(leaders[meeting])
        for agent in agents:
            led[agent]["meetingsLed"] += 1
            for role in leaders[meeting][agent]:
                led[agent]["chaired" if role == "chair" else "coChaired"] += 1
        for i, a in enumerate(agents):
            for c in agents[i + 1 :]:
                pairs[(a, c)].append(meeting)
    for agent in sorted(led):
        b.add_node(
            G,
            agent,
            meetingsLed=led[agent]["meetingsLed"],
            chaired=led[agent]["chaired"],
            coChaired=led[agent]["coChaired"],
        )
    for (a, c), together in sorted(pairs.items()):
        together.sort(key=lambda m: (meetings.get(m, {}).get("start", ""), m))
        info = [meetings.get(m, {}) for m in together]
        starts = [i["start"] for i in info if i.get("start")]
        ends = [i["end"] for i in info if i.get("end")]
        attrs = {
            "role": "co-led",
            "label": f"{len(together)} meeting" + ("s" if len(together) > 1 else ""),
            "weight": len(together),
            "meetings": SEP.join(compact(m) for m in together),
            "meetingLabels": SEP.join(i.get("label", compact(m)) for m, i in zip(together, info, strict=True)),
            "date": SEP.join(i["date"] for i in info if i.get("date")),
            "start": min(starts) if starts else None,
            "end": max(ends) if ends else None,
            "period": SEP.join(interval(i.get("start"), i.get("end")) for i in info if i.get("start") or i.get("end")),
            "sources": join(set().union(*(sources[m] for m in together))),
        }
        G.add_edge(a, c, **clean(attrs))
    return G


def governance(b: Builder, lo: _dt.date, hi: _dt.date) -> nx.Graph:
    """Members -- the dialogue's bodies, one body node per body and role."""
    import networkx as nx

    nodes = b.nodes()
    edges: dict[tuple[str, str], dict[str, set]] = defaultdict(lambda: defaultdict(set))
    groups: dict[str, tuple[str, str, str]] = {}
    spans: dict[tuple[str, str], dict[str, tuple[str | None, str | None]]] = defaultdict(dict)
    for r in b.select("memberships", lo, hi).rows:
        membership, member, body, role = (bound(t) for t in r[2:6])
        role_label, start, end, sday, eday, attested, src = map(text, r[6:])
        group = f"{body}|{role.rsplit('/', 1)[-1]}"
        groups[group] = (body, role, role_label or compact(role))
        e = edges[(member, group)]
        e["memberships"].add(compact(membership))
        if start or end:
            e["date"].add(interval(start, end))
        if attested:
            e["attested"].add(attested)
        if src:
            e["sources"].add(compact(src))
        # One interval per membership: several chairmanships of one state are several spells.
        if sday or eday:
            spans[(member, group)][membership] = (sday, eday)
    G = nx.Graph()
    for group, (body, role, role_label) in sorted(groups.items()):
        body_label = nodes.get(body, {}).get("label", compact(body))
        # "Steering committee of the Rabat Process", "Rabat Process: chair"
        label = body_label if role_label.endswith("member") else f"{body_label}: {role_label}"
        b.add_node(G, group, label=label, type="body", body=body_label, bodyIri=body, role=role_label, roleIri=role)
    for (member, group), e in sorted(edges.items()):
        b.add_node(G, member)
        intervals = sorted(spans[(member, group)].values(), key=lambda se: (se[0] or "", se[1] or ""))
        starts = [s for s, _ in intervals if s]
        ends = [x for _, x in intervals if x]
        open_end = any(x is None for _, x in intervals)
        attrs = {
            "role": groups[group][2],
            "label": groups[group][2],
            "memberships": join(e["memberships"]),
            "date": join(e["date"]),
            "start": min(starts) if starts and all(s for s, _ in intervals) else None,
            "end": max(ends) if ends and not open_end else None,
            "period": SEP.join(interval(s, x) for s, x in intervals),
            "attested": join(e["attested"]),
            "sources": join(e["sources"]),
        }
        G.add_edge(member, group, **clean(attrs))
    return G


def themes(b: Builder, lo: _dt.date, hi: _dt.date) -> nx.Graph:
    """Meetings -- themes -- pillars/domains -- frameworks -- the conferences that adopted them."""
    import networkx as nx

    nodes = b.nodes()
    edges: dict[tuple[str, str], dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for r in b.select("theme-links", lo, hi).rows:
        a, p, c, when = (bound(t) for t in r[2:6])
        src = text(r[6])
        e = edges[(a, c)]
        e["relation"].add(_RELATIONS[p])
        e["when"].add(when)
        if src:
            e["sources"].add(compact(src))
    G = nx.Graph()
    for (a, c), e in sorted(edges.items()):
        b.add_node(G, a)
        b.add_node(G, c)
        dated = [nodes.get(w, {}) for w in sorted(e["when"])]
        starts = [w["start"] for w in dated if w.get("start")]
        ends = [w["end"] for w in dated if w.get("end")]
        relation = join(e["relation"])
        attrs = {
            "role": relation,
            "label": relation,
            "date": join({w["date"] for w in dated if w.get("date")}),
            "start": min(starts) if starts else None,
            "end": max(ends) if ends else None,
            "period": SEP.join(interval(w.get("start"), w.get("end")) for w in dated if w.get("start") or w.get("end")),
            "sources": join(e["sources"]),
        }
        G.add_edge(a, c, **clean(attrs))
    return G


VIEWS: dict[str, View] = {
    v.name: v
    for v in (
        View(
            "participation",
            "States and organisations linked to the meetings they hosted, chaired or co-chaired.",
            participation,
            ("leads", *NODE_QUERIES),
        ),
        View(
            "co-chair",
            "States and organisations that led meetings together (chair or co-chair), weighted by meetings.",
            co_chair,
            ("leads", *NODE_QUERIES),
        ),
        View(
            "governance",
            "Members of the dialogue's bodies over time: chair, steering committee, partners, observers, secretariat.",
            governance,
            ("memberships", *NODE_QUERIES),
        ),
        View(
            "themes",
            "Meetings, their themes, the pillars and domains the themes fall under, and the frameworks.",
            themes,
            ("theme-links", *NODE_QUERIES),
            ranked="theme",
        ),
    )
}
#: The node type ranked in the "most central per period" rows of the measures table, per view.
RANKED = {name: v.ranked for name, v in VIEWS.items()}


def views() -> dict[str, str]:
    """The views, each with what it holds.

    >>> sorted(views())
    ['co-chair', 'governance', 'participation', 'themes']
    """
    return {name: v.description for name, v in VIEWS.items()}
