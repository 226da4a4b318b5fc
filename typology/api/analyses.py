"""The analyses ``Results`` offers as methods: compare, peers, gap_to, explore, plot.

They live in a base class of their own so that ``results.py`` holds the data and lookup and this
module the documented entry points; each method hands over to its module (``compare``, ``typologies.gap``,
``render.explore``). The examples use the default run on the bundled data (``tp.load_results()``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.catalog import DIMENSIONS
from ..core.settings import RunSettings, as_settings
from ..errors import TypologyError

if TYPE_CHECKING:
    import folium
    from matplotlib.figure import Figure

    from ..typologies.gap import Gap
    from .compare import Comparison
    from .peers import Peers

LABEL = "type"


class Analyses:
    """Methods of ``Results`` that analyse one run (documented here, inherited by ``Results``)."""

    def compare(self, regions: list[object], indicators: list[str] | None = None, lang: str | None = None,
                ) -> Comparison:
        """Put 2–10 regions side by side: dimension scores, axes, composite and indicators.

        Parameters
        ----------
        regions : list of str or int
            2 to 10 regions, each as ``Results.region`` accepts it ('전주시', '서울 중구', 'Suncheon',
            '35010').
        indicators : list of str, optional
            Indicator keys to show (default: every indicator in use).
        lang : {'ko', 'en'}, optional
            Language of labels; default Korean (the charts use the bundled Hangul font).

        Returns
        -------
        Comparison
            ``table`` (rows = items, columns = regions and the national mean), ``scores``, ``raw``
            (indicators in their own units), ``percentile`` (national percentile of each normalised
            indicator) and ``figure`` (dimension bars and an indicator heat map).

        Examples
        --------
        >>> import typology as tp
        >>> res = tp.load_results()
        >>> cmp = res.compare(["전주시", "순천시", "서울 중구"])
        >>> cmp.table.loc["유형"].tolist()
        ['자원결합형', '사회주도형', '자원결합형', '']
        >>> cmp.figure.savefig("compare.png")
        """
        from .compare import compare

        return compare(self, regions, indicators=indicators, lang=lang)

    def peers(self, region: object, by: str | list[str] = "indicators", n: int = 5) -> Peers:
        """The regions most like one region, the regions of its type and its neighbours.

        Likeness is the Euclidean distance between normalised profiles, over the coordinates both
        regions have (scaled by all / shared); pairs sharing fewer than half get no distance.

        Parameters
        ----------
        region : str or int
            The region, as ``Results.region`` accepts it.
        by : {'indicators', 'dimensions'} or list of str
            The profile: every normalised indicator, the four dimension scores, or a list of
            indicator keys.
        n : int, default 5
            How many most similar regions to list.

        Returns
        -------
        Peers
            ``similar`` (the n nearest with distance and shared coordinates), ``same_type`` and
            ``neighbours`` (contiguous units, or the nearest ones for an island), and ``method``.

        Examples
        --------
        >>> p = res.peers("전주시", n=3)
        >>> p.similar[["label", "type_ko", "distance"]]
        """
        from .peers import peers

        return peers(self, region, by=by, n=n)

    def gap_to(self, region: object, target: str) -> Gap:
        """The smallest change of a region's dimension scores that moves it into another type.

        The run's type rules are tried in order (first match wins); the answer is the shortest
        move in dimension-score space that meets the target's conditions and breaks one condition
        of every type before it, within the range observed across regions, then read back into
        each indicator's own units one indicator at a time.

        Parameters
        ----------
        region : str or int
            The region, as ``Results.region`` accepts it.
        target : str
            The type to reach: its key ('society_led') or Korean or English name ('사회주도형').

        Returns
        -------
        Gap
            ``delta`` (change per dimension), ``changes`` (per indicator: the change it alone would
            need, in its unit), ``feasible``, ``distance``, ``summary()``; ``is_zero`` when the region
            already has the type.

        Raises
        ------
        TypologyError
            If the run does not use the rules (``typology.method: rules``), or the target is the
            unclassified type.

        Examples
        --------
        전주시 is resource-combining in the default run; what would make it society-led?

        >>> gap = res.gap_to("전주시", "society_led")
        >>> gap.is_zero, round(gap.distance, 3)
        (False, 0.325)
        >>> print(gap.summary())
        전주시 (전북): 자원결합형 → 사회주도형. 최소 변화 (차원 점수, 거리 0.325):
        시민참여기반 +0.230, 참여제도기반 +0.230.
          시민참여기반 +0.230 = 지방선거 투표율 (시·도지사선거) +4.53 %p (40.4 → 44.9) ...
          참여제도기반 +0.230 = 주민자치회 시범실시 (2013) +1.00 flag (0/1) (0 → 1) ...
        """
        from ..typologies.gap import gap_to

        return gap_to(self, region, target)

    def contiguity(self):  # -> libpysal.graph.Graph
        """Queen contiguity (shared border or corner) on the unit geometry, built once.

        Returns
        -------
        libpysal.graph.Graph
            Indexed by unit code.

        Examples
        --------
        >>> graph = res.contiguity()
        >>> sorted(res.name(c) for c in graph[res.region("전주시")].index)
        ['김제시 (전북)', '완주군 (전북)', '익산시 (전북)']
        """
        from ..typologies.contiguity import touching

        return self.cached("contiguity", lambda: touching(self.frame.set_index("code").geometry, "queen"))

    @property
    def settings(self) -> RunSettings:
        """The run's typed settings (``core.settings``), made from ``config`` once: what the renderers read.

        Results of an in-process run carry the run's own settings.

        Returns
        -------
        RunSettings
            Each stage's settings, frozen.

        Examples
        --------
        >>> res.settings.typology.method
        'rules'
        """
        return self.cached("settings", lambda: as_settings(self.config))

    def explore(self, layer: str = LABEL) -> folium.Map:
        """An interactive map (folium) with map.html's layers, colours, legend, search and popups, offline.

        A click on a region opens its popup (type, the reason for it, dimension scores, composite
        and rank); the search box finds a region as map.html's does (Korean or English name, 시도,
        code). Leaflet is inlined from an installed package, so the map needs no network.

        Parameters
        ----------
        layer : str, default 'type'
            The layer shown first: ``'type'``, a dimension key (``'economy'``, ``'civic'``,
            ``'institution'``, ``'capacity'``), ``'composite'`` or, after ``typology uncertainty``,
            ``'type_probability'``; the others are a click away in the layer switcher.

        Returns
        -------
        folium.Map
            Displayed by Jupyter; ``.save("map.html")`` writes it as one file.

        Examples
        --------
        >>> m = res.explore("composite")
        >>> m.save("explore.html")
        """
        from ..data.geometry import load_sido_geometry
        from ..render.explore import explore_map

        names = {d: (n["name_ko"], n["name_en"]) for d, n in self.dimension_names.items()}
        return explore_map(self.frame, self.settings, names, load_sido_geometry(), layer=layer)

    def column_name(self, column: str, lang: str = "ko") -> str:
        """What a column of ``frame`` is, in words: a dimension's or the composite score's name.

        Parameters
        ----------
        column : str
            A column of ``frame``.
        lang : {'ko', 'en'}, default 'ko'
            Language.

        Returns
        -------
        str
            The name used in titles and legends; any other column's name as it is.

        Examples
        --------
        >>> res.column_name("composite"), res.column_name("composite", "en")
        ('종합점수', 'Composite score')
        """
        if column == LABEL:
            return "유형" if lang == "ko" else "Type"
        if column in DIMENSIONS:
            return f"{self.dimension_name(column, lang)} {'점수' if lang == 'ko' else 'score'}"
        if column == "composite":
            return "종합점수" if lang == "ko" else "Composite score"
        return column

    def plot(self, column: str = LABEL, lang: str | None = None, ax: Any = None, title: str | None = None,
             label: str | None = None) -> Figure:
        """A static map of one column (the type by default), in the bundled Hangul font.

        Parameters
        ----------
        column : str, default 'type'
            A column of ``frame``: ``'type'`` (drawn in the config's type colours), a dimension,
            ``'composite'`` or any numeric column (a colour bar; missing values grey).
        lang : {'ko', 'en'}, optional
            Language of the title and legend; default Korean.
        ax : matplotlib.axes.Axes, optional
            Draw into this axes instead of a new figure.
        title : str, optional
            Replaces the default title (what is shown, the run's title and reference year).
        label : str, optional
            The legend or colour-bar label (default ``column_name(column)``).

        Returns
        -------
        matplotlib.figure.Figure

        Examples
        --------
        >>> fig = res.plot()                       # the types
        >>> fig = res.plot("civic", lang="en")     # a dimension score, English labels
        >>> fig.savefig("civic.png", dpi=150)
        """
        from ..render import charts

        lang = charts.chart_lang(lang)
        name = label or self.column_name(column, lang)
        with charts.style():
            fig = charts.new_figure(7, 8) if ax is None else ax.figure
            ax = ax or fig.add_subplot()
            frame = self.frame
            if column == LABEL:
                from matplotlib.patches import Patch

                from ..render.layers import type_colours

                # The config's colours, as map.html and the static maps draw them: by type key, so a
                # type keeps its colour when another type has no member in the frame.
                typology = self.config["typology"]
                colours = type_colours(typology["types"], typology["unclassified"]["key"])
                present = set(frame[LABEL])
                order = [k for k in self.types.index if k in present]
                counts = frame[LABEL].value_counts()
                for key in order:
                    frame[frame[LABEL] == key].plot(ax=ax, color=colours[key], edgecolor="white", linewidth=0.2)
                ax.legend(handles=[Patch(color=colours[k], label=f"{self.type_name(k, lang)} ({counts[k]})")
                                   for k in order], loc="lower right", title=name)
            else:
                if column not in frame.columns:
                    raise TypologyError(f"plot: no column {column!r} in Results.frame")
                missing = {"color": charts.MISSING_COLOUR, "label": "결측" if lang == "ko" else "missing"}
                frame.plot(column=column, ax=ax, legend=True, cmap="viridis", edgecolor="white", linewidth=0.2,
                           missing_kwds=missing, legend_kwds={"label": name, "shrink": 0.6})
            ax.set_axis_off()
            run_title = self.config.get("title_ko" if lang == "ko" else "title_en") or self.config.get("name", "")
            shown = title if title is not None else f"{name} · {run_title} ({self.config.get('reference_year')})"
            ax.set_title(shown)
        return fig
