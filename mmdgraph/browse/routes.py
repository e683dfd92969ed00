"""What ``mmdgraph serve`` answers for a browse path: one function, no web framework.

:func:`respond` maps a request path (and its ``Accept`` header or ``?format=``) to a status,
a media type and a body, so the server only has to route ``/``, ``/id/...``, ``/source/...``,
``/vocab/...``, ``/curation/...``, ``/graph/...``, ``/ontology...`` and the index pages here.

Content negotiation: an extension in the path wins (``/id/FRA.ttl``), then ``?format=``
(``html``, ``ttl``, ``trig``, ``jsonld``), then the ``Accept`` header (``text/turtle``,
``application/trig``, ``application/ld+json``, else HTML). Every answer has ``Vary: Accept``.

>>> r = respond("/id/FRA", accept="text/turtle")
>>> r.status, r.media_type
(200, 'text/turtle; charset=utf-8')
>>> respond("/id/no-such-thing").status
404
"""

from __future__ import annotations

import re
import threading
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from ..namespaces import CUR, ID, MMD, ONTOLOGY_GRAPH, ONTOLOGY_IRI, SRC, VOC
from .data import GRAPH_NS, EntityNotFound, Selects, build_entity, graph_iri
from .render import Links, layout, render_entity

if TYPE_CHECKING:
    from ..store import Store

MEDIA = {
    "html": "text/html; charset=utf-8",
    "ttl": "text/turtle; charset=utf-8",
    "trig": "application/trig; charset=utf-8",
    "jsonld": "application/ld+json",
    "json": "application/json",
}
_ACCEPT = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/turtle": "ttl",
    "application/x-turtle": "ttl",
    "application/trig": "trig",
    "application/ld+json": "jsonld",
    "application/json": "jsonld",
}
_FOLDERS = {"id": ID, "source": SRC, "vocab": VOC, "curation": CUR, "graph": GRAPH_NS}
_ENTITY = re.compile(r"^/(id|source|vocab|curation|graph)/([A-Za-z0-9_.-]+?)(?:\.(html|ttl|trig|jsonld))?$")
_TERM = re.compile(r"^/ontology/(class|property)/([A-Za-z0-9_-]+)(?:\.(html|ttl|trig|jsonld))?$")
_ONTOLOGY = re.compile(r"^/ontology(?:\.(html|ttl|trig|jsonld))?$")
INDEXES = ("index", "states", "meetings", "timeline", "frameworks", "sources", "all", "search")


@dataclass
class Response:
    status: int
    media_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"Vary": "Accept"})


def negotiate(accept: str | None, fmt: str | None = None) -> str | None:
    """The format to answer with: ``html``, ``ttl``, ``trig`` or ``jsonld``; None if the
    client accepts none of them (406).

    >>> negotiate("text/turtle;q=0.9, application/ld+json")
    'jsonld'
    >>> negotiate("text/html,application/xhtml+xml,*/*;q=0.8")
    'html'
    """
    if fmt:
        fmt = {"turtle": "ttl", "json-ld": "jsonld", "json": "jsonld"}.get(fmt, fmt)
        return fmt if fmt in ("html", "ttl", "trig", "jsonld") else None
    if not accept or not accept.strip():
        return "html"
    best, best_q = None, 0.0
    for part in accept.split(","):
        bits = [b.strip() for b in part.split(";")]
        mt, q = bits[0].lower(), 1.0
        for b in bits[1:]:
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        ext = _ACCEPT.get(mt) or ("html" if mt in ("*/*", "text/*") else None)
        if ext and q > best_q:
            best, best_q = ext, q
    return best


_INDEX_CACHE: weakref.WeakKeyDictionary[Selects, dict[str, str]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _indexes(store: Selects) -> dict[str, str]:
    from .static import index_pages, search_index, search_page, site_entities

    with _LOCK:
        got = _INDEX_CACHE.get(store)
    if got is None:
        pages = site_entities(store)
        got = {name.removesuffix(".html"): html for name, html in index_pages(store, pages, mode="server").items()}
        index = search_index(store, pages)
        got["search"] = search_page(index, mode="server")
        import json

        got["search-index.json"] = json.dumps(index, ensure_ascii=False)
        with _LOCK:
            _INDEX_CACHE[store] = got
    return got


def _not_found(what: str) -> Response:
    body = layout("Not found · mmdgraph", f"<h1>Not found</h1><p>{what}</p>", Links("index", "server"))
    return Response(404, MEDIA["html"], body.encode())


def respond(path: str, accept: str | None = None, fmt: str | None = None, store: Store | None = None) -> Response:
    """The answer to ``GET path`` (``fmt`` from ``?format=``) on ``store`` (default: the
    shipped graph). Never raises for a bad path: 404 or 406."""
    from ..loading import open_store
    from .static import rdf_files

    st = open_store(store)
    name = path.strip("/").removesuffix(".html") or "index"
    if name in INDEXES or name == "search-index.json":
        if name == "search-index.json":
            return Response(200, MEDIA["json"], _indexes(st)[name].encode())
        return Response(200, MEDIA["html"], _indexes(st)[name].encode())
    m = _ENTITY.match(path)
    t = _TERM.match(path) if not m else None
    o = _ONTOLOGY.match(path) if not (m or t) else None
    if m:
        iri, ext = _FOLDERS[m.group(1)] + m.group(2), m.group(3)
    elif t:
        iri, ext = MMD + t.group(2), t.group(3)
    elif o:
        iri, ext = ONTOLOGY_IRI, o.group(1)
    else:
        return _not_found("No page at this address.")
    want = ext or negotiate(accept, fmt)
    if want is None:
        return Response(
            406,
            "text/plain; charset=utf-8",
            b"Available: text/html, text/turtle, application/trig, application/ld+json\n",
        )
    try:
        e, quads = build_entity(iri, st)
    except EntityNotFound as err:
        return _not_found(str(err))
    if want == "html":
        return Response(200, MEDIA["html"], render_entity(e, Links(e["path"], "server")).encode())
    if iri == ONTOLOGY_IRI:  # the ontology document: its whole graph, as ontology.ttl in the site
        quads = [q for q in quads if graph_iri(q) == ONTOLOGY_GRAPH]
        subject = None
    else:
        subject = ox.NamedNode(iri)
    return Response(200, MEDIA[want], rdf_files(quads, subject)[want])
