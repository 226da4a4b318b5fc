"""render/static_split.py: the PNGs drawn in a forked copy while the PDF is written give the bytes
drawn one after the other, and a copy that fails or dies is one error line."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from typology.errors import TypologyError
from typology.render import static_split
from typology.render.layers import build_layers
from typology.render.static_maps import FigureFrames, frame_for, render_static_maps
from typology.render.webmap import dimension_names

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the split draws only on Linux")
DPI = 50


@pytest.fixture(scope="module")
def request_(default_run):
    from typology.data.geometry import attach, load_unit_geometry

    table = default_run.table()
    frames = FigureFrames.of(frame_for(attach(table, load_unit_geometry())))
    return frames, build_layers(table, default_run.settings, dimension_names(default_run)), default_run.config


@pytest.fixture
def forks(monkeypatch):
    """Let the split fork here (a test process may run helper threads) and count its forks."""
    calls = []
    real = os.fork

    def counted() -> int:
        calls.append(1)
        return real()

    monkeypatch.setattr(static_split, "can_fork", lambda: True)
    monkeypatch.setattr(static_split.os, "fork", counted)
    return calls


def test_split_files_are_the_bytes_drawn_one_after_the_other(request_, forks):
    frames, layers, config = request_
    split = static_split.render_split(frames, layers, config, DPI)
    assert forks == [1]
    assert list(split) == ["map_type.png", "map_dimensions.png", "maps.pdf"]
    assert split == render_static_maps(frames, layers, config, DPI)


def test_an_error_in_the_copy_is_one_line(request_, forks, monkeypatch):
    def broken(figures, dpi):
        raise ValueError("no pixels\nsecond line")

    monkeypatch.setattr(static_split, "png_files", broken)
    with pytest.raises(TypologyError) as info:
        static_split.render_split(*request_, DPI)
    assert str(info.value) == "static maps: ValueError: no pixels"


def test_a_copy_that_dies_is_reported_with_its_exit_code(request_, forks, monkeypatch):
    monkeypatch.setattr(static_split, "png_files", lambda figures, dpi: os._exit(3))
    with pytest.raises(TypologyError, match=r"^static maps: the process drawing the PNGs ended without an answer "
                                            r"\(exit code 3;"):
        static_split.render_split(*request_, DPI)


def test_no_fork_while_another_thread_runs(request_, monkeypatch):
    calls = []
    monkeypatch.setattr(static_split.os, "fork", lambda: calls.append(1) or 0)  # would run the copy's code here
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not static_split.can_fork()
        files = static_split.render_split(*request_, DPI)
    finally:
        stop.set()
        other.join()
    assert calls == []
    assert sorted(files) == ["map_dimensions.png", "map_type.png", "maps.pdf"]
