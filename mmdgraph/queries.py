"""The canned queries: one ``queries/<name>.rq`` file each, with a header, run with bound parameters.

A query file starts with comment lines that describe it::

    # title: Chairs by theme
    # description: Which states chaired or co-chaired meetings on which theme.
    # question: Which countries chaired which themes?
    # param: country state -- The state: ISO code (FRA or FR), English or French name, or IRI.
    # param: date date default=today -- The day to look at (YYYY-MM-DD).
    # example: country=FRA
    # view: table

Parameter types: ``state`` (an ISO code, a name in any language the graph has, or an IRI
of a state in the graph), ``entity`` (whatever a ``state`` accepts, or for any other entity
its exact label in English or French, or an IRI or a prefixed name such as ``id:FRA`` that
occurs in the graph; a name that fits several entities is refused with the candidates),
``date`` (YYYY-MM-DD, a month YYYY-MM or a year YYYY, bound as the first day of that
interval with a :class:`DateIntervalWarning` saying so, or ``today``), ``string``,
``integer``. Values are checked, turned into RDF terms and bound to the query's variable of
the same name; they are never pasted into the text.

>>> [q.name for q in catalogue()][:3]
['chair-rotation', 'chairs-by-theme', 'co-chair-pairs']
>>> r = query("meetings-in-country", {"country": "MLI"})
>>> sorted({row["meetingLabel"] for row in r})[0]
'Thematic meeting on diaspora engagement strategies, Bamako 2016'
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as _dt
import functools
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import paths
from .dates import parse_date
from .errors import UsageError
from .namespaces import MMD, PREFIXES, compact
from .store import Result, Store

PARAM_TYPES = ("state", "entity", "date", "string", "integer")
_HEADER = re.compile(r"^#\s*([a-z]+):\s*(.*)$")
_PARAM = re.compile(r"^(\w+)\s+(\w+)((?:\s+\w+=\S+)*)\s*(?:--\s*(.*))?$")
XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None = None
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is None


@dataclass
class CannedQuery:
    """A query file and what its header says about it."""

    name: str
    path: Path
    text: str
    title: str = ""
    description: str = ""
    question: str = ""
    view: str = "table"
    #: "# empty: <why>": the query's expected answer on the shipped graph is no rows (a curators'
    #: check such as missing-evidence, empty while the record is complete).
    empty: str = ""
    params: list[Param] = field(default_factory=list)
    example: dict[str, str] = field(default_factory=dict)

    @property
    def expected_path(self) -> Path:
        """The expected result, beside the query (``<name>.expected.tsv``)."""
        return self.path.with_name(self.name + ".expected.tsv")


def parse_query_file(path: Path | str) -> CannedQuery:
    """Read a query file and its header; raises UsageError for a malformed header."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as err:
        raise UsageError(f"cannot read query file {path}: {err.strerror or err}") from None
    q = _parse_query_file(path, stat.st_mtime_ns, stat.st_size)
    # A copy: callers may change what they get, the cache keeps the file's reading.
    return dataclasses.replace(q, params=list(q.params), example=dict(q.example))


@functools.lru_cache(maxsize=256)
def _parse_query_file(path: Path, mtime_ns: int, size: int) -> CannedQuery:
    """parse_query_file's work, once per version of a file (a canned query is read on every run)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot read query file {path}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise UsageError(f"query file {path} is not UTF-8 text (byte {err.start})") from None
    q = CannedQuery(name=path.name.removesuffix(".rq"), path=path, text=text)
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        if key == "param":
            pm = _PARAM.match(value)
            if not pm or pm.group(2) not in PARAM_TYPES:
                raise UsageError(
                    f"{path}:{lineno}: malformed param line (want: name type [default=v] -- doc; types {PARAM_TYPES})"
                )
            opts = dict(o.split("=", 1) for o in pm.group(3).split())
            q.params.append(Param(pm.group(1), pm.group(2), opts.get("default"), (pm.group(4) or "").strip()))
        elif key == "example":
            q.example = dict(kv.split("=", 1) for kv in value.split())
        elif key in ("title", "description", "question", "view", "empty"):
            setattr(q, key, value)
    return q


def catalogue() -> list[CannedQuery]:
    """Every canned query, sorted by name."""
    return [parse_query_file(p) for p in sorted(paths.queries_dir().glob("*.rq"))]


def find(name_or_path: str | Path) -> CannedQuery:
    """A canned query by name, or a query file by path."""
    candidate = paths.queries_dir() / f"{name_or_path}.rq"
    if isinstance(name_or_path, str) and "/" not in name_or_path and candidate.exists():
        return parse_query_file(candidate)
    path = Path(name_or_path)
    if path.suffix == ".rq" and path.exists():
        return parse_query_file(path)
    names = ", ".join(q.name for q in catalogue())
    raise UsageError(f"no canned query or query file {str(name_or_path)!r}; canned queries: {names}")


# --- parameter values -------------------------------------------------------------------------

_STATE_BY_CODE = f"""PREFIX mmd: <{MMD}>
SELECT ?state ?code WHERE {{ ?state a mmd:State . {{ ?state mmd:isoAlpha3 ?code }} UNION {{ ?state mmd:isoAlpha2 ?code }} }}"""
_STATE_BY_LABEL = f"""PREFIX mmd: <{MMD}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?state ?needle WHERE {{ ?state a mmd:State ; rdfs:label|skos:altLabel ?label . FILTER(LCASE(STR(?label)) = ?needle) }}"""
_IS_STATE = f"""PREFIX mmd: <{MMD}>
SELECT ?state WHERE {{ ?state a mmd:State }}"""
_MENTIONED = """SELECT ?node WHERE { { ?node ?p ?o } UNION { ?s ?p ?node } } LIMIT 1"""
# Any entity by the whole of one of its labels in English or French (case aside).
_ENTITY_BY_LABEL = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?entity ?needle WHERE {
  ?entity rdfs:label|skos:prefLabel|skos:altLabel ?label .
  FILTER(isIRI(?entity) && LCASE(STR(?label)) = ?needle && (LANGMATCHES(LANG(?label), "en") || LANGMATCHES(LANG(?label), "fr")))
}"""
_LABEL_OF = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?node ?label WHERE { ?node rdfs:label|skos:prefLabel ?label . FILTER(LANGMATCHES(LANG(?label), "en")) }"""


class DateIntervalWarning(UserWarning):
    """A ``date`` parameter given as a year or a month: the query reads the interval's first day."""


def _date_interval(value: str) -> tuple[_dt.date, _dt.date] | None:
    """The first and last day of a year (``2019``) or a month (``2019-06``); None for other text."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", value)
    if not m:
        return None
    year = int(m.group(1))
    try:
        if m.group(2) is None:
            return _dt.date(year, 1, 1), _dt.date(year, 12, 31)
        month = int(m.group(2))
        return _dt.date(year, month, 1), _dt.date(year, month, calendar.monthrange(year, month)[1])
    except (ValueError, calendar.IllegalMonthError):
        return None


def _is_iri_like(value: str) -> bool:
    return value.startswith(("http:", "https:", "urn:")) or (":" in value and value.split(":", 1)[0] in PREFIXES)


def _iri(value: str) -> ox.NamedNode:
    prefix, _, local = value.partition(":")
    if prefix in PREFIXES and not value.startswith(("http:", "https:")):
        value = PREFIXES[prefix] + local
    try:
        return ox.NamedNode(value)
    except ValueError:
        raise UsageError(f"not an IRI: {value!r}") from None


def bind_value(param: Param, value: str, store: Store) -> ox.NamedNode | ox.Literal:
    """Turn a parameter's text into an RDF term, checking it against its type and the store."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: what Python makes of undecodable argv bytes
        raise UsageError(f"parameter {param.name}: not valid Unicode text: {value!r}") from None
    if param.type == "date":
        interval = _date_interval(value.strip())
        if interval is not None:
            first, last = interval
            warnings.warn(
                f"parameter {param.name}: {value.strip()} means {first.isoformat()} to {last.isoformat()}; the query reads its first day",
                DateIntervalWarning,
                stacklevel=2,
            )
            return ox.Literal(first.isoformat(), datatype=ox.NamedNode(XSD + "date"))
        try:
            day = parse_date(value.strip())
        except ValueError as err:
            raise UsageError(f"parameter {param.name}: {err}; or a month (YYYY-MM) or a year (YYYY)") from None
        return ox.Literal(day.isoformat(), datatype=ox.NamedNode(XSD + "date"))
    if param.type == "integer":
        if not re.fullmatch(r"[+-]?\d{1,18}", value):
            raise UsageError(f"parameter {param.name}: not an integer: {value!r}")
        return ox.Literal(str(int(value)), datatype=ox.NamedNode(XSD + "integer"))
    if param.type == "string":
        return ox.Literal(value)
    if param.type == "state":
        return _resolve_state(param, value, store)
    return _resolve_entity(param, value, store)


def _candidates(store: Store, nodes: list[str]) -> str:
    labels: dict[str, str] = {}
    for node, label in store.select(_LABEL_OF).rows:
        if node is not None and node.value in nodes:
            labels.setdefault(node.value, label.value)
    return "; ".join(f"{compact(n)} ({labels[n]})" if n in labels else compact(n) for n in nodes)


def _resolve_entity(param: Param, value: str, store: Store) -> ox.NamedNode:
    """An IRI, a CURIE, what a state accepts, or an entity's exact English or French label."""
    text = value.strip()
    if _is_iri_like(text):
        node = _iri(text)
        if not len(store.select(_MENTIONED, {"node": node})):
            raise UsageError(f"parameter {param.name}: {value} is not in the graph")
        return node
    if re.fullmatch(r"[A-Za-z]{2,3}", text):
        rows = store.select(_STATE_BY_CODE, {"code": ox.Literal(text.upper())}).rows
        states = sorted({r[0].value for r in rows})
        if len(states) == 1:
            return ox.NamedNode(states[0])
    needle = ox.Literal(text.lower())
    found = {r[0].value for r in store.select(_STATE_BY_LABEL, {"needle": needle}).rows}
    found |= {r[0].value for r in store.select(_ENTITY_BY_LABEL, {"needle": needle}).rows}
    nodes = sorted(found)
    if len(nodes) == 1:
        return ox.NamedNode(nodes[0])
    if not nodes:
        raise UsageError(
            f"parameter {param.name}: {value!r} is not in the graph: no entity has that code or label (give an IRI or a "
            "prefixed name such as id:mc-2018-marrakesh, a state's ISO code or name, or an entity's exact English or French label)"
        )
    raise UsageError(
        f"parameter {param.name}: {value!r} is ambiguous, it names {len(nodes)} entities: {_candidates(store, nodes)}; give one of these IRIs"
    )


def _resolve_state(param: Param, value: str, store: Store) -> ox.NamedNode:
    if re.fullmatch(r"[A-Za-z]{2,3}", value):
        rows = store.select(_STATE_BY_CODE, {"code": ox.Literal(value.upper())}).rows
    elif value.startswith(("http:", "https:")) or value.split(":", 1)[0] in PREFIXES:
        node = _iri(value)
        rows = store.select(_IS_STATE, {"state": node}).rows
    else:
        rows = store.select(_STATE_BY_LABEL, {"needle": ox.Literal(value.strip().lower())}).rows
    states = sorted({r[0].value for r in rows})
    if len(states) > 1:
        raise UsageError(
            f"parameter {param.name}: {value!r} is ambiguous, it names {len(states)} states: {_candidates(store, states)}; give an ISO code"
        )
    if len(states) != 1:
        raise UsageError(
            f"parameter {param.name}: no state matches {value!r} (give an ISO code such as FRA, a name in English or French such as Senegal or Sénégal, or an IRI)"
        )
    return ox.NamedNode(states[0])


def bindings_for(q: CannedQuery, params: Mapping[str, str] | None, store: Store) -> dict[str, object]:
    """Check the given parameters against the query's header and bind every one as a term."""
    params = dict(params or {})
    known = {p.name for p in q.params}
    unknown = sorted(set(params) - known)
    if unknown:
        raise UsageError(
            f"query {q.name} has no parameter {', '.join(unknown)}; it takes: {', '.join(sorted(known)) or 'none'}"
        )
    out: dict[str, object] = {}
    for p in q.params:
        value = params.get(p.name, p.default)
        if value is None:
            raise UsageError(f"query {q.name} needs parameter {p.name} ({p.type}): {p.doc}")
        out[p.name] = bind_value(p, str(value), store)
    return out


def query(
    name: str | Path,
    params: Mapping[str, str] | None = None,
    *,
    store: Store | None = None,
    endpoint: str | None = None,
) -> Result:
    """Run a canned query (by name) or a query file (by path) and return its rows.

    ``store`` defaults to the shipped graph in the embedded store; ``endpoint`` runs the
    same query on a remote SPARQL 1.1 endpoint instead.
    """
    from .loading import open_store

    q = find(name)
    st = open_store(store, endpoint)
    here = paths.queries_dir()  # the cheap comparison first: it holds for every name lookup
    canned = q.path.parent == here or q.path.parent.resolve() == here.resolve()
    if not canned:
        from .safety import check_query

        graphs = [g.value for g in st.graph_names()] if hasattr(st, "graph_names") else []
        if check_query(q.text, graphs) != "SELECT":
            raise UsageError(f"{q.path}: mmdgraph query runs SELECT queries; export and build write graphs")
    bindings = bindings_for(q, params, st)
    try:
        return st.select(q.text, bindings)
    except (SyntaxError, RuntimeError, ValueError) as err:
        msg = str(err)
        if "SELECT projection" in msg:
            raise UsageError(f"{q.path}: each parameter must appear in the SELECT clause ({msg})") from None
        raise UsageError(f"{q.path}: {msg}") from None


def queries() -> list[dict]:
    """The catalogue as dicts: name, title, question, parameters (name, type, default, doc).

    >>> sorted(q["name"] for q in queries() if q["params"])[:2]
    ['dialogue-on-date', 'meeting-outputs']
    """
    return [
        {
            "name": q.name,
            "title": q.title,
            "description": q.description,
            "question": q.question,
            "params": [{"name": p.name, "type": p.type, "default": p.default, "doc": p.doc} for p in q.params],
            "example": q.example,
            "file": str(q.path.relative_to(paths.home())),
        }
        for q in catalogue()
    ]
