"""Safe YAML reading with errors that name the file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ..errors import TypologyError

# libyaml's parser when PyYAML was built with it: the same safe constructors, several times faster
# on the catalogue. Both raise yaml.YAMLError with a problem_mark.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# A config may come from someone else. Anchors and aliases are legal YAML, but nested aliases
# expand exponentially ("billion laughs") while the file stays tiny, so the size of the expanded
# document is bounded, and so is the file.
MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000


def _expanded_size(node: yaml.Node) -> int:
    """Nodes of the document with every alias expanded, counted without expanding anything."""
    sizes: dict[int, int] = {}
    # Post-order over the node graph: aliases share node objects, so each is sized once.
    stack: list[tuple[yaml.Node, bool]] = [(node, False)]
    while stack:
        current, done = stack.pop()
        if id(current) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(current, yaml.SequenceNode):
            children = list(current.value)
        elif isinstance(current, yaml.MappingNode):
            children = [n for pair in current.value for n in pair]
        if done or not children:
            sizes[id(current)] = 1 + sum(sizes.get(id(c), 0) for c in children)
            if sizes[id(current)] > MAX_NODES:
                return sizes[id(current)]
            continue
        stack.append((current, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(node)]


def read_yaml(path: Path, what: str) -> Any:
    if not path.is_file():
        raise TypologyError(f"{path}: {what} not found")
    if path.stat().st_size > MAX_BYTES:
        raise TypologyError(f"{path}: {what} is {path.stat().st_size:,} bytes; at most {MAX_BYTES:,} are read")
    try:
        with path.open(encoding="utf-8") as fh:
            loader = _SafeLoader(fh)  # a safe loader: the same constructors as yaml.safe_load
            try:
                node = loader.get_single_node()
                if node is None:
                    return None
                if _expanded_size(node) > MAX_NODES:
                    raise TypologyError(f"{path}: {what} expands to more than {MAX_NODES:,} YAML nodes through "
                                        "its anchors and aliases; refusing to read it")
                return loader.construct_document(node)
            finally:
                loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise TypologyError(f"{path}:{where}: invalid YAML ({problem})") from None
    except UnicodeDecodeError:
        raise TypologyError(f"{path}: not UTF-8 text") from None
