"""mmdgraph: an open knowledge graph of the Rabat Process and the Africa-EU Migration and Mobility Dialogue.

The Python API mirrors the command line: each ``mmdgraph <verb>`` calls the function of the
same name.

>>> import mmdgraph
>>> store = mmdgraph.load()
>>> mmdgraph.validate(store).conforms
True
>>> rows = mmdgraph.query("chairs-by-theme", store=store)
>>> {"theme", "role", "agentLabel"} <= set(rows.columns)
True
"""

__version__ = "0.1.0"

from types import ModuleType

from .build import build
from .errors import EndpointError, InputError, MmdgraphError, UnsafeQueryError, UsageError, ValidationFailed
from .export import export
from .loading import load
from .queries import queries, query
from .stats import stats
from .store import EmbeddedStore, RdflibStore, Result
from .tables import tables
from .validate import validate

#: Submodules with heavier dependencies (networkx, the HTTP server, the site writer), imported
#: on first use so that ``import mmdgraph`` stays fast: ``mmdgraph.network.network(...)`` works.
_LAZY = ("network", "serve", "publish", "browse")


def __getattr__(name: str) -> ModuleType:
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'mmdgraph' has no attribute {name!r}")


__all__ = [
    "load",
    "validate",
    "query",
    "queries",
    "export",
    "build",
    "stats",
    "tables",
    "EmbeddedStore",
    "RdflibStore",
    "Result",
    "MmdgraphError",
    "InputError",
    "UsageError",
    "UnsafeQueryError",
    "ValidationFailed",
    "EndpointError",
]
