"""The views' SPARQL: one ``queries/network/<name>.rq`` file per query.

Each file has a header like a canned query's (``# title:``, ``# description:``, and for the
queries that take a period ``# param: from date``, ``# param: to date`` and the example
``from=0001-01-01 to=9999-12-31``: the whole range, what a view without ``--from``/``--to``
uses), and its expected result beside it (``<name>.expected.tsv``; ``tests/test_network.py``
checks it on the embedded store and on rdflib, ``tests/update_golden.py`` regenerates it).
They are parts of the views, not questions of their own, so they stay out of the canned-query
catalogue (``queries/*.rq``).

Every query with a period projects ``?from`` and ``?to``, the period's bounds bound as xsd:date
terms (pyoxigraph substitutes projected variables only). Mixed-precision dates are never
compared: only the derived ``mmd:startDay``/``mmd:endDay``. ``DISTINCT`` everywhere: a statement
several sources make must not count twice on an engine whose default graph repeats it.

>>> [p.stem for p in query_files()]
['agents', 'concepts', 'leads', 'meetings', 'memberships', 'periods', 'theme-links']
>>> [p.name for p in query_file("leads").params]
['from', 'to']
"""

from __future__ import annotations

from pathlib import Path

from .. import paths
from ..queries import CannedQuery, parse_query_file


def query_dir() -> Path:
    """``queries/network/`` of the project folder (see :mod:`mmdgraph.paths`)."""
    return paths.queries_dir() / "network"


def query_files() -> list[Path]:
    """Every query file of the views, sorted by name."""
    return sorted(query_dir().glob("*.rq"))


def query_file(name: str) -> CannedQuery:
    """A query of the views by name (``leads`` for ``queries/network/leads.rq``) and its header."""
    return parse_query_file(query_dir() / f"{name}.rq")
