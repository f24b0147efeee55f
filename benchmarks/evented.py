"""The cost of one state change on the drag path: the project's ``Evented`` against psygnal's evented dataclass.

    python benchmarks/evented.py            (psygnal is measured where it is installed: pip install psygnal)

Issue 35 asked to choose between psygnal and a dataclass with one ``changed`` signal by measuring the drag
path; a change is one field assigned and one listener called (a section's repaint is the listener's work,
not counted here). Wall time per change, best of five runs of 200,000.
"""

from __future__ import annotations

import dataclasses
import timeit

from explorer.core.runtime.evented import Evented


@dataclasses.dataclass(eq=False)
class Player(Evented):
    frame: int = 0
    selected: int = 0


def per_change(change) -> float:
    """Microseconds per call of ``change``, best of five runs."""
    n = 200_000
    return min(timeit.repeat(change, number=n, repeat=5)) / n * 1e6


def main() -> None:
    ours = Player()
    ours.changed.connect(lambda names: None)
    count = iter(range(10**9))
    print(f"Evented.update, one listener: {per_change(lambda: ours.update(frame=next(count))):.2f} µs per change")
    try:
        import psygnal
    except ImportError:
        print("psygnal is not installed (pip install psygnal to compare)")
        return

    @psygnal.evented
    @dataclasses.dataclass
    class Theirs:
        frame: int = 0
        selected: int = 0

    theirs = Theirs()
    theirs.events.frame.connect(lambda value: None)  # type: ignore[attr-defined]

    def assign() -> None:
        theirs.frame = next(count)

    print(f"psygnal {psygnal.__version__} evented dataclass, one listener: {per_change(assign):.2f} µs per change")


if __name__ == "__main__":
    main()
