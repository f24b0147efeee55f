"""JSON read from a file with every size bounded before and while it is decoded.

Python's decoder recurses once per nesting level (a few thousand levels raise RecursionError),
turns any run of digits into an int (400 digits overflow a float later; 5,000 raise) and reads
``1e999`` as infinity. A checkpoint's header is JSON its maker controls, so it is read here:
the nesting is measured by a scan that does not recurse, before decoding; numbers are checked
by the decoder's hooks as they are met, strings and the count of values by a walk with a stack.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 128  # nested objects and arrays (serde_json's default, which safetensors' own reader keeps)
MAX_VALUES = 1_000_000  # keys and array items in all: the shipped GAN's 2,400-point history holds 15,000
MAX_STRING = 65_536  # characters in one string (a command line with two long paths fits)
MAX_INT_DIGITS = 19  # an int64

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class BoundedJSONError(ValueError):
    """The text is not JSON, or is JSON beyond one of the bounds; the message says which, in words."""


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in ``text`` (brackets inside strings not counted), by one flat scan."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def loads_bounded(text: str, max_string: int = MAX_STRING) -> Any:
    """``text`` decoded as JSON, or BoundedJSONError if it is not JSON or passes a bound (MAX_DEPTH,
    MAX_VALUES, ``max_string``, MAX_INT_DIGITS) or holds a number that is not finite (NaN, Infinity, 1e999).
    A safetensors header holds the config and the record as strings: read it with a ``max_string`` as long
    as the header, then each of them with the default."""
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise BoundedJSONError(f"it nests {depth} levels deep (at most {MAX_DEPTH})")

    def parse_int(digits: str) -> int:
        if len(digits.lstrip("-")) > MAX_INT_DIGITS:
            raise BoundedJSONError(
                f"it holds an integer of {len(digits.lstrip('-'))} digits (at most {MAX_INT_DIGITS})"
            )
        return int(digits)

    def parse_float(number: str) -> float:
        if len(number) > 64:
            raise BoundedJSONError(f"it holds a number written with {len(number)} characters (at most 64)")
        value = float(number)
        if not math.isfinite(value):
            raise BoundedJSONError(f"it holds a number too large for a float ({number[:20]})")
        return value

    def parse_constant(name: str) -> float:
        raise BoundedJSONError(f"it holds {name}, which is not a number JSON allows")

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) < len(items):
            raise BoundedJSONError("it names a key twice in one object")
        return obj

    decoder = json.JSONDecoder(
        object_pairs_hook=pairs, parse_int=parse_int, parse_float=parse_float, parse_constant=parse_constant
    )
    try:
        value = decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise BoundedJSONError(f"it is not valid JSON ({exc.msg} at character {exc.pos})") from exc
    _check_sizes(value, max_string)
    return value


def _check_sizes(value: Any, max_string: int) -> None:
    """Count the values and measure the strings of decoded JSON, with a stack instead of recursion."""
    stack, counted = [value], 0
    while stack:
        item = stack.pop()
        counted += 1
        if counted > MAX_VALUES:
            raise BoundedJSONError(f"it holds more than {MAX_VALUES:,} values")
        if isinstance(item, str) and len(item) > max_string:
            raise BoundedJSONError(f"it holds a text of {len(item):,} characters (at most {max_string:,})")
        if isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
