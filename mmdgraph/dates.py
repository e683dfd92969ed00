"""Dates at their real precision: xsd:date, xsd:gYearMonth, xsd:gYear.

A source says "2015-12-03", "December 2015" or "2015"; the graph keeps that precision in
the literal's datatype. To order and filter such dates together, mmdgraph derives the
first and last day each one can denote.

>>> first_day("2016-10", XSD_GYEARMONTH)
datetime.date(2016, 10, 1)
>>> last_day("2016-02", XSD_GYEARMONTH)
datetime.date(2016, 2, 29)
>>> last_day("2016", XSD_GYEAR)
datetime.date(2016, 12, 31)
>>> first_day("2016-13", XSD_GYEARMONTH) is None
True
"""

from __future__ import annotations

import calendar
import datetime as _dt
import re

from .namespaces import XSD

XSD_DATE = XSD + "date"
XSD_GYEARMONTH = XSD + "gYearMonth"
XSD_GYEAR = XSD + "gYear"
DATE_TYPES = (XSD_DATE, XSD_GYEARMONTH, XSD_GYEAR)

# Lexical forms without time zones or negative years: the sources give none.
_PATTERNS = {
    XSD_DATE: re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"),
    XSD_GYEARMONTH: re.compile(r"^(\d{4})-(\d{2})$"),
    XSD_GYEAR: re.compile(r"^(\d{4})$"),
}


def _parts(lexical: str, datatype: str) -> tuple[int, ...] | None:
    pattern = _PATTERNS.get(datatype)
    m = pattern.match(lexical) if pattern else None
    return tuple(int(x) for x in m.groups()) if m else None


def first_day(lexical: str, datatype: str) -> _dt.date | None:
    """The first day a date of this precision can denote, or None if it is not a valid date."""
    parts = _parts(lexical, datatype)
    if parts is None:
        return None
    try:
        if len(parts) == 3:
            return _dt.date(*parts)
        if len(parts) == 2:
            return _dt.date(parts[0], parts[1], 1)
        return _dt.date(parts[0], 1, 1)
    except ValueError:
        return None


def last_day(lexical: str, datatype: str) -> _dt.date | None:
    """The last day a date of this precision can denote, or None if it is not a valid date."""
    start = first_day(lexical, datatype)
    if start is None:
        return None
    if datatype == XSD_DATE:
        return start
    if datatype == XSD_GYEARMONTH:
        return start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return _dt.date(start.year, 12, 31)


def parse_date(value: str) -> _dt.date:
    """Parse a parameter value: 'today', or YYYY-MM-DD. Raises ValueError otherwise.

    >>> parse_date("2017-03-21")
    datetime.date(2017, 3, 21)
    """
    if value == "today":
        return _dt.date.today()
    day = first_day(value, XSD_DATE)
    if day is None:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}")
    return day
