"""Issue #10, endpoint and publish: a reader sees one release, reserved graph names are refused
before anything is sent, bad options are usage errors, the endpoint timeout bounds the whole
request, passwords in URLs never reach an error, odd answers are clean errors."""

from __future__ import annotations

import os
import socket
import threading
import time

import pyoxigraph as ox
import pytest
from conftest import run_cli
from servers import ConnectionCounter, Server, embedded, free_port

from mmdgraph.endpoint import PUBLICATION_GRAPH, STAGING_PREFIX, EndpointStore
from mmdgraph.errors import EndpointError, UsageError
from mmdgraph.publish import publish

pytestmark = pytest.mark.server

SRC = "https://w3id.org/mmdgraph/source/"
#: Statements of the default graph that no published graph holds: 0 in any one release.
ORPHANS = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }"


@pytest.fixture(scope="module")
def oxigraph():
    srv = Server("oxigraph", name=f"pytest-safety-endpoint-{os.getpid()}", port=free_port())
    try:
        yield srv.start()
    finally:
        srv.remove()


@pytest.fixture(scope="module")
def other(store):
    """Another release: one source graph renamed, so the old release's graph list misses it."""
    quads = list(store.quads())
    g = sorted({q.graph_name.value for q in quads if q.graph_name.value.startswith(SRC)})[0]
    renamed = ox.NamedNode(SRC + "renamed-for-the-test")
    return embedded(
        [ox.Quad(q.subject, q.predicate, q.object, renamed) if q.graph_name.value == g else q for q in quads]
    )


class PublishingBetween(EndpointStore):
    """A real reader during whose read a real publish happens, right after it read the record."""

    def __init__(self, url, release):
        super().__init__(url)
        self.release, self.done = release, False

    def record(self):
        found = super().record()
        if not self.done:
            self.done = True
            publish(self.url, source=self.release, progress=False)
        return found


def test_a_read_sees_one_release_even_if_a_publish_lands_in_between(oxigraph, store, other):
    publish(oxigraph.query_url, source=store, progress=False)
    reader = PublishingBetween(oxigraph.query_url, other)
    assert int(reader.select(ORPHANS).rows[0][0].value) == 0
    assert reader.done


@pytest.mark.parametrize("graph", [PUBLICATION_GRAPH, STAGING_PREFIX + "mine", STAGING_PREFIX])
def test_reserved_graph_names_are_refused_before_anything_is_sent(graph, store, tmp_path):
    lis = ConnectionCounter()
    try:
        with pytest.raises(UsageError):
            publish(lis.url + "/query", graph=graph, source=store, progress=False, retries=0)
        r = run_cli("publish", "--endpoint", lis.url + "/query", "--graph", graph, "--retries", "0")
        assert r.returncode == 3 and "Traceback" not in r.stderr, r.stderr
        assert len(lis) == 0
    finally:
        lis.close()


def test_a_release_graph_under_the_staging_prefix_is_refused(store):
    quads = list(store.quads())[:10]
    bad = [ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(STAGING_PREFIX + "x/1")) for q in quads[:1]] + quads
    lis = ConnectionCounter()
    try:
        with pytest.raises(UsageError, match="staging"):
            publish(lis.url + "/query", source=embedded(bad), progress=False, retries=0)
        assert len(lis) == 0
    finally:
        lis.close()


@pytest.mark.parametrize(
    "args,word",
    [
        (["--retries", "-1"], "retries"),
        (["--timeout", "0"], "timeout"),
        (["--timeout", "-3"], "timeout"),
        (["--timeout", "nan"], "timeout"),
        (["--graph", "not an iri>"], "graph"),
        (["--graph", "relative/iri"], "graph"),
    ],
)
def test_bad_publish_options_are_usage_errors(args, word):
    lis = ConnectionCounter()
    try:
        r = run_cli("publish", "--endpoint", lis.url + "/query", *args)
        assert r.returncode == 3, r.stderr
        assert "Traceback" not in r.stderr and word in r.stderr
        assert len(lis) == 0
    finally:
        lis.close()


def trickler(delay: float):
    """A real server that sends a valid header and then one byte every ``delay`` seconds, forever."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    stop = threading.Event()

    def serve():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue

            def drip(c=conn):
                try:
                    c.recv(65536)
                    c.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: 100000\r\n\r\n"
                    )
                    while not stop.is_set():
                        c.sendall(b" ")
                        time.sleep(delay)
                except OSError:
                    pass
                finally:
                    c.close()

            threading.Thread(target=drip, daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{srv.getsockname()[1]}/query", lambda: (stop.set(), srv.close())


def test_the_endpoint_timeout_bounds_the_whole_request():
    url, stop = trickler(0.3)
    try:
        start = time.monotonic()
        with pytest.raises(EndpointError, match="timeout"):
            EndpointStore(url, timeout=2, dataset=None).select("SELECT * WHERE { ?s ?p ?o }")
        assert time.monotonic() - start < 6
    finally:
        stop()


def test_a_password_in_the_url_is_never_echoed():
    port = free_port()
    url = f"http://alice:s3cret-pw@127.0.0.1:{port}/query"
    with pytest.raises(EndpointError) as err:
        EndpointStore(url).select("SELECT * WHERE { ?s ?p ?o }")
    assert "s3cret" not in str(err.value) and "127.0.0.1" in str(err.value)
    for args in (
        ["query", "counts", "--endpoint", url],
        ["publish", "--endpoint", url, "--retries", "0"],
        ["stats", "--endpoint", url],
    ):
        r = run_cli(*args)
        assert r.returncode == 4, r.stderr
        assert "s3cret" not in r.stderr + r.stdout and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "body",
    [
        b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"1"}}]}}',
        b'{"head":{"vars":["n","extra"]},"results":{"bindings":[{"n":{"type":"literal","value":"1"}}]}}',
        b'{"head":{"vars":["n"]},"results":{"bindings":[{"other":{"type":"uri","value":"http://e/"}}]}}',
        b'{"head":{"vars":["n"]},"results":{"bindings":["not an object"]}}',
        b'{"head":{"vars":["n"]},"results":{"bindings":[{"n":"not a term"}]}}',
        b'{"head":{"vars":["n"]},"results":{"bindings":[{"n":{"type":"weird","value":"1"}}]}}',
        b'{"head":{"vars":"n"},"results":{"bindings":{}}}',
        b"[1, 2, 3]",
    ],
)
def test_an_endpoint_answering_unexpected_variables_is_a_clean_error(body):
    answer = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
        % (len(body), body)
    )
    lis = ConnectionCounter(answer=answer)
    try:
        with pytest.raises(EndpointError):
            EndpointStore(lis.url + "/query", dataset=None).select("SELECT ?n WHERE { ?s ?p ?n }")
        r = run_cli("stats", "--endpoint", lis.url + "/query")
        assert r.returncode == 4 and "Traceback" not in r.stderr, r.stderr
    finally:
        lis.close()
