"""report.html in Chromium at desktop and laptop widths: nothing covers the region table, the page does
not scroll sideways, the contents list each section once, and the profile panel is in view when a row is
clicked. Screenshots go to test-artifacts/ (gitignored) for a person to look at."""

from __future__ import annotations

import pytest

from .test_browser import browser, looks_blank, pages, save, visit  # noqa: F401  (fixtures)

WIDTHS = {"desktop": {"width": 1600, "height": 1000}, "laptop": {"width": 1280, "height": 720},
          "narrow": {"width": 900, "height": 800}}

# For every table row in view: is the element drawn at the middle of each of its first cells that
# cell (or inside it)? A panel lying over the rows answers no.
COVERED_CELLS = """() => {
  const out = [];
  // the part of the window where rows can show: inside the table's own box, below its header
  const box = document.querySelector('#regions-table').closest('.table-box').getBoundingClientRect();
  const head = document.querySelector('#regions-table thead').getBoundingClientRect();
  const top = Math.max(0, box.top, head.bottom), bottom = Math.min(innerHeight, box.bottom);
  for (const row of document.querySelectorAll('#regions-table tbody tr')) {
    const r = row.getBoundingClientRect();
    if (r.top < top || r.bottom > bottom) continue;
    for (const cell of Array.from(row.cells).slice(0, 4)) {
      const c = cell.getBoundingClientRect();
      const x = c.left + c.width / 2, y = c.top + c.height / 2;
      if (x < Math.max(0, box.left) || x >= Math.min(innerWidth, box.right)) continue;
      const hit = document.elementFromPoint(x, y);
      if (!hit || !cell.contains(hit)) out.push(row.dataset.code + ': ' + (hit ? hit.tagName : 'none'));
    }
  }
  return out;
}"""
IN_VIEW = """(el) => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight + 1
  && r.left >= 0 && r.right <= innerWidth + 1 && r.height > 50; }"""


@pytest.mark.parametrize("size", WIDTHS)
def test_report_layout_keeps_rows_uncovered(visit, pages, size):  # noqa: F811
    v = visit(pages["default"] / "report.html")
    page = v.page
    page.set_viewport_size(WIDTHS[size])
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[size]["width"], "page scrolls sideways"
    top = page.screenshot()
    save(f"report_{size}.png", top)
    assert not looks_blank(top)
    nav = page.locator("nav a")
    targets = [nav.nth(i).get_attribute("href") for i in range(nav.count())]
    assert len(targets) == len(set(targets)) == page.locator("main > section").count()

    checked = 0
    page.locator("#regions").scroll_into_view_if_needed()
    for offset in (300, 900, 2000, 6000):
        page.evaluate(f"document.getElementById('regions').scrollIntoView(); window.scrollBy(0, {offset})")
        page.locator("#regions-table").evaluate("t => t.closest('.table-box').scrollTop = 0")
        covered = page.evaluate(COVERED_CELLS)
        assert covered == [], f"{size}, {offset}px into the table: cells covered by {covered[:5]}"
        checked += 1
    assert checked
    # Clicking a row shows its profile where the reader is looking.
    row = page.locator("#regions-table tbody tr").nth(40)
    row.scroll_into_view_if_needed()
    row.click()
    code = row.get_attribute("data-code")
    panel = page.locator(f'#profiles .region-profile[data-code="{code}"]')
    assert panel.is_visible() and panel.evaluate(IN_VIEW), f"{size}: the profile of {code} is out of view"
    # the row stays where it was (it may be wider than the window: the table scrolls sideways in its box)
    assert row.evaluate("el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }")
    save(f"report_{size}_regions.png", page.screenshot())
    page.evaluate("document.getElementById('section-audit').scrollIntoView()")
    save(f"report_{size}_audit.png", page.screenshot())
    v.assert_offline()
