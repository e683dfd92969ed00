"""The JSON-LD context, generated from the ontology so the two cannot drift.

Each class and property the ontology declares becomes a term named by its local name
(``chairedBy``, ``startDate``, ``ThematicMeeting``); object properties are typed ``@id`` so
their values compact to IRIs (``"chairedBy": "id:FRA"``). Where two vocabularies use the same
local name (``dcterms:subject`` and ``rdf:subject``), mmdgraph's own term wins and the other
stays a compact IRI. Values with a datatype or a language keep it in the document.

>>> ctx = context()["@context"]
>>> ctx["chairedBy"]
{'@id': 'https://w3id.org/mmdgraph/ontology#chairedBy', '@type': '@id'}
>>> ctx["mmd"]
'https://w3id.org/mmdgraph/ontology#'
"""

from __future__ import annotations

import functools
from typing import Any

import pyoxigraph as ox

from . import paths
from .namespaces import MMD, OWL, PREFIXES, RDF

# Local names that would read as JSON-LD keywords or mislead; left as compact IRIs.
_RESERVED = {"type", "id", "value"}
_KINDS = {
    OWL + "Class": "class",
    OWL + "ObjectProperty": "object",
    OWL + "DatatypeProperty": "datatype",
    OWL + "AnnotationProperty": "datatype",
}


def _local(iri: str) -> str:
    for sep in ("#", "/"):
        if sep in iri:
            iri = iri.rsplit(sep, 1)[1]
    return iri


@functools.lru_cache(maxsize=1)
def _terms() -> tuple[tuple[str, str, str], ...]:
    """(term, iri, kind) for every declared class and property, collisions resolved."""
    declared: dict[str, str] = {}
    for f in paths.ontology_files():
        for q in ox.parse(path=str(f)):
            if q.predicate.value == RDF + "type" and q.object.value in _KINDS and isinstance(q.subject, ox.NamedNode):
                kind = _KINDS[q.object.value]
                # A property declared both ways counts as an object property.
                if declared.get(q.subject.value) != "object":
                    declared[q.subject.value] = kind
    by_name: dict[str, list[str]] = {}
    for iri in declared:
        by_name.setdefault(_local(iri), []).append(iri)
    out = []
    for name, iris in sorted(by_name.items()):
        if name in _RESERVED or name in PREFIXES:
            continue
        own = [i for i in iris if i.startswith(MMD)]
        if len(iris) > 1 and len(own) != 1:
            continue
        iri = own[0] if own else iris[0]
        out.append((name, iri, declared[iri]))
    return tuple(out)


@functools.lru_cache(maxsize=1)
def _context() -> dict:
    ctx: dict = dict(PREFIXES)
    for name, iri, kind in _terms():
        ctx[name] = {"@id": iri, "@type": "@id"} if kind == "object" else {"@id": iri}
        if kind == "class":
            ctx[name] = iri
    return {"@context": ctx}


def context() -> dict:
    """The JSON-LD context document (a fresh copy, safe to modify)."""
    import copy

    return copy.deepcopy(_context())


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader that serves the bundled context and refuses every other URL."""
    from .errors import InputError
    from .namespaces import CONTEXT_IRI

    if url == CONTEXT_IRI:
        return {"contextUrl": None, "documentUrl": url, "document": context()}
    raise InputError(f"remote JSON-LD document refused: {url} (mmdgraph never fetches)")
