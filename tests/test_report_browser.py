"""report.html in Chromium at desktop and laptop widths: nothing covers the region table, the page does
not scroll sideways, the contents list each section once, and the profile panel is in view when a row is
clicked. Screenshots go to test-artifacts/ (gitignored) for a person to look at."""

from __future__ import annotations

import pytest

from .browser_pages import looks_blank, save

# browser, visit, pages and scoped_pages: the session's (tests/browser_pages.py, through conftest).

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
def test_report_layout_keeps_rows_uncovered(visit, pages, size):
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


PHONE = {"width": 390, "height": 844}
RAW_KEYS = ("eta2", "cramers_v2", "axis:society", "axis:resource", "log_population", "spearman_rho",
            "regions_changed", "pearson_r",
            # the measurement checks' rows (coherence, baseline, type_by_class, decides, convergent, discriminant)
            "class_rule", "logistic_log_population", "share_agree", "cohen_kappa", "cronbach_alpha",
            "mcdonald_omega", "item_rest_r", "can_change_type", "partial_rho_log_population", "abs_rho_difference",
            "society_led", "resource_combining", "log_density", "type_by_class", "leave_one_out",
            "local_election_turnout", "jumin_jachihoe")


@pytest.fixture
def seoul_report(scoped_pages):
    # report.html of configs/examples/seoul.yaml, the session's scoped pages (tests/browser_pages.py)
    return scoped_pages["seoul"] / "report.html"


def test_report_on_a_phone_explains_first_and_never_scrolls_sideways(visit, pages, default_run):
    v = visit(pages["default"] / "report.html", PHONE)
    page = v.page
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "page scrolls sideways"
    # Every table sits in a box of its own that scrolls, narrower than the window.
    loose = page.evaluate("() => Array.from(document.querySelectorAll('main table')).filter(t => !t.closest('.scroll'))"
                          ".map(t => t.className)")
    assert loose == []
    boxes = page.locator(".scroll").evaluate_all("es => es.map(e => e.getBoundingClientRect().right)")
    assert max(boxes) <= PHONE["width"]
    save("report_phone.png", page.screenshot())
    # The summary says what the types mean and what the validity audit found, in Korean, before any table.
    summary = page.locator("#summary").inner_text()
    assert summary.index("유형의 뜻") < summary.index("얼마나 믿을 수 있나")
    for spec in default_run.config["typology"]["types"]:
        assert spec["name_ko"] in summary and " ".join(spec["policy_ko"].split())[:25] in summary
    assert "유형과 자치구/시/군 구분의 연관 Cramér's V² = 0.36" in summary  # the types follow rurality
    assert "'지방선거 투표율 (시·도지사선거)'을(를) 빼면 30곳(13%)의 유형이 바뀐다 — 결정적" in summary
    page.locator(".definitions").scroll_into_view_if_needed()
    save("report_phone_definitions.png", page.screenshot())
    # The validity section: Korean headers and words, no code keys of validity.csv.
    validity = page.locator("#section-validity")
    text = validity.inner_text()
    assert [k for k in RAW_KEYS if k in text] == []
    assert "주요 발견" in text and "교란 요인" in text and "인구 규모(로그)" in text and "사회 축" in text
    heads = validity.locator("thead").all_inner_texts()
    assert any("대상" in h and "자치구/시/군 구분" in h for h in heads)  # the confounders' table
    # Every table's headers are Korean first (English beside), the new checks' flags in Korean too.
    all_heads = validity.locator("thead").evaluate_all("es => es.map(e => Array.from(e.querySelectorAll('th'))"
                                                       ".map(th => th.innerText))")
    english_only = [h for row in all_heads for h in row if not any("\uac00" <= ch <= "\ud7a3" for ch in h)]
    assert len(all_heads) >= 10 and english_only == []
    # (The dimensions that cannot change a type are named in a sentence, not a flag: the checks are shown once.)
    for words in ("크론바흐 α", "자치구/시/군 구분만의 규칙", "인구 규모(로그) 로지스틱 회귀", "사회주도형", "음수",
                  "α가 0.6 미만; 유형을 정하는 축", "성립", "어떤 유형도 바꾸지 못한다", "인구밀도(로그)"):
        assert words in text, words
    # Words wrap between words: no header cell is narrower than two Hangul syllables.
    narrowest = validity.locator("th").evaluate_all("es => Math.min(...es.map(e => e.getBoundingClientRect().width))")
    assert narrowest >= 30
    validity.scroll_into_view_if_needed()
    save("report_phone_validity.png", page.screenshot())
    # The README section the default config's rationale names exists.
    assert 'See the README section "What drives' in text
    from typology import paths

    assert "## What drives the types" in (paths.ROOT / "README.md").read_text(encoding="utf-8")
    v.assert_offline()


def test_scoped_report_says_outside_the_scope_not_excluded(visit, seoul_report):
    v = visit(seoul_report, PHONE)
    page = v.page
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    summary = page.locator("#summary").inner_text()
    assert "밖 지역 203곳은 범위 밖이다 (제외가 아님)" in summary
    assert "exclusions: units of the run left without a score or type" in summary and ": 0건" in summary
    assert "점수 읽는 법: z-점수: 0 = 범위 평균" in summary
    save("report_phone_seoul.png", page.screenshot())
    v.assert_offline()
