"""map.html of scoped runs (units.scope) in Chromium at desktop, laptop and phone widths, opened at that size.

A scoped map opens zoomed in, where the first fit of the view used to reach for place-name elements
Leaflet had not made yet: the script stopped and no region was drawn. Screenshots go to
test-artifacts/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import pytest

from .browser_pages import SCOPED, looks_blank, save

# browser, visit and scoped_pages (the Seoul example and 경기도 only): the session's
# (tests/browser_pages.py, through conftest).
SIZES = {1600: {"width": 1600, "height": 1000}, 1024: {"width": 1024, "height": 768},
         390: {"width": 390, "height": 844}}


@pytest.mark.parametrize("width", SIZES)
@pytest.mark.parametrize("label", SCOPED)
def test_scoped_map_draws_its_regions_at_every_width(visit, scoped_pages, label, width):
    n = SCOPED[label][2]
    v = visit(scoped_pages[label] / "map.html", SIZES[width])
    page = v.page
    page.wait_for_selector("#map[data-ready]", timeout=15_000)
    assert page.locator("path.typology-unit").count() == n
    assert page.locator("path.typology-context").count() == 228 - n  # the rest of Korea, grey
    # Opened on the scope: its regions fill much of the window, and they are on screen.
    boxes = page.locator("path.typology-unit").evaluate_all(
        "es => es.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })")
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[2] for b in boxes), max(b[3] for b in boxes)
    assert left >= -1 and top >= -1 and right <= width + 1 and bottom <= SIZES[width]["height"] + 1
    assert max(right - left, bottom - top) > 0.5 * min(width, SIZES[width]["height"])
    shot = page.screenshot()
    path = save(f"map_scoped_{label}_{width}.png", shot)
    assert not looks_blank(shot), f"the map looks blank: {path}"
    v.assert_offline()
