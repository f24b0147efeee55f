"""The command line: ``gen-explorer`` opens the window; ``train``, ``sample`` and ``eval`` run headless.

Each headless command lives in a module of its own (train_cli, sample_cli, evaluation_cli, plane_cli), which
adds its options and runs it; here are the window's options and the one place every failure is caught.
Training runs the very generators the GUI runs, with a tqdm progress bar in place of the panel's curves.
Nothing here imports Qt (the panels' names come from the Qt-free registry), so training works on a
machine without it.

Every failure a user can cause ends in one line on stderr and exit code 2, found
before any work is spent: options are checked against the configs' limits, the
device and the output path are checked before training or drawing starts, and
Ctrl-C (or a SIGTERM) at any moment leaves every file as it was.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import NoReturn

from explorer.core.runtime.errors import ExplorerError
from explorer.core.runtime.stopping import STOPPED, install_stop_handlers, stop_message
from explorer.ui.panel_registry import PANEL_NAMES


class Parser(argparse.ArgumentParser):
    """argparse with its errors as one line (and exit code 2), not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message} (see `{self.prog} --help`)\n")


# The window's size where the screen has room; its smallest (a panel too big for it scrolls), which fits a
# 1280×720 screen with a title bar and a taskbar; the largest --size takes.
DEFAULT_SIZE, MIN_SIZE, MAX_SIZE = (1500, 950), (1024, 600), (7680, 4320)
COMMANDS = ("train", "sample", "eval", "plane")  # the headless commands; without one, the window opens


def window_size(text: str) -> tuple[int, int]:
    """'1280x720' -> (1280, 720), within the sizes the app lays out for."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--size takes WIDTHxHEIGHT, e.g. 1280x720, not {text!r}") from None
    if not (MIN_SIZE[0] <= width <= MAX_SIZE[0] and MIN_SIZE[1] <= height <= MAX_SIZE[1]):
        raise argparse.ArgumentTypeError(
            f"--size must be from {MIN_SIZE[0]}x{MIN_SIZE[1]} to {MAX_SIZE[0]}x{MAX_SIZE[1]}, not {text}"
        )
    return width, height


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; each headless command adds its own options (the families' descriptors say
    which). Building it imports the configs (and so torch), never Qt nor a panel."""
    from explorer.evaluation_cli import add_eval_command
    from explorer.plane_cli import add_plane_commands
    from explorer.sample_cli import add_sample_command
    from explorer.train_cli import add_train_command

    parser = Parser(prog="gen-explorer", description="See how deep generative models work.")
    add_window_options(parser)
    commands = parser.add_subparsers(dest="command")
    add_train_command(commands)
    add_sample_command(commands)
    add_eval_command(commands)
    add_plane_commands(commands)
    return parser


def window_args(argv: list[str]) -> argparse.Namespace | None:
    """The window's options, where ``argv`` holds nothing else (no command, no --help), parsed without building
    the commands' parsers, which import torch: the window then paints before torch is imported. None: parse
    ``argv`` with the whole parser (``build_parser``)."""
    if any(arg in (*COMMANDS, "-h", "--help") for arg in argv):
        return None
    parser = Parser(prog="gen-explorer", add_help=False)
    add_window_options(parser)
    args, rest = parser.parse_known_args(argv)
    if rest:  # not the window's: the whole parser says what is wrong with it
        return None
    args.command = None
    return args


def add_window_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default: the best available)")
    parser.add_argument(
        "--screenshot", type=Path, metavar="FILE.png", help="render the window offscreen to FILE and exit"
    )
    parser.add_argument(
        "--size",
        type=window_size,
        default=None,
        metavar="WxH",
        help=f"window size, e.g. 1280x720 (default: {DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]}, or maximised "
        f"on a screen too small for it; {MIN_SIZE[0]}x{MIN_SIZE[1]} to {MAX_SIZE[0]}x{MAX_SIZE[1]})",
    )
    parser.add_argument("--panel", choices=PANEL_NAMES, default="vae", help="panel to show first")


def headless(args: argparse.Namespace, argv: list[str]) -> int:
    """Run ``train``, ``sample`` or ``eval``; every user-caused failure is one line and exit code 2."""
    from explorer.core.runtime.memory import is_out_of_memory, out_of_memory_message

    try:
        import torch

        from explorer.core.runtime.devices import pick_device
        from explorer.core.runtime.jobs import spare_cores

        torch.set_num_threads(getattr(args, "threads", None) or spare_cores())  # as the GUI's jobs: a core stays free

        device = str(pick_device(args.sub_device or args.device))
        if args.command == "train":
            from explorer.train_cli import run_training

            return run_training(args, argv, device)
        if args.command == "sample":
            from explorer.sample_cli import run_sampling

            return run_sampling(args, device)
        if args.command == "plane":
            from explorer.plane_cli import run_plane

            return run_plane(args, argv)
        from explorer.evaluation_cli import run_evaluation

        return run_evaluation(args, device)
    except ExplorerError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except OSError as exc:  # a file the user named could not be read or written
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
    except (MemoryError, RuntimeError) as exc:  # torch.OutOfMemoryError is a RuntimeError
        if not is_out_of_memory(exc):
            raise  # a bug in our code: the traceback is the report
        print(f"error: {out_of_memory_message(args.command, getattr(args, 'model', ''))}", file=sys.stderr)
    return 2


def check_screenshot(path: Path) -> None:
    """Refuse a --screenshot target before the window is rendered: a PNG file in a folder that can take it."""
    from explorer.core.runtime.atomic import check_target

    if path.suffix.lower() != ".png":
        raise ExplorerError(f"--screenshot must end in .png, not {path.suffix or 'nothing'}.")
    check_target(path, "--screenshot")


def main(argv: list[str]) -> int:
    install_stop_handlers()  # first: a stop while torch is still being imported is the same one line
    try:
        args = window_args(argv) or build_parser().parse_args(argv)
        if args.command in COMMANDS:
            return headless(args, argv)
        if args.screenshot:
            check_screenshot(args.screenshot)
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM at any moment
        print(stop_message(argv), file=sys.stderr)
        return STOPPED
    except ExplorerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the window: a kill ends it as before
    from explorer.app import run

    return run(args)
