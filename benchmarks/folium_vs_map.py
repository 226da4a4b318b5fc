"""Could folium build map.html? Sizes, times and the CSP check of folium's page against today's map.html.

    python benchmarks/folium_vs_map.py            # sizes and build times
    python benchmarks/folium_vs_map.py --browser  # plus both pages in headless Chromium, offline, under the CSP

map.html's bar: offline under its Content-Security-Policy, at most 2 MB, search, layers, popups.
If the ``offlinefolium`` module (the folium-offline package) can be imported, its empty map is
measured too. Prints figures; asserts nothing. Run on the bundled real data.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def with_csp(page: str) -> str:
    """folium's page with map.html's CSP, every inline script of the page allowed by its hash."""
    from typology.render.offline_assets import csp

    meta = f'<meta http-equiv="Content-Security-Policy" content="{csp(SCRIPT.findall(page))}">'
    return page.replace("<head>", "<head>\n" + meta, 1)


def in_browser(path: Path, ready: str) -> dict:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
        requests, errors = [], []
        context.route("**/*", lambda r: (requests.append(r.request.url),
                                          r.continue_() if r.request.url.startswith("file:") else r.abort()))
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
        start = time.perf_counter()
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_selector(ready, timeout=30_000)
        seconds = time.perf_counter() - start
        paths = page.locator(".leaflet-overlay-pane path").count()
        browser.close()
    return {"ready_s": round(seconds, 2), "unit_paths": paths, "requests": len(requests), "errors": errors[:3]}


def main() -> None:
    import folium

    from typology.core.config import load_config
    from typology.data.geometry import attach, load_sido_geometry, load_unit_geometry
    from typology.render.explore import explore_map, offline
    from typology.render.layers import build_layers
    from typology.render.webmap import build_map, dimension_names
    from typology.workflow.pipeline import run

    result = run(load_config(None))
    table = result.table()
    geo = attach(table, load_unit_geometry())
    sido = load_sido_geometry()
    names = dimension_names(result)

    start = time.perf_counter()
    ours = build_map(result, table, geo, sido, build_layers(table, result.settings, names))
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    theirs = explore_map(geo, result.settings, names, sido).get_root().render()
    t_theirs = time.perf_counter() - start
    empty = offline(folium.Map(location=[36, 128], tiles=None)).get_root().render()
    layers = len(build_layers(table, result.settings, names))
    print(f"map.html (today):                 {len(ours.encode()):>10,d} bytes, built in {t_ours:.2f} s")
    print(f"folium, explore() ({layers} layers):     {len(theirs.encode()):>10,d} bytes, built in {t_theirs:.2f} s"
          f"  (folium {folium.__version__})")
    per_layer = (len(theirs.encode()) - len(empty.encode())) / layers
    print(f"  folium empty map, Leaflet inlined: {len(empty.encode()):>8,d} bytes; ~{per_layer:,.0f} bytes per layer"
          " (each folium layer carries its own copy of the 228 shapes)")
    try:
        import offlinefolium
    except ImportError:
        print("folium-offline (offlinefolium): not importable; skipped")
    else:
        page = offlinefolium.Map(location=[36, 128], tiles=None).get_root().render()
        fonts = len(re.findall(r"url\((?!data:)['\"]?\.\./", page))
        print(f"folium-offline empty map:         {len(page.encode()):>10,d} bytes; {fonts} url(../…) font references "
              "that a file:// page cannot resolve")

    if "--browser" in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            (folder / "map.html").write_text(ours, encoding="utf-8")
            (folder / "folium.html").write_text(with_csp(theirs), encoding="utf-8")
            print("map.html in Chromium (offline, CSP):", in_browser(folder / "map.html", "#map[data-ready]"))
            print("folium page with map.html's CSP:    ", in_browser(folder / "folium.html", ".typology-legend"))


if __name__ == "__main__":
    main()
