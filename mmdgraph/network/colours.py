"""Colours, shared by the web page and the pictures: the regions the graph uses, then node types;
anything else grey."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

REGION_COLOURS = {  # Africa in warm tones, Europe in blue: the dialogue's two sides at a glance
    "Africa": "#e08214",
    "North Africa": "#d73027",
    "West Africa": "#fdae61",
    "Central Africa": "#8c510a",
    "East Africa": "#fee08b",
    "Europe": "#2166ac",
}
TYPE_COLOURS = {
    "organisation": "#7570b3",
    "meeting": "#66a61e",
    "theme": "#e7298a",
    "pillar": "#1b9e77",
    "domain": "#1b9e77",
    "objective": "#1b9e77",
    "framework": "#444444",
    "body": "#1b9e77",
    "dialogue": "#444444",
}
OTHER = "#999999"


def colour_group(attrs: Mapping[str, Any]) -> str:
    """The legend entry a node belongs to: a state's region, else its type.

    >>> colour_group({"type": "state", "region": "Europe"}), colour_group({"type": "meeting"})
    ('Europe', 'meeting')
    """
    if attrs.get("type") == "state":
        return attrs.get("region") or "state, region unknown"
    return attrs.get("type", "other")


def colour(group: str) -> str:
    """The colour of a legend entry (a region, a side or a node type).

    >>> colour("Europe"), colour("meeting"), colour("something else")
    ('#2166ac', '#66a61e', '#999999')
    """
    return REGION_COLOURS.get(group) or TYPE_COLOURS.get(group) or OTHER
