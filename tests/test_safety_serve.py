"""Issue #10, serve's bounds: request bodies, the check cache, worker memory, answer bytes,
slots for short queries while runaways run, workers that die with their parent, IPv6, client
disconnects. Each test attacks the real ``mmdgraph serve`` process (raw sockets where the
attack needs them)."""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from servers import Serve

pytestmark = pytest.mark.server

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
#: Sorting a cross product holds every solution in memory: gigabytes within seconds.
MEMORY_HOG = "SELECT ?a ?d ?g WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g LIMIT 1"


def http(url, data=None, headers=None, timeout=60):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


def raw(base: str, head: bytes, body: bytes = b"", timeout: float = 10) -> bytes:
    """Send raw bytes, return what the server answers (until it closes or ``timeout``)."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as s:
        s.sendall(head)
        if body:
            try:
                s.sendall(body)
            except OSError:
                pass
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return out


@pytest.fixture(scope="module")
def serve():
    srv = Serve("--timeout", "4", "--max-rows", "500", "--max-bytes", "50000", "--max-memory", "700", "--workers", "2")
    try:
        yield srv
    finally:
        srv.stop()


def post_head(length: str, extra: str = "") -> bytes:
    return (
        f"POST /query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sparql-query\r\n"
        f"Content-Length: {length}\r\n{extra}Connection: close\r\n\r\n"
    ).encode()


@pytest.mark.parametrize("length", ["-1", "-5", "-99999999999", "abc", "+12", "1e3", " 12 x", "0x10", "١٢"])
def test_bad_content_length_is_400(serve, length):
    answer = raw(serve.base, post_head(length), b"ASK {}" + b" " * 100)
    assert answer.startswith(b"HTTP/1.0 400") or answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"Traceback" not in answer


def test_conflicting_content_lengths_are_400(serve):
    answer = raw(serve.base, post_head("6", "Content-Length: 7\r\n"), b"ASK {} ")
    assert b" 400 " in answer.split(b"\r\n")[0]


def test_body_over_the_limit_is_413_before_it_is_read(serve):
    """The 413 comes back while the client has sent only the headers: nothing past the limit is read."""
    answer = raw(serve.base, post_head(str(2 << 20)), timeout=10)
    assert b" 413 " in answer.split(b"\r\n")[0], answer[:200]


def test_no_content_length_is_411(serve):
    head = b"POST /query HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/sparql-query\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    answer = raw(serve.base, head, b"6\r\nASK {}\r\n0\r\n\r\n")
    assert b" 411 " in answer.split(b"\r\n")[0], answer[:200]


def test_answers_are_capped_in_bytes(serve):
    big = "SELECT (GROUP_CONCAT(STR(?o)) AS ?all) WHERE { ?s ?p ?o }"  # one cell, larger than the cap
    status, _, body = http(serve.url, urllib.parse.urlencode({"query": big}).encode())
    assert status == 400 and b"bytes" in body, body[:300]
    rows = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 499"  # under the row cap, over the byte cap
    status, _, body = http(
        serve.url, urllib.parse.urlencode({"query": rows}).encode(), {"Accept": "application/sparql-results+xml"}
    )
    assert status == 400 and b"bytes" in body, body[:300]
    status, _, body = http(
        serve.url,
        urllib.parse.urlencode({"query": "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 499"}).encode(),
        {"Accept": "application/n-triples"},
    )
    assert status == 400 and b"bytes" in body, body[:300]


def test_a_worker_is_stopped_at_its_memory_limit(serve):
    start = time.monotonic()
    status, _, body = http(serve.url, urllib.parse.urlencode({"query": MEMORY_HOG}).encode())
    assert status in (500, 503) and b"memory" in body, (status, body[:300])
    assert time.monotonic() - start < 4, "stopped by the deadline, not by the memory limit"
    assert http(serve.url + "?query=ASK%7B%7D")[0] == 200  # and the server goes on


def test_the_check_cache_is_bounded_in_bytes():
    from mmdgraph.serve import CheckCache

    cache = CheckCache(max_bytes=10_000, max_entry=1_000)
    for i in range(1000):
        cache.put(f"SELECT * WHERE {{ ?s ?p {i} }}" + " " * 200, "SELECT")
    cache.put("x" * 5000, "SELECT")  # too large to keep
    assert cache.size <= 10_000 and "x" * 5000 not in cache
    assert len(cache) < 1000


def test_short_queries_are_answered_while_two_runaways_run():
    """One worker stays for short queries: a second runaway gets 503 + Retry-After, not the last worker."""
    srv = Serve("--timeout", "6", "--workers", "2")
    try:
        runaways: list = []

        def runaway():
            runaways.append(http(srv.url, urllib.parse.urlencode({"query": RUNAWAY}).encode()))

        threads = [threading.Thread(target=runaway) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        short = []
        while any(t.is_alive() for t in threads) and len(short) < 50:
            status, _, _ = http(srv.url + "?query=ASK%7B%7D", timeout=30)
            short.append(status)
        for t in threads:
            t.join()
        assert short and set(short) == {200}, short
        statuses = sorted(r[0] for r in runaways)
        assert statuses == [503, 504], statuses
        busy = next(r for r in runaways if r[0] == 503)
        assert int(busy[1]["Retry-After"]) >= 1
        # The text stopped at its deadline is refused at once if sent again soon (it would only run away again).
        start = time.monotonic()
        status, headers, body = http(srv.url, urllib.parse.urlencode({"query": RUNAWAY}).encode())
        assert status == 503 and b"stopped at a deadline" in body and int(headers["Retry-After"]) >= 1
        assert time.monotonic() - start < 1
    finally:
        srv.stop()


def test_workers_die_with_their_parent_even_mid_query():
    srv = Serve("--timeout", "30", "--workers", "2")
    workers = srv.query_workers()
    assert len(workers) >= 2

    def runaway():
        try:
            http(srv.url, urllib.parse.urlencode({"query": RUNAWAY}).encode(), timeout=60)
        except OSError:
            pass  # the server is killed under it

    t = threading.Thread(target=runaway, daemon=True)
    t.start()
    time.sleep(1)
    os.kill(srv.proc.pid, signal.SIGKILL)  # our own child, by its pid
    srv.proc.wait(10)
    deadline = time.monotonic() + 10
    while [
        p
        for p in workers
        if Path(f"/proc/{p}").exists() and "Z" not in Path(f"/proc/{p}/stat").read_text().split(")")[1][:3]
    ] and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = [
        p
        for p in workers
        if Path(f"/proc/{p}").exists() and "Z" not in Path(f"/proc/{p}/stat").read_text().split(")")[1][:3]
    ]
    assert alive == [], "workers outlived the server"


def test_a_worker_stops_its_own_runaway_at_the_deadline(store):
    """A real worker process, given a runaway with a 1 s deadline and never told to stop, ends
    itself (its kernel timer, SIGALRM) a second after the deadline: no parent needed."""
    import multiprocessing

    import pyoxigraph as ox

    from mmdgraph.serve import _worker, worker_alarm

    ctx = multiprocessing.get_context("spawn")
    conn, child = ctx.Pipe()
    dump = ox.serialize(store.ox, format=ox.RdfFormat.N_QUADS)
    proc = ctx.Process(target=_worker, args=(child, dump, os.getpid(), 0), daemon=True)
    proc.start()
    child.close()
    try:
        assert conn.poll(120) and conn.recv() in ("ready", "ready-unsandboxed")
        start = time.monotonic()
        conn.send(
            {
                "query": RUNAWAY,
                "default": [],
                "named": [],
                "max_rows": 10,
                "max_bytes": 1000,
                "format": "json",
                "deadline": 1.0,
            }
        )
        proc.join(10)
        took = time.monotonic() - start
        assert proc.exitcode == -signal.SIGALRM, proc.exitcode
        assert worker_alarm(1.0) - 0.1 <= took < worker_alarm(1.0) + 2, took
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)


def test_ipv6_loopback():
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("no ::1 here")
    srv = Serve("--host", "::1")
    try:
        assert srv.base.startswith("http://[::1]:")
        status, _, body = http(srv.url + "?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"})
        assert status == 200 and b"true" in body
    finally:
        srv.stop()


def test_a_client_disconnect_is_one_log_line(serve):
    before = len(serve.log)
    host, port = serve.base.removeprefix("http://").rsplit(":", 1)
    q = urllib.parse.quote("SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 400")
    for _ in range(3):
        s = socket.create_connection((host, int(port)))
        s.sendall(f"GET /query?query={q}&format=xml HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
        s.close()
    time.sleep(2)
    new = "".join(serve.log[before:])
    assert "Traceback" not in new, new
    assert len(serve.log[before:]) <= 3, new
