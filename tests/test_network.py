"""Network views: every view builds; GraphML/GEXF/JSON read back whole; node and edge counts equal
SPARQL counts of the same relationships (written here, independently of mmdgraph/network/);
--from/--to; the real CLI; the same graph from every engine, a remote endpoint included; the views'
queries (queries/network/*.rq) give their expected results on the embedded store and on rdflib,
checked as the canned queries are."""

import io
import json
import re
import shutil
import subprocess
import urllib.request
import xml.etree.ElementTree as ET

import networkx as nx
import pyoxigraph as ox
import pytest
from conftest import run_cli
from test_core_queries import test_canned_query_gives_the_same_rows_on_rdflib as same_rows_on_rdflib
from test_core_queries import test_canned_query_returns_its_expected_rows as returns_expected_rows

from mmdgraph.errors import UsageError
from mmdgraph.namespaces import ID, SPARQL_PREFIXES
from mmdgraph.network import VIEWS, network
from mmdgraph.network.sparql import query_dir, query_files
from mmdgraph.queries import catalogue, parse_query_file

XSD_DATE = ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")
LEADERS = "mmd:chairedBy|mmd:coChairedBy"
ROLES = "mmd:hostedBy|mmd:chairedBy|mmd:coChairedBy"
# Each view's relationships as (?a, ?b) pairs, read straight from the data model.
PAIRS = {
    "participation": f"{{ ?a {ROLES} ?b }}",
    "co-chair": f"{{ ?m {LEADERS} ?a , ?b . FILTER(STR(?a) < STR(?b)) }}",
    "governance": """{ ?ms org:member ?a ; org:organization ?body ; org:role ?role .
                       BIND(CONCAT(STR(?body), "|", STRAFTER(STR(?role), "/vocab/")) AS ?b) }""",
    "themes": """{ { ?a mmd:theme|mmd:pillar ?b ; a ?t . ?t rdfs:subClassOf* mmd:Meeting }
                   UNION { ?a a mmd:Theme ; skos:broadMatch ?b . ?b skos:inScheme ?f . ?f a mmd:Framework }
                   UNION { ?a skos:topConceptOf ?b . ?b a mmd:Framework }
                   UNION { ?a prov:generated ?b . ?b a mmd:Framework } }""",
}
# Nodes that have no pair: leaders who only ever led alone.
LONE = {"co-chair": f"{{ ?m {LEADERS} ?a }}"}


def sparql_count(store, what: str, pattern: str, bindings=None) -> int:
    # Bound variables are projected (and grouped by): pyoxigraph substitutes projected variables only.
    bound = " ".join(f"?{k}" for k in bindings or {})
    group = f" GROUP BY {bound}" if bound else ""
    query = SPARQL_PREFIXES + f"SELECT {bound} (COUNT(DISTINCT {what}) AS ?n) WHERE {pattern}{group}"
    rows = store.select(query, bindings or {}).rows
    return int(rows[0][-1].value) if rows else 0


def counts(store, view: str, bindings=None) -> tuple[int, int]:
    edges = sparql_count(store, 'CONCAT(STR(?a), " ", STR(?b))', PAIRS[view], bindings)
    if view in LONE:
        nodes = sparql_count(store, "?a", LONE[view], bindings)
    else:
        ends = "{ SELECT ?a ?b WHERE " + PAIRS[view] + " }"
        either_end = f"{{ {{ {ends} BIND(STR(?a) AS ?x) }} UNION {{ {ends} BIND(STR(?b) AS ?x) }} }}"
        nodes = sparql_count(store, "?x", either_end, bindings)
    return nodes, edges


def day(text: str) -> ox.Literal:
    return ox.Literal(text, datatype=XSD_DATE)


def same_graph(G, H) -> bool:
    return dict(G.nodes(data=True)) == dict(H.nodes(data=True)) and {
        frozenset(e[:2]): e[2] for e in G.edges(data=True)
    } == {frozenset(e[:2]): e[2] for e in H.edges(data=True)}


@pytest.fixture(scope="module")
def graphs(store):
    return {view: network(view, store=store) for view in VIEWS}


# --- every view ---------------------------------------------------------------------------------


def test_every_view_builds_with_labelled_typed_nodes_and_sourced_edges(graphs):
    for view, G in graphs.items():
        assert G.number_of_nodes() > 10 and G.number_of_edges() >= 10, view
        for n, a in G.nodes(data=True):
            assert a["label"] and a["type"] != "other", (view, n, a)
            if a["type"] == "state":
                assert re.fullmatch(r"[A-Z]{3}", a["iso"]) and n == ID + a["iso"], (view, n)
        for u, v, a in G.edges(data=True):
            assert a["role"] and a["sources"].startswith(("src:", "cur:")), (view, u, v, a)


@pytest.mark.parametrize("view", list(VIEWS))
def test_node_and_edge_counts_equal_a_sparql_count_of_the_same_relationships(store, graphs, view):
    G = graphs[view]
    assert (G.number_of_nodes(), G.number_of_edges()) == counts(store, view)


def test_co_chair_weights_count_the_meetings_two_partners_led_together(store, graphs):
    rows = store.select(
        SPARQL_PREFIXES
        + f"""SELECT ?a ?b (COUNT(DISTINCT ?m) AS ?n) WHERE {{
        ?m {LEADERS} ?a , ?b . FILTER(STR(?a) < STR(?b)) }} GROUP BY ?a ?b"""
    ).rows
    expected = {frozenset((a.value, b.value)): int(n.value) for a, b, n in rows}
    assert {frozenset((u, v)): w for u, v, w in graphs["co-chair"].edges(data="weight")} == expected
    assert expected[frozenset((ID + "FRA", ID + "SEN"))] == 2  # Dakar 2011 and Paris 2018


def test_participation_roles_and_meeting_attributes(graphs):
    G = graphs["participation"]
    porto = G.edges[ID + "PRT", ID + "tm-2015-porto-trafficking"]
    assert porto["role"] == "co-chair; host"
    assert porto["date"] == "2015-12-03" and porto["period"] == "2015-12-03/2015-12-04"
    assert porto["theme"] == "Trafficking in human beings and migrant smuggling"
    assert G.nodes[ID + "tm-2015-porto-trafficking"]["meetingType"] == "Thematic meeting"
    assert {a["role"] for *_, a in G.edges(data=True)} >= {"host", "chair", "co-chair"}
    assert not any("participant" in a["role"] for *_, a in G.edges(data=True))  # the graph has no participant lists


def test_governance_keeps_each_chairmanship_as_a_spell(graphs):
    G = graphs["governance"]
    chair = ID + "rabat-process|role-chair"
    assert G.nodes[chair]["label"] == "Rabat Process: chair"
    morocco = G.edges[ID + "MAR", chair]
    assert morocco["period"] == "2015-01-01/2015-12-31; 2022-12-14/2024-02-01"  # Le Brief gives the day
    assert G.edges[ID + "SEN", chair]["period"] == "../2014-11-27"


# --- the views' queries ---------------------------------------------------------------------------


def test_the_views_queries_are_documented_files_outside_the_catalogue():
    names = {p.stem for p in query_files()}
    assert names == {q for v in VIEWS.values() for q in v.queries} | {"periods"}  # periods: the measures'
    assert all(q.path.parent != query_dir() for q in catalogue())  # not canned queries
    for path in query_files():
        q = parse_query_file(path)
        assert q.title and q.description and q.expected_path.exists(), path.name
        if q.params:  # a period: ?from and ?to, xsd:date terms, projected; the example is the whole range
            assert [(p.name, p.type) for p in q.params] == [("from", "date"), ("to", "date")], path.name
            assert "?from ?to" in q.text.split("WHERE")[0] and all(p.doc for p in q.params), path.name
            assert q.example == {"from": "0001-01-01", "to": "9999-12-31"}, path.name


@pytest.mark.parametrize("path", query_files(), ids=lambda p: p.stem)
def test_views_query_returns_its_expected_rows(store, path):
    returns_expected_rows(store, path)


@pytest.mark.slow
@pytest.mark.parametrize("path", query_files(), ids=lambda p: p.stem)
def test_views_query_gives_the_same_rows_on_rdflib(store, ref_store, path):
    same_rows_on_rdflib(store, ref_store, path)


# --- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("lo,hi", [("2015-01-01", "2016-12-31"), ("2019-06-01", "2019-12-31")])
def test_from_to_keeps_relationships_whose_dates_do_not_exclude_the_period(store, graphs, view, lo, hi):
    G = network(view, start=lo, end=hi, store=store)
    if view in ("participation", "co-chair"):  # meeting relationships: count them in SPARQL too
        expected = sparql_count(
            store, 'CONCAT(STR(?a), " ", STR(?b))', _dated_pairs(view), {"lo": day(lo), "hi": day(hi)}
        )
        assert G.number_of_edges() == expected
    assert 0 < G.number_of_edges() < graphs[view].number_of_edges()
    assert G.graph["from"] == lo and G.graph["to"] == hi
    for *_, a in G.edges(data=True):
        assert ("start" not in a or a["start"] <= hi) and ("end" not in a or a["end"] >= lo), a


def _dated_pairs(view):
    """The view's pairs, each kept when its meeting's days overlap [?lo, ?hi]."""
    overlap = "?m mmd:startDay ?s ; mmd:endDay ?e . FILTER(?e >= ?lo && ?s <= ?hi)"
    if view == "participation":
        return f"{{ ?m {ROLES} ?b . BIND(?m AS ?a) {overlap} }}"
    return f"{{ ?m {LEADERS} ?a , ?b . FILTER(STR(?a) < STR(?b)) {overlap} }}"


def test_undated_memberships_stay_and_ended_ones_go(store):
    partners = ID + "rabat-process|role-partner-state"
    in_2019 = network("governance", start="2019-01-01", end="2019-12-31", store=store)
    in_2021 = network("governance", start="2021-01-01", end="2021-12-31", store=store)
    assert in_2019.has_edge(ID + "GBR", partners) and not in_2021.has_edge(ID + "GBR", partners)  # left 31 January 2020
    assert in_2021.has_edge(ID + "FRA", partners)  # undated: the graph does not know it ended
    early = network("governance", end="2010-12-31", store=store)
    # Chairs known only by the day they handed over (Senegal 2014, Mali 2017): not excluded.
    assert set(early[ID + "rabat-process|role-chair"]) == {ID + "SEN", ID + "MLI"}


BAD_DATES = ["2015-02-30", "2015-13-01", "15-01-01", "2015-01-01T00:00", '2015-01-01"^^xsd:date) || (true', ""]


@pytest.mark.parametrize("bad", BAD_DATES)
def test_a_bad_date_is_a_usage_error(store, bad):
    if bad == "":
        assert network("co-chair", start=bad, store=store).number_of_edges() > 0  # empty = no bound
        return
    with pytest.raises(UsageError):
        network("co-chair", start=bad, store=store)


def test_from_after_to_and_unknown_view_or_format_are_usage_errors(store):
    with pytest.raises(UsageError, match="after"):
        network("co-chair", start="2020-01-01", end="2019-01-01", store=store)
    with pytest.raises(UsageError, match="views"):
        network("members", store=store)
    with pytest.raises(UsageError, match="format"):
        network("co-chair", format="dot", store=store)


# --- files ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", list(VIEWS))
def test_graphml_reads_back_whole(store, graphs, view):
    G = graphs[view]
    H = nx.read_graphml(io.BytesIO(network(view, format="graphml", store=store)))
    assert (
        (H.number_of_nodes(), H.number_of_edges()) == (G.number_of_nodes(), G.number_of_edges()) == counts(store, view)
    )
    assert dict(H.nodes(data=True)) == dict(G.nodes(data=True))
    for u, v, a in G.edges(data=True):
        assert {k: x for k, x in H.edges[u, v].items() if k != "id"} == a


@pytest.mark.parametrize("view", list(VIEWS))
def test_gexf_reads_back_whole_with_time(store, graphs, view):
    G = graphs[view]
    data = network(view, format="gexf", store=store)
    H = nx.read_gexf(io.BytesIO(data))
    assert (
        (H.number_of_nodes(), H.number_of_edges()) == (G.number_of_nodes(), G.number_of_edges()) == counts(store, view)
    )
    assert {n: a["label"] for n, a in H.nodes(data=True)} == {n: a["label"] for n, a in G.nodes(data=True)}
    graph = ET.fromstring(data).find("{http://www.gexf.net/1.2draft}graph")
    assert graph.get("mode") == "dynamic" and graph.get("timeformat") == "date"
    dated = [(u, v) for u, v, a in G.edges(data=True) if "period" in a]
    assert dated and all(H.edges[u, v].get("spells") for u, v in dated)


def test_gexf_gives_each_co_led_meeting_its_own_spell(store):
    H = nx.read_gexf(io.BytesIO(network("co-chair", format="gexf", store=store)))
    assert H.edges[ID + "FRA", ID + "SEN"]["spells"] == [("2011-11-22", "2011-11-23"), ("2018-10-23", "2018-10-24")]
    assert H.nodes[ID + "FRA"]["spells"] == [("2011-11-22", "2025-11-05")]  # Dakar 2011 to Lagos 2025


@pytest.mark.parametrize("view", list(VIEWS))
def test_node_link_json_reads_back_whole(store, graphs, view):
    data = json.loads(network(view, format="json", store=store))
    assert set(data) >= {"nodes", "links"}
    assert same_graph(nx.node_link_graph(data, edges="links"), graphs[view])


def test_html_is_self_contained(store, graphs):
    page = network("co-chair", format="html", store=store).decode("utf-8")
    assert "vis.Network" in page and len(page) > 100_000  # the library is inside the page
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=", page, re.I), "the page must not load anything"
    data = json.loads(re.search(r"^const data = (.*);$", page, re.M).group(1))
    assert {n["id"] for n in data["nodes"]} == set(graphs["co-chair"])
    assert len(data["edges"]) == graphs["co-chair"].number_of_edges()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_html_scripts_parse(store, tmp_path):
    page = network("governance", format="html", store=store).decode("utf-8")
    for i, script in enumerate(re.findall(r"<script>(.*?)</script>", page, re.S)):
        (tmp_path / f"s{i}.js").write_text(script, encoding="utf-8")
        done = subprocess.run(["node", "--check", str(tmp_path / f"s{i}.js")], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr


def test_output_is_written_atomically_and_returns_the_path(store, tmp_path):
    out = network("themes", format="gexf", output=tmp_path / "sub" / "themes.gexf", store=store)
    assert out == tmp_path / "sub" / "themes.gexf" and out.read_bytes().startswith(b"<?xml")
    assert [p.name for p in out.parent.iterdir()] == ["themes.gexf"]


# --- measures -----------------------------------------------------------------------------------------


def test_measures_table_ranks_every_node_then_the_most_central_states_per_period(store):
    table = network("co-chair", measures=True, store=store)
    rows = table.records()
    overall = [r for r in rows if r["period"] == "all"]
    assert len(overall) == network("co-chair", store=store).number_of_nodes()
    assert overall[0]["label"] == "France" and overall[0]["degree"] == 6
    assert [r["rank"] for r in overall] == list(range(1, len(overall) + 1))
    periods = [r["period"] for r in rows if r["period"] != "all"]
    assert "Rome Programme" in periods and "Marrakesh Action Plan" in periods
    assert all(r["type"] == "state" for r in rows if r["period"] != "all")
    assert max(periods.count(p) for p in set(periods)) <= 5
    rome = [r for r in rows if r["period"] == "Rome Programme"]
    assert rome[0]["label"] == "Portugal" and rome[0]["periodStart"] == "2015-01-01"
    assert {r["community"] for r in overall} >= {1, 2}
    assert table.format("csv").startswith("period,periodStart,periodEnd,rank,node,label")


# --- engines and the command line -------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("view", list(VIEWS))
def test_rdflib_builds_the_same_graph(store, ref_store, graphs, view):
    assert same_graph(network(view, store=ref_store), graphs[view])
    lo, hi = "2016-01-01", "2019-12-31"
    assert same_graph(network(view, start=lo, end=hi, store=ref_store), network(view, start=lo, end=hi, store=store))


@pytest.mark.slow
def test_rdflib_gives_the_same_measures(store, ref_store):
    assert (
        network("co-chair", measures=True, store=ref_store).rows == network("co-chair", measures=True, store=store).rows
    )


@pytest.mark.server
def test_a_remote_endpoint_gives_the_same_graphs(store, graphs):
    from servers import Server

    server = Server("oxigraph", name="test-network").start()
    try:
        # Every quad, the merged default graph included: the endpoint holds what the embedded store holds.
        data = ox.serialize(list(store.ox), format=ox.RdfFormat.N_QUADS)
        request = urllib.request.Request(
            server.store_url, data=data, method="POST", headers={"Content-Type": "application/n-quads"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            assert answer.status in (200, 201, 204)
        for view, G in graphs.items():
            assert same_graph(network(view, endpoint=server.query_url), G), view
        lo, hi = "2015-01-01", "2017-12-31"
        assert same_graph(
            network("governance", start=lo, end=hi, endpoint=server.query_url),
            network("governance", start=lo, end=hi, store=store),
        )
    finally:
        server.remove()


def test_cli_writes_gexf_that_reads_back(store, graphs, tmp_path):
    out = tmp_path / "co-chair.gexf"
    done = run_cli("network", "co-chair", "--format", "gexf", "-o", str(out))
    assert done.returncode == 0, done.stderr
    H = nx.read_gexf(out)
    assert (H.number_of_nodes(), H.number_of_edges()) == counts(store, "co-chair")


def test_cli_filters_and_prints_to_stdout(store):
    done = run_cli("network", "participation", "--format", "json", "--from", "2019-01-01", "--to", "2019-12-31")
    assert done.returncode == 0, done.stderr
    G = nx.node_link_graph(json.loads(done.stdout), edges="links")
    assert same_graph(G, network("participation", start="2019-01-01", end="2019-12-31", store=store))


def test_cli_measures_prints_a_table(tmp_path):
    done = run_cli("network", "co-chair", "--measures")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split()[:5] == ["period", "periodStart", "periodEnd", "rank", "node"]
    assert "France" in done.stdout
    out = tmp_path / "m.csv"
    assert run_cli("network", "governance", "--measures", "--table-format", "csv", "-o", str(out)).returncode == 0
    assert out.read_text().startswith("period,")


@pytest.mark.parametrize("bad", ["2015-02-30", "yesterday", "2015-01-01' } UNION { ?s ?p ?o"])
def test_cli_hostile_date_exits_3_and_writes_nothing(tmp_path, bad):
    out = tmp_path / "x.gexf"
    done = run_cli("network", "co-chair", "--from", bad, "--format", "gexf", "-o", str(out))
    assert done.returncode == 3, done.stderr
    assert "--from" in done.stderr and "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []
