"""Drain a generator in a ``for`` loop and keep what it returns.

A chain or training generator yields its snapshots and *returns* its result, which a plain
``for`` loop drops (it sits on the ``StopIteration`` that ends the loop).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Generic, TypeVar

Y = TypeVar("Y")
R = TypeVar("R")


class Returning(Generic[Y, R]):
    """Iterate ``generator`` with ``for item in returning:``; after the loop has run to its end,
    ``returning.value`` holds what the generator returned."""

    value: R

    def __init__(self, generator: Generator[Y, None, R]) -> None:
        self.generator = generator

    def __iter__(self) -> Iterator[Y]:
        self.value = yield from self.generator
