"""A font with Hangul for the static maps and charts.

matplotlib's default font (DejaVu Sans) has no Hangul, so Korean titles would print as empty
boxes. The font comes from the ``koreanize-matplotlib`` wheel (NanumGothic, SIL OFL), so every
machine draws with the same font and the outputs do not depend on what the OS has; a system
Hangul font (Debian's fonts-nanum, Noto CJK, 맑은 고딕) is the fallback.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from ..errors import TypologyError

FONT_PACKAGE = "koreanize_matplotlib"
FONT_FILE = "NanumGothic.ttf"
SYSTEM_FAMILIES = ("NanumGothic", "Noto Sans CJK KR", "Noto Sans KR", "Malgun Gothic", "Apple SD Gothic Neo",
                   "AppleGothic", "UnDotum")
HANGUL_PROBE = "가힣울릉군"


def covers_hangul(path: Path) -> bool:
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(str(path)).get_charmap()
    return all(ord(ch) in charmap for ch in HANGUL_PROBE)


def _package_font() -> Path | None:
    # find_spec locates the wheel without importing it: importing it would change matplotlib's
    # global settings (and it needs distutils, gone in Python 3.12).
    spec = importlib.util.find_spec(FONT_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "fonts" / FONT_FILE
        if path.is_file():
            return path
    return None


def _system_font() -> Path | None:
    from matplotlib import font_manager

    for family in SYSTEM_FAMILIES:
        try:
            found = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        if covers_hangul(Path(found)):
            return Path(found)
    return None


@cache
def hangul_font_path() -> Path:
    path = _package_font() or _system_font()
    if path is None or not covers_hangul(path):
        raise TypologyError(
            "static maps: no font with Hangul found; install the 'koreanize-matplotlib' package (a dependency of "
            "typology) or a system font such as Debian's fonts-nanum, or set output.static_maps: false"
        )
    return path


@cache
def hangul_family() -> str:
    """Register the Hangul font with matplotlib and return its family name."""
    from matplotlib import font_manager

    path = hangul_font_path()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


@contextmanager
def hangul_rc() -> Iterator[str]:
    """matplotlib settings for Korean text: the Hangul font, a real minus sign, fonts embedded in PDFs."""
    import matplotlib

    family = hangul_family()
    with matplotlib.rc_context({"font.family": [family, "DejaVu Sans"], "axes.unicode_minus": False,
                                "pdf.fonttype": 42, "svg.fonttype": "path", "svg.hashsalt": "typology",
                                "path.simplify": True}):
        yield family
