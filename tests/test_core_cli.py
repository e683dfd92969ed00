"""The command line, through the real `mmdgraph` entry point."""

import csv
import io
import json

import pytest
from conftest import ROOT, run_cli

VERBS = ["validate", "queries", "query", "export", "build", "stats", "network", "serve", "publish", "tables", "site"]


def test_top_level_help_ends_with_an_example():
    r = run_cli("--help")
    assert r.returncode == 0
    assert r.stdout.rstrip().splitlines()[-2].strip() == "example:"


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_help_ending_with_an_example(verb):
    r = run_cli(verb, "--help")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.rstrip().splitlines()
    assert lines[-2].strip() == "example:" and lines[-1].strip().startswith("mmdgraph " + verb)


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_is_documented_beside_its_python_function(verb):
    doc = (ROOT / "docs" / "api-and-cli.md").read_text(encoding="utf-8")
    assert f"mmdgraph {verb}" in doc
    assert f"mmdgraph.{verb}(" in doc or f"{verb}(" in doc


def test_query_chairs_by_theme_as_csv():
    r = run_cli("query", "chairs-by-theme", "--format", "csv")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert {"chair", "co-chair"} == {row["role"] for row in rows}
    root = [row for row in rows if row["meeting"].endswith("tm-2018-paris-root-causes")]
    assert {(row["role"], row["agentLabel"]) for row in root} == {("chair", "France"), ("co-chair", "Senegal")}


def test_query_with_a_parameter_and_json_output():
    r = run_cli("query", "meetings-in-country", "--param", "country=Mali", "--format", "json")
    assert r.returncode == 0, r.stderr
    bindings = json.loads(r.stdout)["results"]["bindings"]
    assert {b["country"]["value"] for b in bindings} == {"https://w3id.org/mmdgraph/id/MLI"}


def test_bad_usage_exits_3_with_a_clear_message():
    r = run_cli("query", "no-such-query")
    assert r.returncode == 3 and "no canned query" in r.stderr
    r = run_cli("query", "meetings-in-country", "--param", "country=Atlantis")
    assert r.returncode == 3 and "no state matches 'Atlantis'" in r.stderr
    r = run_cli("query", "steering-committee", "--param", "date")
    assert r.returncode == 3 and "NAME=VALUE" in r.stderr


def test_validate_the_shipped_graph_exits_0():
    r = run_cli("validate")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "conforms" in r.stdout


def test_validate_a_bad_file_exits_1_and_names_node_rule_and_file(tmp_path):
    bad = tmp_path / "bad.trig"
    bad.write_text(
        "@prefix id: <https://w3id.org/mmdgraph/id/> . @prefix mmd: <https://w3id.org/mmdgraph/ontology#> .\n"
        "id:x a mmd:ThematicMeeting .\n",
        encoding="utf-8",
    )
    r = run_cli("validate", str(bad))
    assert r.returncode == 1
    assert "id:x" in r.stdout and "MinCountConstraintComponent" in r.stdout and str(bad) in r.stdout
    assert "qc:unsourced-statement" in r.stdout


def test_validate_an_unreadable_file_exits_2_with_file_and_line(tmp_path):
    bad = tmp_path / "broken.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:a ex:b\n", encoding="utf-8")
    r = run_cli("validate", str(bad))
    assert r.returncode == 2
    assert f"{bad}:4" in r.stderr


def test_export_writes_a_file(tmp_path):
    out = tmp_path / "g.nq"
    r = run_cli("export", "--format", "nquads", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 100_000


def test_queries_and_stats_print_tables():
    r = run_cli("queries")
    assert r.returncode == 0 and "chairs-by-theme" in r.stdout and "country:state" in r.stdout
    r = run_cli("stats")
    assert r.returncode == 0 and "states" in r.stdout and "src:flyer-activities-2015-2017" in r.stdout


def test_a_reader_that_stops_early_is_not_an_error():
    # `mmdgraph export | head -c 100`: the pipe closes; the command ends quietly with exit 0.
    import subprocess

    from conftest import CLI

    proc = subprocess.Popen([CLI, "export", "--format", "nquads"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.read(100)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert err == ""


def test_tables_verb_writes_the_tables(tmp_path):
    from conftest import run_cli

    done = run_cli("tables", "-o", str(tmp_path / "t"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "t" / "meetings.csv").exists() and (tmp_path / "t" / "mmdgraph.sqlite").exists()


def test_site_verb_writes_the_static_site(tmp_path):
    from conftest import run_cli

    done = run_cli("site", "-o", str(tmp_path / "site"))
    assert done.returncode == 0, done.stderr
    assert "entity pages" in done.stdout
    assert (tmp_path / "site" / "index.html").exists() and (tmp_path / "site" / "id" / "FRA.html").exists()
