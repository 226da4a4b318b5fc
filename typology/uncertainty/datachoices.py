"""Data choices in the Monte Carlo: other vintages of an indicator's data, and one indicator dropped.

A processing choice (imputation, treatment, normalisation, weights, method) changes how given
data are turned into types; a data choice changes the data. Both are defensible, so
``typology uncertainty`` can draw both and reports how many regions keep their type under the
processing choices alone and under processing plus data choices.

- ``uncertainty.vintages``: an indicator computed from another year's data, e.g. turnout of the
  2014, 2018 or 2022 local elections. Each year is read as the reference year of that indicator
  alone (its other references follow it, as in a run); a year the data do not hold is an error,
  never the nearest year in silence. The run's own data are always level 0 ("nominal"), and a
  listed year that gives the same values is not drawn twice.
- ``uncertainty.exclude_indicators``: one indicator at a time is left out of its dimension
  (COINr's indicator exclusion): its weight becomes 0 and the dimension's other weights are
  rescaled, and ``scoring.min_share`` is judged on the rest. Imputation and normalisation of the
  other indicators are those of the replicate, as in the full scoring, since each works per
  indicator; knn imputation still sees the dropped indicator's values.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from .. import paths
from ..data import units
from ..data.load import load_tables
from ..data.transform import YearPolicy, compute_indicators
from ..errors import TypologyError
from .alternatives import KEY, Plan


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    return bool(np.array_equal(np.isnan(x), np.isnan(y)) and np.allclose(x[~np.isnan(x)], y[~np.isnan(y)],
                                                                         rtol=0, atol=1e-12))


def vintage_levels(plan: Plan, result: Any) -> tuple[Plan, list[pd.DataFrame]]:
    """The raw indicator table of every vintage level (level 0: the run's own), and the plan with their labels."""
    if not plan.vintages:
        return plan, [result.raw]
    config = result.config
    loaded = load_tables(config, result.catalog, units.matcher(), paths.VARIABLES)
    by_key = {ind.key: ind for ind in result.indicators}
    data = result.settings.data
    base = YearPolicy(reference_year=data.reference_year, max_gap=data.max_year_gap, on_gap=data.on_year_gap)
    columns: dict[str, dict[int, pd.Series]] = {}
    for key, years in plan.vintages.items():
        columns[key] = {}
        for year in years:
            values, used = compute_indicators(loaded.variables, [by_key[key]], result.raw.index,
                                              replace(base, reference_year=year))
            anchors = {int(y) for y in str(used["years"].iloc[0]).split(";")}
            if year not in anchors:
                raise TypologyError(f"config key {KEY}.vintages.{key}: no data for {year} (the nearest year read is "
                                    f"{sorted(anchors)}); list years the data hold")
            columns[key][year] = values[key]
    nominal = "nominal (" + ", ".join(f"{k}@{_years(result, k)}" for k in plan.vintages) + ")"
    labels, raws = [nominal], [result.raw]
    for combo in itertools.product(*[plan.vintages[k] for k in plan.vintages]):
        raw = result.raw.copy()
        for key, year in zip(plan.vintages, combo):
            raw[key] = columns[key][year]
        if _same(raw, result.raw):
            continue  # the run's own data: level 0 already
        labels.append(", ".join(f"{k}@{y}" for k, y in zip(plan.vintages, combo)))
        raws.append(raw)
    return replace(plan, vintage=labels), raws


def _years(result: Any, key: str) -> str:
    years = result.years.set_index("indicator")["years"] if result.years is not None else pd.Series(dtype=str)
    return str(years.get(key, "?"))


def exclusion_weights(W: np.ndarray, col: int | None, dim_cols: list[np.ndarray]) -> np.ndarray:
    """Indicator weights (rows × indicators) with indicator ``col`` dropped and its dimension rescaled."""
    if col is None:
        return W
    W = np.array(W, dtype=float)
    W[:, col] = 0.0
    for cols in dim_cols:
        if col in cols:
            total = W[:, cols].sum(axis=1, keepdims=True)
            W[:, cols] = np.where(total > 0, W[:, cols] / np.where(total > 0, total, 1.0), W[:, cols])
    return W


def data_table(plan: Plan, choice: np.ndarray, columns: dict[str, int], types: np.ndarray,
               nominal: np.ndarray) -> pd.DataFrame:
    """Per level of each data choice: replicates that drew it and how many regions kept the nominal type."""
    rows = []
    for factor in plan.data_active():
        labels = plan.vintage if factor == "vintage" else plan.exclude_labels()
        col = choice[:, columns[factor]]
        for level, label in enumerate(labels):
            here = col == level
            same = (types[here] == nominal[None, :]).mean(axis=1) if here.any() else np.array([np.nan])
            rows.append({"factor": factor, "level": label, "replicates": int(here.sum()),
                         "share_same_type_mean": round(float(same.mean()), 4),
                         "regions_changed_mean": round(float((1 - same.mean()) * types.shape[1]), 2)
                         if here.any() else np.nan})
    return pd.DataFrame(rows)
