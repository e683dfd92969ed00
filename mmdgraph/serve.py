"""Serve the graph read-only over the SPARQL 1.1 Protocol, on loopback by default.

``mmdgraph serve`` answers ``GET``/``POST`` queries at ``/query`` (and ``/sparql``): SELECT and
ASK results as JSON, CSV, TSV or XML, CONSTRUCT and DESCRIBE as Turtle or N-Triples, chosen
by the ``Accept`` header or a ``format`` parameter. ``/`` lists the canned queries as
examples, each a link that runs it.

What it refuses, and how:

* updates (``update=``, ``application/sparql-update``, an update sent as a query, PUT,
  DELETE): 403, the endpoint is read-only;
* ``SERVICE``, ``FROM``/``FROM NAMED`` or ``default-graph-uri``/``named-graph-uri`` naming a
  graph the store does not hold, ``LOAD``: 400 (:func:`mmdgraph.safety.check_query`);
* a query running past the deadline (``--timeout``): 504. pyoxigraph cannot interrupt a
  query, so queries run in worker processes; a worker past its deadline is killed and
  replaced, and the other workers go on answering;
* more than ``--max-rows`` rows (or triples): 400, asking for a LIMIT;
* cross-origin requests: no ``Access-Control-Allow-Origin`` unless ``--cors``.

A request waits at most ``timeout`` seconds for a free worker (503 when all stay busy), then
its query runs at most ``timeout`` seconds.
"""

from __future__ import annotations

import html
import json
import os
import queue
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

MAX_BODY = 1 << 20
#: format name -> media type, for SELECT/ASK results and for graphs.
RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {"turtle": "text/turtle", "ntriples": "application/n-triples"}
_ALIASES = {"application/json": "json", "application/xml": "xml", "text/xml": "xml", "text/plain": "ntriples", "application/x-turtle": "turtle"}


# --- the worker process: one store, one query at a time ------------------------------------------


def _worker(conn, dump: bytes) -> None:
    """Load the graph, say "ready", then answer jobs from the pipe until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers itself
    store = ox.Store()
    store.bulk_extend(ox.parse(dump, format=ox.RdfFormat.N_QUADS))
    graphs = frozenset(g.value for g in store.named_graphs())
    from functools import lru_cache

    from .safety import check_query as check_any  # imports rdflib's SPARQL parser once, before "ready"

    # Parsing with rdflib costs ~30 ms a query; clients repeat their queries, so a text
    # checked once is not parsed again (refusals raise, and are not cached).
    check_query = lru_cache(maxsize=1024)(check_any)
    check_query("ASK {}")
    conn.send("ready")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer = _answer(store, graphs, job, check_query)
        except Exception as err:  # noqa: BLE001 - a worker reports, never dies, on a bad query
            answer = (500, f"internal error: {type(err).__name__}: {err}")
        conn.send(answer)


def _answer(store: ox.Store, graphs: frozenset[str], job: dict, check_query):
    """(status, message) for a refusal or an error; (200, media type, body) for an answer."""
    from .errors import UnsafeQueryError, UsageError
    from .store import Result

    text = job["query"]
    try:
        form = check_query(text, graphs)
    except UnsafeQueryError as err:
        return (403 if str(err).startswith("updates are refused") else 400, str(err))
    except UsageError as err:
        return (400, str(err))
    for iri in job["default"] + job["named"]:
        if iri not in graphs:
            return (400, f"default-graph-uri/named-graph-uri <{iri}> is refused: it names no graph in the store")
    kwargs = {}
    if job["default"] or job["named"]:
        kwargs = {"default_graph": [ox.NamedNode(g) for g in job["default"]], "named_graphs": [ox.NamedNode(g) for g in job["named"]]}
    try:
        res = store.query(text, **kwargs)
    except SyntaxError as err:
        return (400, f"query syntax error: {err}")
    cap, fmt = job["max_rows"], job["format"]
    if form in ("SELECT", "ASK"):
        fmt = fmt if fmt in RESULT_TYPES else "json"
        if isinstance(res, ox.QueryBoolean):
            return (200, RESULT_TYPES[fmt], _boolean(bool(res), fmt))
        variables = res.variables
        rows = []
        for solution in res:
            if len(rows) == cap:
                return (400, f"the result has more than {cap} rows, the server's cap: add a LIMIT (and OFFSET to page)")
            rows.append(tuple(solution[v] for v in variables))
        result = Result([v.value for v in variables], rows)
        body = {"xml": _xml, "json": _json}.get(fmt, lambda r: r.format(fmt))(result)
        return (200, RESULT_TYPES[fmt], body.encode("utf-8"))
    fmt = fmt if fmt in GRAPH_TYPES else "turtle"
    triples = []
    for t in res:
        if len(triples) == cap:
            return (400, f"the result has more than {cap} triples, the server's cap: add a LIMIT")
        triples.append(t)
    from .namespaces import PREFIXES

    rdf_format = ox.RdfFormat.TURTLE if fmt == "turtle" else ox.RdfFormat.N_TRIPLES
    body = ox.serialize(triples, format=rdf_format, prefixes=PREFIXES if fmt == "turtle" else None) or b""
    return (200, GRAPH_TYPES[fmt], body)


def _boolean(value: bool, fmt: str) -> bytes:
    if fmt == "xml":
        return f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/><boolean>{str(value).lower()}</boolean></sparql>\n'.encode()
    if fmt in ("csv", "tsv"):
        return f"{str(value).lower()}\n".encode()
    return json.dumps({"head": {}, "boolean": value}).encode()


def _json(result) -> str:
    """SPARQL Query Results JSON, compact (``Result.to_json`` indents, for people)."""
    from .store import term_json

    bindings = [{c: term_json(t) for c, t in zip(result.columns, row) if t is not None} for row in result.rows]
    return json.dumps({"head": {"vars": result.columns}, "results": {"bindings": bindings}}, ensure_ascii=False, separators=(",", ":"))


def _xml(result) -> str:
    """SPARQL Query Results XML."""
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
    out += [f"<variable name={quoteattr(c)}/>" for c in result.columns]
    out.append("</head>\n<results>")
    for row in result.rows:
        out.append("<result>")
        for c, t in zip(result.columns, row):
            if t is None:
                continue
            if isinstance(t, ox.NamedNode):
                cell = f"<uri>{escape(t.value)}</uri>"
            elif isinstance(t, ox.BlankNode):
                cell = f"<bnode>{escape(t.value)}</bnode>"
            elif t.language:
                cell = f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
            else:
                cell = f"<literal datatype={quoteattr(t.datatype.value)}>{escape(t.value)}</literal>"
            out.append(f"<binding name={quoteattr(c)}>{cell}</binding>")
        out.append("</result>")
    out.append("</results>\n</sparql>\n")
    return "\n".join(out)


# --- the pool: workers in processes, killed at the deadline ---------------------------------------


class _Worker:
    def __init__(self, ctx, dump: bytes):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, dump), daemon=True, name="mmdgraph-serve-worker")
        self.proc.start()
        child.close()

    def wait_ready(self, timeout: float = 120.0) -> None:
        if not self.conn.poll(timeout) or self.conn.recv() != "ready":
            raise RuntimeError(f"a query worker (pid {self.proc.pid}) did not start")

    def stop(self) -> None:
        """Kill this worker (our own child, by its pid) and reap it."""
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


class Pool:
    """``size`` worker processes; :meth:`run` gives a job to a free one and enforces the deadline."""

    def __init__(self, dump: bytes, size: int):
        import multiprocessing

        self.ctx = multiprocessing.get_context("spawn")  # no fork from a threaded server
        self.dump = dump
        self.idle: queue.Queue[_Worker] = queue.Queue()
        self.closed = False
        self.stopped = 0  # queries stopped at the deadline
        workers = [_Worker(self.ctx, dump) for _ in range(size)]
        for w in workers:
            w.wait_ready()
            self.idle.put(w)

    def _replace(self) -> None:
        try:
            w = _Worker(self.ctx, self.dump)
            w.wait_ready()
        except Exception as err:  # noqa: BLE001 - reported, the pool goes on with fewer workers
            print(f"mmdgraph serve: could not start a replacement worker: {err}", file=sys.stderr)
            return
        if self.closed:
            w.stop()
        else:
            self.idle.put(w)

    def run(self, job: dict, timeout: float):
        try:
            w = self.idle.get(timeout=timeout)
        except queue.Empty:
            return (503, f"all query workers stayed busy for {timeout:g} s; try again later")
        try:
            w.conn.send(job)
            if w.conn.poll(timeout):
                answer = w.conn.recv()
                self.idle.put(w)
                return answer
        except (EOFError, OSError):
            w.stop()
            threading.Thread(target=self._replace, daemon=True).start()
            return (500, "the query worker died")
        # Past the deadline: pyoxigraph cannot be interrupted, so the process is killed and replaced.
        w.stop()
        self.stopped += 1
        threading.Thread(target=self._replace, daemon=True).start()
        return (504, f"the query ran past the {timeout:g} s deadline and was stopped")

    def close(self) -> None:
        self.closed = True
        while True:
            try:
                self.idle.get_nowait().stop()
            except queue.Empty:
                return


# --- HTTP ---------------------------------------------------------------------------------------


def _negotiate(accept: str, fmt: str | None) -> str | None:
    """The format name asked for by ``format=`` or the Accept header ("" = the default)."""
    if fmt:
        return fmt.lower()
    best, best_q = "", 0.0
    for part in (accept or "").split(","):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        name = {v: k for k, v in {**RESULT_TYPES, **GRAPH_TYPES}.items()}.get(media.lower()) or _ALIASES.get(media.lower())
        if media in ("*/*", "") and q > best_q:
            best, best_q = "", q
        elif name and q > best_q:
            best, best_q = name, q
    return best


def examples_page(store=None) -> str:
    """The HTML page at ``/``: every canned query, with links that run it here."""
    from .endpoint import bind_values
    from .queries import bindings_for, catalogue

    items = []
    for q in catalogue():
        try:
            text = bind_values(q.text, bindings_for(q, q.example, store)) if q.params else q.text
        except Exception:  # noqa: BLE001 - a query whose example cannot be bound is listed without links
            text = q.text
        link = "query?" + urllib.parse.urlencode({"query": text})
        params = f" (example: {html.escape(' '.join(f'{k}={v}' for k, v in q.example.items()))})" if q.example else ""
        items.append(
            f"<li><b>{html.escape(q.title)}</b>{params}: {html.escape(q.question)}<br>"
            + " ".join(f'<a href="{html.escape(link)}&amp;format={f}">{f.upper()}</a>' for f in ("csv", "tsv", "json", "xml"))
            + f"<details><summary>query</summary><pre>{html.escape(text)}</pre></details></li>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mmdgraph SPARQL endpoint</title></head>
<body><h1>mmdgraph: read-only SPARQL 1.1 endpoint</h1>
<p>Send queries to <code>/query</code> (GET or POST, SPARQL 1.1 Protocol). Results as JSON, CSV, TSV or XML
(<code>Accept</code> header or <code>format=</code>); CONSTRUCT as Turtle or N-Triples. Updates, SERVICE and
remote graphs are refused.</p>
<form action="query" method="get"><textarea name="query" rows="8" cols="100">SELECT * WHERE {{ ?s ?p ?o }} LIMIT 10</textarea><br>
<select name="format"><option>csv</option><option>tsv</option><option>json</option><option>xml</option></select>
<button>Run</button></form>
<h2>Canned queries</h2><ul>{''.join(items)}</ul></body></html>
"""


class _Handler(BaseHTTPRequestHandler):
    server_version = "mmdgraph-serve"
    timeout = 60  # seconds a client may take to send its request (the socket timeout)
    # Set by serve(): the pool, the limits, the CORS switch and the examples page.
    pool: Pool
    timeout_s: float
    max_rows: int
    cors: bool
    page: bytes

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass  # quiet: one line per request would drown the deadline messages

    def _send(self, status: int, body: bytes | str, media: str = "text/plain; charset=utf-8") -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        if self.cors:
            self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status: int, message: str) -> None:
        self._send(status, message.rstrip() + "\n")

    def do_OPTIONS(self):  # noqa: N802 - the stdlib's name
        if not self.cors:
            return self._error(405, "cross-origin requests are off (start with --cors)")
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type, Accept")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _read_only(self):
        self._error(403, "this endpoint is read-only: updates are refused")

    do_PUT = do_DELETE = do_PATCH = _read_only  # noqa: N815

    def do_HEAD(self):  # noqa: N802
        self.do_GET()

    def do_GET(self):  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            return self._send(200, self.page, "text/html; charset=utf-8")
        if url.path not in ("/query", "/sparql"):
            return self._error(404, f"nothing here: ask /query (GET or POST), or / for examples")
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        self._dispatch(params)

    def do_POST(self):  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/update":
            return self._read_only()
        if url.path not in ("/query", "/sparql"):
            return self._error(404, f"nothing here: ask /query (GET or POST), or / for examples")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self._error(400, "bad Content-Length")
        if length > MAX_BODY:
            return self._error(413, f"request body over {MAX_BODY} bytes")
        body = self.rfile.read(length).decode("utf-8", "replace")
        media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        if media == "application/sparql-update":
            return self._read_only()
        if media == "application/sparql-query":
            params["query"] = [body]
        elif media == "application/x-www-form-urlencoded":
            for k, v in urllib.parse.parse_qs(body, keep_blank_values=True).items():
                params.setdefault(k, []).extend(v)
        else:
            return self._error(415, "send application/sparql-query or application/x-www-form-urlencoded")
        self._dispatch(params)

    def _dispatch(self, params: dict) -> None:
        if "update" in params:
            return self._read_only()
        queries = params.get("query", [])
        if len(queries) != 1 or not queries[0].strip():
            return self._error(400, "give exactly one query parameter")
        fmt = _negotiate(self.headers.get("Accept", ""), (params.get("format") or params.get("output") or [None])[0])
        if fmt not in ("", *RESULT_TYPES, *GRAPH_TYPES):
            return self._error(406, f"unknown result format {fmt!r}: use json, xml, csv, tsv (SELECT, ASK) or turtle, ntriples (CONSTRUCT)")
        job = {
            "query": queries[0],
            "default": params.get("default-graph-uri", []),
            "named": params.get("named-graph-uri", []),
            "max_rows": self.max_rows,
            "format": fmt,
        }
        answer = self.pool.run(job, self.timeout_s)
        if answer[0] == 504:
            print(f"mmdgraph serve: {answer[1]}", file=sys.stderr, flush=True)
        if len(answer) == 2:
            return self._error(*answer)
        status, media, body = answer
        self._send(status, body, media + ("; charset=utf-8" if media.startswith("text/") else ""))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def serve(
    host: str = "127.0.0.1",
    port: int = 7878,
    timeout: float = 10.0,
    max_rows: int = 10000,
    cors: bool = False,
    *,
    workers: int | None = None,
    store=None,
) -> None:
    """Serve ``store`` (default: the shipped graph) read-only until interrupted (Ctrl-C, SIGTERM).

    ``workers`` query processes (default: the number of CPUs, at least 2) each hold a copy of
    the graph. ``port=0`` picks a free port; the address is printed on stderr once ready.
    """
    from .errors import UsageError
    from .loading import default_store

    if timeout <= 0 or max_rows <= 0:
        raise UsageError("--timeout and --max-rows must be positive")
    store = store if store is not None else default_store()
    dump = ox.serialize(store.ox, format=ox.RdfFormat.N_QUADS)
    try:
        httpd = _Server((host, port), _Handler)
    except OSError as err:
        from .errors import EndpointError

        raise EndpointError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    try:
        pool = Pool(dump, workers or max(2, os.cpu_count() or 2))
    except BaseException:
        httpd.server_close()
        raise
    handler = type("Handler", (_Handler,), {"pool": pool, "timeout_s": timeout, "max_rows": max_rows, "cors": cors, "page": examples_page(store).encode("utf-8")})
    httpd.RequestHandlerClass = handler

    def _stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _stop) if threading.current_thread() is threading.main_thread() else None
    real_host, real_port = httpd.server_address[:2]
    where = "" if host in ("127.0.0.1", "localhost", "::1") else " (NOT loopback: reachable from the network)"
    print(
        f"mmdgraph serve: listening on http://{real_host}:{real_port}/query{where}; {len(store)} quads, "
        f"{pool.idle.qsize()} workers, deadline {timeout:g} s, cap {max_rows} rows, CORS {'on' if cors else 'off'}",
        file=sys.stderr,
        flush=True,
    )
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        pool.close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        print("mmdgraph serve: stopped", file=sys.stderr, flush=True)

