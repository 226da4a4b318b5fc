"""Safe YAML reading with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import TypologyError

# libyaml's parser when PyYAML was built with it: the same safe constructors, several times faster
# on the catalogue. Both raise yaml.YAMLError with a problem_mark.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path, what: str) -> Any:
    if not path.is_file():
        raise TypologyError(f"{path}: {what} not found")
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_SafeLoader)  # a safe loader: same as yaml.safe_load
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise TypologyError(f"{path}:{where}: invalid YAML ({problem})") from None
    except UnicodeDecodeError:
        raise TypologyError(f"{path}: not UTF-8 text") from None
