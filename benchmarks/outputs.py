"""How long each output of the default run takes to render, and how big it is.

    python benchmarks/outputs.py            # in-process timings (warm imports after the first)
    python benchmarks/outputs.py --browser  # plus map.html's paint times in headless Chromium

Prints figures; asserts nothing. Run on the bundled real data.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    cold = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run([sys.executable, "-m", "typology", "run", "--out", str(Path(tmp) / "run")],
                              capture_output=True, text=True)
        wall = time.perf_counter() - cold
        print(f"cold `typology run` (new process, all outputs): {wall:.2f} s wall; exit {done.returncode}")
        for path in sorted((Path(tmp) / "run").iterdir()):
            print(f"  {path.name:22s} {path.stat().st_size:>10,d} bytes")
        lean = time.perf_counter()
        subprocess.run([sys.executable, "-m", "typology", "run", "--out", str(Path(tmp) / "lean"),
                        "--set", "output.static_maps=false", "--set", "output.report=false",
                        "--set", "output.xlsx=false"], capture_output=True, text=True, check=True)
        print(f"cold `typology run` with static maps, report and xlsx off: {time.perf_counter() - lean:.2f} s wall")

    import pandas as pd

    from typology import load_config, paths, run
    from typology.data.geometry import attach, load_sido_geometry, load_unit_geometry
    from typology.render.layers import build_layers
    from typology.render.report import build_report
    from typology.render.static_maps import map_frame, render_static_maps
    from typology.render.webmap import build_map, dimension_names
    from typology.render.xlsx import workbook_bytes
    from typology.workflow.outputs import indicator_table

    result = run(load_config())
    table = result.table()
    geo = attach(table, load_unit_geometry())
    sido = load_sido_geometry()
    layers = build_layers(table, result.settings, dimension_names(result))
    frame = map_frame(geo, sido, pd.read_csv(paths.SIDO, dtype=str, encoding="utf-8-sig"))
    print("in-process, median of 3 (first call pays the imports):")
    for name, fn in [("map.html", lambda: build_map(result, table, geo, sido, layers)),
                     ("static maps (2 PNG + PDF)", lambda: render_static_maps(frame, layers, result.config)),
                     ("report.html", lambda: build_report(result, table, layers[0])),
                     ("scores.xlsx", lambda: workbook_bytes(result, table, indicator_table(result)))]:
        seconds, _ = timed(fn)
        print(f"  {name:28s} {seconds:6.2f} s")

    if "--browser" in sys.argv:
        paint(build_map(result, table, geo, sido, layers))


def paint(html: str) -> None:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not executable:
        print("no Chromium found")
        return
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        page_path = Path(tmp) / "map.html"
        page_path.write_text(html, encoding="utf-8")
        browser = pw.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND"])
        runs = []
        for _ in range(5):
            context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
            page = context.new_page()
            page.goto(page_path.as_uri())
            page.wait_for_selector("#map[data-ready]")
            runs.append(page.evaluate("""() => {
                const p = {};
                performance.getEntriesByType('paint').forEach(e => { p[e.name] = e.startTime; });
                p.mapReady = Number(document.getElementById('map').dataset.readyMs);
                return p; }"""))
            context.close()
        browser.close()
    for key in ("first-paint", "first-contentful-paint", "mapReady"):
        values = [r[key] for r in runs if key in r]
        print(f"  {key:24s} median {statistics.median(values):6.0f} ms  (min {min(values):.0f}, "
              f"max {max(values):.0f}, {len(values)} loads)")


if __name__ == "__main__":
    main()
