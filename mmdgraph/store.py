"""Stores that answer SPARQL: the embedded default, rdflib (the reference), a remote endpoint.

Every store answers :meth:`Store.select` with a :class:`Result` whose cells are pyoxigraph
terms, so answers from different stores compare cell for cell. Parameters are bound as RDF
terms: pyoxigraph ``substitutions``, rdflib ``initBindings``, or, for a remote endpoint that
has no binding API, a ``VALUES`` block written from validated terms (see
:func:`mmdgraph.endpoint.bind_values`). The two agree as long as a query does not read a
parameter in a FILTER or BIND inside a nested group (a UNION branch, an OPTIONAL, a
sub-select), where a VALUES block at the top does not reach; put such filters at the top
level. The tests run every canned query both ways.

The default graph holds every statement once, whatever graphs it sits in; provenance queries
name their graphs with ``GRAPH ?g``. (Oxigraph's "union default graph" repeats a triple once
per graph that holds it, where rdflib's does not; the embedded store therefore keeps a merged
copy in its default graph, and the canned queries are written so duplicates cannot change
their answers.)
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

import pyoxigraph as ox

from .namespaces import compact

XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


# --- results ------------------------------------------------------------------------------


def term_text(term, compact_iris: bool = False) -> str:
    """A cell as plain text: an IRI, a literal's lexical form, ``_:id`` for a blank node."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return compact(term.value) if compact_iris else term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def term_python(term):
    """A cell as a Python value: str for IRIs and most literals, int for xsd:integer."""
    if term is None:
        return None
    if isinstance(term, ox.Literal) and term.datatype.value == XSD_INTEGER:
        try:
            return int(term.value)
        except ValueError:
            return term.value
    return term_text(term)


def term_json(term) -> dict:
    """A cell in the SPARQL 1.1 JSON results format."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


class Result:
    """The answer to a SELECT query: ``columns`` and ``rows`` (tuples of terms or None).

    It prints as a table, writes CSV/TSV/JSON, and becomes a pandas DataFrame:

    >>> r = Result(["state"], [(ox.NamedNode("https://w3id.org/mmdgraph/id/FRA"),)])
    >>> r.records()
    [{'state': 'https://w3id.org/mmdgraph/id/FRA'}]
    >>> print(r.to_table())
    state
    ------
    id:FRA
    """

    def __init__(self, columns: list[str], rows: list[tuple]):
        self.columns = list(columns)
        self.rows = [tuple(row) for row in rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.records())

    def __repr__(self) -> str:
        return f"<Result {len(self.rows)} rows x {len(self.columns)} columns {self.columns}>"

    def records(self) -> list[dict]:
        """Rows as dicts of plain Python values (str, int, None)."""
        return [dict(zip(self.columns, map(term_python, row), strict=True)) for row in self.rows]

    def to_dataframe(self):
        """The rows as a pandas DataFrame (pandas is imported only here)."""
        import pandas as pd

        return pd.DataFrame(self.records(), columns=self.columns)

    def to_csv(self) -> str:
        """SPARQL 1.1 CSV: IRIs and lexical forms, no datatypes."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\r\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow([term_text(t) for t in row])
        return buf.getvalue()

    def to_tsv(self) -> str:
        """SPARQL 1.1 TSV: each cell in N-Triples syntax, so datatypes and languages survive."""
        lines = ["\t".join("?" + c for c in self.columns)]
        for row in self.rows:
            lines.append("\t".join("" if t is None else str(t) for t in row))
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        """SPARQL 1.1 Query Results JSON."""
        bindings = [
            {c: term_json(t) for c, t in zip(self.columns, row, strict=True) if t is not None} for row in self.rows
        ]
        return json.dumps(
            {"head": {"vars": self.columns}, "results": {"bindings": bindings}}, ensure_ascii=False, indent=1
        )

    def to_table(self, max_width: int = 60) -> str:
        """An aligned text table for people, IRIs shortened with the project's prefixes."""
        cells = [[term_text(t, compact_iris=True) for t in row] for row in self.rows]
        cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in cells]
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(self.columns)]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths)
        lines = [fmt.format(*self.columns).rstrip(), "  ".join("-" * w for w in widths)]
        lines += [fmt.format(*row).rstrip() for row in cells]
        return "\n".join(lines)

    def format(self, fmt: str) -> str:
        """Render as ``table``, ``csv``, ``tsv`` or ``json``."""
        renderers = {"table": self.to_table, "csv": self.to_csv, "tsv": self.to_tsv, "json": self.to_json}
        try:
            return renderers[fmt]()
        except KeyError:
            from .errors import UsageError

            raise UsageError(f"unknown result format {fmt!r}; use one of {', '.join(renderers)}") from None


# --- stores ---------------------------------------------------------------------------------


class Store:
    """What every store offers: SELECT with bound parameters, and a name for reports."""

    name = "store"

    def select(self, query: str, bindings: Mapping[str, object] | None = None) -> Result:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the store holds (a connection, a server process)."""


class EmbeddedStore(Store):
    """The default store: pyoxigraph in memory; each source in its named graph, and the
    default graph the merge of all of them (see :func:`mmdgraph.loading.load`).

    ``files`` lists the files the store was loaded from, so reports can name the file a
    node comes from (:meth:`files_of`).
    """

    name = "embedded"

    def __init__(self, store: ox.Store | None = None, files: Iterable[Path] = ()):
        self.ox = store if store is not None else ox.Store()
        self.files = [Path(f) for f in files]
        self._subject_files: dict[str, list[str]] | None = None

    def __len__(self) -> int:
        return len(self.ox)

    def __repr__(self) -> str:
        return f"<EmbeddedStore {len(self.ox)} quads from {len(self.files)} files>"

    def select(self, query: str, bindings: Mapping[str, object] | None = None) -> Result:
        """Run a SELECT query; the engine runs it, and its results are read, in a thread that
        cannot open a network connection (:func:`mmdgraph.safety.run_sandboxed`), so a
        ``SERVICE`` in any spelling fails instead of calling another host."""
        from .errors import UnsafeQueryError
        from .safety import run_sandboxed

        subs = {ox.Variable(k): v for k, v in (bindings or {}).items()}
        try:
            return run_sandboxed(self._select, query, subs, text=query)
        except OSError as err:  # what Oxigraph's HTTP client raises when the sandbox refuses its socket
            raise UnsafeQueryError(
                f"the query tried to reach the network (SERVICE), which mmdgraph never does: {err}"
            ) from None

    def _select(self, query: str, subs: dict) -> Result:
        res = self.ox.query(query, substitutions=subs or None)
        if not isinstance(res, ox.QuerySolutions):
            raise TypeError("select() runs SELECT queries only")
        variables = res.variables
        return Result([v.value for v in variables], [tuple(sol[v] for v in variables) for sol in res])

    def quads(self, graph=None) -> Iterable[ox.Quad]:
        """The quads of every named graph (not the merged default graph), or of one graph."""
        if graph is not None:
            return self.ox.quads_for_pattern(None, None, None, graph)
        return (q for q in self.ox if not isinstance(q.graph_name, ox.DefaultGraph))

    def triples(self) -> Iterable[ox.Triple]:
        """Every distinct statement once: the merged default graph."""
        return (q.triple for q in self.ox.quads_for_pattern(None, None, None, ox.DefaultGraph()))

    def graph_names(self) -> list[ox.NamedNode]:
        return sorted(self.ox.named_graphs(), key=lambda g: g.value)

    def files_of(self, node) -> list[str]:
        """The files in which ``node`` is a subject (empty if it is not, or not an IRI)."""
        if self._subject_files is None:
            index: dict[str, list[str]] = {}
            for f in self.files:
                try:
                    quads = ox.parse(path=str(f), lenient=True)
                    for q in quads:
                        names = index.setdefault(q.subject.value, [])
                        if not names or names[-1] != str(f):
                            names.append(str(f))
                except (SyntaxError, ValueError, OSError):
                    continue
            self._subject_files = index
        value = node.value if hasattr(node, "value") else str(node)
        return list(dict.fromkeys(self._subject_files.get(value, [])))


def to_rdflib(term):
    """A pyoxigraph term as an rdflib term."""
    import rdflib

    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.DefaultGraph):
        return rdflib.graph.DATASET_DEFAULT_GRAPH_ID
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    dt = term.datatype.value
    return rdflib.Literal(term.value, datatype=None if dt == XSD_STRING else rdflib.URIRef(dt))


def from_rdflib(term):
    """An rdflib term as a pyoxigraph term (lexical forms kept as they are)."""
    import rdflib

    if term is None:
        return None
    if isinstance(term, rdflib.URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if term.language:
        return ox.Literal(str(term), language=term.language)
    if term.datatype is None:
        return ox.Literal(str(term))
    return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))


class RdflibStore(Store):
    """rdflib's in-memory Dataset: the reference engine, slower, kept to compare answers.

    >>> from mmdgraph import load
    >>> ref = RdflibStore.from_embedded(load())
    >>> len(ref.select("SELECT ?s WHERE { ?s a <https://w3id.org/mmdgraph/ontology#Dialogue> }")) > 0
    True
    """

    name = "rdflib"

    def __init__(self, dataset=None):
        import rdflib

        self.dataset = dataset if dataset is not None else rdflib.Dataset(default_union=True)

    @classmethod
    def from_embedded(cls, store: EmbeddedStore) -> RdflibStore:
        import rdflib

        ds = rdflib.Dataset(default_union=True)
        for q in store.quads():
            ds.graph(rdflib.URIRef(q.graph_name.value)).add(
                (to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))
            )
        return cls(ds)

    def select(self, query: str, bindings: Mapping[str, object] | None = None) -> Result:
        from .safety import harden_rdflib

        harden_rdflib()
        init = {k: to_rdflib(v) for k, v in (bindings or {}).items()}
        res = self.dataset.query(query, initBindings=init)
        columns = [str(v) for v in res.vars]
        return Result(columns, [tuple(from_rdflib(row[i]) for i in range(len(columns))) for row in res])
