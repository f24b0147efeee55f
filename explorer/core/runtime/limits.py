"""What the app supports, declared once per config field and checked once, in the config itself.

A config dataclass declares each field with ``bounded(...)`` or ``one_of(...)`` and calls
``validate(self)`` from ``__post_init__``. So the CLI's options, the panels' spin boxes and
a checkpoint's stored config all meet the same check before any net is built, any data is
loaded or any memory is allocated, and a bad value is one sentence that states the limit.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import field
from typing import Any

from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.quoting import quoted

SEED_MAX = 2**32 - 1  # numpy's SeedSequence and torch.manual_seed both take it
TRAIN_IMAGES = 60_000  # MNIST's training split: the most a train_limit can ask for


class ConfigError(ExplorerError):
    """A config field holds a value the app does not support; ``field`` names it."""

    def __init__(self, field_name: str, requirement: str, value: Any) -> None:
        self.field = field_name
        self.requirement = requirement
        self.value = value
        super().__init__(f"{field_name} {requirement}, not {quoted(value)}.")

    def for_option(self, renamed: dict[str, str] | None = None) -> str:
        """The same message naming the command-line option: ``--batch-size must be …``
        (``renamed`` maps a field to its option's name where they differ)."""
        option = (renamed or {}).get(self.field, self.field.replace("_", "-"))
        return f"--{option} {self.requirement}, not {quoted(self.value)}."


def bounded(
    default: float,
    low: float,
    high: float,
    *,
    low_open: bool = False,
    multiple_of: int = 1,
    zero_means: str = "",
    note: str = "",
) -> Any:
    """A numeric field with its supported range [low, high] (or (low, high] with ``low_open``).

    ``zero_means`` allows 0 outside the range as a switch ("all", "none"), as train_limit
    and ema use it; ``multiple_of`` is for widths the net divides into groups; ``note`` states
    a limit that depends on other fields, which the config's ``__post_init__`` checks.
    """
    return field(
        default=default,
        metadata={
            "range": (low, high),
            "low_open": low_open,
            "multiple_of": multiple_of,
            "zero_means": zero_means,
            "note": note,
        },
    )


def one_of(default: str, choices: tuple[str, ...]) -> Any:
    """A text field that must be one of ``choices``."""
    return field(default=default, metadata={"choices": choices})


def declared_as(cls: type, name: str, default: Any = dataclasses.MISSING) -> Any:
    """A field with the limits config class ``cls`` declares for its field ``name`` (and its default, unless
    ``default`` is given), so a panel's state, and the form over it, offer what the config accepts, written once
    (in ``cls``)."""
    declared = {f.name: f for f in dataclasses.fields(cls)}[name]
    return field(default=declared.default if default is dataclasses.MISSING else default, metadata=declared.metadata)


def declared_range(cls: type, name: str) -> tuple[float, float]:
    """The range [low, high] config class ``cls`` declares for field ``name`` with ``bounded``."""
    low, high = {f.name: f.metadata for f in dataclasses.fields(cls)}[name]["range"]
    return low, high


def describe_limit(f: dataclasses.Field[Any]) -> str:
    """The limit of field ``f`` in words, e.g. 'an integer from 1 to 4096'."""
    meta = f.metadata
    if "choices" in meta:
        return "one of " + ", ".join(repr(c) for c in meta["choices"])
    if "range" not in meta:
        return "a path (text)" if f.type in (str, "str") else f"a {f.type}"
    integer = f.type in (int, "int")
    low, high = (str(int(v)) if integer else f"{v:g}" for v in meta["range"])
    kind = "an integer" if integer else "a number"
    text = f"{kind} above {low} and at most {high}" if meta["low_open"] else f"{kind} from {low} to {high}"
    if meta["multiple_of"] > 1:
        text = f"a multiple of {meta['multiple_of']} from {low} to {high}"
    if meta["zero_means"]:
        text = f"0 ({meta['zero_means']}) or {text}"
    if meta["note"]:
        text = f"{text}, {meta['note']}"
    return text


def _check(f: dataclasses.Field[Any], value: Any) -> Any:
    """``value`` if it fits field ``f`` (ints widened to float where a float is asked), else ConfigError."""
    meta = f.metadata
    integer = f.type in (int, "int")
    number = integer or f.type in (float, "float")
    if number:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
            raise ConfigError(f.name, f"must be {describe_limit(f)}", value)
        if not integer:
            value = float(value)
            if not math.isfinite(value):
                raise ConfigError(f.name, f"must be {describe_limit(f)}", value)
        if value == 0 and meta.get("zero_means"):
            return value
        low, high = meta["range"]
        inside = (low < value if meta["low_open"] else low <= value) and value <= high
        if not inside or (meta["multiple_of"] > 1 and value % meta["multiple_of"]):
            raise ConfigError(f.name, f"must be {describe_limit(f)}", value)
        return value
    if f.type in (bool, "bool"):  # a switch: nothing to bound, but only True or False
        if not isinstance(value, bool):
            raise ConfigError(f.name, "must be true or false", value)
        return value
    if not isinstance(value, str):
        raise ConfigError(f.name, f"must be {describe_limit(f)}", value)
    if "choices" in meta and value not in meta["choices"]:
        raise ConfigError(f.name, f"must be {describe_limit(f)}", value)
    return value


def validate(cfg: Any) -> None:
    """Check every field of the config dataclass ``cfg`` against its declared limits (ConfigError if not).

    Called from ``__post_init__``, so no config outside its limits can exist at all.
    """
    for f in dataclasses.fields(cfg):
        value = _check(f, getattr(cfg, f.name))
        object.__setattr__(cfg, f.name, value)  # frozen dataclasses: store the widened float
