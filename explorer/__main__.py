"""``python -m explorer`` and the ``gen-explorer`` command."""

from __future__ import annotations

import os
import sys

from explorer.core.runtime.stopping import STOPPED, install_stop_handlers, stop_asked, stop_message


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    install_stop_handlers()  # before anything heavy is imported: a stop at any moment is one line
    try:
        from explorer.cli import main as cli_main

        return cli_main(argv)
    except KeyboardInterrupt:
        print(stop_message(argv), file=sys.stderr)
        return STOPPED
    except Exception:
        if not stop_asked():
            raise
        print(stop_message(argv), file=sys.stderr)  # the stop broke an import on its way: still a stop
        return STOPPED


def run() -> None:
    """The ``gen-explorer`` command: ``main``, then end the process with its code; a stopped run ends with
    STOPPED at once, where Python, told of an interrupted import, would otherwise end it by SIGINT."""
    code = main()
    if code == STOPPED and stop_asked():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(STOPPED)
    sys.exit(code)


if __name__ == "__main__":
    run()
