"""The real ``mmdgraph serve`` process: canned queries answered, writes and remote fetches
refused, a runaway query stopped at the deadline while other clients are answered, a
result cap, no CORS unless asked, and a short load smoke test."""

import importlib.util
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT
from servers import Serve

import mmdgraph
from mmdgraph.endpoint import EndpointStore
from mmdgraph.errors import EndpointError
from mmdgraph.publish import publish
from mmdgraph.queries import catalogue

pytestmark = pytest.mark.server

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


@pytest.fixture(scope="module")
def serve():
    srv = Serve("--timeout", "2", "--max-rows", "500")
    try:
        yield srv
    finally:
        srv.stop()


def request(url: str, data: dict | bytes | None = None, *, method: str | None = None, headers: dict | None = None):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    if isinstance(data, dict):
        data = urllib.parse.urlencode(data).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def count(serve) -> bytes:
    return request(serve.url, {"query": COUNT}, headers={"Accept": "text/csv"})[2]


# --- answers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [q.name for q in catalogue()])
def test_answers_every_canned_query(name, serve, store):
    q = next(q for q in catalogue() if q.name == name)
    got = mmdgraph.query(name, q.example, store=EndpointStore(serve.url, dataset=None))
    assert got.to_tsv() == mmdgraph.query(name, q.example, store=store).to_tsv()


def test_result_formats(serve):
    select = "SELECT ?d ?l WHERE { ?d a <https://w3id.org/mmdgraph/ontology#Dialogue> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?d ?l"
    answers = {}
    for accept in (
        "application/sparql-results+json",
        "text/csv",
        "text/tab-separated-values",
        "application/sparql-results+xml",
    ):
        status, headers, body = request(serve.url, {"query": select}, headers={"Accept": accept})
        assert status == 200 and headers["Content-Type"].startswith(accept)
        answers[accept] = body.decode()
    rows = json.loads(answers["application/sparql-results+json"])["results"]["bindings"]
    assert rows and len(answers["text/csv"].strip().splitlines()) == len(rows) + 1
    assert answers["application/sparql-results+xml"].count("<result>") == len(rows)
    status, headers, body = request(serve.url + "?" + urllib.parse.urlencode({"query": select, "format": "tsv"}))
    assert status == 200 and body.decode() == answers["text/tab-separated-values"]
    construct = "CONSTRUCT WHERE { ?d a <https://w3id.org/mmdgraph/ontology#Dialogue> }"
    for accept, fmt in (("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES)):
        status, headers, body = request(serve.url, {"query": construct}, headers={"Accept": accept})
        assert status == 200 and headers["Content-Type"].startswith(accept)
        assert len(list(ox.parse(body, format=fmt))) == len({r["d"]["value"] for r in rows})
    status, _, body = request(
        serve.url, {"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/sparql-results+json"}
    )
    assert status == 200 and json.loads(body)["boolean"] is True


def test_examples_page_lists_and_runs_the_canned_queries(serve):
    status, headers, body = request(serve.base + "/")
    page = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    import html

    for q in catalogue():
        assert html.escape(q.title) in page
    link = html.unescape(re.search(r'href="(query\?[^"]+format=csv)"', page).group(1))
    status, headers, body = request(serve.base + "/" + link)
    assert status == 200 and headers["Content-Type"].startswith("text/csv") and len(body.splitlines()) > 1


def test_bad_requests(serve):
    assert request(serve.url, {"nothing": "x"})[0] == 400
    assert request(serve.url, {"query": "SELECT * WHERE { ?s ?p "})[0] == 400
    assert request(serve.url + "?format=pdf&query=ASK%7B%7D")[0] == 406
    assert request(serve.base + "/elsewhere")[0] == 404


# --- refusals ---------------------------------------------------------------------------------------


def test_refuses_updates(serve):
    before = count(serve)
    attempts = [
        request(serve.url, {"update": "DROP ALL"}),
        request(serve.url, b"DROP ALL", headers={"Content-Type": "application/sparql-update"}),
        request(serve.url, {"query": "DROP ALL"}),
        request(serve.url, {"query": "INSERT DATA { <http://e/s> <http://e/p> <http://e/o> }"}),
        request(serve.url, {"query": "LOAD <http://example.org/data.ttl>"}),
        request(serve.base + "/update", {"update": "CLEAR ALL"}),
        request(
            serve.base + "/store?default",
            b"<http://e/s> <http://e/p> <http://e/o> .",
            method="PUT",
            headers={"Content-Type": "application/n-triples"},
        ),
        request(serve.base + "/store?default", method="DELETE"),
    ]
    assert [a[0] for a in attempts] == [403] * len(attempts)
    assert all(b"refused" in a[2] or b"read-only" in a[2] for a in attempts)
    assert count(serve) == before


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o OPTIONAL { SERVICE SILENT <http://example.org/sparql> { ?s ?q ?x } } } LIMIT 1",
        "SELECT * FROM <http://example.org/remote.ttl> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <http://example.org/remote.ttl> WHERE { GRAPH ?g { ?s ?p ?o } }",
    ],
)
def test_refuses_service_and_remote_graphs(serve, query):
    status, _, body = request(serve.url, {"query": query})
    assert status == 400 and b"refused" in body


def test_refuses_remote_dataset_parameters_but_serves_its_own_graphs(serve, store):
    remote = {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "default-graph-uri": "http://example.org/remote.ttl"}
    assert request(serve.url, remote)[0] == 400
    own = store.graph_names()[0].value
    status, _, body = request(
        serve.url,
        {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "default-graph-uri": own},
        headers={"Accept": "text/csv"},
    )
    assert status == 200 and int(body.split()[-1]) == len(list(store.quads(ox.NamedNode(own))))


def test_publishing_into_serve_is_refused(serve, store):
    with pytest.raises(EndpointError, match="HTTP 403"):
        publish(serve.url, source=store, retries=0, progress=False)


# --- limits -------------------------------------------------------------------------------------------


def test_runaway_query_stopped_while_others_are_answered(serve, store):
    runaway = {}

    def send_runaway():
        runaway["answer"] = request(serve.url, {"query": RUNAWAY})
        runaway["end"] = time.monotonic()

    thread = threading.Thread(target=send_runaway)
    thread.start()
    time.sleep(0.3)  # let the runaway reach a worker
    others, times = [], []
    for q in catalogue():
        if not q.params:
            others.append(request(serve.url, {"query": q.text}, headers={"Accept": "text/csv"}))
            times.append(time.monotonic())
    thread.join(60)
    assert times[0] < runaway["end"], "the other clients were answered only after the runaway ended"
    assert [o[0] for o in others] == [200] * len(others)
    status, _, body = runaway["answer"]
    assert status == 504 and b"deadline" in body
    assert request(serve.url, {"query": "ASK { ?s ?p ?o }"})[0] == 200  # and the server goes on
    assert any("deadline" in line for line in serve.log)


def test_result_cap(serve):
    status, _, body = request(serve.url, {"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert status == 400 and b"500 rows" in body and b"LIMIT" in body
    assert request(serve.url, {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 500"})[0] == 200
    assert request(serve.url, {"query": "CONSTRUCT WHERE { ?s ?p ?o }"})[0] == 400


def test_cors_off_by_default(serve):
    status, headers, _ = request(serve.url + "?query=ASK%7B%7D", headers={"Origin": "https://example.org"})
    assert status == 200 and "Access-Control-Allow-Origin" not in headers
    status, headers, _ = request(
        serve.url, method="OPTIONS", headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"}
    )
    assert status == 405 and "Access-Control-Allow-Origin" not in headers


def test_cors_on_asked_and_stop_ends_the_workers():
    srv = Serve("--cors")
    try:
        status, headers, _ = request(srv.url + "?query=ASK%7B%7D", headers={"Origin": "https://example.org"})
        assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
        status, headers, _ = request(
            srv.url,
            method="OPTIONS",
            headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST"},
        )
        assert status == 204 and headers["Access-Control-Allow-Origin"] == "*"
        workers = srv.descendants()  # the fork server, the query workers, multiprocessing's resource tracker
        assert len(srv.query_workers()) >= 2 and len(workers) >= 3
    finally:
        srv.stop()
    assert srv.proc.returncode == 0
    deadline = time.monotonic() + 15  # multiprocessing's resource tracker exits just after its parent
    while [pid for pid in workers if Path(f"/proc/{pid}").exists()] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]


def test_load_smoke(serve):
    """20 clients for 3 s, 0 errors (the 60 s figures are in docs/serving.md, from benchmarks/serve_load.py)."""
    spec = importlib.util.spec_from_file_location("serve_load", ROOT / "benchmarks" / "serve_load.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    texts = [q.text for q in catalogue() if not q.params]
    figures = bench.run_load(serve.url, clients=20, seconds=3, queries=texts, runaway=False)
    assert figures["requests"] > 20 and figures["errors"] == 0, figures["error_samples"]
