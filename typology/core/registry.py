"""The one way a method name in YAML becomes an object.

Each pipeline step owns a ``Registry``; an unknown name is an error that lists the valid
choices and the config key it came from, instead of an if/elif chain somewhere deep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from ..errors import TypologyError

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, step: str) -> None:
        self.step = step
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def add(obj: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.step}: {name!r} registered twice")
            self._items[name] = obj
            return obj

        return add

    def get(self, name: object, key: str) -> T:
        if not isinstance(name, str) or name not in self._items:
            raise TypologyError(
                f"config key {key}: unknown {self.step} method {name!r}; "
                f"expected one of {', '.join(sorted(self._items))}"
            )
        return self._items[name]

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items
