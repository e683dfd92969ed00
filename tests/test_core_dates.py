"""Dates keep their precision and still order and filter correctly."""

import datetime

import pytest
import rdflib

import mmdgraph
from mmdgraph.dates import XSD_DATE, XSD_GYEAR, XSD_GYEARMONTH, first_day, last_day, parse_date
from mmdgraph.namespaces import ID

MIXED = """@prefix ex: <http://example.org/> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a ex:d "2024-02-01"^^xsd:date . ex:b ex:d "2006"^^xsd:gYear . ex:c ex:d "2022-12"^^xsd:gYearMonth . ex:e ex:d "2023-06"^^xsd:gYearMonth ."""


def test_rdflib_orders_mixed_date_types_by_datatype_not_by_time():
    """Why mmdgraph derives mmd:startDay: rdflib cannot order or filter mixed precisions."""
    g = rdflib.Graph().parse(data=MIXED, format="turtle")
    order = [
        str(r[0]).rsplit("/", 1)[1] for r in g.query("SELECT ?s WHERE { ?s <http://example.org/d> ?d } ORDER BY ?d")
    ]
    assert order != ["b", "c", "e", "a"]  # time order is b (2006), c (2022-12), e (2023-06), a (2024-02-01)
    later = g.query(
        'SELECT ?s WHERE { ?s <http://example.org/d> ?d FILTER(?d >= "2023-01"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>) }'
    )
    assert {str(r[0]).rsplit("/", 1)[1] for r in later} != {"e", "a"}


@pytest.mark.parametrize(
    "lexical,datatype,first,last",
    [
        ("2016-10-05", XSD_DATE, "2016-10-05", "2016-10-05"),
        ("2016-02", XSD_GYEARMONTH, "2016-02-01", "2016-02-29"),
        ("2017-04", XSD_GYEARMONTH, "2017-04-01", "2017-04-30"),
        ("2015", XSD_GYEAR, "2015-01-01", "2015-12-31"),
    ],
)
def test_first_and_last_day_of_each_precision(lexical, datatype, first, last):
    assert first_day(lexical, datatype).isoformat() == first
    assert last_day(lexical, datatype).isoformat() == last


@pytest.mark.parametrize("bad", ["2016-13", "2016-02-30", "16-01", "2016-1", "", "2016-01-01T00:00:00"])
def test_invalid_dates_have_no_bounds(bad):
    assert first_day(bad, XSD_DATE) is None and first_day(bad, XSD_GYEARMONTH) is None


def test_parse_date_accepts_today_and_iso_days_only():
    assert parse_date("today") == datetime.date.today()
    for bad in ["2017-02-30", "yesterday", "2017-2-3", "2017-02-03 ", '"2017-02-03"^^xsd:date']:
        with pytest.raises(ValueError):
            parse_date(bad)


def day(store, node, prop):
    rows = store.select(f"SELECT ?d WHERE {{ <{ID}{node}> <https://w3id.org/mmdgraph/ontology#{prop}> ?d }}").rows
    return [r[0].value for r in rows]


def test_derived_days_follow_the_stated_precision(store):
    assert day(store, "tm-2016-brussels-return", "startDay") == ["2016-05-31"]
    assert day(store, "tm-2016-brussels-return", "endDay") == ["2016-06-01"]
    assert day(store, "som-2017-brussels", "startDay") == ["2017-05-01"]  # "at the beginning of May"
    assert day(store, "som-2017-brussels", "endDay") == ["2017-05-31"]
    assert day(store, "chair-2015-MAR", "startDay") == ["2015-01-01"]  # "in 2015"
    assert day(store, "chair-2015-MAR", "endDay") == ["2015-12-31"]
    assert day(store, "chair-2026-CHE", "endDay") == []  # no end stated: open


def test_stated_dates_keep_their_precision(store):
    rows = store.select(f"SELECT ?d WHERE {{ <{ID}som-2017-brussels> <https://schema.org/startDate> ?d }}").rows
    assert rows[0][0].datatype.value == XSD_GYEARMONTH and rows[0][0].value == "2017-05"


@pytest.mark.parametrize("engine", ["embedded", "rdflib"])
def test_timeline_orders_mixed_precisions_by_time_on_every_engine(store, ref_store, engine):
    st = store if engine == "embedded" else ref_store
    rows = mmdgraph.query("meetings-timeline", store=st).records()
    firsts = [first_day(r["start"], {10: XSD_DATE, 7: XSD_GYEARMONTH, 4: XSD_GYEAR}[len(r["start"])]) for r in rows]
    assert firsts == sorted(firsts)
    assert len({len(r["start"]) for r in rows}) == 2  # days and months mixed (no meeting is dated by year only)
