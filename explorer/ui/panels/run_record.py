"""How a checkpoint was made, in words, for a panel's model description: its steps over all its
runs (a run continued with ``init_from`` records the one before) and where and how long it trained."""

from __future__ import annotations

from explorer.core.runtime.training import training_runs


def earlier_steps(info: dict) -> int:
    """The steps of the runs before the last: where a continued run's recorded curve starts."""
    return sum(r["steps"] for r in training_runs(info)[:-1])


def steps_text(info: dict) -> str:
    """'19,000 steps in 4 runs', or '500 steps' for a single run."""
    runs = training_runs(info)
    steps = sum(r["steps"] for r in runs)
    return f"{steps:,} steps{f' in {len(runs)} runs' if len(runs) > 1 else ''}"


def trained_text(info: dict) -> str:
    """'\\nTrained on CPU (2 cores) in 42.0 min' over all runs, or '' where the record says nothing."""
    runs = training_runs(info)
    devices = sorted({r["training"]["device"] for r in runs if r["training"].get("device")})
    if not devices:
        return ""
    minutes = sum(r["training"].get("seconds", 0) for r in runs) / 60
    return f"\nTrained on {' and '.join(devices)} in {minutes:.1f} min"
