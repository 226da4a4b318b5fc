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
        merged: dict[str, tuple[str, list[str], str]] = {}
        for line, row in self._change_rows():
            if row.change == SIDO_MERGER:
                self._collect_sido_merger(merged, line, row)
            elif row.change == REORGANISE:
                self._add_reorganised(line, row)
            elif row.change == RECODE and row.code_system in CODE_SYSTEMS:
                self._add_recode(row)
            elif row.code_system in CODE_SYSTEMS:  # 시도 renames (std2) live in sido.csv as aliases and code prefixes
                self._add_unit_change(line, row)
        self._add_sido_mergers(merged)
        self._adopt_predecessor_subs()

    def _change_rows(self) -> list[tuple[int, Any]]:
        """(line of the CSV, row) of every change, part transfers last."""
        rows = list(zip(self.changes.index + 2, self.changes.itertuples()))
        # a part transfer changes a place that other rows define (청원군), so it comes last
        return [r for r in rows if r[1].change != "transfer_part"] + [r for r in rows if r[1].change == "transfer_part"]

    def _collect_sido_merger(self, merged: dict[str, tuple[str, list[str], str]], line: int, row: Any) -> None:
        """One member of a 시도 merger, gathered under the new 시도 (registered once all rows are read)."""
        name, members, code = merged.get(norm(row.new_sido), (row.new_sido, [], ""))
        merged[norm(row.new_sido)] = (name, [*members, self.sido_code(row.old_sido) or row.old_code],
                                      code or row.new_code)
        if not row.new_code and row.new_sido not in " ".join(self._unverified_codes):
            self._unverified_codes.append(f"{row.new_sido} ({row.date}; {paths.ADMIN_CHANGES.name} line {line})")

    def _add_recode(self, row: Any) -> None:
        """A new code for the same place: the new code reaches it from the date on."""
        before = self._lookup(self._codes[row.code_system].get(row.old_code, []), None)
        if before is not None:
            self._add_code(row.code_system, row.new_code, _Entry(before, _date(row.date), None))

    def _add_unit_change(self, line: int, row: Any) -> None:
        """A change that ends in a unit: the old code and name lead to it (or to its predecessor)."""
        target = self._lookup(self._codes[row.code_system].get(row.new_code, []), None)
        if target is None or target.kind != "unit":
            return
        comparable = str(getattr(row, "comparable", "yes")).strip().lower() != "no"
        if row.change == "transfer_part":
            if not comparable:
                self._add_transfer(line, row, target)
            return
        if row.change in IDENTITY_CHANGES:
            entry = _Entry(target)
            self._add_name(self.sido_code(row.new_sido), row.new_name, entry)
        elif row.change in TERRITORIAL_CHANGES:
            entry = _Entry(self._predecessor(line, row, target, comparable), None, _date(row.date))
        else:
            return  # 일반구 changes: the sub-unit table carries their dates
        self._add_code(row.code_system, row.old_code, entry)
        self._add_name(self.sido_code(row.old_sido), row.old_name, entry)

    def _add_transfer(self, line: int, row: Any, target: Place) -> None:
        """The place keeps its name and code, but before the date it covered another area."""
        when, old_sido = _date(row.date), self.sido_code(row.old_sido)
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

    def _predecessor(self, line: int, row: Any, target: Place, comparable: bool) -> Place:
        """The place merged into or abolished for ``target`` (made once per old name and date)."""
        key = f"old:{self.sido_code(row.old_sido)}:{norm(row.old_name)}:{row.date}"
        place = self._places.get(key) or self._place(Place(
            key, "predecessor", f"{row.old_sido} {row.old_name}", unit=target.unit, change_date=_date(row.date),
            change=row.change, comparable=comparable,
            note=f"{row.old_sido} {row.old_name} → {target.label} ({row.change}, {row.date}; "
                 f"{paths.ADMIN_CHANGES.name} line {line})"))
        if row.code_system == "kostat" and row.old_code:
            # sub-units name their old parent by its KOSTAT code
            self._places.setdefault(f"old:kostat:{row.old_code}", place)
        return place

    def _add_sido_mergers(self, merged: dict[str, tuple[str, list[str], str]]) -> None:
        """Each merged 시도 as one group of its members' codes."""
        for key, (name, members, code) in merged.items():
            group = GROUP.join(sorted(set(filter(None, members))))
            self._sido_key[key] = group
            self._sido_labels[group] = name
            if code:  # only a verified 시도 code is used for matching
                self._sido_by_code["std5"][code] = group
                self._sido_by_code["code10"][code] = group

    def _adopt_predecessor_subs(self) -> None:
        """Sub-units of a predecessor were registered before the predecessor existed: move them to it."""
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
