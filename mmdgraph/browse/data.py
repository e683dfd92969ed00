"""The data of an entity page: what the graph says about one IRI, every line with its sources.

:func:`entity` answers with plain dicts (JSON-ready) built from a handful of SPARQL queries
run through :meth:`mmdgraph.store.Store.select`, the entity bound as an RDF term (never
pasted into the query text), so it works on the embedded store, rdflib and a remote
endpoint alike:

- the entity's own statements with the graph (source) of each: ``GRAPH ?g { ?s ?p ?o }``;
- the statements of every node that points at it (meetings it chaired, memberships, figures,
  claims, gaps), with their graphs, so incoming links are grouped by meaning and carry the
  quote their source gives on the linking node;
- for a source (or any named graph), what its graph says.

Labels, types, dates and the source catalogue are read once per store (:class:`Context`).

>>> e = entity("id:FRA")
>>> e["label"], e["kind"]
('France', 'state')
"""

from __future__ import annotations

import calendar
import re
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import pyoxigraph as ox

from ..errors import UsageError
from ..namespaces import (
    CATALOGUE_GRAPH,
    CUR,
    DCTERMS,
    DERIVED_GRAPH,
    ID,
    MMD,
    ONTOLOGY_GRAPH,
    ONTOLOGY_IRI,
    ORG,
    OWL,
    PREFIXES,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    SKOS,
    SRC,
    UNSOURCED_GRAPH,
    VOC,
    XSD,
    compact,
)

if TYPE_CHECKING:
    from ..store import Result

#: An RDF term as a query answers it.
Term = ox.NamedNode | ox.BlankNode | ox.Literal


class Selects(Protocol):
    """What the pages need of a store: SELECT queries (a :class:`mmdgraph.store.Store`, or the
    static site's sandboxed stand-in for the embedded store)."""

    def select(self, query: str, bindings: Mapping[str, object] | None = None) -> Result: ...


BASE = "https://w3id.org/mmdgraph/"
GRAPH_NS = BASE + "graph/"
TYPE = RDF + "type"
QUOTE = MMD + "quote"
LABEL_PROPS = (RDFS + "label", SKOS + "prefLabel")
ALT_PROPS = (SKOS + "altLabel",)


class EntityNotFound(UsageError, LookupError):
    """The IRI has no page: the graph neither states anything about it nor points at it."""


# --- where each IRI's page lives ---------------------------------------------------------

_SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")
_FOLDERS = ((ID, "id/"), (SRC, "source/"), (VOC, "vocab/"), (CUR, "curation/"), (GRAPH_NS, "graph/"))
#: Pages with fixed places: the ontology document and the site's home.
_FIXED = {ONTOLOGY_IRI: "ontology", ONTOLOGY_IRI + "/0.1.0": "ontology", BASE: "index"}


def page_path(iri: str, kinds: dict | None = None) -> str | None:
    """Where an IRI's page lives in the site, without extension (``id/FRA``), or None if
    the graph does not mint it. Ontology terms are hash IRIs: their pages are
    ``ontology/class/<Name>`` and ``ontology/property/<name>`` (``mmd:Theme`` and
    ``mmd:theme`` differ only in case, so they may not share a folder).

    >>> page_path("https://w3id.org/mmdgraph/id/FRA")
    'id/FRA'
    >>> page_path("https://w3id.org/mmdgraph/ontology#Theme", {"https://w3id.org/mmdgraph/ontology#Theme": "class"})
    'ontology/class/Theme'
    >>> page_path("https://example.org/x") is None
    True
    """
    if iri in _FIXED:
        return _FIXED[iri]
    for ns, folder in _FOLDERS:
        if iri.startswith(ns):
            local = iri[len(ns) :]
            return folder + local if _SAFE.match(local) and local not in ("index",) else None
    if iri.startswith(MMD):
        local = iri[len(MMD) :]
        if not _SAFE.match(local):
            return None
        kind = (kinds or {}).get(iri)
        return f"ontology/{'class' if kind == 'class' else 'property'}/{local}"
    return None


def expand(iri: str) -> str:
    """An IRI from a prefixed name (``id:FRA``) or a full IRI."""
    prefix, _, local = iri.partition(":")
    if prefix in PREFIXES and not iri.startswith(("http:", "https:")):
        return PREFIXES[prefix] + local
    return iri


# --- dates at their precision -------------------------------------------------------------

_MONTHS = list(calendar.month_name)


def graph_iri(q: ox.Quad) -> str:
    """The graph name of a quad the pages read (they read named graphs only, never the default graph)."""
    g = q.graph_name
    assert not isinstance(g, ox.DefaultGraph), "a page's quad in the default graph"
    return g.value


def format_date(lexical: str, datatype: str) -> str:
    """'2015-12-03' -> '3 December 2015'; '2015-12' -> 'December 2015'; '2015' -> '2015'."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", lexical)
    if not m or datatype not in (XSD + "date", XSD + "gYearMonth", XSD + "gYear"):
        return lexical
    y, mo, d = m.groups()
    if mo and not 1 <= int(mo) <= 12:
        return lexical
    if d:
        return f"{int(d)} {_MONTHS[int(mo)]} {y}"
    if mo:
        return f"{_MONTHS[int(mo)]} {y}"
    return y


def format_range(start: dict | None, end: dict | None) -> str:
    """A date range at the precision of its ends: '17–18 November 2021', 'June 2015'."""
    if not start and not end:
        return ""
    if not end or not start or end.get("value") == start.get("value"):
        one = start or end
        assert one is not None  # not both missing: returned above
        return ("until " if not start else "") + one["display"]
    s, e = start["value"], end["value"]
    if len(s) == len(e) == 10 and s[:7] == e[:7] and start.get("datatype") == end.get("datatype") == XSD + "date":
        return f"{int(s[8:])}–{end['display']}"
    return f"{start['display']} – {end['display']}"


# --- terms as dicts -------------------------------------------------------------------------


def _lit(term: ox.Literal) -> dict:
    dt = term.datatype.value if term.datatype else XSD + "string"
    out = {"value": term.value, "display": format_date(term.value, dt)}
    if term.language:
        out["lang"] = term.language
    elif dt not in (XSD + "string",):
        out["datatype"] = dt
    return out


# --- what is read once per store ----------------------------------------------------------

_Q_LABELS = f"""SELECT ?x ?p ?l WHERE {{
  VALUES ?p {{ <{RDFS}label> <{SKOS}prefLabel> <{SKOS}altLabel> <{SKOS}notation> }}
  ?x ?p ?l FILTER(isIRI(?x)) }}"""
_Q_TYPES = f"SELECT ?x ?t WHERE {{ ?x <{TYPE}> ?t FILTER(isIRI(?x) && isIRI(?t)) }}"
_Q_DATES = f"""SELECT ?x ?p ?d WHERE {{
  VALUES ?p {{ <{SCHEMA}startDate> <{SCHEMA}endDate> <{MMD}startDay> <{MMD}attestedOn> <{DCTERMS}issued> }}
  ?x ?p ?d }}"""
_Q_SOURCES = f"""SELECT ?s ?p ?o WHERE {{
  VALUES ?p {{ <{SCHEMA}url> <{DCTERMS}type> <{DCTERMS}language> <{MMD}compiledIn> }}
  ?s a <{MMD}Source> ; ?p ?o }}"""
_Q_KINDS = f"""SELECT ?x ?k WHERE {{
  VALUES ?k {{ <{OWL}Class> <{RDFS}Class> <{OWL}ObjectProperty> <{OWL}DatatypeProperty> <{OWL}AnnotationProperty> <{RDF}Property> }}
  ?x a ?k FILTER(isIRI(?x)) }}"""
_Q_SUBCLASS = f"SELECT ?c ?super WHERE {{ ?c <{RDFS}subClassOf>+ ?super FILTER(isIRI(?c) && isIRI(?super)) }}"
_Q_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"

#: Labels of core terms the ontology does not label itself.
BUILTIN_LABELS = {
    TYPE: "type",
    RDFS + "subClassOf": "subclass of",
    RDFS + "subPropertyOf": "subproperty of",
    RDFS + "domain": "domain",
    RDFS + "range": "range",
    RDFS + "seeAlso": "see also",
    RDFS + "isDefinedBy": "defined by",
    OWL + "inverseOf": "inverse of",
    OWL + "versionIRI": "version IRI",
    OWL + "versionInfo": "version",
    OWL + "imports": "imports",
    OWL + "Class": "OWL class",
    OWL + "ObjectProperty": "object property",
    OWL + "DatatypeProperty": "datatype property",
    OWL + "AnnotationProperty": "annotation property",
    OWL + "Ontology": "ontology",
    OWL + "NamedIndividual": "named individual",
    RDF + "Property": "property",
    SKOS + "hasTopConcept": "top concept",
    SKOS + "narrower": "narrower",
}

#: How unlabelled IRIs of reference datasets read (the EU authority table, GeoNames).
EXTERNAL_NAMES = {
    "http://publications.europa.eu/resource/authority/country/": "EU country authority: ",
    "https://sws.geonames.org/": "GeoNames ",
    "http://sws.geonames.org/": "GeoNames ",
}

#: Labels of the graphs mmdgraph fills itself (they are not sources in the catalogue).
GRAPH_LABELS = {
    ONTOLOGY_GRAPH: "mmdgraph ontology and vocabularies",
    CATALOGUE_GRAPH: "mmdgraph source catalogue",
    DERIVED_GRAPH: "derived at load time (date bounds)",
    UNSOURCED_GRAPH: "statements without a source",
}


class Context:
    """Labels, types, dates, ontology kinds and the source catalogue of one store, read
    once (six queries) and shared by every page built from that store."""

    def __init__(self, store: Selects) -> None:
        self.store = store
        #: iri -> language -> (0 for rdfs:label, 1 for skos:prefLabel, the label)
        self.labels: dict[str, dict[str, list[tuple[int, str]]]] = defaultdict(lambda: defaultdict(list))
        self.alt: dict[str, list[tuple[str, str]]] = defaultdict(list)
        self.notation: dict[str, str] = {}
        for x, p, lit in store.select(_Q_LABELS).rows:
            if not isinstance(lit, ox.Literal):
                continue
            if p.value == SKOS + "notation":
                self.notation[x.value] = lit.value
            elif p.value in ALT_PROPS:
                self.alt[x.value].append((lit.value, lit.language or ""))
            else:
                key = 0 if p.value == RDFS + "label" else 1
                self.labels[x.value][lit.language or ""].append((key, lit.value))
        self.types: dict[str, set[str]] = defaultdict(set)
        for x, t in store.select(_Q_TYPES).rows:
            self.types[x.value].add(t.value)
        self.dates: dict[str, dict[str, list[ox.Literal]]] = defaultdict(lambda: defaultdict(list))
        for x, p, d in store.select(_Q_DATES).rows:
            if isinstance(d, ox.Literal):
                self.dates[x.value][p.value].append(d)
        self.sources: dict[str, dict] = defaultdict(dict)
        for s, p, o in store.select(_Q_SOURCES).rows:
            self.sources[s.value].setdefault(p.value, o.value)
        self.kinds: dict[str, str] = {}
        for x, k in store.select(_Q_KINDS).rows:
            kind = "class" if k.value in (OWL + "Class", RDFS + "Class") else "property"
            if self.kinds.get(x.value) != "class":
                self.kinds[x.value] = kind
        self.supers: dict[str, set[str]] = defaultdict(set)
        for c, sup in store.select(_Q_SUBCLASS).rows:
            self.supers[c.value].add(sup.value)
        self.graphs = {g.value for (g,) in store.select(_Q_GRAPHS).rows if isinstance(g, ox.NamedNode)}
        self._nodes: dict[str, dict] = {}

    # labels -------------------------------------------------------------------------
    def label(self, iri: str, lang: str = "en") -> str:
        """The best label: rdfs:label, then skos:prefLabel, in ``lang``, then English, then any."""
        if iri in GRAPH_LABELS:
            return GRAPH_LABELS[iri]
        by_lang = self.labels.get(iri)
        if by_lang:
            for want in (lang, "en", ""):
                if by_lang.get(want):
                    return min(by_lang[want])[1]
            return min(min(v) for v in by_lang.values())[1]
        if iri in BUILTIN_LABELS:
            return BUILTIN_LABELS[iri]
        for ns, name in EXTERNAL_NAMES.items():
            if iri.startswith(ns) and len(iri) > len(ns):
                return name + iri[len(ns) :].strip("/")
        return compact(iri)

    def label_in(self, iri: str, lang: str) -> str | None:
        values = (self.labels.get(iri) or {}).get(lang)
        return min(values)[1] if values else None

    def is_a(self, iri: str, cls: str) -> bool:
        return any(t == cls or cls in self.supers.get(t, ()) for t in self.types.get(iri, ()))

    def sort_day(self, iri: str) -> str:
        d = self.dates.get(iri, {})
        for p in (MMD + "startDay", SCHEMA + "startDate", MMD + "attestedOn", DCTERMS + "issued"):
            if d.get(p):
                return min(x.value for x in d[p])
        return "9999"

    def date_of(self, iri: str) -> str:
        d = self.dates.get(iri, {})
        start = [_lit(x) for x in d.get(SCHEMA + "startDate", [])]
        end = [_lit(x) for x in d.get(SCHEMA + "endDate", [])]
        if start or end:
            return format_range(start[0] if start else None, end[0] if end else None)
        for p, word in ((MMD + "attestedOn", "attested "), (DCTERMS + "issued", "issued ")):
            if d.get(p):
                return word + _lit(d[p][0])["display"]
        return ""

    # terms -------------------------------------------------------------------------
    def node(self, iri: str) -> dict:
        """An IRI as a dict: its label, prefixed name and page path (None when external).
        (Shared between pages: callers copy before adding keys.)"""
        got = self._nodes.get(iri)
        if got is None:
            got = self._nodes[iri] = {
                "iri": iri,
                "label": self.label(iri),
                "curie": compact(iri),
                "path": page_path(iri, self.kinds),
            }
        return got

    def term(self, term: Term) -> dict:
        if isinstance(term, ox.NamedNode):
            return self.node(term.value)
        if isinstance(term, ox.Literal):
            return _lit(term)
        return {"value": str(term), "display": str(term)}

    def source(self, graph: str, quotes: Iterable[tuple[str, str]] = ()) -> dict:
        """A graph as the source of a line: label, address, page, and its quotes."""
        info = self.sources.get(graph, {})
        return {
            **self.node(graph),
            "url": info.get(SCHEMA + "url"),
            "type": self.label(info[DCTERMS + "type"]) if DCTERMS + "type" in info else None,
            "quotes": [{"text": t, "lang": lang} for t, lang in sorted(quotes, key=lambda q: (q[1], q[0]))],
        }

    def kind_of(self, iri: str) -> str:
        """What sort of page: state, meeting, source, concept, class, property, graph, ..."""
        if iri in (ONTOLOGY_IRI, ONTOLOGY_IRI + "/0.1.0"):
            return "ontology"
        if iri in self.kinds and iri.startswith(MMD):
            return self.kinds[iri]
        checks = (
            (MMD + "State", "state"),
            (MMD + "Meeting", "meeting"),
            (MMD + "Source", "source"),
            (MMD + "CuratorStatement", "source"),
            (MMD + "Chairmanship", "membership"),
            (ORG + "Membership", "membership"),
            (MMD + "Claim", "claim"),
            (MMD + "ReportedFigure", "figure"),
            (MMD + "KnownGap", "gap"),
            (MMD + "Framework", "framework"),
            (MMD + "Document", "document"),
            (SKOS + "ConceptScheme", "scheme"),
            (SKOS + "Concept", "concept"),
            (MMD + "InternationalOrganisation", "organisation"),
            (MMD + "Dialogue", "dialogue"),
            (SCHEMA + "City", "city"),
            (MMD + "TextCorrection", "correction"),
            (MMD + "Project", "project"),
            (ORG + "Organization", "organisation"),
            ("http://xmlns.com/foaf/0.1/Agent", "organisation"),
        )
        for cls, kind in checks:
            if self.is_a(iri, cls):
                return kind
        if iri in self.graphs:
            return "graph"
        if iri in self.kinds:
            return self.kinds[iri]
        return "entity"


_CONTEXTS: weakref.WeakKeyDictionary[Selects, Context] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def context(store: Selects) -> Context:
    """The :class:`Context` of a store, built on first use and kept while the store lives.
    (A store whose data changes needs :func:`forget`.)"""
    with _LOCK:
        ctx = _CONTEXTS.get(store)
        if ctx is None:
            ctx = _CONTEXTS[store] = Context(store)
        return ctx


def forget(store: Selects) -> None:
    """Drop a store's cached :class:`Context` (after changing its data)."""
    with _LOCK:
        _CONTEXTS.pop(store, None)


# --- the page of one entity ---------------------------------------------------------------

_Q_OUT = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
_Q_NEIGH = "SELECT DISTINCT ?s ?x ?p ?o ?g WHERE { GRAPH ?g0 { ?x ?p0 ?s } FILTER(isIRI(?x)) GRAPH ?g { ?x ?p ?o } }"
_Q_GRAPH = "SELECT ?g ?x ?p ?o WHERE { GRAPH ?g { ?x ?p ?o } }"
_Q_USES = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?x ?p ?y } GROUP BY ?p"

#: Properties in the order pages list them; the rest follow alphabetically by label.
ORDER = [
    TYPE,
    RDFS + "label",
    SKOS + "prefLabel",
    SKOS + "altLabel",
    SKOS + "notation",
    MMD + "isoAlpha2",
    MMD + "isoAlpha3",
    DCTERMS + "spatial",
    SCHEMA + "sameAs",
    MMD + "region",
    SCHEMA + "url",
    DCTERMS + "type",
    DCTERMS + "language",
    DCTERMS + "issued",
    MMD + "reportsUntil",
    SCHEMA + "startDate",
    SCHEMA + "endDate",
    MMD + "attestedOn",
    MMD + "endedBy",
    MMD + "status",
    SCHEMA + "location",
    SCHEMA + "eventAttendanceMode",
    MMD + "hostedBy",
    MMD + "chairedBy",
    MMD + "coChairedBy",
    MMD + "theme",
    MMD + "pillar",
    MMD + "objective",
    MMD + "withinDialogue",
    SCHEMA + "superEvent",
    MMD + "conferenceNumber",
    PROV + "generated",
    MMD + "adoptedAt",
    MMD + "presentedAt",
    MMD + "signedBy",
    MMD + "notSignedBy",
    ORG + "member",
    ORG + "organization",
    ORG + "role",
    MMD + "figureOf",
    MMD + "measure",
    SCHEMA + "value",
    SCHEMA + "minValue",
    MMD + "qualifier",
    SCHEMA + "unitText",
    RDF + "subject",
    RDF + "predicate",
    RDF + "object",
    MMD + "claimStatus",
    DCTERMS + "subject",
    MMD + "gapProperty",
    MMD + "originalText",
    MMD + "correctedText",
    SKOS + "inScheme",
    SKOS + "topConceptOf",
    SKOS + "broader",
    SKOS + "closeMatch",
    SKOS + "broadMatch",
    SKOS + "definition",
    RDFS + "subClassOf",
    RDFS + "domain",
    RDFS + "range",
    RDFS + "comment",
]
_RANK = {p: i for i, p in enumerate(ORDER)}

#: Headings of incoming links, by the property that points here (what the group means).
INCOMING = {
    ORG + "member": "Memberships and chairmanships",
    MMD + "hostedBy": "Meetings hosted",
    MMD + "chairedBy": "Meetings chaired",
    MMD + "coChairedBy": "Meetings co-chaired",
    MMD + "signedBy": "Documents signed",
    MMD + "notSignedBy": "Documents not signed",
    MMD + "initiatedBy": "Dialogues initiated",
    MMD + "implementedBy": "Projects implemented",
    SCHEMA + "funder": "Projects funded",
    MMD + "adoptedAt": "Outputs adopted here",
    MMD + "presentedAt": "Documents presented here",
    MMD + "figureOf": "Reported figures",
    RDF + "subject": "Where sources disagree",
    DCTERMS + "subject": "Known gaps and text corrections",
    SCHEMA + "location": "Meetings held here",
    SCHEMA + "containedInPlace": "Places in it",
    ORG + "organization": "Members",
    ORG + "unitOf": "Units",
    MMD + "withinDialogue": "Meetings within this dialogue",
    SCHEMA + "superEvent": "Meetings within this event",
    MMD + "hasDialogueLabel": "Labelled events",
    MMD + "theme": "Meetings on this theme",
    MMD + "pillar": "Under this framework part",
    MMD + "objective": "Under this objective",
    MMD + "supports": "Supported by",
    SKOS + "inScheme": "Concepts in this scheme",
    SKOS + "topConceptOf": "Top concepts",
    SKOS + "broader": "Narrower concepts",
    SKOS + "closeMatch": "Close matches",
    SKOS + "broadMatch": "Narrower matches",
    ORG + "role": "Memberships with this role",
    MMD + "status": "Meetings with this status",
    MMD + "region": "In this region",
    MMD + "measure": "Figures of this measure",
    MMD + "qualifier": "Figures with this qualifier",
    MMD + "claimStatus": "Claims with this status",
    DCTERMS + "type": "Of this type",
    TYPE: "Instances",
    RDFS + "subClassOf": "Subclasses",
    RDFS + "subPropertyOf": "Subproperties",
    RDF + "predicate": "Claims about this property",
    RDF + "object": "Claims giving this value",
    MMD + "gapProperty": "Known gaps about this property",
    MMD + "compiledIn": "Sources read through it",
    PROV + "wasDerivedFrom": "Curator statements resting on it",
    PROV + "generated": "Generated by",
    SCHEMA + "isPartOf": "Parts",
    MMD + "endedBy": "Memberships ended by it",
}
_IN_RANK = {p: i for i, p in enumerate(INCOMING)}

#: What a linking node shows beside its name, by the kind of node.
DETAILS = {
    "membership": [ORG + "role", ORG + "organization", ORG + "member", MMD + "pillar"],
    "meeting": [TYPE, SCHEMA + "location", MMD + "status"],
    "figure": [SCHEMA + "value", SCHEMA + "minValue", MMD + "qualifier", MMD + "measure", SCHEMA + "unitText"],
    "claim": [RDF + "predicate", RDF + "object", MMD + "claimStatus", RDFS + "comment"],
    "gap": [MMD + "gapProperty", RDFS + "comment"],
    "correction": [MMD + "originalText", MMD + "correctedText", RDFS + "comment"],
    "project": [TYPE, MMD + "implementedBy"],
    "document": [TYPE, DCTERMS + "type"],
    "framework": [TYPE],
    "state": [],
}
_DETAIL_OTHER = [TYPE]
_SKIP_FACTS = {QUOTE}


def _sources(ctx: Context, graphs: Iterable[str], quotes_of: Callable[[str], list[tuple[str, str]]]) -> list[dict]:
    """The sources (graphs) of a line, page sources first, each with its quotes."""
    gs = sorted(set(graphs), key=lambda g: (g in GRAPH_LABELS, g.startswith(CUR), ctx.label(g).lower()))
    return [ctx.source(g, quotes_of(g)) for g in gs]


def entity(iri: str, store: Selects | None = None) -> dict[str, Any]:
    """Everything an entity page shows about ``iri`` (a full IRI or ``id:FRA``), as dicts.

    Keys: ``iri``, ``curie``, ``path``, ``kind``, ``label``, ``label_fr``, ``types``,
    ``quotes`` (each source's words on it), ``facts`` (its own statements, grouped by
    property, each value with its sources), ``incoming`` (links to it grouped by meaning,
    each item with its sources and their quotes), ``claims`` (where sources disagree: the
    accepted values and each claim, with sources), ``gaps``, ``says`` (for a source or any
    named graph: what its graph says, by entity) and ``uses`` (for a property: how many
    statements use it). Raises :class:`EntityNotFound` for an IRI the graph does not hold.
    """
    return build_entity(iri, store)[0]


def build_entity(iri: str, store: Selects | None = None) -> tuple[dict[str, Any], list[ox.Quad]]:
    """:func:`entity`'s dict and the quads of the entity's own statements (for its RDF files)."""
    from ..loading import open_store

    st = store if store is not None else open_store()
    ctx = context(st)
    iri = expand(iri)
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        raise EntityNotFound(f"not an IRI: {iri!r}") from None
    out = st.select(_Q_OUT, {"s": node}).rows
    neigh = st.select(_Q_NEIGH, {"s": node}).rows
    is_graph = iri in ctx.graphs
    says_rows = st.select(_Q_GRAPH, {"g": node}).rows if is_graph else []
    if not out and not neigh and not is_graph and iri not in _FIXED:
        raise EntityNotFound(f"{compact(iri)} is not in the graph")

    # Its own statements, and its quotes by graph.
    quotes: dict[str, list[tuple[str, str]]] = defaultdict(list)
    own: dict[str, dict[Term, set[str]]] = defaultdict(lambda: defaultdict(set))  # p -> o -> graphs
    for _, p, o, g in out:
        if p.value == QUOTE and isinstance(o, ox.Literal):
            if (o.value, o.language or "") not in quotes[g.value]:
                quotes[g.value].append((o.value, o.language or ""))
        elif g.value != DERIVED_GRAPH:
            own[p.value][o].add(g.value)

    def own_quotes(g: str) -> list[tuple[str, str]]:
        return quotes.get(g, [])

    facts: list[dict[str, Any]] = []
    for p in sorted(own, key=lambda p: (_RANK.get(p, len(_RANK)), ctx.label(p).lower())):
        if p in _SKIP_FACTS:
            continue
        values: list[dict[str, Any]] = []
        for o, graphs in own[p].items():
            values.append({"value": ctx.term(o), "sources": _sources(ctx, graphs, own_quotes)})
        values.sort(
            key=lambda v: (ctx.sort_day(v["value"]["iri"]) if "iri" in v["value"] else "", _value_key(v["value"]))
        )
        facts.append({"property": ctx.node(p), "values": values})

    # Incoming links, with the statements of each linking node.
    # x -> p -> o -> graphs
    stmts: dict[str, dict[str, dict[Term, set[str]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
    nquotes: dict[str, dict[str, list[tuple[str, str]]]] = defaultdict(lambda: defaultdict(list))
    for _, x, p, o, g in neigh:
        if p.value == QUOTE and isinstance(o, ox.Literal):
            if (o.value, o.language or "") not in nquotes[x.value][g.value]:
                nquotes[x.value][g.value].append((o.value, o.language or ""))
        elif g.value != DERIVED_GRAPH:
            stmts[x.value][p.value][o].add(g.value)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for x, props in stmts.items():
        for p, objs in props.items():
            linked = objs.get(node)
            if linked:
                groups[p].append(_item(ctx, x, linked, props, nquotes[x], node))
    incoming: list[dict[str, Any]] = []
    for p in sorted(groups, key=lambda p: (_IN_RANK.get(p, len(_IN_RANK)), ctx.label(p).lower())):
        items = sorted(groups[p], key=lambda i: (ctx.sort_day(i["node"]["iri"]), i["node"]["label"].lower()))
        title = INCOMING.get(p) or f"Linked here as “{ctx.label(p)}”"
        incoming.append({"property": ctx.node(p), "title": title, "items": items})

    # Where sources disagree: each claim beside the accepted values.
    claims: list[dict[str, Any]] = []
    for x, props in stmts.items():
        if node not in props.get(RDF + "subject", {}) or not ctx.is_a(x, MMD + "Claim"):
            continue
        for pred in props.get(RDF + "predicate", {}):
            accepted = own.get(pred.value, {})
            claims.append(
                {
                    "claim": ctx.node(x),
                    "property": ctx.term(pred),
                    "accepted": [
                        {"value": ctx.term(o), "sources": _sources(ctx, gs, own_quotes)} for o, gs in accepted.items()
                    ],
                    "claimed": [
                        {"value": ctx.term(o), "sources": _sources(ctx, gs, _quotes_from(nquotes[x]))}
                        for o, gs in props.get(RDF + "object", {}).items()
                    ],
                    "status": [ctx.term(o) for o in props.get(MMD + "claimStatus", {})],
                    "comment": [o.value for o in props.get(RDFS + "comment", {})],
                }
            )
    claims.sort(key=lambda c: (ctx.label(c["property"].get("iri", "")), c["claim"]["iri"]))
    gaps: list[dict[str, Any]] = []
    for x, props in stmts.items():
        if node in props.get(DCTERMS + "subject", {}) and ctx.is_a(x, MMD + "KnownGap"):
            gaps.append(
                {
                    "gap": ctx.node(x),
                    "property": [ctx.term(o) for o in props.get(MMD + "gapProperty", {})],
                    "comment": [o.value for o in props.get(RDFS + "comment", {})],
                    "sources": _sources(ctx, props[DCTERMS + "subject"][node], lambda g: []),
                }
            )

    kind = ctx.kind_of(iri)
    data: dict[str, Any] = {
        "iri": iri,
        "curie": compact(iri),
        "path": page_path(iri, ctx.kinds),
        "kind": kind,
        "label": ctx.label(iri),
        "label_fr": ctx.label_in(iri, "fr"),
        "alt_labels": [{"value": v, "lang": lang} for v, lang in sorted(set(ctx.alt.get(iri, [])))],
        "types": [ctx.node(t) for t in sorted(ctx.types.get(iri, ()))],
        "date": ctx.date_of(iri),
        "quotes": [
            {
                "source": ctx.source(g),
                "quotes": [{"text": t, "lang": lang} for t, lang in sorted(qs, key=lambda q: (q[1], q[0]))],
            }
            for g, qs in sorted(quotes.items(), key=lambda kv: ctx.label(kv[0]).lower())
        ],
        "facts": facts,
        "incoming": incoming,
        "claims": claims,
        "gaps": gaps,
        "says": _says(ctx, says_rows) if is_graph else None,
        "uses": None,
    }
    if kind == "property":
        counts = {p.value: n for p, n in st.select(_Q_USES).rows if isinstance(n, ox.Literal)}
        data["uses"] = int(counts.get(iri, ox.Literal("0")).value)
    if kind == "ontology":
        data["terms"] = [
            ctx.node(t) for t in sorted(ctx.kinds, key=lambda t: (ctx.kinds[t], t.lower())) if t.startswith(MMD)
        ]
    quads = [ox.Quad(node, p, o, g) for _, p, o, g in out if isinstance(g, ox.NamedNode)]
    quads += [ox.Quad(x, p, o, node) for _, x, p, o in says_rows]  # a source's graph: what it says
    return data, quads


def _value_key(v: dict) -> tuple[str, str, str, str]:
    """Sort values by what a reader sees, then by language, datatype and IRI: a total order, so
    that "France"@en and "France"@fr come in the same order on every store."""
    return (v.get("label") or v.get("value") or "", v.get("lang") or "", v.get("datatype") or "", v.get("iri") or "")


def _quotes_from(by_graph: Mapping[str, list[tuple[str, str]]]) -> Callable[[str], list[tuple[str, str]]]:
    """``quotes_of`` for :func:`_sources`: each graph's quotes in ``by_graph``, none when it has none."""
    return lambda g: by_graph.get(g, [])


def _item(
    ctx: Context,
    x: str,
    graphs: set[str],
    props: dict[str, dict[Term, set[str]]],
    quotes: dict[str, list[tuple[str, str]]],
    here: ox.NamedNode,
) -> dict:
    """A node linking here: its name, date, a few details, and the sources of the link."""
    kind = ctx.kind_of(x)
    details = []
    for p in DETAILS.get(kind, _DETAIL_OTHER):
        objs = props.get(p)
        if not objs:
            continue
        values = []
        for o, gs in objs.items():
            if o == here or (p == TYPE and o.value in (OWL + "NamedIndividual", SKOS + "Concept")):
                continue
            v = ctx.term(o)
            # A detail another source gives (not one of the link's sources) names its source.
            if not gs & graphs:
                v = {**v, "per": [ctx.node(g) for g in sorted(gs)]}
            values.append(v)
        if values:
            values.sort(key=_value_key)
            details.append({"property": ctx.node(p), "values": values})
    return {
        "node": ctx.node(x),
        "kind": kind,
        "date": ctx.date_of(x),
        "details": details,
        "sources": _sources(ctx, graphs, lambda g: quotes.get(g, [])),
    }


def _says(ctx: Context, rows: list[tuple[Any, ...]]) -> list[dict]:
    """What a graph says, by entity: each entity with its quotes and its statements."""
    by: dict[str, dict] = defaultdict(lambda: {"quotes": [], "facts": defaultdict(list)})
    for _, x, p, o in rows:
        if not isinstance(x, ox.NamedNode):
            continue
        rec = by[x.value]
        if p.value == QUOTE and isinstance(o, ox.Literal):
            if {"text": o.value, "lang": o.language or ""} not in rec["quotes"]:
                rec["quotes"].append({"text": o.value, "lang": o.language or ""})
        else:
            rec["facts"][p.value].append(ctx.term(o))
    out = []
    for x in sorted(by, key=lambda x: (ctx.sort_day(x), ctx.label(x).lower())):
        rec = by[x]
        facts = [
            {"property": ctx.node(p), "values": sorted(vs, key=_value_key)}
            for p, vs in sorted(
                rec["facts"].items(), key=lambda kv: (_RANK.get(kv[0], len(_RANK)), ctx.label(kv[0]).lower())
            )
        ]
        quotes = sorted(rec["quotes"], key=lambda q: (q["lang"], q["text"]))
        out.append({"node": ctx.node(x), "quotes": quotes, "facts": facts})
    return out
