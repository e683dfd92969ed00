"""Entity pages as HTML: self-contained (inline CSS, no script, no remote asset), every text
escaped, every line with the sources that say it and their quotes.

Links are relative to the page's own place in the static site (``id/FRA.html`` links to
``../source/x.html``), so the pages work from ``file://`` and from any static host; a
:class:`Links` in ``server`` mode writes root-relative links without extensions
(``/source/x``) for ``mmdgraph serve``.

>>> html = entity_page("id:SEN")
>>> "Sénégal" in html and "<title>Senegal" in html
True
"""

from __future__ import annotations

import functools
import posixpath
from html import escape
from importlib import resources
from string import Template

from .data import Selects, build_entity, context

#: How many quotes a source shows before the rest fold away.
QUOTES_SHOWN = 2

KIND_NAMES = {
    "state": "State",
    "meeting": "Meeting",
    "source": "Source",
    "membership": "Membership",
    "claim": "Claim",
    "figure": "Reported figure",
    "gap": "Known gap",
    "framework": "Framework",
    "document": "Document",
    "scheme": "Concept scheme",
    "concept": "Concept",
    "organisation": "Organisation",
    "dialogue": "Dialogue",
    "city": "City",
    "class": "Class",
    "property": "Property",
    "graph": "Graph",
    "ontology": "Ontology",
    "correction": "Text correction",
    "project": "Project",
    "entity": "Entity",
}


@functools.cache
def template(name: str) -> str:
    """A package data file of ``mmdgraph/browse/templates``."""
    return resources.files(__package__).joinpath("templates", name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=65536)
def _relative(path: str, here_dir: str) -> str:
    """``path`` (from the site root) as seen from the folder ``here_dir``."""
    return posixpath.relpath(path, here_dir or ".")


class Links:
    """Turns site paths (``id/FRA``) into hrefs from the page at ``here``.

    ``static`` (default): relative links with ``.html``, as the static site is written.
    ``server``: root-relative links without extension, as ``mmdgraph serve`` routes them.

    >>> Links("id/FRA").page("source/flyer")
    '../source/flyer.html'
    >>> Links("id/FRA", mode="server").page("source/flyer")
    '/source/flyer'
    """

    def __init__(self, here: str | None, mode: str = "static"):
        if mode not in ("static", "server"):
            raise ValueError("mode is 'static' or 'server'")
        self.here = here or "index"
        self.mode = mode
        #: The (source, quotes) a page has shown in full; later lines fold them.
        self.seen: set = set()

    def file(self, path: str) -> str:
        """A file of the site (``search.html``, ``id/FRA.ttl``) from this page."""
        if self.mode == "server":
            return "/" + path
        return _relative(path, posixpath.dirname(self.here))

    def page(self, path: str) -> str:
        if self.mode == "server":
            return "/" + (path if path != "index" else "")
        return self.file(path + ".html")

    @property
    def root(self) -> str:
        if self.mode == "server":
            return "/"
        depth = self.here.count("/")
        return "../" * depth

    def data(self, path: str, ext: str) -> str:
        return self.file(f"{path}.{ext}")


def layout(title: str, body: str, links: Links, head: str = "", footer: str = "") -> str:
    """A whole page: the layout template with the inline stylesheet."""
    nav = {
        name: escape(links.page(name))
        for name in ("states", "meetings", "timeline", "frameworks", "sources", "all", "ontology", "search")
    }
    return Template(template("page.html")).substitute(
        title=escape(title),
        head=head,
        css=template("style.css"),
        body=body,
        footer=footer,
        home=escape(links.page("index")),
        **nav,
    )


# --- pieces ---------------------------------------------------------------------------------


def term(v: dict, links: Links) -> str:
    """A value: a link for an IRI (its page, or the IRI itself when the graph does not mint
    it), the display form of a literal with its language."""
    if "iri" in v:
        label = escape(v["label"])
        if v.get("path"):
            html = f'<a href="{escape(links.page(v["path"]))}" title="{escape(v["curie"])}">{label}</a>'
        elif v["iri"].startswith(("http://", "https://")):
            html = f'<a class="ext" href="{escape(v["iri"])}">{label}</a>'
        else:
            html = label
        if v.get("per"):
            html += ' <span class="details">(per ' + ", ".join(term(p, links) for p in v["per"]) + ")</span>"
        return html
    html = escape(v.get("display") or v.get("value", ""))
    if v.get("lang"):
        html = f'<span lang="{escape(v["lang"])}">{html}</span><span class="lang">{escape(v["lang"])}</span>'
    return html


def quotes_html(quotes: list[dict]) -> str:
    parts = [f'<blockquote lang="{escape(q["lang"] or "und")}">{escape(q["text"])}</blockquote>' for q in quotes]
    if len(parts) <= QUOTES_SHOWN + 1:
        return "".join(parts)
    shown, rest = parts[:QUOTES_SHOWN], parts[QUOTES_SHOWN:]
    return "".join(shown) + f"<details><summary>{len(rest)} more quotes</summary>{''.join(rest)}</details>"


def source_html(s: dict, links: Links) -> str:
    """One source of a line: its page, its address, and its words."""
    html = f'<span class="said">per</span> {term(s, links)}'
    if s.get("type"):
        html += f' <span class="badge">{escape(s["type"])}</span>'
    if s.get("url"):
        html += f' <a class="addr" href="{escape(s["url"])}">address</a>'
    quotes = s.get("quotes") or []
    key = (s["iri"], tuple(q["text"] for q in quotes))
    if quotes and key in links.seen:  # shown in full above: fold it, still on this line
        word = "quote" if len(quotes) == 1 else f"{len(quotes)} quotes"
        inner = "".join(
            f'<blockquote lang="{escape(q["lang"] or "und")}">{escape(q["text"])}</blockquote>' for q in quotes
        )
        return f'<div class="src">{html}<details><summary>{word}</summary>{inner}</details></div>'
    links.seen.add(key)
    return f'<div class="src">{html}{quotes_html(quotes)}</div>'


def sources_html(sources: list[dict], links: Links) -> str:
    return "".join(source_html(s, links) for s in sources)


def details_html(details: list[dict], links: Links) -> str:
    if not details:
        return ""
    parts = []
    for d in details:
        values = ", ".join(term(v, links) for v in d["values"])
        parts.append(f'<span class="k">{escape(d["property"]["label"])}</span>: {values}')
    return '<div class="details">' + "; ".join(parts) + "</div>"


def facts_html(facts: list[dict], links: Links) -> str:
    rows = []
    for f in facts:
        values = "".join(f"<li>{term(v['value'], links)}{sources_html(v['sources'], links)}</li>" for v in f["values"])
        rows.append(
            f'<tr><th scope="row">{term(f["property"], links)}</th><td><ul class="values">{values}</ul></td></tr>'
        )
    return '<table class="facts">' + "".join(rows) + "</table>" if rows else ""


def items_html(items: list[dict], links: Links) -> str:
    lis = []
    for i in items:
        date = f'<span class="date">{escape(i["date"])}</span>' if i.get("date") else ""
        lis.append(
            f"<li>{date}{term(i['node'], links)}{details_html(i['details'], links)}{sources_html(i['sources'], links)}</li>"
        )
    return '<ul class="items">' + "".join(lis) + "</ul>"


def claims_html(claims: list[dict], links: Links) -> str:
    if not claims:
        return ""
    out = ['<h2 id="claims">Where sources disagree <span class="count">(' + str(len(claims)) + ")</span></h2>"]
    for c in claims:
        prop = escape(c["property"].get("label", ""))
        accepted = "".join(
            f"<li>{term(v['value'], links)}{sources_html(v['sources'], links)}</li>" for v in c["accepted"]
        )
        claimed = "".join(
            f"<li>{term(v['value'], links)}{sources_html(v['sources'], links)}</li>" for v in c["claimed"]
        )
        status = ", ".join(term(s, links) for s in c["status"])
        comment = "".join(f"<p>{escape(t)}</p>" for t in c["comment"])
        out.append(
            f'<div class="claim"><div class="verdict">{prop}</div>'
            f'<div>The graph accepts:</div><ul class="values">{accepted or "<li>no value (the graph states none)</li>"}</ul>'
            f'<div>Another source claims ({status or "claim"}; {term(c["claim"], links)}):</div><ul class="values">{claimed}</ul>'
            f"{comment}</div>"
        )
    return "".join(out)


def gaps_html(gaps: list[dict], links: Links) -> str:
    if not gaps:
        return ""
    out = ['<h2 id="gaps">Known gaps <span class="count">(' + str(len(gaps)) + ")</span></h2>"]
    for g in gaps:
        props = ", ".join(term(p, links) for p in g["property"])
        comment = "".join(f"<p>{escape(t)}</p>" for t in g["comment"])
        out.append(
            f'<div class="gap"><div>Unknown: <strong>{props}</strong> ({term(g["gap"], links)})</div>{comment}{sources_html(g["sources"], links)}</div>'
        )
    return "".join(out)


def says_html(says: list[dict], links: Links) -> str:
    out = [f'<h2 id="says">What it says <span class="count">({len(says)} entities)</span></h2><ul class="items">']
    for rec in says:
        facts = "; ".join(
            f'<span class="k">{escape(f["property"]["label"])}</span>: '
            + ", ".join(term(v, links) for v in f["values"])
            for f in rec["facts"]
        )
        out.append(f'<li>{term(rec["node"], links)}{quotes_html(rec["quotes"])}<div class="details">{facts}</div></li>')
    return "".join(out) + "</ul>"


# --- the page ---------------------------------------------------------------------------------


FORMATS = (
    ("ttl", "text/turtle", "Turtle"),
    ("trig", "application/trig", "TriG (with sources)"),
    ("jsonld", "application/ld+json", "JSON-LD"),
)


def render_entity(e: dict, links: Links) -> str:
    """The HTML page of an :func:`~mmdgraph.browse.data.entity` dict."""
    kind = KIND_NAMES.get(e["kind"], "Entity")
    types = ", ".join(
        term(t, links) for t in e["types"] if t["iri"].startswith("https://w3id.org/mmdgraph/")
    ) or escape(kind)
    body = [f"<h1>{escape(e['label'])}</h1>"]
    sub = [types]
    if e.get("date"):
        sub.append(f'<span class="date">{escape(e["date"])}</span>')
    body.append('<p class="sub">' + " · ".join(sub) + "</p>")
    names = []
    if e.get("label_fr") and e["label_fr"] != e["label"]:
        names.append(f'<span lang="fr">{escape(e["label_fr"])}</span><span class="lang">fr</span>')
    names += [f'<span lang="{escape(a["lang"] or "und")}">{escape(a["value"])}</span>' for a in e.get("alt_labels", [])]
    if names:
        body.append('<p class="sub">Also: ' + ", ".join(names) + "</p>")
    body.append(f'<p class="iri">{escape(e["iri"])}</p>')
    head = ""
    if e.get("path") and e["kind"] != "ontology":
        fmts = " ".join(
            f'<a href="{escape(links.data(e["path"], ext))}" type="{mt}">{name}</a>' for ext, mt, name in FORMATS
        )
        body.append(f'<p class="formats">Data: {fmts}</p>')
        head = "".join(
            f'<link rel="alternate" type="{mt}" href="{escape(links.data(e["path"], ext))}">\n'
            for ext, mt, _ in FORMATS
        )
    if e.get("uses") is not None:
        body.append(f"<p>Used in {e['uses']} statements of the graph.</p>")
    if e["facts"]:
        body.append('<h2 id="facts">What the sources say</h2>' + facts_html(e["facts"], links))
    body.append(claims_html(e["claims"], links))
    body.append(gaps_html(e["gaps"], links))
    skip = {"Where sources disagree"} if e["claims"] else set()
    for g in e["incoming"]:
        if g["title"] in skip:
            continue
        if (
            g["title"] == "Known gaps and text corrections"
            and e["gaps"]
            and all(i["kind"] == "gap" for i in g["items"])
        ):
            continue
        anchor = escape(g["property"]["curie"].replace(":", "-"))
        body.append(
            f'<h2 id="in-{anchor}">{escape(g["title"])} <span class="count">({len(g["items"])})</span></h2>'
            + items_html(g["items"], links)
        )
    if e.get("says") is not None:
        body.append(says_html(e["says"], links))
    if e.get("terms"):
        body.append(
            '<h2>Terms</h2><ul class="cols">'
            + "".join(f'<li id="{escape(t["iri"].rsplit("#", 1)[-1])}">{term(t, links)}</li>' for t in e["terms"])
            + "</ul>"
        )
    if e["quotes"]:
        body.append('<h2 id="quotes">In the sources\' own words</h2>')
        body.append("".join(f"<div>{term(q['source'], links)}{quotes_html(q['quotes'])}</div>" for q in e["quotes"]))
    title = f"{e['label']} ({kind}) · mmdgraph"
    return layout(title, "\n".join(b for b in body if b), links, head=head)


def entity_page(iri: str, store: Selects | None = None, *, mode: str = "static") -> str:
    """The HTML page of ``iri`` (full IRI or ``id:FRA``). ``mode="static"`` gives the page as
    the static site holds it (relative links); ``mode="server"`` root-relative links for
    ``mmdgraph serve``. Raises :class:`~mmdgraph.browse.data.EntityNotFound`."""
    e, _ = build_entity(iri, store)
    return render_entity(e, Links(e["path"], mode))


__all__ = ["Links", "context", "entity_page", "layout", "render_entity", "template"]
