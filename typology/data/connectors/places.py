"""Names of local governments as the APIs write them, assigned to units; the fetched long table.

Every connector matches by name through the project's matcher (units.RegionMatcher), so former
names ("강원도 평창군", "인천광역시 남구") find today's unit. A 시도 alone is not a unit and is
set aside, except 세종특별자치시 and 제주특별자치도, which are units here; a 일반구 or 행정시
("경기도 수원시 장안구", "제주특별자치도 제주시") belongs to its unit. Every name set aside is kept
with its reason so that the command can list it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ...core.ownership import write_owned_csv
from ..places import load_units, norm
from ..units import RegionMatcher, matcher

LONG_COLUMNS = ["code", "year", "variable", "value", "source_id"]


@dataclass
class Assigner:
    """Assigns (시도, 시군구) names to unit codes and remembers what it set aside, and why."""

    match: RegionMatcher = field(default_factory=matcher)
    aside: Counter = field(default_factory=Counter)

    def unit(self, sido: str, name: str) -> str | None:
        sido, name = str(sido or "").strip(), str(name or "").strip()
        if norm(name) == norm(sido):
            name = ""  # "세종특별자치시 세종특별자치시": the 시도 itself
        place = self.match.resolve_name(sido, name)
        label = f"{sido} {name}".strip()
        if place is None:
            self.aside[(label, "no unit of this name")] += 1
            return None
        if place.kind == "unit":
            return place.unit
        if place.kind == "sido":
            self.aside[(label, "시도 (not a unit)")] += 1
        elif place.kind == "part":
            # A 일반구 or 행정시 is part of its unit: its organisations and amounts belong to the unit.
            return self.match.final_unit(place)
        else:
            self.aside[(label, f"{place.kind}: {place.note or place.change or 'not a unit today'}")] += 1
        return None

    def joined(self, text: str, sido_hint: str = "") -> str | None:
        """A name with 시도 and 시군구 joined without a space ("서울종로구"), as 지방재정365 writes it."""
        key = norm(text)
        sido = self.match.sido_code(sido_hint) if sido_hint else None
        for sido_name in self._sido_names(sido):
            if key.startswith(norm(sido_name)):
                return self.unit(sido_name, key[len(norm(sido_name)):])
        self.aside[(text, "no 시도 name at its start")] += 1
        return None

    def _sido_names(self, sido_code: str | None) -> list[str]:
        names = []
        for row in self.match.sido.itertuples():
            if sido_code and row.sido_code != sido_code:
                continue
            names += [row.sido_ko, row.sido_short, *filter(None, row.aliases.split(";"))]
        return sorted({n for n in names if n}, key=len, reverse=True)  # longest first: 경상북도 before 경상

    def report(self) -> list[dict[str, object]]:
        return [{"name": name, "reason": reason, "rows": n} for (name, reason), n in sorted(self.aside.items())]

    def summary(self, limit: int = 8) -> str:
        rows = self.report()
        if not rows:
            return ""
        shown = "; ".join(f"{r['name']} ({r['reason']})" for r in rows[:limit])
        more = f"; and {len(rows) - limit} more" if len(rows) > limit else ""
        return f"{len(rows)} names not assigned to a unit: {shown}{more}"


def all_unit_codes() -> list[str]:
    return sorted(load_units()["code"])


def write_long(frame: pd.DataFrame, path: Path, force: bool = False) -> None:
    """The long table at ``path``, under the one rule of ``core.ownership`` (the tool's own file, or ``force``)."""
    frame = frame[LONG_COLUMNS].sort_values(["variable", "code", "year"], kind="stable").reset_index(drop=True)
    write_owned_csv(frame, path, force=force, bom=True)
