"""The administrative-change table, read into the region matcher's lookup tables.

Each row of ``boundaries/admin_changes.csv`` says what became of a place on a date: a rename or
a change of status keeps the territory (the old name becomes another name of the unit); a
merger or abolition makes the old place a predecessor, harmonised or reported; a part transfer
changes the area a place covered; 시도 mergers join their members under one group code; a 구
formed from parts of several units (2026) matches no unit. Kept apart from ``units``, which
answers the lookups, because this is the one part that interprets the history.
"""

from __future__ import annotations

from typing import Any

from .. import paths
from .places import (
    CODE_SYSTEMS,
    GROUP,
    IDENTITY_CHANGES,
    RECODE,
    REORGANISE,
    SIDO_MERGER,
    TERRITORIAL_CHANGES,
    Place,
    _date,
    _Entry,
    norm,
)


class ChangeReader:
    """The administrative changes of ``units.RegionMatcher`` (a mixin: it fills the matcher's tables).

    Run once, from ``RegionMatcher.__post_init__``, after the units, sub-units and crosswalk,
    since a change names places that those define.
    """

    def _add_changes(self) -> None:
        changes = self.changes
        rows = list(zip(changes.index + 2, changes.itertuples()))
        # a part transfer changes a place that other rows define (청원군), so it comes last
        rows = [r for r in rows if r[1].change != "transfer_part"] + [r for r in rows if r[1].change == "transfer_part"]
        merged: dict[str, tuple[str, list[str], str]] = {}
        for line, row in rows:
            if row.change == SIDO_MERGER:
                name, members, code = merged.get(norm(row.new_sido), (row.new_sido, [], ""))
                merged[norm(row.new_sido)] = (name, [*members, self.sido_code(row.old_sido) or row.old_code],
                                              code or row.new_code)
                if not row.new_code and row.new_sido not in " ".join(self._unverified_codes):
                    self._unverified_codes.append(f"{row.new_sido} ({row.date}; {paths.ADMIN_CHANGES.name} "
                                                  f"line {line})")
                continue
            if row.change == REORGANISE:
                self._add_reorganised(line, row)
                continue
            if row.change == RECODE and row.code_system in CODE_SYSTEMS:
                before = self._lookup(self._codes[row.code_system].get(row.old_code, []), None)
                if before is not None:
                    self._add_code(row.code_system, row.new_code, _Entry(before, _date(row.date), None))
                continue
            if row.code_system not in CODE_SYSTEMS:
                continue  # 시도 renames (std2) live in sido.csv as aliases and code prefixes
            target = self._lookup(self._codes[row.code_system].get(row.new_code, []), None)
            if target is None or target.kind != "unit":
                continue
            when = _date(row.date)
            old_sido = self.sido_code(row.old_sido)
            comparable = str(getattr(row, "comparable", "yes")).strip().lower() != "no"
            if row.change == "transfer_part":
                if comparable:
                    continue
                # The place keeps its name and code, but before the date it covered another area.
                before = self._lookup(self._codes[row.code_system].get(row.old_code, []), None)
                key = f"old:{old_sido}:{norm(row.old_name)}:{row.date}"
                place = self._places.get(key) or self._place(Place(
                    key, "predecessor", f"{row.old_sido} {row.old_name}",
                    unit=self.final_unit(before) if before else None, change_date=when, change=row.change,
                    comparable=False, note=f"{row.old_sido} {row.old_name} gave part of its area to {target.label} "
                                           f"on {row.date} ({paths.ADMIN_CHANGES.name} line {line})"))
                if place.unit:
                    self._add_code(row.code_system, row.old_code, _Entry(place, None, when))
                    self._add_name(old_sido, row.old_name, _Entry(place, None, when))
                continue
            if row.change in IDENTITY_CHANGES:
                entry = _Entry(target)
                self._add_name(self.sido_code(row.new_sido), row.new_name, entry)
            elif row.change in TERRITORIAL_CHANGES:
                key = f"old:{old_sido}:{norm(row.old_name)}:{row.date}"
                place = self._places.get(key) or self._place(Place(
                    key, "predecessor", f"{row.old_sido} {row.old_name}", unit=target.unit, change_date=when,
                    change=row.change, comparable=comparable,
                    note=f"{row.old_sido} {row.old_name} → {target.label} ({row.change}, {row.date}; "
                         f"{paths.ADMIN_CHANGES.name} line {line})"))
                if row.code_system == "kostat" and row.old_code:
                    # sub-units name their old parent by its KOSTAT code
                    self._places.setdefault(f"old:kostat:{row.old_code}", place)
                entry = _Entry(place, None, when)
            else:
                continue  # 일반구 changes: the sub-unit table carries their dates
            self._add_code(row.code_system, row.old_code, entry)
            self._add_name(old_sido, row.old_name, entry)
        for key, (name, members, code) in merged.items():
            group = GROUP.join(sorted(set(filter(None, members))))
            self._sido_key[key] = group
            self._sido_labels[group] = name
            if code:  # only a verified 시도 code is used for matching
                self._sido_by_code["std5"][code] = group
                self._sido_by_code["code10"][code] = group
        # sub-units of a predecessor were registered before the predecessor existed
        for parent in list(self._subs):
            if parent.startswith("old:kostat:") and parent in self._places:
                self._subs[self._places[parent].key] = self._subs.pop(parent)

    def _add_reorganised(self, line: int, row: Any) -> None:
        """A 구 formed from parts of several units: a place of its own that matches no unit."""
        sido = self.sido_code(row.new_sido)
        key = f"new:{sido}:{norm(row.new_name)}:{row.date}"
        formed = self._formed.setdefault(key, [])
        formed.append(f"{row.old_name}:{line}")
        sources = sorted({f.split(":")[0] for f in formed})
        lines = ", ".join(f.split(":")[1] for f in formed)
        what = str(row.note).split(":")[0]  # the change's name, e.g. 인천 행정체제 개편
        place = Place(key, "successor", f"{row.new_sido} {row.new_name}", change_date=_date(row.date),
                      change=row.change, comparable=False,
                      note=f"{row.new_name} was formed on {row.date} from parts of {', '.join(sources)} ({what}); "
                           f"its area matches no unit of this model ({paths.ADMIN_CHANGES.name} "
                           f"line{'s' * (len(formed) > 1)} {lines})")
        self._places[key] = place
        bucket = self._names.setdefault((sido or "", norm(row.new_name)), [])
        bucket[:] = [e for e in bucket if e.place.key != key] + [_Entry(place)]
