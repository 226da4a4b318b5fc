"""Per-step table of one default `typology run` (all outputs), median of several new processes.

Each repeat is a new Python process that runs ``typology run --out TMP`` in-process with the
run's main steps wrapped in timers (the wrappers are installed on the module attributes the run
looks up, as the run imports each module, so the run itself and the order of its imports are
unchanged). Rows are wall time; a row ending in ", CPU" is the main
process's CPU time (``time.process_time``) in that step. A step's time includes the imports it
triggers itself (xlsxwriter inside the workbook);
"imports" is the eager import of ``typology.cli`` and what it pulls in. The static maps are
drawn in a second process (workflow/maps_process.py) started before the pipeline and handed the types
as soon as they are known: their row is that process's own drawing time, as it reports it, and
"wait for static maps" is what the main process then still waits for that process. Where that
process also writes scores.gpkg, the "scores.gpkg" row is its time there, as it reports it.
(Older checkouts drew them in a worker thread: their row is then the thread's wall time.)

Whole-process wall, CPU (user + system, children included) and peak RSS (the largest of the
process and its children) come from ``os.wait4``; the run also records its own peak and that of
the maps process: each is its own process's peak, so they bound the memory in use together.

    python benchmarks/bench_steps.py [--repeat 5]
    python benchmarks/bench_steps.py --baseline /path/to/older/checkout   # both, alternating

A baseline checkout is e.g. ``git worktree add /tmp/before <commit>``; it runs with this
checkout's Python environment, so only the package's code differs. Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
start = time.perf_counter()
out, record = sys.argv[1], sys.argv[2]
times = {}

def timer(name, fn):
    def wrapped(*a, **k):
        t, c = time.perf_counter(), time.process_time()
        try:
            return fn(*a, **k)
        finally:
            times[name] = times.get(name, 0.0) + time.perf_counter() - t
            times[name + ", CPU"] = times.get(name + ", CPU", 0.0) + time.process_time() - c
    return wrapped

WRAPS = [
        ("typology.workflow.pipeline", "load_tables", "load tables"),
        ("typology.workflow.pipeline", "score", "scoring"),
        ("typology.workflow.pipeline", "coherence", "coherence audit"),
        ("typology.validity.coherence", "mcdonald_omega", "  McDonald's omega"),
        ("typology.workflow.pipeline", "classify", "typing + bootstrap"),
        ("typology.workflow.pipeline", "validity", "validity audit"),
        ("typology.validity.validity", "leave_one_out_rows", "  of which leave-one-out"),
        ("typology.workflow.outputs", "_write_tables", "csv tables"),
        ("typology.workflow.outputs", "write_gpkg", "scores.gpkg"),
        ("typology.workflow.outputs", "build_map", "map.html"),
        ("typology.render.xlsx", "workbook_bytes", "scores.xlsx"),
        ("typology.workflow.outputs", "_static_maps", "static maps + PDF (maps process)"),  # older checkouts
        ("typology.render.report", "build_report", "report.html"),
        ("typology.workflow.pipeline", "run", "pipeline total"),
        ("typology.workflow.outputs", "write_run", "outputs total")]

import importlib.abc, importlib.machinery

# The modules of WRAPS get their timers as the run imports them: importing them all here first
# would move the run's imports before its start, and with them the point where the run starts
# its maps process.
class WrapOnImport(importlib.abc.MetaPathFinder):

    def find_spec(self, fullname, path, target=None):
        attrs = [(attr, name) for module, attr, name in WRAPS if module == fullname]
        spec = importlib.machinery.PathFinder.find_spec(fullname, path) if attrs else None
        if spec is None or spec.loader is None:
            return None
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            for attr, name in attrs:
                if hasattr(module, attr):
                    setattr(module, attr, timer(name, getattr(module, attr)))
        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, WrapOnImport())
import typology.cli
times["imports"] = time.perf_counter() - start
import importlib
try:  # the maps process of workflow/maps_process.py: result() is the wait; it reports its own drawing time
    _m = importlib.import_module("typology.workflow.maps_process")
    _result = timer("wait for static maps", _m.MapsProcess.result)
    def _answered(self):
        try:
            return _result(self)
        finally:
            times["static maps + PDF (maps process)"] = self.seconds or 0.0
    _m.MapsProcess.result = _answered
    if hasattr(_m.MapsProcess, "gpkg"):  # newer checkouts: the maps process also writes scores.gpkg
        _gpkg = timer("wait for static maps", _m.MapsProcess.gpkg)
        def _written(self):
            try:
                return _gpkg(self)
            finally:
                times["scores.gpkg"] = self.gpkg_seconds or 0.0
        _m.MapsProcess.gpkg = _written
except ImportError:  # older checkouts: a thread pool's future
    import concurrent.futures
    concurrent.futures.Future.result = timer("wait for static maps", concurrent.futures.Future.result)
sys.argv = ["typology", "run", "--out", out]
try:
    typology.cli.main()
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
times["in-process total"] = time.perf_counter() - start
import resource
times["peak RSS MiB, main process"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
times["peak RSS MiB, maps process"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
json.dump(times, open(record, "w"))
"""

ORDER = ["imports", "load tables", "scoring", "coherence audit", "  McDonald's omega", "typing + bootstrap",
         "validity audit", "  of which leave-one-out", "  of which leave-one-out, CPU",
         "pipeline total", "csv tables", "scores.gpkg", "map.html", "scores.xlsx",
         "static maps + PDF (maps process)", "wait for static maps", "report.html", "outputs total", "in-process total"]


def one(src: Path, tmp: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    record = tmp / "times.json"
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp / "out"), str(record)], cwd=src, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"{src}: the run failed: {proc.stderr.read().decode()[-2000:]}")
    times = json.loads(record.read_text())
    times.update({"process wall": wall, "process CPU": usage.ru_utime + usage.ru_stime,
                  "peak RSS MiB": usage.ru_maxrss / 1024})
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="also time this checkout, alternating with this one")
    args = parser.parse_args()
    sources = {"this": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in sources}
    for src in sources.values():  # as bench_vs_geosnap.compile_package: bytecode as pip would have made it
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(src / "typology")], check=True,
                       capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        for src in sources.values():
            one(src, Path(tmp))  # warm the OS file cache
        for _ in range(args.repeat):  # alternate, so both see the same machine load
            for key, src in sources.items():
                runs[key].append(one(src, Path(tmp)))
    rows = ORDER + ["process wall", "process CPU", "peak RSS MiB", "peak RSS MiB, main process",
                    "peak RSS MiB, maps process"]
    keys = list(sources)
    print(f"default `typology run`, all outputs; median of {args.repeat} new processes (seconds)")
    print(f"{'step':30}" + "".join(f"{k:>12}" for k in keys))
    for row in rows:
        cells = [statistics.median(r.get(row, 0.0) for r in runs[k]) for k in keys]
        print(f"{row:30}" + "".join(f"{c:12.2f}" for c in cells))
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
