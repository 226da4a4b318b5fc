"""Synthetic data for typology tests (labelled as such: never real regions).

Planted clusters in the four dimension scores, and a toy square-grid geometry with a
detached island, so that recovery and island handling can be checked against known answers.
"""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

DIMS = ["economy", "civic", "institution", "capacity"]
CATALOG = SimpleNamespace(dimensions={d: {"name_ko": f"{d}_ko"} for d in DIMS})
AXES = {"society": {"name_ko": "사회 축", "dimensions": ["civic", "institution"]},
        "resource": {"name_ko": "자원 축", "dimensions": ["economy", "capacity"]}}
TYPES = [{"key": "society_led", "name_ko": "사회주도형", "name_en": "Society-led", "when": {"society": ">= mean"},
          "policy_ko": "재량권", "policy_en": "discretion"},
         {"key": "resource_combining", "name_ko": "자원결합형", "name_en": "Resource-combining", "when": {},
          "policy_ko": "가이드라인", "policy_en": "guidelines"}]
UNCLASSIFIED = {"key": "unclassified", "name_ko": "유형 미분류", "name_en": "Unclassified"}


def typology(method: str = "rules", **extra) -> dict:
    base = {"method": method, "axes": AXES, "types": TYPES, "unclassified": UNCLASSIFIED, "features": "dimensions",
            "k": "auto", "k_range": [2, 6], "k_rule": "mean_rank", "seed": 7, "options": {},
            "contiguity": {"rule": "queen", "islands": "nearest"}, "bootstrap": {"n": 20, "unstable_below": 0.7}}
    base.update(extra)
    return base


def planted(n_per: int = 30, seed: int = 0, spread: float = 0.25) -> tuple[pd.DataFrame, np.ndarray]:
    """Three well-separated clusters: society-strong, resource-strong, both weak."""
    rng = np.random.default_rng(seed)
    centres = np.array([[-1.0, 2.0, 2.0, -1.0], [2.0, -1.0, -1.0, 2.0], [-1.0, -1.0, -1.0, -1.0]])
    rows, truth = [], []
    for i, centre in enumerate(centres):
        rows.append(centre + rng.normal(0, spread, size=(n_per, 4)))
        truth += [i] * n_per
    codes = [f"{10000 + i}" for i in range(len(truth))]
    return pd.DataFrame(np.vstack(rows), columns=DIMS, index=pd.Index(codes, name="code")), np.array(truth)


def grid(nx: int = 6, ny: int = 4, island: bool = True) -> gpd.GeoDataFrame:
    """Unit squares (1 km, in EPSG:5179) in a grid, plus one square 20 km east of the grid's top-right corner.

    Codes run 10000, 10001, … row by row; the island, if any, gets the last code.
    """
    shapes, codes = [], []
    x0, y0 = 1_000_000, 2_000_000
    for j in range(ny):
        for i in range(nx):
            shapes.append(box(x0 + i * 1000, y0 + j * 1000, x0 + (i + 1) * 1000, y0 + (j + 1) * 1000))
            codes.append(f"{10000 + len(codes)}")
    if island:
        # 20 km east of the top-right square's east edge, raised 200 m so that it is nearest to that square alone
        top = y0 + (ny - 1) * 1000 + 200
        shapes.append(box(x0 + nx * 1000 + 20_000, top, x0 + nx * 1000 + 21_000, top + 1000))
        codes.append(f"{10000 + len(codes)}")
    frame = gpd.GeoDataFrame({"code": codes}, geometry=shapes, crs="EPSG:5179")
    return frame.to_crs("EPSG:4326")
