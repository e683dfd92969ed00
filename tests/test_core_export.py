"""Every export parses back to the same graph; JSON-LD expands with pyld to the same triples."""

import json

import pyoxigraph as ox
import pytest

import mmdgraph
from mmdgraph.export import FORMATS, write_atomic
from mmdgraph.loading import read_quads


def as_set(quads, keep_graphs):
    return {(str(q.subject), str(q.predicate), str(q.object), str(q.graph_name) if keep_graphs else "") for q in quads}


@pytest.fixture(scope="module")
def expected(store):
    return {
        True: as_set(store.quads(), True),
        False: {(str(t.subject), str(t.predicate), str(t.object), "") for t in store.triples()},
    }


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_export_round_trips(store, expected, tmp_path, fmt):
    _, ext, _, keeps_graphs = FORMATS[fmt]
    path = mmdgraph.export(fmt, tmp_path / f"out.{ext}", store=store)
    back = read_quads(path, default_graph="urn:x-default")
    got = as_set(back, keeps_graphs)
    assert got == expected[keeps_graphs]
    assert not list(tmp_path.glob(".*")), "a temporary file was left behind"


def test_jsonld_names_the_published_context_and_expands_with_pyld_to_the_same_quads(store, expected):
    from pyld import jsonld

    from mmdgraph.jsonld import document_loader

    doc = json.loads(mmdgraph.export("jsonld", store=store, context="remote"))
    assert doc["@context"] == "https://w3id.org/mmdgraph/context.jsonld"
    assert any(node.get("chairedBy") == "id:FRA" for g in doc["@graph"] for node in g.get("@graph", []))
    nquads = jsonld.to_rdf(doc, {"format": "application/n-quads", "documentLoader": document_loader})
    got = as_set(ox.parse(nquads.encode(), format=ox.RdfFormat.N_QUADS), True)
    assert got == expected[True]


def test_export_turtle_uses_the_project_prefixes(store):
    head = mmdgraph.export("turtle", store=store)[:2000].decode()
    assert "@prefix mmd: <https://w3id.org/mmdgraph/ontology#>" in head
    assert "@prefix id: <https://w3id.org/mmdgraph/id/>" in head


def test_export_is_deterministic(store):
    assert mmdgraph.export("trig", store=store) == mmdgraph.export("trig", store=store)


def test_write_atomic_leaves_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "out.ttl"
    target.write_bytes(b"old")

    with pytest.raises(TypeError):
        write_atomic(target, "text where bytes belong: the write fails half way")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ttl"]


def test_unknown_format_is_a_usage_error(store):
    with pytest.raises(mmdgraph.UsageError, match="unknown export format"):
        mmdgraph.export("yaml", store=store)
