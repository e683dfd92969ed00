"""Issue #14, "your own questions": self-contained JSON-LD, one row per claim, friendlier parameters."""

import json
import socket
import warnings

import pyoxigraph as ox
import pytest

import mmdgraph
from mmdgraph.errors import UsageError
from mmdgraph.jsonld import context
from mmdgraph.loading import load_file
from mmdgraph.namespaces import CONTEXT_IRI, ID, MMD
from mmdgraph.queries import DateIntervalWarning, Param, bind_value

XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"


def quad_set(quads):
    return {(str(q.subject), str(q.predicate), str(q.object), str(q.graph_name)) for q in quads}


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# --- JSON-LD: the context in the document --------------------------------------------------------


@pytest.fixture(scope="module")
def jsonld_file(store, tmp_path_factory):
    return mmdgraph.export("jsonld", tmp_path_factory.mktemp("j") / "g.jsonld", store=store)


def test_jsonld_embeds_its_context_by_default(jsonld_file):
    doc = json.loads(jsonld_file.read_text(encoding="utf-8"))
    assert isinstance(doc["@context"], dict)
    assert doc["@context"]["chairedBy"] == {"@id": MMD + "chairedBy", "@type": "@id"}
    assert doc["@context"] == context()["@context"]


def test_rdflib_reads_the_jsonld_offline_to_the_same_quads_as_nquads(store, jsonld_file, offline):
    import rdflib

    ds = rdflib.Dataset()
    ds.parse(jsonld_file, format="json-ld")
    nq = rdflib.Dataset()
    nq.parse(data=mmdgraph.export("nquads", store=store), format="nquads")
    assert sum(1 for _ in ds.quads()) == sum(1 for _ in nq.quads()) == len(list(store.quads()))
    assert {(s, p, o, g) for s, p, o, g in ds.quads()} == {(s, p, o, g) for s, p, o, g in nq.quads()}


def test_mmdgraphs_loader_reads_the_jsonld_back_to_the_same_dataset(store, jsonld_file, offline):
    back = ox.Store()
    load_file(back, jsonld_file)
    assert quad_set(back) == quad_set(store.quads())


def test_pyld_expands_the_embedded_jsonld_without_a_document_loader(store, jsonld_file, offline):
    from pyld import jsonld

    def no_loader(url, options=None):
        raise AssertionError(f"fetched {url}")

    doc = json.loads(jsonld_file.read_text(encoding="utf-8"))
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": no_loader})
    assert quad_set(ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS)) == quad_set(store.quads())


def test_jsonld_remote_context_is_an_option(store):
    doc = json.loads(mmdgraph.export("jsonld", store=store, context="remote"))
    assert doc["@context"] == CONTEXT_IRI
    with pytest.raises(UsageError, match="embedded, remote"):
        mmdgraph.export("jsonld", store=store, context="inline")


# --- conflicting-claims: each claim once -----------------------------------------------------------


def test_each_claim_appears_once_with_its_accepted_sources(store):
    rows = mmdgraph.query("conflicting-claims", store=store).records()
    claims = {c["name"]: c["count"] for c in mmdgraph.stats(store)["classes"]}["claims (disagreements kept)"]
    assert len(rows) == claims
    assert len({(r["subject"], r["property"], r["claimed"], r["claimSource"], r["comment"]) for r in rows}) == claims
    paris = [r for r in rows if r["subject"] == ID + "mc-2008-paris" and r["claimed"] == "2008-11-24"]
    assert len(paris) == 1 and paris[0]["accepted"] == "2008-11-25"
    sources = paris[0]["acceptedSources"].split(" ")
    assert len(sources) == 3 and sources == sorted(sources)
    founders = [r for r in rows if r["property"] == MMD + "initiatedBy"]
    assert len(founders) == 1 and set(founders[0]["accepted"].split()) == {ID + "FRA", ID + "ESP", ID + "MAR"}


def test_conflicting_claims_same_rows_on_rdflib(store, ref_store):
    assert (
        mmdgraph.query("conflicting-claims", store=ref_store).rows
        == mmdgraph.query("conflicting-claims", store=store).rows
    )


# --- entity parameters ------------------------------------------------------------------------------

ENTITY = Param("entity", "entity")


@pytest.mark.parametrize(
    "value,iri",
    [
        ("FRA", "FRA"),
        ("fr", "FRA"),
        ("France", "FRA"),
        ("france", "FRA"),
        ("Sénégal", "SEN"),
        ("senegal", "SEN"),
        ("id:MAR", "MAR"),
        (ID + "MAR", "MAR"),
        ("Rabat Process", "rabat-process"),
        ("rabat process", "rabat-process"),
        ("Dakar Strategy", "dakar-strategy"),
        ("id:mc-2018-marrakesh", "mc-2018-marrakesh"),
    ],
)
def test_an_entity_is_named_like_a_state_or_by_its_exact_label(store, value, iri):
    assert bind_value(ENTITY, value, store) == ox.NamedNode(ID + iri)


def test_an_entity_by_its_french_label(store):
    fr = store.select(
        f"""SELECT ?e ?l WHERE {{ ?e a <{MMD}Meeting> ; <http://www.w3.org/2000/01/rdf-schema#label> ?l .
        FILTER(LANG(?l) = "fr") }} ORDER BY STR(?e) LIMIT 1"""
    ).rows[0]
    assert bind_value(ENTITY, fr[1].value, store) == fr[0]


def test_an_ambiguous_name_is_refused_with_its_candidates(store):
    with pytest.raises(UsageError, match="ambiguous") as err:
        bind_value(ENTITY, "Legal migration and mobility", store)
    assert "id:jvap-domain-2" in str(err.value) and "id:marrakesh-action-plan-domain-2" in str(err.value)


@pytest.mark.parametrize("value", ["Atlantis", "Legal migration", "id:no-such-thing", "http://example.org/elsewhere"])
def test_an_unknown_entity_is_refused(store, value):
    with pytest.raises(UsageError, match="not in the graph"):
        bind_value(ENTITY, value, store)


def test_a_canned_query_takes_an_entity_by_name(store):
    by_name = mmdgraph.query("sources-of", {"entity": "Rabat Process"}, store=store)
    by_iri = mmdgraph.query("sources-of", {"entity": "id:rabat-process"}, store=store)
    assert len(by_name) > 0 and by_name.rows == by_iri.rows


# --- date parameters ---------------------------------------------------------------------------------

DATE = Param("date", "date")


@pytest.mark.parametrize(
    "value,first,message",
    [
        ("2019", "2019-01-01", "2019 means 2019-01-01 to 2019-12-31; the query reads its first day"),
        ("2019-06", "2019-06-01", "2019-06 means 2019-06-01 to 2019-06-30; the query reads its first day"),
        ("2020-02", "2020-02-01", "2020-02 means 2020-02-01 to 2020-02-29"),
    ],
)
def test_a_year_or_month_binds_its_first_day_and_says_so(store, value, first, message):
    with pytest.warns(DateIntervalWarning, match=message):
        term = bind_value(DATE, value, store)
    assert term == ox.Literal(first, datatype=ox.NamedNode(XSD_DATE))


def test_a_day_binds_itself_without_a_warning(store):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert bind_value(DATE, "2019-06-15", store).value == "2019-06-15"


@pytest.mark.parametrize("value", ["2019-13", "2019-02-29", "0000", "19", "June 2019"])
def test_a_bad_date_is_refused(store, value):
    with pytest.raises(UsageError, match="not a date"):
        bind_value(DATE, value, store)


def test_a_canned_query_takes_a_year(store):
    with pytest.warns(DateIntervalWarning, match="2016 means 2016-01-01 to 2016-12-31"):
        by_year = mmdgraph.query("steering-committee", {"date": "2016"}, store=store)
    assert by_year.rows == mmdgraph.query("steering-committee", {"date": "2016-01-01"}, store=store).rows
