"""Flat tables: the graph as one CSV per kind of thing, and the same as a SQLite database.

:func:`tables` writes ``states.csv``, ``organisations.csv``, ``meetings.csv`` ... (one row per
entity, its main fields, IRIs, English and French labels, and ``sources``: the IRIs of the
source graphs that say something about it, ``;``-joined) and ``mmdgraph.sqlite`` with the
same tables, their primary keys, their foreign keys (``meeting_roles.meeting`` ->
``meetings.iri``, ``memberships.member`` -> ``agents.iri`` ...) and a few views
(``meetings_with_roles``, ``state_meeting_roles``).

Every value comes from a SPARQL SELECT run through the store, so the tables can be made from
any store (the embedded one, rdflib, a remote endpoint). A field with several values (a
meeting's themes) holds them sorted and ``;``-joined. Rows are sorted by their key, so the CSV
files are the same on every run.

>>> import tempfile, csv
>>> out = tables(tempfile.mkdtemp() + "/tables")
>>> sorted(p.name for p in out.iterdir())[:4]
['agents.csv', 'chairmanships.csv', 'claims.csv', 'documents.csv']
>>> rows = list(csv.DictReader(open(out / "states.csv", encoding="utf-8")))
>>> [(r["iso_alpha3"], r["label_en"], r["label_fr"]) for r in rows if r["iso_alpha3"] == "SEN"]
[('SEN', 'Senegal', 'Sénégal')]
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import InputError, UsageError
from .namespaces import NON_DATA_GRAPHS, SPARQL_PREFIXES
from .store import Store

XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGER_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}
_FLOAT_TYPES = {XSD + t for t in ("decimal", "double", "float")}

#: The SQLite database's file name, beside the CSV files.
DATABASE = "mmdgraph.sqlite"


def _label(var: str, lang: str, of: str = "?iri") -> str:
    """A pattern binding ``var`` to ``of``'s rdfs:label or skos:prefLabel in ``lang``."""
    return (
        f'{{ {of} rdfs:label {var} }} UNION {{ {of} skos:prefLabel {var} }} FILTER(LANGMATCHES(LANG({var}), "{lang}"))'
    )


def _via(prop: str, lang: str | None = None) -> str:
    """The object of ``prop`` (its IRI), or its label in ``lang`` if ``lang`` is given."""
    if lang is None:
        return f"?iri {prop} ?v ."
    return f"?iri {prop} ?x . " + _label("?v", lang, "?x")


@dataclass(frozen=True)
class Column:
    """A column: ``pattern`` binds ``?v`` from ``?iri`` (several values are ``;``-joined)."""

    name: str
    pattern: str
    type: type = str
    references: str | None = None  # "table" (its column iri) for a foreign key


@dataclass(frozen=True)
class Table:
    """An entity table: ``entities`` binds ``?iri`` to every entity, one row each."""

    name: str
    doc: str
    entities: str
    columns: tuple[Column, ...]
    with_sources: bool = True

    @property
    def fields(self) -> list[str]:
        return ["iri", *(c.name for c in self.columns)] + (["sources"] if self.with_sources else [])


@dataclass(frozen=True)
class Relation:
    """A link table: ``query`` selects its key columns and ``?source`` (the graph that says it)."""

    name: str
    doc: str
    key: tuple[str, ...]
    query: str
    references: dict[str, str] = field(default_factory=dict)

    @property
    def fields(self) -> list[str]:
        return [*self.key, "sources"]


LABELS = (Column("label_en", _label("?v", "en")), Column("label_fr", _label("?v", "fr")))
DATES = (
    Column("start_date", "?iri schema:startDate ?v ."),
    Column("end_date", "?iri schema:endDate ?v ."),
    Column("start_day", "?iri mmd:startDay ?v ."),
    Column("end_day", "?iri mmd:endDay ?v ."),
)
_AGENT_KINDS = (
    'BIND(IF(EXISTS { ?iri a mmd:State }, "state", IF(EXISTS { ?iri a mmd:InternationalOrganisation }, "organisation", '
    'IF(EXISTS { ?iri a mmd:Dialogue }, "dialogue", IF(EXISTS { ?iri a mmd:SteeringCommittee }, "body", "other")))) AS ?v)'
)
_MEMBERSHIP_COLUMNS = (
    Column("label_en", _label("?v", "en")),
    Column("member", "?iri org:member ?v .", references="agents"),
    Column("member_label", _via("org:member", "en")),
    Column("organization", "?iri org:organization ?v .", references="agents"),
    Column("organization_label", _via("org:organization", "en")),
    Column("role", "?iri org:role ?v ."),
    Column("role_label", _via("org:role", "en")),
    *DATES,
    Column("attested_on", "?iri mmd:attestedOn ?v ."),
    Column("ended_by", "?iri mmd:endedBy ?v ."),
    Column("pillar", "?iri mmd:pillar ?v ."),
    Column("comment", '?iri rdfs:comment ?v . FILTER(LANGMATCHES(LANG(?v), "en"))'),
)
_TYPE_UNDER = (
    "?iri a ?v . ?v rdfs:subClassOf* {base} . "
    "FILTER NOT EXISTS {{ ?iri a ?sub . ?sub rdfs:subClassOf+ ?v . FILTER(?sub != ?v) }}"
)
_TYPE_LABEL = (
    "?iri a ?t . ?t rdfs:subClassOf* {base} . "
    "FILTER NOT EXISTS {{ ?iri a ?sub . ?sub rdfs:subClassOf+ ?t . FILTER(?sub != ?t) }} "
    '?t rdfs:label ?v . FILTER(LANGMATCHES(LANG(?v), "en"))'
)

TABLES: tuple[Table | Relation, ...] = (
    Table(
        "sources",
        "The source catalogue: each page or document the graph takes statements from (its IRI names the graph of what it says).",
        "?iri a mmd:Source .",
        (
            *LABELS,
            Column("url", "?iri schema:url ?v ."),
            Column("type", "?iri dcterms:type ?v ."),
            Column("type_label", _via("dcterms:type", "en")),
            Column("language", "?iri dcterms:language ?v ."),
            Column("issued", "?iri dcterms:issued ?v ."),
            Column("compiled_in", "?iri mmd:compiledIn ?v ."),
            Column("reports_until", "?iri mmd:reportsUntil ?v ."),
        ),
        with_sources=False,
    ),
    Table(
        "agents",
        "Everything that can be a member or hold a meeting role: states, organisations, dialogues and their bodies (kind says which).",
        "{ ?iri a mmd:State } UNION { ?iri a mmd:InternationalOrganisation } UNION { ?iri a mmd:Dialogue } "
        "UNION { ?iri a mmd:SteeringCommittee } UNION { ?m org:member|org:organization ?iri } "
        "UNION { ?m mmd:hostedBy|mmd:chairedBy|mmd:coChairedBy ?iri } FILTER(isIRI(?iri))",
        (Column("kind", _AGENT_KINDS), *LABELS),
    ),
    Table(
        "states",
        "Partner, observer and other states, with their ISO codes and the region a source groups them in.",
        "?iri a mmd:State .",
        (
            Column("agent", "BIND(?iri AS ?v)", references="agents"),
            *LABELS,
            Column("alt_labels", "?iri skos:altLabel ?v ."),
            Column("iso_alpha2", "?iri mmd:isoAlpha2 ?v ."),
            Column("iso_alpha3", "?iri mmd:isoAlpha3 ?v ."),
            Column("region", "?iri mmd:region ?v ."),
            Column("region_label", _via("mmd:region", "en")),
            Column("eu_country", "?iri dcterms:spatial ?v ."),
        ),
    ),
    Table(
        "organisations",
        "International organisations.",
        "?iri a mmd:InternationalOrganisation .",
        (
            Column("agent", "BIND(?iri AS ?v)", references="agents"),
            *LABELS,
            Column("alt_labels", "?iri skos:altLabel ?v ."),
        ),
    ),
    Table(
        "meetings",
        "Meetings of every kind, with their most specific type, dates at their stated precision (and the first and last day they can denote), place and status.",
        "?iri a ?class . ?class rdfs:subClassOf* mmd:Meeting .",
        (
            Column("type", _TYPE_UNDER.format(base="mmd:Meeting")),
            Column("type_label", _TYPE_LABEL.format(base="mmd:Meeting")),
            *LABELS,
            *DATES,
            Column("status", "?iri mmd:status ?v ."),
            Column("status_label", _via("mmd:status", "en")),
            Column("location", "?iri schema:location ?v ."),
            Column("location_label", _via("schema:location", "en")),
            Column(
                "country",
                "?iri schema:location ?place . { ?place a mmd:State BIND(?place AS ?v) } UNION { ?place schema:containedInPlace ?v }",
            ),
            Column("online", '?iri schema:eventAttendanceMode schema:OnlineEventAttendanceMode . BIND("online" AS ?v)'),
            Column("dialogue", "?iri mmd:withinDialogue ?v ."),
            Column("theme", "?iri mmd:theme ?v ."),
            Column("theme_label", _via("mmd:theme", "en")),
            Column("pillar", "?iri mmd:pillar ?v ."),
            Column("super_event", "?iri schema:superEvent ?v ."),
            Column("conference_number", "?iri mmd:conferenceNumber ?v .", int),
        ),
    ),
    Table(
        "documents",
        "Declarations, strategic frameworks and outcome documents (conclusions, action plans, reports ...).",
        "?iri a ?class . ?class rdfs:subClassOf* mmd:Document .",
        (
            Column("type", _TYPE_UNDER.format(base="mmd:Document")),
            Column("type_label", _TYPE_LABEL.format(base="mmd:Document")),
            Column("doc_type", "?iri dcterms:type ?v ."),
            Column("doc_type_label", _via("dcterms:type", "en")),
            *LABELS,
            Column("alt_labels", "?iri skos:altLabel ?v ."),
            Column("issued", "?iri dcterms:issued ?v ."),
            *DATES[:2],
            Column("adopted_at", "?iri mmd:adoptedAt ?v .", references="meetings"),
            Column("presented_at", "?iri mmd:presentedAt ?v .", references="meetings"),
            Column("generated_by", "?v prov:generated ?iri ."),
            Column("signed_by", "?iri mmd:signedBy ?v ."),
        ),
    ),
    Table(
        "memberships",
        "Partners, observers, steering-committee members, secretariat, reference countries (chairmanships are in their own table).",
        "?iri a org:Membership . FILTER NOT EXISTS { ?iri a mmd:Chairmanship }",
        _MEMBERSHIP_COLUMNS,
    ),
    Table(
        "chairmanships",
        "Who held the chairmanship of a dialogue, and when.",
        "?iri a mmd:Chairmanship .",
        _MEMBERSHIP_COLUMNS,
    ),
    Relation(
        "meeting_roles",
        "Who hosted, chaired and co-chaired each meeting, as the sources word it (a host is not a chair).",
        ("meeting", "agent", "role"),
        """SELECT ?meeting ?agent ?role ?source WHERE {
  VALUES (?p ?role) { (mmd:hostedBy "host") (mmd:chairedBy "chair") (mmd:coChairedBy "co-chair") }
  GRAPH ?source { ?meeting ?p ?agent }
}""",
        {"meeting": "meetings", "agent": "agents"},
    ),
    Relation(
        "meeting_outputs",
        "What each meeting produced (generated), adopted or was presented with: one row per meeting, document and relation.",
        ("meeting", "document", "relation"),
        """SELECT ?meeting ?document ?relation ?source WHERE {
  { GRAPH ?source { ?meeting prov:generated ?document } BIND("generated" AS ?relation) }
  UNION { GRAPH ?source { ?document mmd:adoptedAt ?meeting } BIND("adopted" AS ?relation) }
  UNION { GRAPH ?source { ?document mmd:presentedAt ?meeting } BIND("presented" AS ?relation) }
  ?document a ?class . ?class rdfs:subClassOf* mmd:Document .
}""",
        {"meeting": "meetings", "document": "documents"},
    ),
    Table(
        "recommendations",
        "Recommendations whose wording a source gives: the meeting that adopted each, the document listing it, its number.",
        "?iri a mmd:Recommendation .",
        (
            *LABELS,
            Column("position", "?iri schema:position ?v .", int),
            Column("adopted_at", "?iri mmd:adoptedAt ?v .", references="meetings"),
            Column("part_of", "?iri schema:isPartOf ?v .", references="documents"),
            Column("pillar", "?iri mmd:pillar ?v ."),
            Column("pillar_label", _via("mmd:pillar", "en")),
            Column("wording", "?iri mmd:quote ?v ."),
        ),
    ),
    Table(
        "figures",
        'Figures the sources report, with their qualifier kept ("more than 80" is min_value 80).',
        "?iri a mmd:ReportedFigure .",
        (
            Column("label_en", _label("?v", "en")),
            Column("figure_of", "?iri mmd:figureOf ?v ."),
            Column("figure_of_label", _via("mmd:figureOf", "en")),
            Column("measure", "?iri mmd:measure ?v ."),
            Column("measure_label", _via("mmd:measure", "en")),
            Column("qualifier", "?iri mmd:qualifier ?v ."),
            Column("qualifier_label", _via("mmd:qualifier", "en")),
            Column("value", "?iri schema:value ?v .", float),
            Column("min_value", "?iri schema:minValue ?v .", float),
            Column("unit", "?iri schema:unitText ?v ."),
            Column("comment", '?iri rdfs:comment ?v . FILTER(LANGMATCHES(LANG(?v), "en"))'),
        ),
    ),
    Table(
        "claims",
        "Values a source gives that the graph keeps but does not assert, with why (claim_status) and the graph that holds the claim.",
        "?iri a mmd:Claim .",
        (
            Column("label_en", _label("?v", "en")),
            Column("subject", "?iri rdf:subject ?v ."),
            Column("subject_label", _via("rdf:subject", "en")),
            Column("property", "?iri rdf:predicate ?v ."),
            Column("claimed", "?iri rdf:object ?v ."),
            Column("claim_status", "?iri mmd:claimStatus ?v ."),
            Column("claim_status_label", _via("mmd:claimStatus", "en")),
            Column("claim_source", "GRAPH ?v { ?iri a mmd:Claim }", references="sources"),
            Column("comment", '?iri rdfs:comment ?v . FILTER(LANGMATCHES(LANG(?v), "en"))'),
        ),
    ),
)

#: Views in the SQLite database: name -> SQL.
VIEWS = {
    "meetings_with_roles": """SELECT m.iri, m.label_en, m.type_label, m.start_date, m.end_date, m.location_label,
  (SELECT group_concat(label, '; ') FROM (SELECT a.label_en AS label FROM meeting_roles r JOIN agents a ON a.iri = r.agent
     WHERE r.meeting = m.iri AND r.role = 'host' ORDER BY a.label_en)) AS hosts,
  (SELECT group_concat(label, '; ') FROM (SELECT a.label_en AS label FROM meeting_roles r JOIN agents a ON a.iri = r.agent
     WHERE r.meeting = m.iri AND r.role = 'chair' ORDER BY a.label_en)) AS chairs,
  (SELECT group_concat(label, '; ') FROM (SELECT a.label_en AS label FROM meeting_roles r JOIN agents a ON a.iri = r.agent
     WHERE r.meeting = m.iri AND r.role = 'co-chair' ORDER BY a.label_en)) AS co_chairs
FROM meetings m ORDER BY m.start_day, m.iri""",
    "state_meeting_roles": """SELECT s.iri, s.iso_alpha3, s.label_en,
  SUM(r.role = 'host') AS hosted, SUM(r.role = 'chair') AS chaired, SUM(r.role = 'co-chair') AS co_chaired
FROM states s JOIN meeting_roles r ON r.agent = s.iri
GROUP BY s.iri ORDER BY hosted + chaired + co_chaired DESC, s.label_en""",
}


# --- reading the graph --------------------------------------------------------------------------


def _cell(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> object:
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        dt = term.datatype.value if term.datatype is not None else ""
        try:
            if dt in _INTEGER_TYPES:
                return int(term.value)
            if dt in _FLOAT_TYPES:
                return float(term.value)
        except ValueError:
            return term.value
    return term.value


def _join(values: set, typ: type) -> object:
    if not values:
        return None
    if len(values) == 1:
        (v,) = values
        if typ is int and isinstance(v, (int, float)):
            return int(v)
        if typ is float and isinstance(v, (int, float)):
            return float(v)
        return v if typ is not str else str(v)
    return ";".join(sorted(str(v) for v in values))


_DATA_GRAPH_FILTER = "FILTER(?v NOT IN (" + ", ".join(f"<{g}>" for g in sorted(NON_DATA_GRAPHS)) + "))"


def _table_rows(store: Store, table: Table) -> list[dict]:
    ents = store.select(f"{SPARQL_PREFIXES}SELECT DISTINCT ?iri WHERE {{ {table.entities} FILTER(isIRI(?iri)) }}")
    rows = {r[0].value: {"iri": r[0].value} for r in ents.rows}
    columns = list(table.columns)
    if table.with_sources:
        columns.append(Column("sources", f"GRAPH ?v {{ ?iri ?p ?o }} {_DATA_GRAPH_FILTER}"))
    for col in columns:
        res = store.select(f"{SPARQL_PREFIXES}SELECT DISTINCT ?iri ?v WHERE {{ {table.entities} {col.pattern} }}")
        values: dict[str, set] = {}
        for iri, v in res.rows:
            if iri is not None and v is not None and iri.value in rows:
                values.setdefault(iri.value, set()).add(_cell(v))
        for iri, row in rows.items():
            row[col.name] = _join(values.get(iri, set()), col.type)
    return [rows[k] for k in sorted(rows)]


def _relation_rows(store: Store, rel: Relation) -> list[dict]:
    res = store.select(SPARQL_PREFIXES + rel.query)
    cols = res.columns
    grouped: dict[tuple, set] = {}
    for row in res.rows:
        d = dict(zip(cols, row, strict=True))
        key = tuple(_cell(d[k]) for k in rel.key)
        grouped.setdefault(key, set())
        if d.get("source") is not None:
            grouped[key].add(d["source"].value)
    return [
        {**dict(zip(rel.key, key, strict=True)), "sources": _join(srcs, str)}
        for key, srcs in sorted(grouped.items(), key=lambda kv: [str(x) for x in kv[0]])
    ]


def rows(store: Store | None = None, *, endpoint: str | None = None) -> dict[str, list[dict]]:
    """Every table's rows (dicts, sorted by key), read from ``store`` (default: the shipped
    graph) or from a SPARQL ``endpoint``."""
    from .loading import open_store

    st = open_store(store, endpoint)
    return {t.name: (_table_rows(st, t) if isinstance(t, Table) else _relation_rows(st, t)) for t in TABLES}


# --- writing ------------------------------------------------------------------------------------


def _csv(fields: list[str], records: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n", extrasaction="raise")
    w.writeheader()
    for r in records:
        w.writerow({k: ("" if r.get(k) is None else r[k]) for k in fields})
    return buf.getvalue().encode("utf-8")


def _sqlite(path: Path, data: dict[str, list[dict]]) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(path)
    db.conn.execute("PRAGMA foreign_keys = OFF")  # checked once every table is in
    for t in TABLES:
        if isinstance(t, Table):
            types = {"iri": str, **{c.name: c.type for c in t.columns}, **({"sources": str} if t.with_sources else {})}
            fks = [(c.name, c.references, "iri") for c in t.columns if c.references]
            pk: str | tuple = "iri"
        else:
            types = {k: str for k in t.fields}
            fks = [(col, other, "iri") for col, other in t.references.items()]
            pk = t.key
        table = db.table(t.name)  # db[name] is a View for a view's name: these are tables
        table.create(types, pk=pk, foreign_keys=fks, not_null=[pk] if isinstance(pk, str) else list(pk))
        table.insert_all(data[t.name], batch_size=500)
    for name, sql in VIEWS.items():
        db.create_view(name, sql)
    problems = []
    for table, rowid, parent, fkid in db.conn.execute("PRAGMA foreign_key_check").fetchall():
        fk = next(f for f in db.conn.execute(f"PRAGMA foreign_key_list('{table}')") if f[0] == fkid)
        (value,) = db.conn.execute(f'SELECT "{fk[3]}" FROM "{table}" WHERE rowid = ?', (rowid,)).fetchone()
        problems.append(f"{table}.{fk[3]} -> {parent}.{fk[4]}: {value} is not in {parent}")
    db.conn.commit()
    db.close()
    if problems:
        shown = "; ".join(problems[:10]) + ("; ..." if len(problems) > 10 else "")
        raise InputError(
            f"the graph does not fit the tables: {len(problems)} reference(s) to rows that are not there ({shown})"
        )


def _outputs() -> set[str]:
    return {f"{t.name}.csv" for t in TABLES} | {DATABASE}


def tables(out_dir: Path | str, store: Store | None = None, *, endpoint: str | None = None) -> Path:
    """Write one CSV per table and ``mmdgraph.sqlite`` into ``out_dir``; returns its path.

    The folder is built beside ``out_dir`` and renamed into place, so it appears complete or
    not at all. ``out_dir`` may exist if it is empty or holds an earlier run's files only.
    Raises :class:`UsageError` if the folder cannot be written, :class:`InputError` if the
    graph breaks a foreign key (a reference to a meeting or agent that is not in its table).
    ``endpoint`` reads the graph from a SPARQL endpoint instead of ``store``.
    """
    out = Path(out_dir)
    if out.exists():
        if not out.is_dir():
            raise UsageError(f"{out} exists and is not a folder")
        strangers = sorted(p.name for p in out.iterdir() if p.name not in _outputs())
        if strangers:
            raise UsageError(
                f"{out} holds files that are not mmdgraph tables ({', '.join(strangers[:5])}); give an empty or new folder"
            )
    data = rows(store, endpoint=endpoint)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as err:
        raise UsageError(f"cannot write tables to {out}: {err.strerror or err}") from None
    old = None
    try:
        for t in TABLES:
            (tmp / f"{t.name}.csv").write_bytes(_csv(t.fields, data[t.name]))
        _sqlite(tmp / DATABASE, data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not out.exists():
            os.replace(old, out)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out
