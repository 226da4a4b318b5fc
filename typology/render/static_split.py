"""The static maps drawn with their PNGs and their PDF at the same time, in two processes.

Drawing a map is mostly Python and holds the GIL, so two threads would only take turns. Once the
figures are built and laid out (``lay_out``: the constrained layout the PNG save would compute, at
the PNGs' dpi, without the pixels), the maps process forks: the copy rasterises the two PNGs while
the original writes the PDF. Both draw the same laid-out figure objects, so the files are the same
bytes as ``render_static_maps`` draws one after the other (tests/test_static_split.py), and the
layout is computed once, not in each process. On the default run that takes the longer
of the two (the PDF) instead of their sum off the run's critical path.

``fork`` is used only where it is safe: on Linux and in a process with no other thread running
(the maps process, once it has read its request). Elsewhere (Windows has no fork; on macOS, system
frameworks that matplotlib's backends may load are not fork-safe) the maps are drawn one after
the other, as the same files.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from typing import Any, NoReturn

from ..errors import TypologyError, one_line
from .layers import MapLayer
from .static_maps import FigureFrames, lay_out, map_figures, pdf_file, png_files, render_static_maps


def can_fork() -> bool:
    """Whether this process may draw the PNGs in a forked copy of itself."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


def render_split(frames: FigureFrames, layers: list[MapLayer], config: dict[str, Any], dpi: int) -> dict[str, bytes]:
    """The files of ``render_static_maps(frames, layers, config, dpi)``, with the PNGs drawn in a forked copy.

    Parameters
    ----------
    frames : FigureFrames
        The units' frames, simplified for each figure.
    layers : list of MapLayer
        The type layer and the four dimension layers.
    config : dict
        The run's config (the titles).
    dpi : int
        The PNGs' resolution; the PDF's text is laid out at it too.

    Returns
    -------
    dict
        map_type.png, map_dimensions.png and maps.pdf, file name → bytes.
    """
    if not can_fork():
        return render_static_maps(frames, layers, config, dpi)
    from .fonts import hangul_rc

    with hangul_rc():
        figures = map_figures(frames, layers, config)
        lay_out(figures, dpi)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            _draw_pngs(figures, dpi, read_end, write_end)
        os.close(write_end)
        try:
            pdf = pdf_file(figures)
        finally:
            # Also when the PDF failed: the copy is always waited for, and its error, as the first
            # drawn one after the other, is the one reported.
            pngs = _pngs_from(pid, read_end)
    return {**pngs, **pdf}


def _draw_pngs(figures: dict[str, Any], dpi: int, read_end: int, write_end: int) -> NoReturn:
    # The forked copy: its answer goes through the pipe only. os._exit, because nothing of the
    # original's (its buffered streams, its atexit handlers) may run twice.
    code = 1
    try:
        os.close(read_end)
        try:
            answer: tuple[str, Any] = ("ok", png_files(figures, dpi))
        except BaseException as exc:  # noqa: BLE001 - every failure goes back as one line
            answer = ("error", one_line(exc))
        with os.fdopen(write_end, "wb") as out:
            out.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))
        code = 0
    finally:
        os._exit(code)


def _pngs_from(pid: int, read_end: int) -> dict[str, bytes]:
    with os.fdopen(read_end, "rb") as source:
        data = source.read()
    _, status = os.waitpid(pid, 0)
    try:
        kind, value = pickle.loads(data)
    except Exception:  # noqa: BLE001 - a copy that died before or while answering
        raise TypologyError(f"static maps: the process drawing the PNGs ended without an answer "
                            f"(exit code {os.waitstatus_to_exitcode(status)}; out of memory or killed?)") from None
    if kind != "ok":  # the line the maps process gives for the same error drawn one after the other
        raise TypologyError(f"static maps: {value}")
    return value
