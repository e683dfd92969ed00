"""A remote SPARQL 1.1 endpoint as a store: the same queries, the same answers, cell for cell.

:class:`EndpointStore` sends queries with SPARQLWrapper (POST, JSON results) and turns every
cell into a pyoxigraph term, so a :class:`~mmdgraph.store.Result` from a server compares with
one from the embedded store.

Parameters. The SPARQL 1.1 Protocol has no way to send bindings, so :func:`bind_values` puts
a ``VALUES`` block at the start of the query's WHERE group, written from the already
validated pyoxigraph terms' own N-Triples form (``str(term)``), never from the user's text.
For the canned queries this means what pyoxigraph's substitution means (tests compare).

The dataset. :func:`mmdgraph.publish.publish` records what it published in the graph
:data:`PUBLICATION_GRAPH`: the graph holding the merged copy of every statement (the
embedded store's default graph) and the list of the release's named graphs. When the
endpoint holds that record, every query names its dataset (``FROM`` the merged copy,
``FROM NAMED`` each published graph; see :func:`with_dataset`), so ``GRAPH ?g`` sees the
release's graphs and nothing else: not Virtuoso's system graphs, not the staging graphs of
a publish in progress, not the record itself. On an endpoint without the record, queries run
on the endpoint's own default dataset.

Errors: :class:`~mmdgraph.errors.EndpointError` (exit code 4), naming the URL, for a refused
connection, 401/403/404/5xx, a timeout, or an answer that is not SPARQL JSON.
"""

from __future__ import annotations

import http.client
import re
import socket
import urllib.error
from collections.abc import Mapping

import pyoxigraph as ox

from .errors import EndpointError, UsageError
from .store import RDF_LANGSTRING, Result, Store

#: Graph holding mmdgraph's record of what is published in a store (see module docstring).
PUBLICATION_GRAPH = "https://w3id.org/mmdgraph/graph/publication"
#: Default graph receiving the merged copy of every statement (the readers' default graph).
MERGED_GRAPH = "https://w3id.org/mmdgraph/graph/merged"
#: Prefix of the graphs a publish loads before it swaps them in.
STAGING_PREFIX = "https://w3id.org/mmdgraph/graph/staging/"
SD = "http://www.w3.org/ns/sparql-service-description#"
#: Bytes of an answer read at most (a larger one is an error, not a memory blow-up).
MAX_ANSWER = 256 << 20

DCTERMS_IDENTIFIER = "http://purl.org/dc/terms/identifier"
_READ_PUBLICATION = f"""SELECT ?default ?named ?token WHERE {{
  GRAPH <{PUBLICATION_GRAPH}> {{
    <{PUBLICATION_GRAPH}> <{SD}defaultGraph>/<{SD}name> ?default .
    OPTIONAL {{ <{PUBLICATION_GRAPH}> <{DCTERMS_IDENTIFIER}> ?token }}
    OPTIONAL {{ <{PUBLICATION_GRAPH}> <{SD}namedGraph>/<{SD}name> ?named }}
  }}
}}"""
_READ_TOKEN = f"""SELECT ?token WHERE {{ GRAPH <{PUBLICATION_GRAPH}> {{ <{PUBLICATION_GRAPH}> <{DCTERMS_IDENTIFIER}> ?token }} }}"""
#: How often a read is tried again when a publish lands between its two requests.
READ_ATTEMPTS = 5


def redact(url: str) -> str:
    """The URL without the credentials it may carry (``user:password@``), for messages.

    >>> redact("http://alice:secret@127.0.0.1:7878/query")
    'http://***@127.0.0.1:7878/query'
    """
    return re.sub(r"^([a-zA-Z][\w+.-]*://)[^/?#@]*@", r"\1***@", url or "")


def split_credentials(url: str) -> tuple[str, str | None]:
    """(the URL without ``user:password@``, ``"user:password"`` or None)."""
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    clean = urllib.parse.urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return clean, urllib.parse.unquote(userinfo)


# --- binding parameters -----------------------------------------------------------------------

_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What can hide a "{" or a keyword: comments, strings, IRIs, variables (?from), prefixed
# names (ex:where). Matched leftmost-first, so a "#" or "{" inside a string or an IRI is
# skipped with it.
_SKIP = re.compile(
    r'#[^\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|[?$]\w+|[A-Za-z][\w.-]*:[\w.:%-]*|:[\w.:%-]+"
    r"|(?P<form>\b(?:SELECT|ASK)\b)|(?P<where>\bWHERE\b)|(?P<from>\bFROM\b)|(?P<open>\{)|(?P<paren>[()])",
    re.IGNORECASE,
)


def term_text(term) -> str:
    """A validated term in SPARQL syntax, from pyoxigraph's own N-Triples serialisation.

    >>> term_text(ox.Literal('say "hi" }'))
    '"say \\\\"hi\\\\" }"'
    >>> term_text(ox.NamedNode("https://w3id.org/mmdgraph/id/FRA"))
    '<https://w3id.org/mmdgraph/id/FRA>'

    SPARQL processes ``\\u`` escapes anywhere in a query before parsing it, and engines differ
    in how they read an escaped backslash before a ``u``; a literal holding a backslash
    followed by ``u`` or ``U`` is therefore refused rather than risk another value:

    >>> term_text(ox.Literal("C:\\\\users"))
    Traceback (most recent call last):
    ...
    mmdgraph.errors.UsageError: cannot send the value 'C:\\\\users' to an endpoint: a backslash before u/U is ambiguous in SPARQL
    """
    if isinstance(term, ox.Literal):
        if re.search(r"\\[uU]", term.value):
            raise UsageError(
                f"cannot send the value {term.value!r} to an endpoint: a backslash before u/U is ambiguous in SPARQL"
            )
        return str(term)
    if isinstance(term, ox.NamedNode):
        return str(term)  # pyoxigraph has checked the IRI: no spaces, quotes, braces or backslashes
    raise UsageError(f"only IRIs and literals can be bound on an endpoint, not {term!r}")


def _scan(query: str) -> tuple[int, int, bool]:
    """Where the WHERE group opens, where its WHERE keyword (if any) starts, whether FROM occurs."""
    seen_form, depth, where, has_from = False, 0, None, False
    for m in _SKIP.finditer(query):
        if m.group("form"):
            seen_form = True
        elif m.group("paren"):
            depth += 1 if m.group("paren") == "(" else -1
        elif seen_form and depth == 0:
            if m.group("where"):
                where = m.start()
            elif m.group("from"):
                has_from = True
            elif m.group("open"):
                return m.start(), m.start() if where is None else where, has_from
    raise UsageError("cannot find the WHERE group of the query (only SELECT and ASK queries run on an endpoint)")


def where_brace(query: str) -> int:
    """The index of the ``{`` opening the WHERE group of a SELECT or ASK query.

    >>> q = 'PREFIX x: <http://e/#> # {\\nSELECT ?a (1 AS ?b) WHERE { ?a ?p "{" }'
    >>> q[where_brace(q):]
    '{ ?a ?p "{" }'
    """
    return _scan(query)[0]


def with_dataset(query: str, default_graphs, named_graphs) -> str:
    """The query with ``FROM``/``FROM NAMED`` clauses naming its dataset (unless it names its own).

    Clauses in the text rather than the protocol's ``default-graph-uri``/``named-graph-uri``:
    the same dataset, but Virtuoso echoes each protocol graph as a response header, and past
    about 95 graphs Python's HTTP client refuses the answer (more than 100 headers).

    >>> with_dataset("SELECT * WHERE { ?s ?p ?o }", ["http://e/m"], ["http://e/g"])
    'SELECT * FROM <http://e/m>\\nFROM NAMED <http://e/g>\\nWHERE { ?s ?p ?o }'
    """
    if not default_graphs and not named_graphs:
        return query
    _, at, has_from = _scan(query)
    if has_from:
        return query
    clauses = [f"FROM <{ox.NamedNode(g).value}>" for g in default_graphs] + [
        f"FROM NAMED <{ox.NamedNode(g).value}>" for g in named_graphs
    ]
    return query[:at] + "\n".join(clauses) + "\n" + query[at:]


def bind_values(query: str, bindings: Mapping[str, object] | None) -> str:
    """The query with its parameters bound by a ``VALUES`` block at the start of its WHERE group.

    Equivalent to substituting the terms for the variables wherever the variable is visible
    from the top of the WHERE group (which is everywhere the canned queries use parameters).

    >>> bind_values("SELECT ?s WHERE { ?s ?p ?o }", {"o": ox.Literal("x", language="en")})
    'SELECT ?s WHERE { VALUES (?o) { ("x"@en) } ?s ?p ?o }'
    >>> bind_values("SELECT ?s WHERE { ?s ?p ?o }", {"o} DROP ALL": ox.Literal("x")})
    Traceback (most recent call last):
    ...
    mmdgraph.errors.UsageError: not a SPARQL variable name: 'o} DROP ALL'
    """
    if not bindings:
        return query
    for name in bindings:
        if not _VAR.fullmatch(name):
            raise UsageError(f"not a SPARQL variable name: {name!r}")
    names = " ".join(f"?{n}" for n in bindings)
    terms = " ".join(term_text(t) for t in bindings.values())
    i = where_brace(query)
    return f"{query[: i + 1]} VALUES ({names}) {{ ({terms}) }}{query[i + 1 :]}"


def projection(query: str) -> list[str] | None:
    """The variables a SELECT query's answer has, in order; None for ``SELECT *`` or what
    this cannot read (then the answer's own variables are taken as they come).

    >>> projection("PREFIX a: <http://e/> SELECT DISTINCT ?x (COUNT(?y) AS ?n) WHERE { ?x a:p ?y } GROUP BY ?x")
    ['x', 'n']
    """
    m = re.search(
        r"(?<![?$\w])SELECT\b(.*?)((?<![?$\w])WHERE\b|(?<![?$\w])FROM\b|\{)", _strip(query), re.IGNORECASE | re.DOTALL
    )
    if not m:
        return None
    clause = re.sub(r"^\s*(DISTINCT|REDUCED)\b", "", m.group(1), flags=re.IGNORECASE)
    if clause.strip() == "*":
        return None
    out, depth = [], 0
    for tok in re.finditer(r"\(|\)|\bAS\s+[?$](\w+)|[?$](\w+)", clause, re.IGNORECASE):
        t = tok.group()
        if t == "(":
            depth += 1
        elif t == ")":
            depth -= 1
        elif tok.group(1):
            out.append(tok.group(1))
        elif depth == 0:
            out.append(tok.group(2))
    return out or None


def _strip(query: str) -> str:
    """The query with comments, strings and IRIs blanked (to find its clauses)."""
    return re.sub(
        r'#[^\r\n]*|"""(?:[^"\\]|\\.|"(?!""))*"""|\'\'\'(?:[^\'\\]|\\.|\'(?!\'\'))*\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^<>"{}|^`\\\x00-\x20]*>',
        " ",
        query,
    )


# --- JSON results -> terms ----------------------------------------------------------------------


def json_term(cell: Mapping | None):
    """A SPARQL JSON results cell as a pyoxigraph term (``typed-literal`` is Virtuoso's older form).

    >>> json_term({"type": "literal", "value": "2", "datatype": "http://www.w3.org/2001/XMLSchema#integer"})
    <Literal value=2 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
    """
    if cell is None:
        return None
    if not isinstance(cell, Mapping) or not isinstance(cell.get("value", ""), str):
        raise ValueError(f"not an RDF term: {str(cell)[:80]!r}")
    kind, value = cell.get("type"), cell.get("value", "")
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if kind in ("literal", "typed-literal"):
        lang = cell.get("xml:lang")
        if lang:
            return ox.Literal(value, language=lang)
        dt = cell.get("datatype")
        if dt and dt != RDF_LANGSTRING:
            return ox.Literal(value, datatype=ox.NamedNode(dt))
        return ox.Literal(value)
    raise ValueError(f"unknown term type {kind!r}")


# --- errors ---------------------------------------------------------------------------------------

_STATUS_HINTS = {
    400: "the endpoint refused the request as malformed",
    401: "the endpoint wants credentials or refused the ones given (--auth USER:PASSWORD)",
    403: "forbidden: the server refuses this (read-only, or the credentials lack the right)",
    404: "nothing answers at this address (Oxigraph serves /query, Virtuoso /sparql)",
    405: "the endpoint does not accept this HTTP method here",
    413: "the request is too large for the endpoint",
    414: "the request is too large for the endpoint",
}


def _reason(body: bytes | str | None, limit: int = 300) -> str:
    if not body:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
    text = re.sub(r"<[^>]*>", " ", text) if "<html" in text.lower() else text
    text = " ".join(text.split())
    return f": {text[:limit]}{'…' if len(text) > limit else ''}" if text else ""


def http_error(url: str, status: int, body: bytes | str | None = None) -> EndpointError:
    """An :class:`EndpointError` for an HTTP status, naming the URL and saying what it means."""
    if status in _STATUS_HINTS:
        hint = _STATUS_HINTS[status]
    elif status >= 500:
        hint = "the server failed"
    else:
        hint = "unexpected answer"
    err = EndpointError(f"{redact(url)}: HTTP {status}, {hint}{_reason(body)}")
    err.status = status
    return err


def network_error(url: str, err: BaseException, timeout: float | None = None) -> EndpointError:
    """An :class:`EndpointError` for a failure below HTTP: refused connection, timeout, DNS."""
    reason = getattr(err, "reason", err)
    if isinstance(reason, ConnectionRefusedError):
        msg = "connection refused: no server listens at this address (is it running?)"
    elif isinstance(reason, (TimeoutError, socket.timeout)) or "timed out" in str(reason):
        msg = f"no answer within {timeout:g} s (timeout)" if timeout else "timed out"
    elif (
        isinstance(reason, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError))
        or "closed" in str(reason).lower()
    ):
        msg = f"the server closed the connection ({reason})"
    else:
        msg = f"cannot reach the endpoint: {redact(str(reason))}"
    out = EndpointError(f"{redact(url)}: {msg}")
    out.status = None
    return out


# --- the store ------------------------------------------------------------------------------------


class EndpointStore(Store):
    """A SPARQL 1.1 endpoint answering :meth:`select` like the embedded store.

    ``dataset``: ``"auto"`` (default) reads the publication record before each query and
    scopes the query to the published graphs (see the module docstring); ``None`` uses the
    endpoint's own default dataset; a pair ``(default_graphs, named_graphs)`` of IRI lists
    scopes queries to those graphs. ``auth`` is ``"user:password"`` (HTTP Basic).
    """

    name = "endpoint"

    def __init__(self, url: str, *, timeout: float = 60.0, auth: str | None = None, dataset="auto"):
        if not isinstance(url, str) or not re.match(r"https?://", url):
            raise UsageError(f"not an http(s) endpoint URL: {redact(str(url))!r}")
        url, userinfo = split_credentials(url)
        if not (isinstance(timeout, (int, float)) and timeout > 0 and timeout == timeout):
            raise UsageError(f"the endpoint timeout must be a positive number of seconds, not {timeout!r}")
        self.url = url
        self.timeout = timeout
        self.auth = auth or userinfo
        self.dataset = dataset

    def __repr__(self) -> str:
        return f"<EndpointStore {self.url}>"

    def _request(self, query: str) -> dict:
        """POST one query; the whole request (connecting, sending, every byte of the answer) has
        ``timeout`` seconds: a server that answers one byte at a time is cut off too."""
        import threading

        box: dict = {}

        def work():
            try:
                box["raw"] = self._send(query)
            except BaseException as err:
                box["error"] = err

        worker = threading.Thread(target=work, name="mmdgraph-endpoint-request", daemon=True)
        worker.start()
        worker.join(self.timeout)
        if worker.is_alive():
            # The thread is left to its socket timeout; the caller gets its answer now.
            raise network_error(self.url, TimeoutError("timed out"), self.timeout)
        if "error" in box:
            raise box["error"]
        raw = box["raw"]
        import json

        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            raise EndpointError(f"{self.url}: the answer is not SPARQL JSON results{_reason(raw, 120)}") from None
        if not isinstance(data, dict):
            raise EndpointError(f"{self.url}: the answer is not SPARQL JSON results (not a JSON object)")
        return data

    def _send(self, query: str) -> bytes:
        from SPARQLWrapper import JSON, POST, URLENCODED, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

        sw = SPARQLWrapper(self.url, agent="mmdgraph")
        sw.setMethod(POST)
        sw.setRequestMethod(URLENCODED)
        sw.setReturnFormat(JSON)
        sw.setTimeout(max(1, round(self.timeout)))
        sw.setQuery(query)
        # SPARQLWrapper guesses the query form with a regex that can find "ADD" in a comment
        # ("address") and then sends the query as an update; select() sends queries only.
        sw.queryType = "SELECT"
        if self.auth:
            user, _, password = self.auth.partition(":")
            sw.setCredentials(user, password)
        try:
            response = sw.query()
            try:
                return response.response.read(MAX_ANSWER + 1)
            finally:
                response.response.close()
        except SPARQLWrapperException as err:
            # SPARQLWrapper raises its own exception inside `except HTTPError`; the status is there.
            cause = err.__context__
            status = getattr(cause, "code", None) or 500
            raise http_error(self.url, status, _wrapper_body(err)) from None
        except urllib.error.HTTPError as err:
            raise http_error(self.url, err.code, _safe_read(err)) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as err:
            raise network_error(self.url, err, self.timeout) from None

    def record(self) -> tuple[list[str], list[str], str | None] | None:
        """The publication record: (default graphs, named graphs, its token), or None."""
        rows = self._bindings(self._request(_READ_PUBLICATION))
        try:
            if not rows:
                return None
            default = sorted({r["default"]["value"] for r in rows})
            named = sorted({r["named"]["value"] for r in rows if "named" in r})
            tokens = {r["token"]["value"] for r in rows if "token" in r}
        except (KeyError, TypeError, AttributeError):
            raise EndpointError(
                f"{self.url}: the answer about the publication record has unexpected variables"
            ) from None
        return default, named, (tokens.pop() if len(tokens) == 1 else None)

    def _token(self) -> str | None:
        rows = self._bindings(self._request(_READ_TOKEN))
        try:
            return rows[0]["token"]["value"] if len(rows) == 1 else None
        except (KeyError, TypeError, AttributeError):
            raise EndpointError(
                f"{self.url}: the answer about the publication record has unexpected variables"
            ) from None

    def _bindings(self, data: dict) -> list:
        rows = data.get("results", {}).get("bindings") if isinstance(data.get("results"), dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise EndpointError(f"{self.url}: the answer is not SELECT results (no list of bindings)")
        return rows

    def publication(self) -> tuple[list[str], list[str]] | None:
        """The published dataset: (default graphs, named graphs), or None if nothing is recorded."""
        record = self.record()
        return None if record is None else (record[0], record[1])

    def _dataset(self) -> tuple[list[str], list[str]]:
        if self.dataset is None:
            return [], []
        if self.dataset == "auto":
            return self.publication() or ([], [])
        default, named = self.dataset
        return list(default), list(named)

    def select(self, query: str, bindings: Mapping[str, object] | None = None) -> Result:
        """Run a SELECT query on the endpoint.

        With ``dataset="auto"``, the publication record is read, the query runs on the graphs
        it lists, and the record's token is read again: if a publish landed in between, the
        read is done again (up to :data:`READ_ATTEMPTS` times), so an answer always comes
        from one release.
        """
        text = bind_values(query, bindings)
        for _ in range(READ_ATTEMPTS if self.dataset == "auto" else 1):
            record = self.record() if self.dataset == "auto" else None
            if self.dataset == "auto":
                default, named = (record[0], record[1]) if record else ([], [])
            else:
                default, named = self._dataset()
            data = self._request(with_dataset(text, default, named))
            if record is None or record[2] is None or self._token() == record[2]:
                return self._result(data, query)
        raise EndpointError(
            f"{self.url}: the store was published again during each of {READ_ATTEMPTS} reads; try again"
        )

    def _result(self, data: dict, query: str) -> Result:
        head = data.get("head")
        columns = head.get("vars") if isinstance(head, dict) else None
        if not isinstance(columns, list) or not all(isinstance(c, str) and _VAR.fullmatch(c) for c in columns):
            raise EndpointError(f"{self.url}: the answer is not SELECT results (no list of variables)")
        rows = self._bindings(data)
        expected = projection(query)
        if expected is not None and columns != expected:
            raise EndpointError(
                f"{self.url}: the answer has unexpected variables {columns}; the query selects {expected}"
            )
        known = set(columns)
        try:
            out = []
            for b in rows:
                if not set(b) <= known:
                    raise EndpointError(
                        f"{self.url}: the answer binds variables it does not declare: {sorted(set(b) - known)}"
                    )
                out.append(tuple(json_term(b.get(c)) for c in columns))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise EndpointError(f"{self.url}: the answer is not SELECT results ({err})") from None
        return Result(columns, out)

    def graph_names(self) -> list[ox.NamedNode]:
        """The named graphs queries see: the published ones, or every graph the endpoint lists."""
        default, named = self._dataset()
        if named or default:
            return [ox.NamedNode(g) for g in named]
        # GROUP BY, not DISTINCT: Virtuoso takes tens of seconds over DISTINCT ?g.
        rows = self.select("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g").rows
        return sorted((r[0] for r in rows if isinstance(r[0], ox.NamedNode)), key=lambda g: g.value)


def _safe_read(err) -> bytes:
    try:
        return err.read()
    except Exception:
        return b""


def _wrapper_body(err) -> bytes:
    """The server's answer inside a SPARQLWrapper exception message (it holds its repr)."""
    import ast

    text = err.args[0] if err.args else ""
    _, sep, body = text.partition("Response:\n")
    try:
        return ast.literal_eval(body) if sep else b""
    except (ValueError, SyntaxError):
        return body.encode()
