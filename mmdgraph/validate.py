"""Validate the graph: SHACL shapes (ontology/shapes.ttl) and QC queries (queries/qc/*-violation.rq).

The shapes check each node; the QC queries check what shapes cannot see, such as which
graph (source) a statement sits in. Both report the same way: a focus node, a path, the
constraint that failed, a message, and the files the node comes from.

>>> report = validate()
>>> report.conforms
True
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from . import paths
from .namespaces import SH, compact
from .store import EmbeddedStore, term_text

if TYPE_CHECKING:
    import rdflib

_REPORT_PREFIXES = {"sh": SH, "shapes": "https://w3id.org/mmdgraph/shapes#"}


def _short(iri: str) -> str:
    """An IRI shortened for the report, SHACL terms and shapes included."""
    for prefix, ns in _REPORT_PREFIXES.items():
        if iri.startswith(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return compact(iri)


#: SHACL engines: pyshacl-turbo (a pySHACL-compatible engine in Rust, 10-70x faster) and
#: pySHACL, the reference: tests/test_engines.py checks that both give the same violations
#: (node, path, constraint, severity) on the graph and on every fixture. Their messages may
#: differ where a shape has no sh:message.
ENGINES = ("turbo", "pyshacl")
DEFAULT_ENGINE = "turbo"


@dataclass(frozen=True)
class Violation:
    """One failed check. ``constraint`` is a SHACL constraint component (``sh:MinCount...``)
    or ``qc:<check name>`` for a QC query; ``shape`` is the node shape or the QC file."""

    focus: str
    path: str | None
    constraint: str
    shape: str
    message: str
    value: str | None = None
    severity: str = "Violation"
    files: tuple[str, ...] = ()

    def key(self) -> tuple[str, str | None, str]:
        """What tests compare: the node, the path and the constraint, never message text."""
        return (self.focus, self.path, self.constraint)


@dataclass
class Report:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    engine: str = "pyshacl"
    checked: int = 0

    def text(self) -> str:
        """A readable report, one block per violation."""
        head = "conforms" if self.conforms else f"{len(self.violations)} violation(s)"
        lines = [f"Validation ({self.engine}, {self.checked} triples): {head}"]
        for i, v in enumerate(self.violations, 1):
            lines.append(f"{i}. {compact(v.focus)}" + (f"  ({', '.join(v.files)})" if v.files else ""))
            detail = f"   constraint: {_short(v.constraint)}   shape: {_short(v.shape)}"
            if v.path:
                detail = f"   path: {compact(v.path)}" + detail
            lines.append(detail)
            if v.value is not None:
                lines.append(f"   value: {v.value}")
            lines.append(f"   message: {v.message}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "conforms": self.conforms,
            "engine": self.engine,
            "triples": self.checked,
            "violations": [v.__dict__ | {"files": list(v.files)} for v in self.violations],
        }


@functools.lru_cache(maxsize=1)
def shapes_graph() -> rdflib.Graph:
    """The shapes as an rdflib Graph (parsed once)."""
    import rdflib

    return rdflib.Graph().parse(paths.shapes_file(), format="turtle")


def _data_graph(store: EmbeddedStore) -> rdflib.Graph:
    """The union of every graph in the store, as an rdflib Graph (shapes see no graph names)."""
    import rdflib

    from .store import to_rdflib

    g = rdflib.Graph()
    add = g.add
    for t in store.triples():
        add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return g


def _turbo_data(store: EmbeddedStore) -> ox.Store:
    """The merged triples in a fresh pyoxigraph Store, which pyshacl-turbo reads natively:
    several times faster than building an rdflib Graph, and blank nodes keep their ids."""
    data = ox.Store()
    data.extend(store.ox.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    return data


def _engine_validate(engine: str) -> Callable[..., tuple[Any, Any, Any]]:
    """The engine's ``validate``: both take pySHACL's arguments and answer (conforms, results graph, text)."""
    if engine == "turbo":
        import pyshacl_turbo

        return pyshacl_turbo.validate
    import pyshacl

    return pyshacl.validate


def _shacl(store: EmbeddedStore, engine: str = DEFAULT_ENGINE) -> tuple[list[Violation], int]:
    from rdflib import RDF, Namespace, URIRef

    shacl_validate = _engine_validate(engine)
    data: ox.Store | rdflib.Graph = _turbo_data(store) if engine == "turbo" else _data_graph(store)
    shn = Namespace(SH)
    sg = shapes_graph()
    conforms, results, _ = shacl_validate(data, shacl_graph=sg, inference="none", advanced=True, allow_warnings=True)
    parent = {ps: ns for ns, ps in sg.subject_objects(shn.property)}
    # Results nested under sh:detail explain another result (the branch of an sh:or or
    # sh:node that failed); their focus is the offending value, not a node of the graph.
    details = set(results.objects(None, shn.detail))
    out = []
    for r in results.subjects(RDF.type, shn.ValidationResult):
        if r in details:
            continue
        source = results.value(r, shn.sourceShape)
        shape = parent.get(source, source)
        path = results.value(r, shn.resultPath)
        value = results.value(r, shn.value)
        focus = results.value(r, shn.focusNode)
        out.append(
            Violation(
                focus=str(focus),
                path=str(path) if path is not None else None,
                constraint=str(results.value(r, shn.sourceConstraintComponent)),
                shape=str(shape),
                message=str(results.value(r, shn.resultMessage) or ""),
                value=str(value) if value is not None else None,
                severity=str(results.value(r, shn.resultSeverity)).rsplit("#", 1)[-1],
                files=tuple(store.files_of(ox.NamedNode(str(focus)))) if isinstance(focus, URIRef) else (),
            )
        )
    return out, len(data)


def qc_checks() -> list[Path]:
    """The QC queries: each returns one row per violation (?focus, and ?path ?value ?message)."""
    return sorted(paths.qc_dir().glob("*-violation.rq"))


def _qc(store: EmbeddedStore) -> list[Violation]:
    out = []
    for check in qc_checks():
        name = check.name.removesuffix("-violation.rq")
        result = store.select(check.read_text(encoding="utf-8"))
        for row in result.records():
            focus = row.get("focus") or ""
            out.append(
                Violation(
                    focus=str(focus),
                    path=row.get("path"),
                    constraint=f"qc:{name}",
                    shape=f"queries/qc/{check.name}",
                    message=str(row.get("message") or name),
                    value=None if row.get("value") is None else str(row.get("value")),
                    files=tuple(store.files_of(ox.NamedNode(focus))) if str(focus).startswith("http") else (),
                )
            )
    return out


def validate(
    store: EmbeddedStore | None = None,
    *,
    files: Iterable[Path | str] | None = None,
    with_graph: bool | None = None,
    engine: str = DEFAULT_ENGINE,
) -> Report:
    """Validate a store (default: the shipped graph) or the given files, against the shapes and QC queries.

    ``files`` are loaded with the ontology (and, with ``with_graph=True``, on top of the
    shipped graph). ``engine`` is one of :data:`ENGINES`. Raises
    :class:`~mmdgraph.errors.InputError` for an unreadable file.
    """
    from .errors import UsageError
    from .loading import default_store, load

    if engine not in ENGINES:
        raise UsageError(f"unknown validation engine {engine!r}; use one of {', '.join(ENGINES)}")
    if files is not None:
        store = load(files, with_graph=with_graph)
    elif store is None:
        store = default_store()
    violations, checked = _shacl(store, engine)
    violations += _qc(store)
    violations.sort(key=lambda v: (v.focus, v.path or "", v.constraint, v.value or ""))
    failing = [v for v in violations if v.severity == "Violation"]
    return Report(conforms=not failing, violations=violations, engine=engine, checked=checked)


__all__ = ["Report", "Violation", "validate", "term_text"]
