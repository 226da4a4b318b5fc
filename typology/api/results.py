"""The notebook-facing API: results as a GeoDataFrame, region lookup, comparison, peers, gaps.

``loaders.load()`` runs a config in-process or reads a run folder and returns ``Results``: one row
per unit in ``Results.frame`` (a GeoDataFrame, like geosnap's, with the type in the label
column ``type``), plus what the analyses need to speak in the indicators' own units (names,
units, weights, the config). The analyses live in their own modules (``compare``, ``gap``,
``timeseries``); ``Results`` only offers them as methods (``analyses.Analyses``).

    import typology as tp
    res = tp.load_results()                 # the default config on the bundled data
    res.compare(["전주시", "순천시", "서울 중구"]).figure
    res.peers("전주시").similar
    res.gap_to("전주시", "society_led").summary()  # what would make 전주시 society-led
    res.explore("composite")                # an interactive map (folium), offline
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..core.catalog import DIMENSIONS
from ..data.regions import RegionIndex, default_index
from ..errors import TypologyError
from .analyses import LABEL, Analyses

if TYPE_CHECKING:
    from collections.abc import Callable

    import geopandas as gpd

    from ..typologies.rules import RuleTypology


@dataclass
class Results(Analyses):
    """One run's per-unit results with the context to explain them.

    Made by ``load_results`` (``loaders.load``); the analyses (``compare``, ``peers``, ``gap_to``,
    ``explore``, ``plot``) are its methods.

    Attributes
    ----------
    frame : geopandas.GeoDataFrame
        One row per unit: the columns of scores.csv (type in ``type``, dimension scores,
        composite and rank, raw and normalised indicators) plus geometry.
    indicators : pandas.DataFrame
        One row per indicator in use (index = key): names, unit, dimension, direction, weight,
        years and year status.
    config : dict
        The resolved config of the run.
    source : str
        Where the results come from (a config's run or a run folder).
    dimension_names : dict
        Dimension key → {'name_ko': ..., 'name_en': ...}.
    regions : RegionIndex
        The region lookup behind ``region`` (the bundled units).

    Examples
    --------
    >>> import typology as tp
    >>> res = tp.load_results()                    # the default config on the bundled data
    >>> res.row("Suncheon")[["name", "type_ko", "composite_rank"]]
    """

    frame: gpd.GeoDataFrame
    indicators: pd.DataFrame
    config: dict[str, Any]
    source: str
    dimension_names: dict[str, dict[str, str]]
    regions: RegionIndex = field(default_factory=default_index, repr=False)
    # Tables the analyses derive, kept with these results (``cached``); not a constructor argument.
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, init=False)

    label = LABEL

    # -- lookup -----------------------------------------------------------------------
    def region(self, query: object, system: str = "kostat") -> str:
        """The unit code for a name or code, accepting what map.html's search box accepts.

        Korean and English names ('전주시', 'Jeonju-si'), short names ('전주'), a name with its
        시도 ('서울 중구', '중구 (부산)'), former names and 일반구 ('인천 남구', '수원시 장안구'),
        and any query the map's search finds exactly one unit for ('Suncheon', '중구 서울').

        Parameters
        ----------
        query : str or int
            A name or a code.
        system : {'kostat', 'std5', 'code10'}, default 'kostat'
            How a 5-digit code is read (a 10-digit code is always a 행정기관코드).

        Returns
        -------
        str
            The unit's 5-digit KOSTAT code.

        Raises
        ------
        TypologyError
            If no unit fits, several do (all listed, with their 시도), or the unit is not in these
            results (e.g. outside a scoped run).

        Examples
        --------
        >>> res.region("Suncheon"), res.region("서울 중구"), res.region("중구 (부산)")
        ('36030', '11020', '21010')
        """
        code = self.regions.resolve(query, system)
        if code not in self.by_code.index:
            raise TypologyError(f"region {query!r} ({code}) is not in these results ({self.source})")
        return code

    def row(self, query: object) -> pd.Series:
        """One unit's row of ``frame`` (without geometry).

        Parameters
        ----------
        query : str or int
            The region, as ``region`` accepts it.

        Returns
        -------
        pandas.Series
            Indexed by the columns of ``frame``.

        Examples
        --------
        >>> res.row("전주시")["type_ko"]
        '자원결합형'
        """
        return self.by_code.loc[self.region(query)].drop(labels="geometry")

    @property
    def by_code(self) -> pd.DataFrame:
        """``frame`` indexed by unit code (the code stays a column), built once.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> res.by_code.at["35010", "name"]
        '전주시'
        """
        return self.cached("by_code", lambda: self.frame.set_index("code", drop=False).rename_axis(None))

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """``build()``, made once per ``key`` and kept with these results (tables the analyses derive).

        Parameters
        ----------
        key : str
            Name of the derived table.
        build : callable
            Makes it when it is not kept yet.

        Returns
        -------
        object
            What ``build`` returned, the first time for this ``key``.

        Examples
        --------
        >>> res.cached("n_units", lambda: len(res.frame)) == len(res.frame)
        True
        """
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def name(self, code: str, lang: str = "ko") -> str:
        """Display label unique across units: '중구 (서울)' / 'Jung-gu (Seoul)'.

        Parameters
        ----------
        code : str
            5-digit KOSTAT code.
        lang : {'ko', 'en'}, default 'ko'
            Language.

        Returns
        -------
        str

        Examples
        --------
        >>> res.name("11020"), res.name("11020", "en")
        ('중구 (서울)', 'Jung-gu (Seoul)')
        """
        if lang == "en":
            row = self.regions.units.loc[code]
            sido = row["sido_en"]
            return row["name_en"] if row["name_ko"] == row["sido_ko"] else f"{row['name_en']} ({sido})"
        return self.regions.label(code)

    def labels(self, lang: str = "ko") -> pd.Series:
        """Unique display label per unit code ('중구 (서울)'), built once.

        Parameters
        ----------
        lang : {'ko', 'en'}, default 'ko'
            Language.

        Returns
        -------
        pandas.Series
            Named ``label``, indexed by code.

        Examples
        --------
        >>> res.labels()["21010"]
        '중구 (부산)'
        """
        return self.cached(f"labels_{lang}", lambda: pd.Series({c: self.name(c, lang) for c in self.by_code.index},
                                                              name="label"))

    # -- metadata ---------------------------------------------------------------------
    @property
    def dimensions(self) -> list[str]:
        """The dimension keys, in the catalogue's order.

        Returns
        -------
        list of str

        Examples
        --------
        >>> res.dimensions
        ['economy', 'civic', 'institution', 'capacity']
        """
        return list(DIMENSIONS)

    def dimension_name(self, dim: str, lang: str = "ko") -> str:
        """A dimension's display name (its key if it has none).

        Parameters
        ----------
        dim : str
            Dimension key.
        lang : {'ko', 'en'}, default 'ko'
            Language.

        Returns
        -------
        str

        Examples
        --------
        >>> res.dimension_name("civic")
        '시민참여기반'
        """
        return self.dimension_names.get(dim, {}).get(f"name_{lang}", dim)

    @property
    def types(self) -> pd.DataFrame:
        """The types of the rules in order (first match wins), then the unclassified key.

        Returns
        -------
        pandas.DataFrame
            Index = type key; ``name_ko``, ``name_en``.

        Examples
        --------
        >>> res.types.loc["society_led", "name_ko"]
        '사회주도형'
        """
        typology = self.config["typology"]
        rows = [{"key": t["key"], "name_ko": t["name_ko"], "name_en": t["name_en"]} for t in typology["types"]]
        u = typology["unclassified"]
        rows.append({"key": u["key"], "name_ko": u["name_ko"], "name_en": u["name_en"]})
        return pd.DataFrame(rows).set_index("key")

    def type_key(self, query: str) -> str:
        """A type key from its key or Korean/English name.

        Parameters
        ----------
        query : str
            Key, Korean or English name of a type.

        Returns
        -------
        str

        Raises
        ------
        TypologyError
            If no type of this run has that key or name (the types are listed).

        Examples
        --------
        >>> res.type_key("사회주도형")
        'society_led'
        """
        types = self.types
        for key, row in types.iterrows():
            if query in (key, row["name_ko"], row["name_en"]):
                return str(key)
        listed = ", ".join(f"{k} ({r['name_ko']})" for k, r in types.iterrows())
        raise TypologyError(f"type {query!r}: not a type of this run; expected one of {listed}")

    def type_name(self, key: str, lang: str = "ko") -> str:
        """A type's display name (the key itself if it is not a type of this run).

        Parameters
        ----------
        key : str
            Type key.
        lang : {'ko', 'en'}, default 'ko'
            Language.

        Returns
        -------
        str

        Examples
        --------
        >>> res.type_name("society_led")
        '사회주도형'
        """
        types = self.types
        return str(types.at[key, f"name_{lang}"]) if key in types.index else str(key)

    @property
    def normalise_method(self) -> str:
        """The run's normalisation (config key ``scoring.normalise.method``).

        Returns
        -------
        str

        Examples
        --------
        >>> res.normalise_method
        'zscore'
        """
        return str(self.config["scoring"]["normalise"]["method"])

    def rules(self) -> RuleTypology:
        """The run's rule typology, refitted on its dimension scores (thresholds as in the run).

        Refitting reproduces the run's thresholds because they are the national mean or
        median of each axis; the predicted types are checked against the stored ones.

        Returns
        -------
        RuleTypology
            Fitted; built once.

        Raises
        ------
        TypologyError
            If the run does not use the rules, or the stored types do not follow them.

        Examples
        --------
        >>> res.rules().predict(res.by_code[res.dimensions]).loc["35010", "type"]
        'resource_combining'
        """
        if "rules" in self._cache:
            return self._cache["rules"]
        from ..typologies.rules import RuleTypology

        typology = self.config["typology"]
        if typology.get("method") != "rules":
            raise TypologyError(f"config key typology.method: {typology.get('method')!r}; gap_to and the rule "
                                f"explanations need the readable rules (method 'rules')")
        model = RuleTypology(axes=typology["axes"], types=typology["types"], unclassified=typology["unclassified"],
                             dimension_names={d: self.dimension_name(d) for d in DIMENSIONS})
        scores = self.by_code[list(DIMENSIONS)].astype(float)
        predicted = model.fit_predict(scores)["type"]
        differ = predicted.index[predicted != self.by_code["type"]]
        if len(differ):
            raise TypologyError(f"{self.source}: the stored types of {list(differ[:5])} do not follow the run's "
                                f"rules (typology.types); the results were edited or come from another config")
        self._cache["rules"] = model
        return model
