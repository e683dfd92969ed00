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

>>> G = network("co-chair")
>>> G.nodes["https://w3id.org/mmdgraph/id/FRA"]["label"], G.nodes["https://w3id.org/mmdgraph/id/FRA"]["side"]
('France', 'Europe')
>>> b"<graphml" in network("co-chair", format="graphml")
True
"""

from __future__ import annotations

import datetime as _dt
import html as _html
import io
import json
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

from .errors import UsageError
from .namespaces import MMD, PROV, SKOS, SPARQL_PREFIXES, XSD, compact
from .store import Result

VIEWS = {
    "participation": "States and organisations linked to the meetings they hosted, chaired or co-chaired.",
    "co-chair": "States and organisations that led meetings together (chair or co-chair), weighted by meetings.",
    "governance": "Members of the dialogue's bodies over time: chair, steering committee, partners, observers, secretariat.",
    "themes": "Meetings, their themes, the pillars and domains the themes fall under, and the frameworks.",
}
FORMATS = ("graphml", "gexf", "json", "html")
#: The node type ranked in the "most central per period" rows of the measures table.
RANKED = {"participation": "state", "co-chair": "state", "governance": "state", "themes": "theme"}
TOP_PER_PERIOD = 5
SEP = "; "

_XSD_DATE = ox.NamedNode(XSD + "date")
_EARLIEST, _LATEST = _dt.date(1, 1, 1), _dt.date(9999, 12, 31)
# Joined by several roles: keep the order people read ("host" after the leading roles).
_ROLE_ORDER = {"chair": 0, "co-chair": 1, "host": 2}
_RELATIONS = {
    MMD + "theme": "theme",
    MMD + "pillar": "pillar",
    SKOS + "broadMatch": "maps to",
    SKOS + "topConceptOf": "part of",
    PROV + "generated": "adopted",
}


def views() -> dict[str, str]:
    """The views, each with what it holds.

    >>> sorted(views())
    ['co-chair', 'governance', 'participation', 'themes']
    """
    return dict(VIEWS)


# --- SPARQL ---------------------------------------------------------------------------------------
# Every query projects ?from and ?to, the period's bounds bound as xsd:date terms (pyoxigraph
# wants substituted variables projected). Mixed-precision dates are never compared: only the
# derived mmd:startDay/mmd:endDay. DISTINCT everywhere: a statement several sources make must
# not count twice on an engine whose default graph repeats it.

_KEEP = "FILTER((!BOUND(?eday) || ?eday >= ?from) && (!BOUND(?sday) || ?sday <= ?to))"

LEADS = f"""
SELECT DISTINCT ?from ?to ?meeting ?role ?agent ?src WHERE {{
  VALUES (?p ?role) {{ (mmd:hostedBy "host") (mmd:chairedBy "chair") (mmd:coChairedBy "co-chair") }}
  ?meeting ?p ?agent .
  OPTIONAL {{ ?meeting mmd:startDay ?sday }}
  OPTIONAL {{ ?meeting mmd:endDay ?eday }}
  {_KEEP}
  OPTIONAL {{ GRAPH ?src {{ ?meeting ?p ?agent }} }}
}}"""

MEMBERSHIPS = f"""
SELECT DISTINCT ?from ?to ?membership ?member ?body ?role ?roleLabel ?start ?end ?sday ?eday ?attested ?src WHERE {{
  ?membership org:member ?member ; org:organization ?body ; org:role ?role .
  OPTIONAL {{ ?role skos:prefLabel ?roleLabel FILTER(LANG(?roleLabel) = "en") }}
  OPTIONAL {{ ?membership schema:startDate ?start }}
  OPTIONAL {{ ?membership schema:endDate ?end }}
  OPTIONAL {{ ?membership mmd:startDay ?sday }}
  OPTIONAL {{ ?membership mmd:endDay ?eday }}
  OPTIONAL {{ ?membership mmd:attestedOn ?attested }}
  {_KEEP}
  OPTIONAL {{ GRAPH ?src {{ ?membership org:member ?member }} }}
}}"""

# ?when is the node whose days date the relationship: the meeting, or the framework.
THEME_LINKS = f"""
SELECT DISTINCT ?from ?to ?a ?p ?b ?when ?src WHERE {{
  {{ ?a mmd:theme ?b . BIND(mmd:theme AS ?p) BIND(?a AS ?when) }}
  UNION {{ ?a mmd:pillar ?b . BIND(mmd:pillar AS ?p) BIND(?a AS ?when) }}
  UNION {{ ?a a mmd:Theme ; skos:broadMatch ?b . ?b skos:inScheme ?when . ?when a mmd:Framework .
          BIND(skos:broadMatch AS ?p) }}
  UNION {{ ?a skos:topConceptOf ?b . ?b a mmd:Framework . BIND(skos:topConceptOf AS ?p) BIND(?b AS ?when) }}
  UNION {{ ?a prov:generated ?b . ?b a mmd:Framework . BIND(prov:generated AS ?p) BIND(?a AS ?when) }}
  OPTIONAL {{ ?when mmd:startDay ?sday }}
  OPTIONAL {{ ?when mmd:endDay ?eday }}
  {_KEEP}
  OPTIONAL {{ GRAPH ?src {{ ?a ?p ?b }} }}
}}"""

# What the nodes are: no dates here, so no bindings.
AGENTS = """
SELECT DISTINCT ?node ?kind ?label ?iso ?regionLabel ?sideLabel WHERE {
  VALUES (?class ?kind) { (mmd:State "state") (mmd:InternationalOrganisation "organisation") }
  ?node a ?class .
  OPTIONAL { ?node rdfs:label ?label FILTER(LANG(?label) = "en") }
  OPTIONAL { ?node mmd:isoAlpha3 ?iso }
  OPTIONAL { ?node mmd:region ?region . ?region skos:prefLabel ?regionLabel FILTER(LANG(?regionLabel) = "en")
             ?region skos:broader* ?side . FILTER NOT EXISTS { ?side skos:broader ?above }
             ?side skos:prefLabel ?sideLabel FILTER(LANG(?sideLabel) = "en") }
}"""

MEETINGS = """
SELECT DISTINCT ?node ?type ?typeLabel ?label ?start ?sday ?eday ?statusLabel ?countryLabel ?themeLabel ?pillarLabel WHERE {
  ?node a ?type . ?type rdfs:subClassOf* mmd:Meeting .
  OPTIONAL { ?type rdfs:label ?typeLabel FILTER(LANG(?typeLabel) = "en") }
  OPTIONAL { ?node rdfs:label ?label FILTER(LANG(?label) = "en") }
  OPTIONAL { ?node schema:startDate ?start }
  OPTIONAL { ?node mmd:startDay ?sday }
  OPTIONAL { ?node mmd:endDay ?eday }
  OPTIONAL { ?node mmd:status ?status . ?status skos:prefLabel ?statusLabel FILTER(LANG(?statusLabel) = "en") }
  OPTIONAL { ?node schema:location ?place . OPTIONAL { ?place schema:containedInPlace ?in }
             BIND(COALESCE(?in, ?place) AS ?country) ?country a mmd:State ; rdfs:label ?countryLabel
             FILTER(LANG(?countryLabel) = "en") }
  OPTIONAL { ?node mmd:theme ?theme . ?theme skos:prefLabel ?themeLabel FILTER(LANG(?themeLabel) = "en") }
  OPTIONAL { ?node mmd:pillar ?pillar . ?pillar skos:prefLabel ?pillarLabel FILTER(LANG(?pillarLabel) = "en") }
}"""

CONCEPTS = """
SELECT DISTINCT ?node ?kind ?label ?notation ?frameworkLabel ?sday ?eday WHERE {
  { ?node a mmd:Theme . BIND("theme" AS ?kind)
    OPTIONAL { ?node skos:prefLabel ?label FILTER(LANG(?label) = "en") } }
  UNION
  { ?node a ?class . ?class rdfs:subClassOf mmd:FrameworkComponent ; rdfs:label ?classLabel
    FILTER(LANG(?classLabel) = "en") BIND(LCASE(STR(?classLabel)) AS ?kind)
    OPTIONAL { ?node skos:prefLabel ?label FILTER(LANG(?label) = "en") }
    OPTIONAL { ?node skos:notation ?notation }
    OPTIONAL { ?node skos:inScheme ?framework . ?framework a mmd:Framework ; rdfs:label ?frameworkLabel
               FILTER(LANG(?frameworkLabel) = "en") } }
  UNION
  { ?node a mmd:Framework . BIND("framework" AS ?kind)
    OPTIONAL { ?node rdfs:label ?label FILTER(LANG(?label) = "en") }
    OPTIONAL { ?node mmd:startDay ?sday }
    OPTIONAL { ?node mmd:endDay ?eday } }
  UNION
  { VALUES (?class ?kind) { (mmd:Dialogue "dialogue") (mmd:SteeringCommittee "committee") }
    ?node a ?class . OPTIONAL { ?node rdfs:label ?label FILTER(LANG(?label) = "en") } }
}"""

PERIODS = """
SELECT DISTINCT ?framework ?label ?sday ?eday WHERE {
  ?conference a mmd:MinisterialConference ; prov:generated ?framework .
  ?framework a mmd:Framework ; mmd:startDay ?sday ; mmd:endDay ?eday .
  OPTIONAL { ?framework rdfs:label ?label FILTER(LANG(?label) = "en") }
}"""


# --- dates ----------------------------------------------------------------------------------------


def _day(value, name: str) -> _dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        raise UsageError(f"{name}: give a day (YYYY-MM-DD), not a time: {value!r}")
    if isinstance(value, _dt.date):
        return value
    from .dates import parse_date

    try:
        return parse_date(str(value))
    except ValueError as err:
        raise UsageError(f"{name}: {err}") from None


def _bounds(start, end) -> tuple[_dt.date, _dt.date]:
    lo, hi = _day(start, "--from"), _day(end, "--to")
    lo, hi = lo or _EARLIEST, hi or _LATEST
    if lo > hi:
        raise UsageError(f"--from {lo} is after --to {hi}")
    return lo, hi


def _literal(day: _dt.date) -> ox.Literal:
    return ox.Literal(day.isoformat(), datatype=_XSD_DATE)


def _text(term) -> str | None:
    return None if term is None else term.value


def _interval(start: str | None, end: str | None) -> str:
    """An ISO 8601 interval, ``..`` for an open end: ``2015-01-01/2015-12-31``, ``../2014-11-27``."""
    return f"{start or '..'}/{end or '..'}"


def _intervals(text: str | None) -> list[tuple[str | None, str | None]]:
    """Read back a ``period`` attribute.

    >>> _intervals("2015-01-01/2015-12-31; ../2014-11-27")
    [('2015-01-01', '2015-12-31'), (None, '2014-11-27')]
    """
    out = []
    for part in (text or "").split(SEP):
        if part:
            a, _, b = part.partition("/")
            out.append((None if a == ".." else a, None if b == ".." else b))
    return out


# --- building the views ---------------------------------------------------------------------------


class _Builder:
    """Runs the queries of one store once, then builds views for any period."""

    def __init__(self, store):
        self.store = store
        self._nodes: dict[str, dict] | None = None

    def select(self, text: str, lo: _dt.date | None = None, hi: _dt.date | None = None) -> Result:
        bindings = {} if lo is None else {"from": _literal(lo), "to": _literal(hi)}
        return self.store.select(SPARQL_PREFIXES + text, bindings)

    # What each node is -----------------------------------------------------------------------

    def nodes(self) -> dict[str, dict]:
        if self._nodes is None:
            acc: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))

            def put(node, **values):
                for key, value in values.items():
                    if value is not None and value != "":
                        acc[node][key].add(value)

            for r in self.select(AGENTS).rows:
                node, kind, label, iso, region, side = map(_text, r)
                put(node, type=kind, label=label, iso=iso, region=region, side=side)
            for r in self.select(MEETINGS).rows:
                node, typ, type_label, label, start, sday, eday, status, country, theme, pillar = map(_text, r)
                put(node, type="meeting", label=label, date=start, start=sday, end=eday, status=status,
                    country=country, theme=theme, pillar=pillar)
                if typ != MMD + "Meeting":  # the most specific type: mmd:Meeting only if nothing else
                    put(node, meetingType=type_label)
                else:
                    put(node, _generic=type_label)
            for r in self.select(CONCEPTS).rows:
                node, kind, label, notation, framework, sday, eday = map(_text, r)
                put(node, type=kind, label=label, notation=notation, framework=framework, start=sday, end=eday)
            nodes = {}
            for node, values in acc.items():
                generic = values.pop("_generic", set())
                if values.get("type") == {"meeting"} and not values.get("meetingType"):
                    values["meetingType"] = generic
                nodes[node] = {k: _join(v) for k, v in sorted(values.items())}
            self._nodes = nodes
        return self._nodes

    def _add_node(self, G, node: str, **extra) -> None:
        if node not in G:
            attrs = dict(self.nodes().get(node, {}))
            attrs.setdefault("label", compact(node))
            attrs.setdefault("type", "other")
            G.add_node(node, **attrs)
        G.nodes[node].update(extra)

    # The views ---------------------------------------------------------------------------

    def leads(self, lo, hi) -> dict[tuple[str, str], dict]:
        """(meeting, agent) -> {"roles": {...}, "sources": {...}}."""
        out: dict[tuple[str, str], dict] = {}
        for r in self.select(LEADS, lo, hi).rows:
            _, _, meeting, role, agent, src = map(_text, r)
            entry = out.setdefault((meeting, agent), {"roles": set(), "sources": set()})
            entry["roles"].add(role)
            if src:
                entry["sources"].add(compact(src))
        return out

    def participation(self, lo, hi):
        import networkx as nx

        G = nx.Graph()
        meetings = self.nodes()
        for (meeting, agent), entry in sorted(self.leads(lo, hi).items()):
            self._add_node(G, agent)
            self._add_node(G, meeting)
            m = meetings.get(meeting, {})
            role = SEP.join(sorted(entry["roles"], key=lambda r: (_ROLE_ORDER.get(r, 9), r)))
            attrs = {"role": role, "label": role, "sources": _join(entry["sources"])}
            attrs.update({k: m[k] for k in ("date", "start", "end", "theme", "pillar") if m.get(k)})
            if m.get("start") or m.get("end"):
                attrs["period"] = _interval(m.get("start"), m.get("end"))
            G.add_edge(agent, meeting, **_clean(attrs))
        return G

    def co_chair(self, lo, hi):
        import networkx as nx

        meetings = self.nodes()
        leaders: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))  # meeting -> agent -> roles
        sources: dict[str, set] = defaultdict(set)
        for (meeting, agent), entry in self.leads(lo, hi).items():
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
                for b in agents[i + 1 :]:
                    pairs[(a, b)].append(meeting)
        for agent in sorted(led):
            self._add_node(G, agent, meetingsLed=led[agent]["meetingsLed"], chaired=led[agent]["chaired"],
                           coChaired=led[agent]["coChaired"])
        for (a, b), together in sorted(pairs.items()):
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
                "period": SEP.join(_interval(i.get("start"), i.get("end")) for i in info if i.get("start") or i.get("end")),
                "sources": _join(set().union(*(sources[m] for m in together))),
            }
            G.add_edge(a, b, **_clean(attrs))
        return G

    def governance(self, lo, hi):
        import networkx as nx

        nodes = self.nodes()
        edges: dict[tuple[str, str], dict[str, set]] = defaultdict(lambda: defaultdict(set))
        groups: dict[str, tuple[str, str, str]] = {}
        spans: dict[tuple[str, str], dict[str, tuple]] = defaultdict(dict)
        for r in self.select(MEMBERSHIPS, lo, hi).rows:
            _, _, membership, member, body, role, role_label, start, end, sday, eday, attested, src = map(_text, r)
            group = f"{body}|{role.rsplit('/', 1)[-1]}"
            groups[group] = (body, role, role_label or compact(role))
            e = edges[(member, group)]
            e["memberships"].add(compact(membership))
            if start or end:
                e["date"].add(_interval(start, end))
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
            self._add_node(G, group, label=label, type="body", body=body_label,
                           bodyIri=body, role=role_label, roleIri=role)
        for (member, group), e in sorted(edges.items()):
            self._add_node(G, member)
            intervals = sorted(spans[(member, group)].values(), key=lambda se: (se[0] or "", se[1] or ""))
            starts = [s for s, _ in intervals if s]
            ends = [x for _, x in intervals if x]
            open_end = any(x is None for _, x in intervals)
            attrs = {
                "role": groups[group][2],
                "label": groups[group][2],
                "memberships": _join(e["memberships"]),
                "date": _join(e["date"]),
                "start": min(starts) if starts and all(s for s, _ in intervals) else None,
                "end": max(ends) if ends and not open_end else None,
                "period": SEP.join(_interval(s, x) for s, x in intervals),
                "attested": _join(e["attested"]),
                "sources": _join(e["sources"]),
            }
            G.add_edge(member, group, **_clean(attrs))
        return G

    def themes(self, lo, hi):
        import networkx as nx

        nodes = self.nodes()
        edges: dict[tuple[str, str], dict[str, set]] = defaultdict(lambda: defaultdict(set))
        for r in self.select(THEME_LINKS, lo, hi).rows:
            _, _, a, p, b, when, src = map(_text, r)
            e = edges[(a, b)]
            e["relation"].add(_RELATIONS[p])
            e["when"].add(when)
            if src:
                e["sources"].add(compact(src))
        G = nx.Graph()
        for (a, b), e in sorted(edges.items()):
            self._add_node(G, a)
            self._add_node(G, b)
            when = [nodes.get(w, {}) for w in sorted(e["when"])]
            starts = [w["start"] for w in when if w.get("start")]
            ends = [w["end"] for w in when if w.get("end")]
            relation = _join(e["relation"])
            attrs = {
                "role": relation,
                "label": relation,
                "date": _join({w["date"] for w in when if w.get("date")}),
                "start": min(starts) if starts else None,
                "end": max(ends) if ends else None,
                "period": SEP.join(_interval(w.get("start"), w.get("end")) for w in when if w.get("start") or w.get("end")),
                "sources": _join(e["sources"]),
            }
            G.add_edge(a, b, **_clean(attrs))
        return G

    def build(self, view: str, lo: _dt.date, hi: _dt.date):
        G = getattr(self, view.replace("-", "_"))(lo, hi)
        G.graph.update(name=view, description=VIEWS[view], generator="mmdgraph")
        if lo != _EARLIEST:
            G.graph["from"] = lo.isoformat()
        if hi != _LATEST:
            G.graph["to"] = hi.isoformat()
        return G

    def periods(self, lo: _dt.date, hi: _dt.date) -> list[tuple[str, _dt.date, _dt.date]]:
        """The frameworks' periods (and before the first, after the last), cut to [lo, hi]."""
        found = sorted(
            (_dt.date.fromisoformat(r[2].value), _dt.date.fromisoformat(r[3].value), _text(r[1]) or compact(r[0].value))
            for r in self.select(PERIODS).rows
        )
        periods = []
        if found:
            first, last = found[0][0], max(e for _, e, _ in found)
            periods.append((f"before {first.year}", _EARLIEST, first - _dt.timedelta(days=1)))
            periods += [(label, s, e) for s, e, label in found]
            periods.append((f"after {last.year}", last + _dt.timedelta(days=1), _LATEST))
        return [(label, max(s, lo), min(e, hi)) for label, s, e in periods if max(s, lo) <= min(e, hi)]


def canonical(G):
    """A copy of G with nodes and edges in sorted order. Layouts and Louvain depend on the
    order, and a subgraph view iterates in hash order, which changes from run to run."""
    H = G.__class__()
    H.graph.update(G.graph)
    H.add_nodes_from(sorted(G.nodes(data=True), key=lambda na: na[0]))
    H.add_edges_from(sorted((tuple(sorted((u, v))) + (a,) for u, v, a in G.edges(data=True)), key=lambda e: e[:2]))
    return H


def _join(values) -> str:
    return SEP.join(sorted(v for v in values if v))


def _clean(attrs: dict) -> dict:
    """Drop empty values: a missing attribute reads better in Gephi than an empty string."""
    return {k: v for k, v in attrs.items() if v is not None and v != ""}


# --- measures -------------------------------------------------------------------------------------


def centrality(G) -> dict[str, dict]:
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


MEASURE_COLUMNS = ["period", "periodStart", "periodEnd", "rank", "node", "label", "type", "region",
                   "degree", "weightedDegree", "degreeCentrality", "betweenness", "community"]


def _measure_rows(G, period: str, lo: _dt.date, hi: _dt.date, only: str | None, top: int | None) -> list[tuple]:
    measures = centrality(G)
    nodes = [n for n in G if only is None or G.nodes[n].get("type") == only]
    nodes.sort(key=lambda n: (-measures[n]["degreeCentrality"], -measures[n]["betweenness"], G.nodes[n].get("label", n), n))
    integer, decimal = ox.NamedNode(XSD + "integer"), ox.NamedNode(XSD + "decimal")
    rows = []
    for rank, n in enumerate(nodes[:top] if top else nodes, 1):
        m, a = measures[n], G.nodes[n]
        rows.append((
            ox.Literal(period),
            None if lo == _EARLIEST else _literal(lo),
            None if hi == _LATEST else _literal(hi),
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
        ))
    return rows


def measures_table(builder: _Builder, view: str, lo: _dt.date, hi: _dt.date) -> Result:
    """Every node of the whole period (``period`` "all"), then the most central nodes of the
    view's actor type (states; themes for ``themes``) in each framework period."""
    rows = _measure_rows(builder.build(view, lo, hi), "all", lo, hi, None, None)
    for label, s, e in builder.periods(lo, hi):
        rows += _measure_rows(builder.build(view, s, e), label, s, e, RANKED[view], TOP_PER_PERIOD)
    return Result(MEASURE_COLUMNS, rows)


# --- writing --------------------------------------------------------------------------------------


def _edge_ids(G):
    H = G.copy()
    for i, (u, v) in enumerate(H.edges()):
        H.edges[u, v]["id"] = f"e{i}"
    return H


def to_graphml(G) -> bytes:
    import networkx as nx

    buf = io.BytesIO()
    nx.write_graphml(_edge_ids(G), buf, edge_id_from_attribute="id")
    return buf.getvalue()


def to_gexf(G) -> bytes:
    """GEXF 1.2 with time, so Gephi's timeline works: each edge's ``period`` becomes its
    spells; a node lives from the first to the last day of its own dates and of its
    relationships, open-ended on a side where any of them is (undated memberships: always)."""
    import networkx as nx

    H = _edge_ids(G)
    H.graph = {"name": G.graph.get("name", ""), "mode": "dynamic"}
    spans = defaultdict(list)
    for u, v, a in H.edges(data=True):
        spells = _intervals(a.pop("period", None))
        a.pop("start", None), a.pop("end", None)
        if spells:
            a["spells"] = spells
        for n in (u, v):
            spans[n] += spells or [(None, None)]
    for n, a in H.nodes(data=True):
        own = (a.pop("start", None), a.pop("end", None))
        spells = spans[n] + ([own] if own != (None, None) else [])
        starts, ends = [s for s, _ in spells], [e for _, e in spells]
        start = None if None in starts else min(starts, default=None)
        end = None if None in ends else max(ends, default=None)
        if start or end:
            a["spells"] = [(start, end)]
    buf = io.BytesIO()
    nx.write_gexf(H, buf)
    return buf.getvalue()


def to_json(G) -> bytes:
    """Node-link JSON (``nodes``, ``links``) for D3."""
    import networkx as nx

    data = nx.node_link_data(G, edges="links")
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


# Colours: the regions the graph uses, then node types; anything else grey.
REGION_COLOURS = {  # Africa in warm tones, Europe in blue: the dialogue's two sides at a glance
    "Africa": "#e08214",
    "North Africa": "#d73027",
    "West Africa": "#fdae61",
    "Central Africa": "#8c510a",
    "East Africa": "#fee08b",
    "Europe": "#2166ac",
}
TYPE_COLOURS = {
    "organisation": "#7570b3",
    "meeting": "#66a61e",
    "theme": "#e7298a",
    "pillar": "#1b9e77",
    "domain": "#1b9e77",
    "objective": "#1b9e77",
    "framework": "#444444",
    "body": "#1b9e77",
    "dialogue": "#444444",
}
OTHER = "#999999"


def colour_group(attrs: dict) -> str:
    """The legend entry a node belongs to: a state's region, else its type.

    >>> colour_group({"type": "state", "region": "Europe"}), colour_group({"type": "meeting"})
    ('Europe', 'meeting')
    """
    if attrs.get("type") == "state":
        return attrs.get("region") or "state, region unknown"
    return attrs.get("type", "other")


def colour(group: str) -> str:
    return REGION_COLOURS.get(group) or TYPE_COLOURS.get(group) or OTHER


def _vis_lib() -> tuple[str, str]:
    """The vis-network script and stylesheet pyvis ships (read from its package, never fetched)."""
    import importlib.util

    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.origin:
        raise UsageError("--format html needs pyvis (pip install 'mmdgraph[network]')")
    lib = Path(spec.origin).parent / "lib" / "vis-9.1.2"
    return (lib / "vis-network.min.js").read_text(encoding="utf-8"), (lib / "vis-network.css").read_text(encoding="utf-8")


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
<style>
body {{ font-family: system-ui, sans-serif; margin: 0; display: flex; flex-direction: column; height: 100vh; }}
header {{ padding: .5em 1em; border-bottom: 1px solid #ddd; }} header h1 {{ font-size: 1.2em; margin: 0; }}
header p {{ margin: .2em 0; color: #444; font-size: .9em; }}
main {{ flex: 1; display: flex; min-height: 0; }} #network {{ flex: 1; }}
aside {{ width: 22em; overflow: auto; border-left: 1px solid #ddd; padding: .5em 1em; font-size: .85em; }}
.key {{ display: inline-block; width: .9em; height: .9em; border-radius: 50%; margin-right: .4em; vertical-align: middle; }}
dt {{ font-weight: bold; margin-top: .4em; }} dd {{ margin: 0; word-break: break-word; }}
</style></head>
<body>
<header><h1>{title}</h1><p>{description}</p><p>{legend}</p></header>
<main><div id="network"></div>
<aside><p id="hint">Click a node or an edge to see its attributes.</p><dl id="details"></dl></aside></main>
<script>{js}</script>
<script>
const data = {data};
const nodes = new vis.DataSet(data.nodes), edges = new vis.DataSet(data.edges);
const network = new vis.Network(document.getElementById("network"), {{nodes, edges}}, {{
  nodes: {{ shape: "dot", font: {{ size: 16, strokeWidth: 3, strokeColor: "#ffffff" }} }},
  edges: {{ color: {{ color: "#9a9a9a", highlight: "#333333" }}, smooth: false }},
  physics: {{ solver: "forceAtlas2Based", stabilization: {{ iterations: 400 }} }},
  interaction: {{ hover: true, tooltipDelay: 100 }}
}});
network.once("stabilizationIterationsDone", () => network.setOptions({{ physics: false }}));
function show(attrs) {{
  const dl = document.getElementById("details");
  dl.replaceChildren();
  for (const [k, v] of Object.entries(attrs)) {{
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = k; dd.textContent = v; dl.append(dt, dd);
  }}
}}
network.on("click", (p) => {{
  if (p.nodes.length) show(nodes.get(p.nodes[0]).attrs);
  else if (p.edges.length) show(edges.get(p.edges[0]).attrs);
}});
</script>
</body></html>
"""


def to_html(G) -> bytes:
    """A self-contained page: vis-network inlined, no request leaves the page."""
    js, css = _vis_lib()
    degree = dict(G.degree(weight="weight"))
    groups = {}
    vis_nodes, vis_edges = [], []
    for n, a in G.nodes(data=True):
        group = colour_group(a)
        groups[group] = colour(group)
        label = str(a.get("label", n))
        vis_nodes.append({
            "id": n,
            "label": label if len(label) <= 40 else label[:39] + "…",
            "title": "\n".join([label] + [f"{k}: {a[k]}" for k in ("type", "region", "date", "role") if a.get(k)]),
            "color": groups[group],
            "value": 1 + degree.get(n, 0),
            "attrs": {"id": n, **{k: str(v) for k, v in a.items()}},
        })
    for i, (u, v, a) in enumerate(G.edges(data=True)):
        vis_edges.append({
            "id": f"e{i}",
            "from": u,
            "to": v,
            "width": 1 + 1.5 * (a.get("weight", 1) - 1),
            "title": "\n".join(str(a[k]) for k in ("label", "date") if a.get(k)),
            "attrs": {k: str(x) for k, x in a.items()},
        })
    legend = " ".join(
        f'<span><span class="key" style="background:{c}"></span>{_html.escape(g)}</span>&nbsp;' for g, c in sorted(groups.items())
    )
    when = ""
    if G.graph.get("from") or G.graph.get("to"):
        when = f" Period: {G.graph.get('from', '…')} to {G.graph.get('to', '…')}."
    data = json.dumps({"nodes": vis_nodes, "edges": vis_edges}, ensure_ascii=False)
    # Inside <script>, "</" would end the element and U+2028/9 end a JS string in old engines.
    data = data.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    page = _PAGE.format(
        title=_html.escape(f"mmdgraph: the {G.graph.get('name', '')} network"),
        description=_html.escape(
            f"{G.graph.get('description', '')}{when} {G.number_of_nodes()} nodes, {G.number_of_edges()} edges. "
            "Drag to move, scroll to zoom; node size grows with the node's (weighted) degree."
        ),
        legend=legend,
        css=css,
        js=js.replace("</script", "<\\/script"),
        data=data,
    )
    return page.encode("utf-8")


WRITERS = {"graphml": to_graphml, "gexf": to_gexf, "json": to_json, "html": to_html}


# --- the public entry -----------------------------------------------------------------------------


def network(
    view: str,
    *,
    format: str | None = None,
    output: Path | str | None = None,
    start=None,
    end=None,
    measures: bool = False,
    store=None,
    endpoint: str | None = None,
):
    """Build a network view of the graph.

    Returns the networkx graph; with ``measures=True`` a :class:`mmdgraph.store.Result` table
    (degree, betweenness, community of every node, then the most central states of each
    framework period); with ``format`` (graphml, gexf, json, html) the file's bytes, or, with
    ``output``, writes the file atomically and returns its path. ``start``/``end`` (a
    ``datetime.date`` or YYYY-MM-DD) keep only relationships whose dates do not exclude the
    period. ``store`` or ``endpoint`` as in :func:`mmdgraph.query`.
    """
    from .loading import open_store

    if view not in VIEWS:
        raise UsageError(f"unknown network view {view!r}; views: {', '.join(VIEWS)}")
    if format is not None and format not in WRITERS:
        raise UsageError(f"unknown network format {format!r}; use one of {', '.join(FORMATS)}")
    if measures and format is not None:
        raise UsageError("give a format or measures, not both")
    if output is not None and format is None:
        raise UsageError("output needs a format (graphml, gexf, json, html)")
    lo, hi = _bounds(start, end)
    builder = _Builder(open_store(store, endpoint))
    if measures:
        return measures_table(builder, view, lo, hi)
    G = builder.build(view, lo, hi)
    if format is None:
        return G
    data = WRITERS[format](G)
    if output is None:
        return data
    from .export import write_atomic

    return write_atomic(output, data)


# --- pictures -------------------------------------------------------------------------------------


def sides_layout(G) -> dict:
    """Africa on the left half of a circle, Europe on the right, others at the bottom; each
    side ordered by region then label, so labels do not collide and cross-side links show."""
    import math

    def side(n):
        a = G.nodes[n]
        return a.get("side") or ("Africa" if "Africa" in str(a.get("region", "")) else "other")

    order = lambda n: (str(G.nodes[n].get("region", "")), str(G.nodes[n].get("label", n)))  # noqa: E731
    groups = {s: sorted((n for n in G if side(n) == s), key=order) for s in ("Africa", "Europe", "other")}
    pos = {}
    arcs = {"Africa": (100, 260), "Europe": (80, -80), "other": (250, 290)}
    for s, nodes in groups.items():
        a0, a1 = arcs[s]
        for i, n in enumerate(nodes):
            t = math.radians(a0 + (a1 - a0) * (i + 0.5) / len(nodes))
            pos[n] = (math.cos(t), math.sin(t))
    return pos


def draw(G, ax=None, title: str | None = None, layout: str | None = None, label_size: int = 11):
    """Draw a view with matplotlib: nodes coloured by region (states) or type, sized by
    (weighted) degree, labelled beside the node, with a legend. Returns the matplotlib Axes.

    ``layout``: ``"sides"`` (Africa left, Europe right; the default for co-chair) or
    ``"spring"`` (force-directed with a fixed seed; the default otherwise).
    """
    import math

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
    nx.draw_networkx_nodes(G, pos, ax=ax, nodelist=list(G), node_color=[colour(groups[n]) for n in G],
                           node_size=[size[n] for n in G], edgecolors="white", linewidths=1.5)
    for n, (x, y) in pos.items():
        label = str(G.nodes[n].get("label", n))
        label = label if len(label) <= 40 else label[:39] + "…"
        gap = math.sqrt(size[n]) / 2 + 3  # the marker's radius in points, and a little air
        side = -1 if (layout == "sides" and x < -0.05) else 1
        ax.annotate(label, (x, y), xytext=(side * gap, 0), textcoords="offset points", va="center",
                    ha="right" if side < 0 else "left", fontsize=label_size,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
    if layout == "sides":
        for text, x in (("AFRICA", -1.0), ("EUROPE", 1.0)):
            ax.annotate(text, (x, 1.12), ha="center", fontsize=label_size + 1, color="#555555", weight="bold")
    weighted = any(w > 1 for w in weights)
    if weighted:
        for (u, v), w in nx.get_edge_attributes(G, "weight").items():
            if w > 1:
                (x1, y1), (x2, y2) = pos[u], pos[v]
                ax.annotate(str(w), ((x1 + x2) / 2, (y1 + y2) / 2), ha="center", va="center", fontsize=label_size - 1,
                            bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": "#8c8c8c"})
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
