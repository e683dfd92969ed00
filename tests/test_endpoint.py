"""Every canned query and the counts give the same rows, in the same order, on a real Oxigraph
server and a real Virtuoso as in the embedded store; parameters reach the server as terms."""

import os
import socket
import threading

import pyoxigraph as ox
import pytest
from conftest import run_cli
from servers import Server, free_port

import mmdgraph
from mmdgraph.endpoint import EndpointStore, bind_values, where_brace, with_dataset
from mmdgraph.errors import EndpointError, UsageError
from mmdgraph.publish import publish
from mmdgraph.queries import bindings_for, catalogue

pytestmark = pytest.mark.server

CANNED = [q.name for q in catalogue()]
WITH_PARAMS = [q.name for q in catalogue() if q.params]


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def server(request, store):
    """A real server of each kind, on loopback, with the graph published into it."""
    srv = Server(request.param, name=f"pytest-endpoint-{request.param}-{os.getpid()}", port=free_port())
    try:
        srv.start()
        publish(srv.query_url, auth=srv.auth, source=store, progress=False)
        yield srv
    finally:
        srv.remove()


@pytest.fixture(scope="module")
def endpoint(server):
    return EndpointStore(server.query_url)


# --- the same answers -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", CANNED)
def test_canned_query_same_rows_as_embedded(name, store, endpoint, server):
    q = next(q for q in catalogue() if q.name == name)
    expected = mmdgraph.query(name, q.example, store=store)
    got = mmdgraph.query(name, q.example, store=endpoint)
    assert got.columns == expected.columns
    assert got.to_tsv() == expected.to_tsv(), f"{name} differs on {server.kind} (row for row, order included)"


def test_stats_same_as_embedded(store, endpoint):
    assert mmdgraph.stats(store=endpoint) == mmdgraph.stats(store=store)


def test_cli_query_on_endpoint(server, store):
    r = run_cli(
        "query", "meetings-in-country", "--param", "country=SEN", "--format", "tsv", "--endpoint", server.query_url
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout == mmdgraph.query("meetings-in-country", {"country": "SEN"}, store=store).to_tsv()


def test_only_published_graphs_are_seen(server, store, endpoint):
    """Virtuoso's system graphs, the publication record and staging graphs stay out of GRAPH ?g."""
    seen = {g.value for g in endpoint.graph_names()}
    assert seen == {g.value for g in store.graph_names()}
    by_graph = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"  # Virtuoso is slow over DISTINCT ?g
    rows = endpoint.select(by_graph).rows
    assert {r[0].value for r in rows} == seen
    everything = EndpointStore(server.query_url, dataset=None).select(by_graph).rows
    assert len(everything) > len(rows)  # the record (and on Virtuoso its system graphs) exist, unseen


# --- parameters as terms --------------------------------------------------------------------------


@pytest.mark.parametrize("name", WITH_PARAMS)
def test_values_binding_means_substitution(name, store):
    """On the embedded store, the VALUES block gives what pyoxigraph's substitution gives."""
    q = next(q for q in catalogue() if q.name == name)
    bindings = bindings_for(q, q.example, store)
    expected = store.select(q.text, bindings).to_tsv()
    assert store.select(bind_values(q.text, bindings)).to_tsv() == expected, (
        f"{name}: a parameter is used where a VALUES block at the start of the WHERE group does not reach "
        "(inside a nested group, e.g. a FILTER NOT EXISTS in a UNION branch)"
    )


def test_where_brace_skips_strings_iris_comments():
    q = 'PREFIX a: <http://e/#> # { not here\nSELECT ?x (CONCAT("{", ?y) AS ?z) WHERE { ?x ?p """}\n{""" }'
    assert q[where_brace(q) :] == '{ ?x ?p """}\n{""" }'
    with pytest.raises(UsageError):
        where_brace("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")


def test_dataset_clauses_go_before_where():
    q = "PREFIX ex: <http://e/>\nSELECT ?from ?where (ex:from(?x) AS ?y) WHERE { ?from ex:where ?where }"
    out = with_dataset(q, ["http://e/m"], ["http://e/g"])
    assert out == q.replace("WHERE {", "FROM <http://e/m>\nFROM NAMED <http://e/g>\nWHERE {")
    own = "SELECT * FROM <http://e/x> WHERE { ?s ?p ?o }"
    assert with_dataset(own, ["http://e/m"], []) == own
    assert with_dataset("ASK { ?s ?p ?o }", [], ["http://e/g"]) == "ASK FROM NAMED <http://e/g>\n{ ?s ?p ?o }"


HOSTILE = [
    'France" } } ; DROP ALL ; SELECT * { "',
    'Mali" . } INSERT DATA { <http://evil> <http://evil> <http://evil> } #',
    "x> } SERVICE <http://example.org/sparql> { ?s ?p ?o } #",
    "id:FRA> . ?s ?p ?o } #",
    "'; DROP ALL; --",
    "Senegal\n} LIMIT 0 #",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_parameter_is_an_error_or_empty_never_another_query(value, server, endpoint, store):
    before = endpoint.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows
    for name, param in (("meetings-in-country", "country"), ("sources-of", "entity"), ("steering-committee", "date")):
        try:
            result = mmdgraph.query(name, {param: value}, store=endpoint)
        except UsageError:
            continue
        assert len(result) == 0
    # A literal full of SPARQL syntax matches nothing and changes nothing.
    rows = endpoint.select("SELECT ?s WHERE { ?s ?p ?needle }", {"needle": ox.Literal(value)}).rows
    assert rows == []
    assert endpoint.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows == before


def test_backslash_u_is_refused_not_reinterpreted(endpoint):
    with pytest.raises(UsageError, match="backslash"):
        endpoint.select("SELECT ?s WHERE { ?s ?p ?o }", {"o": ox.Literal("\\u0022 } DROP ALL #")})


def test_only_iris_and_literals_bind(endpoint):
    with pytest.raises(UsageError):
        endpoint.select("SELECT ?s WHERE { ?s ?p ?o }", {"o": ox.BlankNode("b")})
    with pytest.raises(UsageError, match="variable"):
        endpoint.select("SELECT ?s WHERE { ?s ?p ?o }", {"o } DROP ALL": ox.Literal("x")})


# --- clear errors (exit code 4, naming the URL) -----------------------------------------------------


def test_connection_refused():
    url = f"http://127.0.0.1:{free_port()}/query"
    with pytest.raises(EndpointError, match="connection refused") as err:
        EndpointStore(url).select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert url in str(err.value) and err.value.exit_code == 4
    r = run_cli("query", "counts", "--endpoint", url)
    assert r.returncode == 4 and url in r.stderr and "Traceback" not in r.stderr


def test_not_found(server):
    url = server.base + "/no-such-endpoint"
    with pytest.raises(EndpointError, match="HTTP 404") as err:
        EndpointStore(url).select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert url in str(err.value)


def test_unauthorized_on_virtuoso(server):
    if server.kind != "virtuoso":
        pytest.skip("Oxigraph has no authentication")
    with pytest.raises(EndpointError, match="HTTP 401"):
        EndpointStore(server.base + "/sparql-auth").select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    with pytest.raises(EndpointError, match="HTTP 401"):
        EndpointStore(server.base + "/sparql-auth", auth="dba:wrong").select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")


def test_server_error_is_reported(server):
    """A query the server fails on (400 or 500, depending on the server) is an EndpointError."""
    with pytest.raises(EndpointError, match=r"HTTP (400|500)") as err:
        EndpointStore(server.query_url).select("SELECT * WHERE { ?s ?p ?o ")
    assert server.query_url in str(err.value)


def test_timeout():
    """A real socket that accepts and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/query"
    try:
        with pytest.raises(EndpointError, match="timeout") as err:
            EndpointStore(url, timeout=1).select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
        assert url in str(err.value)
    finally:
        for conn, _ in accepted:
            conn.close()
        listener.close()
