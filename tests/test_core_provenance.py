"""Truth is the product: every statement has a source, disagreements keep both sides, garbling is recorded."""

import pyoxigraph as ox
import pytest

import mmdgraph
from mmdgraph.namespaces import CATALOGUE_GRAPH, DERIVED_GRAPH, ID, MMD, ONTOLOGY_GRAPH, SRC, UNSOURCED_GRAPH

FLYER = SRC + "flyer-activities-2015-2017"
PREFIXES = f"""PREFIX mmd: <{MMD}> PREFIX id: <{ID}> PREFIX src: <{SRC}>
PREFIX voc: <https://w3id.org/mmdgraph/vocab/> PREFIX schema: <https://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX org: <http://www.w3.org/ns/org#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> PREFIX dcterms: <http://purl.org/dc/terms/>
"""


def declared(store, cls):
    return {r[0].value for r in store.select(f"SELECT DISTINCT ?s WHERE {{ ?s a <{MMD}{cls}> }}").rows}


def test_every_data_statement_has_a_source(store):
    """100% of data statements sit in the graph of a declared source or curator statement."""
    sources, curated = declared(store, "Source"), declared(store, "CuratorStatement")
    total = sourced = 0
    unsourced = []
    for q in store.quads():
        g = q.graph_name.value
        if g in (ONTOLOGY_GRAPH, CATALOGUE_GRAPH, DERIVED_GRAPH):
            continue
        total += 1
        if g in sources or g in curated:
            sourced += 1
        else:
            unsourced.append(q)
    assert total > 3000
    assert unsourced == [], f"{len(unsourced)} of {total} statements have no source, e.g. {unsourced[:3]}"
    assert sourced == total
    assert not list(store.quads(ox.NamedNode(UNSOURCED_GRAPH)))


def test_every_source_can_be_found_and_every_curator_statement_names_its_sources(store):
    rows = store.select(
        PREFIXES
        + """
        SELECT ?s WHERE { ?s a mmd:Source FILTER NOT EXISTS { ?s schema:url ?u } FILTER NOT EXISTS { ?s mmd:localCopy ?c }
                          FILTER NOT EXISTS { ?s rdfs:comment ?comment } }"""
    ).rows
    assert rows == []
    rows = store.select(
        PREFIXES
        + """
        SELECT ?c WHERE { ?c a mmd:CuratorStatement FILTER NOT EXISTS { ?c prov:wasDerivedFrom ?s . ?s a mmd:Source } }"""
    ).rows
    assert rows == []


def test_derived_dates_come_only_from_stated_dates(store):
    """The derived graph holds mmd:startDay/mmd:endDay only, each for a subject with a stated date."""
    derived = list(store.quads(ox.NamedNode(DERIVED_GRAPH)))
    assert derived
    stated = {
        q.subject
        for q in store.quads()
        if q.predicate.value in ("https://schema.org/startDate", "https://schema.org/endDate", MMD + "endedBy")
        and q.graph_name.value != DERIVED_GRAPH
    }
    assert {q.predicate.value for q in derived} == {MMD + "startDay", MMD + "endDay"}
    assert {q.subject for q in derived} <= stated


def test_any_statement_can_be_traced_to_its_document(store):
    """'Which source says this?' for a triple returns the documents, with their addresses."""
    rows = mmdgraph.query("sources-of", {"entity": "id:tm-2018-paris-root-causes"}, store=store).records()
    says = {(r["source"], r["property"], r["value"]) for r in rows}
    assert (FLYER, MMD + "chairedBy", ID + "FRA") in says
    assert (SRC + "rp-thematic-meetings", MMD + "hostedBy", ID + "FRA") in says
    assert (SRC + "rp-thematic-meetings", "https://schema.org/startDate", "2018-10-23") in says
    urls = {r["url"] for r in rows if r["source"] == SRC + "rp-thematic-meetings"}
    assert urls == {"https://www.rabat-process.org/en/meetings/thematic-meetings"}


EXPECTED_DISAGREEMENTS = [
    # (subject, property, claimed, claim source, accepted, accepted source)
    (
        "mc-2008-paris",
        "https://schema.org/startDate",
        "2008-11-24",
        "bdpmodwoam-paris-2008",
        "2008-11-25",
        "newslt-paris-2008",
    ),
    (
        "som-2017-brussels",
        "https://schema.org/startDate",
        "2017-04",
        "flyer-activities-2015-2017",
        "2017-05",
        "rp-thematic-roundtables-2017",
    ),
    (
        "chair-2022-MAR",
        "https://schema.org/startDate",
        "2022-12",
        "atalayar-2022-12-14",
        "2022-12-14",
        "lebrief-2022-12",
    ),
    (
        "som-2022-cadiz",
        "https://schema.org/startDate",
        "2022-12",
        "rp-som-2024",
        "2022-12-13",
        "rp-6th-ministerial-conference",
    ),
    (
        "tm-2018-paris-root-causes",
        MMD + "status",
        "https://w3id.org/mmdgraph/vocab/status-planned",
        "flyer-activities-2015-2017",
        "https://w3id.org/mmdgraph/vocab/status-held",
        "rp-thematic-meetings",
    ),
    (
        "tm-2018-paris-root-causes",
        "https://schema.org/startDate",
        "2017",
        "flyer-activities-2015-2017",
        "2018-10-23",
        "rp-thematic-meetings",
    ),
    (
        "tm-2016-cabo-verde-visa",
        "https://schema.org/startDate",
        "2016-12",
        "flyer-activities-2015-2017",
        "2016-11-30",
        "rp-pr-visa-cabo-verde",
    ),
    ("rabat-process", MMD + "initiatedBy", ID + "SEN", "lalibre-2018", ID + "FRA", "esteri-2014-11-26"),
    (
        "dakar-strategy",
        "https://schema.org/startDate",
        "2013",
        "processusderabat-key-documents",
        "2012",
        "fiiapp-2014-rome",
    ),
    ("chair-2016-PRT", "https://schema.org/endDate", "2017", "jornaleconomico-2025", "2016", "rp-current-chairmanship"),
]


@pytest.mark.parametrize("subject,prop,claimed,claim_src,accepted,accepted_src", EXPECTED_DISAGREEMENTS)
def test_conflicting_claims_are_listed_with_both_sources(
    store, subject, prop, claimed, claim_src, accepted, accepted_src
):
    rows = mmdgraph.query("conflicting-claims", store=store).records()
    found = [
        r
        for r in rows
        if (r["subject"], r["property"], r["claimed"], r["claimSource"])
        == (ID + subject, prop, claimed, SRC + claim_src)
    ]
    assert len(found) == 1  # each claim once, its accepted value(s) and sources listed
    assert accepted in found[0]["accepted"].split() and SRC + accepted_src in found[0]["acceptedSources"].split()


def test_every_claim_differs_from_what_its_accepted_source_says(store):
    rows = mmdgraph.query("conflicting-claims", store=store).records()
    assert len({(r["subject"], r["property"], r["claimed"]) for r in rows}) >= 15
    for r in rows:
        if r["accepted"] is not None:
            assert r["claimSource"] not in r["acceptedSources"].split() or r["claimed"] not in r["accepted"].split()
            assert r["claimed"] not in r["accepted"].split() or r["property"] == MMD + "initiatedBy"


def test_the_flyer_says_planned_2017_and_the_site_says_held_october_2018(store):
    """The same meeting, both claims kept: queries can tell what each source says."""
    rows = mmdgraph.query("planned-vs-held", store=store).records()
    root = [r for r in rows if r["meeting"] == ID + "tm-2018-paris-root-causes"]
    assert root and root[0]["announcedBy"] == FLYER and root[0]["announcedDate"] == "2017"
    assert root[0]["statusLabel"] == "held" and root[0]["start"] == "2018-10-23"
    senegal = [r for r in rows if r["meeting"] == ID + "training-2017-senegal-return"]
    assert senegal and senegal[0]["statusLabel"] == "planned"


def test_garbled_flyer_text_is_corrected_and_the_correction_recorded(store):
    rows = mmdgraph.query("text-corrections", store=store).records()
    by_original = {r["original"]: r for r in rows}
    assert by_original["Marocco"]["corrected"] == "Morocco" and by_original["Marocco"]["source"] == FLYER
    assert by_original["Marocco"]["subject"] == ID + "MAR"
    assert "Joint Valetta Action Plan" in by_original
    assert any("number lost" in r["corrected"] for r in rows)
    assert any(r["original"].endswith("(Rabat, June") for r in rows)
    # The corrected form is what the graph uses: no label says "Marocco".
    labels = store.select(
        'SELECT ?s WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(CONTAINS(STR(?l), "Marocco")) '
        "FILTER NOT EXISTS { ?s a <https://w3id.org/mmdgraph/ontology#TextCorrection> } }"
    )
    assert len(labels) == 0


def test_counts_keep_their_qualifier(store):
    rows = {r["figure"]: r for r in mmdgraph.query("counts", store=store).records()}
    recs = rows[ID + "figure-flyer-recommendations"]
    assert recs["minValue"] == 80 and recs["value"] is None and recs["stated"] == "more than 80"
    assert rows[ID + "figure-flyer-participants"]["stated"] == "more than 550"
    pop = rows[ID + "figure-flyer-population"]
    assert (
        pop["value"] is None
        and pop["minValue"] is None
        and pop["stated"] == "number lost"
        and pop["unit"] == "billion people"
    )


# --- Everything the flyer says is in the flyer's graph ------------------------------------------


def flyer_select(store, body):
    return store.select(PREFIXES + f"SELECT * WHERE {{ GRAPH src:flyer-activities-2015-2017 {{ {body} }} }}").records()


def test_flyer_thematic_meetings_five_held_and_one_announced(store):
    rows = flyer_select(store, "?m a mmd:ThematicMeeting ; mmd:theme ?theme .")
    assert len({r["m"] for r in rows}) == 6
    held = flyer_select(store, "?m a mmd:ThematicMeeting ; mmd:status voc:status-held .")
    assert len(held) == 5
    chairs = flyer_select(store, "id:tm-2018-paris-root-causes mmd:chairedBy ?chair ; mmd:coChairedBy ?co .")
    assert chairs == [{"chair": ID + "FRA", "co": ID + "SEN"}]
    # Every thematic meeting of the flyer has a place and a date in the union (the flyer's months as claims).
    for r in rows:
        assert len(store.select(f"SELECT ?d WHERE {{ <{r['m']}> <https://schema.org/startDate> ?d }}")) == 1


def test_flyer_steering_committee_initiators_and_project(store):
    members = {
        r["who"]
        for r in flyer_select(store, "?m org:organization id:rabat-process-steering-committee ; org:member ?who .")
    }
    states = {ID + c for c in "BEL BFA GNQ FRA ITA MLI MAR PRT SEN ESP".split()}
    assert members == states | {ID + "european-commission", ID + "ecowas-commission"}
    assert {r["who"] for r in flyer_select(store, "id:rabat-process mmd:initiatedBy ?who .")} == {
        ID + "FRA",
        ID + "MAR",
        ID + "ESP",
    }
    project = flyer_select(store, "id:mmd-support-project schema:funder ?funder ; mmd:implementedBy ?impl .")
    assert project == [{"funder": ID + "european-union", "impl": ID + "icmpd"}]


def test_flyer_soms_consultation_and_technical_assistance(store):
    soms = flyer_select(store, "?m a mmd:SeniorOfficialsMeeting ; schema:location ?place .")
    assert {(r["m"], r["place"]) for r in soms} == {
        (ID + "som-2015-porto", ID + "city-porto"),
        (ID + "som-2017-brussels", ID + "city-brussels"),
    }
    objectives = flyer_select(store, "id:som-2015-porto mmd:objective ?o .")
    assert "Valletta Summit" in objectives[0]["o"]
    pillars = flyer_select(store, "?r schema:superEvent id:consultation-2017-brussels ; mmd:pillar ?p .")
    assert {r["p"] for r in pillars} == {ID + f"rome-programme-pillar-{i}" for i in range(1, 5)}
    assert flyer_select(store, "id:consultation-2017-brussels <http://www.w3.org/ns/prov#generated> ?doc .") == [
        {"doc": ID + "consultation-document-2017"}
    ]
    sta = flyer_select(store, "VALUES ?t { mmd:Training mmd:WorkingGroupMeeting } ?m a ?t ; schema:startDate ?d .")
    assert {(r["m"].rsplit("/", 1)[1], r["d"]) for r in sta} == {
        ("wg-2016-vienna-thb-focal-points", "2016-05"),
        ("training-2016-brazzaville-travel-documents", "2016-04"),
        ("training-2017-senegal-return", "2017-09"),
    }
    assert flyer_select(store, "id:valletta-summit-2015 prov:generated ?out .") == [{"out": ID + "jvap"}]
