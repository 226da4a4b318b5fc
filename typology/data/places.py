"""The vocabulary of the unit tables: code systems, the places a code or name can denote, and
the bundled unit and 시도 tables (``units`` builds the matcher on them)."""

from __future__ import annotations

import re
from collections import namedtuple
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import pandas as pd

from .. import paths
from ..errors import TypologyError

UNIT_COLUMNS = [
    "code", "name_ko", "name_en", "sido_code", "sido_ko", "sido_en", "kind",
    "code_std5_pre2023", "code_std5", "code10", "aliases",
]
SUB_UNIT_COLUMNS = ["parent_code", "sido", "name", "kostat_code", "std5_pre2023", "std5", "code10",
                    "valid_from", "valid_to", "source"]

# The three code systems a table may name units in: KOSTAT (5 digits, the key), 행정표준코드 (std5, 5),
# and 행정기관코드 (code10, 10). The one list: config checks, the matcher and region lookup read it.
CODE_SYSTEMS = ("kostat", "std5", "code10")
# A change of name or status keeps the territory: the old name is simply another name of the
# unit. A merger or abolition changes it: the old place is a predecessor, harmonised or reported.
IDENTITY_CHANGES = {"rename", "reclassify", "move_sido"}
TERRITORIAL_CHANGES = {"merge", "abolish"}
# 2026: 시도 merged with their 시군구 unchanged (전남광주통합특별시); 시군구 given new codes only;
# 구 formed from parts of several units (인천's 제물포구, 영종구, 검단구, 서해구), which match no unit.
SIDO_MERGER, RECODE, REORGANISE = "merge_sido", "recode", "reorganise"
GROUP = "+"  # the code of a merged 시도: its members' codes joined (e.g. 24+36)
NATION_NAMES = {"전국", "합계", "총계", "계", "소계", "전체", "계(전국)", "whole country", "total"}
_SPACE = re.compile(r"\s+")


def norm(name: object) -> str:
    """Spelling-insensitive key: 2010-era files write 일반구 without a space."""
    return _SPACE.sub("", str(name)) if isinstance(name, str) else ""


def unit_code_from_localgov(code: object) -> str | None:
    """The crosswalk writes 세종 as 29 and 제주 as 39; units use 5 digits."""
    text = str(code).strip()
    if text in ("", "nan", "None"):
        return None
    text = text.split(".")[0]
    if text == "29":
        return "29010"
    if text == "39":
        return "39000"
    return text.zfill(5)


def rows_of(frame: pd.DataFrame) -> list[Any]:
    """``list(frame.itertuples())``, the same named tuples, read column by column.

    Iterating a frame's rows steps through each string column one cell at a time, which is slow
    for pandas' string arrays; a column's ``tolist`` gives the same Python values at once.
    """
    row = namedtuple("Pandas", ["Index", *map(str, frame.columns)], rename=True)
    columns = [column.tolist() for _, column in frame.items()]
    return [row(*cells) for cells in zip(frame.index.tolist(), *columns)]


def _date(text: object) -> date | None:
    text = str(text or "").strip()
    return date.fromisoformat(text) if text else None


@lru_cache(maxsize=1)
def load_units() -> pd.DataFrame:
    path = paths.require(paths.UNITS, "unit table")
    units = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in UNIT_COLUMNS if c not in units.columns]
    if missing:
        raise TypologyError(f"{path}: missing columns {missing}")
    if units["code"].duplicated().any():
        dup = units.loc[units["code"].duplicated(), "code"].tolist()
        raise TypologyError(f"{path}: duplicate unit codes {dup}")
    return units


@lru_cache(maxsize=1)
def load_sido() -> pd.DataFrame:
    return pd.read_csv(paths.require(paths.SIDO, "시도 table"), dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class Place:
    """What a code or a name denotes.

    kind: ``unit`` (a 자치단체), ``part`` (일반구 or 행정시 of ``parent``), ``predecessor`` (a
    place merged or abolished into ``unit`` on ``change_date``), ``sido`` or ``nation`` (totals).
    """

    key: str
    kind: str
    label: str
    unit: str | None = None
    parent: str | None = None
    change_date: date | None = None
    change: str = ""
    comparable: bool = True
    note: str = ""


@dataclass(frozen=True)
class _Entry:
    place: Place
    valid_from: date | None = None
    valid_to: date | None = None

    def holds(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on < self.valid_to)

    @property
    def bounded(self) -> bool:
        return self.valid_from is not None or self.valid_to is not None
