"""Export the whole graph in a standard RDF format.

Formats that carry named graphs (TriG, N-Quads, JSON-LD) keep every statement in the graph
of its source, so provenance survives. Triple formats (Turtle, N-Triples, RDF/XML) write the
union of all graphs: the same statements, without saying who said them.

>>> text = export("turtle")
>>> text.startswith(b"@prefix")
True
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

from .errors import UsageError
from .namespaces import CONTEXT_IRI, PREFIXES
from .store import EmbeddedStore

#: format name -> (pyoxigraph format or None for JSON-LD, file extension, media type, keeps graphs)
FORMATS = {
    "turtle": (ox.RdfFormat.TURTLE, "ttl", "text/turtle", False),
    "ntriples": (ox.RdfFormat.N_TRIPLES, "nt", "application/n-triples", False),
    "xml": (ox.RdfFormat.RDF_XML, "rdf", "application/rdf+xml", False),
    "trig": (ox.RdfFormat.TRIG, "trig", "application/trig", True),
    "nquads": (ox.RdfFormat.N_QUADS, "nq", "application/n-quads", True),
    "jsonld": (None, "jsonld", "application/ld+json", True),
}


def rdf_bytes(
    terms: Iterable[ox.Triple] | Iterable[ox.Quad], format: ox.RdfFormat, prefixes: dict[str, str] | None = None
) -> bytes:
    """``ox.serialize`` to bytes (its stub says ``bytes | None``: None only when given an output)."""
    data = ox.serialize(terms, format=format, prefixes=prefixes)
    assert data is not None, "ox.serialize without an output returns the bytes"
    return data


def _triples(store: EmbeddedStore) -> Iterator[ox.Triple]:
    seen: set[ox.Triple] = set()
    for q in store.quads():
        t = q.triple
        if t not in seen:
            seen.add(t)
            yield t


def _sorted_quads(store: EmbeddedStore) -> list[ox.Quad]:
    # A stable order makes releases diffable and checksums repeatable.
    return sorted(store.quads(), key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


#: How a JSON-LD export gives its context: in the document, or by the published address.
JSONLD_CONTEXTS = ("embedded", "remote")


def _jsonld(store: EmbeddedStore, context: str = "embedded") -> bytes:
    """JSON-LD, one @graph entry per source graph, compacted with mmdgraph's context.

    pyoxigraph writes expanded JSON-LD; pyld compacts it against the bundled context. With
    ``context="embedded"`` (the default) the document carries the context itself, so any
    JSON-LD processor reads it offline; with ``context="remote"`` it names the published
    context (https://w3id.org/mmdgraph/context.jsonld), which readers must fetch or supply.
    """
    from pyld import jsonld

    from .jsonld import context as bundled
    from .jsonld import document_loader

    if context not in JSONLD_CONTEXTS:
        raise UsageError(f"unknown JSON-LD context {context!r}; use one of {', '.join(JSONLD_CONTEXTS)}")
    ctx = bundled()
    expanded = json.loads(rdf_bytes(_sorted_quads(store), ox.RdfFormat.JSON_LD))
    compacted = jsonld.compact(expanded, ctx, options={"documentLoader": document_loader})
    compacted["@context"] = ctx["@context"] if context == "embedded" else CONTEXT_IRI
    return json.dumps(compacted, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def serialize(store: EmbeddedStore, fmt: str, *, context: str = "embedded") -> bytes:
    """The store in one format, as bytes. ``context`` applies to JSON-LD only (see :func:`export`)."""
    if context not in JSONLD_CONTEXTS:
        raise UsageError(f"unknown JSON-LD context {context!r}; use one of {', '.join(JSONLD_CONTEXTS)}")
    try:
        ox_format, _, _, keeps_graphs = FORMATS[fmt]
    except KeyError:
        raise UsageError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}") from None
    if ox_format is None:
        return _jsonld(store, context)
    if keeps_graphs:
        return rdf_bytes(_sorted_quads(store), ox_format, PREFIXES)
    triples = sorted(_triples(store), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    return rdf_bytes(triples, ox_format, PREFIXES if ox_format != ox.RdfFormat.N_TRIPLES else None)


def write_atomic(path: Path | str, data: bytes) -> Path:
    """Write to a temporary file beside ``path``, then rename: never a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp creates the file 0600; give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def export(
    fmt: str = "turtle",
    output: Path | str | None = None,
    *,
    store: EmbeddedStore | None = None,
    context: str = "embedded",
) -> bytes | Path:
    """Serialise the graph (default: the shipped graph) as ``fmt``.

    Returns the bytes, or writes them atomically to ``output`` and returns its path. For
    JSON-LD, ``context="embedded"`` (default) puts the context in the document, which makes
    it self-contained (rdflib and pyld read it offline); ``context="remote"`` names the
    published context address instead, for a smaller file.
    """
    from .loading import default_store

    data = serialize(store if store is not None else default_store(), fmt, context=context)
    return data if output is None else write_atomic(output, data)
