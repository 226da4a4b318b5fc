"""Cold-process wall time of the default `typology run`, against the stack's import floor.

Prints figures; it is not a test. Usage: python benchmarks/bench_run.py [--repeat N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLOOR = "import pandas, geopandas, sklearn, folium, yaml, typer, pyogrio"


def cold(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = [sys.executable, "-m", "typology", "run", "--out", str(Path(tmp) / "out")]
        floor = [sys.executable, "-c", FLOOR]
        cold(run)  # warm the OS file cache once; every timed run is still a new process
        runs = [cold(run) for _ in range(args.repeat)]
        floors = [cold(floor) for _ in range(args.repeat)]
    run_med, floor_med = statistics.median(runs), statistics.median(floors)
    print(f"typology run (default config, cold process): median {run_med:.2f} s over {args.repeat} runs "
          f"(min {min(runs):.2f}, max {max(runs):.2f})")
    print(f"import floor ({FLOOR}): median {floor_med:.2f} s")
    print(f"ratio run / floor: {run_med / floor_med:.2f}")


if __name__ == "__main__":
    main()
