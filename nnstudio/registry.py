"""A small name -> implementation registry shared by the engine, the data sets and the GUI.

Combo boxes in the window and choices in the tuner are filled from the same registries,
so a new entry shows up everywhere at once.
"""

from __future__ import annotations

from typing import Generic, Iterator, TypeVar

from .errors import UserError

T = TypeVar("T")


class UnknownNameError(UserError, KeyError):
    """Raised for a name that is not registered; the message lists the valid names."""

    def __init__(self, kind: str, name: object, valid: list[str]):
        self.kind, self.name, self.valid = kind, name, valid
        super().__init__(f"unknown {kind} {name!r}; choose one of: {', '.join(valid)}")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return self.args[0]


class Registry(Generic[T]):
    """An ordered mapping of names to implementations that refuses duplicates."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T) -> T:
        if name in self._items:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = item
        return item

    def __call__(self, name: str):
        """Decorator form: ``@REGISTRY("name")``."""
        def deco(item: T) -> T:
            return self.register(name, item)
        return deco

    def __getitem__(self, name: str) -> T:
        try:
            return self._items[name]
        except (KeyError, TypeError):
            raise UnknownNameError(self.kind, name, self.names()) from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def names(self) -> list[str]:
        return list(self._items)

    def items(self):
        return self._items.items()
