"""Flat tables (mmdgraph.tables): one CSV per kind of thing and a SQLite database with keys."""

import csv
import sqlite3

import pytest

import mmdgraph
from mmdgraph.errors import InputError, UsageError
from mmdgraph.namespaces import ID, MMD
from mmdgraph.store import RdflibStore
from mmdgraph.tables import DATABASE, TABLES, VIEWS, rows, tables


@pytest.fixture(scope="module")
def out(store, tmp_path_factory):
    return tables(tmp_path_factory.mktemp("t") / "tables", store=store)


@pytest.fixture(scope="module")
def db(out):
    conn = sqlite3.connect(out / DATABASE)
    yield conn
    conn.close()


def read_csv(out, name):
    with open(out / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_one_csv_per_table_and_the_database(out):
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{t.name}.csv" for t in TABLES] + [DATABASE])
    assert not list(out.parent.glob(".*")), "a temporary folder was left behind"


def test_counts_equal_the_graphs(store, out, db):
    counts = {c["name"]: c["count"] for c in mmdgraph.stats(store)["classes"]}
    expected = {
        "states": counts["states"],
        "organisations": counts["international organisations"],
        "meetings": counts["meetings"],
        "documents": counts["documents"],
        "chairmanships": counts["chairmanships of the dialogue"],
        "memberships": counts["memberships (all roles)"] - counts["chairmanships of the dialogue"],
        "recommendations": counts["recommendations"],
        "figures": counts["reported figures"],
        "claims": counts["claims (disagreements kept)"],
        "sources": counts["sources"],
    }
    for name, n in expected.items():
        assert len(read_csv(out, name)) == n, name
        assert db.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0] == n, name


def test_meeting_roles_are_every_stated_role_once(store, db):
    n = store.select(
        f"""SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?m ?p ?a WHERE {{
        ?m ?p ?a FILTER(?p IN (<{MMD}hostedBy>, <{MMD}chairedBy>, <{MMD}coChairedBy>)) }} }}"""
    ).records()[0]["n"]
    assert db.execute("SELECT COUNT(*) FROM meeting_roles").fetchone()[0] == n
    roles = {r[0] for r in db.execute("SELECT DISTINCT role FROM meeting_roles")}
    assert roles == {"host", "chair", "co-chair"}
    assert db.execute("SELECT COUNT(*) FROM meeting_roles WHERE sources IS NULL").fetchone()[0] == 0


def test_foreign_keys_are_declared_and_hold(db):
    fks = {
        (t, r[3], r[2], r[4])
        for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        for r in db.execute(f"PRAGMA foreign_key_list({t})")
    }
    assert ("meeting_roles", "meeting", "meetings", "iri") in fks
    assert ("meeting_roles", "agent", "agents", "iri") in fks
    assert ("memberships", "member", "agents", "iri") in fks
    assert ("recommendations", "adopted_at", "meetings", "iri") in fks
    assert ("claims", "claim_source", "sources", "iri") in fks
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    # Members are states or organisations (or the dialogue's own bodies), as agents say.
    kinds = {r[0] for r in db.execute("SELECT DISTINCT a.kind FROM memberships m JOIN agents a ON a.iri = m.member")}
    assert kinds <= {"state", "organisation", "dialogue", "body", "other"} and {"state", "organisation"} <= kinds


def test_primary_keys(db):
    def pk(table):
        return [r[1] for r in sorted(db.execute(f"PRAGMA table_info({table})"), key=lambda r: r[5]) if r[5]]

    assert pk("meetings") == ["iri"]
    assert pk("meeting_roles") == ["meeting", "agent", "role"]


def test_labels_in_english_and_french_and_sources_joined(out):
    states = {r["iso_alpha3"]: r for r in read_csv(out, "states")}
    assert states["SEN"]["label_en"] == "Senegal" and states["SEN"]["label_fr"] == "Sénégal"
    assert states["SEN"]["iri"] == ID + "SEN"
    srcs = states["SEN"]["sources"].split(";")
    assert len(srcs) > 1 and srcs == sorted(srcs) and all(s.startswith("https://w3id.org/mmdgraph/") for s in srcs)
    meetings = {r["iri"]: r for r in read_csv(out, "meetings")}
    rome = meetings[ID + "mc-2014-rome"]
    assert rome["type"] == MMD + "MinisterialConference" and rome["country"] == ID + "ITA"


def test_views(db):
    assert set(VIEWS) <= {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='view'")}
    n_meetings = db.execute("SELECT COUNT(*) FROM meetings").fetchone()[0]
    assert db.execute("SELECT COUNT(*) FROM meetings_with_roles").fetchone()[0] == n_meetings
    row = db.execute(
        "SELECT hosts, co_chairs FROM meetings_with_roles WHERE iri = ?", (ID + "mc-2014-rome",)
    ).fetchone()
    assert row[0] == "Italy"
    top = db.execute("SELECT iso_alpha3 FROM state_meeting_roles LIMIT 5").fetchall()
    assert ("FRA",) in top


def test_deterministic_and_rerun_over_the_same_folder(store, out):
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".csv"}
    tables(out, store=store)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".csv"} == before


def test_unwritable_folder_is_a_usage_error(store, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UsageError, match="cannot write"):
        tables(blocker / "tables", store=store)
    with pytest.raises(UsageError, match="not a folder"):
        tables(blocker, store=store)
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="notes.txt"):
        tables(busy, store=store)
    assert [p.name for p in busy.iterdir()] == ["notes.txt"]


def test_a_reference_to_a_missing_meeting_fails_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.trig"
    bad.write_text(
        """@prefix mmd: <https://w3id.org/mmdgraph/ontology#> .
@prefix id: <https://w3id.org/mmdgraph/id/> .
@prefix src: <https://w3id.org/mmdgraph/source/> .
GRAPH src:x { id:rec-1 a mmd:Recommendation ; mmd:adoptedAt id:no-such-meeting . }
""",
        encoding="utf-8",
    )
    with pytest.raises(
        InputError,
        match=r"recommendations\.adopted_at -> meetings\.iri: https://w3id.org/mmdgraph/id/no-such-meeting is not in meetings",
    ):
        tables(tmp_path / "out", store=mmdgraph.load([bad]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.trig"]


@pytest.mark.slow
def test_same_rows_on_rdflib(store, ref_store):
    assert rows(RdflibStore(ref_store.dataset)) == rows(store)
