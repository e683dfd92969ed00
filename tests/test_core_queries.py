"""The canned queries: catalogue, golden results, the same answers on every engine, bound parameters."""

import itertools

import pytest

import mmdgraph
from mmdgraph.errors import UsageError
from mmdgraph.namespaces import ID, MMD
from mmdgraph.queries import catalogue, find

REQUIRED = [
    "chairs-by-theme",
    "meetings-timeline",
    "meetings-in-country",
    "steering-committee",
    "partners-by-region",
    "chair-rotation",
    "ministerial-conferences",
    "framework-pillars",
    "themes-by-pillar",
    "organisations-by-role",
    "sources-of",
    "conflicting-claims",
    "dialogue-on-date",
    "counts",
    "planned-vs-held",
]
NAMES = [q.name for q in catalogue()]


def test_catalogue_has_the_required_queries_each_documented():
    assert len(NAMES) >= 15
    assert set(REQUIRED) <= set(NAMES)
    for q in catalogue():
        assert q.title and q.description and q.question, q.name
        assert q.expected_path.exists(), f"{q.name}: no expected result beside the query"
        for p in q.params:
            assert p.doc, f"{q.name}: parameter {p.name} is undocumented"
            assert f"?{p.name}" in q.text.split("WHERE")[0], f"{q.name}: parameter {p.name} must be projected"


@pytest.mark.parametrize("name", NAMES)
def test_canned_query_returns_its_expected_rows(store, name):
    q = find(name)
    result = mmdgraph.query(name, q.example, store=store)
    assert result.to_tsv() == q.expected_path.read_text(encoding="utf-8")
    assert len(result) > 0 or q.empty, f"{name} answers nothing (declare '# empty: why' if that is its expected answer)"


@pytest.mark.parametrize("name", NAMES)
def test_canned_query_gives_the_same_rows_on_rdflib(store, ref_store, name):
    """Row for row, order included: the answer does not depend on the engine."""
    q = find(name)
    assert mmdgraph.query(name, q.example, store=ref_store).rows == mmdgraph.query(name, q.example, store=store).rows


def test_chairs_by_theme_lists_the_chair_and_co_chairs_of_every_thematic_meeting(store):
    led = store.select(f"""PREFIX mmd: <{MMD}>
        SELECT DISTINCT ?m ?agent WHERE {{ ?m a mmd:ThematicMeeting . {{ ?m mmd:chairedBy ?agent }} UNION {{ ?m mmd:coChairedBy ?agent }} }}""")
    expected = {(r[0].value, r[1].value) for r in led.rows}
    assert len(expected) >= 12
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(mmdgraph.query("chairs-by-theme", store=store).to_csv())))
    assert expected <= {(r["meeting"], r["agent"]) for r in rows}
    assert {r["role"] for r in rows} == {"chair", "co-chair"}


@pytest.mark.parametrize("value", ["MAR", "MA", "mar", "Morocco", "morocco", "id:MAR", ID + "MAR"])
def test_a_country_can_be_named_by_code_name_or_iri(store, value):
    rows = mmdgraph.query("meetings-in-country", {"country": value}, store=store)
    assert {r["country"] for r in rows} == {ID + "MAR"}
    assert ID + "tm-2015-rabat-asylum" in {r["meeting"] for r in rows}


@pytest.mark.parametrize("value", ["Atlantis", "XX", "id:not-a-state", 'France" } DELETE WHERE { ?s ?p ?o } #'])
def test_an_unknown_country_is_a_clear_error(store, value):
    with pytest.raises(UsageError, match="no state matches"):
        mmdgraph.query("meetings-in-country", {"country": value}, store=store)


def test_parameters_are_checked(store):
    with pytest.raises(UsageError, match="needs parameter country"):
        mmdgraph.query("meetings-in-country", store=store)
    with pytest.raises(UsageError, match="has no parameter"):
        mmdgraph.query("counts", {"country": "FRA"}, store=store)
    with pytest.raises(UsageError, match="not a date"):
        mmdgraph.query("steering-committee", {"date": "2017-02-30"}, store=store)
    with pytest.raises(UsageError, match="not in the graph"):
        mmdgraph.query("sources-of", {"entity": "http://example.org/elsewhere"}, store=store)
    with pytest.raises(UsageError, match="no canned query"):
        mmdgraph.query("no-such-query", store=store)


def test_steering_committee_defaults_to_today(store):
    rows = mmdgraph.query("steering-committee", store=store).records()
    import datetime

    assert {r["date"] for r in rows} == {datetime.date.today().isoformat()}


def test_steering_committee_in_2016_has_the_twelve_members(store):
    rows = mmdgraph.query("steering-committee", {"date": "2016-06-01"}, store=store).records()
    assert len({r["member"] for r in rows}) == 12
    portugal = [r for r in rows if r["member"] == ID + "PRT"][0]
    assert portugal["lastAttested"] == "2017"


def test_dialogue_on_date_knows_chair_committee_and_framework(store):
    rows = mmdgraph.query("dialogue-on-date", {"date": "2018-06-01"}, store=store).records()
    by_aspect = {}
    for r in rows:
        by_aspect.setdefault(r["aspect"], set()).add(r["who"])
    assert by_aspect["chair"] == {ID + "BFA"}
    assert ID + "marrakesh-action-plan" in by_aspect["framework in force"]
    assert ID + "BEL" in by_aspect["steering committee member"]


def test_chair_rotation_is_in_order_and_alternates_sides(store):
    rows = mmdgraph.query("chair-rotation", store=store).records()
    days = [r["sortDay"] for r in rows]
    assert days == sorted(days)
    assert [r["chair"].rsplit("/", 1)[1] for r in rows][-5:] == ["ESP", "MAR", "PRT", "NGA", "CHE"]
    tail = [r for r in rows if r["sortDay"] >= "2018"]
    sides = [r["sideLabel"] for r in tail]
    assert all(a != b for a, b in itertools.pairwise(sides)), sides


def test_user_query_file_runs_and_binds_its_declared_parameters(store, tmp_path):
    f = tmp_path / "my.rq"
    f.write_text(
        "# title: Labels of a state\n# param: state state -- a state\n"
        "SELECT ?state ?label WHERE { ?state <http://www.w3.org/2000/01/rdf-schema#label> ?label }\n",
        encoding="utf-8",
    )
    rows = mmdgraph.query(f, {"state": "Senegal"}, store=store).records()
    assert sorted(rows, key=lambda r: r["label"]) == [
        {"state": ID + "SEN", "label": "Senegal"},
        {"state": ID + "SEN", "label": "Sénégal"},
    ]


def test_results_render_in_every_format(store):
    r = mmdgraph.query("chair-rotation", store=store)
    assert r.to_csv().splitlines()[0].startswith("sortDay,from,until,chair")
    assert r.to_tsv().splitlines()[0].startswith("?sortDay\t?from")
    import json

    assert json.loads(r.to_json())["head"]["vars"] == r.columns
    assert "id:BEL" in r.to_table()
    df = r.to_dataframe()
    assert list(df.columns) == r.columns and len(df) == len(r)


def test_queries_catalogue_api_lists_parameters():
    cat = {q["name"]: q for q in mmdgraph.queries()}
    assert cat["meetings-in-country"]["params"] == [
        {"name": "country", "type": "state", "default": None, "doc": cat["meetings-in-country"]["params"][0]["doc"]}
    ]
    assert cat["steering-committee"]["params"][0]["default"] == "today"
