"""What each map layer shows: a class per unit, its colours and its legend.

The interactive map and the static maps draw the same layers from here, so a region has the
same colour and legend entry in map.html, the PNG/PDF maps and the report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.catalog import DIMENSIONS
from ..core.settings import RunSettings, TypologySettings
from ..errors import TypologyError
from .ranks import BoundaryTie, boundary_ties

TYPE_PALETTE = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d"]
UNCLASSIFIED_COLOUR = "#bdbdbd"
# ColorBrewer YlGnBu, 5 classes: light = low score, dark = high; readable in grey print too.
SCORE_PALETTE = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
MISSING_COLOUR = "#e0e0e0"
MISSING_LABEL = "결측 (no data)"
QUANTILE_NOTE = "분위 구간 (quantile classes), 짙을수록 높음"
SCORE_LAYERS = (*DIMENSIONS, "composite")
COMPOSITE_NAMES = ("종합점수", "Composite score")
# How directly a dimension is measured (the ``quality`` column of coverage.csv), in Korean.
QUALITY_KO = {"direct measures": "직접 측정", "partly proxies": "일부 대리지표", "proxies only": "대리지표만",
              "weak proxies only": "약한 대리지표만"}


@dataclass(frozen=True)
class MapLayer:
    key: str
    title_ko: str
    title_en: str
    classes: pd.Series  # per unit (index = code): index into colours/labels, -1 = no data
    colours: list[str]
    labels: list[str]
    # Quantile class boundaries that fall inside a tie of scores: the legends say so.
    ties: tuple[BoundaryTie, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """The legend's notes (Korean, English beside)."""
        return tuple(tie.text() for tie in self.ties)

    def counts(self) -> list[int]:
        return [int((self.classes == i).sum()) for i in range(len(self.colours))]

    def missing(self) -> int:
        return int((self.classes < 0).sum())

    def colour_of(self) -> pd.Series:
        lookup = dict(enumerate(self.colours))
        return self.classes.map(lambda k: lookup.get(k, MISSING_COLOUR))


_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def legend_spec(layer: MapLayer) -> dict[str, Any]:
    """A layer's legend as plain data: what map.html draws, and what explore() draws from this."""
    rows = [{"colour": c, "label": label, "count": n}
            for i, (c, label, n) in enumerate(zip(layer.colours, layer.labels, layer.counts()))
            # map.html hides the unclassified entry of the type layer when no region has it.
            if not (layer.key == "type" and n == 0 and i == len(layer.labels) - 1)]
    if layer.missing():
        rows.append({"colour": MISSING_COLOUR, "label": MISSING_LABEL, "count": layer.missing()})
    note = QUANTILE_NOTE if layer.key in SCORE_LAYERS else ""
    return {"title": f"{layer.title_ko} ({layer.title_en})", "note": note, "rows": rows}


def type_colours(types: Sequence[Mapping[str, Any]], unclassified: str) -> dict[str, str]:
    """A colour per type key: the type's ``colour`` from the config, else the palette's next."""
    colours = {}
    for i, spec in enumerate(types):
        colour = spec.get("colour") or TYPE_PALETTE[i % len(TYPE_PALETTE)]
        # The colour reaches CSS, SVG and matplotlib: only a plain hex colour is accepted.
        if not isinstance(colour, str) or not _HEX.match(colour):
            raise TypologyError(f"config key typology.types[{i}].colour: expected a hex colour such as '#1b9e77', "
                                f"got {colour!r}")
        colours[spec["key"]] = colour
    colours[unclassified] = UNCLASSIFIED_COLOUR
    return colours


def type_layer(table: pd.DataFrame, typology: TypologySettings) -> MapLayer:
    specs = [*typology.types, typology.unclassified]
    colours = type_colours(typology.types, typology.unclassified["key"])
    order = {spec["key"]: i for i, spec in enumerate(specs)}
    classes = table.set_index("code")["type"].map(order).fillna(-1).astype(int)
    return MapLayer("type", "유형", "Type", classes, [colours[s["key"]] for s in specs],
                    [f"{s['name_ko']} ({s['name_en']})" for s in specs])


def quantile_classes(values: pd.Series, n: int = len(SCORE_PALETTE)) -> tuple[pd.Series, np.ndarray]:
    """Classes by quantile (n-iles), merging classes whose edges coincide (tied scores).

    Quantiles, not fixed cut-offs, so the legend reads the same whatever the normalisation.
    Classes are closed on the left, [lo, hi), the last one on both sides.
    """
    # Not mapclassify.Quantiles (2.10), which cannot match on the bundled data. Its edges come from
    # scipy's scoreatpercentile and differ from np.quantile's by up to 7e-16 (economy score), which
    # moves no unit there. But its classes are closed on the right, (lo, hi], and it keeps a class
    # that ties leave empty: on the institution score, where 180 of 228 units tie at exactly the
    # 20th and 40th percentile (-0.3632), it gives counts 182/0/46 (the tie joins the two lowest
    # units, and an empty class takes a colour and a legend entry); this gives 2/180/46. map.html,
    # map_dimensions.png and maps.pdf would change for every bundled config.
    seen = values.dropna()
    if seen.empty:
        return pd.Series(-1, index=values.index, dtype=int), np.array([])
    edges = np.unique(np.quantile(seen.to_numpy(dtype=float), np.linspace(0, 1, n + 1)))
    if len(edges) == 1:
        edges = np.array([edges[0], edges[0]])
    inner = edges[1:-1]
    classes = pd.Series(np.searchsorted(inner, values.to_numpy(dtype=float), side="right"), index=values.index)
    classes[values.isna()] = -1
    return classes.astype(int), edges


def _spread(palette: list[str], k: int) -> list[str]:
    if k == 1:
        return [palette[len(palette) // 2]]
    return [palette[int(round(i))] for i in np.linspace(0, len(palette) - 1, k)]


def score_layer(key: str, values: pd.Series, title_ko: str, title_en: str) -> MapLayer:
    classes, edges = quantile_classes(values)
    k = max(len(edges) - 1, 0)
    labels = [f"{edges[i]:+.2f} ~ {edges[i + 1]:+.2f}" for i in range(k)]
    return MapLayer(key, title_ko, title_en, classes, _spread(SCORE_PALETTE, k) if k else [], labels,
                    tuple(boundary_ties(values, np.linspace(0, 1, len(SCORE_PALETTE) + 1)[1:-1])))


# Share of Monte Carlo replicates giving the nominal type (typology uncertainty): red = shaky, blue = solid.
PROBABILITY_EDGES = (0.5, 0.75, 0.9, 1.0)
PROBABILITY_PALETTE = ["#d7191c", "#fdae61", "#ffffbf", "#abd9e9", "#2c7bb6"]
PROBABILITY_LABELS = ["< 50%", "50–75%", "75–90%", "90–<100%", "100%"]


def probability_layer(values: pd.Series) -> MapLayer:
    """Fixed classes of a probability, so the legend reads the same in every run."""
    classes = pd.Series(np.searchsorted(PROBABILITY_EDGES, values.to_numpy(dtype=float), side="right"),
                        index=values.index)
    classes[values.isna()] = -1
    return MapLayer("type_probability", "명목 유형 확률", "Probability of the nominal type", classes.astype(int),
                    PROBABILITY_PALETTE, PROBABILITY_LABELS)


def build_layers(table: pd.DataFrame, settings: RunSettings,
                 dimension_names: dict[str, tuple[str, str]]) -> list[MapLayer]:
    """The type layer, one layer per dimension score, the composite, and (after typology uncertainty) the type
    probability, in that order."""
    scores = table.set_index("code")
    layers = [type_layer(table, settings.typology)]
    for key in SCORE_LAYERS:
        name_ko, name_en = dimension_names.get(key, COMPOSITE_NAMES)
        layers.append(score_layer(key, scores[key], name_ko, name_en))
    if "mc_type_probability" in scores:  # a run of typology uncertainty
        layers.append(probability_layer(scores["mc_type_probability"]))
    return layers
