"""Time the loading step: the bundled table (real data), and a synthetic KOSIS-layout table.

The synthetic table is made here, not shipped: every 시군구 and 일반구 name of the 2020 vintage
with made-up counts for ten years, 시도 rows first (as KOSIS writes them), in CP949.
Run: python benchmarks/bench_load.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd

from typology import load_config, paths
from typology.core.catalog import load_catalog
from typology.data.load import load_tables, read_table
from typology.data.specs import TableSpec
from typology.data.units import matcher


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    catalog, m = load_catalog(), matcher()
    config = load_config(paths.DEFAULT_CONFIG)
    bundled = load_tables(config, catalog, m, paths.VARIABLES)
    t = best_of(3, lambda: load_tables(config, catalog, m, paths.VARIABLES))
    print(f"bundled variables.csv: {bundled.accounting[0]['rows']} rows loaded and matched in {t:.2f} s")

    crosswalk = pd.read_csv(paths.CROSSWALK, dtype=str, keep_default_na=False)
    names = crosswalk[crosswalk["year"] == "2020"][["sido_kr", "sgg_kr"]]
    lines = ['"합성 자료 (benchmark)"', '"행정구역별","시점","등록 자원봉사자 (명)"']
    for year in range(2015, 2025):
        for sido, part in names.groupby("sido_kr", sort=False):
            lines.append(f'"{sido}","{year}","1000"')
            lines += [f'"{sido} {sgg}","{year}","{(i * 37) % 500}"' for i, sgg in enumerate(part["sgg_kr"])]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.csv"
        path.write_bytes("\n".join(lines).encode("cp949"))
        spec = TableSpec(path, "data.tables[0]", layout="kosis", variable="volunteers", on_unmatched="warn")
        _, aside, acc = read_table(spec, catalog, m)
        t = best_of(3, lambda: read_table(spec, catalog, m))
    print(f"synthetic KOSIS table (CP949): {acc['rows']} rows in {t:.2f} s "
          f"({acc['rows'] / t:,.0f} rows/s); fates: " +
          ", ".join(f"{k} {acc[k]}" for k in ("matched", "rolled_up", "aggregate", "covered", "unmatched")))


if __name__ == "__main__":
    main()
