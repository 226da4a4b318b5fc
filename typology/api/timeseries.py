"""The model run for several reference years on the same (2020-vintage) units, and its type transitions.

Each year is an ordinary run with ``reference_year`` set: every indicator reads the
available year nearest to it (ties → later), and an indicator whose nearest year is
further away than ``data.max_year_gap`` is carried with a flag or excluded
(``data.on_year_gap``). Units are the harmonised 2020 units of the data build; a territory
with no comparable earlier unit (세종 before 2012) is missing, and so unclassified, in those
years. ``Panel.flags`` lists, per year and indicator, the variable-years read and their
status, whether an indicator mixes years (numerator and denominator from different
years), and whether it reads the same data in every panel year (so it cannot drive a
change of type): nothing about the years is left implicit.

Scores are normalised within each year and thresholds are relative to each year's national
mean, so a change of type means a change of a region's position among regions, not of its
absolute level.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..core import progress
from ..errors import TypologyError
from ..render import charts
from ..render.layers import type_colours
from .transitions import MISSING, alluvial, changed_types, transition_matrix

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .results import Results

DEFAULT_YEARS = (2015, 2018, 2020, 2022)


def _mixed(variables: str) -> bool:
    """True when an indicator's variables come from different years (e.g. votes 2018 / electorate 2014).

    A single variable read at two years (a growth rate's base and end) is one measure, not a mix.
    """
    years: dict[str, set[str]] = {}
    for item in filter(None, variables.split(";")):
        var, _, year = item.partition("@")
        years.setdefault(var, set()).add(year)
    return len({frozenset(ys) for ys in years.values()}) > 1


@dataclass
class Panel:
    """Results of one config for several reference years (``run_panel``; see the module docstring).

    Attributes
    ----------
    years : list of int
        The reference years, in order.
    results : dict of int to Results
        Each year's results.
    flags : pandas.DataFrame
        Per year and indicator: the variable-years read, their gap and status, ``mixed_years``
        and ``same_in_all_years``.
    """

    years: list[int]
    results: dict[int, Results]
    flags: pd.DataFrame

    @property
    def types(self) -> pd.DataFrame:
        """Type key per unit (rows, code) and year (columns).

        Returns
        -------
        pandas.DataFrame
        """
        return pd.DataFrame({y: r.by_code["type"] for y, r in self.results.items()})

    def _first(self) -> Results:
        return self.results[self.years[0]]

    def type_name(self, key: str, lang: str = "ko") -> str:
        """A type's display name (``MISSING`` stays as it is).

        Parameters
        ----------
        key : str
            Type key.
        lang : {'ko', 'en'}, default 'ko'
            Language.

        Returns
        -------
        str
        """
        return MISSING if key == MISSING else self._first().type_name(key, lang)

    def _order(self) -> list[str]:
        return list(self._first().types.index)

    def _check(self, *years: int) -> None:
        for y in years:
            if y not in self.results:
                raise TypologyError(f"panel: year {y} was not run; years run: {self.years}")

    def transitions(self, start: int, end: int, lang: str | None = "ko") -> pd.DataFrame:
        """Transition matrix of types from ``start`` to ``end`` (counts of units).

        Parameters
        ----------
        start, end : int
            Two panel years.
        lang : {'ko', 'en'} or None, default 'ko'
            Label rows and columns with type names in this language; None keeps the keys.

        Returns
        -------
        pandas.DataFrame
            Rows = type in ``start``, columns = type in ``end``.
        """
        self._check(start, end)
        types = self.types
        matrix = transition_matrix(types[start], types[end], self._order())
        if lang:
            matrix = matrix.rename(index=lambda k: self.type_name(k, lang), columns=lambda k: self.type_name(k, lang))
        matrix.index.name, matrix.columns.name = f"{start}", f"{end}"
        return matrix

    def changed(self, start: int, end: int) -> pd.DataFrame:
        """Units whose type changed between two years, with names, types and axis values.

        Parameters
        ----------
        start, end : int
            Two panel years.

        Returns
        -------
        pandas.DataFrame
            One row per unit that changed: code, name, sido, types (keys and Korean names), axis
            values in both years and the reason for its type in ``end``.
        """
        self._check(start, end)
        types = self.types
        moved = changed_types(types[start], types[end])
        a, b = self.results[start].by_code, self.results[end].by_code
        out = moved.assign(
            name=[a.at[c, "name"] for c in moved["code"]], sido=[a.at[c, "sido"] for c in moved["code"]],
            from_ko=[self.type_name(t) for t in moved["from"]], to_ko=[self.type_name(t) for t in moved["to"]],
            **{f"axis_{ax}_{y}": [r.at[c, f"axis_{ax}"] for c in moved["code"]]
               for y, r in ((start, a), (end, b)) for ax in self._axes()},
            **{f"reason_{end}": [b.at[c, "reason"] for c in moved["code"]]},
        )
        front = ["code", "name", "sido", "from", "to", "from_ko", "to_ko"]
        return out[front + [c for c in out.columns if c not in front]].sort_values("code").reset_index(drop=True)

    def _axes(self) -> list[str]:
        return list(self._first().config["typology"]["axes"])

    def history(self, region: object) -> pd.DataFrame:
        """One region across the panel years: type, dimension scores, axes, composite rank, data flags.

        Parameters
        ----------
        region : str or int
            The region, as ``Results.region`` accepts it.

        Returns
        -------
        pandas.DataFrame
            One row per year.
        """
        first = self._first()
        code = first.region(region)
        rows = []
        for y, res in self.results.items():
            row = res.by_code.loc[code]
            rows.append({"year": y, "type": row["type"], "type_ko": row["type_ko"],
                         **{d: row[d] for d in res.dimensions},
                         **{f"axis_{a}": row[f"axis_{a}"] for a in self._axes()},
                         "composite": row["composite"], "composite_rank": row["composite_rank"],
                         "missing_indicators": row.get("missing_indicators", ""),
                         "stale_indicators": ";".join(self.flags.loc[(self.flags["year"] == y)
                                                                     & (self.flags["status"] != "within range"),
                                                                     "indicator"])})
        return pd.DataFrame(rows).set_index("year")

    def summary(self) -> pd.DataFrame:
        """Per year: units per type, unclassified units, and which indicators were carried, excluded, mixed.

        Returns
        -------
        pandas.DataFrame
            One row per year.
        """
        rows = []
        for y, res in self.results.items():
            f = self.flags[self.flags["year"] == y]
            counts = res.by_code["type"].value_counts()
            row = {"year": y}
            row.update({res.type_name(k): int(counts.get(k, 0)) for k in res.types.index})
            row["carried"] = ";".join(f.loc[f["status"].str.startswith("carried"), "indicator"])
            row["excluded"] = ";".join(f.loc[f["status"].str.startswith("excluded"), "indicator"])
            row["mixed_years"] = ";".join(f.loc[f["mixed_years"], "indicator"])
            rows.append(row)
        return pd.DataFrame(rows).set_index("year")

    def chart(self, years: list[int] | None = None, lang: str | None = None) -> Figure:
        """Alluvial chart of types across years (blocks = units per type, ribbons = transitions).

        Parameters
        ----------
        years : list of int, optional
            Two or more panel years (default: all).
        lang : {'ko', 'en'}, optional
            Language of labels; default Korean.

        Returns
        -------
        matplotlib.figure.Figure
        """
        years = list(years or self.years)
        self._check(*years)
        if len(years) < 2:
            raise TypologyError("panel chart: needs at least two years")
        lang = charts.chart_lang(lang)
        types = self.types[years]
        labels = {k: self.type_name(k, lang) for k in [*self._order(), MISSING]}
        typology = self._first().config["typology"]
        # the config's colours by type key, as map.html and Results.plot draw them
        colours = type_colours(typology["types"], typology["unclassified"]["key"])
        return alluvial(types, self._order(), labels, title=f"유형 변화 ({years[0]}–{years[-1]}) · type transitions"
                        if lang == "ko" else f"Type transitions, {years[0]}–{years[-1]}", colours=colours)



def run_panel(years: list[int] | tuple[int, ...] = DEFAULT_YEARS, config: object = None,
              overrides: list[str] | None = None) -> Panel:
    """Run one config for each reference year (same units, same rules) and collect the flags.

    Parameters
    ----------
    years : sequence of int, default (2015, 2018, 2020, 2022)
        The reference years.
    config : str, pathlib.Path or dict, optional
        None (default config), a config path, or a resolved config dict.
    overrides : list of str, optional
        ``--set`` strings applied to every year (e.g. ``data.on_year_gap=exclude``).

    Returns
    -------
    Panel
        ``types`` (unit × year), ``results`` per year, ``flags`` (the variable-years each
        indicator read), ``transitions(a, b)``, ``changed(a, b)``, ``history(region)`` and
        ``chart()`` (an alluvial chart of the types across years).

    Examples
    --------
    >>> import typology as tp
    >>> panel = tp.run_panel([2015, 2020])          # doctest: +SKIP
    >>> panel.transitions(2015, 2020)               # doctest: +SKIP
    >>> panel.chart().savefig("types_2015_2020.png")  # doctest: +SKIP
    """
    from ..core.config import apply_overrides, load_config
    from ..workflow.pipeline import run
    from .loaders import from_run

    years = [int(y) for y in years]
    if len(years) < 2 or len(set(years)) != len(years):
        raise TypologyError(f"panel: years {years}: expected two or more distinct years")
    if any(o.split("=", 1)[0].strip() == "reference_year" for o in overrides or []):
        raise TypologyError("panel: reference_year is set per year by the panel; do not override it")
    if isinstance(config, dict):
        base = apply_overrides(copy.deepcopy(config), overrides or [])
    else:
        base = load_config(config, overrides)
    results, flags = {}, []
    for year in progress.track(sorted(years), "패널 panel years", len(years), "years"):
        cfg = copy.deepcopy(base)
        cfg["reference_year"] = year
        try:
            result = run(cfg)
        except TypologyError as err:
            raise TypologyError(f"panel year {year} (reference_year={year}): {err}") from None
        results[year] = from_run(result)
        dims = {ind.key: ind.dimension for ind in result.indicators}
        for row in result.years.itertuples():
            flags.append({"year": year, "indicator": row.indicator, "dimension": dims[row.indicator],
                          "variables": row.variables, "years": row.years, "gap": int(row.gap),
                          "status": row.year_status, "mixed_years": _mixed(row.variables)})
    flag_frame = pd.DataFrame(flags)
    reads = flag_frame.groupby("indicator")["variables"].nunique()
    flag_frame["same_in_all_years"] = flag_frame["indicator"].map(reads == 1)
    return Panel(sorted(years), results, flag_frame)
