"""How long a job has run and how long it has left, in words a status bar can show."""

from __future__ import annotations

SHOW_AFTER_S = 3.0  # a job shorter than this needs no clock
MIN_FRACTION = 0.005  # below this the estimate is noise


def clock(seconds: float) -> str:
    """0:07, 4:56, 1:02:03."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def time_left(fraction: float, elapsed_s: float) -> str:
    """'1:23 elapsed, about 4:56 left' (a straight-line estimate from the fraction done), or ''
    for a job too young to say."""
    if elapsed_s < SHOW_AFTER_S:
        return ""
    if fraction < MIN_FRACTION or fraction >= 1.0:
        return f"{clock(elapsed_s)} elapsed"
    return f"{clock(elapsed_s)} elapsed, about {clock(elapsed_s * (1.0 - fraction) / fraction)} left"
