"""Keep queries off the network and away from updates.

mmdgraph answers queries over its own data only. A query that would make a store fetch
something (``SERVICE``, ``FROM``/``FROM NAMED`` naming a graph the store does not hold) or
change data (``LOAD``, ``INSERT``, any update) is refused before it runs, with
:class:`~mmdgraph.errors.UnsafeQueryError`. The check walks the query's algebra, so a
``SERVICE SILENT`` nested in an ``OPTIONAL`` is caught too.

>>> check_query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
Traceback (most recent call last):
...
mmdgraph.errors.UnsafeQueryError: SERVICE is refused: mmdgraph never queries other endpoints
>>> check_query("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
'SELECT'
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import UnsafeQueryError, UsageError

_HARDENED = False


def harden_rdflib() -> None:
    """Switch off rdflib's network access in SPARQL: no FROM/LOAD fetching, no SERVICE."""
    global _HARDENED
    if _HARDENED:
        return
    import rdflib.plugins.sparql as sp

    sp.SPARQL_LOAD_GRAPHS = False

    def _no_service(ctx, part):
        if part.name == "ServiceGraphPattern":
            raise UnsafeQueryError("SERVICE is refused: mmdgraph never queries other endpoints")
        raise NotImplementedError()  # let rdflib evaluate everything else

    sp.CUSTOM_EVALS["mmdgraph_no_service"] = _no_service
    _HARDENED = True


def _walk(node) -> Iterable:
    """Every CompValue (a named grammar node) in rdflib's parse tree."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, CompValue):
            yield n
            stack.extend(n.values())
        elif isinstance(n, (list, tuple, ParseResults)):
            stack.extend(n)
        elif isinstance(n, dict):
            stack.extend(n.values())


def check_query(text: str, graph_names: Iterable[str] | None = None) -> str:
    """Refuse unsafe queries; return the query form (SELECT, ASK, CONSTRUCT, DESCRIBE).

    ``graph_names``, when given, are the graphs a ``FROM``/``FROM NAMED`` may name.
    """
    from pyparsing import ParseException
    from rdflib.plugins.sparql import parser

    try:
        parsed = parser.parseQuery(text)
    except ParseException as err:
        try:
            update = parser.parseUpdate(text)
        except (ParseException, ValueError, RecursionError):
            raise UsageError(f"not a SPARQL query: {err.msg} (line {err.lineno}, column {err.col})") from None
        if not update.request:
            raise UsageError("not a SPARQL query: the text holds no query") from None
        raise UnsafeQueryError("updates are refused: mmdgraph queries are read-only") from None
    except (ValueError, RecursionError) as err:  # a bad escape; nesting deeper than the parser's stack
        raise UsageError(f"not a SPARQL query: {err.__class__.__name__}: {str(err)[:200]}") from None
    allowed = set(graph_names or ())
    for node in _walk(parsed):
        if node.name == "ServiceGraphPattern":
            raise UnsafeQueryError("SERVICE is refused: mmdgraph never queries other endpoints")
        if node.name == "DatasetClause":
            iri = str(node["default"] if "default" in node else node["named"])
            if iri not in allowed:
                raise UnsafeQueryError(f"FROM <{iri}> is refused: it names no graph in the store")
    form = parsed[1].name
    return {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}[form]
