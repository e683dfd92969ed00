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

_READ_PUBLICATION = f"""SELECT ?default ?named WHERE {{
  GRAPH <{PUBLICATION_GRAPH}> {{
    <{PUBLICATION_GRAPH}> <{SD}defaultGraph>/<{SD}name> ?default .
    OPTIONAL {{ <{PUBLICATION_GRAPH}> <{SD}namedGraph>/<{SD}name> ?named }}
  }}
}}"""


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
            raise UsageError(f"cannot send the value {term.value!r} to an endpoint: a backslash before u/U is ambiguous in SPARQL")
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
    clauses = [f"FROM <{ox.NamedNode(g).value}>" for g in default_graphs] + [f"FROM NAMED <{ox.NamedNode(g).value}>" for g in named_graphs]
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
    return f"{query[:i + 1]} VALUES ({names}) {{ ({terms}) }}{query[i + 1:]}"


# --- JSON results -> terms ----------------------------------------------------------------------


def json_term(cell: Mapping | None):
    """A SPARQL JSON results cell as a pyoxigraph term (``typed-literal`` is Virtuoso's older form).

    >>> json_term({"type": "literal", "value": "2", "datatype": "http://www.w3.org/2001/XMLSchema#integer"})
    <Literal value=2 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
    """
    if cell is None:
        return None
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
    err = EndpointError(f"{url}: HTTP {status}, {hint}{_reason(body)}")
    err.status = status
    return err


def network_error(url: str, err: BaseException, timeout: float | None = None) -> EndpointError:
    """An :class:`EndpointError` for a failure below HTTP: refused connection, timeout, DNS."""
    reason = getattr(err, "reason", err)
    if isinstance(reason, ConnectionRefusedError):
        msg = "connection refused: no server listens at this address (is it running?)"
    elif isinstance(reason, (TimeoutError, socket.timeout)) or "timed out" in str(reason):
        msg = f"no answer within {timeout:g} s (timeout)" if timeout else "timed out"
    elif isinstance(reason, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)) or "closed" in str(reason).lower():
        msg = f"the server closed the connection ({reason})"
    else:
        msg = f"cannot reach the endpoint: {reason}"
    out = EndpointError(f"{url}: {msg}")
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
        if not re.match(r"https?://", url or ""):
            raise UsageError(f"not an http(s) endpoint URL: {url!r}")
        self.url = url
        self.timeout = timeout
        self.auth = auth
        self.dataset = dataset

    def __repr__(self) -> str:
        return f"<EndpointStore {self.url}>"

    def _request(self, query: str) -> dict:
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
                raw = response.response.read()
            finally:
                response.response.close()
        except SPARQLWrapperException as err:
            # SPARQLWrapper raises its own exception inside `except HTTPError`; the status is there.
            cause = err.__context__
            status = getattr(cause, "code", None) or 500
            raise http_error(self.url, status, _wrapper_body(err)) from None
        except urllib.error.HTTPError as err:
            raise http_error(self.url, err.code, _safe_read(err)) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
            raise network_error(self.url, err, self.timeout) from None
        import json

        try:
            return json.loads(raw)
        except ValueError:
            raise EndpointError(f"{self.url}: the answer is not SPARQL JSON results{_reason(raw, 120)}") from None

    def publication(self) -> tuple[list[str], list[str]] | None:
        """The published dataset: (default graphs, named graphs), or None if nothing is recorded."""
        rows = self._request(_READ_PUBLICATION)["results"]["bindings"]
        if not rows:
            return None
        default = sorted({r["default"]["value"] for r in rows})
        named = sorted({r["named"]["value"] for r in rows if "named" in r})
        return default, named

    def _dataset(self) -> tuple[list[str], list[str]]:
        if self.dataset is None:
            return [], []
        if self.dataset == "auto":
            return self.publication() or ([], [])
        default, named = self.dataset
        return list(default), list(named)

    def select(self, query: str, bindings: Mapping[str, object] | None = None) -> Result:
        default, named = self._dataset()
        data = self._request(with_dataset(bind_values(query, bindings), default, named))
        try:
            columns = list(data["head"]["vars"])
            rows = [tuple(json_term(b.get(c)) for c in columns) for b in data["results"]["bindings"]]
        except (KeyError, TypeError, ValueError) as err:
            raise EndpointError(f"{self.url}: the answer is not SELECT results ({err})") from None
        return Result(columns, rows)

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
    except Exception:  # noqa: BLE001 - the body is only decoration for the message
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
