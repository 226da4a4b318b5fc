"""Figures: Korean labels with English beside, titles that say what is shown, no overlapping labels,
named colour bars on the notebook maps."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import re

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from typology import TypologyError
from typology.api.loaders import from_run
from typology.render.charts import hangul_context
from typology.render.type_sections import k_figure
from typology.render.uncertainty_report import rank_interval_figure, rank_interval_png, spread_labels, text_box
from typology.uncertainty.analysis import analyse

from .typology_synth import CATALOG, TYPES, planted, typology

HANGUL = re.compile(r"[가-힣]")


def overlapping(boxes: list) -> list[tuple[int, int]]:
    return [(a, b) for a, b in itertools.combinations(range(len(boxes)), 2) if boxes[a].overlaps(boxes[b])]


@pytest.fixture(scope="module")
def font():
    if hangul_context() is None:
        pytest.skip("no Hangul font")
    return hangul_context  # a context manager serves once: a new one per use


@pytest.fixture(scope="module")
def uncertain(default_run):
    config = copy.deepcopy(default_run.config)
    config["uncertainty"].update({"n": 60, "backend": "sequential"})
    result = dataclasses.replace(default_run, config=config)
    return result, analyse(result)


def test_overlap_check_can_fail_and_spreading_fixes_it():
    fig = Figure(figsize=(4, 3))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_xlim(0, 100)
    labels = [ax.annotate(f"label {i}", (50 + i * 0.1, 0.5), xytext=(0, -3), textcoords="offset points",
                          rotation=90, va="top", ha="center", arrowprops={"arrowstyle": "-"}) for i in range(5)]
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    assert overlapping([text_box(t, renderer) for t in labels])  # five names on nearly one point
    spread_labels(fig, labels, [])
    fig.draw_without_rendering()
    assert overlapping([text_box(t, renderer) for t in labels]) == []


def test_rank_interval_labels_do_not_overlap(font, uncertain):
    result, unc = uncertain
    with font():
        fig = rank_interval_figure(result, unc)
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        names = list(ax.texts)
        assert len(names) == 10 and all(HANGUL.search(t.get_text()) for t in names)
        boxes = [text_box(t, renderer) for t in names] + [ax.get_legend().get_window_extent(renderer),
                                                          ax.title.get_window_extent(renderer)]
        assert overlapping(boxes) == []
        title = ax.get_title()
        assert "순위 구간" in title and "rank intervals" in title and "60" in title
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert any("사회주도형" in t and "Society-led" in t for t in legend)
        # the type colours are the config's, by key
        config = copy.deepcopy(result.config)
        config["typology"]["types"][1]["colour"] = "#123456"
        recoloured = rank_interval_figure(dataclasses.replace(result, config=config), unc)
        dots = [c for c in recoloured.axes[0].collections if c.get_label() and "자원결합형" in c.get_label()]
        assert len(dots) == 1 and to_hex(dots[0].get_facecolor()[0]) == "#123456"
    assert rank_interval_png(result, unc) == rank_interval_png(result, unc)


def test_k_selection_figure_is_korean_and_english(font):
    scores, _ = planted(n_per=5)
    config = typology("kmeans", k="auto", k_range=[2, 4], types=TYPES)
    from typology.typologies.classify import classify

    table = classify(scores, config, CATALOG).tables["k_selection"]
    with font():
        fig = k_figure(table, 3, "kmeans")
        titles = [ax.get_title() for ax in fig.axes]
        assert all(HANGUL.search(t) and re.search(r"[A-Za-z]{4}", t) for t in titles)
        suptitle = fig.get_suptitle()
        assert "군집 수 k" in suptitle and "number of clusters k" in suptitle
        assert all("(number of clusters)" in ax.get_xlabel() for ax in fig.axes)
        FigureCanvasAgg(fig)
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        boxes = [ax.title.get_window_extent(renderer) for ax in fig.axes] + [fig._suptitle.get_window_extent(renderer)]
        assert overlapping(boxes) == []
    english = k_figure(table, 3, "kmeans", korean=False)
    assert not any(HANGUL.search(ax.get_title()) for ax in english.axes)


def colour_bar_label(fig) -> str:
    bars = [ax for ax in fig.axes[1:]]
    assert len(bars) == 1
    return bars[0].get_ylabel()


def test_score_maps_have_their_own_title_and_a_named_colour_bar(default_run):
    res = from_run(default_run)
    type_title = res.plot(lang="en").axes[0].get_title()
    fig = res.plot("composite", lang="en")
    assert fig.axes[0].get_title().startswith("Composite score") and fig.axes[0].get_title() != type_title
    assert colour_bar_label(fig) == "Composite score"
    economy = res.plot("economy", lang="ko")
    name = res.dimension_name("economy", "ko")
    assert economy.axes[0].get_title().startswith(f"{name} 점수") and colour_bar_label(economy) == f"{name} 점수"
    frame = res.frame.assign(stability=0.5)
    shown = dataclasses.replace(res, frame=frame)
    own = shown.plot("stability", lang="en", title="Share of variants keeping the type", label="share")
    assert own.axes[0].get_title() == "Share of variants keeping the type" and colour_bar_label(own) == "share"
    assert shown.plot("stability", lang="en").axes[0].get_title().startswith("stability")
    with pytest.raises(TypologyError, match="no column 'nope'"):
        res.plot("nope")


def test_alluvial_takes_the_given_type_colours():
    import pandas as pd
    from matplotlib.patches import Rectangle

    from typology.api.transitions import alluvial

    types = pd.DataFrame({2015: ["S", "R", "R"], 2020: ["R", "R", "S"]})
    fig = alluvial(types, ["S", "R"], colours={"R": "#123456"})  # by key, whatever the order
    fills = {to_hex(p.get_facecolor()) for p in fig.axes[0].patches if isinstance(p, Rectangle)}
    assert "#123456" in fills
    again = alluvial(types[[2020]].assign(x=["R", "R", "R"]), ["S", "R"], colours={"R": "#123456"})
    assert {to_hex(p.get_facecolor()) for p in again.axes[0].patches if isinstance(p, Rectangle)} >= {"#123456"}
