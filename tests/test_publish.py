"""Publishing into real Oxigraph and Virtuoso servers: publish, re-publish after a change,
readers see the previous release during and after a failed publish, and a server killed in
the middle of a publish comes back with the previous release intact."""

import os
import threading

import pyoxigraph as ox
import pytest
from conftest import run_cli
from servers import Server, embedded, free_port

import mmdgraph
from mmdgraph.endpoint import STAGING_PREFIX, EndpointStore
from mmdgraph.errors import EndpointError
from mmdgraph.publish import _staging_graphs, publish
from mmdgraph.store import EmbeddedStore

pytestmark = pytest.mark.server

SRC = "https://w3id.org/mmdgraph/source/"


def _server(kind: str, label: str) -> Server:
    return Server(kind, name=f"pytest-{label}-{kind}-{os.getpid()}", port=free_port())


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def server(request):
    srv = _server(request.param, "publish")
    try:
        yield srv.start()
    finally:
        srv.remove()


@pytest.fixture(scope="module")
def changed(store):
    """The graph with one source graph dropped, one added and one statement changed."""
    quads = list(store.quads())
    graphs = sorted({q.graph_name.value for q in quads if q.graph_name.value.startswith(SRC)})
    dropped, edited = graphs[0], graphs[1]
    edited_quad = next(q for q in quads if q.graph_name.value == edited)
    kept = [q for q in quads if q.graph_name.value != dropped and q != edited_quad]
    added = ox.NamedNode(SRC + "test-added-source")
    kept.append(
        ox.Quad(
            ox.NamedNode("https://w3id.org/mmdgraph/id/test-thing"),
            ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
            ox.Literal("test", language="en"),
            added,
        )
    )
    return embedded(kept)


def same_as(endpoint_store, store) -> bool:
    """The endpoint answers the counts and a provenance query exactly as the embedded store."""
    return mmdgraph.stats(store=endpoint_store) == mmdgraph.stats(store=store) and (
        mmdgraph.query("sources", store=endpoint_store).to_tsv() == mmdgraph.query("sources", store=store).to_tsv()
    )


def leftovers(server) -> dict:
    return _staging_graphs(EndpointStore(server.query_url, dataset=None), STAGING_PREFIX)


def test_publish_then_republish_after_a_change(server, store, changed):
    reader = EndpointStore(server.query_url)
    summary = publish(server.query_url, auth=server.auth, source=store, progress=False)
    assert ", 0 unchanged" in summary, summary  # a fresh server: everything is sent
    assert same_as(reader, store)
    summary = publish(server.query_url, auth=server.auth, source=changed, progress=False)
    assert same_as(reader, changed)
    assert {g.value for g in reader.graph_names()} == {g.value for g in changed.graph_names()}
    # Only what changed was sent: two source graphs (one edited, one added) and the merged copy.
    assert "3 graphs loaded" in summary, summary
    publish(server.query_url, auth=server.auth, source=store, progress=False)
    assert same_as(reader, store)
    assert leftovers(server) == {}


def test_readers_see_the_previous_release_during_and_after_a_failed_publish(server, store, changed):
    reader = EndpointStore(server.query_url)
    publish(server.query_url, auth=server.auth, source=store, progress=False)
    during = []

    def read_while_loading(done, total):
        if len(during) < 2 and done >= total * (len(during) + 1) // 3:  # a third and two thirds of the way
            during.append(same_as(reader, store))

    def fail():
        raise EndpointError("simulated failure just before the swap")

    with pytest.raises(EndpointError, match="simulated"):
        publish(
            server.query_url,
            auth=server.auth,
            source=changed,
            progress=read_while_loading,
            before_swap=fail,
            force=True,
        )
    assert during == [True, True]
    assert leftovers(server)  # the staging graphs are there ...
    assert same_as(reader, store)  # ... and readers do not see them
    publish(server.query_url, auth=server.auth, source=changed, progress=False)  # a re-run completes
    assert same_as(reader, changed) and leftovers(server) == {}
    publish(server.query_url, auth=server.auth, source=store, progress=False)


def test_a_crash_after_a_publish_keeps_that_release(server, store, changed):
    """The swap deletes only what goes and inserts only what comes: Virtuoso 7.2 loses, when it
    replays its log after a crash, statements deleted and re-inserted in one transaction."""
    reader = EndpointStore(server.query_url)
    publish(server.query_url, auth=server.auth, source=store, progress=False)
    publish(server.query_url, auth=server.auth, source=changed, progress=False)
    server.kill()
    server.start_again()
    assert same_as(reader, changed)
    publish(server.query_url, auth=server.auth, source=store, progress=False)
    server.kill()
    server.start_again()
    assert same_as(reader, store)


def test_publish_with_sparql_update_only(server, store, changed):
    """A store without a Graph Store endpoint: statements go in with INSERT DATA, as atomically."""
    reader = EndpointStore(server.query_url)
    publish(server.query_url, auth=server.auth, source=changed, store_url="", progress=False)
    assert same_as(reader, changed)
    publish(server.query_url, auth=server.auth, source=store, store_url="", progress=False, force=True)
    assert same_as(reader, store) and leftovers(server) == {}


def test_cli_publish_from_an_export(server, store, tmp_path):
    dump = tmp_path / "mmdgraph.nq"
    assert run_cli("export", "--format", "nquads", "-o", str(dump)).returncode == 0
    args = ["publish", "--endpoint", server.query_url, "--from", str(dump)] + (
        ["--auth", server.auth] if server.auth else []
    )
    r = run_cli(*args)
    assert r.returncode == 0, r.stderr
    assert "published" in r.stdout and "0 graphs loaded" in r.stdout  # the same release: nothing to send
    assert same_as(EndpointStore(server.query_url), store)


def test_publish_errors_are_clear(server, store):
    url = f"http://127.0.0.1:{free_port()}/query"
    with pytest.raises(EndpointError, match="connection refused") as err:
        publish(url, source=store, retries=1, backoff=0.01, progress=False)
    assert url in str(err.value)
    r = run_cli("publish", "--endpoint", url, "--retries", "0")
    assert r.returncode == 4 and "connection refused" in r.stderr
    if server.kind == "virtuoso":
        with pytest.raises(EndpointError, match="HTTP 401"):
            publish(server.query_url, auth="dba:wrong-password", source=store, retries=0, progress=False)
        assert same_as(EndpointStore(server.query_url), store)


# --- the fault test: the server dies in the middle of a publish --------------------------------------


def synthetic(store, copies: int) -> EmbeddedStore:
    """A bigger release: the graph plus ``copies`` copies of all its statements, each in its own graph."""
    quads = list(store.quads())
    more = [
        ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(f"https://example.org/synthetic/{i}"))
        for i in range(copies)
        for q in quads
    ]
    return embedded(quads + more)


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def crashing(request):
    """A server of each kind for the fault tests, killed and restarted by pid."""
    srv = _server(request.param, "fault")
    try:
        yield srv.start()
    finally:
        srv.remove()


@pytest.mark.slow
def test_server_killed_during_staging_keeps_the_previous_release(crashing, store):
    reader = EndpointStore(crashing.query_url)
    publish(crashing.query_url, auth=crashing.auth, source=store, progress=False)
    big = synthetic(store, 6)
    killed = []

    def kill_a_third_of_the_way(done, total):
        if not killed and done >= total // 3:
            crashing.kill()  # SIGKILL, by the pid the fixture recorded
            killed.append(done)

    with pytest.raises(EndpointError) as err:
        publish(
            crashing.query_url,
            auth=crashing.auth,
            source=big,
            progress=kill_a_third_of_the_way,
            retries=1,
            backoff=0.05,
        )
    assert killed, err.value
    crashing.start_again()
    assert same_as(reader, store)  # the previous release, intact after the crash
    summary = publish(crashing.query_url, auth=crashing.auth, source=big, progress=False)  # the re-run completes
    assert same_as(reader, big), summary
    assert leftovers(crashing) == {}


@pytest.mark.slow
def test_server_killed_during_the_swap_shows_one_release_or_the_other(crashing, store):
    reader = EndpointStore(crashing.query_url)
    big = synthetic(store, 6)
    publish(crashing.query_url, auth=crashing.auth, source=big, progress=False)

    timer = threading.Timer(0.3, crashing.kill)  # the swap of ~40,000 statements takes seconds
    try:
        publish(
            crashing.query_url, auth=crashing.auth, source=store, progress=False, before_swap=timer.start, retries=0
        )
    except EndpointError:
        pass
    timer.join()
    crashing.start_again()
    assert same_as(reader, store) or same_as(reader, big)  # never a mix
    publish(crashing.query_url, auth=crashing.auth, source=store, progress=False)
    assert same_as(reader, store)
