"""Statistical audit of a scored run, after the JRC's audits of composite indicators.

Per indicator: coverage, distribution (skew, kurtosis, outlier flag, the treatment applied) and
how it correlates with its own dimension. Per dimension: internal consistency (Cronbach's α),
the variance share of the first principal component, and the indicators that pull against the
dimension. And the correlations between the dimension scores and the composite.

Everything is measured on the values that were aggregated (imputed, treated, normalised and
oriented so that higher is better), except the distribution columns, which describe the
observed raw data and, in ``*_treated``, the data after treatment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.core import nanops

from ..core.catalog import DIMENSIONS, Indicator
from .score import Scored
from .weights import first_component

INDICATOR_COLUMNS = ["n", "missing", "imputed", "min", "max", "mean", "sd", "skew", "kurtosis", "outlier",
                     "treatment", "treatment_detail", "skew_treated", "kurtosis_treated", "weight",
                     "corr_dimension", "corr_rest"]
DIMENSION_COLUMNS = ["indicators", "units_complete", "alpha", "pc1_share", "mean_inter_corr", "pulling_against",
                     "against_rest"]


@dataclass
class Audit:
    table: pd.DataFrame  # audit.csv: one row per indicator, then one per dimension
    imputations: pd.DataFrame  # one row per imputed cell


def cronbach_alpha(frame: pd.DataFrame, min_rows: int = 2) -> float:
    """Cronbach's α over complete rows: k/(k−1) · (1 − Σ item variances / variance of the sum).

    The same operations as ``pingouin.cronbach_alpha`` (listwise), so the same bits (a test compares
    the two); importing pingouin took a quarter of a default run (it loads seaborn and statsmodels).
    NaN for fewer than 2 items, fewer than ``min_rows`` complete rows, or a constant sum. The audit
    (audit.csv) takes 2 rows, the least α is defined for; the coherence check before typing
    (``validity.coherence``) asks for 3, as its report of n assumes.
    """
    complete = frame.dropna().astype(float)
    if frame.shape[1] < 2 or len(complete) < max(min_rows, 2) or complete.sum(axis=1).var() == 0:
        return float("nan")
    k = complete.shape[1]
    cov = complete.cov(numeric_only=True)
    return float((k / (k - 1)) * (1 - np.trace(cov) / cov.sum().sum()))


def _corr(a: pd.Series, b: pd.Series) -> float:
    if not a.index.equals(b.index):
        a, b = a.align(b, join="outer")
    return _corr_values(a.to_numpy(dtype=float), b.to_numpy(dtype=float))


def _corr_values(x: np.ndarray, y: np.ndarray) -> float:
    """``_corr`` of two aligned arrays: Pearson's r over the pairs where both are observed.

    The pairs are picked with numpy (concat + dropna per pair was most of the audit's time); the
    correlation itself is pandas' (``Series.corr`` hands two such arrays to ``nanops.nancorr``), so
    the numbers are unchanged, without two Series and their alignment per pair.
    """
    both = ~np.isnan(x) & ~np.isnan(y)
    x, y = x[both], y[both]
    if len(x) < 3 or x.std() == 0 or y.std() == 0:
        return float("nan")
    return float(nanops.nancorr(x, y))


def audit(raw: pd.DataFrame, scored: Scored, chosen: list[Indicator], units: pd.DataFrame,
          dimension_names: dict[str, str] | None = None) -> Audit:
    """``raw``: observed indicator values; ``units``: the unit table (code, name_ko, sido_ko)."""
    norm, scores, weights = scored.normalised, scored.scores, scored.weights
    imputed = scored.imputed if scored.imputed is not None else raw.isna() & False
    treatments = {t.indicator: t for t in scored.treatments}
    targets = [*DIMENSIONS, "composite"]
    # Columns as arrays, once: ``_corr`` of two columns of frames on the same index is ``_corr_values``
    # of their arrays (the alignment is nothing to do), and audit.csv asks for about 80 of them.
    aligned = norm.index.equals(scores.index)
    score_of = {t: scores[t].to_numpy(dtype=float) for t in targets}

    def corr(a: pd.Series, target: str) -> float:
        return _corr_values(a.to_numpy(dtype=float), score_of[target]) if aligned else _corr(a, scores[target])

    # Every indicator times its weight, once: the columns of norm[others] * weights[others], each the
    # same product, for the weighted rest of each indicator's dimension.
    weighted = norm * weights
    rows = []
    for ind in chosen:
        key, dim = ind.key, ind.dimension
        column = raw[key]
        x = column.dropna()
        t = treatments.get(key)
        others = [i.key for i in chosen if i.dimension == dim and i.key != key]
        rest = weighted[others].sum(axis=1, min_count=1) / weights[others].sum() if others else None
        own = norm[key]
        row = {"level": "indicator", "dimension": dim, "indicator": key, "name_ko": ind.spec["name_ko"],
               "n": len(x), "missing": int(column.isna().sum()), "imputed": int(imputed[key].sum()),
               "min": x.min(), "max": x.max(), "mean": x.mean(), "sd": x.std(ddof=1),
               "skew": t.skew if t else np.nan, "kurtosis": t.kurtosis if t else np.nan,
               "outlier": bool(t.outlier) if t else False,
               "treatment": t.action if t else "none", "treatment_detail": t.detail if t else "",
               "skew_treated": t.skew_after if t else np.nan, "kurtosis_treated": t.kurtosis_after if t else np.nan,
               "weight": weights[key], "corr_dimension": corr(own, dim),
               "corr_rest": _corr(own, rest) if rest is not None else np.nan}
        for target in targets:
            row[f"corr_{target}"] = corr(own, target)
        rows.append(row)
    by_indicator = {r["indicator"]: r for r in rows}
    names = dimension_names or {}
    for dim in DIMENSIONS:
        keys = [i.key for i in chosen if i.dimension == dim]
        frame = norm[keys]
        corr_matrix = frame.dropna().corr().to_numpy() if len(keys) > 1 else np.ones((1, 1))
        off = corr_matrix[~np.eye(len(keys), dtype=bool)]
        _, share, complete = first_component(frame)
        row = {"level": "dimension", "dimension": dim, "indicator": "", "name_ko": names.get(dim, ""),
               "indicators": len(keys), "units_complete": complete, "alpha": cronbach_alpha(frame),
               "pc1_share": share if len(keys) > 1 else np.nan,
               "mean_inter_corr": float(off.mean()) if off.size else np.nan,
               "pulling_against": ";".join(k for k in keys if by_indicator[k]["corr_dimension"] < 0),
               "against_rest": ";".join(k for k in keys if by_indicator[k]["corr_rest"] < 0),
               "weight": scored.dimension_weights[dim] if scored.dimension_weights is not None else np.nan}
        for target in targets:
            row[f"corr_{target}"] = _corr_values(score_of[dim], score_of[target])
        rows.append(row)
    columns = ["level", "dimension", "indicator", "name_ko", *INDICATOR_COLUMNS, *DIMENSION_COLUMNS,
               *[f"corr_{t}" for t in targets]]
    table = pd.DataFrame(rows).reindex(columns=columns)
    counts = ["n", "missing", "imputed", "indicators", "units_complete"]
    table[counts] = table[counts].astype("Int64")  # counts print as 228, not 228.0, beside empty cells
    imputations = imputation_table(raw, scored, units)
    return Audit(table, imputations)


def imputation_table(raw: pd.DataFrame, scored: Scored, units: pd.DataFrame) -> pd.DataFrame:
    columns = ["code", "name", "sido", "indicator", "value", "method"]
    if scored.imputed is None or not scored.imputed.to_numpy().any():
        return pd.DataFrame(columns=columns)
    method = scored.impute_method
    names = units.set_index("code")
    before = scored.treated if scored.treated is not None else raw
    rows = []
    for key in scored.imputed.columns:
        for code in scored.imputed.index[scored.imputed[key]]:
            rows.append({"code": code, "name": names.at[code, "name_ko"], "sido": names.at[code, "sido_ko"],
                         "indicator": key, "value": before.at[code, key], "method": method})
    return pd.DataFrame(rows, columns=columns)
