"""Find a unit from what a planner types: a Korean or English name, or a code.

Seven names are shared by units in different 시도 (중구 in six cities, 동구, 서구, 남구, 북구,
강서구, 고성군), so a bare name that fits several units is an error listing the candidates
with their 시도. A name may carry its 시도 in front ("서울 중구", "서울특별시 중구") or in
brackets after it ("중구 (부산광역시)", "중구(부산)"). Current names win over former ones;
former names and 일반구 ("인천 남구", "수원시 장안구") resolve through the administrative-change
table and the code crosswalk, as the data loader does.

A name none of these rules knows goes through ``search``: the match of map.html's search box
(every space-separated term occurs in the unit's Korean name, 시도, English name or code), so
``"Suncheon"`` or ``"중구 서울"`` find in a notebook what they find on the map.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from ..errors import TypologyError
from . import units
from .places import CODE_SYSTEMS, load_sido, load_units, norm

_BRACKETED = re.compile(r"^(?P<name>.+?)\s*[(（]\s*(?P<sido>[^()（）]+?)\s*[)）]\s*$")
_SUFFIXES = ("시", "군", "구")


def _key(text: str) -> str:
    return norm(text).lower()


def search_text(name_ko: str, sido_ko: str, name_en: str, code: str) -> str:
    """What the region search matches a query against: Korean name, 시도, English name and code, lower-cased.

    The one definition for every search: ``RegionIndex.search`` (``Results.region()``), ``explore()``
    and map.html, whose features carry this text as property ``q`` (render/webmap.py)."""
    return f"{name_ko} {sido_ko} {name_en} {code}".lower()


@dataclass(frozen=True)
class Candidate:
    code: str
    name_ko: str
    sido_ko: str

    def label(self) -> str:
        return f"{self.sido_ko} {self.name_ko} ({self.code})"


class RegionIndex:
    """Name and code lookup over the unit table (one instance per unit table)."""

    def __init__(self, unit_table: pd.DataFrame, sido_table: pd.DataFrame) -> None:
        self.units = unit_table.set_index("code", drop=False)
        self.sido_short = dict(zip(sido_table["sido_code"], sido_table["sido_short"]))
        self._names: dict[str, set[str]] = {}
        self._short: dict[str, set[str]] = {}
        self._search: dict[str, str] | None = None
        by_sido = unit_table.groupby("sido_code")["code"].apply(list).to_dict()
        for row in unit_table.itertuples():
            names = [row.name_ko, row.name_en, *filter(None, row.aliases.split(";"))]
            if len(by_sido[row.sido_code]) == 1:  # 세종, 제주: the 시도 name names the unit too
                sido = sido_table.set_index("sido_code").loc[row.sido_code]
                names += [sido["sido_ko"], sido["sido_short"], sido["sido_en"]]
            for name in names:
                self._names.setdefault(_key(name), set()).add(row.code)
            # "전주" for 전주시, "고성" for either 고성군: a short form, used only if nothing else fits.
            if row.name_ko.endswith(_SUFFIXES) and len(row.name_ko) > 2:
                self._short.setdefault(_key(row.name_ko[:-1]), set()).add(row.code)

    def candidate(self, code: str) -> Candidate:
        row = self.units.loc[code]
        return Candidate(code, row["name_ko"], row["sido_ko"])

    def label(self, code: str) -> str:
        """A short display label that is unique across units: '중구 (서울)'."""
        row = self.units.loc[code]
        if row["name_ko"] == row["sido_ko"]:
            return row["name_ko"]
        return f"{row['name_ko']} ({self.sido_short.get(row['sido_code'], row['sido_ko'])})"

    def resolve(self, query: object, system: str = "kostat") -> str:
        """The unit code for a name or code; TypologyError if none or several fit."""
        if isinstance(query, (int,)) and not isinstance(query, bool):
            query = str(query)
        if not isinstance(query, str) or not query.strip():
            raise TypologyError(f"region {query!r}: expected a unit name (e.g. '전주시', '서울 중구') or a code")
        text = query.strip()
        if text.isdigit():
            return self._by_code(text, system)
        codes = self._by_name(text)
        if len(codes) == 1:
            return next(iter(codes))
        if codes:
            options = sorted((self.candidate(c) for c in codes), key=lambda c: c.code)
            listed = "; ".join(c.label() for c in options)
            first = options[0]
            raise TypologyError(
                f"region {query!r} is ambiguous: {len(options)} units fit ({listed}); add the 시도, e.g. "
                f"'{self.sido_short_name(first.code)} {first.name_ko}' or '{first.name_ko} ({first.sido_ko})'"
            )
        found = self.search(text)
        if len(found) == 1:
            return found[0]
        if found:
            listed = "; ".join(self.candidate(c).label() for c in found[:10])
            more = f" and {len(found) - 10} more" if len(found) > 10 else ""
            raise TypologyError(f"region {query!r} fits {len(found)} units ({listed}{more}); give the full name, "
                                f"e.g. '{self.candidate(found[0]).name_ko}' with its 시도")
        close = difflib.get_close_matches(text, sorted(set(self.units["name_ko"])), n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise TypologyError(f"region {query!r}: no unit of that name or code{hint}")

    def search(self, text: str) -> list[str]:
        """Codes of the units the map's search box lists for ``text``, exact names first.

        Each space-separated term, lower-cased, must occur in the unit's search text (``search_text``:
        Korean name, 시도, English name and code, the fields map.html's box searches).
        """
        terms = text.strip().lower().split()
        if not terms:
            return []
        if self._search is None:
            self._search = {row.code: search_text(row.name_ko, row.sido_ko, row.name_en, row.code)
                            for row in self.units.itertuples(index=False)}
        query = " ".join(terms)
        hits = [c for c, key in self._search.items() if all(t in key for t in terms)]
        exact = [c for c in hits if str(self.units.at[c, "name_ko"]).lower() == query
                 or str(self.units.at[c, "name_en"]).lower() == query]
        return exact + [c for c in hits if c not in exact]

    def sido_short_name(self, code: str) -> str:
        row = self.units.loc[code]
        return self.sido_short.get(row["sido_code"], row["sido_ko"])

    def _by_code(self, text: str, system: str) -> str:
        if system not in CODE_SYSTEMS:
            raise TypologyError(f"code system {system!r}: expected one of {', '.join(CODE_SYSTEMS)}")
        if len(text) == 10:
            system = "code10"
        if system == "kostat" and text in self.units.index:
            return text
        found = units.matcher().match_code(text, system)
        if found is None:
            other = "" if system != "kostat" else (
                " (5-digit codes are read as KOSTAT codes; pass system='std5' for a 행정표준코드)")
            raise TypologyError(f"region {text!r}: no unit has this {system} code{other}")
        return found

    def _by_name(self, text: str) -> set[str]:
        match = _BRACKETED.match(text)
        if match:
            return self._in_sido(match["sido"], match["name"], text)
        head, _, rest = text.partition(" ")
        if rest and units.matcher().sido_code(head) is not None:
            found = self._in_sido(head, rest, text)
            if found:
                return found
        key = _key(text)
        if key in self._names:
            return set(self._names[key])
        former = self._former(text)
        if former:
            return former
        return set(self._short.get(key, set()))

    def _in_sido(self, sido: str, name: str, query: str) -> set[str]:
        sido_code = units.matcher().sido_code(sido)
        if sido_code is None:
            raise TypologyError(f"region {query!r}: {sido!r} is not a 시도 name (e.g. 서울, 부산광역시, 경기도)")
        in_sido = self.units["sido_code"] == sido_code
        key = _key(name)
        codes = {c for c in self._names.get(key, set()) | self._short.get(key, set()) if in_sido.get(c, False)}
        if len(codes) == 1:
            return codes
        former = units.matcher().match_name(sido, name)
        return {former} if former else codes

    def _former(self, name: str) -> set[str]:
        """Former names and 일반구, through the loader's matcher (one match per 시도).

        A unit abolished into a territory that is not comparable with it (연기군 → 세종) is
        refused rather than silently read as its successor.
        """
        matcher = units.matcher()
        changes = matcher.changes
        gone = changes[(changes["old_name"].map(_key) == _key(name)) & (changes["comparable"] == "no")
                       & (changes["change"] != "transfer_part")]
        for row in gone.itertuples():
            raise TypologyError(
                f"region {name!r}: {row.old_sido} {row.old_name} ended on {row.date} ({row.change} into "
                f"{row.new_name}, {row.new_code}) and its area is not comparable with any current unit"
            )
        return {code for sido in load_sido()["sido_ko"] if (code := matcher.match_name(sido, name))}


@lru_cache(maxsize=1)
def default_index() -> RegionIndex:
    return RegionIndex(load_units(), load_sido())


def resolve(query: object, system: str = "kostat") -> str:
    """Module-level shortcut: the unit code for a name or code (see ``RegionIndex.resolve``)."""
    return default_index().resolve(query, system)
