"""Where the app's files live: what it ships (read-only) and what the user writes.

Shipped files (MNIST, the trained checkpoints) are read from the repository's top
level in a source checkout or an editable install, and from explorer/_shipped/ in an
installed wheel (pyproject.toml maps resources/ and checkpoints/ there). User-written
files (saved checkpoints, exports, fallback saves) go to the user's data folder, never
into the source tree or an installed package.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

_PACKAGE = Path(__file__).resolve().parents[2]  # the explorer package's folder
_SHIPPED = _PACKAGE / "_shipped"
# ROOT: the folder holding resources/ and checkpoints/ -- explorer/_shipped in an installed
# wheel, else (a source checkout, or an editable install pointing into one) the repository.
ROOT = _SHIPPED if _SHIPPED.is_dir() else _PACKAGE.parent
RESOURCES = ROOT / "resources"
CHECKPOINTS = ROOT / "checkpoints"
MNIST_DIR = RESOURCES / "datasets" / "mnist"
APP_DIR_NAME = "gen-explorer"


def user_data_dir() -> Path:
    """The folder for files the user makes: $GEN_EXPLORER_DATA if set, else the platform's per-user data
    folder as platformdirs names it (XDG_DATA_HOME or ~/.local/share on Linux, ~/Library/Application Support
    on macOS, the roaming AppData on Windows, so a user's checkpoints follow them). Not created here."""
    override = os.environ.get("GEN_EXPLORER_DATA")
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False, roaming=True))
