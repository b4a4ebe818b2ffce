"""Strawberry's GraphiQL page, served without a CDN."""

from __future__ import annotations

import functools
import pathlib

from strawberry.http.ides import get_graphql_ide_html

STATIC_DIR = pathlib.Path(__file__).parent / "static" / "graphiql"
STATIC_URL = "/static/graphiql"

# The template's CDN URLs, and the copy of each kept in STATIC_DIR.
_ASSETS = {
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js": "react-dom.production.min.js",
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": "plugin-explorer.umd.js",
}


@functools.cache
def graphiql_page() -> str:
    """Return Strawberry's GraphiQL page, loading its assets from STATIC_URL; raise if they changed."""
    html = get_graphql_ide_html("graphiql")
    missing = [url for url in _ASSETS if url not in html]
    if missing:
        raise RuntimeError(f"Strawberry's GraphiQL template no longer loads {missing}; re-vendor {STATIC_DIR}")
    for url, name in _ASSETS.items():
        html = html.replace(url, f"{STATIC_URL}/{name}")
    if "https://unpkg.com/" in html:
        raise RuntimeError(f"Strawberry's GraphiQL template loads assets not vendored in {STATIC_DIR}")
    return html
