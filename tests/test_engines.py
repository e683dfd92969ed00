"""pyshacl-turbo against pySHACL, the reference: the same report on the shipped graph, on every
known-bad and good fixture (whatever tests/fixtures/ holds when the tests run) and on a
synthetic graph with faults of many kinds.

"The same report" is the same set of (Violation.key(), severity) and the same verdict, read
through mmdgraph.validate() exactly as users get it. If validate() fails on a fixture, the
other engine must fail the same way. The faster engine may become the default
(validate.DEFAULT_ENGINE) only while there is no known divergence.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

import mmdgraph

VALIDATE = importlib.import_module("mmdgraph.validate")  # the package exports the function of that name
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "tests" / "fixtures").glob("*/*.trig"))

#: Fixtures on which the engines disagree, and why; each is an xfail (strict, so a fix shows up).
#: Empty: the default engine may be turbo only while it is.
KNOWN_DIVERGENCES: dict[str, str] = {}


def report(engine: str, **where) -> tuple:
    """What the comparison sees: verdict, triples checked, and (key, severity) of each violation."""
    try:
        r = mmdgraph.validate(engine=engine, **where)
    except Exception as err:  # the same failure on both engines is the same behaviour
        return ("error", type(err).__name__)
    return (r.conforms, r.checked, frozenset((v.key(), v.severity) for v in r.violations))


def test_engines_are_known():
    assert set(VALIDATE.ENGINES) == {"pyshacl", "turbo"}
    assert VALIDATE.DEFAULT_ENGINE in VALIDATE.ENGINES
    with pytest.raises(mmdgraph.UsageError):
        mmdgraph.validate(engine="no-such-engine")
    # The CLI spells its choices out (it imports lazily, for its start-up time): they must agree.
    from mmdgraph.cli import parser

    validate_cli = parser()._subparsers._group_actions[0].choices["validate"]
    engine = next(a for a in validate_cli._actions if a.dest == "engine")
    assert set(engine.choices) == set(VALIDATE.ENGINES) and engine.default == VALIDATE.DEFAULT_ENGINE


def test_default_engine_is_turbo_only_without_divergences():
    if VALIDATE.DEFAULT_ENGINE != "pyshacl":
        assert not KNOWN_DIVERGENCES, "the default engine must give pySHACL's report on every fixture"


def test_same_report_on_the_shipped_graph(store):
    reference = report("pyshacl", store=store)
    assert reference[0] is True
    assert report("turbo", store=store) == reference


def test_there_are_fixtures_to_compare():
    assert len([p for p in FIXTURES if p.parent.name == "bad"]) >= 10


def _params():
    for path in FIXTURES:
        marks = (
            [pytest.mark.xfail(strict=True, reason=KNOWN_DIVERGENCES[path.stem])]
            if path.stem in KNOWN_DIVERGENCES
            else []
        )
        yield pytest.param(path, id=f"{path.parent.name}/{path.stem}", marks=marks)


@pytest.mark.parametrize("path", list(_params()))
def test_same_report_on_fixture(path: Path):
    reference = report("pyshacl", files=[path])
    assert report("turbo", files=[path]) == reference


def test_same_report_on_a_synthetic_graph_with_faults(tmp_path):
    """Many violations of many kinds at once (benchmarks/generate.py breaks one meeting in five)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import generate
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    path = tmp_path / "synthetic.trig"
    with path.open("w", encoding="utf-8") as f:
        generate.generate(5000, f, seed=3, faults=5)
    reference = report("pyshacl", files=[path])
    assert reference[0] is False
    assert len({constraint for (_, _, constraint), _ in reference[2]}) >= len(generate.FAULTS) - 1
    assert report("turbo", files=[path]) == reference
