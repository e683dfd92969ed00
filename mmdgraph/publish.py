"""Publish the graph into a SPARQL 1.1 store, atomically from the readers' view.

``publish(endpoint)`` loads the release (every named graph, with its real name, so the
provenance survives) plus a merged copy of every statement (the graph readers use as their
default graph), in four steps:

1. **stage**: each graph whose content changed (its sha256 digest differs from the one the
   publication record holds) is loaded into a fresh staging graph
   ``<https://w3id.org/mmdgraph/graph/staging/TOKEN/N>`` with the SPARQL 1.1 Graph Store
   HTTP Protocol (PUT, then POST for further chunks), or with SPARQL Update ``INSERT DATA``
   where the store has no Graph Store endpoint; retries with backoff; a progress bar on
   stderr for large loads;
2. **check**: the store is asked how many statements each staging graph holds;
3. **swap**: ONE SPARQL Update request gives every real graph the content of its staging
   graph (deleting what goes, inserting what comes; see :func:`_replace`), drops the graphs
   the previous release had and this one has not, and replaces the publication record
   (:data:`mmdgraph.endpoint.PUBLICATION_GRAPH`, staged like the others): a single
   transaction in Oxigraph and in Virtuoso, so readers see the old release or the new one,
   never a mix;
4. **confirm**: the record is read back.

Readers (:class:`mmdgraph.endpoint.EndpointStore`) scope every query to the graphs the
record lists, so staging graphs are never seen, even when a publish fails half-way or the
server dies during one: the previous release stays intact and queryable, and the next
publish removes the leftover staging graphs first. One publish at a time per store.
"""

from __future__ import annotations

import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph as ox

from . import __version__
from .endpoint import (
    MERGED_GRAPH,
    PUBLICATION_GRAPH,
    SD,
    STAGING_PREFIX,
    EndpointStore,
    http_error,
    network_error,
    redact,
    split_credentials,
)
from .errors import EndpointError, UsageError

#: Statements per HTTP request when loading.
CHUNK = 20000
#: Statements per INSERT DATA request (Oxigraph caps a SPARQL request body at 1 MiB).
UPDATE_CHUNK = 2000
#: A load this large gets a progress bar on stderr.
LARGE = 50000
_RETRY_STATUS = {408, 429, 502, 503, 504}
DCTERMS = "http://purl.org/dc/terms/"
OWL = "http://www.w3.org/2002/07/owl#"
VOID = "http://rdfs.org/ns/void#"
XSD = "http://www.w3.org/2001/XMLSchema#"


class _DigestAuth(urllib.request.HTTPDigestAuthHandler):
    """Digest authentication that, once it holds a challenge, answers it with the request.

    urllib sends each request without credentials and waits for the 401. Virtuoso sends its
    401 and closes the connection as soon as it has read the headers, so a large body still
    being sent dies with a broken pipe, on every retry. With the challenge remembered, only
    the first request of a session goes out bare (and :class:`_Http` makes that one small).
    """

    def __init__(self, mgr):
        super().__init__(mgr)
        self.challenge: dict | None = None

    def retry_http_digest_auth(self, req, auth):
        self.challenge = urllib.request.parse_keqv_list(
            filter(None, urllib.request.parse_http_list(auth.split(" ", 1)[1]))
        )
        return super().retry_http_digest_auth(req, auth)

    def http_request(self, req):
        if self.challenge and not req.has_header(self.auth_header):
            answer = self.get_authorization(req, self.challenge)
            if answer:
                req.add_unredirected_header(self.auth_header, f"Digest {answer}")
        return req

    https_request = http_request


class _Http:
    """urllib with credentials (Basic or Digest, as the server asks), a timeout and retries."""

    def __init__(self, auth: str | None, timeout: float, retries: int, backoff: float, urls: Iterable[str] = ()):
        handlers = []
        if auth:
            user, sep, password = auth.partition(":")
            if not sep:
                raise UsageError("--auth wants USER:PASSWORD")
            mgr = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            for url in urls:
                mgr.add_password(None, url, user, password)
            self.digest = _DigestAuth(mgr)
            handlers = [urllib.request.HTTPBasicAuthHandler(mgr), self.digest]
        else:
            self.digest = None
        self.opener = urllib.request.build_opener(*handlers)
        self.timeout, self.retries, self.backoff = timeout, retries, backoff

    def send(self, method: str, url: str, data: bytes, content_type: str) -> int:
        """Send one request, retrying connection failures, timeouts and 502/503/504; returns the status."""
        if self.digest and self.digest.challenge is None and len(data) > 4096:
            self._fetch_challenge(method, url, content_type)
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(
                url, data=data, method=method, headers={"Content-Type": content_type, "User-Agent": "mmdgraph"}
            )
            try:
                with self.opener.open(req, timeout=self.timeout) as resp:
                    resp.read()
                    return resp.status
            except urllib.error.HTTPError as err:
                error = http_error(url.split("?")[0], err.code, _read(err))
                if err.code not in _RETRY_STATUS:
                    raise error from None
            except ValueError:
                # urllib's Basic handler meeting a Digest challenge the Digest handler gave up on.
                raise http_error(url.split("?")[0], 401, b"the credentials were refused") from None
            except (urllib.error.URLError, OSError) as err:
                error = network_error(url.split("?")[0], err, self.timeout)
            if attempt < self.retries:
                time.sleep(self.backoff * 2**attempt)
        raise error

    def _fetch_challenge(self, method: str, url: str, content_type: str) -> None:
        """An empty request (a no-op for the Graph Store Protocol, an invalid, ignored update),
        so that the server's Digest challenge arrives before a large body is sent."""
        req = urllib.request.Request(
            url, data=b"", method=method, headers={"Content-Type": content_type, "User-Agent": "mmdgraph"}
        )
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                resp.read()
        except (urllib.error.URLError, OSError, ValueError):
            pass  # the real request reports what is wrong

    def update(self, url: str, text: str) -> None:
        self.send("POST", url, text.encode("utf-8"), "application/sparql-update")


def _read(err) -> bytes:
    try:
        return err.read()
    except Exception:
        return b""


class _Progress:
    """A one-line progress bar on stderr, or a caller's callback ``(done, total)``."""

    def __init__(self, total: int, progress):
        self.total, self.done = total, 0
        self.callback = progress if callable(progress) else None
        self.bar = progress is True or (progress is None and total >= LARGE)
        self.tty = sys.stderr.isatty()
        self.shown = -1

    def add(self, n: int) -> None:
        self.done += n
        if self.callback:
            self.callback(self.done, self.total)
        if self.bar:
            pct = 100 * self.done // max(self.total, 1)
            if self.tty or pct // 10 != self.shown // 10:
                filled = pct * 30 // 100
                end = "\r" if self.tty and self.done < self.total else "\n"
                print(
                    f"publishing [{'#' * filled}{'.' * (30 - filled)}] {pct:3d}% {self.done}/{self.total} statements",
                    end=end,
                    file=sys.stderr,
                    flush=True,
                )
                self.shown = pct


# --- what to publish ----------------------------------------------------------------------------


def _release_quads(source) -> list[ox.Quad]:
    """The quads of every named graph: from a store, a release folder, an N-Quads/TriG file,
    or (None) the shipped graph after validating it."""
    from .store import EmbeddedStore

    if isinstance(source, EmbeddedStore):
        return list(source.quads())
    if source is None:
        from .errors import ValidationFailed
        from .loading import default_store
        from .validate import validate

        store = default_store()
        report = validate(store)
        if not report.conforms:
            raise ValidationFailed(report)
        return list(store.quads())
    path = Path(source)
    if path.is_dir():
        path = path / "mmdgraph.nq"
    if path.suffix not in (".nq", ".trig"):
        raise UsageError(f"{source}: publish reads a release folder (dist/<version>/) or an .nq/.trig file")
    from .loading import read_quads

    return read_quads(path)


def _guess_urls(
    endpoint: str, store_url: str | None, update_url: str | None, auth: str | None
) -> tuple[str, str | None]:
    """The update and Graph Store URLs, from the query URL when not given.

    ``.../query`` (Oxigraph, Fuseki) -> ``.../update`` and ``.../store``; ``.../sparql``
    (Virtuoso) -> ``.../sparql-auth`` and ``.../sparql-graph-crud-auth`` with credentials,
    ``.../sparql`` and ``.../sparql-graph-crud`` without; anything else -> the endpoint
    itself for updates and no Graph Store. ``store_url=""`` says the store has no Graph Store
    endpoint: statements are then loaded with SPARQL Update ``INSERT DATA``.

    >>> _guess_urls("http://127.0.0.1:7878/query", None, None, None)
    ('http://127.0.0.1:7878/update', 'http://127.0.0.1:7878/store')
    >>> _guess_urls("http://127.0.0.1:8890/sparql", None, None, "dba:dba")
    ('http://127.0.0.1:8890/sparql-auth', 'http://127.0.0.1:8890/sparql-graph-crud-auth')
    """
    base, _, last = endpoint.rstrip("/").rpartition("/")
    if last == "query":
        guess = (f"{base}/update", f"{base}/store")
    elif last == "sparql":
        suffix = "-auth" if auth else ""
        guess = (f"{base}/sparql{suffix}", f"{base}/sparql-graph-crud{suffix}")
    else:
        guess = (endpoint, None)
    return update_url or guess[0], (store_url if store_url is not None else guess[1]) or None


def _ntriples(triples: Iterable[ox.Triple]) -> bytes:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)


def graph_hash(triples: Iterable[ox.Triple]) -> str:
    """A digest of a graph's content, independent of order (sha256 of its sorted N-Triples lines)."""
    import hashlib

    lines = sorted(str(t) for t in triples)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _manifest(token: str, merged: str, hashes: dict[str, str], size: int) -> str:
    """The publication record: the default (merged) graph, every named graph, their digests."""
    pub = f"<{PUBLICATION_GRAPH}>"
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = [
        f"{pub} a <{SD}Dataset> ; <{SD}defaultGraph> <{PUBLICATION_GRAPH}#default> ;",
        f'  <{DCTERMS}identifier> "{token}" ; <{OWL}versionInfo> "{__version__}" ;',
        f'  <{DCTERMS}modified> "{now}"^^<{XSD}dateTime> ; <{VOID}triples> "{size}"^^<{XSD}integer> .',
    ]
    for i, (g, digest) in enumerate(hashes.items()):
        node = f"<{PUBLICATION_GRAPH}#default>" if g == merged else f"<{PUBLICATION_GRAPH}#graph-{i}>"
        if g != merged:
            lines.append(f"{pub} <{SD}namedGraph> {node} .")
        lines.append(f'{node} a <{SD}NamedGraph> ; <{SD}name> <{g}> ; <{DCTERMS}identifier> "sha256:{digest}" .')
    return "\n".join(lines)


def _published_hashes(reader: EndpointStore) -> dict[str, str]:
    q = f"""SELECT ?g ?h WHERE {{ GRAPH <{PUBLICATION_GRAPH}> {{ ?n <{SD}name> ?g ; <{DCTERMS}identifier> ?h }} }}"""
    return {row[0].value: row[1].value.removeprefix("sha256:") for row in reader.select(q).rows}


def _published_token(reader: EndpointStore) -> str | None:
    rows = reader.select(
        f"SELECT ?t WHERE {{ GRAPH <{PUBLICATION_GRAPH}> {{ <{PUBLICATION_GRAPH}> <{DCTERMS}identifier> ?t }} }}"
    ).rows
    return rows[0][0].value if rows else None


def _staging_graphs(reader: EndpointStore, prefix: str) -> dict[str, int]:
    q = f"""SELECT ?g (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{prefix}")) }} GROUP BY ?g"""
    return {row[0].value: int(row[1].value) for row in reader.select(q).rows}


# --- publish ------------------------------------------------------------------------------------


def publish(
    endpoint: str,
    *,
    graph: str | None = None,
    auth: str | None = None,
    store_url: str | None = None,
    update_url: str | None = None,
    timeout: float = 60.0,
    source=None,
    retries: int = 3,
    backoff: float = 1.0,
    chunk: int = CHUNK,
    progress: bool | Callable[[int, int], None] | None = None,
    before_swap: Callable[[], None] | None = None,
    force: bool = False,
) -> str:
    """Load the release into the store behind ``endpoint``, atomically; returns a summary line.

    ``endpoint`` is the store's query URL; ``update_url`` and ``store_url`` (Graph Store
    Protocol) are guessed from it when not given (see :func:`_guess_urls`); with no Graph
    Store URL, statements are loaded with ``INSERT DATA``. ``graph`` names the graph that
    receives the merged copy readers use as their default graph (default
    :data:`~mmdgraph.endpoint.MERGED_GRAPH`). ``source`` is what to publish: None (the
    shipped graph, validated first), an :class:`~mmdgraph.store.EmbeddedStore`, a release
    folder (``dist/<version>/``) or an ``.nq``/``.trig`` file. ``auth`` is ``USER:PASSWORD``
    (Basic or Digest, as the server asks). Each request has ``timeout`` seconds and is retried
    ``retries`` times on connection failures, timeouts and 502/503/504, waiting ``backoff``,
    then twice as long each time. ``progress``: True for a bar on stderr, False for none,
    None for a bar on large loads only, or a callback ``(statements_done, total)``.
    ``before_swap`` is called once the staging graphs are checked (tests use it).
    A graph whose content digest the publication record already shows is not sent again
    unless ``force``.

    Raises :class:`~mmdgraph.errors.EndpointError` (exit code 4) when the store fails; the
    previously published release is then still intact.
    """
    started = time.monotonic()
    merged_graph = _check_options(graph, timeout, retries)
    if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
        raise UsageError(f"not an http(s) endpoint URL: {redact(str(endpoint))!r}")
    endpoint, userinfo = split_credentials(endpoint)
    auth = auth or userinfo
    update_url, store_url = _guess_urls(endpoint, store_url, update_url, auth)
    http = _Http(auth, timeout, retries, backoff, [u for u in (endpoint, update_url, store_url) if u])
    reader = EndpointStore(endpoint, timeout=timeout, auth=None, dataset=None)

    quads = _release_quads(source)
    by_graph: dict[str, list[ox.Triple]] = defaultdict(list)
    for q in quads:
        if isinstance(q.graph_name, ox.NamedNode):
            by_graph[q.graph_name.value].append(q.triple)
    by_graph = {g: list(dict.fromkeys(ts)) for g, ts in sorted(by_graph.items())}
    reserved = sorted(g for g in by_graph if g in (PUBLICATION_GRAPH, merged_graph) or g.startswith(STAGING_PREFIX))
    if reserved:
        raise UsageError(
            f"the release holds graphs publish reserves (the publication record <{PUBLICATION_GRAPH}>, the merged "
            f"graph <{merged_graph}>, or names under the staging prefix <{STAGING_PREFIX}>): "
            + ", ".join(f"<{g}>" for g in reserved[:5])
            + "; nothing was sent"
        )
    merged = list(dict.fromkeys(t for ts in by_graph.values() for t in ts))
    targets = {**by_graph, merged_graph: merged}

    hashes = {g: graph_hash(ts) for g, ts in targets.items()}

    # What is published now, and leftovers of publishes that failed or were interrupted.
    previous = _retrying(lambda: reader.publication(), retries, backoff)
    published = _retrying(lambda: _published_hashes(reader), retries, backoff) if previous and not force else {}
    leftovers = _retrying(lambda: _staging_graphs(reader, STAGING_PREFIX), retries, backoff)
    if leftovers:
        http.update(update_url, " ;\n".join(f"DROP SILENT GRAPH <{g}>" for g in sorted(leftovers)))

    # 1. stage what changed (a graph whose digest the record already shows is left alone),
    #    and the new publication record, which changes every time
    token = uuid.uuid4().hex[:16]
    changed = {g: ts for g, ts in targets.items() if published.get(g) != hashes[g]}
    record = _manifest(token, merged_graph, hashes, len(quads))
    changed[PUBLICATION_GRAPH] = list(ox.parse(record, format=ox.RdfFormat.TURTLE))
    staging = {g: f"{STAGING_PREFIX}{token}/{i}" for i, g in enumerate(changed)}
    bar = _Progress(sum(len(ts) for ts in changed.values()), progress)
    for g, triples in changed.items():
        _stage(http, store_url, update_url, staging[g], triples, chunk, bar)

    # 2. check
    held = _retrying(lambda: _staging_graphs(reader, f"{STAGING_PREFIX}{token}/"), retries, backoff)
    for g, triples in changed.items():
        if held.get(staging[g], 0) != len(triples):
            raise EndpointError(
                f"{endpoint}: staging graph for {g} holds {held.get(staging[g], 0)} statements, {len(triples)} were sent; "
                "nothing was swapped, the published release is unchanged"
            )
    if before_swap:
        before_swap()

    # 3. swap, in one update request
    old_graphs = set(previous[1]) | set(previous[0]) if previous else set()
    ops = _swap_ops({staging[g]: g for g in changed}, sorted(old_graphs - set(targets)))
    try:
        http.update(update_url, " ;\n".join(ops))
    except EndpointError:
        # A lost answer does not mean a lost update: look before failing.
        if _retrying(lambda: _published_token(reader), retries, backoff) != token:
            raise

    # 4. confirm
    if _published_token(reader) != token:
        raise EndpointError(f"{endpoint}: the swap was sent but the publication record does not show it")
    seconds = time.monotonic() - started
    return (
        f"published {len(quads)} statements in {len(by_graph)} graphs (+ {len(merged)} merged into <{merged_graph}>) "
        f"to {redact(endpoint)} in {seconds:.1f} s: {len(changed) - 1} graphs loaded, {len(targets) - len(changed) + 1} unchanged; "
        f"release {__version__}, publication {token}"
    )


def _check_options(graph: str | None, timeout, retries) -> str:
    """The merged graph's IRI, after checking the options (UsageError, before anything is sent)."""
    import math

    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise UsageError(f"--retries must be 0 or more, not {retries!r}")
    if not isinstance(timeout, (int, float)) or not math.isfinite(timeout) or timeout <= 0:
        raise UsageError(f"--timeout must be a positive number of seconds, not {timeout!r}")
    merged = graph or MERGED_GRAPH
    try:
        ox.NamedNode(merged)
        ok = re.match(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|^`\\]+$", merged) is not None
    except ValueError:
        ok = False
    if not ok:
        raise UsageError(f"--graph must be an absolute IRI, not {merged!r}")
    if merged == PUBLICATION_GRAPH or merged.startswith(STAGING_PREFIX):
        raise UsageError(
            f"--graph <{merged}> is reserved: publish keeps its record in <{PUBLICATION_GRAPH}> and stages under "
            f"<{STAGING_PREFIX}>; choose another graph (nothing was sent)"
        )
    return merged


def _swap_ops(pairs: dict[str, str], gone: list[str]) -> list[str]:
    """The swap's update operations: each target graph gets the content of its staging graph
    (deleting what goes, inserting what comes, as :func:`_replace`), the staging graphs and the
    graphs in ``gone`` are emptied. Three operations whatever the number of graphs (a VALUES
    block lists them): Virtuoso 7.2 refuses one request of a few hundred per-graph operations
    ("Query too large, variables in state over the limit").
    """
    rows = " ".join(f"(<{st}> <{t}>)" for st, t in pairs.items())
    ops = [
        f"DELETE {{ GRAPH ?t {{ ?s ?p ?o }} }} WHERE {{ VALUES (?st ?t) {{ {rows} }} GRAPH ?t {{ ?s ?p ?o }} "
        f"FILTER NOT EXISTS {{ GRAPH ?st {{ ?s ?p ?o }} }} }}",
        f"INSERT {{ GRAPH ?t {{ ?s ?p ?o }} }} WHERE {{ VALUES (?st ?t) {{ {rows} }} GRAPH ?st {{ ?s ?p ?o }} "
        f"FILTER NOT EXISTS {{ GRAPH ?t {{ ?s ?p ?o }} }} }}",
    ]
    emptied = list(pairs) + list(gone)
    if emptied:
        names = " ".join(f"<{g}>" for g in emptied)
        ops.append(f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ VALUES ?g {{ {names} }} GRAPH ?g {{ ?s ?p ?o }} }}")
    return ops


def _replace(source: str, target: str) -> list[str]:
    """Update operations giving ``target`` the content of ``source``, then dropping ``source``.

    Not ``MOVE``: MOVE empties the target and fills it again, deleting and re-inserting in
    one transaction every statement both versions share, and Virtuoso 7.2 loses such
    statements when it replays its transaction log after a crash. Deleting only what goes
    and inserting only what comes gives the same graph and leaves nothing to lose.
    """
    gone = f"GRAPH <{target}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH <{source}> {{ ?s ?p ?o }} }}"
    new = f"GRAPH <{source}> {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH <{target}> {{ ?s ?p ?o }} }}"
    return [
        f"DELETE {{ GRAPH <{target}> {{ ?s ?p ?o }} }} WHERE {{ {gone} }}",
        f"INSERT {{ GRAPH <{target}> {{ ?s ?p ?o }} }} WHERE {{ {new} }}",
        f"DROP SILENT GRAPH <{source}>",  # SILENT: Virtuoso refuses to DROP a graph no CREATE made
    ]


def _stage(
    http: _Http, store_url: str | None, update_url: str, name: str, triples: list, chunk: int, bar: _Progress
) -> None:
    """Load one graph's triples into the staging graph ``name``, chunk by chunk."""
    if store_url:
        url = f"{store_url}?{urllib.parse.urlencode({'graph': name})}"
        for i in range(0, len(triples), chunk):
            part = triples[i : i + chunk]
            http.send("PUT" if i == 0 else "POST", url, _ntriples(part), "application/n-triples")
            bar.add(len(part))
        return
    size = min(chunk, UPDATE_CHUNK)
    for i in range(0, len(triples), size):
        part = triples[i : i + size]
        body = _ntriples(part).decode("utf-8")
        http.update(update_url, f"INSERT DATA {{ GRAPH <{name}> {{\n{body}}} }}")
        bar.add(len(part))


def _retrying(fn, retries: int, backoff: float):
    """Call ``fn``, retrying EndpointErrors that are worth retrying (network, 502/503/504)."""
    for attempt in range(retries + 1):
        try:
            return fn()
        except EndpointError as err:
            status = getattr(err, "status", None)
            if (status is not None and status not in _RETRY_STATUS) or attempt == retries:
                raise
            time.sleep(backoff * 2**attempt)
