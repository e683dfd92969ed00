"""The static site: a page and its RDF per entity, the indexes, search, and w3id redirects.

Layout (every link relative, so the folder works from ``file://`` and from any static host)::

    index.html                 home: what the graph holds, where to start
    states.html meetings.html timeline.html frameworks.html sources.html all.html
    search.html                search box (the index inline: fetch() is refused on file://)
    search-index.json          the same index, for other clients
    ontology.html ontology.ttl the ontology's terms; the ontology graph as Turtle
    id/FRA.html                the page of https://w3id.org/mmdgraph/id/FRA
    id/FRA.ttl                 its statements (Turtle, the union of its sources)
    id/FRA.trig                its statements in the graphs of their sources (TriG)
    id/FRA.jsonld              the same as JSON-LD (expanded: no remote context)
    source/<x>.* vocab/<x>.* curation/<x>.* graph/<x>.*   likewise
    ontology/class/<Name>.*  ontology/property/<name>.*   ontology terms (hash IRIs)
    .htaccess                  w3id.org rules: /mmdgraph/id/FRA -> the static host, by Accept

>>> idx = search_index()
>>> [e["l"] for e in search("SEN", idx)][:1]
['Senegal']
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyoxigraph as ox

from ..export import rdf_bytes
from ..namespaces import MMD, ONTOLOGY_GRAPH, ONTOLOGY_IRI, PREFIXES, SCHEMA, SKOS
from .data import BASE, Context, EntityNotFound, Selects, build_entity, context, graph_iri, page_path
from .render import KIND_NAMES, Links, layout, render_entity, template, term

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..store import EmbeddedStore, Result, Store

_T = TypeVar("_T")

#: Where the w3id rules send readers unless ``site(host=...)`` says otherwise.
DEFAULT_HOST = "https://example.org/mmdgraph"

_Q_ALL = """SELECT DISTINCT ?x WHERE {
  { GRAPH ?g { ?x ?p ?o } } UNION { GRAPH ?g { ?s ?x ?o } } UNION { GRAPH ?g { ?s ?p ?x } } UNION { GRAPH ?x { ?s ?p ?o } }
  FILTER(isIRI(?x)) }"""
_Q_CODES = f"SELECT ?s ?c WHERE {{ ?s <{MMD}isoAlpha2>|<{MMD}isoAlpha3> ?c }}"
_Q_MEETING_LINKS = f"""SELECT ?m ?p ?o WHERE {{
  VALUES ?p {{ <{SCHEMA}location> <{MMD}hostedBy> <{MMD}chairedBy> <{MMD}coChairedBy> }}
  ?m ?p ?o }}"""
_Q_REGION = f"SELECT ?s ?r WHERE {{ ?s a <{MMD}State> OPTIONAL {{ ?s <{MMD}region> ?r }} }}"
_Q_SCHEME = f"""SELECT ?c ?scheme WHERE {{ ?c <{SKOS}inScheme>|<{SKOS}topConceptOf> ?scheme FILTER(isIRI(?c)) }}"""
_Q_GRAPH_SIZE = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


# --- search ----------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """What search compares: no accents, lower case ('Sénégal' -> 'senegal'); the page's
    script does the same (NFD, drop combining marks, lower case)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower().strip()


def search_index(store: Selects | None = None, pages: list[str] | None = None) -> dict[str, Any]:
    """The search index: one entry per page, ``l`` its label, ``k`` the keys it is found by
    (labels and alternative labels in every language, notations, ISO codes, the local
    name), ``h`` its page (relative to the site root), ``t`` what it is."""
    from ..loading import open_store

    st = store if store is not None else open_store()
    ctx = context(st)
    codes: dict[str, list[str]] = defaultdict(list)
    for s, c in st.select(_Q_CODES).rows:
        codes[s.value].append(c.value)
    entries: list[dict[str, Any]] = []
    for iri in pages if pages is not None else site_entities(st):
        path = page_path(iri, ctx.kinds)
        if not path:
            continue
        keys = [v for vs in (ctx.labels.get(iri) or {}).values() for _, v in vs]
        keys += [v for v, _ in ctx.alt.get(iri, [])]
        keys += codes.get(iri, [])
        if iri in ctx.notation:
            keys.append(ctx.notation[iri])
        keys.append(path.rsplit("/", 1)[-1])
        entries.append(
            {
                "l": ctx.label(iri),
                "k": sorted(set(keys), key=lambda k: (k.lower(), k)),
                "h": path + ".html",
                "t": KIND_NAMES.get(ctx.kind_of(iri), "Entity"),
            }
        )
    entries.sort(key=lambda e: (e["l"].lower(), e["h"]))
    return {"entries": entries}


def search(query: str, index: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries a query finds, best first: a key equal to it, then a key starting with
    it, then (three letters or more) a key containing it. Mirrors ``search.js``."""
    q = normalise(query)
    if not q:
        return []
    hits = []
    for e in index["entries"]:
        best = 0
        for k in e["k"]:
            k = normalise(k)
            if k == q:
                best = max(best, 3)
            elif k.startswith(q):
                best = max(best, 2)
            elif len(q) > 2 and q in k:
                best = max(best, 1)
        if best:
            hits.append((-best, e["l"], e))
    hits.sort(key=lambda h: (h[0], h[1]))
    return [h[2] for h in hits]


# --- which pages --------------------------------------------------------------------------------


def site_entities(store: Selects) -> list[str]:
    """Every IRI the graph mints and uses (subject, property, object or graph name): the pages
    of the site. The site's home stands for the bare base IRI."""
    ctx = context(store)
    found = {x.value for (x,) in store.select(_Q_ALL).rows}
    found |= {t for t in ctx.kinds if t.startswith(MMD)}
    found.add(ONTOLOGY_IRI)
    by_path: dict[str, str] = {}
    for x in sorted(found):  # one page per path: the ontology's version IRI shares its page
        path = page_path(x, ctx.kinds)
        if x != BASE and path and path != "index":
            by_path.setdefault(path, x)
    return sorted(by_path.values())


# --- indexes -------------------------------------------------------------------------------------


def _link(ctx: Context, iri: str, links: Links) -> str:
    return term(ctx.node(iri), links)


def _page(title: str, body: str, links: Links) -> str:
    return layout(f"{title} · mmdgraph", f"<h1>{escape(title)}</h1>\n{body}", links)


def _meeting_types(ctx: Context, m: str) -> list[str]:
    """The most specific meeting classes of a meeting."""
    ts = [t for t in ctx.types.get(m, ()) if t == MMD + "Meeting" or MMD + "Meeting" in ctx.supers.get(t, ())]
    specific = [t for t in ts if t != MMD + "Meeting"]
    return sorted(specific or ts)


def index_pages(store: Selects, pages: list[str], mode: str = "static") -> dict[str, str]:
    """The index pages, by file name: home, states by region, meetings by type and year,
    timeline, frameworks and schemes, sources by type, everything by kind. ``mode`` as for
    :class:`~mmdgraph.browse.render.Links` (``server``: root-relative links)."""
    ctx = context(store)
    out: dict[str, str] = {}
    L = Links("index", mode)
    meetings = sorted((x for x in pages if ctx.kind_of(x) == "meeting"), key=lambda m: (ctx.sort_day(m), ctx.label(m)))
    mlinks: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for m, p, o in store.select(_Q_MEETING_LINKS).rows:
        if isinstance(o, ox.NamedNode) and o.value not in mlinks[m.value][p.value]:
            mlinks[m.value][p.value].append(o.value)

    def meeting_li(m: str) -> str:
        bits = []
        for p, word in (
            (SCHEMA + "location", "in"),
            (MMD + "hostedBy", "hosted by"),
            (MMD + "chairedBy", "chaired by"),
            (MMD + "coChairedBy", "co-chaired by"),
        ):
            if mlinks[m].get(p):
                bits.append(word + " " + ", ".join(_link(ctx, o, L) for o in mlinks[m][p]))
        types = ", ".join(_link(ctx, t, L) for t in _meeting_types(ctx, m))
        date = ctx.date_of(m) or "date unknown"
        return f'<li><span class="date">{escape(date)}</span>{_link(ctx, m, L)} <span class="details">{types}{"; " if bits else ""}{"; ".join(bits)}</span></li>'

    # Home.
    kinds: dict[str, list[str]] = defaultdict(list)
    for x in pages:
        kinds[ctx.kind_of(x)].append(x)
    counts = "".join(
        f"<li>{escape(KIND_NAMES.get(k, k))}: {len(v)}</li>"
        for k, v in sorted(kinds.items(), key=lambda kv: -len(kv[1]))
    )
    out["index.html"] = _page(
        "mmdgraph: the Rabat Process as a knowledge graph",
        "<p>Who chaired which theme, where and when meetings were held, who sits on the steering committee, "
        "what each meeting produced: every statement with the source that says it and, where the graph has them, "
        "that source's own words.</p>"
        f'<p>Start with the <a href="{L.page("states")}">states</a>, the <a href="{L.page("meetings")}">meetings</a> '
        f'(or their <a href="{L.page("timeline")}">timeline</a>), the <a href="{L.page("frameworks")}">frameworks</a>, the '
        f'<a href="{L.page("sources")}">sources</a>, or <a href="{L.page("search")}">search</a> by name in English or French or by ISO code.</p>'
        f'<h2>Pages</h2><ul class="cols">{counts}</ul>',
        L,
    )

    # States by region.
    regions: dict[str, set[str]] = defaultdict(set)
    for s, r in store.select(_Q_REGION).rows:
        regions[r.value if r is not None else ""].add(s.value)
    parts = []
    for r in sorted(regions, key=lambda r: (r == "", ctx.label(r) if r else "")):
        name = _link(ctx, r, L) if r else "Region not stated"
        lis = "".join(
            f"<li>{_link(ctx, s, L)}"
            + (f' <span lang="fr" class="details">{escape(fr)}</span>' if (fr := ctx.label_in(s, "fr")) else "")
            + "</li>"
            for s in sorted(regions[r], key=lambda s: ctx.label(s).lower())
        )
        parts.append(f'<h2>{name} <span class="count">({len(regions[r])})</span></h2><ul class="cols">{lis}</ul>')
    out["states.html"] = _page(
        "States by region", "<p>A state stands under each region a source groups it in.</p>" + "".join(parts), L
    )

    # Meetings by type, then year.
    by_type: dict[str, list[str]] = defaultdict(list)
    for m in meetings:
        for t in _meeting_types(ctx, m) or [MMD + "Meeting"]:
            by_type[t].append(m)
    parts = []
    for t in sorted(by_type, key=lambda t: ctx.label(t).lower()):
        by_year: dict[str, list[str]] = defaultdict(list)
        for m in by_type[t]:
            by_year[ctx.sort_day(m)[:4]].append(m)
        years = "".join(
            f'<h3>{escape(y if y != "9999" else "date unknown")}</h3><ul class="plain">'
            + "".join(meeting_li(m) for m in ms)
            + "</ul>"
            for y, ms in sorted(by_year.items())
        )
        parts.append(
            f'<h2 id="{escape(t.rsplit("#", 1)[-1])}">{_link(ctx, t, L)} <span class="count">({len(by_type[t])})</span></h2>{years}'
        )
    toc = " · ".join(
        f'<a href="#{escape(t.rsplit("#", 1)[-1])}">{escape(ctx.label(t))}</a>'
        for t in sorted(by_type, key=lambda t: ctx.label(t).lower())
    )
    out["meetings.html"] = _page(
        "Meetings by type and year", f"<p>{len(meetings)} meetings. {toc}</p>" + "".join(parts), L
    )

    # Timeline: meetings by year.
    by_year = defaultdict(list)
    for m in meetings:
        by_year[ctx.sort_day(m)[:4]].append(m)
    all_years = sorted(by_year)
    toc = " ".join(f'<a href="#y{escape(y)}">{escape(y if y != "9999" else "undated")}</a>' for y in all_years)
    body = "".join(
        f'<h2 id="y{escape(y)}">{escape(y if y != "9999" else "Date unknown")} <span class="count">({len(by_year[y])})</span></h2><ul class="plain">'
        + "".join(meeting_li(m) for m in by_year[y])
        + "</ul>"
        for y in all_years
    )
    out["timeline.html"] = _page("Timeline of meetings", f"<p>{toc}</p>{body}", L)

    # Frameworks and concept schemes.
    members: dict[str, set[str]] = defaultdict(set)
    for c, scheme in store.select(_Q_SCHEME).rows:
        members[scheme.value].add(c.value)
    frameworks = sorted(
        (x for x in pages if ctx.is_a(x, MMD + "Framework")), key=lambda f: (ctx.sort_day(f), ctx.label(f))
    )
    others = sorted(
        (x for x in pages if ctx.kind_of(x) == "scheme" and x not in frameworks), key=lambda s: ctx.label(s).lower()
    )

    def scheme_block(s: str) -> str:
        concepts = sorted(members.get(s, ()), key=lambda c: (ctx.notation.get(c, "~"), ctx.label(c).lower()))
        lis = "".join(
            f"<li>{escape(ctx.notation[c]) + ' ' if c in ctx.notation else ''}{_link(ctx, c, L)}</li>" for c in concepts
        )
        date = ctx.date_of(s)
        return f'<h3>{_link(ctx, s, L)} <span class="date">{escape(date)}</span></h3><ul class="plain">{lis}</ul>'

    out["frameworks.html"] = _page(
        "Frameworks and vocabularies",
        "<h2>Strategic frameworks and their parts</h2>"
        + "".join(scheme_block(f) for f in frameworks)
        + "<h2>Other concept schemes</h2>"
        + "".join(scheme_block(s) for s in others),
        L,
    )

    # Sources by type.
    sizes = {g.value: int(n.value) for g, n in store.select(_Q_GRAPH_SIZE).rows}
    by_kind: dict[str, list[str]] = defaultdict(list)
    for x in pages:
        if ctx.kind_of(x) in ("source", "graph"):
            info = ctx.sources.get(x, {})
            by_kind[
                ctx.label(info[_DCT_TYPE])
                if _DCT_TYPE in info
                else ("curator statement" if x.startswith(PREFIXES["cur"]) else "graph")
            ].append(x)
    parts = []
    for k in sorted(by_kind):
        lis = "".join(
            f'<li>{_link(ctx, s, L)} <span class="details">{sizes.get(s, 0)} statements'
            + (
                f' · <a class="addr" href="{escape(ctx.sources[s][_URL])}">address</a>'
                if _URL in ctx.sources.get(s, {})
                else ""
            )
            + "</span></li>"
            for s in sorted(by_kind[k], key=lambda s: ctx.label(s).lower())
        )
        parts.append(f'<h2>{escape(k)} <span class="count">({len(by_kind[k])})</span></h2><ul class="plain">{lis}</ul>')
    out["sources.html"] = _page("Sources", "<p>Each source is the named graph of what it says.</p>" + "".join(parts), L)

    # Everything, by kind.
    parts = []
    for k, xs in sorted(kinds.items(), key=lambda kv: KIND_NAMES.get(kv[0], kv[0])):
        lis = "".join(f"<li>{_link(ctx, x, L)}</li>" for x in sorted(xs, key=lambda x: ctx.label(x).lower()))
        parts.append(
            f'<h2>{escape(KIND_NAMES.get(k, k))} <span class="count">({len(xs)})</span></h2><ul class="cols">{lis}</ul>'
        )
    out["all.html"] = _page("Every page", "".join(parts), L)
    return out


_DCT_TYPE = "http://purl.org/dc/terms/type"
_URL = SCHEMA + "url"


def search_page(index: dict[str, Any], mode: str = "static") -> str:
    """The search page, its index inline; results link to ``<h>`` relative to the site root
    (in ``server`` mode, ``/<h>``)."""
    data = json.dumps(index, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    body = (
        '<div class="searchbox"><input id="q" type="search" autofocus placeholder="Sénégal, SEN, Rome, thematic…" aria-label="Search"></div>'
        '<p id="status" class="sub"></p><ul id="results" class="plain"></ul>'
        f'<script type="application/json" id="search-index">{data}</script>'
        f"<script>\n{template('search.js')}</script>"
    )
    if mode == "server":
        body = body.replace("a.href = h[1].h;", 'a.href = "/" + h[1].h;')
    return _page("Search", body, Links("index", mode))


# --- RDF beside each page ----------------------------------------------------------------------


def rdf_files(quads: list[ox.Quad], subject: ox.NamedNode | None) -> dict[str, bytes]:
    """Turtle (the entity's statements, union of its sources; with ``subject`` None, all the
    quads' statements), TriG and JSON-LD (in the graphs of their sources)."""
    triples = list(dict.fromkeys(q.triple for q in quads if subject is None or q.subject == subject))
    quads = sorted(set(quads), key=lambda q: (graph_iri(q), str(q.subject), str(q.predicate), str(q.object)))
    return {
        "ttl": rdf_bytes(triples, ox.RdfFormat.TURTLE, PREFIXES),
        "trig": rdf_bytes(quads, ox.RdfFormat.TRIG, PREFIXES),
        "jsonld": rdf_bytes(quads, ox.RdfFormat.JSON_LD),
    }


def htaccess(host: str = DEFAULT_HOST) -> str:
    """Apache rules for w3id.org (``mmdgraph/.htaccess`` in perma-id/w3id.org): each minted
    IRI redirects (303) to its file on the static host, chosen by the Accept header."""
    host = host.rstrip("/")
    pattern = r"^(id|source|vocab|curation|graph)/([A-Za-z0-9_.-]+)$"
    lines = [
        "# w3id.org/mmdgraph: redirects to the static site. Generated by mmdgraph.browse.static.",
        "Options +FollowSymLinks",
        "RewriteEngine on",
        "",
    ]
    for accept, ext in ((r"text/turtle", "ttl"), (r"application/ld\+json", "jsonld"), (r"application/trig", "trig")):
        lines += [
            f"RewriteCond %{{HTTP_ACCEPT}} {accept}",
            f"RewriteRule {pattern} {host}/$1/$2.{ext} [R=303,L]",
            f"RewriteCond %{{HTTP_ACCEPT}} {accept}",
            f"RewriteRule ^ontology$ {host}/ontology.ttl [R=303,L]",
        ]
    lines += [
        "",
        "# Explicit extensions: the file itself.",
        rf"RewriteRule ^(id|source|vocab|curation|graph)/([A-Za-z0-9_.-]+)\.(html|ttl|trig|jsonld)$ {host}/$1/$2.$3 [R=302,L]",
        "",
        "# Everything else, and browsers: the HTML page.",
        f"RewriteRule {pattern} {host}/$1/$2.html [R=303,L]",
        f"RewriteRule ^ontology$ {host}/ontology.html [R=303,L]",
        f"RewriteRule ^ontology/(class|property)/([A-Za-z0-9_.-]+)$ {host}/ontology/$1/$2.html [R=303,L]",
        f"RewriteRule ^$ {host}/index.html [R=303,L]",
        "",
    ]
    return "\n".join(lines)


# --- the site ------------------------------------------------------------------------------------


def site(out_dir: Path | str, store: Store | None = None, *, host: str = DEFAULT_HOST) -> dict[str, Any]:
    """Write the whole static site to ``out_dir`` (replaced atomically: written to a
    temporary folder beside it, then renamed). Returns counts and the time taken."""
    from ..loading import open_store

    t0 = time.perf_counter()
    st = open_store(store)
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        counts = _in_one_sandbox(st, lambda inner: _write(tmp, inner, host))
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            os.rename(out_dir, old / "site")
            os.rename(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    counts["seconds"] = round(time.perf_counter() - t0, 2)
    return counts


class _SandboxedEmbedded:
    """The embedded store's queries, run in the calling thread: for use only inside
    :func:`mmdgraph.safety.run_sandboxed`, whose thread cannot open network connections.
    (The embedded store's own ``select`` starts one sandboxed thread per query: 2,500
    threads for the site, a third of its time.)"""

    name = "embedded"

    def __init__(self, store: EmbeddedStore) -> None:
        self._store = store

    def select(self, query: str, bindings: Mapping[str, object] | None = None) -> Result:
        return self._store._select(query, {ox.Variable(k): v for k, v in (bindings or {}).items()})


def _in_one_sandbox(st: Store, fn: Callable[[Selects], _T]) -> _T:
    """``fn(store)``: for the embedded store, every query of the site in one sandboxed
    thread; for other stores (rdflib, an endpoint), ``fn(st)`` as it is."""
    from ..safety import run_sandboxed, sandbox_available
    from ..store import EmbeddedStore

    if isinstance(st, EmbeddedStore) and hasattr(st, "_select") and sandbox_available():
        return run_sandboxed(fn, _SandboxedEmbedded(st))
    return fn(st)


def _write(root: Path, st: Selects, host: str) -> dict[str, Any]:
    os.chmod(root, 0o755)  # mkdtemp makes it private; a site is for publishing
    clock = {"context": 0.0, "entities": 0.0, "html": 0.0, "rdf": 0.0, "write": 0.0, "indexes": 0.0}
    t = time.perf_counter()
    context(st)
    pages = site_entities(st)
    clock["context"] = time.perf_counter() - t
    written: list[str] = []
    nfiles = 0
    folders: set[Path] = set()
    for iri in pages:
        t0 = time.perf_counter()
        try:
            e, quads = build_entity(iri, st)
        except EntityNotFound:
            continue
        t1 = time.perf_counter()
        path = e["path"]
        html = render_entity(e, Links(path))
        t2 = time.perf_counter()
        if iri == ONTOLOGY_IRI:  # ontology.ttl: the whole ontology graph
            files = {"ttl": rdf_files([q for q in quads if graph_iri(q) == ONTOLOGY_GRAPH], None)["ttl"]}
        else:
            files = rdf_files(quads, ox.NamedNode(iri))
        t3 = time.perf_counter()
        target = root / (path + ".html")
        if target.parent not in folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            folders.add(target.parent)
        target.write_text(html, encoding="utf-8")
        for ext, data in files.items():
            (root / f"{path}.{ext}").write_bytes(data)
        nfiles += 1 + len(files)
        t4 = time.perf_counter()
        clock["entities"] += t1 - t0
        clock["html"] += t2 - t1
        clock["rdf"] += t3 - t2
        clock["write"] += t4 - t3
        written.append(iri)
    t = time.perf_counter()
    indexes = index_pages(st, written)
    index_names = list(indexes)
    for name, html in indexes.items():
        (root / name).write_text(html, encoding="utf-8")
    index = search_index(st, written)
    (root / "search-index.json").write_text(json.dumps(index, ensure_ascii=False, indent=0), encoding="utf-8")
    (root / "search.html").write_text(search_page(index), encoding="utf-8")
    (root / ".htaccess").write_text(htaccess(host), encoding="utf-8")
    (root / ".nojekyll").write_text("", encoding="utf-8")
    clock["indexes"] = time.perf_counter() - t
    return {
        "entities": len(written),
        "files": nfiles + len(index_names) + 4,
        "timings": {k: round(v, 2) for k, v in clock.items()},
    }
