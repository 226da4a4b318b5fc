"""output.map_tiles in a real browser: the page's CSP lets the configured tile host's images in and
nothing else, and a page without it requests nothing. No request leaves the machine: the tile
server is played by the test (Playwright answers the requests with a small PNG)."""

from __future__ import annotations

import base64

from typology.data.geometry import attach, load_sido_geometry, load_unit_geometry
from typology.render.webmap import build_map

from .browser_pages import VIEWPORT

# browser: the session's Chromium (tests/browser_pages.py, through conftest).

TILE = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
                        "AAAABJRU5ErkJggg==")  # a 1×1 PNG
URL = "https://{s}.tile.example.org/{z}/{x}/{y}.png"


def page_with(result, path):
    table = result.table()
    path.write_text(build_map(result, table, attach(table, load_unit_geometry()), load_sido_geometry()),
                    encoding="utf-8")
    return path


def visit(browser, path):
    """The page with a stand-in tile server: what was requested, served and refused."""
    seen = {"tiles": [], "other": [], "console": []}
    context = browser.new_context(viewport=VIEWPORT)

    def route(r):
        url = r.request.url
        if url.startswith("file://"):
            r.continue_()
        elif ".tile.example.org/" in url:
            seen["tiles"].append(url)
            r.fulfill(status=200, content_type="image/png", body=TILE)
        else:
            seen["other"].append(url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: seen["console"].append(m.text))
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector("#map[data-ready]")
    return page, seen, context


def test_tiles_from_the_configured_host_load_under_the_csp(browser, default_run, tmp_path):
    config = {**default_run.config, "output": {**default_run.config["output"], "map_tiles": URL,
                                                "map_tiles_attribution": "© example"}}
    result = type(default_run)(**{**default_run.__dict__, "config": config})
    page, seen, context = visit(browser, page_with(result, tmp_path / "tiles.html"))
    try:
        page.wait_for_function("() => document.querySelectorAll('img.leaflet-tile-loaded').length > 0")
        assert seen["tiles"] and not seen["other"]
        assert not [m for m in seen["console"] if "Content Security Policy" in m]
    finally:
        context.close()


def test_without_map_tiles_the_page_requests_nothing(browser, default_run, tmp_path):
    page, seen, context = visit(browser, page_with(default_run, tmp_path / "plain.html"))
    try:
        assert seen["tiles"] == [] and seen["other"] == []
        assert page.locator("img.leaflet-tile").count() == 0
    finally:
        context.close()


def test_the_old_policy_would_have_blocked_the_tiles(browser, default_run, tmp_path):
    # The check can fail: the same page with the CSP of before (images from data: only) loads none.
    config = {**default_run.config, "output": {**default_run.config["output"], "map_tiles": URL}}
    result = type(default_run)(**{**default_run.__dict__, "config": config})
    path = page_with(result, tmp_path / "old.html")
    html = path.read_text(encoding="utf-8")
    assert "img-src data: https://*.tile.example.org;" in html
    path.write_text(html.replace("img-src data: https://*.tile.example.org;", "img-src data:;"), encoding="utf-8")
    page, seen, context = visit(browser, path)
    try:
        page.wait_for_timeout(1500)
        assert seen["tiles"] == []
        assert page.locator("img.leaflet-tile-loaded").count() == 0
    finally:
        context.close()
