"""Writers: a view as GraphML, GEXF (with time), node-link JSON or a self-contained web page.

``WRITERS`` maps each format to its function, which takes the networkx graph and returns bytes.
The web page is ``page.html`` beside this module (package data), a :class:`string.Template`
whose ``$title``, ``$description``, ``$legend``, ``$css``, ``$js`` and ``$data`` are filled here.
"""

from __future__ import annotations

import html as _html
import io
import json
from collections import defaultdict
from importlib import resources
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from ..errors import UsageError
from .colours import colour, colour_group
from .period import intervals

if TYPE_CHECKING:
    from collections.abc import Callable

    import networkx as nx


def _edge_ids(G: nx.Graph) -> nx.Graph:
    H = G.copy()
    for i, (u, v) in enumerate(H.edges()):
        H.edges[u, v]["id"] = f"e{i}"
    return H


def to_graphml(G: nx.Graph) -> bytes:
    """GraphML, every edge with a unique id."""
    import networkx as nx

    buf = io.BytesIO()
    nx.write_graphml(_edge_ids(G), buf, edge_id_from_attribute="id")
    return buf.getvalue()


def to_gexf(G: nx.Graph) -> bytes:
    """GEXF 1.2 with time, so Gephi's timeline works: each edge's ``period`` becomes its
    spells; a node lives from the first to the last day of its own dates and of its
    relationships, open-ended on a side where any of them is (undated memberships: always)."""
    import networkx as nx

    H = _edge_ids(G)
    H.graph = {"name": G.graph.get("name", ""), "mode": "dynamic"}
    spans: dict[str, list[tuple[str | None, str | None]]] = defaultdict(list)
    for u, v, a in H.edges(data=True):
        spells = intervals(a.pop("period", None))
        a.pop("start", None), a.pop("end", None)
        if spells:
            a["spells"] = spells
        for n in (u, v):
            spans[n] += spells or [(None, None)]
    for n, a in H.nodes(data=True):
        own = (a.pop("start", None), a.pop("end", None))
        spells = spans[n] + ([own] if own != (None, None) else [])
        starts = [s for s, _ in spells if s is not None]
        ends = [e for _, e in spells if e is not None]
        start = None if len(starts) < len(spells) else min(starts, default=None)
        end = None if len(ends) < len(spells) else max(ends, default=None)
        if start or end:
            a["spells"] = [(start, end)]
    buf = io.BytesIO()
    nx.write_gexf(H, buf)
    return buf.getvalue()


def to_json(G: nx.Graph) -> bytes:
    """Node-link JSON (``nodes``, ``links``) for D3."""
    import networkx as nx

    data = nx.node_link_data(G, edges="links")
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def _vis_lib() -> tuple[str, str]:
    """The vis-network script and stylesheet pyvis ships (read from its package, never fetched)."""
    import importlib.util

    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.origin:
        raise UsageError("--format html needs pyvis (pip install 'mmdgraph[network]')")
    lib = Path(spec.origin).parent / "lib" / "vis-9.1.2"
    return (lib / "vis-network.min.js").read_text(encoding="utf-8"), (lib / "vis-network.css").read_text(
        encoding="utf-8"
    )


def _page() -> Template:
    """The web page's template, ``page.html`` (package data)."""
    return Template(resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8"))


def to_html(G: nx.Graph) -> bytes:
    """A self-contained page: vis-network inlined, no request leaves the page."""
    js, css = _vis_lib()
    degree = dict(G.degree(weight="weight"))
    groups: dict[str, str] = {}
    vis_nodes: list[dict[str, object]] = []
    vis_edges: list[dict[str, object]] = []
    for n, a in G.nodes(data=True):
        group = colour_group(a)
        groups[group] = colour(group)
        label = str(a.get("label", n))
        vis_nodes.append(
            {
                "id": n,
                "label": label if len(label) <= 40 else label[:39] + "…",
                "title": "\n".join([label] + [f"{k}: {a[k]}" for k in ("type", "region", "date", "role") if a.get(k)]),
                "color": groups[group],
                "value": 1 + degree.get(n, 0),
                "attrs": {"id": n, **{k: str(v) for k, v in a.items()}},
            }
        )
    for i, (u, v, a) in enumerate(G.edges(data=True)):
        vis_edges.append(
            {
                "id": f"e{i}",
                "from": u,
                "to": v,
                "width": 1 + 1.5 * (a.get("weight", 1) - 1),
                "title": "\n".join(str(a[k]) for k in ("label", "date") if a.get(k)),
                "attrs": {k: str(x) for k, x in a.items()},
            }
        )
    legend = " ".join(
        f'<span><span class="key" style="background:{c}"></span>{_html.escape(g)}</span>&nbsp;'
        for g, c in sorted(groups.items())
    )
    when = ""
    if G.graph.get("from") or G.graph.get("to"):
        when = f" Period: {G.graph.get('from', '…')} to {G.graph.get('to', '…')}."
    data = json.dumps({"nodes": vis_nodes, "edges": vis_edges}, ensure_ascii=False)
    # Inside <script>, "</" would end the element and U+2028/9 end a JS string in old engines.
    data = data.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    page = _page().substitute(
        title=_html.escape(f"mmdgraph: the {G.graph.get('name', '')} network"),
        description=_html.escape(
            f"{G.graph.get('description', '')}{when} {G.number_of_nodes()} nodes, {G.number_of_edges()} edges. "
            "Drag to move, scroll to zoom; node size grows with the node's (weighted) degree."
        ),
        legend=legend,
        css=css,
        js=js.replace("</script", "<\\/script"),
        data=data,
    )
    return page.encode("utf-8")


WRITERS: dict[str, Callable[[nx.Graph], bytes]] = {
    "graphml": to_graphml,
    "gexf": to_gexf,
    "json": to_json,
    "html": to_html,
}
FORMATS = tuple(WRITERS)
