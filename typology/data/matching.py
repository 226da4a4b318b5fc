"""Which place each row of a tidy table names: by its code, its region cell, or both.

A code is read in the table's code system (``detect_code_system`` tells it when the config
leaves it to ``auto``); a region cell is a 시도 and 시군구 name, or a bare name under the 시도 row
above it, as KOSIS lists them. ``match_rows`` gives every row its place key, or the reason why
none; ``load`` then rolls the places up into units.
"""

from __future__ import annotations

import re
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import TypologyError, excerpt
from .places import NATION_NAMES, Place, norm
from .specs import TableSpec
from .units import RegionMatcher

SIDO_LIKE = re.compile(r"(특별시|광역시|특별자치시|특별자치도|[^시군구]도)$")  # no 시군구 name ends so


def detect_code_system(codes: list[str], matcher: RegionMatcher, path: Path, key: str) -> str:
    """A table's code system, only when its codes leave no doubt (5-digit codes collide)."""
    # codes of no known 시도 (a change whose codes are not verified) say nothing about the system
    five = sorted({c for c in codes if len(c) == 5 and c.isdigit() and matcher.prefix_known(c)})
    if not five:
        return "code10" if codes and all(len(c) == 10 for c in codes) else "kostat"
    hits = {s: sum(matcher.resolve_code(c, s) is not None for c in five) for s in ("kostat", "std5")}
    best, other = sorted(hits, key=lambda s: -hits[s])
    # A system that explains a sizeable share of the codes is one the table could be using: then a
    # code of both systems may name either of two units, and no value may be put on one by a guess.
    sizeable = max(2, SIZEABLE_SHARE * len(five))
    if hits[best] > hits[other] and hits[best] >= 0.9 * len(five) and hits[other] < sizeable:
        return best
    both = " (both explain a sizeable share)" if hits[other] >= sizeable else ""
    raise TypologyError(
        f"{path}: cannot tell the code system of its {len(five)} five-digit codes (KOSTAT matches {hits['kostat']}, "
        f"행정표준코드 {hits['std5']}){both}; set {key}.code_system: {best} if the table uses "
        f"{SYSTEM_NAMES[best]}, else {other} or code10")


SIZEABLE_SHARE = 0.25
SYSTEM_NAMES = {"kostat": "KOSTAT codes", "std5": "행정표준코드", "code10": "10-digit 행정기관코드"}


def suggest_system(codes: list[str], matcher: RegionMatcher, used: str) -> str:
    """For rows whose codes matched no unit: the code system under which most of them would match."""
    codes = [c for c in codes if c]
    if not codes:
        return ""
    hits = {s: sum(matcher.resolve_code(c, s) is not None for c in codes) for s in SYSTEM_NAMES if s != used}
    best = max(hits, key=lambda s: hits[s])
    if not hits[best]:
        return ""
    return f"; {hits[best]} of their {len(codes)} codes would match with code_system: {best} ({SYSTEM_NAMES[best]})"


class _NameContext:
    """KOSIS lists a 시도 row, then its 시군구 by bare name, and 일반구 after their city."""

    def __init__(self) -> None:
        self.sido: str | None = None
        self.city: dict[str, str] = {}


class _Lookups:
    """The matcher's lookups, each asked once per distinct argument while one table is matched.

    Each is a pure function of its arguments (the matcher's tables do not change while a table is
    read), so a table of 7,000 rows over 228 codes costs 228 code lookups, not 7,000. The row to
    row state of a KOSIS listing stays in ``_NameContext``, outside this memo.
    """

    def __init__(self, matcher: RegionMatcher) -> None:
        self.matcher = matcher
        self._memo: dict[tuple, Any] = {}

    def _ask(self, name: str, *args: Any) -> Any:
        key = (name, *args)
        if key not in self._memo:
            self._memo[key] = getattr(self.matcher, name)(*args)
        return self._memo[key]

    def sido_code(self, name: object) -> str | None:
        return self._ask("sido_code", name)

    def sido_label(self, sido_code: str) -> str:
        return self._ask("sido_label", sido_code)

    def resolve_name(self, sido: object, name: object, on: date | None) -> Place | None:
        return self._ask("resolve_name", sido, name, on)

    def resolve_bare_name(self, name: object, on: date | None) -> tuple[Place | None, list[str]]:
        return self._ask("resolve_bare_name", name, on)

    def resolve_code(self, code: object, system: str, on: date | None) -> Place | None:
        return self._ask("resolve_code", code, system, on)

    def code_hint(self, code: object, system: str) -> str:
        return self._ask("code_hint", code, system)

    def names_a_sido(self, code: str, region: str) -> bool:
        key = ("names_a_sido", code, region)
        if key not in self._memo:
            self._memo[key] = _names_a_sido(self.matcher, code, region)
        return self._memo[key]


# Nation names as a region cell is compared with them (norm, then lower case)
_NATION_KEYS = frozenset(norm(n).lower() for n in NATION_NAMES)


def _match_name(matcher: RegionMatcher | _Lookups, sido_text: str, region: str, on: date | None,
                ctx: _NameContext) -> tuple[Place | None, str, bool]:
    """The place a region cell names, why not, and whether the 시도 was explicit (not from context)."""
    text = " ".join(region.split())
    if norm(text).lower() in _NATION_KEYS:
        return Place("nation", "nation", "전국"), "", True
    sido = matcher.sido_code(sido_text) if sido_text else None
    if sido_text and sido is None:
        return None, f"is not under a known 시도 ({excerpt(sido_text)} is not a 시도 name)", True
    tokens = text.split(" ")
    rest = text
    first = matcher.sido_code(tokens[0]) if tokens else None
    explicit = sido is not None
    if first is not None and (sido is None or first == sido):
        sido, rest, explicit = first, " ".join(tokens[1:]), True
    if first is None and not sido_text and " " not in text and SIDO_LIKE.search(text):
        # a 시도 this project does not know: the bare names below it are not read as the previous 시도's
        ctx.sido, ctx.city = None, {}
        return None, ("looks like a 시도 name that boundaries/sido.csv and admin_changes.csv do not know; the rows "
                      "below it are matched by name alone"), False
    if sido is None and not sido_text:
        sido = ctx.sido
    if not rest:
        place = matcher.resolve_name(matcher.sido_label(sido), "", on) if sido else None
        ctx.sido = sido
        return place, "" if place else "matches no 시도", explicit
    if sido is None:
        return _match_bare(matcher, rest, on)
    return _match_under(matcher, sido, rest, on, ctx, explicit)


def _match_bare(matcher: RegionMatcher | _Lookups, rest: str, on: date | None) -> tuple[Place | None, str, bool]:
    """A 시군구 name with no 시도 in the row or above it: only a name no other 시도 has is taken."""
    place, sidos = matcher.resolve_bare_name(rest, on)
    if place is not None:
        return place, "", True
    if len(sidos) > 1:
        return None, f"names a 시군구 in several 시도 ({', '.join(sidos)}); give the 시도", False
    return None, "matches no unit (no 시군구 has this name)", False


def _match_under(matcher: RegionMatcher | _Lookups, sido: str, rest: str, on: date | None, ctx: _NameContext,
                 explicit: bool) -> tuple[Place | None, str, bool]:
    """A 시군구 name in a known 시도; a city it names is remembered for the 일반구 rows under it."""
    label = matcher.sido_label(sido)
    place = matcher.resolve_name(label, rest, on)
    if place is None and sido in ctx.city:  # a bare 일반구 name under its city: 장안구 after 수원시
        place = matcher.resolve_name(label, ctx.city[sido] + rest, on)
    if place is None:
        return None, f"matches no unit (no 시군구 {excerpt(rest)} in {label})", explicit
    if place.kind in ("unit", "predecessor"):
        ctx.city[sido] = rest
    return place, "", explicit


def match_rows(tidy: pd.DataFrame, spec: TableSpec, matcher: RegionMatcher, system: str) -> pd.DataFrame:
    """Adds place_key ('' when nothing matched), reason and ref_date to the tidy rows."""
    rows = _TableMatch(spec, matcher, system)
    keys, reasons, dates, sido_rows = [], [], [], []
    ref_dates: dict[int, date | None] = {}
    # Plain lists: iterating the rows of a frame of string columns is most of the time otherwise
    years = tidy["year_int"].tolist()
    for line, year, sido_text, region, code in zip(tidy["line"].tolist(), years, tidy["sido"].tolist(),
                                                   tidy["region"].tolist(), tidy["code"].tolist()):
        if year not in ref_dates:
            ref_dates[year] = spec.reference_date or (date(int(year), 12, 31) if year > 0 else None)
        on = ref_dates[year]
        place, reason = rows.place(line, sido_text, region, code, None if spec.legacy else on)
        if place is not None and place.kind == "unit" and rows.look.names_a_sido(code, region):
            sido_rows.append(len(keys))
        keys.append(place.key if place is not None else "")
        reasons.append("" if place is not None else reason)
        dates.append(on)
    rows.warn()
    if sido_rows:
        _sido_rows_as_totals(keys, sido_rows, years, tidy["variable"].tolist())
    out = tidy.copy()
    out["place_key"], out["reason"], out["ref_date"] = keys, reasons, dates
    return out


class _TableMatch:
    """One table's rows matched in order: the KOSIS context, the code memo and the rows to warn about."""

    def __init__(self, spec: TableSpec, matcher: RegionMatcher, system: str) -> None:
        self.spec, self.matcher, self.system = spec, matcher, system
        self.ctx = _NameContext()
        self.look = _Lookups(matcher)
        self.misnamed: list[str] = []  # a code that matches beside a name that matches nothing: used, but said
        self.by_name: list[str] = []  # an unverified new code beside a name that matches: used by the name, and said
        self.by_code: dict[tuple[str, date | None], tuple[Place | None, str]] = {}  # the place a code names, its hint

    def place(self, line: Any, sido_text: str, region: str, code: str,
              when: date | None) -> tuple[Place | None, str]:
        """The place of one row (its code's when it has one, else its name's), or None and the reason.

        ``when``: the date the row's names and codes are read at (None: today's, in a legacy table).
        """
        name_place, reason, sure = None, "", False
        if region:
            name_place, reason, sure = _match_name(self.look, sido_text, region, when, self.ctx)
        if not code:
            return _unless_successor(name_place, name_place, reason, code)
        code_place, reason = self._code_place(line, region, code, when, name_place, reason, sure)
        return _unless_successor(code_place, name_place, reason, code)

    def _code_place(self, line: Any, region: str, code: str, when: date | None, name_place: Place | None,
                    reason: str, sure: bool) -> tuple[Place | None, str]:
        if (code, when) not in self.by_code:
            found = self.look.resolve_code(code, self.system, when)
            self.by_code[code, when] = found, self.look.code_hint(code, self.system) if found is None else ""
        code_place, hint = self.by_code[code, when]
        # a name read under an explicit 시도 that names a unit can stand for, or contradict, the code
        named_unit = sure and name_place is not None and name_place.kind not in ("sido", "nation")
        if code_place is None and hint and named_unit:
            # a code of a change this project could not verify (전남광주 2026): the name decides
            self.by_name.append(f"row {line}: {code} {excerpt(region)}")
            return name_place, reason
        if code_place is None:
            return None, (f"matches no unit (expected a 5-digit KOSTAT, 행정표준 or 10-digit 행정기관 code of a "
                          f"자치단체 in code system {self.system}){hint}")
        if named_unit and self.matcher.final_unit(code_place) != self.matcher.final_unit(name_place):
            raise TypologyError(
                f"{self.spec.path}: row {line}: code {code} is {code_place.label} in code system {self.system}, but "
                f"the region cell says {excerpt(region)} ({name_place.label}); the table probably uses another "
                f"code system: set {self.spec.key}.code_system")
        if code_place.kind in ("sido", "nation") and code_place.key != "nation":
            self.ctx.sido = code_place.key.split(":")[1]
        elif region and name_place is None and reason.startswith("matches no unit"):
            self.misnamed.append(f"row {line}: {excerpt(region)} beside code {code} ({code_place.label})")
        return code_place, reason

    def warn(self) -> None:
        """The rows used in spite of their names or codes, said once per table."""
        spec = self.spec
        # stacklevel 3: the warning points at match_rows' caller, as when match_rows gave it itself
        if self.misnamed:
            column = spec.columns.get("region", "region")
            warnings.warn(f"{spec.path}: column {column}: {len(self.misnamed)} region name(s) match no place although "
                          f"their code does; the rows are used by their code. Check the names: "
                          f"{'; '.join(self.misnamed[:3])}", stacklevel=3)
        if self.by_name:
            warnings.warn(f"{spec.path}: {len(self.by_name)} row(s) matched by their region names, since their codes "
                          f"belong to an administrative change whose codes are not verified here "
                          f"({'; '.join(self.matcher.unverified_changes())}): {'; '.join(self.by_name[:3])}",
                          stacklevel=3)


def _unless_successor(place: Place | None, name_place: Place | None, reason: str,
                      code: str) -> tuple[Place | None, str]:
    """``place``, unless it is a successor: 인천's 2026 구, whose area no unit has."""
    if place is not None and place.kind == "successor":
        return None, place.note
    if place is None and name_place is not None and name_place.kind == "successor":
        return None, f"{name_place.note} (its code {code} matches no unit either)"
    return place, reason


def _sido_rows_as_totals(keys: list[str], sido_rows: list[int], years: list[int], variables: list[str]) -> None:
    """세종 is a 시도 and a unit: KOSIS lists it as a 시도 row and again as a 시군구 row.

    The 시군구 row is the unit's value; the 시도 row is then a total like any other (its key
    becomes the 시도's, in ``keys``).
    """
    groups: dict[tuple, list[int]] = {}
    for i, group in enumerate(zip(keys, years, variables)):
        groups.setdefault(group, []).append(i)
    marked = set(sido_rows)
    for i in sido_rows:
        same = groups[(keys[i], years[i], variables[i])]
        if len(same) > 1 and len(set(same) - marked) == 1:
            keys[i] = f"sido:{keys[i].split(':')[1][:2]}"


def _names_a_sido(matcher: RegionMatcher, code: str, region: str) -> bool:
    code = code.strip()
    if code:
        return len(code) == 2 or (len(code) == 10 and code.endswith("00000000"))
    return matcher.sido_code(region) is not None
