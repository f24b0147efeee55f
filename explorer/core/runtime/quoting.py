"""Text read from a file, made safe to put in a one-line message.

A checkpoint's kind, a config key or a tensor name is whatever the file's maker wrote: a newline
would break the one-line promise, an ANSI escape (``\\x1b[2J``) would clear the user's terminal.
Every such value goes through ``quoted`` (repr-style: escapes shown, never acted on; cut to a length
a line can hold) before it reaches a message, in the command line and in the window's dialogs.
"""

from __future__ import annotations

import os
from typing import Any

MAX_SHOWN = 80  # characters of one value in a message


def quoted(value: Any, limit: int = MAX_SHOWN) -> str:
    """``value`` as Python's repr writes it (a string in quotes, control characters escaped),
    cut to ``limit`` characters with '…' where longer."""
    if isinstance(value, str) and len(value) > limit:
        return repr(value[:limit]) + "…"
    text = _short_repr(value, limit)
    return text if len(text) <= limit else text[:limit] + "…"


def _short_repr(value: Any, limit: int) -> str:
    """repr of ``value``, without building the repr of a huge or deeply nested list or dict."""
    if isinstance(value, (list, tuple, dict)):
        return (
            f"a {type(value).__name__} of {len(value)} items"
            if len(value) > limit // 4 or _nested(value)
            else repr(value)
        )
    return repr(value)


def _nested(value: list[object] | tuple[object, ...] | dict[object, object]) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return any(isinstance(item, (list, tuple, dict)) for item in items)


def shown(path: str | os.PathLike[str]) -> str:
    """A file name (or a short word, such as a checkpoint's kind) as written where it prints safely on one
    line, else quoted."""
    text = os.fspath(path)
    return text if text.isprintable() and len(text) <= 4 * MAX_SHOWN else quoted(text, 4 * MAX_SHOWN)
