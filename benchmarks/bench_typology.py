"""Time the typology step for every method on the bundled real data (228 units).

Scores are computed once; then each method runs the whole step as a run does: k selection
over typology.k_range, the final fit, naming by rules, agreement and the bootstrap
(typology.bootstrap.n replicates). CPU time is printed beside wall time, because on a shared
machine the wall time mostly measures the neighbours. Prints figures; it is not a test.

Usage: python benchmarks/bench_typology.py [--bootstrap N] [--methods kmeans,skater]
"""

from __future__ import annotations

import argparse
import time
import warnings

from typology import load_config
from typology.core.catalog import DIMENSIONS, load_catalog
from typology.data.geometry import load_unit_geometry
from typology.typologies.classify import TYPOLOGIES, classify
from typology.workflow.pipeline import run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", type=int, default=100)
    parser.add_argument("--methods", default=",".join(TYPOLOGIES.names()))
    args = parser.parse_args()
    config = load_config(None, [f"typology.bootstrap.n={args.bootstrap}"])
    scores = run(load_config(None, ["typology.bootstrap.n=0"])).scores[list(DIMENSIONS)]
    catalog = load_catalog()
    print(f"{'method':<13} {'k':>3} {'wall s':>8} {'cpu s':>8}  bootstrap n={args.bootstrap}")
    for method in args.methods.split(","):
        spec = {**config["typology"], "method": method}
        wall, cpu = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = classify(scores, spec, catalog, geometry=load_unit_geometry)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        k = out.steps[0].get("k", "-")
        print(f"{method:<13} {k!s:>3} {wall:8.2f} {cpu:8.2f}")


if __name__ == "__main__":
    main()
