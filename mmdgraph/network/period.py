"""Periods and attribute values: the ``--from``/``--to`` bounds, ISO 8601 intervals, joined values.

>>> bounds("2015-01-01", None)
(datetime.date(2015, 1, 1), datetime.date(9999, 12, 31))
>>> interval("2015-01-01", None)
'2015-01-01/..'
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Any

import pyoxigraph as ox

from ..errors import UsageError
from ..namespaces import XSD

#: The bounds of "no bound": the period of a view built without --from/--to.
EARLIEST, LATEST = _dt.date(1, 1, 1), _dt.date(9999, 12, 31)
#: Joins the values of a multi-valued attribute, and the intervals of ``period``.
SEP = "; "
XSD_DATE = ox.NamedNode(XSD + "date")


def day(value: object, name: str) -> _dt.date | None:
    """A day from a ``datetime.date`` or YYYY-MM-DD text; None for no value."""
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        raise UsageError(f"{name}: give a day (YYYY-MM-DD), not a time: {value!r}")
    if isinstance(value, _dt.date):
        return value
    from ..dates import parse_date

    try:
        return parse_date(str(value))
    except ValueError as err:
        raise UsageError(f"{name}: {err}") from None


def bounds(start: object, end: object) -> tuple[_dt.date, _dt.date]:
    """The period's first and last day, EARLIEST/LATEST where it is open."""
    lo, hi = day(start, "--from"), day(end, "--to")
    lo, hi = lo or EARLIEST, hi or LATEST
    if lo > hi:
        raise UsageError(f"--from {lo} is after --to {hi}")
    return lo, hi


def literal(d: _dt.date) -> ox.Literal:
    """A day as the xsd:date term the queries' ?from and ?to are bound to."""
    return ox.Literal(d.isoformat(), datatype=XSD_DATE)


def text(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str | None:
    """A term's value (an IRI or a literal's lexical form); None for an unbound variable."""
    return None if term is None else term.value


def bound(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str:
    """The value of a term the query always binds (outside any OPTIONAL)."""
    assert term is not None, "a variable the query always binds is unbound"
    return term.value


def interval(start: str | None, end: str | None) -> str:
    """An ISO 8601 interval, ``..`` for an open end: ``2015-01-01/2015-12-31``, ``../2014-11-27``."""
    return f"{start or '..'}/{end or '..'}"


def intervals(value: str | None) -> list[tuple[str | None, str | None]]:
    """Read back a ``period`` attribute.

    >>> intervals("2015-01-01/2015-12-31; ../2014-11-27")
    [('2015-01-01', '2015-12-31'), (None, '2014-11-27')]
    """
    out = []
    for part in (value or "").split(SEP):
        if part:
            a, _, b = part.partition("/")
            out.append((None if a == ".." else a, None if b == ".." else b))
    return out


def join(values: Iterable[str | None]) -> str:
    """The non-empty values, sorted and ``; ``-joined."""
    return SEP.join(sorted(v for v in values if v))


def clean(attrs: dict[str, Any]) -> dict[str, Any]:
    """Drop empty values: a missing attribute reads better in Gephi than an empty string."""
    return {k: v for k, v in attrs.items() if v is not None and v != ""}
