"""Cold-process time of the default `typology run`, against the import floor of its stack.

The floor is measured in the same script: a new process that only imports the third-party
modules the run imports, in the order the run imports them, and does nothing else. The list is
taken from the run itself (one run with every output drawn in one process, its ``sys.modules``
at exit, less the standard library and typology), so the floor is exactly what the run cannot
avoid loading: pandas, numpy, geopandas, shapely, pyproj, pyogrio, matplotlib, fontTools, PIL,
openpyxl, yaml, typer and what they pull in, and pyarrow where it is installed (pandas imports it
then; README's ``pip install -e .`` leaves it out, the ``test`` and ``build`` extras bring it).
It runs with this interpreter; ``bench_vs_geosnap.py`` runs a user's install. The script prints
the packages.

Every figure is the median of ``--repeat`` new processes, after one untimed run that warms the
OS file cache. Wall time is what a user waits; CPU time (user + system) is what the machine spent,
and is the steadier figure on a busy machine.

    python benchmarks/bench_run.py [--repeat 5]
    python benchmarks/bench_run.py --src /path/to/other/checkout       # time another checkout instead
    python benchmarks/bench_run.py --baseline /path/to/older/checkout  # and that one too, runs alternating

A baseline checkout is e.g. ``git worktree add /tmp/before <commit>``; it runs with this
checkout's Python environment, so only the package's code differs.

Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS, TARGET_RATIO = 3.0, 1.5

# Runs the default run in this process and writes the non-standard-library modules it imported,
# in import order.
RECORD = """
import atexit, json, runpy, sys
out, modules = sys.argv[1], sys.argv[2]
def dump():
    skip = set(sys.stdlib_module_names) | {"typology", "__main__", "__mp_main__"}
    names = [m for m, mod in list(sys.modules.items()) if mod is not None and m.split(".")[0] not in skip
             and not m.startswith("__editable__")]
    with open(modules, "w") as fh:
        json.dump(names, fh)
atexit.register(dump)
sys.argv = ["typology", "run", "--out", out]
runpy.run_module("typology", run_name="__main__")
"""

FLOOR = """
import importlib, json, sys
for name in json.load(open(sys.argv[1])):
    try:
        importlib.import_module(name)
    except Exception:
        pass  # a submodule that only imports inside its package's own import; the package loads it
"""


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds (user + system, children included) of one new process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=cwd, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def summary(runs: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    walls, cpus = [w for w, _ in runs], [c for _, c in runs]
    return statistics.median(walls), min(walls), max(walls), statistics.median(cpus)


def checkout(src: Path | None) -> tuple[Path, dict[str, str]]:
    """The working folder and environment that run the package of ``src`` (default: this checkout)."""
    env = dict(os.environ)
    if src is None:
        return ROOT, env
    # `python -m` puts the working folder first on sys.path: run from the checkout itself.
    env["PYTHONPATH"] = str(src.resolve())
    return src.resolve(), env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--src", type=Path, help="time the typology package in this checkout instead")
    parser.add_argument("--baseline", type=Path, help="also time this checkout, alternating with the other")
    args = parser.parse_args()
    cwd, env = checkout(args.src)
    with tempfile.TemporaryDirectory() as tmp:
        modules = Path(tmp) / "modules.json"
        subprocess.run([sys.executable, "-c", RECORD, str(Path(tmp) / "record"), str(modules)], check=True,
                       capture_output=True, cwd=cwd, env=env)
        names = json.loads(modules.read_text())
        run = [sys.executable, "-m", "typology", "run", "--out", str(Path(tmp) / "out")]
        floor = [sys.executable, "-c", FLOOR, str(modules)]
        base_cwd, base_env = checkout(args.baseline) if args.baseline else (cwd, env)
        timed(run, env, cwd)  # warm the OS file cache once; every timed run is still a new process
        if args.baseline:
            timed(run, base_env, base_cwd)
        runs, floors, baseline = [], [], []
        for _ in range(args.repeat):  # alternate, so all see the same machine load
            runs.append(timed(run, env, cwd))
            floors.append(timed(floor, env, cwd))
            if args.baseline:
                baseline.append(timed(run, base_env, base_cwd))
    run_med, run_min, run_max, run_cpu = summary(runs)
    floor_med, floor_min, floor_max, floor_cpu = summary(floors)
    packages = sorted({n.split(".")[0] for n in names if not n.startswith("_")})
    where = f" ({args.src})" if args.src else ""
    print(f"typology run{where}, default config, cold process: median {run_med:.2f} s wall over {args.repeat} runs "
          f"(min {run_min:.2f}, max {run_max:.2f}); CPU {run_cpu:.2f} s")
    print(f"import floor: {len(names)} modules ({len(packages)} packages), imported in the run's order: "
          f"median {floor_med:.2f} s wall (min {floor_min:.2f}, max {floor_max:.2f}); CPU {floor_cpu:.2f} s")
    print(f"  packages: {', '.join(packages)}")
    ratio = run_med / floor_med
    print(f"ratio run / floor: {ratio:.2f} wall, {run_cpu / floor_cpu:.2f} CPU")
    if baseline:
        b_med, b_min, b_max, b_cpu = summary(baseline)
        print(f"baseline {args.baseline}: median {b_med:.2f} s wall (min {b_min:.2f}, max {b_max:.2f}); "
              f"CPU {b_cpu:.2f} s → this checkout takes {run_med / b_med:.2f}× the wall time, "
              f"{run_cpu / b_cpu:.2f}× the CPU time")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    print(f"target ≤ {TARGET_SECONDS:.0f} s cold: {'met' if run_med <= TARGET_SECONDS else 'NOT met'} "
          f"({run_med:.2f} s); target ≤ {TARGET_RATIO}× the floor: "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'} ({ratio:.2f}×)")


if __name__ == "__main__":
    main()
