"""Load the ontology and the data into the embedded store, and derive date bounds.

>>> from mmdgraph import load
>>> store = load()
>>> len(store) > 1000
True
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from . import paths
from .dates import DATE_TYPES, first_day, last_day
from .errors import InputError, UsageError
from .namespaces import (
    CATALOGUE_GRAPH,
    CONTEXT_IRI,
    DERIVED_GRAPH,
    MMD,
    ONTOLOGY_GRAPH,
    RDF,
    RDFS,
    SCHEMA,
    UNSOURCED_GRAPH,
)
from .store import EmbeddedStore, Store

FORMATS = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".trig": ox.RdfFormat.TRIG,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
}

_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def rdf_format(path: Path) -> ox.RdfFormat:
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise InputError(
            f"unknown RDF file extension {path.suffix!r}; use one of {', '.join(sorted(FORMATS))}", path
        ) from None


def _syntax_error(err: SyntaxError, path: Path) -> InputError:
    # pyoxigraph puts the position in lineno/offset and in the message ("line 4 column 1").
    line = getattr(err, "lineno", None)
    col = getattr(err, "offset", None)
    msg = str(err.msg if hasattr(err, "msg") and err.msg else err)
    if line is None:
        m = re.search(r"line (\d+)(?:\D+column (\d+))?", msg)
        if m:
            line = int(m.group(1))
            col = int(m.group(2)) if m.group(2) else None
    return InputError(f"syntax error: {msg}", path, line, col)


#: JSON-LD deeper than this is refused (the parsers recurse once a level or more).
MAX_JSON_DEPTH = 256
#: Bytes of an RDF/XML or JSON-LD file read at most (they are read whole before parsing).
MAX_INPUT_BYTES = 1 << 30
#: Oxigraph's limit on one token (a literal, an IRI, a name): its buffer stops at 16 MiB.
TOKEN_LIMIT = "16 MiB"


def _regular_file(path: Path) -> None:
    """Refuse devices, pipes and sockets (a link to /dev/zero never ends; a FIFO blocks)."""
    import stat

    try:
        mode = path.stat().st_mode
    except OSError as err:
        raise _unreadable(err, path) from None
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):  # a folder gets the reader's own "Is a directory"
        raise InputError("not a regular file (a device, a pipe or a socket): mmdgraph reads RDF files only", path)


def _json_depth(doc) -> int:
    """The nesting depth of a JSON value, without recursion."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
            stack.extend((v, depth + 1) for v in (node.values() if isinstance(node, dict) else node))
    return deepest


def _content_hidden(err: SyntaxError, path: Path, fmt: ox.RdfFormat) -> InputError:
    """A syntax error before the first statement: the file is not RDF, and the parser's message
    (which quotes the offending text) is not shown, only where it is."""
    located = _syntax_error(err, path)
    name = {
        ox.RdfFormat.TURTLE: "Turtle",
        ox.RdfFormat.TRIG: "TriG",
        ox.RdfFormat.N_TRIPLES: "N-Triples",
        ox.RdfFormat.N_QUADS: "N-Quads",
        ox.RdfFormat.RDF_XML: "RDF/XML",
        ox.RdfFormat.JSON_LD: "JSON-LD",
    }.get(fmt, "RDF")
    return InputError(
        f"syntax error: this is not {name} (the error comes before the first statement; the file's text is not shown)",
        path,
        located.line,
        located.column,
    )


def _starts_as_rdf(path: Path, fmt: ox.RdfFormat) -> bool:
    """Whether at least one statement parses before the first error."""
    try:
        next(iter(ox.parse(path=str(path), format=fmt, base_iri=None)), None)
        return True
    except (SyntaxError, ValueError, OSError, MemoryError):
        return False


def _unreadable(err: OSError, path: Path) -> InputError:
    # Oxigraph's OSError has no strerror; its text ends with "(os error N)".
    reason = err.strerror or re.sub(r" \(os error \d+\)$", "", str(err))
    return InputError(f"cannot read file: {reason}", path)


def _bundled_context() -> dict:
    from .jsonld import context

    return context()


def _replace_contexts(node, path: Path):
    """Swap the published context IRI for the bundled context; refuse any other remote one.

    Remote contexts would make parsing fetch from the network (rdflib#1844); mmdgraph never
    does that.
    """
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "@context":
                out[key] = _context_value(value, path)
            else:
                out[key] = _replace_contexts(value, path)
        return out
    if isinstance(node, list):
        return [_replace_contexts(v, path) for v in node]
    return node


def _context_value(value, path: Path):
    if isinstance(value, list):
        return [_context_value(v, path) for v in value]
    if isinstance(value, str):
        if value == CONTEXT_IRI:
            return _bundled_context()["@context"]
        raise InputError(f"remote JSON-LD context refused: {value} (mmdgraph never fetches contexts)", path)
    if isinstance(value, dict):
        return {k: (_context_value(v, path) if k == "@context" else v) for k, v in value.items()}
    return value


def read_quads(path: Path | str, default_graph: str | None = None) -> list[ox.Quad]:
    """Parse one RDF file into quads, refusing what mmdgraph never reads.

    Triples outside a named graph go to ``default_graph`` if it is given, else to the
    unsourced graph (where validation reports them as statements without a source).
    Raises :class:`InputError` naming the file and line.
    """
    path = Path(path)
    fmt = rdf_format(path)
    _regular_file(path)
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_INPUT_BYTES + 1)
    except OSError as err:
        raise _unreadable(err, path) from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(
            f"larger than {MAX_INPUT_BYTES >> 20} MiB, mmdgraph's limit for an RDF/XML or JSON-LD file", path
        )
    if fmt == ox.RdfFormat.RDF_XML and _DOCTYPE.search(data):
        # Internal entities expand ("billion laughs"); rdflib#327, LinkedDataHub#249.
        raise InputError("RDF/XML with a DOCTYPE or ENTITY declaration is refused", path)
    if fmt == ox.RdfFormat.JSON_LD:
        try:
            doc = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            line = getattr(err, "lineno", None)
            raise InputError(f"not JSON: {getattr(err, 'msg', err)}", path, line, getattr(err, "colno", None)) from None
        except RecursionError:
            raise InputError(f"JSON nested too deeply to read (more than {MAX_JSON_DEPTH} levels)", path) from None
        if _json_depth(doc) > MAX_JSON_DEPTH:
            raise InputError(f"JSON-LD nested more than {MAX_JSON_DEPTH} levels deep is refused", path)
        data = json.dumps(_replace_contexts(doc, path)).encode()
    graph = ox.NamedNode(default_graph or UNSOURCED_GRAPH)
    quads = []
    try:
        for q in ox.parse(data, format=fmt, base_iri=None):
            if isinstance(q.subject, ox.Triple) or isinstance(q.object, ox.Triple):
                raise InputError(
                    f"RDF 1.2 triple terms are not part of mmdgraph's model (found one about <{q.predicate.value}>)",
                    path,
                )
            if isinstance(q.graph_name, ox.DefaultGraph):
                q = ox.Quad(q.subject, q.predicate, q.object, graph)
            quads.append(q)
        return quads
    except SyntaxError as err:
        error = _syntax_error(err, path)
        if error.line is None and fmt == ox.RdfFormat.RDF_XML:
            error = _xml_error(data, path) or error
        elif not quads:
            error = _content_hidden(err, path, fmt)
        raise error from None
    except MemoryError:
        raise InputError(
            f"a token (a literal, an IRI or a name) longer than {TOKEN_LIMIT}, the parser's limit", path
        ) from None
    except RecursionError:
        raise InputError("nested too deeply to read", path) from None
    except (ValueError, OSError) as err:
        raise InputError(
            str(err)[:300] if quads else "cannot be read as RDF (the file's text is not shown)", path
        ) from None


def _xml_error(data: bytes, path: Path) -> InputError | None:
    """Where XML is not well-formed, expat knows the line (pyoxigraph's RDF/XML errors do not)."""
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as err:
        return InputError(f"syntax error: {xml.parsers.expat.ErrorString(err.code)}", path, err.lineno, err.offset + 1)
    return None


def _may_hold_triple_terms(path: Path) -> bool:
    """Whether a Turtle-family file contains '<<' at all: only then is it parsed in Python to
    look for RDF 1.2 triple terms (a byte search, not a parse, on the fast path)."""
    import mmap

    with open(path, "rb") as f:
        try:
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                return m.find(b"<<") != -1
        except ValueError:  # an empty file cannot be mapped
            return False


def load(
    files: Iterable[Path | str] | None = None,
    *,
    with_graph: bool | None = None,
    ontology: bool = True,
    derive: bool = True,
) -> EmbeddedStore:
    """Load the graph into a new embedded store.

    With no ``files``, loads the shipped graph: the source catalogue and every
    ``graph/*.trig``. With ``files``, loads those instead (``with_graph=True`` loads them on
    top of the shipped graph). The ontology and vocabularies are loaded into their own graph
    unless ``ontology=False``. Date bounds (``mmd:startDay``, ``mmd:endDay``) are derived into
    the derived graph unless ``derive=False``. Finally every statement is copied once into the
    default graph, which queries read: a statement several sources make counts once.
    """
    if files is None:
        files, with_graph = [], True
    files = [Path(f) for f in files]
    store = ox.Store()
    loaded: list[Path] = []

    def add(path: Path, default_graph: str | None = None):
        load_file(store, path, default_graph)
        loaded.append(path)

    def add_data(path: Path, default_graph: str | None = None):
        # The ontology and derived graphs are mmdgraph's own: data written there would
        # escape the checks on undeclared terms and hand-written dates.
        before = {g: _size(store, g) for g in _RESERVED}
        add(path, default_graph)
        for g, n in before.items():
            if _size(store, g) != n:
                raise InputError(f"writes into the graph <{g}>, which mmdgraph fills itself", path)

    if ontology:
        for f in paths.ontology_files():
            add(f, ONTOLOGY_GRAPH)
    if with_graph:
        for f in paths.catalogue_files():
            add_data(f, CATALOGUE_GRAPH)
        for f in paths.data_files():
            add_data(f)
    catalogue = {c.resolve() for c in paths.catalogue_files()}
    for f in files:
        if not f.exists():
            raise InputError("no such file", f)
        add_data(f, CATALOGUE_GRAPH if f.resolve() in catalogue else None)
    emb = EmbeddedStore(store, loaded)
    if derive:
        derive_dates(emb)
    merge_default_graph(store)
    return emb


_RESERVED = (ONTOLOGY_GRAPH, DERIVED_GRAPH)


def _size(store: ox.Store, graph: str) -> int:
    return sum(1 for _ in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)))


#: Formats Oxigraph loads straight into the store; the others go through :func:`read_quads`.
_NATIVE = (ox.RdfFormat.TURTLE, ox.RdfFormat.TRIG, ox.RdfFormat.N_TRIPLES, ox.RdfFormat.N_QUADS)


def load_file(store: ox.Store, path: Path | str, default_graph: str | None = None) -> None:
    """Add one RDF file to ``store``, as :func:`read_quads` reads it.

    Turtle, TriG, N-Triples and N-Quads are parsed and inserted by Oxigraph itself, with no
    Python object per statement (about 4x faster, and no list of quads in memory). Blank node
    labels are scoped to their file. RDF/XML and JSON-LD need :func:`read_quads`'s checks.
    """
    path = Path(path)
    fmt = rdf_format(path)
    _regular_file(path)
    if fmt not in _NATIVE or (path.is_file() and _may_hold_triple_terms(path)):
        store.extend(read_quads(path, default_graph))
        return
    try:
        store.load(path=path, format=fmt, base_iri=None, to_graph=ox.NamedNode(default_graph or UNSOURCED_GRAPH))
    except SyntaxError as err:
        if not _starts_as_rdf(path, fmt):
            raise _content_hidden(err, path, fmt) from None
        raise _syntax_error(err, path) from None
    except MemoryError:
        raise InputError(
            f"a token (a literal, an IRI or a name) longer than {TOKEN_LIMIT}, the parser's limit", path
        ) from None
    except OSError as err:
        raise _unreadable(err, path) from None
    except ValueError as err:
        raise InputError(str(err)[:300], path) from None


_MERGE_QUADS = 200_000  # about this many statements per update: bounds the solutions it holds


def merge_default_graph(store: ox.Store) -> None:
    """Copy every statement of every named graph, once, into the default graph.

    SPARQL updates do the copy inside Oxigraph: about 3x faster than a Python loop over the
    quads. An update holds all its solutions until it writes them, so big stores are copied
    in slices of graphs of about 200,000 statements (at 1M triples this keeps the peak about
    200 MB lower, for 10% more time). Graphs named by blank nodes cannot be listed in VALUES;
    one last update copies them.
    """
    graphs = list(store.named_graphs())
    names = [g for g in graphs if isinstance(g, ox.NamedNode)]
    slices = max(1, -(-len(store) // _MERGE_QUADS))
    step = max(1, -(-len(names) // slices))
    for i in range(0, len(names), step):
        values = " ".join(str(g) for g in names[i : i + step])
        store.update(f"INSERT {{ ?s ?p ?o }} WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}")
    if len(names) < len(graphs):
        store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isBlank(?g)) }")


# --- derived dates ------------------------------------------------------------------------------

_START, _END = ox.NamedNode(SCHEMA + "startDate"), ox.NamedNode(SCHEMA + "endDate")
_ENDED_BY = ox.NamedNode(MMD + "endedBy")
_START_DAY, _END_DAY = ox.NamedNode(MMD + "startDay"), ox.NamedNode(MMD + "endDay")
_XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")


def _event_types(store: ox.Store) -> set[str]:
    q = f"SELECT DISTINCT ?c WHERE {{ GRAPH ?g {{ ?c <{RDFS}subClassOf> ?x }} ?c <{RDFS}subClassOf>* <{SCHEMA}Event> }}"
    return {sol["c"].value for sol in store.query(q, use_default_graph_as_union=True)}


def derive_dates(store: EmbeddedStore) -> int:
    """Write mmd:startDay/mmd:endDay (xsd:date) for every stated date; returns the count.

    startDay is the first day schema:startDate can denote; endDay the last day of
    schema:endDate, else (for events) of the start date, else (for memberships known only
    to have ended by some date, mmd:endedBy) the first day of that date. Ill-typed dates are
    skipped; the shapes report them.
    """
    st = store.ox
    graph = ox.NamedNode(DERIVED_GRAPH)
    rdf_type = ox.NamedNode(RDF + "type")
    # One pass per property over its statements (not one lookup per subject), and each
    # distinct date converted once: dates repeat a lot in big graphs.
    starts, ends, ended_by = (
        _dates_by_subject(st, _START),
        _dates_by_subject(st, _END),
        _dates_by_subject(st, _ENDED_BY),
    )
    events = set()
    for cls in _event_types(st):
        events.update(q.subject for q in st.quads_for_pattern(None, rdf_type, ox.NamedNode(cls), None))
    first, last = functools.lru_cache(maxsize=None)(_first_day), functools.lru_cache(maxsize=None)(_last_day)

    new: set[tuple] = set()
    for s in starts.keys() | ends.keys() | ended_by.keys():
        if isinstance(s, ox.Triple):
            continue
        for d in starts.get(s, ()):
            day = first(d)
            if day:
                new.add((s, _START_DAY, day))
        end_dates = ends.get(s) or (starts.get(s, ()) if s in events else ())
        for d in end_dates:
            day = last(d)
            if day:
                new.add((s, _END_DAY, day))
        if not end_dates:
            for d in ended_by.get(s, ()):
                day = first(d)
                if day:
                    new.add((s, _END_DAY, day))
    st.extend(ox.Quad(s, p, day, graph) for s, p, day in new)
    return len(new)


def _dates_by_subject(st: ox.Store, prop: ox.NamedNode) -> dict:
    """The date-typed literals of ``prop``, by subject (in every graph)."""
    out: dict = {}
    for q in st.quads_for_pattern(None, prop, None, None):
        o = q.object
        if isinstance(o, ox.Literal) and o.datatype.value in DATE_TYPES:
            out.setdefault(q.subject, []).append(o)
    return out


def _first_day(d: ox.Literal) -> ox.Literal | None:
    day = first_day(d.value, d.datatype.value)
    return ox.Literal(day.isoformat(), datatype=_XSD_DATE) if day else None


def _last_day(d: ox.Literal) -> ox.Literal | None:
    day = last_day(d.value, d.datatype.value)
    return ox.Literal(day.isoformat(), datatype=_XSD_DATE) if day else None


def open_store(store: Store | None = None, endpoint: str | None = None) -> Store:
    """The store to use: the one given, a remote endpoint, or the shipped graph (cached)."""
    if store is not None and endpoint is not None:
        raise UsageError("give a store or an endpoint, not both")
    if store is not None:
        return store
    if endpoint is not None:
        from .endpoint import EndpointStore

        return EndpointStore(endpoint)
    return default_store()


_DEFAULT: EmbeddedStore | None = None


def default_store() -> EmbeddedStore:
    """The shipped graph, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load()
    return _DEFAULT
