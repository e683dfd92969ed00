"""IRIs of mmdgraph's namespaces and of its well-known graphs."""

MMD = "https://w3id.org/mmdgraph/ontology#"
VOC = "https://w3id.org/mmdgraph/vocab/"
ID = "https://w3id.org/mmdgraph/id/"
SRC = "https://w3id.org/mmdgraph/source/"
CUR = "https://w3id.org/mmdgraph/curation/"

ONTOLOGY_IRI = "https://w3id.org/mmdgraph/ontology"
#: Graph holding the ontology and the project's vocabularies.
ONTOLOGY_GRAPH = ONTOLOGY_IRI
#: Graph holding the source catalogue (graph/sources.ttl): statements about sources.
CATALOGUE_GRAPH = "https://w3id.org/mmdgraph/graph/sources"
#: Graph holding what mmdgraph derives at load time (mmd:startDay, mmd:endDay).
DERIVED_GRAPH = "https://w3id.org/mmdgraph/graph/derived"
#: Graph holding triples a data file states outside every GRAPH block: statements without a
#: source, which validation reports.
UNSOURCED_GRAPH = "https://w3id.org/mmdgraph/graph/unsourced"
#: The address of the published JSON-LD context.
CONTEXT_IRI = "https://w3id.org/mmdgraph/context.jsonld"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
FOAF = "http://xmlns.com/foaf/0.1/"
SH = "http://www.w3.org/ns/shacl#"
VANN = "http://purl.org/vocab/vann/"
VOID = "http://rdfs.org/ns/void#"
DCAT = "http://www.w3.org/ns/dcat#"

#: Prefixes used in serialisations, tables and the JSON-LD context, in a stable order.
PREFIXES = {
    "mmd": MMD,
    "voc": VOC,
    "id": ID,
    "src": SRC,
    "cur": CUR,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "org": ORG,
    "schema": SCHEMA,
    "prov": PROV,
    "foaf": FOAF,
}

#: Graphs that hold no data statements (vocabulary, catalogue, derivations).
NON_DATA_GRAPHS = frozenset({ONTOLOGY_GRAPH, CATALOGUE_GRAPH, DERIVED_GRAPH, UNSOURCED_GRAPH})

SPARQL_PREFIXES = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def compact(iri: str) -> str:
    """Shorten an IRI with the project's prefixes.

    >>> compact("https://w3id.org/mmdgraph/id/FRA")
    'id:FRA'
    >>> compact("http://example.org/x")
    'http://example.org/x'
    """
    for prefix, ns in PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns) :]}"
    return iri
