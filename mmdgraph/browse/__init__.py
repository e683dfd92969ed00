"""Browse the graph: entity pages, indexes, a search index and a static site (issue #11).

- :func:`entity` -- what the graph says about one IRI, every line with its sources (dicts);
- :func:`entity_page` -- the same as a self-contained HTML page;
- :func:`site` -- the whole static site: a page and RDF files per entity, indexes, search;
- :func:`mmdgraph.browse.routes.respond` -- the same pages for ``mmdgraph serve``, with
  content negotiation.

See docs/browse.md.
"""

from .data import EntityNotFound, entity, page_path
from .render import entity_page
from .static import search, search_index, site

__all__ = ["EntityNotFound", "entity", "entity_page", "page_path", "search", "search_index", "site"]
