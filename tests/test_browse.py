"""Browse the graph (issue #11): entity pages, indexes, search and the static site."""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

import pyoxigraph as ox
import pytest

from mmdgraph.browse import (
    EntityNotFound,
    entity,
    entity_page,
    search,
    search_index,
    site,
)
from mmdgraph.browse.data import page_path
from mmdgraph.browse.render import Links
from mmdgraph.namespaces import ID, MMD, SCHEMA, SRC

FRA = ID + "FRA"
SEN = ID + "SEN"


class Page(HTMLParser):
    """Links, assets and the title of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs, self.assets, self.titles, self._in_title = [], [], [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag == "link" and a.get("href"):
            (self.hrefs if a.get("rel") == "alternate" else self.assets).append(a["href"])
        for attr in ("src", "srcset", "data", "poster"):
            if a.get(attr):
                self.assets.append(a[attr])
        if tag == "form" and a.get("action"):
            self.hrefs.append(a["action"])
        if tag == "title":
            self._in_title = True
            self.titles.append("")

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.titles[-1] += data


def parse(html: str) -> Page:
    p = Page()
    p.feed(html)
    p.close()
    return p


def text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def built(store, tmp_path_factory):
    out = tmp_path_factory.mktemp("browse") / "site"
    counts = site(out, store)
    return out, counts


# --- entity pages ---------------------------------------------------------------------------------


def test_france_lists_the_meetings_it_chaired_with_sources_and_quotes(store):
    e = entity("id:FRA", store)
    assert e["kind"] == "state" and e["label"] == "France"
    chaired = {g["title"]: g for g in e["incoming"]}["Meetings chaired"]
    expected = {
        r[0].value
        for r in store.select(f"SELECT ?m ?s WHERE {{ ?m <{MMD}chairedBy> ?s }}", {"s": ox.NamedNode(FRA)}).rows
    }
    assert {i["node"]["iri"] for i in chaired["items"]} == expected and expected
    for item in chaired["items"]:
        assert item["sources"], item["node"]["iri"]
        for s in item["sources"]:  # each source is a graph that states the link
            q = f"ASK {{ GRAPH <{s['iri']}> {{ <{item['node']['iri']}> <{MMD}chairedBy> <{FRA}> }} }}"
            assert store.ox.query(q)
    # The flyer says France chairs the 2018 thematic meeting on root causes, in its own words.
    root_causes = next(i for i in chaired["items"] if i["node"]["iri"] == ID + "tm-2018-paris-root-causes")
    flyer = next(s for s in root_causes["sources"] if s["iri"] == SRC + "flyer-activities-2015-2017")
    assert any("chaired by France" in q["text"] for q in flyer["quotes"])

    html = entity_page("id:FRA", store)
    body = text(html)
    assert "Meetings chaired" in body and "Meetings co-chaired" in body and "Meetings hosted" in body
    assert "Thematic meeting on the root causes of irregular migration" in body
    assert "(chaired by France, co-chaired by Senegal)" in body  # the flyer's words
    assert 'href="../source/flyer-activities-2015-2017.html"' in html
    # Property labels, never raw property IRIs, head the facts.
    assert "ISO 3166-1 alpha-3 code" in body and "org#member" not in body


def test_state_page_shows_french_names_codes_links_memberships(store):
    html = entity_page("id:SEN", store)
    body = text(html)
    assert "Sénégal" in body
    assert "SEN" in body and "SN" in body
    assert "http://publications.europa.eu/resource/authority/country/SEN" in html
    assert "Memberships and chairmanships" in body
    assert parse(html).titles == ["Senegal (State) · mmdgraph"]


def test_meeting_with_a_claim_shows_both_claims_and_their_sources(store):
    e = entity("id:mc-2008-paris", store)
    assert e["kind"] == "meeting"
    start = [c for c in e["claims"] if c["property"]["iri"] == SCHEMA + "startDate"]
    assert start
    claim = next(c for c in start if c["claimed"][0]["value"]["value"] == "2008-11-24")
    assert [v["value"]["value"] for v in claim["accepted"]] == ["2008-11-25"]
    assert claim["accepted"][0]["sources"] and claim["claimed"][0]["sources"]
    assert claim["claimed"][0]["sources"][0]["iri"] == SRC + "bdpmodwoam-paris-2008"
    body = text(entity_page("id:mc-2008-paris", store))
    section = body[body.index("Where sources disagree") :]
    assert "25 November 2008" in section and "24 November 2008" in section
    for src in (claim["accepted"][0]["sources"][0], claim["claimed"][0]["sources"][0]):
        assert src["label"] in section
    # Known gaps of the meeting (host and chair not documented).
    assert {g["gap"]["iri"] for g in e["gaps"]} >= {ID + "gap-mc-2008-paris-host", ID + "gap-mc-2008-paris-chair"}
    assert "Known gaps" in body


def test_meeting_page_date_precision_place_and_outputs(store):
    e = entity("id:mc-2014-rome", store)
    props = {f["property"]["iri"]: f for f in e["facts"]}
    assert SCHEMA + "location" in props and MMD + "status" in props
    assert re.fullmatch(r"\d{1,2}(–\d{1,2})? \w+ 2014|\d{1,2} \w+ 2014 – .*", e["date"]), e["date"]
    body = text(entity_page("id:mc-2014-rome", store))
    assert "Rome" in body


def test_source_page_shows_address_and_what_it_says(store):
    e = entity(SRC + "flyer-activities-2015-2017", store)
    assert e["kind"] == "source"
    says = {r["node"]["iri"]: r for r in e["says"]}
    assert ID + "tm-2018-paris-root-causes" in says
    assert any("chaired by France" in q["text"] for q in says[ID + "tm-2018-paris-root-causes"]["quotes"])
    e = entity(SRC + "rp-about-partners", store)
    url = [v for f in e["facts"] if f["property"]["iri"] == SCHEMA + "url" for v in f["values"]]
    assert url[0]["value"]["iri"] == "https://www.rabat-process.org/en/about/partners"


def test_concept_and_ontology_term_pages(store):
    e = entity("voc:role-chair", store)
    assert e["kind"] == "concept"
    assert any(f["property"]["label"] == "in scheme" for f in e["facts"])
    assert any(g["title"] == "Memberships with this role" for g in e["incoming"])
    e = entity("mmd:chairedBy", store)
    n = store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{MMD}chairedBy> ?o }}").rows[0][0]
    assert e["kind"] == "property" and e["uses"] == int(n.value) > 0 and e["path"] == "ontology/property/chairedBy"
    assert entity("mmd:Theme", store)["path"] == "ontology/class/Theme"


def test_unknown_iri_is_not_found_and_text_is_escaped(store):
    with pytest.raises(EntityNotFound):
        entity("id:no-such-thing", store)
    html = entity_page("id:FRA", store)
    assert "<script" not in html  # entity pages need no script
    # Every quote is escaped: a quote with quotes or ampersands never breaks the markup.
    assert parse(html).titles


def test_server_links_are_root_relative():
    assert Links("id/FRA", mode="server").page("source/x") == "/source/x"
    assert Links("id/FRA").page("id/SEN") == "SEN.html"
    assert Links("ontology/class/Theme").page("id/FRA") == "../../id/FRA.html"


# --- search --------------------------------------------------------------------------------------


def test_search_finds_senegal_by_french_name_and_code(store):
    index = search_index(store)
    for q in ("Sénégal", "SEN", "senegal", "SN"):
        hits = search(q, index)
        assert hits and hits[0]["h"] == "id/SEN.html", (q, hits[:3])
    assert search("Côte d'Ivoire", index)[0]["h"] == "id/CIV.html"


# --- the static site ---------------------------------------------------------------------------


def test_site_layout_and_rdf_files(built, store):
    out, counts = built
    assert counts["entities"] > 1000
    for name in (
        "index.html",
        "states.html",
        "meetings.html",
        "timeline.html",
        "frameworks.html",
        "sources.html",
        "all.html",
        "search.html",
        "search-index.json",
        "ontology.html",
        "ontology.ttl",
        ".htaccess",
    ):
        assert (out / name).is_file(), name
    for ext in ("html", "ttl", "trig", "jsonld"):
        assert (out / f"id/FRA.{ext}").is_file()
    quads = ox.parse(path=str(out / "id/FRA.trig"))
    graphs = {q.graph_name.value for q in quads}
    assert SRC + "iso-3166-1" in graphs and SRC + "iso-3166-1-fr" in graphs
    jl = json.loads((out / "id/FRA.jsonld").read_text())
    assert "@context" not in json.dumps(jl)  # self-contained: no remote context
    assert len(list(ox.parse(path=str(out / "id/FRA.jsonld")))) == len(list(ox.parse(path=str(out / "id/FRA.trig"))))
    ttl = list(ox.parse(path=str(out / "id/FRA.ttl")))
    assert all(t.subject.value == FRA for t in ttl)
    # The search page carries its index inline (fetch() is refused on file://).
    idx = json.loads((out / "search-index.json").read_text())
    assert any(e["h"] == "id/SEN.html" and "Sénégal" in e["k"] and "SEN" in e["k"] for e in idx["entries"])
    assert '"h":"id/SEN.html"' in (out / "search.html").read_text()
    htaccess = (out / ".htaccess").read_text()
    assert "RewriteEngine on" in htaccess and "R=303" in htaccess and "text/turtle" in htaccess


def test_every_internal_link_resolves_and_nothing_is_fetched_from_elsewhere(built, store):
    out, _ = built
    allowed = {
        t.value
        for q in store.quads()
        for t in (q.subject, q.predicate, q.object, q.graph_name)
        if isinstance(t, ox.NamedNode)
    }
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 1000
    broken, foreign, assets, untitled = [], [], [], []
    for page in pages:
        html = page.read_text(encoding="utf-8")
        p = parse(html)
        if not p.titles or not p.titles[0].strip():
            untitled.append(page)
        for a in p.assets:  # no stylesheet, script, image or frame from anywhere
            assets.append((page, a))
        for href in p.hrefs:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https"):
                if href not in allowed:
                    foreign.append((page, href))
                continue
            assert not parts.scheme and not href.startswith("/"), (page, href)  # relative links only
            if not parts.path:
                continue  # a fragment of the page itself
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.is_file() or out.resolve() not in target.parents:
                broken.append((page.relative_to(out), href))
    assert not broken, broken[:10]
    assert not foreign, foreign[:10]
    assert not assets, assets[:10]
    assert not untitled, untitled[:10]
    # Scripts are inline (the search page only).
    scripted = [p for p in pages if "<script" in p.read_text(encoding="utf-8")]
    assert [p.name for p in scripted] == ["search.html"]


def test_site_replaces_the_folder_atomically(store, tmp_path, monkeypatch):
    from mmdgraph.browse import static as site_module

    def fake_write(root, st, host):
        (root / "index.html").write_text("new")
        return {"entities": 0, "files": 1}

    monkeypatch.setattr(site_module, "_write", fake_write)
    out = tmp_path / "site"
    out.mkdir()
    (out / "stale.html").write_text("old")
    site(out, store)
    assert not (out / "stale.html").exists() and (out / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # no temporary folder left

    def failing_write(root, st, host):
        (root / "half.html").write_text("half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(site_module, "_write", failing_write)
    with pytest.raises(RuntimeError):
        site(out, store)
    assert (out / "index.html").read_text() == "new" and not (out / "half.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_page_paths_mirror_the_iris():
    assert page_path(ID + "FRA") == "id/FRA"
    assert page_path(SRC + "flyer") == "source/flyer"
    assert page_path("https://w3id.org/mmdgraph/vocab/role-chair") == "vocab/role-chair"
    assert page_path("https://w3id.org/mmdgraph/ontology") == "ontology"
    assert page_path("http://example.org/x") is None


@pytest.mark.parametrize("iri", ["id:FRA", "id:mc-2008-paris", "src:flyer-activities-2015-2017"])
def test_pages_are_the_same_on_rdflib(store, ref_store, iri):
    """Any store: the reference engine gives the same page data, line for line."""
    assert json.dumps(entity(iri, ref_store), sort_keys=True) == json.dumps(entity(iri, store), sort_keys=True)


def test_routes_for_serve(store):
    from mmdgraph.browse.routes import negotiate, respond

    r = respond("/id/FRA", accept="text/html", store=store)
    assert r.status == 200 and r.media_type.startswith("text/html") and r.headers["Vary"] == "Accept"
    html = r.body.decode()
    assert 'href="/source/flyer-activities-2015-2017"' in html and 'href="/id/FRA.ttl"' in html
    ttl = respond("/id/FRA", accept="text/turtle", store=store)
    assert ttl.media_type.startswith("text/turtle") and len(list(ox.parse(ttl.body, format=ox.RdfFormat.TURTLE))) > 5
    assert respond("/id/FRA.trig", store=store).media_type.startswith("application/trig")
    assert respond("/id/FRA", fmt="jsonld", store=store).media_type == "application/ld+json"
    assert respond("/id/FRA", accept="image/png", store=store).status == 406
    assert respond("/id/nope", store=store).status == 404
    assert respond("/id/../etc/passwd", store=store).status == 404
    assert respond("/ontology/class/Theme", store=store).status == 200
    assert respond("/ontology", accept="text/turtle", store=store).status == 200
    for page in (
        "/",
        "/states",
        "/meetings",
        "/timeline",
        "/frameworks",
        "/sources",
        "/all",
        "/search",
        "/search-index.json",
    ):
        assert respond(page, store=store).status == 200, page
    assert 'href="/id/SEN"' in respond("/states", store=store).body.decode()
    assert negotiate("application/trig;q=0.5, text/turtle;q=0.8") == "ttl"


def test_site_queries_run_in_the_sandbox(store):
    """site() runs the embedded store's queries in one thread; that thread cannot open a socket."""
    import socket

    from mmdgraph.browse.static import _in_one_sandbox
    from mmdgraph.safety import sandbox_available

    if not sandbox_available():
        pytest.skip("no seccomp sandbox on this system")

    def try_network(st):
        assert len(st.select("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"))
        with pytest.raises(OSError):
            socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        return "ok"

    assert _in_one_sandbox(store, try_network) == "ok"
