"""Serve the graph read-only over the SPARQL 1.1 Protocol, on loopback by default.

``mmdgraph serve`` answers ``GET``/``POST`` queries at ``/query`` (and ``/sparql``): SELECT and
ASK results as JSON, CSV, TSV or XML, CONSTRUCT and DESCRIBE as Turtle or N-Triples, chosen
by the ``Accept`` header or a ``format`` parameter. ``/`` lists the canned queries as
examples, each a link that runs it.

What it refuses, and how (the threat model and the limits: ``docs/serving.md``):

* updates (``update=``, ``application/sparql-update``, an update sent as a query, PUT,
  DELETE): 403, the endpoint is read-only;
* ``SERVICE``, ``FROM``/``FROM NAMED`` or ``default-graph-uri``/``named-graph-uri`` naming a
  graph the store does not hold, ``LOAD``: 400 (:func:`mmdgraph.safety.check_query`); and
  whatever the check lets through cannot reach the network: each worker runs under a seccomp
  filter that refuses internet sockets (:func:`mmdgraph.safety.sandbox_process`);
* a ``Host`` header that is not a loopback name (``localhost``, ``127.0.0.1``, ``[::1]``) or
  one given with ``allow_hosts``: 403 (DNS rebinding);
* a request body whose ``Content-Length`` is missing (411), not a plain decimal number (400)
  or over 1 MiB (413, before reading it);
* a query running past the deadline (``--timeout``): 504. pyoxigraph cannot interrupt a
  query, so queries run in worker processes; a worker past its deadline is killed and
  replaced (a warm spare takes its place), and the other workers go on answering. Each
  worker also arms a kernel timer that ends it shortly after the deadline, and dies with the
  server (``PR_SET_PDEATHSIG``), so no runaway outlives either;
* a query running past ``short`` seconds when the other long-query slots are taken (one
  worker is always kept for short queries): 503 with ``Retry-After``;
* a worker growing past ``max_memory`` MiB (``RLIMIT_AS``): 500, the worker is replaced;
* more than ``--max-rows`` rows (or triples) or ``--max-bytes`` bytes: 400, asking for a LIMIT;
* cross-origin requests: no ``Access-Control-Allow-Origin`` unless ``--cors``.

A request waits at most ``timeout`` seconds for a free worker (503 and ``Retry-After`` when
all stay busy), then its query runs at most ``timeout`` seconds.
"""

from __future__ import annotations

import html
import json
import os
import queue
import re
import signal
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

MAX_BODY = 1 << 20
#: Defaults of the limits (see serve()).
MAX_BYTES = 16 << 20
MAX_MEMORY_MB = 1024
SHORT = 1.0
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
#: format name -> media type, for SELECT/ASK results and for graphs.
RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {"turtle": "text/turtle", "ntriples": "application/n-triples"}
_ALIASES = {
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "text/plain": "ntriples",
    "application/x-turtle": "turtle",
}


# --- the worker process: one store, one query at a time ------------------------------------------


class CheckCache:
    """Query texts already checked, and their form: bounded by the bytes of text it holds.

    Parsing with rdflib costs ~30 ms a query and clients repeat their queries; an unbounded
    cache would let a client fill a worker's memory with distinct texts. Texts over
    ``max_entry`` characters are not kept; the least recently used go first.
    """

    def __init__(self, max_bytes: int = 4 << 20, max_entry: int = 64 << 10):
        from collections import OrderedDict

        self.entries: OrderedDict[tuple, str] = OrderedDict()
        self.max_bytes, self.max_entry, self.size = max_bytes, max_entry, 0

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, text) -> bool:
        return any(k[0] == text for k in self.entries)

    def get(self, key):
        form = self.entries.get(key)
        if form is not None:
            self.entries.move_to_end(key)
        return form

    def put(self, key, form: str) -> None:
        text = key[0] if isinstance(key, tuple) else key
        key = key if isinstance(key, tuple) else (key,)
        if len(text) > self.max_entry or key in self.entries:
            return
        self.entries[key] = form
        self.size += len(text)
        while self.size > self.max_bytes:
            old, _ = self.entries.popitem(last=False)
            self.size -= len(old[0])


def worker_alarm(deadline: float) -> float:
    """Seconds after which a worker's own kernel timer ends it: the deadline plus a second's grace."""
    return deadline + 1.0


def _die_with_parent(parent: int) -> None:
    """PR_SET_PDEATHSIG: the kernel SIGKILLs this worker when the server's spawning thread ends."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the server died before the line above
        os._exit(1)


def _worker(conn, dump: bytes, parent: int = 0, max_memory_mb: int = 0) -> None:
    """Load the graph, say "ready", then answer jobs from the pipe until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the workers itself
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the per-query timer ends the process
    if not parent:
        # Forked by the fork server, this worker holds a copy of the server's "alive" pipe, which
        # keeps the fork server (its parent) running as long as any worker does. Closed here, the
        # fork server ends when the server does, and PR_SET_PDEATHSIG then ends every worker.
        try:
            from multiprocessing import forkserver

            fd = forkserver._forkserver._forkserver_alive_fd
            if fd is not None:
                os.close(fd)
                forkserver._forkserver._forkserver_alive_fd = None
        except (AttributeError, OSError):
            pass
    if sys.platform.startswith("linux"):
        _die_with_parent(parent or os.getppid())
    if max_memory_mb:
        import resource

        limit = max_memory_mb << 20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from .safety import sandbox_process

    sandboxed = sandbox_process()  # every thread of this process, from now on: no internet sockets
    store = ox.Store()
    store.bulk_extend(ox.parse(dump, format=ox.RdfFormat.N_QUADS))
    del dump
    graphs = frozenset(g.value for g in store.named_graphs())
    from .safety import check_query as check_any  # imports rdflib's SPARQL parser once, before "ready"

    cache = CheckCache()

    def check_query(text, graph_names):
        key = (text,)
        form = cache.get(key)
        if form is None:
            form = check_any(text, graph_names)  # refusals raise, and are not cached
            cache.put(key, form)
        return form

    check_query("ASK {}", graphs)
    conn.send("ready" if sandboxed else "ready-unsandboxed")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job.get("deadline") and hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, worker_alarm(job["deadline"]))
        try:
            answer = _answer(store, graphs, job, check_query, sandboxed)
        except MemoryError:
            answer = (500, f"the query needed more memory than a worker may use ({max_memory_mb} MiB) and was stopped")
        except Exception as err:
            answer = (500, f"internal error: {type(err).__name__}: {str(err)[:300]}")
        finally:
            if hasattr(signal, "setitimer"):
                signal.setitimer(signal.ITIMER_REAL, 0)
        try:
            conn.send((answer, cache.get((job["query"],)) or job.get("form")))
        except (OSError, ValueError):
            return


class _TooBig(Exception):
    pass


def _answer(store: ox.Store, graphs: frozenset[str], job: dict, check_query, sandboxed: bool = True):
    """(status, message) for a refusal or an error; (200, media type, body) for an answer."""
    from .errors import UnsafeQueryError, UsageError
    from .safety import refuse_any_service
    from .store import Result

    text = job["query"]
    try:
        # A text the server saw pass the check carries its form: the sandbox, not the check,
        # is what keeps it off the network, so a worker need not parse it again.
        form = job.get("form") or check_query(text, graphs)
        if not sandboxed:
            refuse_any_service(text)
    except UnsafeQueryError as err:
        return (403 if str(err).startswith("updates are refused") else 400, str(err))
    except UsageError as err:
        return (400, str(err))
    for iri in job["default"] + job["named"]:
        if iri not in graphs:
            return (400, f"default-graph-uri/named-graph-uri <{iri}> is refused: it names no graph in the store")
    kwargs = {}
    if job["default"] or job["named"]:
        kwargs = {
            "default_graph": [ox.NamedNode(g) for g in job["default"]],
            "named_graphs": [ox.NamedNode(g) for g in job["named"]],
        }
    cap, fmt, max_bytes = job["max_rows"], job["format"], job.get("max_bytes") or MAX_BYTES
    too_big = (
        400,
        f"the answer is larger than {max_bytes} bytes, the server's cap: add a LIMIT (and OFFSET to page) or select fewer columns",
    )
    try:
        res = store.query(text, **kwargs)
        if form in ("SELECT", "ASK"):
            fmt = fmt if fmt in RESULT_TYPES else "json"
            if isinstance(res, ox.QueryBoolean):
                return (200, RESULT_TYPES[fmt], _boolean(bool(res), fmt))
            variables = res.variables
            rows, size = [], 0
            for solution in res:
                if len(rows) == cap:
                    return (
                        400,
                        f"the result has more than {cap} rows, the server's cap: add a LIMIT (and OFFSET to page)",
                    )
                row = tuple(solution[v] for v in variables)
                size += sum(len(t.value) + 16 for t in row if t is not None)
                if size > max_bytes:
                    raise _TooBig
                rows.append(row)
            result = Result([v.value for v in variables], rows)
            body = {"xml": _xml, "json": _json}.get(fmt, lambda r: r.format(fmt))(result).encode("utf-8")
            if len(body) > max_bytes:
                raise _TooBig
            return (200, RESULT_TYPES[fmt], body)
        fmt = fmt if fmt in GRAPH_TYPES else "turtle"
        triples, size = [], 0
        for t in res:
            if len(triples) == cap:
                return (400, f"the result has more than {cap} triples, the server's cap: add a LIMIT")
            size += len(t.subject.value) + len(t.predicate.value) + len(t.object.value) + 16
            if size > max_bytes:
                raise _TooBig
            triples.append(t)
        from .namespaces import PREFIXES

        rdf_format = ox.RdfFormat.TURTLE if fmt == "turtle" else ox.RdfFormat.N_TRIPLES
        body = ox.serialize(triples, format=rdf_format, prefixes=PREFIXES if fmt == "turtle" else None) or b""
        if len(body) > max_bytes:
            raise _TooBig
        return (200, GRAPH_TYPES[fmt], body)
    except _TooBig:
        return too_big
    except SyntaxError as err:
        return (400, f"query syntax error: {err}")
    except OSError:  # Oxigraph's HTTP client meeting the sandbox: a SERVICE the check did not see
        return (400, "the query tried to reach the network (SERVICE), which mmdgraph never does")


def _boolean(value: bool, fmt: str) -> bytes:
    if fmt == "xml":
        return f'<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/><boolean>{str(value).lower()}</boolean></sparql>\n'.encode()
    if fmt in ("csv", "tsv"):
        return f"{str(value).lower()}\n".encode()
    return json.dumps({"head": {}, "boolean": value}).encode()


def _json(result) -> str:
    """SPARQL Query Results JSON, compact (``Result.to_json`` indents, for people)."""
    from .store import term_json

    bindings = [
        {c: term_json(t) for c, t in zip(result.columns, row, strict=True) if t is not None} for row in result.rows
    ]
    return json.dumps(
        {"head": {"vars": result.columns}, "results": {"bindings": bindings}}, ensure_ascii=False, separators=(",", ":")
    )


def _xml(result) -> str:
    """SPARQL Query Results XML."""
    out = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
    out += [f"<variable name={quoteattr(c)}/>" for c in result.columns]
    out.append("</head>\n<results>")
    for row in result.rows:
        out.append("<result>")
        for c, t in zip(result.columns, row, strict=True):
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
    def __init__(self, ctx, dump: bytes, max_memory_mb: int):
        self.conn, child = ctx.Pipe()
        # The parent to die with: this server (spawn) or the fork server, which ends when this server does.
        parent = os.getpid() if ctx.get_start_method() == "spawn" else 0
        self.proc = ctx.Process(
            target=_worker, args=(child, dump, parent, max_memory_mb), daemon=True, name="mmdgraph-serve-worker"
        )
        self.proc.start()
        child.close()
        self.sandboxed = True

    def wait_ready(self, timeout: float = 120.0) -> None:
        msg = self.conn.recv() if self.conn.poll(timeout) else None
        if msg not in ("ready", "ready-unsandboxed"):
            raise RuntimeError(f"a query worker (pid {self.proc.pid}) did not start")
        self.sandboxed = msg == "ready"

    def stop(self) -> None:
        """Kill this worker (our own child, by its pid) and reap it."""
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


def _renice(pid: int, value: int) -> bool:
    """Set the CPU priority of a worker (its main thread, which runs the query); False if refused."""
    try:
        os.setpriority(os.PRIO_PROCESS, pid, value)
        return True
    except (OSError, AttributeError):
        return False


class Pool:
    """``size`` worker processes; :meth:`run` gives a job to a free one and enforces the deadline.

    Workers are started by one long-lived thread (``PR_SET_PDEATHSIG`` follows the thread that
    started a process, so a short-lived thread would take its workers with it), and one warm
    spare waits to replace a killed worker at once. At most ``long_slots`` queries may run
    past ``short`` seconds at a time (default: all workers but one), so one worker is always
    left for short queries.
    """

    def __init__(
        self,
        dump: bytes,
        size: int,
        *,
        max_memory_mb: int = MAX_MEMORY_MB,
        short: float = SHORT,
        long_slots: int | None = None,
    ):
        import multiprocessing

        # Workers are forked by a fork server: a clean single-threaded process (started by
        # fork+exec, so no fork from this threaded server) that has imported pyoxigraph and
        # rdflib's SPARQL parser once. A replacement worker then starts in a fraction of a second
        # instead of seconds of imports: what a stream of runaway queries costs is mostly that.
        try:
            self.ctx = multiprocessing.get_context("forkserver")
            self.ctx.set_forkserver_preload(
                [
                    "pyoxigraph",
                    "mmdgraph.serve",
                    "mmdgraph.safety",
                    "rdflib.plugins.sparql.parser",
                    "rdflib.plugins.sparql.algebra",
                ]
            )
        except ValueError:  # no fork server on this system
            self.ctx = multiprocessing.get_context("spawn")
        self.dump = dump
        self.max_memory_mb = max_memory_mb
        self.short = short
        self.idle: queue.Queue[_Worker] = queue.Queue()
        self.spare: queue.Queue[_Worker] = queue.Queue()
        self.closed = False
        self.stopped = 0  # queries stopped at the deadline
        self.size = size
        self.long_slots = threading.BoundedSemaphore(max(1, size - 1) if long_slots is None else max(1, long_slots))
        self.checked = CheckCache()  # texts a worker checked: (text,) -> form
        self.stopped_texts: dict[str, float] = {}  # text -> until when it is refused without running
        self.lock = threading.Lock()
        self._orders: queue.Queue = queue.Queue()
        self._spawner = threading.Thread(target=self._spawn_loop, name="mmdgraph-serve-spawner", daemon=True)
        self._spawner.start()
        ready: queue.Queue = queue.Queue()
        for _ in range(size + 1):
            self._orders.put(ready)
        started = [ready.get() for _ in range(size + 1)]
        failed = [w for w in started if isinstance(w, BaseException)]
        if failed:
            for w in started:
                if isinstance(w, _Worker):
                    w.stop()
            self.close()
            raise failed[0]
        self.sandboxed = all(w.sandboxed for w in started)
        for w in started[:size]:
            self.idle.put(w)
        self.spare.put(started[size])

    def _spawn_loop(self) -> None:
        """Start a worker for each order (a queue to put it in); lives as long as the pool."""
        while True:
            target = self._orders.get()
            if target is None:
                return
            try:
                w = _Worker(self.ctx, self.dump, self.max_memory_mb)
                w.wait_ready()
            except Exception as err:
                if target is self.idle or target is self.spare:
                    print(f"mmdgraph serve: could not start a replacement worker: {err}", file=sys.stderr, flush=True)
                    continue
                target.put(err)
                continue
            if self.closed and (target is self.idle or target is self.spare):
                w.stop()
            else:
                target.put(w)

    def _replace(self) -> None:
        """Put the warm spare to work at once and order a new spare (or, without one, a worker)."""
        try:
            self.idle.put(self.spare.get_nowait())
            self._orders.put(self.spare)
        except queue.Empty:
            self._orders.put(self.idle)

    def _kill(self, w: _Worker) -> None:
        w.stop()
        self._replace()

    def _died(self, w: _Worker) -> tuple:
        w.proc.join(2)
        code = w.proc.exitcode
        self._kill(w)
        if code in (-signal.SIGABRT, -signal.SIGSEGV, -signal.SIGKILL, -signal.SIGBUS):
            return (
                500,
                f"the query needed more memory than a worker may use ({self.max_memory_mb} MiB) and was stopped",
            )
        return (500, "the query worker died")

    #: A query stopped at its deadline is refused without running for this long if sent again as is.
    REMEMBER_STOPPED = 60.0

    def _receive(self, w: _Worker, text: str, niced: bool = False):
        answer, form = w.conn.recv()
        if niced and not _renice(w.proc.pid, 0):
            self._kill(w)  # no right to raise its priority again: retire the worker instead
        else:
            self.idle.put(w)
        if form and answer[0] == 200:
            with self.lock:
                self.checked.put((text,), form)
        return answer

    def _stopped(self, text: str) -> None:
        import time

        with self.lock:
            now = time.monotonic()
            self.stopped_texts = {t: u for t, u in self.stopped_texts.items() if u > now}
            if len(self.stopped_texts) < 1000 and len(text) <= 64 << 10:
                self.stopped_texts[text] = now + self.REMEMBER_STOPPED

    def run(self, job: dict, timeout: float):
        import time

        retry = str(max(1, round(min(timeout, 60))))
        text = job["query"]
        with self.lock:
            until = self.stopped_texts.get(text, 0)
            form = self.checked.get((text,))
        if until > time.monotonic():
            return (
                503,
                f"this query was stopped at a deadline less than {self.REMEMBER_STOPPED:g} s ago; it is not run again "
                "so soon: add a LIMIT or simplify it",
                {"Retry-After": str(max(1, round(until - time.monotonic())))},
            )
        try:
            w = self.idle.get(timeout=timeout)
        except queue.Empty:
            return (503, f"all query workers stayed busy for {timeout:g} s; try again later", {"Retry-After": retry})
        job = {**job, "deadline": timeout, "form": form}
        try:
            w.conn.send(job)
            short = min(self.short, timeout)
            if w.conn.poll(short):
                return self._receive(w, text)
            if short < timeout:
                if not self.long_slots.acquire(blocking=False):
                    # Every long-query slot is taken: this worker goes back to the short queries.
                    self._kill(w)
                    return (
                        503,
                        f"the query ran past {short:g} s while the server's other long-query slots were busy; "
                        "it was stopped: try again later",
                        {"Retry-After": retry},
                    )
                try:
                    # A long query runs at the lowest CPU priority: short queries go first.
                    niced = _renice(w.proc.pid, 19)
                    if w.conn.poll(timeout - short):
                        return self._receive(w, text, niced)
                finally:
                    self.long_slots.release()
        except (EOFError, OSError):
            return self._died(w)
        # Past the deadline: pyoxigraph cannot be interrupted, so the process is killed and replaced.
        self._kill(w)
        self._stopped(text)
        self.stopped += 1
        return (504, f"the query ran past the {timeout:g} s deadline and was stopped")

    def close(self) -> None:
        self.closed = True
        self._orders.put(None)
        for q in (self.idle, self.spare):
            while True:
                try:
                    q.get_nowait().stop()
                except queue.Empty:
                    break


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
        name = {v: k for k, v in {**RESULT_TYPES, **GRAPH_TYPES}.items()}.get(media.lower()) or _ALIASES.get(
            media.lower()
        )
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
        except Exception:
            text = q.text
        link = "query?" + urllib.parse.urlencode({"query": text})
        params = f" (example: {html.escape(' '.join(f'{k}={v}' for k, v in q.example.items()))})" if q.example else ""
        items.append(
            f"<li><b>{html.escape(q.title)}</b>{params}: {html.escape(q.question)}<br>"
            + " ".join(
                f'<a href="{html.escape(link)}&amp;format={f}">{f.upper()}</a>' for f in ("csv", "tsv", "json", "xml")
            )
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
<h2>Canned queries</h2><ul>{"".join(items)}</ul></body></html>
"""


def host_allowed(host_header: str | None, allowed: frozenset[str]) -> bool:
    """Whether a ``Host`` header names this server: a loopback name or address, or an allowed name.

    >>> host_allowed("localhost:7878", LOOPBACK_HOSTS), host_allowed("[::1]:80", LOOPBACK_HOSTS)
    (True, True)
    >>> host_allowed("attacker.example:7878", LOOPBACK_HOSTS)
    False
    """
    if host_header is None:
        return True  # HTTP/1.0 without Host: not a browser, so not DNS rebinding
    host = host_header.strip().lower()
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        if rest and not re.fullmatch(r":\d{1,5}", rest):
            return False
    else:
        name, sep, port = host.partition(":")
        if sep and not re.fullmatch(r"\d{1,5}", port):
            return False
    return name in allowed


class _Handler(BaseHTTPRequestHandler):
    server_version = "mmdgraph-serve"
    timeout = 60  # seconds a client may take to send its request (the socket timeout)
    # Set by serve(): the pool, the limits, the CORS switch, the allowed hosts and the examples page.
    pool: Pool
    timeout_s: float
    max_rows: int
    max_bytes: int
    cors: bool
    hosts: frozenset[str]
    page: bytes

    def log_message(self, format, *args):
        pass  # quiet: one line per request would drown the deadline messages

    def _send(
        self, status: int, body: bytes | str, media: str = "text/plain; charset=utf-8", headers: dict | None = None
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if status >= 400:
            self.send_header("Connection", "close")
            self.close_connection = True
        if self.cors:
            self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _error(self, status: int, message: str, headers: dict | None = None) -> None:
        self._send(status, message.rstrip() + "\n", headers=headers)

    def _host_ok(self) -> bool:
        if host_allowed(self.headers.get("Host"), self.hosts):
            return True
        self._error(403, "this server answers requests for localhost only (Host header refused; see --allow-host)")
        return False

    def do_OPTIONS(self):
        if not self._host_ok():
            return
        if not self.cors:
            return self._error(405, "cross-origin requests are off (start with --cors)")
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type, Accept")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _read_only(self):
        if self._host_ok():
            self._error(403, "this endpoint is read-only: updates are refused")

    do_PUT = do_DELETE = do_PATCH = _read_only

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        if not self._host_ok():
            return
        url = urllib.parse.urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            return self._send(200, self.page, "text/html; charset=utf-8")
        if url.path not in ("/query", "/sparql"):
            return self._error(404, "nothing here: ask /query (GET or POST), or / for examples")
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        self._dispatch(params)

    def _body_length(self) -> int | None:
        """The request's Content-Length, or None after answering 400/411/413 (never reading past the limit)."""
        values = self.headers.get_all("Content-Length") or []
        if self.headers.get("Transfer-Encoding") or not values:
            self._error(411, "send the query with a Content-Length (chunked bodies are not read)")
            return None
        if len(set(v.strip() for v in values)) != 1 or not re.fullmatch(r"[0-9]{1,12}", values[0].strip()):
            self._error(400, "bad Content-Length: want one decimal number of bytes")
            return None
        length = int(values[0])
        if length > MAX_BODY:
            self._error(413, f"request body over {MAX_BODY} bytes")
            return None
        return length

    def do_POST(self):
        if not self._host_ok():
            return
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/update":
            return self._read_only()
        if url.path not in ("/query", "/sparql"):
            return self._error(404, "nothing here: ask /query (GET or POST), or / for examples")
        length = self._body_length()
        if length is None:
            return
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
            return self._error(
                406,
                f"unknown result format {fmt!r}: use json, xml, csv, tsv (SELECT, ASK) or turtle, ntriples (CONSTRUCT)",
            )
        job = {
            "query": queries[0],
            "default": params.get("default-graph-uri", []),
            "named": params.get("named-graph-uri", []),
            "max_rows": self.max_rows,
            "max_bytes": self.max_bytes,
            "format": fmt,
        }
        answer = self.pool.run(job, self.timeout_s)
        if answer[0] in (503, 504) or (answer[0] == 500 and "memory" in str(answer[1])):
            print(f"mmdgraph serve: {answer[1]}", file=sys.stderr, flush=True)
        if len(answer) == 2:
            return self._error(*answer)
        if isinstance(answer[2], dict):
            return self._error(answer[0], answer[1], answer[2])
        status, media, body = answer
        self._send(status, body, media + ("; charset=utf-8" if media.startswith("text/") else ""))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        """One line for a client that went away (no traceback); one line for anything else."""
        err = sys.exc_info()[1]
        who = f"{client_address[0]}:{client_address[1]}" if isinstance(client_address, tuple) else str(client_address)
        if isinstance(err, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)):
            print(f"mmdgraph serve: client {who} disconnected before its answer was sent", file=sys.stderr, flush=True)
        else:
            print(f"mmdgraph serve: error answering {who}: {type(err).__name__}: {err}", file=sys.stderr, flush=True)


class _Server6(_Server):
    address_family = socket.AF_INET6


def serve(
    host: str = "127.0.0.1",
    port: int = 7878,
    timeout: float = 10.0,
    max_rows: int = 10000,
    cors: bool = False,
    *,
    workers: int | None = None,
    store=None,
    max_bytes: int = MAX_BYTES,
    max_memory_mb: int = MAX_MEMORY_MB,
    short: float = SHORT,
    allow_hosts=(),
) -> None:
    """Serve ``store`` (default: the shipped graph) read-only until interrupted (Ctrl-C, SIGTERM).

    ``workers`` query processes (default: the number of CPUs, at least 3) each hold a copy of
    the graph. ``port=0`` picks a free port; the address is printed on stderr once ready.
    Limits: ``timeout`` seconds a query, ``max_rows`` rows and ``max_bytes`` bytes an answer,
    ``max_memory_mb`` MiB of address space a worker (0: no limit), ``short`` seconds after
    which a query needs one of the long-query slots (all workers but one). ``allow_hosts``:
    ``Host`` names answered besides the loopback ones.
    """
    from .errors import UsageError
    from .loading import default_store

    if timeout <= 0 or max_rows <= 0 or max_bytes <= 0 or short <= 0 or max_memory_mb < 0:
        raise UsageError("--timeout, --max-rows, --max-bytes and --short must be positive, --max-memory 0 or more")
    if workers is not None and workers < 2:
        raise UsageError("--workers must be 2 or more (one is always kept for short queries)")
    if max_memory_mb and max_memory_mb < 256:
        raise UsageError("--max-memory below 256 MiB leaves a worker no room to load the graph")
    hosts = frozenset(LOOPBACK_HOSTS | {h.strip().lower().strip("[]") for h in allow_hosts if h.strip()})
    store = store if store is not None else default_store()
    dump = ox.serialize(store.ox, format=ox.RdfFormat.N_QUADS)
    bind = host.strip("[]")
    try:
        httpd = (_Server6 if ":" in bind else _Server)((bind, port), _Handler)
    except (OSError, OverflowError) as err:
        from .errors import EndpointError

        raise EndpointError(f"cannot listen on {host}:{port}: {getattr(err, 'strerror', None) or err}") from None
    try:
        pool = Pool(dump, workers or max(3, os.cpu_count() or 2), max_memory_mb=max_memory_mb, short=short)
    except Exception as err:
        httpd.server_close()
        from .errors import EndpointError

        raise EndpointError(f"could not start the query workers: {err}") from None
    except BaseException:
        httpd.server_close()
        raise
    handler = type(
        "Handler",
        (_Handler,),
        {
            "pool": pool,
            "timeout_s": timeout,
            "max_rows": max_rows,
            "max_bytes": max_bytes,
            "cors": cors,
            "hosts": hosts,
            "page": examples_page(store).encode("utf-8"),
        },
    )
    httpd.RequestHandlerClass = handler

    def _stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _stop) if threading.current_thread() is threading.main_thread() else None
    real_host, real_port = httpd.server_address[:2]
    shown = f"[{real_host}]" if ":" in real_host else real_host
    where = "" if bind in ("127.0.0.1", "localhost", "::1") else " (NOT loopback: reachable from the network)"
    if not pool.sandboxed:
        print(
            "mmdgraph serve: seccomp is unavailable here: queries that mention 'service' anywhere are refused",
            file=sys.stderr,
            flush=True,
        )
    print(
        f"mmdgraph serve: listening on http://{shown}:{real_port}/query{where}; {len(store)} quads, "
        f"{pool.size} workers, deadline {timeout:g} s, cap {max_rows} rows and {max_bytes} bytes, "
        f"{max_memory_mb or 'unlimited'} MiB a worker, CORS {'on' if cors else 'off'}",
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
