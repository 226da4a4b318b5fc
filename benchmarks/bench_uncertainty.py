"""Time `typology uncertainty --n N` on the bundled real data (228 units): whole command and Monte Carlo alone.

Two measurements, each the median of several runs:

1. The command in a cold process, as a user runs it: `typology uncertainty --n N --backend B`, which
   also runs and writes the nominal run folder (maps, report, workbook). Its own line
   "N replicates (... model runs ...) in X s" gives the Monte Carlo part alone (preparing the
   scoring combinations, the replicates, the sensitivity design and the summary tables).
2. The same for other alternatives: cluster methods refit in every replicate, so
   `uncertainty.typology: [rules, kmeans]` or `[rules, ward]` (k from [2, 3, 4]) cost far more than
   the default config's `[rules]` (its own method).

Prints figures; it is not a test. CPU time of the command (children included) is printed beside wall
time, and the load average before each block, because on a shared machine wall time also measures the
neighbours.

Usage: python benchmarks/bench_uncertainty.py [--n 1000] [--repeat 5] [--backends loky,sequential]
       [--typology "[rules]" --typology "[rules,kmeans]"] [--k "[2,3,4]"]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MC_LINE = re.compile(r"(\d+) replicates \((\d+) model runs .*?(\d+) distinct\) in ([\d.]+) s on (\w+)")


def cold(cmd: list[str]) -> tuple[float, float, float, str]:
    """(wall s, CPU s of the child processes, Monte Carlo s as printed, "distinct/all" model runs)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    match = MC_LINE.search(proc.stdout)
    if match is None:
        raise SystemExit(f"unexpected output of {' '.join(cmd)}:\n{proc.stdout}\n{proc.stderr}")
    return wall, cpu, float(match.group(4)), f"{match.group(3)}/{match.group(2)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--backends", default="loky,sequential")
    parser.add_argument("--typology", action="append", help="uncertainty.typology value, e.g. [rules,kmeans]")
    parser.add_argument("--k", default="[2,3,4]", help="uncertainty.k for the cluster methods")
    args = parser.parse_args()
    variants = args.typology or ["[rules]", "[rules,ward]", "[rules,kmeans]"]
    print(f"cores: {os.cpu_count()}; python {sys.version.split()[0]}; n = {args.n}; median of {args.repeat} runs")
    print(f"{'uncertainty.typology':<22} {'backend':<11} {'runs':>10} {'MC s':>7} {'command s':>10} {'cpu s':>7}  "
          "(min–max MC s)")
    with tempfile.TemporaryDirectory() as tmp:
        for typology in variants:
            for backend in args.backends.split(","):
                cmd = [sys.executable, "-m", "typology", "uncertainty", "--n", str(args.n), "--backend", backend,
                       "--out", str(Path(tmp) / "out"), "--set", f"uncertainty.typology={typology}",
                       "--set", f"uncertainty.k={args.k}"]
                cold(cmd)  # warm the OS file cache once; every timed run is still a new process
                load = os.getloadavg()[0]
                runs = [cold(cmd) for _ in range(args.repeat)]
                mc = [r[2] for r in runs]
                print(f"{typology:<22} {backend:<11} {runs[0][3]:>10} {statistics.median(mc):>7.2f} "
                      f"{statistics.median(r[0] for r in runs):>10.2f} {statistics.median(r[1] for r in runs):>7.2f}  "
                      f"({min(mc):.2f}–{max(mc):.2f}; load before {load:.2f})")
    print("MC s: the Monte Carlo part as the command prints it; command s: the whole cold process, nominal run "
          "folder included; runs: distinct / all model evaluations (replicates plus the sensitivity design).")


if __name__ == "__main__":
    main()
