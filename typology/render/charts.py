"""Shared matplotlib helpers for the notebook charts: Hangul fonts and the label language.

Charts are drawn on ``matplotlib.figure.Figure`` objects (no pyplot state), so building
one never opens a window or leaks a global figure. The font is the one the static maps use
(``fonts.hangul_family``: NanumGothic from the koreanize-matplotlib wheel, registered with
matplotlib by file), so a chart renders Hangul whatever fonts the system or matplotlib's font
cache knows. Only when no Hangul font can be found at all are labels English: a chart of empty
boxes helps nobody.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

LANGS = ("ko", "en")
MISSING_COLOUR = "#bbbbbb"


def hangul_font() -> str | None:
    """The family of the bundled Hangul font (registered with matplotlib), or None if there is none."""
    from ..errors import TypologyError
    from .fonts import hangul_family

    try:
        return hangul_family()
    except TypologyError:
        return None


def chart_lang(lang: str | None) -> str:
    """'ko' or 'en'; ``None`` picks Korean when a Hangul font is installed."""
    if lang is None:
        return "ko" if hangul_font() else "en"
    if lang not in LANGS:
        from ..errors import TypologyError

        raise TypologyError(f"lang {lang!r}: expected one of {', '.join(LANGS)}")
    return lang


def hangul_context() -> AbstractContextManager[str] | None:
    """``fonts.hangul_rc()`` when a Hangul font is found (bundled or system), else None."""
    from .fonts import hangul_rc

    return hangul_rc() if hangul_font() else None


@contextmanager
def style() -> Iterator[None]:
    """rcParams for one chart: a Hangul font first (others as per-glyph fallback)."""
    import matplotlib

    font = hangul_font()
    params = {"axes.unicode_minus": False, "figure.dpi": 100}
    if font:
        params["font.family"] = [font, "DejaVu Sans"]
    with matplotlib.rc_context(params):
        yield


def new_figure(width: float, height: float):  # -> matplotlib.figure.Figure
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def figure_png(fig) -> bytes:
    """PNG bytes of a figure (for RunResult.figures or saving)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    return buf.getvalue()
