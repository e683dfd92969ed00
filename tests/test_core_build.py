"""The release: everything written after validation, nothing written when the graph does not conform."""

import hashlib

import pytest
import rdflib

import mmdgraph
from mmdgraph.errors import ValidationFailed

BAD = """@prefix id: <https://w3id.org/mmdgraph/id/> . @prefix src: <https://w3id.org/mmdgraph/source/> .
@prefix mmd: <https://w3id.org/mmdgraph/ontology#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
GRAPH src:flyer-activities-2015-2017 { id:tm-2099-nowhere a mmd:ThematicMeeting ; rdfs:label "A meeting without a date or status"@en . }
"""


@pytest.fixture(scope="module")
def release(store, tmp_path_factory):
    return mmdgraph.build(tmp_path_factory.mktemp("dist"), store=store)


def test_release_holds_every_product(release):
    names = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()}
    for ext in ("ttl", "nt", "rdf", "trig", "nq", "jsonld"):
        assert f"mmdgraph.{ext}" in names
    for name in (
        "context.jsonld",
        "void.ttl",
        "ontology.html",
        "SHA256SUMS",
        "validation.txt",
        "stats.json",
        "mmd.ttl",
        "vocabularies.ttl",
        "reused-terms.ttl",
        "shapes.ttl",
        "queries/chairs-by-theme.rq",
    ):
        assert name in names
    assert release.name == mmdgraph.__version__


def test_checksums_cover_every_file_and_verify(release):
    lines = (release / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    files = {p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file()} - {"SHA256SUMS"}
    assert set(listed) == files
    for name, digest in listed.items():
        assert hashlib.sha256((release / name).read_bytes()).hexdigest() == digest


def test_void_counts_are_computed_from_the_graph(release, store):
    void = rdflib.Graph().parse(release / "void.ttl")
    vd = rdflib.Namespace("http://rdfs.org/ns/void#")
    ds = rdflib.URIRef("https://w3id.org/mmdgraph/dataset")
    assert int(void.value(ds, vd.triples)) == len({t for t in store.triples()})
    dumps = {str(o).rsplit("/", 1)[1] for o in void.objects(ds, vd.dataDump)}
    assert {"mmdgraph.ttl", "mmdgraph.nq", "mmdgraph.jsonld"} <= dumps


def test_ontology_docs_describe_the_classes(release):
    html = (release / "ontology.html").read_text(encoding="utf-8")
    for label in ("Thematic meeting", "Chairmanship", "co-chaired by", "Reported figure"):
        assert label in html


def test_build_refuses_a_graph_that_does_not_conform_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.trig"
    bad.write_text(BAD, encoding="utf-8")
    store = mmdgraph.load([bad], with_graph=True)
    out = tmp_path / "dist"
    with pytest.raises(ValidationFailed) as err:
        mmdgraph.build(out, store=store)
    assert any(v.focus.endswith("tm-2099-nowhere") for v in err.value.report.violations)
    assert not out.exists() or list(out.iterdir()) == []


def test_rebuilding_replaces_the_release_in_one_step(store, tmp_path):
    first = mmdgraph.build(tmp_path, store=store)
    (first / "stale-file").write_text("from an older build")
    second = mmdgraph.build(tmp_path, store=store)
    assert second == first and not (second / "stale-file").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [mmdgraph.__version__]
