"""Hostile input, through the library and the real `mmdgraph` entry point.

Malformed files give exit 2 naming the file and line; refused constructs (remote JSON-LD
contexts, RDF/XML DOCTYPEs, SERVICE, FROM <remote>, updates) give a clear error and never
reach the network (a loopback listener counts every connection attempt); a failing command
leaves its output file as it was; hostile parameter values are bound as terms, so they give
an error or an ordinary answer, never another query.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from servers import ConnectionCounter

import mmdgraph
from mmdgraph import paths
from mmdgraph.errors import InputError, UnsafeQueryError, UsageError
from mmdgraph.loading import read_quads
from mmdgraph.namespaces import CONTEXT_IRI

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CLI = str(Path(sys.executable).with_name("mmdgraph"))


def run_cli(*args, cwd=None, env=None):
    """The real entry point in a subprocess; ``args`` may be bytes (for undecodable argv)."""
    full = dict(os.environ, PYTHONUTF8="1", **(env or {}))
    return subprocess.run([CLI, *args], cwd=cwd, capture_output=True, env=full, timeout=300)


def out(res) -> str:
    return res.stdout.decode("utf-8", "replace")


def err(res) -> str:
    return res.stderr.decode("utf-8", "replace")


def assert_clean_error(res, code: int):
    """Exit ``code`` with one readable line, not a traceback."""
    assert res.returncode == code, (res.returncode, err(res))
    assert "Traceback" not in err(res), err(res)
    assert err(res).startswith("mmdgraph: error:"), err(res)


def listing(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (to show nothing was written or left behind)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- a loopback listener that counts connection attempts (tests/servers.py) -----------------------


@pytest.fixture(scope="module")
def listener():
    lis = ConnectionCounter()
    yield lis
    lis.close()


@pytest.fixture
def quiet(listener):
    """The listener, checked to have received no connection during the test."""
    before = len(listener.connections)
    yield listener
    assert listener.connections[before:] == [], "mmdgraph reached the network"


def test_the_listener_sees_a_connection(listener):
    # The no-network tests below would prove nothing if the listener could not tell.
    import urllib.request

    before = len(listener.connections)
    with pytest.raises(Exception):
        urllib.request.urlopen(f"{listener.url}/probe", timeout=5)
    assert len(listener.connections) == before + 1
    assert listener.connections[-1].startswith(b"GET /probe")


# --- malformed files: exit 2, file and line --------------------------------------------------

MALFORMED = {
    # extension: (text, line of the error)
    ".ttl": ('@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b "unterminated .\n', 3),
    ".trig": ("@prefix ex: <http://example.org/> .\nGRAPH ex:g {\n ex:a ex:b ex:c .\n}\nGRAPH ex:h { ex:a }\n", 5),
    ".nt": (
        "<http://example.org/a> <http://example.org/b> <http://example.org/c> .\n<http://example.org/a> <http://example.org/b> <c> .\n",
        2,
    ),
    ".nq": (
        '<http://example.org/a> <http://example.org/b> "x" <http://example.org/g> .\n<http://example.org/a> <http://example.org/b> "x" <http://example.org/g> <http://example.org/h> .\n',
        2,
    ),
    ".jsonld": ('{\n "@id": "http://example.org/a",\n "http://example.org/b": \n}\n', 4),
    ".json": ('[\n {"@id": "http://example.org/a"},\n {"@id": "http://example.org/b"\n]\n', 4),
}


@pytest.mark.parametrize("ext", sorted(MALFORMED))
def test_malformed_file_library_error_names_file_and_line(tmp_path, ext):
    text, line = MALFORMED[ext]
    path = tmp_path / f"broken{ext}"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_quads(path)
    assert info.value.path == path
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}")
    with pytest.raises(InputError):
        mmdgraph.validate(files=[path])


@pytest.mark.parametrize("ext", sorted(MALFORMED))
def test_malformed_file_cli_exit_2_names_file_and_line(tmp_path, ext):
    text, line = MALFORMED[ext]
    path = tmp_path / f"broken{ext}"
    path.write_text(text, encoding="utf-8")
    res = run_cli("validate", str(path))
    assert_clean_error(res, 2)
    assert f"{path}:{line}" in err(res)
    assert out(res) == ""


def test_malformed_rdfxml_names_the_line(tmp_path):
    path = tmp_path / "broken.rdf"
    path.write_text(
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">\n'
        '  <rdf:Description rdf:about="http://example.org/a">\n    <ex:p>x</ex:q>\n  </rdf:Description>\n</rdf:RDF>\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as info:
        read_quads(path)
    assert info.value.line == 4


def test_malformed_rdfxml_is_exit_2_naming_the_file(tmp_path):
    path = tmp_path / "broken.rdf"
    path.write_text(
        '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n<x>\n</rdf:RDF>\n'
    )
    res = run_cli("validate", str(path))
    assert_clean_error(res, 2)
    assert str(path) in err(res)


def test_malformed_file_among_good_ones_names_the_bad_one(tmp_path):
    bad = tmp_path / "broken.ttl"
    bad.write_text(MALFORMED[".ttl"][0])
    res = run_cli("validate", str(FIXTURES / "good" / "minimal.trig"), str(bad))
    assert_clean_error(res, 2)
    assert f"{bad}:3" in err(res)


def test_unknown_extension_and_missing_file_are_exit_2(tmp_path):
    odd = tmp_path / "data.txt"
    odd.write_text("<http://a> <http://b> <http://c> .\n")
    assert_clean_error(run_cli("validate", str(odd)), 2)
    assert_clean_error(run_cli("validate", str(tmp_path / "missing.ttl")), 2)


@pytest.mark.parametrize("ext", [".trig", ".jsonld"])  # Oxigraph's own loader; mmdgraph's reader
def test_unreadable_file_is_exit_2_with_the_reason(tmp_path, ext):
    folder = tmp_path / f"folder{ext}"
    folder.mkdir()
    r = run_cli("validate", str(folder))
    assert r.returncode == 2
    assert f"{folder}: cannot read file: Is a directory" in err(r)


def test_not_utf8_turtle_is_exit_2(tmp_path):
    path = tmp_path / "latin1.ttl"
    path.write_bytes('<http://example.org/a> <http://example.org/b> "Côte d\'Ivoire" .\n'.encode("latin-1"))
    res = run_cli("validate", str(path))
    assert_clean_error(res, 2)
    assert str(path) in err(res)


def test_deeply_nested_json_is_exit_2(tmp_path):
    path = tmp_path / "deep.jsonld"
    path.write_text("[" * 100_000)
    with pytest.raises(InputError):
        read_quads(path)


def test_triple_terms_do_not_crash_validate(tmp_path):
    path = tmp_path / "star.ttl"
    path.write_text("@prefix ex: <http://example.org/> .\nex:a ex:p <<( ex:s ex:p ex:o )>> .\n")
    res = run_cli("validate", str(path))
    assert res.returncode in (1, 2)
    assert "Traceback" not in err(res), err(res)


# --- JSON-LD: no remote contexts ----------------------------------------------------------------


def _remote_context_docs(url: str) -> dict[str, str]:
    node = '"@id": "http://example.org/a", "http://example.org/b": "c"'
    return {
        "string": f'{{"@context": "{url}/context.jsonld", {node}}}',
        "list": f'{{"@context": [{{"ex": "http://example.org/"}}, "{url}/context.jsonld"], {node}}}',
        "nested-node": f'{{"@id": "http://example.org/a", "http://example.org/b": {{"@context": "{url}/c.jsonld", "@id": "http://example.org/c"}}}}',
        "in-graph": f'{{"@graph": [{{"@context": "{url}/c.jsonld", {node}}}]}}',
        "import": f'{{"@context": {{"@import": "{url}/c.jsonld"}}, {node}}}',
        "scoped": f'{{"@context": {{"b": {{"@id": "http://example.org/b", "@context": "{url}/c.jsonld"}}}}, "@id": "http://example.org/a", "b": {{"@id": "http://example.org/c"}}}}',
    }


@pytest.mark.parametrize("case", ["string", "list", "nested-node", "in-graph", "import", "scoped"])
def test_remote_jsonld_context_refused_without_network(tmp_path, quiet, case):
    doc = _remote_context_docs(quiet.url)[case]
    path = tmp_path / f"remote-{case}.jsonld"
    path.write_text(doc)
    with pytest.raises(InputError) as info:
        read_quads(path)
    assert str(path) in str(info.value)
    res = run_cli("validate", str(path))
    assert_clean_error(res, 2)
    assert str(path) in err(res)
    assert "context" in err(res).lower()


def test_remote_jsonld_context_message_is_clear(tmp_path, quiet):
    path = tmp_path / "remote.json"
    path.write_text(_remote_context_docs(quiet.url)["string"])
    res = run_cli("validate", str(path))
    assert_clean_error(res, 2)
    assert "remote JSON-LD context refused" in err(res)
    assert f"{quiet.url}/context.jsonld" in err(res)


def test_published_context_is_served_from_the_bundle(tmp_path, quiet):
    path = tmp_path / "ok.jsonld"
    path.write_text(
        f'{{"@context": "{CONTEXT_IRI}", "@id": "id:FRA", "label": {{"@value": "France", "@language": "en"}}}}'
    )
    quads = read_quads(path)
    assert [q.predicate.value for q in quads] == ["http://www.w3.org/2000/01/rdf-schema#label"]
    assert quads[0].subject == ox.NamedNode("https://w3id.org/mmdgraph/id/FRA")


# --- RDF/XML: no DOCTYPE, no entities ---------------------------------------------------------

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">
  <rdf:Description rdf:about="http://example.org/a"><ex:p>&lol9;</ex:p></rdf:Description>
</rdf:RDF>
"""


def _xml_payloads(url: str) -> dict[str, bytes]:
    external = (
        f'<?xml version="1.0"?>\n<!DOCTYPE r [ <!ENTITY ext SYSTEM "{url}/evil.xml"> ]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/">\n'
        '  <rdf:Description rdf:about="http://example.org/a"><ex:p>&ext;</ex:p></rdf:Description>\n</rdf:RDF>\n'
    )
    return {
        "billion-laughs": LAUGHS.encode(),
        "lowercase-doctype": LAUGHS.replace("<!DOCTYPE", "<!doctype").encode(),
        "external-entity": external.encode(),
        "dtd-system": f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF SYSTEM "{url}/rdf.dtd">\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n'.encode(),
        "utf16-billion-laughs": LAUGHS.replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode("utf-16"),
    }


@pytest.mark.parametrize(
    "case", ["billion-laughs", "lowercase-doctype", "external-entity", "dtd-system", "utf16-billion-laughs"]
)
def test_rdfxml_with_doctype_refused(tmp_path, quiet, case):
    path = tmp_path / f"{case}.rdf"
    path.write_bytes(_xml_payloads(quiet.url)[case])
    with pytest.raises(InputError):
        read_quads(path)
    res = run_cli("validate", str(path))
    assert_clean_error(res, 2)
    assert str(path) in err(res)
    if "utf16" not in case:
        assert "DOCTYPE" in err(res)


def test_owl_imports_are_not_followed(tmp_path, quiet):
    path = tmp_path / "imports.ttl"
    path.write_text(f"<http://example.org/a> <http://www.w3.org/2002/07/owl#imports> <{quiet.url}/ontology.ttl> .\n")
    res = run_cli("validate", str(path))
    assert res.returncode == 1  # an undeclared property and an unsourced statement, not a fetch
    assert "Traceback" not in err(res)


# --- failing commands leave their output as it was -------------------------------------------


def make_home(root: Path) -> Path:
    """A copy of the project's data folders, for MMDGRAPH_HOME."""
    home = root / "home"
    for d in ("ontology", "graph", "queries"):
        shutil.copytree(paths.home() / d, home / d)
    return home


BROKEN_TRIG = "@prefix id: <https://w3id.org/mmdgraph/id/> .\n\nGRAPH id:x {\n  id:a id:b id:c .\n  id:a id:b\n}\n"


@pytest.fixture(scope="module")
def broken_home(tmp_path_factory):
    """A project folder whose graph/ holds a file with a syntax error on line 6."""
    home = make_home(tmp_path_factory.mktemp("broken"))
    (home / "graph" / "zz-broken.trig").write_text(BROKEN_TRIG)
    return home


@pytest.mark.parametrize("fmt", ["turtle", "trig", "nquads", "ntriples", "jsonld", "xml"])
def test_failing_export_leaves_existing_output_unchanged(tmp_path, broken_home, fmt):
    target = tmp_path / "out" / "mmdgraph.out"
    target.parent.mkdir()
    target.write_bytes(b"the previous export\n")
    before = listing(target.parent)
    res = run_cli("export", "--format", fmt, "-o", str(target), env={"MMDGRAPH_HOME": str(broken_home)})
    assert_clean_error(res, 2)
    assert "zz-broken.trig:6" in err(res)
    assert listing(target.parent) == before  # byte-identical, and no temporary file left behind


def test_failing_export_creates_no_file(tmp_path, broken_home):
    res = run_cli("export", "-o", str(tmp_path / "new.ttl"), env={"MMDGRAPH_HOME": str(broken_home)})
    assert_clean_error(res, 2)
    assert listing(tmp_path) == {}


def test_successful_export_writes_a_complete_file(tmp_path):
    target = tmp_path / "out.nq"
    target.write_bytes(b"old")
    res = run_cli("export", "--format", "nquads", "-o", str(target))
    assert res.returncode == 0, err(res)
    assert target.read_bytes() == run_cli("export", "--format", "nquads").stdout
    assert len(list(ox.parse(path=str(target)))) == len(list(mmdgraph.load().quads()))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.nq"]


@pytest.mark.parametrize(
    "args",
    [
        ["query", "meetings-in-country", "--param", "country=Atlantis"],
        ["query", "meetings-in-country"],
        ["query", "no-such-query"],
        ["query", "dialogue-on-date", "--param", "date=2017-02-30"],
        ["query", "sources-of", "--param", "entity=id:FRA> . ?s ?p ?o"],
        ["query", "counts", "--param", "nonsense=1"],
    ],
    ids=["unknown-state", "missing-param", "unknown-query", "bad-date", "injected-iri", "unknown-param"],
)
def test_failing_query_leaves_existing_output_unchanged(tmp_path, args):
    target = tmp_path / "out.csv"
    target.write_bytes(b"previous,result\r\n")
    before = listing(tmp_path)
    res = run_cli(*args, "--format", "csv", "-o", str(target))
    assert_clean_error(res, 3)
    assert listing(tmp_path) == before


def test_unsafe_query_file_leaves_existing_output_unchanged(tmp_path, quiet):
    q = tmp_path / "unsafe.rq"
    q.write_text(f"SELECT * WHERE {{ SERVICE <{quiet.url}/sparql> {{ ?s ?p ?o }} }}")
    target = tmp_path / "out.csv"
    target.write_bytes(b"previous\r\n")
    before = listing(tmp_path)
    res = run_cli("query", str(q), "--format", "csv", "-o", str(target))
    assert_clean_error(res, 3)
    assert listing(tmp_path) == before


def test_unwritable_output_leaves_no_temporary_file(tmp_path):
    (tmp_path / "a-folder").mkdir()
    before = listing(tmp_path)
    res = run_cli("query", "counts", "-o", str(tmp_path / "a-folder"))
    assert res.returncode != 0
    assert listing(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder"]


@pytest.mark.parametrize("where", ["folder", "under-a-file"])
def test_unwritable_output_is_a_clear_error(tmp_path, where):
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-file").write_text("x")
    target = tmp_path / "a-folder" if where == "folder" else tmp_path / "a-file" / "out.csv"
    res = run_cli("query", "counts", "-o", str(target))
    assert res.returncode not in (0, 1)
    assert_clean_error(res, res.returncode)


def test_failing_build_writes_nothing(tmp_path, broken_home):
    dist = tmp_path / "dist"
    (dist / "0.0.0").mkdir(parents=True)
    (dist / "0.0.0" / "previous.txt").write_text("an earlier release")
    before = listing(dist)
    res = run_cli("build", "--out", str(dist), env={"MMDGRAPH_HOME": str(broken_home)})
    assert_clean_error(res, 2)
    assert listing(dist) == before
    assert sorted(p.name for p in dist.iterdir()) == ["0.0.0"]


def test_build_of_a_non_conforming_graph_writes_nothing(tmp_path):
    home = make_home(tmp_path)
    shutil.copy(FIXTURES / "bad" / "meeting--co-chair-is-chair.trig", home / "graph" / "zz-bad.trig")
    dist = tmp_path / "dist"
    dist.mkdir()
    res = run_cli("build", "--out", str(dist), env={"MMDGRAPH_HOME": str(home)})
    assert res.returncode == 1, err(res)
    assert "DisjointConstraintComponent" in err(res)
    assert listing(dist) == {}
    assert list(dist.iterdir()) == []


# --- queries cannot reach the network or change data ---------------------------------------------


def unsafe_queries(url: str) -> dict[str, tuple[str, str]]:
    """name: (query text, a word the error message must contain)."""
    return {
        "service": (f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}", "SERVICE"),
        "service-silent-in-optional": (
            f"SELECT * WHERE {{ ?s a ?c OPTIONAL {{ SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }} }}",
            "SERVICE",
        ),
        "service-variable": (f"SELECT * WHERE {{ BIND(<{url}/sparql> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}", "SERVICE"),
        "service-in-exists": (
            f"SELECT * WHERE {{ ?s a ?c FILTER EXISTS {{ SERVICE <{url}/s> {{ ?s ?p ?o }} }} }}",
            "SERVICE",
        ),
        "service-in-subquery": (
            f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}/s> {{ ?s ?p ?o }} }} }} }}",
            "SERVICE",
        ),
        "service-in-minus-union-graph": (
            f"SELECT * WHERE {{ {{ ?s a ?c }} UNION {{ ?s a ?c MINUS {{ GRAPH ?g {{ SERVICE <{url}/s> {{ ?s ?p ?o }} }} }} }} }}",
            "SERVICE",
        ),
        "service-lowercase": (f"select * where {{ service <{url}/s> {{ ?s ?p ?o }} }}", "SERVICE"),
        "service-unicode-escape": (f"SELECT * WHERE {{ \\u0053ERVICE <{url}/s> {{ ?s ?p ?o }} }}", "SERVICE"),
        "from-remote": (f"SELECT * FROM <{url}/remote.ttl> WHERE {{ ?s ?p ?o }}", "FROM"),
        "from-named-remote": (f"SELECT * FROM NAMED <{url}/remote.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}", "FROM"),
        "load": (f"LOAD <{url}/remote.ttl>", "update"),
        "load-silent-into": (f"LOAD SILENT <{url}/remote.ttl> INTO GRAPH <http://example.org/g>", "update"),
        "insert-data": (
            "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }",
            "update",
        ),
        "delete-where": ("DELETE WHERE { ?s ?p ?o }", "update"),
        "clear-all": ("CLEAR ALL", "update"),
        "drop-graph": ("DROP GRAPH <https://w3id.org/mmdgraph/graph/sources>", "update"),
        "construct": ("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "SELECT"),
        "ask": (f"ASK {{ SERVICE <{url}/s> {{ ?s ?p ?o }} }}", "SERVICE"),
    }


UNSAFE = sorted(unsafe_queries("http://x").keys())


@pytest.mark.parametrize("name", UNSAFE)
def test_unsafe_query_file_refused_library(tmp_path, quiet, name):
    text, word = unsafe_queries(quiet.url)[name]
    path = tmp_path / f"{name}.rq"
    path.write_text(text)
    store = mmdgraph.load()
    n = len(store)
    with pytest.raises(UsageError) as info:
        mmdgraph.query(str(path), store=store)
    assert word.lower() in str(info.value).lower()
    if word != "SELECT":
        assert isinstance(info.value, UnsafeQueryError)
    assert len(store) == n


@pytest.mark.parametrize("name", UNSAFE)
def test_unsafe_query_file_refused_cli(tmp_path, quiet, name):
    text, word = unsafe_queries(quiet.url)[name]
    path = tmp_path / f"{name}.rq"
    path.write_text(text)
    res = run_cli("query", str(path))
    assert_clean_error(res, 3)
    assert word.lower() in err(res).lower()
    assert out(res) == ""


def test_from_a_graph_in_the_store_is_allowed(tmp_path):
    path = tmp_path / "local.rq"
    path.write_text("SELECT ?s FROM <https://w3id.org/mmdgraph/graph/sources> WHERE { ?s ?p ?o } LIMIT 1")
    assert len(mmdgraph.query(str(path))) == 1


BROKEN_QUERIES = {
    "invalid-codepoint-escape": (
        'SELECT * WHERE { ?s ?p "\\UFFFFFFFF" }',
        "safety.check_query lets rdflib's ValueError ('Invalid unicode code point') through",
    ),
    "deeply-nested-groups": (
        "SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o" + " }" * 3000,
        "safety.check_query lets pyparsing's RecursionError through",
    ),
    "deeply-nested-expression": (
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 3000 + "1" + ")" * 3000 + ") }",
        "safety.check_query lets pyparsing's RecursionError through",
    ),
}


@pytest.mark.parametrize(
    "name",
    list(BROKEN_QUERIES),
)
def test_unparseable_query_file_is_exit_3(tmp_path, name):
    path = tmp_path / f"{name}.rq"
    path.write_text(BROKEN_QUERIES[name][0])
    res = run_cli("query", str(path))
    assert_clean_error(res, 3)


def test_query_file_not_utf8_is_exit_3(tmp_path):
    path = tmp_path / "latin1.rq"
    path.write_bytes('SELECT * WHERE { ?s ?p "Côte" }'.encode("latin-1"))
    res = run_cli("query", str(path))
    assert_clean_error(res, 3)


def test_garbage_query_file_is_exit_3(tmp_path):
    path = tmp_path / "garbage.rq"
    path.write_text("SELECT WHERE {")
    res = run_cli("query", str(path))
    assert_clean_error(res, 3)
    assert "line 1" in err(res)


# --- hostile parameter values ------------------------------------------------------------------

HOSTILE = [
    'France" } DELETE WHERE { ?s ?p ?o } #',
    "France' } DELETE WHERE { ?s ?p ?o } #",
    "<http://evil/>",
    "id:FRA> . ?s ?p ?o",
    "id:FRA> } UNION { ?s ?p ?o",
    "https://w3id.org/mmdgraph/id/FRA> ?p ?o } #",
    "http://example.org/not-in-the-graph",
    "https://w3id.org/mmdgraph/id/no-such-thing",
    "2017-02-30",
    "2017-13-01",
    "2017-1-1",
    "99999-01-01",
    "0000-01-01",
    "",
    " ",
    "x" * 100_000,
    "Côte d'Ivoire",
    "ФРАНЦИЯ",
    "日本",
    "\u202eARF",
    "FRA\n",
    "a\nb",
    "\r\n",
    "\x00",
    "\\u0022 } #",
    '"',
    "_:b0",
    "?s",
    "$s",
    "id:",
    "urn:x",
    "javascript:alert(1)",
    "http://[::1",
    "file:///etc/passwd",
    "today; DROP ALL",
]
#: (query, parameter, type) for every parameter of every canned query.
PARAMS = [(q["name"], p["name"], p["type"]) for q in mmdgraph.queries() for p in q["params"]]


def expected_columns(name: str) -> list[str]:
    """The query's own projection, from the header of its golden result."""
    header = (paths.queries_dir() / f"{name}.expected.tsv").read_text(encoding="utf-8").splitlines()[0]
    return [c.removeprefix("?") for c in header.split("\t")]


def test_catalogue_has_parameters_of_every_kind():
    assert {t for _, _, t in PARAMS} >= {"date", "state", "entity"}


@pytest.fixture(scope="module")
def own_store():
    """A store of this module's own, so an injection could not hide in a shared fixture."""
    return mmdgraph.load()


def snapshot(store) -> list[str]:
    return sorted(str(q) for q in store.ox)


@pytest.mark.parametrize("query,param,kind", PARAMS)
def test_hostile_parameter_values_library(own_store, query, param, kind):
    before = snapshot(own_store)
    columns = expected_columns(query)
    for value in HOSTILE:
        try:
            result = mmdgraph.query(query, {param: value}, store=own_store)
        except UsageError as e:
            assert str(e), value
            continue
        assert result.columns == columns, value
    assert snapshot(own_store) == before


@pytest.mark.parametrize("query,param,kind", PARAMS)
def test_hostile_parameter_values_reference_engine(ref_store, query, param, kind):
    n = len(ref_store.dataset)
    columns = expected_columns(query)
    for value in HOSTILE[:8]:
        try:
            result = mmdgraph.query(query, {param: value}, store=ref_store)
        except UsageError:
            continue
        assert result.columns == columns, value
    assert len(ref_store.dataset) == n


CLI_HOSTILE = [
    'France" } DELETE WHERE { ?s ?p ?o } #',
    "<http://evil/>",
    "id:FRA> . ?s ?p ?o",
    "http://example.org/not-in-the-graph",
    "2017-02-30",
    "",
    "x" * 20_000,
    "Côte d'Ivoire",
    "a\nb } #",
]


@pytest.mark.parametrize("query,param,kind", PARAMS)
def test_hostile_parameter_values_cli(query, param, kind):
    columns = expected_columns(query)
    for value in CLI_HOSTILE:
        res = run_cli("query", query, "--param", f"{param}={value}", "--format", "csv")
        assert res.returncode in (0, 3), (value, err(res))
        assert "Traceback" not in err(res)
        if res.returncode == 3:
            assert_clean_error(res, 3)
            assert out(res) == ""
        else:
            assert out(res).splitlines()[0].split(",") == columns, value


class RecordingStore(mmdgraph.EmbeddedStore):
    """The real embedded store, keeping the text of every query it is asked."""

    def __init__(self, base):
        super().__init__(base.ox, base.files)
        self.texts: list[str] = []

    def select(self, query, bindings=None):
        self.texts.append(query)
        return super().select(query, bindings)


@pytest.mark.parametrize("query,param,kind", PARAMS)
def test_parameter_values_never_reach_the_query_text(own_store, query, param, kind):
    canned = (paths.queries_dir() / f"{query}.rq").read_text(encoding="utf-8")
    for value in ['France" } DELETE WHERE { ?s ?p ?o } #', "id:FRA> . ?s ?p ?o", "Senegal", "2016-06-01", "id:SEN"]:
        store = RecordingStore(own_store)
        try:
            mmdgraph.query(query, {param: value}, store=store)
        except UsageError:
            pass
        else:
            assert canned in store.texts, value  # the file's text, as it is
        # The canned text goes to the store as the file has it; no other query carries the value.
        assert all(text == canned or value not in text for text in store.texts), value


def test_a_known_value_still_works_through_the_cli():
    res = run_cli("query", "meetings-in-country", "--param", "country=Côte d'Ivoire", "--format", "csv")
    assert res.returncode == 0, err(res)
    assert out(res).splitlines()[0].split(",") == expected_columns("meetings-in-country")


def test_undecodable_parameter_bytes_are_exit_3():
    res = run_cli(b"query", b"meetings-in-country", b"--param", b"country=\xff\xfe")
    assert_clean_error(res, 3)


def test_lone_surrogate_parameter_is_a_usage_error(own_store):
    with pytest.raises(UsageError):
        mmdgraph.query("meetings-in-country", {"country": "\udcff"}, store=own_store)
