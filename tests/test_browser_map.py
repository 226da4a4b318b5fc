"""map.html's search and place names, and Results.explore() (folium), in headless Chromium offline.

Uses the session's browser and page fixtures (tests/browser_pages.py); screenshots go to test-artifacts/.
"""

from __future__ import annotations

import pytest

from typology.api.loaders import from_run

from .browser_pages import looks_blank, save
from .output_helpers import EVIL, evil_run


def rect(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect(); return {l: r.left, t: r.top, r: r.right, b: r.bottom}; }")


def overlap(a: dict, b: dict) -> bool:
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


def visible_unit_labels(page) -> list[str]:
    return page.locator(".typology-label-unit:not(.typology-label-hidden)").all_inner_texts()


def test_search_highlights_fits_and_opens_the_popup_beside_the_region(visit, pages):
    v = visit(pages["default"] / "map.html")
    page = v.page
    page.wait_for_selector("#map[data-ready]")
    page.fill(".typology-search input", "중구")
    choice = page.locator(".typology-search li button", has_text="부산광역시")
    choice.hover()  # the pointer stays here, over the map, once the list closes
    choice.click()
    page.locator(".typology-popup").wait_for()
    page.wait_for_timeout(400)  # let a replayed mouseover and the popup's pan happen
    assert page.locator("#map").get_attribute("data-selected") == "21010"
    selected = page.locator("path.typology-selected")
    assert selected.count() == 1
    assert selected.get_attribute("stroke-width") == "4" and selected.get_attribute("stroke") == "#000000"
    region, popup = rect(page, "path.typology-selected"), rect(page, ".leaflet-popup")
    box = page.locator("#map").bounding_box()
    # Fitted: the whole region is on screen and large enough to see; the popup is beside it.
    assert 0 <= region["l"] and region["r"] <= box["width"] and 0 <= region["t"] and region["b"] <= box["height"]
    assert region["r"] - region["l"] > 40
    assert not overlap(region, popup), (region, popup)
    assert popup["l"] >= region["r"]
    # No tooltip left where the list was (the pointer has not moved since the click).
    assert page.locator(".leaflet-tooltip").count() == 0
    save("map_search_busan_junggu.png", page.screenshot())
    # A real pointer move brings hover tooltips back.
    page.mouse.move(box["width"] / 2 - 200, box["height"] / 2)
    page.mouse.move(box["width"] / 2 - 190, box["height"] / 2 + 5)
    page.wait_for_function("() => document.querySelectorAll('.leaflet-tooltip').length === 1")
    # Closing the popup clears the highlight; choosing another region moves it.
    page.locator(".leaflet-popup-close-button").click()
    page.wait_for_function("() => document.querySelectorAll('.typology-popup').length === 0")
    assert page.locator("path.typology-selected").count() == 0
    page.fill(".typology-search input", "전주")
    page.locator(".typology-search input").press("Enter")
    page.locator(".typology-popup").wait_for()
    assert "전주시" in page.locator(".typology-popup").inner_text()
    assert page.locator("path.typology-selected").count() == 1
    assert page.locator("#map").get_attribute("data-selected") == "35010"
    v.assert_offline()


def test_search_on_a_narrow_screen_puts_the_popup_above_the_region_below_the_search_box(visit, pages):
    v = visit(pages["default"] / "map.html")
    page = v.page
    page.wait_for_selector("#map[data-ready]")
    page.set_viewport_size({"width": 700, "height": 800})
    page.wait_for_timeout(300)  # Leaflet takes the new size on its next animation frame
    page.fill(".typology-search input", "강남")
    page.locator(".typology-search input").press("Enter")
    page.locator(".typology-popup").wait_for()
    page.wait_for_timeout(400)
    region, popup = rect(page, "path.typology-selected"), rect(page, ".leaflet-popup")
    head = rect(page, ".typology-search")
    assert popup["b"] <= region["t"] + 2  # above the region (its tip touches the northern edge)
    assert not overlap(popup, head)
    save("map_search_narrow.png", page.screenshot())
    v.assert_offline()


def test_place_names_sido_always_sigungu_when_zoomed_in(visit, pages):
    v = visit(pages["default"] / "map.html")
    page = v.page
    page.wait_for_selector("#map[data-ready]")
    sido = page.locator(".typology-label-sido").all_inner_texts()
    assert len(sido) == 17 and {"서울특별시", "부산광역시", "제주특별자치도", "경상북도"} <= set(sido)
    assert page.locator("#map").get_attribute("data-unit-labels") == "0"
    assert page.locator(".typology-label-unit").count() == 0  # national view: no 시군구 names
    shot = page.screenshot()
    save("map_names_national.png", shot)
    # Each 시도 name sits over its own 시도: the element under the label's centre is a unit of that 시도.
    seoul = page.locator(".typology-label-sido", has_text="서울특별시").locator("span")
    centre = seoul.evaluate(
        "e => { const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height + 3]; }")
    assert page.evaluate(f"document.elementFromPoint({centre[0]}, {centre[1]}).classList.contains('typology-unit')")
    page.fill(".typology-search input", "순천")
    page.locator(".typology-search input").press("Enter")
    page.locator(".typology-popup").wait_for()
    assert page.locator("#map").get_attribute("data-unit-labels") == "1"
    names = visible_unit_labels(page)
    assert "순천시" in names and "여수시" in names
    # Decluttered: no two visible names overlap.
    shown = page.locator(".typology-label-unit:not(.typology-label-hidden) span, .typology-label-sido span")
    boxes = shown.evaluate_all(
        "es => es.map(e => { const r = e.getBoundingClientRect(); "
        "return {l: r.left, t: r.top, r: r.right, b: r.bottom}; })"
        ".filter(r => r.r > r.l)")
    clashes = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if overlap(a, b)]
    assert clashes == []
    save("map_names_suncheon.png", page.screenshot())
    # Zoom out until below the names' zoom level; how many steps depends on how far the search zoomed
    # in, and a click during a zoom animation may be dropped, so it zooms step by step.
    for _ in range(10):
        if page.locator("#map").get_attribute("data-unit-labels") == "0":
            break
        page.locator(".leaflet-control-zoom-out").click()
        page.wait_for_timeout(400)
    page.wait_for_function("() => document.getElementById('map').dataset.unitLabels === '0'")
    assert page.locator(".typology-label-unit").count() == 0
    v.assert_offline()


def test_titles_wrap_between_words(visit, pages, tmp_path):
    html = (pages["default"] / "map.html").read_text(encoding="utf-8")
    long_title = "지역맞춤형 사회혁신 유형화 (사분면, 두 유형은 프로젝트 확장)"
    path = tmp_path / "map.html"
    path.write_text(html.replace("지역맞춤형 사회혁신 유형화 (기본 설정)", long_title), encoding="utf-8")
    v = visit(path)
    page = v.page
    page.wait_for_selector("#map[data-ready]")
    title = page.locator(".typology-search .typology-title")
    broken = title.evaluate("""e => {
        const text = e.firstChild;  // the Korean title's text node
        const words = [];
        let at = 0;
        text.data.split(' ').forEach(w => {
            const r = document.createRange();
            r.setStart(text, at); r.setEnd(text, at + w.length);
            const lines = new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top)));
            if (lines.size > 1) { words.push(w); }
            at += w.length + 1;
        });
        const all = document.createRange(); all.selectNodeContents(text);
        return {broken: words, lines: new Set(Array.from(all.getClientRects()).map(x => Math.round(x.top))).size};
    }""")
    assert broken["lines"] > 1, "the test title should need more than one line"
    assert broken["broken"] == []
    save("map_title_wrap.png", title.screenshot())
    v.assert_offline()


@pytest.fixture(scope="module")
def explored(default_run, tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore")
    out = {}
    for label, result, layer in (("default", default_run, "economy"), ("evil", evil_run(default_run), "type")):
        fmap = from_run(result).explore(layer)
        path = folder / f"{label}.html"
        fmap.save(str(path))
        out[label] = path
    return out


def test_explore_works_offline_with_layers_tooltips_and_legend(visit, explored, default_table):
    v = visit(explored["default"])
    page = v.page
    page.wait_for_selector(".typology-legend")
    assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == 228
    assert page.locator(".leaflet-sido-pane path").count() == 17
    legend = page.locator(".typology-legend")
    assert legend.get_attribute("data-layer") == "economy" and "지역경제상황" in legend.inner_text()
    assert "(46)" in legend.inner_text()  # quintile counts, as in map.html
    control = page.locator(".leaflet-control-layers").inner_text()
    for name in ("유형 (Type)", "종합점수 (Composite score)", "시도 경계 (province borders)"):
        assert name in control
    box = page.locator("#" + page.locator(".folium-map").get_attribute("id")).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(box["x"] + box["width"] / 2 + 3, box["y"] + box["height"] / 2 + 3)
    assert "통계청" in page.locator(".leaflet-control-attribution").inner_text()
    tip = page.locator(".leaflet-tooltip")
    tip.wait_for()
    assert "지역 Region" in tip.inner_text() and "유형 Type" in tip.inner_text()
    shot = page.screenshot()
    save("explore_economy.png", shot)
    assert not looks_blank(shot)
    page.locator(".leaflet-control-layers label", has_text="유형 (Type)").click()
    assert legend.get_attribute("data-layer") == "type"
    assert "사회주도형 (Society-led)" in legend.inner_text()
    assert page.locator(".leaflet-overlay-pane path.leaflet-interactive").count() == 228
    v.assert_offline()


def test_explore_shows_hostile_names_as_text(visit, explored):
    assert EVIL not in explored["evil"].read_text(encoding="utf-8")  # escaped before folium writes it
    v = visit(explored["evil"])
    page = v.page
    page.wait_for_selector(".typology-legend")
    page.evaluate("""() => {
        // Open the tooltip of the hostile unit without hunting for it with the mouse.
        Object.values(window).filter(x => x && x._layers && x.feature === undefined && x.eachLayer)
          .forEach(g => g.eachLayer(l => {
            if (l.feature && l.feature.properties.c === '11020' && l._map) {
              l.fire('mouseover', {latlng: l.getBounds().getCenter()}, true);  // as a hover would
            }
          }));
    }""")
    tips = page.locator(".leaflet-tooltip").all_inner_texts()
    assert any(EVIL in t for t in tips)
    assert page.evaluate("window.__xss") is None
    v.blocked = [u for u in v.blocked if not u.endswith("/x")]
    v.assert_offline()
