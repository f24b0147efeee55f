"""``python -m explorer`` and the ``gen-explorer`` command."""

from __future__ import annotations

import sys

from explorer.core.runtime.stopping import STOPPED, install_stop_handlers, stop_message


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    install_stop_handlers()  # before anything heavy is imported: a stop at any moment is one line
    try:
        from explorer.cli import main as cli_main

        return cli_main(argv)
    except KeyboardInterrupt:
        print(stop_message(argv), file=sys.stderr)
        return STOPPED


if __name__ == "__main__":
    sys.exit(main())
