"""Counts per class and per source, computed from the graph (never typed by hand).

>>> s = stats()
>>> s["totals"]["sources"] > 10
True
"""

from __future__ import annotations

from .namespaces import MMD, NON_DATA_GRAPHS, ORG, SCHEMA, SKOS, compact
from .store import Store

#: The headline classes, in the order the README lists them. Meeting types are added after.
HEADLINE = [
    ("states", MMD + "State"),
    ("international organisations", MMD + "InternationalOrganisation"),
    ("dialogues", MMD + "Dialogue"),
    ("meetings", MMD + "Meeting"),
    ("memberships (all roles)", ORG + "Membership"),
    ("chairmanships of the dialogue", MMD + "Chairmanship"),
    ("documents", MMD + "Document"),
    ("frameworks", MMD + "Framework"),
    ("pillars", MMD + "Pillar"),
    ("domains", MMD + "Domain"),
    ("objectives", MMD + "Objective"),
    ("themes", MMD + "Theme"),
    ("SKOS concepts (all schemes)", SKOS + "Concept"),
    ("cities", SCHEMA + "City"),
    ("projects", MMD + "Project"),
    ("recommendations", MMD + "Recommendation"),
    ("outcome documents", MMD + "OutcomeDocument"),
    ("reported figures", MMD + "ReportedFigure"),
    ("sources", MMD + "Source"),
    ("curator statements", MMD + "CuratorStatement"),
    ("claims (disagreements kept)", MMD + "Claim"),
    ("text corrections", MMD + "TextCorrection"),
    ("known gaps", MMD + "KnownGap"),
]

# Instances of a class or any of its subclasses (rdfs:subClassOf* in the ontology).
_COUNT = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  ?s a ?c . ?c rdfs:subClassOf* ?class .
} GROUP BY ?class"""
_MEETING_TYPES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX mmd: <https://w3id.org/mmdgraph/ontology#>
SELECT ?type ?label (COUNT(DISTINCT ?m) AS ?n) WHERE {
  ?m a ?type . ?type rdfs:subClassOf* mmd:Meeting ; rdfs:label ?label . FILTER(LANG(?label) = "en")
} GROUP BY ?type ?label"""
# Records are (entity, page-backed source) pairs: what the QC check missing-evidence inspects
# (queries/qc/missing-evidence-violation.rq). Reference data and the compilation are exempt.
_RECORDS = """PREFIX mmd: <https://w3id.org/mmdgraph/ontology#>
PREFIX voc: <https://w3id.org/mmdgraph/vocab/>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT (COUNT(*) AS ?n) WHERE {
  SELECT DISTINCT ?source ?focus WHERE {
    ?source a mmd:Source .
    FILTER NOT EXISTS { ?source dcterms:type ?exempt FILTER(?exempt IN (voc:source-reference-data, voc:source-compilation)) }
    GRAPH ?source { ?focus ?p ?o } FILTER(isIRI(?focus))%s
  }
}"""
_WITH_QUOTE = " GRAPH ?source { ?focus mmd:quote ?quote }"
_MEETINGS_BY_DECADE = """PREFIX mmd: <https://w3id.org/mmdgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?decade (COUNT(DISTINCT ?m) AS ?n) WHERE {
  ?m a ?type . ?type rdfs:subClassOf* mmd:Meeting . OPTIONAL { ?m mmd:startDay ?day }
  BIND(IF(BOUND(?day), CONCAT(SUBSTR(STR(?day), 1, 3), "0s"), "date unknown") AS ?decade)
} GROUP BY ?decade"""
_FRENCH_NAMED_STATES = """PREFIX mmd: <https://w3id.org/mmdgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a mmd:State ; rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), "fr")) }"""
_PER_GRAPH = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?g (SAMPLE(?l) AS ?label) (COUNT(*) AS ?n) WHERE {
  GRAPH ?g { ?s ?p ?o }
  OPTIONAL { ?g rdfs:label ?l FILTER(LANGMATCHES(LANG(?l), "en")) }
} GROUP BY ?g"""


def stats(store: Store | None = None, *, endpoint: str | None = None) -> dict:
    """Counts: ``classes`` (headline classes with subclasses), ``meeting_types``,
    ``meetings_by_decade``, ``evidence`` (records with their source's own words),
    ``sources`` (statements per source graph) and ``totals``."""
    from .loading import open_store

    st = open_store(store, endpoint)
    counts = {r["class"]: r["n"] for r in st.select(_COUNT).records()}
    classes = [{"name": name, "class": compact(iri), "count": counts.get(iri, 0)} for name, iri in HEADLINE]
    meeting_types = sorted(
        (
            {"type": compact(r["type"]), "label": r["label"], "count": r["n"]}
            for r in st.select(_MEETING_TYPES).records()
        ),
        key=lambda r: (-r["count"], r["type"]),
    )
    by_decade = sorted((r["decade"], r["n"]) for r in st.select(_MEETINGS_BY_DECADE).records())
    records = st.select(_RECORDS % "").records()[0]["n"]
    quoted = st.select(_RECORDS % _WITH_QUOTE).records()[0]["n"]
    evidence = {"records": records, "with evidence": quoted, "share": round(quoted / records, 4) if records else 1.0}
    per_graph = st.select(_PER_GRAPH).records()
    sources = sorted(
        (
            {"graph": compact(r["g"]), "label": r["label"] or "", "statements": r["n"]}
            for r in per_graph
            if r["g"] not in NON_DATA_GRAPHS
        ),
        key=lambda r: (-r["statements"], r["graph"]),
    )
    totals = {
        "statements in source graphs": sum(r["statements"] for r in sources),
        "graphs": len(per_graph),
        "sources": counts.get(MMD + "Source", 0),
        "states with a French name": st.select(_FRENCH_NAMED_STATES).records()[0]["n"],
        "quads (with ontology, catalogue, derived dates)": sum(r["n"] for r in per_graph),
    }
    return {
        "classes": classes,
        "meeting_types": meeting_types,
        "meetings_by_decade": [{"decade": d, "count": n} for d, n in by_decade],
        "evidence": evidence,
        "sources": sources,
        "totals": totals,
    }


def evidence_line(s: dict) -> str:
    """'evidence: 812 of 812 records (100.0%) carry their source's own words'."""
    e = s["evidence"]
    return f"evidence: {e['with evidence']} of {e['records']} records ({100 * e['share']:.1f}%) carry their source's own words (mmd:quote)"


def format_stats(s: dict) -> str:
    """The counts as the plain-text tables the CLI prints and the README records."""
    lines = ["class                              count", "---------------------------------  -----"]
    lines += [f"{c['name']:<33}  {c['count']:>5}" for c in s["classes"]]
    lines += ["", "meeting type                       count", "---------------------------------  -----"]
    lines += [f"{m['label']:<33}  {m['count']:>5}" for m in s["meeting_types"]]
    lines += ["", "meetings by decade                 count", "---------------------------------  -----"]
    lines += [f"{m['decade']:<33}  {m['count']:>5}" for m in s["meetings_by_decade"]]
    lines += ["", evidence_line(s)]
    lines += ["", "totals"]
    lines += [f"  {k}: {v}" for k, v in s["totals"].items()]
    lines += ["", "statements  source"]
    lines += [f"{r['statements']:>10}  {r['graph']}  {r['label']}" for r in s["sources"]]
    return "\n".join(lines)
