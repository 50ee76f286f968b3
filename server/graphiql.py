"""GET /graphql: GraphiQL from assets shipped in the package (server/static/graphiql).

GraphiQL 4's browser build with React 18, committed by tools/vendor-assets/vendor.py (versions
in server/static/VENDORED.json): a `pip install` of the kit has it, offline, with no npm. Its
fetcher is @graphiql/toolkit's createGraphiQLFetcher: POST /graphql for queries and
mutations, graphql-transport-ws on /graphql for subscriptions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ariadne.explorer import Explorer
from starlette.routing import BaseRoute, Mount

from server.docs import PackageFiles
from server.documented import OutsideAnswer, problem_answer

STATIC = Path(__file__).parent / "static"


class GraphiQLPage(Explorer):
    """The GraphiQL page ariadne serves on GET /graphql."""

    def __init__(self, title: str) -> None:
        page = (STATIC / "graphiql.html").read_text(encoding="utf-8")
        self.page = page.replace("__TITLE__", title)

    def html(self, request: Any) -> str:
        return self.page


def graphiql_routes(answer: OutsideAnswer = problem_answer) -> list[BaseRoute]:
    """GET /graphql/assets/<file>: GraphiQL's scripts and styles (with ETag and Last-Modified;
    read from disk per request, so a server nobody opens GraphiQL on does not hold them); a
    missing one is a 404 written by `answer` (the spec's error format)."""
    files = PackageFiles(directory=STATIC / "graphiql", answer=answer)
    return [Mount("/graphql/assets", app=files)]
