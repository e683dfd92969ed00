"""The benchmark's synthetic graphs: deterministic, valid, and answered the same by every engine.

benchmarks/generate.py writes the graphs benchmarks/run.py measures; these tests check a small
one (about 5,000 triples), so the figures in docs/benchmarks.md are about graphs that mean
what the project's graph means.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

import mmdgraph
from mmdgraph.queries import catalogue
from mmdgraph.store import RdflibStore

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import generate  # noqa: E402
import run  # noqa: E402

sys.path.remove(str(BENCHMARKS))

SIZE, SEED = 5000, 7


def text(size=SIZE, seed=SEED, faults=0) -> str:
    buf = io.StringIO()
    generate.generate(size, buf, seed=seed, faults=faults)
    return buf.getvalue()


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bench") / "synthetic.trig"
    path.write_text(text(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def synthetic(graph_file):
    return mmdgraph.load([graph_file])


def test_same_seed_same_bytes_other_seed_other_graph():
    assert text() == text()
    assert text() != text(seed=SEED + 1)


def test_size_is_reached_closely(tmp_path):
    path, count = generate.write("10k", seed=SEED, out=tmp_path)
    assert path == generate.data_file("10k", SEED, tmp_path)
    assert 10_000 <= count < 10_300
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind
    store = mmdgraph.load([path], ontology=False, derive=False)
    assert len(list(store.quads())) == count  # every triple written is a distinct statement in its graph


def test_every_statement_is_in_a_declared_source_graph(synthetic):
    names = {g.value for g in synthetic.graph_names()}
    assert "https://w3id.org/mmdgraph/graph/unsourced" not in names
    sources = synthetic.select(
        "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH <https://w3id.org/mmdgraph/graph/sources> "
        "{ ?s a <https://w3id.org/mmdgraph/ontology#Source> } }"
    ).rows[0][0]
    assert int(sources.value) > 50


def test_mixes_date_precisions(synthetic):
    rows = synthetic.select(
        "SELECT ?t (COUNT(*) AS ?n) WHERE { ?m <https://schema.org/startDate> ?d BIND(DATATYPE(?d) AS ?t) } GROUP BY ?t"
    ).rows
    kinds = {t.value.rsplit("#", 1)[-1]: int(n.value) for t, n in rows}
    assert set(kinds) == {"date", "gYearMonth", "gYear"}
    assert min(kinds.values()) > 10


def test_conforms_to_shapes_and_qc(graph_file):
    report = mmdgraph.validate(files=[graph_file])
    assert report.conforms, report.text()
    assert report.violations == []


def test_faults_are_reported(tmp_path):
    path = tmp_path / "faulty.trig"
    path.write_text(text(faults=6), encoding="utf-8")
    report = mmdgraph.validate(files=[path])
    assert not report.conforms
    assert {v.constraint for v in report.violations} >= {"qc:undeclared-source", "qc:unsourced-statement"}


@pytest.mark.slow
def test_every_canned_query_answers_the_same_on_rdflib(synthetic):
    ref = RdflibStore.from_embedded(synthetic)
    empty = []
    for q in catalogue():
        params = run.example_params(q, synthetic)
        ours = mmdgraph.query(q.name, params, store=synthetic)
        theirs = mmdgraph.query(q.name, params, store=ref)
        assert theirs.columns == ours.columns, q.name
        assert theirs.rows == ours.rows, q.name
        if not ours.rows:
            empty.append(q.name)
    # The graph has what the queries ask about (a new query may need the generator extended).
    assert len(empty) <= 2, f"queries with no answer on the synthetic graph: {empty}"


def _order_is_total(q, store, params) -> bool:
    """Whether the query's ORDER BY leaves no tie between distinct rows: the rows come out the
    same when every projected column is appended as a tie-breaker, ascending and descending.
    (A tie lets each engine pick its own order, so answers would differ row for row.)"""
    import re

    import pyoxigraph as ox

    from mmdgraph.queries import bindings_for

    result = mmdgraph.query(q.name, params, store=store)
    rows = [tuple(str(t) for t in r) for r in result.rows]
    end = re.search(r"\b(LIMIT|OFFSET)\b[^}]*$", q.text)
    cut = end.start() if end else len(q.text)
    bindings = {ox.Variable(k): v for k, v in bindings_for(q, params, store).items()} or None
    for d in ("ASC", "DESC"):
        keys = " ".join(f"{d}(STR(?{v})) {d}(STR(DATATYPE(?{v}))) {d}(LANG(?{v}))" for v in result.columns)
        text = q.text[:cut].rstrip() + f"\n  {keys}\n" + q.text[cut:]
        if [tuple(str(t) for t in s) for s in store.ox.query(text, substitutions=bindings)] != rows:
            return False
    return True


@pytest.mark.slow
def test_every_canned_query_orders_its_rows_totally(tmp_path, store):
    """On the real graph and on the 100k benchmark graph (where two chairmanships of one state
    starting the same day once came out in a different order on rdflib)."""
    path = tmp_path / "100k.trig"
    with path.open("w", encoding="utf-8") as f:
        generate.generate(100_000, f, seed=42)
    big = mmdgraph.load([path])
    ties = []
    for q in catalogue():
        assert "ORDER BY" in q.text, f"{q.name} has no ORDER BY"
        for name, st in (("real", store), ("100k", big)):
            if not _order_is_total(q, st, run.example_params(q, st)):
                ties.append(f"{q.name} on the {name} graph")
    assert ties == []
