"""map.html on a phone (390×844) and what the map says about itself, in headless Chromium offline.

On a phone the controls never lie over each other (the layer panel and the legend fold), the 시도
names do not run into each other, and a tapped region's popup opens below the search box. On every
screen the types are explained one click away, the scale of the scores is named, a region whose type
rests on one indicator says so, and the popup reads the validity audit of the axes. Screenshots go to
test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import pytest

from .browser_pages import save
from .test_browser_map import overlap, rect

# browser, visit, pages and scoped_pages: the session's (tests/browser_pages.py, through conftest).

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1600, "height": 1000}
CONTROLS = (".typology-search", ".leaflet-control-zoom", ".typology-layers", ".typology-legend",
            ".leaflet-control-scale", ".leaflet-control-attribution")
VISIBLE_RECTS = """sels => sels.flatMap(s => Array.from(document.querySelectorAll(s)).map(e => {
  const r = e.getBoundingClientRect();
  return {s: s, l: r.left, t: r.top, r: r.right, b: r.bottom, shown: r.width > 0 && r.height > 0};
}).filter(x => x.shown))"""


def shown_controls(page) -> list[dict]:
    return page.evaluate(VISIBLE_RECTS, list(CONTROLS))


def assert_apart(page, state: str) -> list[dict]:
    boxes = shown_controls(page)
    clashes = [(a["s"], b["s"]) for i, a in enumerate(boxes) for b in boxes[i + 1:] if overlap(a, b)]
    assert clashes == [], f"{state}: controls overlap: {clashes}"
    size = page.viewport_size
    outside = [b["s"] for b in boxes if b["l"] < 0 or b["t"] < 0 or b["r"] > size["width"] or b["b"] > size["height"]]
    assert outside == [], f"{state}: controls outside the window: {outside}"
    return boxes


def sido_label_boxes(page) -> list[dict]:
    return page.locator(".typology-label-sido:not(.typology-label-hidden) span").evaluate_all(
        "es => es.map(e => { const r = e.getBoundingClientRect(); "
        "return {text: e.textContent, l: r.left, t: r.top, r: r.right, b: r.bottom}; }).filter(r => r.r > r.l)")


def map_page(visit, pages, scoped_pages, which: str, viewport: dict):
    folder = pages["default"] if which == "default" else scoped_pages[which]
    v = visit(folder / "map.html", viewport)
    v.page.wait_for_selector("#map[data-ready]")
    return v


@pytest.mark.parametrize("which", ["default", "seoul"])
def test_phone_controls_never_overlap(visit, pages, scoped_pages, which):
    v = map_page(visit, pages, scoped_pages, which, PHONE)
    page = v.page
    shown = {b["s"] for b in assert_apart(page, "opened")}
    assert {".typology-search", ".typology-layers", ".typology-legend"} <= shown
    # Folded at first: the layer panel is its title only; the legend is open.
    assert page.locator(".typology-layers input[name=typology-layer]").first.is_hidden()
    assert page.locator(".typology-legend .typology-body").is_visible()
    save(f"map_phone_{which}.png", page.screenshot())
    page.locator(".typology-layers .typology-toggle").click()
    assert page.locator(".typology-layers input[value=economy]").is_visible()
    assert_apart(page, "layer panel open")
    save(f"map_phone_{which}_layers.png", page.screenshot())
    # Choosing a layer folds the panel and shows that layer's legend, which names the scale.
    page.locator(".typology-layers label", has_text="Regional economy").click()
    legend = page.locator(".typology-legend")
    assert legend.get_attribute("data-layer") == "economy"
    assert legend.is_visible() and "z-점수" in legend.inner_text()
    assert page.locator(".typology-layers input[value=economy]").is_hidden()
    assert_apart(page, "economy legend")
    save(f"map_phone_{which}_economy.png", page.screenshot())
    page.locator(".typology-search .typology-about-button").click()
    assert page.locator(".typology-about").is_visible()
    assert_apart(page, "types explained")
    save(f"map_phone_{which}_about.png", page.screenshot())
    v.assert_offline()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_sido_names_do_not_collide(visit, pages, scoped_pages, viewport):
    v = map_page(visit, pages, scoped_pages, "default", viewport)
    page = v.page
    boxes = sido_label_boxes(page)
    clashes = [(a["text"], b["text"]) for i, a in enumerate(boxes) for b in boxes[i + 1:] if overlap(a, b)]
    assert clashes == []
    # Most names stay (shortened where crowded: 서울, 충남); only those with no room at all are dropped.
    assert len(boxes) >= (12 if viewport is PHONE else 15), [b["text"] for b in boxes]
    if viewport is PHONE:
        assert {"서울", "부산", "제주"} <= {b["text"] for b in boxes}
    else:
        assert {"서울특별시", "부산광역시", "경상북도"} <= {b["text"] for b in boxes}
    v.assert_offline()


def test_phone_popup_opens_clear_of_the_search_box(visit, pages, scoped_pages):
    v = map_page(visit, pages, scoped_pages, "default", PHONE)
    page = v.page
    head = rect(page, ".typology-search")
    # The region drawn highest below the search box: its popup would open under the box unless moved.
    target = page.locator("path.typology-unit").evaluate_all(f"""es => es.map(e => e.getBoundingClientRect())
        .filter(r => r.top > {head['b']} + 5 && r.width > 6 && r.height > 6)
        .sort((a, b) => a.top - b.top).map(r => [r.left + r.width / 2, r.top + r.height / 2])[0]""")
    assert page.evaluate(f"document.elementFromPoint({target[0]}, {target[1]}).classList.contains('typology-unit')")
    page.mouse.click(target[0], target[1])
    page.locator(".typology-popup").wait_for()
    page.wait_for_timeout(600)  # the popup fades in and the map pans to make room
    popup, head = rect(page, ".leaflet-popup"), rect(page, ".typology-search")
    assert not overlap(popup, head), (popup, head)
    for control in (".leaflet-control-zoom", ".typology-legend", ".typology-layers"):
        assert not overlap(popup, rect(page, control)), control
    assert popup["t"] >= head["b"] and popup["l"] >= 0 and popup["r"] <= PHONE["width"]
    assert popup["b"] <= PHONE["height"]
    text = page.locator(".typology-popup").inner_text()
    assert "값 (z-점수)" in text and "유형 근거" in text
    save("map_phone_popup.png", page.screenshot())
    v.assert_offline()


@pytest.mark.parametrize("width", [1600, 1024])
def test_map_explains_the_types_scale_and_validity(visit, pages, scoped_pages, default_config, width):
    v = map_page(visit, pages, scoped_pages, "default", {"width": width, "height": 1000 if width == 1600 else 768})
    page = v.page
    assert page.locator(".typology-report-link").get_attribute("href") == "report.html"
    # One click from the search box: every type, its rule and its policy package, from the config.
    page.locator(".typology-search .typology-about-button").click()
    about = page.locator(".typology-about")
    assert about.is_visible()
    text = about.inner_text()
    for spec in default_config["typology"]["types"]:
        assert spec["name_ko"] in text and " ".join(spec["policy_ko"].split())[:30] in text
    assert "사회 축(시민참여기반·참여제도기반 평균) ≥ 전국 평균" in text and "z-점수" in text
    save(f"map_about_types_{width}.png", page.screenshot())
    page.locator(".typology-search .typology-about-button").click()
    assert about.is_hidden()
    # 순천시 is typed by one 0/1 flag: without 주민자치회 시범실시 it changes type (validity audit).
    page.fill(".typology-search input", "순천")
    page.locator(".typology-search input").press("Enter")
    popup = page.locator(".typology-popup")
    popup.wait_for()
    warning = popup.locator(".typology-fragile").inner_text()
    assert "0/1 표시 하나에 달려 있음" in warning and "주민자치회" in warning
    assert "상위" in popup.locator("tr", has_text="지역경제상황").inner_text()  # rank and share beside the score
    popup.locator(".typology-validity summary").click()
    # The click opens the details and re-lays out the popup; read the text once it is open (on a busy
    # machine the read could come before the toggle).
    popup.locator(".typology-validity[open]").wait_for()
    audit = popup.locator(".typology-validity").inner_text()
    assert "사회 축" in audit and "인구 규모(로그)로 설명되는 차이 45%" in audit and "사전투표율" in audit
    page.wait_for_timeout(300)
    save(f"map_popup_suncheon_{width}.png", page.screenshot())
    # The popup's own link to the definitions.
    popup.locator(".typology-about-link").click()
    assert about.is_visible()
    # A region whose type no single indicator decides has no warning.
    page.fill(".typology-search input", "울릉")
    page.locator(".typology-search input").press("Enter")
    page.wait_for_function("() => document.querySelectorAll('.typology-popup').length === 1")
    assert "울릉군" in page.locator(".typology-popup").inner_text()
    assert page.locator(".typology-popup .typology-fragile").count() == 0
    v.assert_offline()
