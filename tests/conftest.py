"""Shared fixtures: the shipped graph loaded once, and its copy in rdflib (the reference engine)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import mmdgraph
from mmdgraph.store import RdflibStore

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).with_name("mmdgraph"))


@pytest.fixture(scope="session")
def store():
    """The shipped graph in the embedded store. Tests must not modify it."""
    return mmdgraph.load()


@pytest.fixture(scope="session")
def ref_store(store):
    """The same graph in rdflib's Dataset, to check answers do not depend on the engine."""
    return RdflibStore.from_embedded(store)


def run_cli(*args, cwd=None, input=None):
    """Run the real `mmdgraph` entry point in a subprocess; returns CompletedProcess."""
    env = dict(os.environ, PYTHONUTF8="1")
    return subprocess.run([CLI, *args], cwd=cwd, capture_output=True, text=True, env=env, input=input, timeout=300)


@pytest.fixture
def cli():
    """The real `mmdgraph` entry point: ``cli("stats")`` returns the CompletedProcess."""
    return run_cli
