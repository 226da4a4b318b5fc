"""Region profiles: the numbers, the matplotlib chart and the inline SVG."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from typology.core.catalog import DIMENSIONS
from typology.errors import TypologyError
from typology.render.profiles import (
    profile_figure,
    profile_png,
    profile_svg,
    region_profile,
    region_profile_svgs,
    type_profile,
)


def test_profile_numbers_hand_checked(default_run, default_table):
    profile = region_profile(default_run, "37430")  # 울릉군
    row = default_table.set_index("code").loc["37430"]
    members = default_table[default_table["type"] == row["type"]]
    for dim in DIMENSIONS:
        assert profile.at[dim, "region"] == pytest.approx(row[dim])
        assert profile.at[dim, "type_centroid"] == pytest.approx(members[dim].mean())
        assert profile.at[dim, "national_mean"] == pytest.approx(default_table[dim].mean())
    # z-scores: national mean 0 (civic has no missing cell; economy's mean moves with 세종's missing net migration)
    assert abs(profile.at["civic", "national_mean"]) < 1e-9
    assert list(profile["name_ko"]) == ["지역경제상황", "시민참여기반", "참여제도기반", "지방정부역량"]


def test_type_profile_brackets_its_centroid(default_run):
    profile = type_profile(default_run, "society_led")
    assert (profile["member_min"] <= profile["type_centroid"]).all()
    assert (profile["type_centroid"] <= profile["member_max"]).all()


def test_unknown_region_is_a_clear_error(default_run):
    with pytest.raises(TypologyError, match="'99999'"):
        region_profile(default_run, "99999")


def test_profile_figure_and_png(default_run):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing Hangul glyph would warn
        fig = profile_figure(default_run, "11020")
        png = profile_png(default_run, "11020")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "지역경제상황 (economy)", "시민참여기반 (civic)", "참여제도기반 (institution)", "지방정부역량 (capacity)"]
    assert ax.get_title() == "지역 프로필 · region profile: 중구 (서울특별시) · 자원결합형"
    assert png.startswith(b"\x89PNG") and len(png) > 5_000


def test_svgs_for_every_region_escape_their_text(default_run):
    svgs = region_profile_svgs(default_run)
    assert len(svgs) == 228 and all(s.startswith("<svg") and s.endswith("</svg>") for s in svgs.values())
    data = region_profile(default_run, "11010")
    data.loc["economy", "name_ko"] = "<b>x</b>"
    svg = profile_svg(data, '"<script>', "#000", (-2, 2))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;x&lt;/b&gt;" in svg


def test_svg_positions_follow_the_values(default_run):
    data = region_profile(default_run, "11010")
    data["region"] = [-2.0, 0.0, 2.0, np.nan]  # synthetic values: left edge, centre, right edge, missing
    svg = profile_svg(data, "t", "#123456", (-2, 2))
    import re

    xs = [float(x) for x in re.findall(r'<circle cx="([\d.]+)" cy="[\d.]+" r="6"', svg)]
    assert xs == [112.0, 221.0, 330.0]
    assert "결측" in svg
