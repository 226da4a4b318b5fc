"""Runs side by side: variants of one config, and two finished runs unit by unit.

``run_variants`` runs several variants of one config in-process (e.g. other normalisations);
``type_table`` and ``agreement`` show how their types differ.

``compare_runs(a, b)`` reads two run folders written by ``typology run`` (or anything
``load_results`` accepts) and matches their units by code. A unit in only one of the runs (a
scoped run against a national one) is kept, with the other run's columns empty and ``present``
saying where it is, so no region drops out of the comparison silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core.catalog import DIMENSIONS
from ..errors import TypologyError
from .analyses import LABEL
from .loaders import load
from .results import Results

SCORES = [*DIMENSIONS, "composite"]
BOTH, ONLY_A, ONLY_B = "both", "a only", "b only"


@dataclass
class RunComparison:
    """What differs between run ``a`` and run ``b``, per unit.

    Attributes
    ----------
    a, b : Results
        The two runs.
    label_a, label_b : str
        Short names of the runs (the folder names by default), used in ``transitions``.
    table : pandas.DataFrame
        One row per unit of either run (index = KOSTAT code): ``name``, ``sido``, ``present``
        (``"both"``, ``"a only"`` or ``"b only"``), ``type_a``, ``type_b`` (Korean type names),
        ``type_changed``, the composite rank in each run and ``rank_change`` (b − a; negative =
        moved up), and for every dimension and the composite its score in each run and the
        difference ``<score>_diff`` (b − a).
    """

    a: Results
    b: Results
    label_a: str
    label_b: str
    table: pd.DataFrame

    @property
    def changed(self) -> pd.DataFrame:
        """The units in both runs whose type differs, largest composite move first.

        Returns
        -------
        pandas.DataFrame
            Rows of ``table``.
        """
        moved = self.table[self.table["type_changed"]]
        return moved.reindex(moved["composite_diff"].abs().sort_values(ascending=False, kind="stable").index)

    @property
    def transitions(self) -> pd.DataFrame:
        """Units by type in ``a`` (rows) and type in ``b`` (columns), units in both runs only.

        Returns
        -------
        pandas.DataFrame
            Counts of units.
        """
        both = self.table[self.table["present"] == BOTH]
        return pd.crosstab(both["type_a"].rename(self.label_a), both["type_b"].rename(self.label_b))

    def largest_rank_moves(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` units whose composite rank moved most (either way), with both ranks.

        Parameters
        ----------
        n : int, default 10
            How many units.

        Returns
        -------
        pandas.DataFrame
            Name, sido, both types, both ranks and ``rank_change``.
        """
        moved = self.table.dropna(subset=["rank_change"])
        order = moved["rank_change"].abs().sort_values(ascending=False, kind="stable").index[:n]
        return moved.loc[order, ["name", "sido", "type_a", "type_b", "rank_a", "rank_b", "rank_change"]]

    def summary(self) -> str:
        """A few lines in Korean and English: units compared, type changes, rank and score moves.

        Returns
        -------
        str
        """
        table = self.table
        both = table[table["present"] == BOTH]
        changed = int(both["type_changed"].sum())
        only = {k: int((table["present"] == k).sum()) for k in (ONLY_A, ONLY_B)}
        ranks = both["rank_change"].dropna().abs()
        lines = [f"{self.label_a} → {self.label_b}: 두 실행 모두에 있는 지역 {len(both)}곳 "
                 f"({len(both)} units in both runs)",
                 f"유형이 바뀐 지역 {changed}곳 (type changed: {changed} of {len(both)})"]
        if only[ONLY_A] or only[ONLY_B]:
            lines.append(f"한쪽에만 있는 지역: {self.label_a}만 {only[ONLY_A]}곳, {self.label_b}만 {only[ONLY_B]}곳 "
                         f"(in one run only: {only[ONLY_A]} / {only[ONLY_B]})")
        if len(ranks):
            lines.append(f"종합순위 변화: 중앙값 {ranks.median():g}, 최대 {ranks.max():g} "
                         f"(composite rank change: median {ranks.median():g}, largest {ranks.max():g})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        summary = "<br>".join(html.escape(line) for line in self.summary().splitlines())
        return f"<p>{summary}</p>" + self.changed.to_html(na_rep="–")


def _results(run: object) -> Results:
    return run if isinstance(run, Results) else load(run)


def _label(run: object, fallback: str) -> str:
    if isinstance(run, (str, Path)) and Path(str(run)).is_dir():
        return Path(str(run)).resolve().name
    return fallback


def compare_runs(a: object, b: object, label_a: str | None = None, label_b: str | None = None) -> RunComparison:
    """Compare two finished runs unit by unit: type changes, score and rank differences.

    Parameters
    ----------
    a, b : str, pathlib.Path or Results
        Two run folders written by ``typology run`` (or a config, a ``RunResult`` or a
        ``Results``: anything ``load_results`` accepts). Differences are ``b − a``.
    label_a, label_b : str, optional
        Names for the two runs in the tables; default the folder names (or ``"a"``, ``"b"``).

    Returns
    -------
    RunComparison
        ``table`` (every unit of either run), ``changed`` (units whose type differs),
        ``transitions`` (a type-by-type cross table), ``largest_rank_moves()`` and ``summary()``.

    Raises
    ------
    TypologyError
        If a folder is not a run folder (no manifest.json, indicators.csv or scores).

    Examples
    --------
    >>> import typology as tp
    >>> diff = tp.compare_runs("out/default", "out/minmax")          # doctest: +SKIP
    >>> print(diff.summary())                                         # doctest: +SKIP
    out/default → out/minmax: 두 실행 모두에 있는 지역 228곳 (228 units in both runs)
    ...
    >>> diff.changed[["name", "type_a", "type_b", "composite_diff"]]  # doctest: +SKIP
    >>> diff.transitions                                              # doctest: +SKIP
    """
    ra, rb = _results(a), _results(b)
    name_a = label_a or _label(a, "a")
    name_b = label_b or _label(b, "b")
    if name_a == name_b:
        name_a, name_b = f"{name_a} (a)", f"{name_b} (b)"
    fa, fb = ra.by_code, rb.by_code
    # Units in the order of the first run, then those only in the second.
    codes = pd.Index([*fa.index, *[c for c in fb.index if c not in fa.index]], name="code")
    names = fa["name"].combine_first(fb["name"]).reindex(codes)
    sido = fa["sido"].combine_first(fb["sido"]).reindex(codes)
    in_a, in_b = codes.isin(fa.index), codes.isin(fb.index)
    present = np.select([in_a & in_b, in_a], [BOTH, ONLY_A], ONLY_B)
    out = pd.DataFrame({"name": names, "sido": sido, "present": present}, index=codes)
    out["type_a"] = fa[LABEL].reindex(codes).map(lambda k: ra.type_name(k) if isinstance(k, str) else k)
    out["type_b"] = fb[LABEL].reindex(codes).map(lambda k: rb.type_name(k) if isinstance(k, str) else k)
    out["type_changed"] = (out["present"] == BOTH) & (fa[LABEL].reindex(codes) != fb[LABEL].reindex(codes))
    out["rank_a"] = fa["composite_rank"].reindex(codes).astype(float)
    out["rank_b"] = fb["composite_rank"].reindex(codes).astype(float)
    out["rank_change"] = out["rank_b"] - out["rank_a"]
    for col in SCORES:
        sa, sb = fa[col].reindex(codes).astype(float), fb[col].reindex(codes).astype(float)
        out[f"{col}_a"], out[f"{col}_b"], out[f"{col}_diff"] = sa, sb, sb - sa
    return RunComparison(ra, rb, name_a, name_b, out)


# -- variants of one config, run in-process --------------------------------------------------
def run_variants(variants: dict[str, list[str] | dict[str, Any]], config: object = None) -> dict[str, Results]:
    """Run several variants of one config (e.g. other normalisations) and keep their results.

    Parameters
    ----------
    variants : dict
        Label → a list of ``--set`` overrides applied to ``config`` (``[]`` = the config as it
        is) or a whole resolved config dict (for changes ``--set`` cannot express, such as a
        type rule).
    config : str, pathlib.Path or dict, optional
        The base config (default: configs/default.yaml).

    Returns
    -------
    dict of str to Results

    Examples
    --------
    >>> runs = tp.run_variants({"zscore": [], "minmax": ["scoring.normalise.method=minmax"]})
    >>> from typology.api.runs import agreement
    >>> agreement(runs).round(3)          # share of units with the same type in each pair
    """
    if not variants:
        raise TypologyError("run_variants: give at least one variant (label → list of overrides or a config)")
    if config is not None and not isinstance(config, dict) and Path(str(config)).is_dir():
        raise TypologyError(f"{config}: run_variants needs a config, not a run folder")
    out = {}
    for label, spec in variants.items():
        if isinstance(spec, dict):
            out[label] = load(spec)
        elif isinstance(spec, (list, tuple)) and all(isinstance(o, str) for o in spec):
            out[label] = load(config, list(spec))
        else:
            raise TypologyError(f"run_variants: variant {label!r}: expected a list of 'key=value' overrides or a "
                                f"config dict, got {spec!r}")
    return out


def type_table(runs: dict[str, Results], lang: str = "ko") -> pd.DataFrame:
    """Per unit (rows) and run (columns): the type name. Index = code; name and sido first.

    Parameters
    ----------
    runs : dict of str to Results
        As ``run_variants`` returns them.
    lang : {'ko', 'en'}, default 'ko'
        Language of the type names.

    Returns
    -------
    pandas.DataFrame
    """
    first = next(iter(runs.values()))
    out = first.by_code[["name", "sido"]].copy()
    for label, res in runs.items():
        out[label] = res.by_code[LABEL].map(lambda k, r=res: r.type_name(k, lang))
    return out


def agreement(runs: dict[str, Results], reference: str | None = None) -> pd.DataFrame:
    """Share of units (0–1) whose type is the same in each pair of runs, by type key.

    Parameters
    ----------
    runs : dict of str to Results
        As ``run_variants`` returns them.
    reference : str, optional
        Keep only the column of this run.

    Returns
    -------
    pandas.DataFrame
        Runs × runs (or runs × the reference).
    """
    labels = list(runs)
    keys = pd.DataFrame({label: res.by_code[LABEL] for label, res in runs.items()})
    out = pd.DataFrame(index=labels, columns=labels, dtype=float)
    for a in labels:
        for b in labels:
            out.at[a, b] = float((keys[a] == keys[b]).mean())
    if reference is not None:
        if reference not in runs:
            raise TypologyError(f"agreement: reference {reference!r} is not one of {labels}")
        return out[[reference]]
    return out
