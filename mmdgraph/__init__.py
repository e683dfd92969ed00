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

from .build import build  # noqa: E402
from .errors import EndpointError, InputError, MmdgraphError, UnsafeQueryError, UsageError, ValidationFailed  # noqa: E402
from .export import export  # noqa: E402
from .loading import load  # noqa: E402
from .queries import queries, query  # noqa: E402
from .stats import stats  # noqa: E402
from .store import EmbeddedStore, RdflibStore, Result  # noqa: E402
from .validate import validate  # noqa: E402

__all__ = [
    "load",
    "validate",
    "query",
    "queries",
    "export",
    "build",
    "stats",
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
