"""Issue #10, critical: no query reaches the network, whatever its spelling.

``safety.check_query`` parsed with rdflib while Oxigraph ran the query; texts the two read
differently (a ``\\u0022`` escape inside a string, a carriage return inside a ``#`` comment)
got a ``SERVICE`` past the check and Oxigraph made HTTP requests. A loopback listener counts
every connection: it must see none, through ``mmdgraph query FILE.rq``, the Python API and
``serve`` (GET and POST). The engine itself runs under a seccomp filter (tested without the
pre-check), and the pre-check reads the text the way the grammar does (tested on its own, as
it is the only guard for ``--endpoint``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from servers import ConnectionCounter, Serve

import mmdgraph
from mmdgraph import safety
from mmdgraph.errors import UnsafeQueryError, UsageError

CLI = str(Path(sys.executable).with_name("mmdgraph"))


def forms(url: str) -> dict[str, str]:
    """The two known bypasses and their family; each runs SERVICE <url> first if an engine reads it."""
    svc = f"SERVICE <{url}/sparql> {{ ?s ?p ?o }}"
    return {
        "u0022-in-string": f"SELECT * WHERE {{ VALUES ?x {{ \"\\u0022 '\" }} {svc} # '\n}}",
        "U00000022-in-string": f"SELECT * WHERE {{ VALUES ?x {{ \"\\U00000022 '\" }} {svc} # '\n}}",
        "u0027-in-single-quotes": f"SELECT * WHERE {{ VALUES ?x {{ '\\u0027 \"' }} {svc} # \"\n}}",
        "u0022-in-long-string": f'SELECT * WHERE {{ VALUES ?x {{ """\\u0022\\u0022\\u0022 \'""" }} {svc} # \'\n}}',
        "cr-in-comment": f"SELECT * WHERE {{ # a comment\r {svc}\n}}",
        "cr-lf-mix": f"SELECT * WHERE {{ # a\r\n# b\n\r# c\r {svc}\n}}",
        "lone-cr-lines": f"SELECT * WHERE {{\r# c\r{svc}\r}}",
        "quote-in-comment-then-cr": f'SELECT * WHERE {{ # "\r {svc} # "\n}}',
        "hash-in-string-then-cr": f'SELECT * WHERE {{ VALUES ?x {{ "#" }} # c\r {svc}\n}}',
        "hash-in-iri-then-cr": f"SELECT * WHERE {{ VALUES ?x {{ <http://e/#a> }} # c\r {svc}\n}}",
        "escaped-keyword": f"SELECT * WHERE {{ \\u0053ERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        "escaped-keyword-U": f"SELECT * WHERE {{ \\U00000053\\U00000045RVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        "escaped-newline-in-comment": f"SELECT * WHERE {{ # c \\u000A {svc} \n}}",
        "escaped-cr-in-comment": f"SELECT * WHERE {{ # c \\u000D {svc} \n}}",
        "u2028-in-comment": f"SELECT * WHERE {{ # c\u2028 {svc}\n}}",
        "u2029-in-comment": f"SELECT * WHERE {{ # c\u2029 {svc}\n}}",
        "formfeed-in-comment": f"SELECT * WHERE {{ # c\f {svc}\n}}",
        "vertical-tab-in-comment": f"SELECT * WHERE {{ # c\v {svc}\n}}",
        "nel-in-comment": f"SELECT * WHERE {{ # c\u0085 {svc}\n}}",
        "escaped-backslash-before-u": f"SELECT * WHERE {{ VALUES ?x {{ \"\\\\u0022 '\" }} {svc} # '\n}}",
        "less-than-iri-with-hash": f"SELECT * WHERE {{ VALUES ?x {{ 1 }} FILTER(?x<2||?x>0)#'>\r {svc} # '\n}}",
        "less-than-or-iri": f"SELECT * WHERE {{ VALUES ?x {{ 1 }} FILTER(?x<2#'>'''\r) {svc} #'''\n}}",
        "dot-before-keyword": f"SELECT * WHERE {{ VALUES ?x {{ 1 }} .{svc} }}",
        "lowercase-after-literal": f'SELECT * WHERE {{ VALUES ?x {{ "a" }} service <{url}/sparql> {{ ?s ?p ?o }} }}',
    }


NAMES = sorted(forms("http://x"))
#: The forms Oxigraph reads as holding a SERVICE (it made requests for each before the fix); in
#: the others the SERVICE sits in a comment (U+2028, form feed, ... do not end one) or the text
#: is not SPARQL for Oxigraph (a \\u escape outside a string), so no engine runs it.
ENGINE_READS_SERVICE = sorted(
    set(NAMES)
    - {
        "escaped-keyword",
        "escaped-keyword-U",
        "escaped-newline-in-comment",
        "escaped-cr-in-comment",
        "u2028-in-comment",
        "u2029-in-comment",
        "formfeed-in-comment",
        "vertical-tab-in-comment",
        "nel-in-comment",
    }
)


@pytest.fixture(scope="module")
def listener():
    lis = ConnectionCounter(
        answer=b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: 44\r\n\r\n"
        b'{"head":{"vars":[]},"results":{"bindings":[]}}'
    )
    yield lis
    lis.close()


@pytest.fixture
def quiet(listener):
    before = len(listener)
    yield listener
    assert listener.connections[before:] == [], "a query reached the network"


def test_the_listener_counts_connections(listener):
    before = len(listener)
    with socket.create_connection(("127.0.0.1", int(listener.url.rsplit(":", 1)[1])), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        s.recv(100)
    assert len(listener) == before + 1


# --- the pre-check reads the text as the grammar does (the guard for --endpoint) ----------------------


@pytest.mark.parametrize("name", ENGINE_READS_SERVICE)
def test_check_query_refuses_every_form_the_engine_reads_as_service(name):
    with pytest.raises(UsageError):
        safety.check_query(forms("http://127.0.0.1:9")[name])


@pytest.mark.parametrize("name", sorted(set(NAMES) - set(ENGINE_READS_SERVICE)))
def test_check_query_reads_the_other_forms_as_the_engine_does(name):
    """A SERVICE inside a comment the grammar does not end is no SERVICE; a \\u escape in code is no SPARQL."""
    text = forms("http://127.0.0.1:9")[name]
    if name.startswith("escaped-keyword"):
        with pytest.raises(UnsafeQueryError):
            safety.check_query(text)
    else:
        assert safety.check_query(text) == "SELECT"


def test_check_query_still_accepts_ordinary_queries():
    ok = [
        'PREFIX ex: <http://e/#> SELECT ?s WHERE { ?s ex:p "a # not a comment" ; ex:q <http://e/#frag> } # end',
        'SELECT ?s WHERE { ?s ?p \'it\\\'s\' . ?s ?p """two\nlines \\u0041""" }',
        "SELECT ?s WHERE { ?s ?p ?o FILTER(?o<3 && ?o>1) }",
        "SELECT ?service WHERE { ?service a <http://e/Service> }",
        "PREFIX service: <http://e/> SELECT ?s WHERE { ?s service:x ?o ; <http://e/service> ?z }",
        'SELECT ?s WHERE { ?s ?p "service" }',
        "SELECT ?s WHERE { ?s ?p ?o }\r\n# a comment\r\nLIMIT 1",
    ]
    for q in ok:
        assert safety.check_query(q) == "SELECT", q


# --- the engine cannot reach the network, even past the pre-check -------------------------------------


def test_the_sandbox_is_available_here():
    assert safety.sandbox_available(), "seccomp is expected to work on this Linux machine"


def test_a_sandboxed_thread_cannot_connect(quiet):
    port = int(quiet.url.rsplit(":", 1)[1])
    with pytest.raises(OSError):
        safety.run_sandboxed(socket.create_connection, ("127.0.0.1", port), 5)
    before = len(quiet)
    # and the calling thread is not affected
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    import time

    deadline = time.monotonic() + 5
    while len(quiet) == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(quiet) == before + 1
    quiet.connections.pop()


@pytest.mark.parametrize("name", ["plain", *NAMES])
def test_embedded_select_without_the_precheck_stays_off_the_network(quiet, store, name):
    """EmbeddedStore.select runs what it is given (no pre-check): the sandbox alone keeps it home."""
    text = (
        f"SELECT * WHERE {{ SERVICE <{quiet.url}/sparql> {{ ?s ?p ?o }} }}"
        if name == "plain"
        else forms(quiet.url)[name]
    )
    try:
        store.select(text)
    except UnsafeQueryError:
        pass  # the engine's HTTP client met the sandbox
    except SyntaxError:
        assert name.startswith("escaped-keyword")


# --- every entry point --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_cli_query_file(tmp_path, quiet, name):
    path = tmp_path / f"{name}.rq"
    path.write_bytes(forms(quiet.url)[name].encode("utf-8"))
    res = subprocess.run([CLI, "query", str(path)], capture_output=True, timeout=120)
    assert res.returncode == (3 if name in ENGINE_READS_SERVICE else res.returncode), res.stderr
    assert res.returncode in (0, 3) and b"Traceback" not in res.stderr


@pytest.mark.parametrize("name", NAMES)
def test_python_api(tmp_path, quiet, store, name):
    path = tmp_path / f"{name}.rq"
    path.write_bytes(forms(quiet.url)[name].encode("utf-8"))
    if name in ENGINE_READS_SERVICE:
        with pytest.raises(UsageError):
            mmdgraph.query(str(path), store=store)
    else:
        try:
            mmdgraph.query(str(path), store=store)
        except UsageError:
            pass


@pytest.mark.parametrize("name", ["plain", "u0022-in-string", "cr-in-comment"])
def test_without_seccomp_the_blunt_check_refuses(tmp_path, quiet, name):
    """Where seccomp is unavailable (forced here), select() refuses any text that spells 'service'."""
    text = (
        f"SELECT * WHERE {{ SERVICE <{quiet.url}/sparql> {{ ?s ?p ?o }} }}"
        if name == "plain"
        else forms(quiet.url)[name]
    )
    script = (
        "import sys, mmdgraph\nfrom mmdgraph.errors import UnsafeQueryError\nfrom mmdgraph import safety\n"
        "assert not safety.sandbox_available()\n"
        "try:\n    mmdgraph.load().select(sys.stdin.read())\nexcept UnsafeQueryError as e:\n    print('refused', e)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", script],
        input=text.encode(),
        capture_output=True,
        timeout=120,
        env=dict(os.environ, MMDGRAPH_SECCOMP="off"),
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(b"refused SERVICE is refused"), res.stdout
    path = tmp_path / "q.rq"
    path.write_bytes(text.encode())
    res = subprocess.run(
        [CLI, "query", str(path)], capture_output=True, timeout=120, env=dict(os.environ, MMDGRAPH_SECCOMP="off")
    )
    assert res.returncode == 3 and b"Traceback" not in res.stderr


# --- serve ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served():
    srv = Serve("--timeout", "5")
    try:
        yield srv
    finally:
        srv.stop()


def http(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@pytest.mark.parametrize("name", NAMES)
def test_serve_get_and_post(served, quiet, name):
    text = forms(quiet.url)[name]
    expected = (400, 403) if name in ENGINE_READS_SERVICE else (200, 400, 403)
    status, body = http(served.url + "?" + urllib.parse.urlencode({"query": text}))
    assert status in expected, body
    status, body = http(served.url, urllib.parse.urlencode({"query": text}).encode())
    assert status in expected, body
    status, body = http(served.url, text.encode(), {"Content-Type": "application/sparql-query"})
    assert status in expected, body


def test_serve_workers_run_under_the_filter(served):
    workers = served.query_workers()
    assert workers
    for pid in workers:
        status = Path(f"/proc/{pid}/status").read_text()
        assert "Seccomp:\t2" in status, status


@pytest.mark.parametrize(
    "host,status",
    [
        ("evil.example", 403),
        ("evil.example:80", 403),
        ("127.0.0.1.evil.example", 403),
        ("localhost.", 403),
        ("localhost", 200),
        ("127.0.0.1", 200),
        ("[::1]", 200),
    ],
)
def test_serve_checks_the_host_header(served, host, status):
    port = served.base.rsplit(":", 1)[1]
    for h in (host, f"{host}:{port}") if ":" not in host.replace("[::1]", "") else (host,):
        got, body = http(served.url + "?query=ASK%7B%7D", headers={"Host": h})
        assert got == status, (h, body)


def test_serve_allow_host():
    srv = Serve("--allow-host", "graph.example.org")
    try:
        assert http(srv.url + "?query=ASK%7B%7D", headers={"Host": "graph.example.org"})[0] == 200
        assert http(srv.url + "?query=ASK%7B%7D", headers={"Host": "other.example.org"})[0] == 403
        assert http(srv.url + "?query=ASK%7B%7D", headers={"Host": "localhost"})[0] == 200
    finally:
        srv.stop()


@pytest.mark.parametrize("name", ENGINE_READS_SERVICE)
def test_endpoint_never_receives_the_forms(tmp_path, name):
    """--endpoint: the remote store would run the query itself, so the pre-check is the guard.
    The store (a listener answering empty results) sees the lookups mmdgraph makes, never the query."""
    body = b'{"head":{"vars":["g"]},"results":{"bindings":[]}}'
    store = ConnectionCounter(
        answer=b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
        % (len(body), body)
    )
    try:
        path = tmp_path / f"{name}.rq"
        path.write_bytes(forms("http://127.0.0.1:9")[name].encode("utf-8"))
        res = subprocess.run(
            [CLI, "query", str(path), "--endpoint", store.url + "/query"], capture_output=True, timeout=120
        )
        assert res.returncode == 3 and b"Traceback" not in res.stderr, res.stderr
        sent = urllib.parse.unquote_plus(b"".join(store.connections).decode("latin-1"))
        assert "127.0.0.1:9" not in sent and "SERVICE" not in sent.upper().replace("SERVICE-DESCRIPTION", "")
    finally:
        store.close()


def test_serve_without_seccomp_refuses_any_service(quiet):
    """Where the workers cannot be sandboxed (forced here), serve says so and refuses every
    text that spells 'service', whatever the pre-check makes of it."""
    srv = Serve("--timeout", "5", env={"MMDGRAPH_SECCOMP": "off"})
    try:
        assert any("seccomp is unavailable" in line for line in srv.log)
        for text in (
            forms(quiet.url)["u0022-in-string"],
            forms(quiet.url)["cr-in-comment"],
            "SELECT * WHERE { ?s ?p 'a service' } LIMIT 1",
        ):
            status, body = http(srv.url, urllib.parse.urlencode({"query": text}).encode())
            assert status == 400 and b"SERVICE" in body, body
        assert http(srv.url + "?query=ASK%7B%7D")[0] == 200
    finally:
        srv.stop()
