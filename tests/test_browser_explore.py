"""Results.explore()'s search box and click popups in headless Chromium, offline.

Uses the browser and visit fixtures of test_browser.py; screenshots go to test-artifacts/.
"""

from __future__ import annotations

import pytest

from typology.api.loaders import from_run

from .browser_pages import looks_blank, save
from .output_helpers import EVIL, evil_run


@pytest.fixture(scope="module")
def explored(default_run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore_search")
    out = {}
    for label, result in (("default", default_run), ("evil", evil_run(default_run))):
        path = folder / f"{label}.html"
        from_run(result).explore("type").save(str(path))
        out[label] = path
    return out


def test_explore_search_finds_english_names_and_opens_the_popup(visit, explored, default_table):
    v = visit(explored["default"])
    page = v.page
    page.wait_for_selector(".typology-search input")
    page.fill(".typology-search input", "Suncheon")
    buttons = page.locator(".typology-search li button")
    assert buttons.count() == 1 and buttons.first.inner_text() == "순천시 · 전라남도"
    buttons.first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    row = default_table.set_index("code").loc["36030"]
    assert "순천시" in text and row["type_ko"] in text and "유형 근거 Why this type" in text
    assert f"({int(row['composite_rank'])}/228위)" in text
    assert page.locator(".typology-search").get_attribute("data-selected") == "36030"
    assert page.locator(".leaflet-popup").is_visible()
    page.wait_for_timeout(300)
    shot = page.screenshot()
    save("explore_search_suncheon.png", shot)
    assert not looks_blank(shot)
    # Several hits are listed with their 시도; a query that fits nothing says so.
    page.fill(".typology-search input", "중구")
    assert buttons.count() == 6
    page.fill(".typology-search input", "zzzz")
    assert "no match" in page.locator(".typology-search li").first.inner_text()
    v.assert_offline()


def test_explore_click_opens_a_popup(visit, explored):
    v = visit(explored["default"])
    page = v.page
    page.wait_for_selector(".typology-legend")
    box = page.locator(".folium-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "차원 점수 Dimension scores" in popup.inner_text() and "종합점수" in popup.inner_text()


def test_explore_search_and_popup_show_hostile_names_as_text(visit, explored):
    v = visit(explored["evil"])
    page = v.page
    page.wait_for_selector(".typology-search input")
    page.fill(".typology-search input", "11020")
    button = page.locator(".typology-search li button").first
    assert EVIL in button.inner_text()
    button.click()
    page.locator(".leaflet-popup-content").wait_for()
    assert EVIL in page.locator(".leaflet-popup-content").inner_text()
    assert page.evaluate("window.__xss") is None
    v.blocked = [u for u in v.blocked if not u.endswith("/x")]
    v.assert_offline()
