"""Where the project's hand-edited sources live: ontology/, graph/, queries/.

mmdgraph reads them from the repository it is installed from (``pip install -e .``), or
from the folder named by the environment variable ``MMDGRAPH_HOME``.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import UsageError

_CLONE = Path(__file__).resolve().parent.parent  # resolved once: home() is on every query's path


def home() -> Path:
    """The project folder holding ontology/, graph/ and queries/."""
    env = os.environ.get("MMDGRAPH_HOME")
    root = Path(env) if env else _CLONE
    if not (root / "ontology").is_dir() or not (root / "graph").is_dir():
        raise UsageError(
            f"mmdgraph cannot find its data folders (ontology/, graph/) under {root}. "
            "Install it from a clone with `pip install -e .`, or set MMDGRAPH_HOME to the clone."
        )
    return root


def ontology_files() -> list[Path]:
    """The ontology and vocabulary files (not the shapes)."""
    d = home() / "ontology"
    return [d / "mmd.ttl", d / "reused-terms.ttl", d / "vocabularies.ttl"]


def shapes_file() -> Path:
    return home() / "ontology" / "shapes.ttl"


def catalogue_files() -> list[Path]:
    """The source catalogue: graph/sources.ttl and any graph/sources-*.ttl (one per curation topic)."""
    return sorted((home() / "graph").glob("sources*.ttl"))


def data_files() -> list[Path]:
    """The data files: every graph/*.trig, in a stable order."""
    return sorted((home() / "graph").glob("*.trig"))


def queries_dir() -> Path:
    return home() / "queries"


def qc_dir() -> Path:
    return home() / "queries" / "qc"
