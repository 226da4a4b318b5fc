"""The blocks of report.html: one per section, and the figures placed in the section they belong to.

A block is an anchor, a heading and its content, all HTML built from escaped parts (a ``Section``
arrives escaped by contract). Figures are PNG bytes, inlined as data URIs with a caption in Korean
and English.
"""

from __future__ import annotations

import base64
import html
from typing import NamedTuple

from markupsafe import Markup

from ..core.result import RunResult

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
esc = html.escape


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


class Block(NamedTuple):
    """One section of the page: its anchor, its heading and its content (both HTML)."""

    id: str
    heading: Markup
    html: Markup


def make_block(bid: str, heading: str, content: str) -> Block:
    # Markup: headings and contents are built here, or by a Section, from escaped parts.
    return Block(bid, Markup(heading), Markup(content))


FIGURES = {  # figure name -> (the section it belongs to, caption in Korean, in English)
    "k_selection": ("k_selection", "군집 수 k별 군집 품질 지표; 빨간 점선이 고른 k",
                    "cluster-quality indices by k; the dashed line marks the chosen k"),
    "rank_intervals": ("uncertainty", "지역별 종합점수 순위 구간: 선 = 몬테카를로 순위 구간, 점 = 중앙 순위 (색 = 명목 "
                       "유형), 검은 눈금 = 명목 순위; 이름은 구간이 가장 넓은 지역",
                       "each region's composite-rank interval (line), median rank (dot, coloured by nominal type) "
                       "and nominal rank (black tick); the widest intervals are named"),
    "sensitivity": ("uncertainty", "선택별 민감도 지수 (1차·총 효과, 막대 끝 = 95% 부트스트랩 구간)",
                    "sensitivity indices per choice (first order and total effect, with 95% bootstrap intervals)"),
}


def _figure(name: str, png: bytes) -> str:
    if not png.startswith(PNG_MAGIC):
        raise ValueError(f"RunResult.figures[{name!r}] is not PNG bytes")
    _, ko, en = FIGURES.get(name, ("", name, name))
    caption = esc(ko) if ko == en else f"{esc(ko)} <span class=en>({esc(en)}; {esc(name)}.png)</span>"
    return (f"<figure><img alt=\"{esc(ko)}\" src=\"{data_uri(png)}\">"
            f"<figcaption>{caption}</figcaption></figure>")


def extras_html(result: RunResult, merged: dict[str, str] | None = None) -> tuple[list[Block], str]:
    """Sections and figures contributed by other steps: a block per section (with the figures that
    belong to it), and the HTML of figures that belong to no section. A section whose key is in
    ``merged`` is left out: the page shows it inside its own block of that id, under one heading."""
    merged = merged or {}
    keys = {s.key for s in result.sections}
    homes: dict[str, list[str]] = {}
    loose = []
    for name, png in sorted(result.figures.items()):
        home = FIGURES.get(name, ("",))[0]
        html_ = _figure(name, png)
        if home in keys:
            homes.setdefault(home, []).append(html_)
        else:
            loose.append(html_)
    sections = [make_block(f"section-{s.key}", f"{esc(s.title_ko)} <span class=en>({esc(s.title_en)})</span>",
                       s.html + "".join(homes.get(s.key, []))) for s in result.sections if s.key not in merged]
    return sections, "".join(loose)
