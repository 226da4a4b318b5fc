"""Covariate adjustment (``scoring.adjust``): chosen indicators replaced by regression residuals.

Staff per resident falls with population size because a government has fixed functions to
staff whatever its size; such an indicator ranks regions by size unless size is taken out.
Each chosen indicator is regressed (ordinary least squares) on the covariates, and its
residual plus its mean replaces it, so its level and unit are kept and what remains is the
part the covariates do not explain. Categorical covariates (자치구/시/군 class, 시도) enter as
indicator columns. The R² and coefficients go to the run log and the validity audit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import TypologyError

KEY = "scoring.adjust"
COVARIATES = ("log_population", "log_density", "class", "sido")


def design(covariates: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The regression's columns: an intercept, numeric covariates as they are, categories as dummies."""
    missing = [n for n in names if n not in covariates.columns]
    if missing:
        raise TypologyError(f"config key {KEY}.covariates: unknown {missing}; expected some of "
                            f"{', '.join(covariates.columns)}")
    cols = [pd.Series(1.0, index=covariates.index, name="intercept")]
    for name in names:
        col = covariates[name]
        if pd.api.types.is_numeric_dtype(col):
            cols.append(col.astype(float).rename(name))
        else:
            dummies = pd.get_dummies(col, prefix=name, drop_first=True, dtype=float)
            cols.append(dummies.where(col.notna(), np.nan))
    return pd.concat(cols, axis=1)


def residualise(treated: pd.DataFrame, covariates: pd.DataFrame, block: dict[str, Any]
                ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``treated`` with ``block['indicators']`` replaced by mean + residual on ``block['covariates']``."""
    names = list(block.get("covariates") or [])
    listed = list(block.get("indicators") or [])
    chosen = [c for c in listed if c in treated.columns]
    skipped = [c for c in listed if c not in treated.columns]  # named, but not in this run's indicators
    if not names or not chosen:
        return treated, ({"covariates": names, "indicators": {}, "not_in_use": skipped} if skipped else {})
    X = design(covariates.reindex(treated.index), names)
    out = treated.copy()
    details: dict[str, Any] = {}
    for col in chosen:
        y = treated[col]
        rows = y.notna() & X.notna().all(axis=1)
        if not rows.any():
            # Nothing observed (e.g. excluded for its year gap): it stays missing and is listed as such.
            details[col] = {"r2": None, "n": 0, "coefficients": {}}
            continue
        if rows.sum() <= X.shape[1]:
            raise TypologyError(f"config key {KEY}.indicators: {col} has {int(rows.sum())} units with the "
                                f"covariates observed, too few for {X.shape[1]} coefficients")
        coef, *_ = np.linalg.lstsq(X[rows].to_numpy(), y[rows].to_numpy(), rcond=None)
        fitted = X[rows].to_numpy() @ coef
        resid = y[rows].to_numpy() - fitted
        total = float(((y[rows] - y[rows].mean()) ** 2).sum())
        r2 = 1.0 - float((resid ** 2).sum()) / total if total > 0 else 0.0
        out[col] = np.nan
        out.loc[rows, col] = resid + float(y[rows].mean())
        details[col] = {"r2": round(r2, 6), "n": int(rows.sum()),
                        "coefficients": {c: round(float(b), 8) for c, b in zip(X.columns, coef)}}
    return out, {"covariates": names, "indicators": details, "not_in_use": skipped}
