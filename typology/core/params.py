"""Declared parameter constraints: what each config value must be, checked in one walk.

Like scikit-learn's ``_parameter_constraints``: each leaf of the config schema is a ``Param`` with
its default and a test, and an error names the key, what was expected and (shortened) what was
given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import TypologyError


@dataclass(frozen=True)
class Param:
    """A leaf of the schema: its default, and what a value must be (``test``, described by ``expected``).

    ``named``: the value is a name from a vocabulary declared by a later stage; ``check`` tests
    membership when it is given the vocabularies.
    """

    default: Any
    expected: str
    test: Callable[[Any], bool]
    nullable: bool = False
    named: bool = False

    def check(self, value: Any, key: str, names: Mapping[str, Collection[str]] | None = None) -> None:
        if value is None and self.nullable:
            return
        ok = self.test(value)
        choices = names.get(key) if names is not None and self.named else None
        expected = self.expected
        if choices is not None:
            ok = ok and value in choices
            expected = f"one of {', '.join(map(str, choices))}"
        if not ok:
            if self.nullable:
                expected += " (or null)"
            raise TypologyError(f"config key {key}: expected {expected}, got {shown(value)}")


def shown(value: Any, limit: int = 60) -> str:
    """A config value as quoted in an error: its repr, cut short.

    A value may come from a file that is not a config at all (``extends: /etc/passwd`` reads as one
    long string), and an error must name the problem, never print another file's contents.
    """
    if isinstance(value, dict):
        return f"a mapping of {len(value)} keys"
    if isinstance(value, list) and len(repr(value)) > limit:
        return f"a list of {len(value)} items"
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 1]}…' ({len(str(value)):,} characters)"


_KEY_LIKE = re.compile(r"[\w\-]{1,40}(\.[\w\-]{1,40}){0,6}")


def shown_key(key: Any) -> str:
    """A key from an untrusted file as quoted in an error: itself if it looks like a key, else only its length.

    A file that is no config may parse as a mapping whose "key" is a whole line of it (``/etc/shadow``'s
    ``root:*:...``); such a line is not printed.
    """
    text = str(key)
    if _KEY_LIKE.fullmatch(text):
        return repr(text)
    return f"(not shown: {len(text):,} characters that are no key's name)"


# Names and titles hold no control character at all (a CR in a type name split scores.csv's rows);
# other text (policies, rationales, a catalogue's measures:) may run over several lines of a YAML block.
NAME_KEYS = frozenset({"name", "name_ko", "name_en", "title_ko", "title_en", "key", "unit", "short_ko", "short_en",
                       "label", "label_ko", "label_en", "map_tiles_attribution"})
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                              "\u2066-\u2069]")


def check_controls(value: Any, where: str, source: str = "config key") -> None:
    """Refuse a control character (C0, C1, line breaks, tab, BEL, ESC, bidi overrides) in any name or title.

    Such a character splits a CSV row, hides a spreadsheet formula behind it, breaks the workbook
    writer or makes text read backwards; the key is named, the text is not printed.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if isinstance(key, str) and _CONTROL.search(key):
                raise TypologyError(f"{source} {shown_key(path)}: the key holds a control character (a line break, "
                                    "tab, BEL, ESC or bidi override); use plain text")
            check_controls(item, path, source)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_controls(item, f"{where}[{i}]", source)
    elif isinstance(value, str):
        last = where.rsplit(".", 1)[-1].split("[")[0]
        found = (_CONTROL if last in NAME_KEYS else _CONTROL_IN_TEXT).search(value)
        if found:
            raise TypologyError(f"{source} {where}: holds the control character U+{ord(found.group()):04X} at "
                                f"position {found.start() + 1}; names and titles are plain text, and other text "
                                "may hold line breaks and tabs but no other control character")


# A config's name becomes the default run folder out/<name>/; a shared config must not be able to
# point that at ../configs or an absolute folder, so a name is a single path component of safe characters.
_RUN_NAME = re.compile(r"[\w\-][\w.\-]{0,99}")


def _is_run_name(value: Any) -> bool:
    return isinstance(value, str) and _RUN_NAME.fullmatch(value) is not None and not value.startswith(".")


def is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_text(value: Any) -> bool:
    return isinstance(value, str)


def _within(low: float | None, high: float | None, low_open: bool = False) -> Callable[[float], bool]:
    def test(value: float) -> bool:
        above = low is None or (value > low if low_open else value >= low)
        return above and (high is None or value <= high)

    return test


def _bounds(low: float | None, high: float | None, low_open: bool = False) -> str:
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low:g}, {high:g}]"
    if low is not None:
        return f" {'>' if low_open else '≥'} {low:g}"
    return f" ≤ {high:g}" if high is not None else ""


def whole(default: Any, low: int | None = None, high: int | None = None, *, also: tuple[Any, ...] = (),
          nullable: bool = False) -> Param:
    """A whole number (``also``: literal values allowed besides, e.g. ``auto``)."""
    inside = _within(low, high)
    extra = "".join(f"{a} or " for a in also)
    return Param(default, f"{extra}a whole number{_bounds(low, high)}",
                 lambda v: v in also if isinstance(v, str) else is_whole(v) and inside(v), nullable)


def number(default: Any, low: float | None = None, high: float | None = None, *, low_open: bool = False,
           nullable: bool = False) -> Param:
    inside = _within(low, high, low_open)
    return Param(default, f"a number{_bounds(low, high, low_open)}", lambda v: is_number(v) and inside(v), nullable)


def flag(default: bool) -> Param:
    return Param(default, "true or false", lambda v: isinstance(v, bool))


def text(default: Any, what: str = "text", *, nullable: bool = False) -> Param:
    return Param(default, what, is_text, nullable)


def named(default: Any, what: str) -> Param:
    """A name from a vocabulary declared by a later stage (see ``typology.workflow.validate``)."""
    return Param(default, what, is_text, named=True)


def names_list(default: Any, what: str, *, nullable: bool = True) -> Param:
    return Param(default, f"a list of {what}", lambda v: isinstance(v, list) and all(map(is_text, v)), nullable)


def pair(default: Any, what: str, item: Callable[[Any], bool] = is_number, *, low: float | None = None,
         high: float | None = None, strict: bool = True) -> Param:
    """``[first, second]`` with first < second (``strict``) or first ≤ second, both within [low, high]."""
    inside = _within(low, high)

    def test(v: Any) -> bool:
        if not (isinstance(v, list) and len(v) == 2 and all(item(x) and inside(x) for x in v)):
            return False
        return v[0] < v[1] if strict else v[0] <= v[1]

    return Param(default, what, test)


def _is_weight(value: Any) -> bool:
    return is_number(value) and value >= 0


def weight_map(default: Any) -> Param:
    """Free-form names (indicators, dimensions) → non-negative weights; which names are in use is checked
    when the run is validated."""
    return Param(default, "a mapping name: weight with weights ≥ 0",
                 lambda v: isinstance(v, dict) and all(is_text(k) and _is_weight(w) for k, w in v.items()),
                 nullable=True)


def is_range(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(map(is_number, value)) and value[0] < value[1]


def _is_alternative(item: Any) -> bool:
    return is_text(item) or (isinstance(item, dict) and is_text(item.get("method")))


def alternatives(default: Any, step: str) -> Param:
    return Param(default, f"a list of {step} methods (names, or mappings with method: and parameters)",
                 lambda v: isinstance(v, list) and all(map(_is_alternative, v)), nullable=True)


def shaped(default: Any, what: str, test: Callable[[Any], bool], *, nullable: bool = True) -> Param:
    """A structured value (rules, tables): its outer shape here, its contents checked by its stage up front."""
    return Param(default, what, test, nullable)


SEED = whole(0, 0, 2**32 - 1)  # numpy and scikit-learn take seeds below 2**32


def share(default: float) -> Param:
    return number(default, 0, 1, low_open=True)




def run_name() -> Param:
    return Param(None, "a name: letters (Hangul too), digits, '-', '_' and '.', not starting with '.' (it names "
                       "the run folder, so it may not be a path)", _is_run_name, nullable=True)
