"""map.html and report.html in a real browser (Debian's Chromium, headless), with the network blocked.

Skipped on a machine without Chromium or Playwright, except in CI (CI=true), where a missing
browser fails the test: `.ci/run` installs it (tests/browser_pages.py). Screenshots and the paint
timings are written to test-artifacts/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import io
import json

from .browser_pages import looks_blank, save
from .output_helpers import EVIL

# The browser, pages and visit fixtures are the session's (tests/browser_pages.py, through conftest).


def test_blank_check_can_fail():
    from PIL import Image

    for colour in ("white", "#dde8f0"):
        buffer = io.BytesIO()
        Image.new("RGB", (300, 200), colour).save(buffer, format="PNG")
        assert looks_blank(buffer.getvalue())


def test_map_draws_every_region_offline(visit, pages):
    v = visit(pages["default"] / "map.html")
    page = v.page
    page.wait_for_selector("#map[data-ready]", timeout=15_000)
    assert page.locator("path.typology-unit").count() == 228
    assert page.locator("path.typology-sido").count() == 17
    legend = page.locator(".typology-legend")
    assert "유형 (Type)" in legend.inner_text()
    assert "사회주도형 (Society-led)" in legend.inner_text() and "자원결합형" in legend.inner_text()
    timing = page.evaluate("""() => {
        const out = {};
        performance.getEntriesByType('paint').forEach(e => { out[e.name] = Math.round(e.startTime); });
        const nav = performance.getEntriesByType('navigation')[0];
        out.domContentLoaded = Math.round(nav.domContentLoadedEventEnd);
        out.load = Math.round(nav.loadEventEnd);
        out.mapReady = Number(document.getElementById('map').dataset.readyMs);
        return out;
    }""")
    timing["bytes"] = (pages["default"] / "map.html").stat().st_size
    save("map_timing.json", json.dumps(timing, indent=2).encode())
    print(f"\nmap.html in headless Chromium: {timing}")
    assert timing.get("first-paint", 0) > 0
    shot = page.screenshot()
    path = save("map.png", shot)
    assert not looks_blank(shot), f"the map looks blank: {path}"
    v.assert_offline()


def test_each_layer_has_its_legend(visit, pages):
    v = visit(pages["default"] / "map.html")
    page = v.page
    page.wait_for_selector("#map[data-ready]")
    titles = {"economy": "지역경제상황", "civic": "시민참여기반", "institution": "참여제도기반",
              "capacity": "지방정부역량", "composite": "종합점수", "type": "유형"}
    first_fill = page.locator("path.typology-unit").first.get_attribute("fill")
    for key, title in titles.items():
        page.locator(f"input[name=typology-layer][value={key}]").check()
        legend = page.locator(".typology-legend")
        assert legend.get_attribute("data-layer") == key
        assert title in legend.inner_text()
        if key == "economy":
            assert page.locator("path.typology-unit").first.get_attribute("fill") != first_fill  # restyled
            save("map_economy.png", page.screenshot())
    page.locator("input[name=typology-sido]").uncheck()
    assert page.locator("path.typology-sido").count() == 0
    v.assert_offline()


def test_search_shows_sido_for_ambiguous_names_and_opens_the_popup(visit, pages):
    v = visit(pages["default"] / "map.html")
    page = v.page
    page.wait_for_selector("#map[data-ready]")
    page.fill(".typology-search input", "중구")
    hits = page.locator(".typology-search li button").all_inner_texts()
    assert len(hits) == 6 and len({h.split("·")[1].strip() for h in hits}) == 6
    assert any("부산광역시" in h for h in hits)
    page.locator(".typology-search li button", has_text="부산광역시").click()
    popup = page.locator(".typology-popup")
    popup.wait_for()
    text = popup.inner_text()
    assert "중구" in text and "부산광역시" in text and "전국 순위" in text and "유형 근거" in text
    assert "자료 범위" in text and "/ 228" in text
    page.wait_for_timeout(300)
    assert page.locator(".leaflet-popup").count() == 1  # still open: the click did not reach the map
    save("map_popup.png", page.screenshot())
    page.locator(".typology-search input").press("Enter")  # Enter picks the first hit (중구 · 대구광역시)
    page.wait_for_function("() => document.querySelectorAll('.typology-popup').length === 1")  # old one faded out
    assert "대구광역시" in page.locator(".typology-popup").inner_text()
    page.fill(".typology-search input", "ulleung")
    assert page.locator(".typology-search li button").all_inner_texts() == ["울릉군 · 경상북도"]
    v.assert_offline()


def test_hostile_names_render_as_text_in_the_map(visit, pages):
    v = visit(pages["evil"] / "map.html")
    page = v.page
    page.wait_for_selector("#map[data-ready]")
    assert page.locator("path.typology-unit").count() == 228
    page.fill(".typology-search input", "xss")
    button = page.locator(".typology-search li button")
    assert button.count() == 1 and button.locator("b").inner_text() == EVIL
    button.click()
    assert EVIL in page.locator(".typology-popup").inner_text()
    assert page.evaluate("window.__xss") is None
    v.blocked = [u for u in v.blocked if not u.endswith("/x")]  # the <img src=x> must not even be requested
    v.assert_offline()


def test_report_is_offline_sortable_and_shows_profiles(visit, pages, default_table):
    v = visit(pages["default"] / "report.html")
    page = v.page
    assert page.locator("#regions-table tbody tr").count() == 228
    shot = page.screenshot()
    save("report.png", shot)
    assert not looks_blank(shot)
    heading = page.locator("#regions-table th", has_text="종합점수")
    heading.click()
    heading.click()  # second click: descending
    assert heading.get_attribute("aria-sort") == "descending"
    top = default_table.loc[default_table["composite"].idxmax(), "code"]
    first = page.locator("#regions-table tbody tr").first
    assert first.get_attribute("data-code") == top  # the highest composite comes first
    first.click()
    shown = page.locator("#profiles .region-profile:not([hidden])")
    assert shown.count() == 1 and shown.get_attribute("data-code") == top
    assert page.locator("#profile-select").input_value() == top
    page.locator("#profile-select").select_option("37430")
    assert page.locator("#profiles .region-profile:not([hidden])").get_attribute("data-code") == "37430"
    v.assert_offline()


def test_hostile_names_render_as_text_in_the_report(visit, pages):
    v = visit(pages["evil"] / "report.html")
    page = v.page
    row = page.locator('#regions-table tr[data-code="11020"]')
    assert row.locator("td").nth(1).inner_text() == EVIL
    assert EVIL in page.locator("#method").inner_text()  # the indicator name
    assert page.evaluate("window.__xss") is None
    v.assert_offline()


def test_popup_and_legend_show_ties_as_ties(visit, pages, default_table):
    # 180 regions share the lowest institution score but two (issue 15): each is "공동 47위", not "47위".
    scores = default_table.set_index("code")["institution"]
    own = scores["11010"]  # 종로구
    rank, tied = int((scores > own).sum()) + 1, int((scores == own).sum())
    assert tied > 1
    v = visit(pages["default"] / "map.html")
    page = v.page
    page.wait_for_selector("#map[data-ready]")
    page.fill(".typology-search input", "종로구")
    page.locator(".typology-search li button", has_text="서울특별시").click()
    popup = page.locator(".typology-popup")
    popup.wait_for()
    row = popup.locator("tr", has_text="참여제도기반").inner_text()
    assert f"공동 {rank}위 / 228\n{rank}–{rank + tied - 1}위, {tied}곳 동점" in row
    economy = popup.locator("tr", has_text="지역경제상황").inner_text()
    assert "공동" not in economy and "위 / 228" in economy  # an untied score keeps the plain rank
    page.wait_for_timeout(400)  # the popup fades in
    save("map_popup_tie.png", page.screenshot())
    page.locator("input[name=typology-layer][value=institution]").check()
    legend = page.locator(".typology-legend").inner_text()
    assert f"{tied}곳 동점" in legend and "분위 경계가 동점 안에" in legend
    save("map_legend_tie.png", page.screenshot())
    page.locator("input[name=typology-layer][value=economy]").check()
    assert "동점" not in page.locator(".typology-legend").inner_text()
    v.assert_offline()
