"""The browser tests' Chromium, pages and helpers (test_browser*.py, test_report_browser.py).

Debian's Chromium, headless, driven by Playwright with the network blocked. Skipped on a machine
without Chromium or Playwright, except in CI (CI=true), where a missing browser fails the test:
`.ci/run` installs it. Screenshots go to test-artifacts/ (gitignored) for a person to look at.

The fixtures are the session's (conftest imports them): one Chromium and one set of pages per test
process serve every browser test module, instead of a launch and a rebuild of the same pages in each.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from typology import load_config, paths, run
from typology.data.geometry import attach, load_sido_geometry, load_unit_geometry
from typology.render.layers import build_layers
from typology.render.report import build_report
from typology.render.webmap import build_map, dimension_names

from .output_helpers import evil_run

ARTIFACTS = paths.ROOT / "test-artifacts"
# Chromium as root in a container, with every background service that would phone home off.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-default-apps", "--disable-extensions",
                 "--host-resolver-rules=MAP * ~NOTFOUND"]
VIEWPORT = {"width": 1200, "height": 900}
# Scoped runs (units.scope): (config, overrides, units in the scope)
SCOPED = {"seoul": (paths.ROOT / "configs" / "examples" / "seoul.yaml", [], 25),
          "gyeonggi": (paths.DEFAULT_CONFIG, ["units.scope={sido: [경기도]}"], 31)}


def chromium_path() -> str | None:
    found = os.environ.get("TYPOLOGY_CHROMIUM")
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = found or shutil.which(name)
    return found


def unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser test cannot run in CI: {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[test]')")
    executable = chromium_path()
    if not executable:
        unavailable("no Chromium found (apt-get install chromium, or set TYPOLOGY_CHROMIUM)")
    with sync_playwright() as pw:
        # Playwright gives each launch a fresh temporary profile (user-data-dir); each page opens in a
        # fresh context of its own (Visit), so tests share nothing but the browser process.
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def write_pages(result, folder: Path) -> Path:
    """map.html and report.html of ``result`` in the new folder ``folder``."""
    table = result.table()
    geo = attach(table, load_unit_geometry())
    layers = build_layers(table, result.settings, dimension_names(result))
    folder.mkdir()
    (folder / "map.html").write_text(build_map(result, table, geo, load_sido_geometry(), layers), encoding="utf-8")
    (folder / "report.html").write_text(build_report(result, table, layers[0]), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def pages(default_run, tmp_path_factory):
    """map.html and report.html of the default run, and of a run with a hostile region name."""
    folder = tmp_path_factory.mktemp("pages")
    return {label: write_pages(result, folder / label)
            for label, result in (("default", default_run), ("evil", evil_run(default_run)))}


@pytest.fixture(scope="session")
def scoped_runs(seoul_example_run):
    # The Seoul example is the session's shared run (conftest.seoul_example_run); the rest run here.
    return {label: seoul_example_run if (path, sets) == SCOPED["seoul"][:2] else run(load_config(path, sets))
            for label, (path, sets, _) in SCOPED.items()}


@pytest.fixture(scope="session")
def scoped_pages(scoped_runs, tmp_path_factory):
    """map.html and report.html of each scoped run (SCOPED)."""
    folder = tmp_path_factory.mktemp("scoped")
    return {label: write_pages(result, folder / label) for label, result in scoped_runs.items()}


class Visit:
    """One page in a fresh offline context, with every request and error recorded."""

    def __init__(self, browser, path: Path, viewport: dict | None = None) -> None:
        self.path = path
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.blocked: list[str] = []
        self.errors: list[str] = []
        # The page opens at this size: a map fits its first view to the window it opens in.
        self.context = browser.new_context(offline=True, viewport=viewport or VIEWPORT, device_scale_factor=1)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url}: {r.failure}"))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.goto(path.as_uri(), wait_until="load")

    def _route(self, route) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def assert_offline(self) -> None:
        assert self.blocked == [], f"requests to other hosts: {self.blocked}"
        assert self.failed == [], f"failed requests: {self.failed}"
        assert set(self.requests) == {self.path.as_uri()}, f"loaded more than the page: {self.requests}"
        assert self.errors == [], f"page errors: {self.errors}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser):
    opened = []

    def open_(path: Path, viewport: dict | None = None) -> Visit:
        opened.append(Visit(browser, path, viewport))
        return opened[-1]

    yield open_
    for v in opened:
        v.close()


def looks_blank(png: bytes) -> bool:
    """True for an empty page: almost one colour, or too little variation to be a map."""
    from PIL import Image, ImageStat

    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 16)
    few_colours = colours is not None and len(colours) < 16
    return few_colours or ImageStat.Stat(image.convert("L")).stddev[0] < 12


def save(name: str, data: bytes) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.write_bytes(data)
    return path
