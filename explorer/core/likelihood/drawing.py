"""Points drawn with a brush: the left button sprays points inside the brush, the right erases those within it.

The 2-D Lab's canvas reports each stroke as (x, y, erase); this is what a stroke does to the points, kept
Qt-free so the EM section and its tests share it (the 2-D Lab's panel does the same inline).
"""

from __future__ import annotations

import numpy as np

from explorer.core.plane.data import MAX_POINTS

SPRAY = 6  # points one stroke of the brush adds


def brush_stroke(
    points: np.ndarray, x: float, y: float, radius: float, erase: bool, rng: np.random.Generator
) -> np.ndarray | None:
    """The points after a stroke at (x, y): SPRAY new points spread evenly over the disc of ``radius``
    (area-uniform: √u for the radius), or the points outside the disc when erasing. None when an erasing
    stroke touches no point, so the caller can skip a repaint. At most MAX_POINTS are kept (the newest)."""
    if erase:
        keep = np.hypot(points[:, 0] - x, points[:, 1] - y) > radius
        return None if keep.all() else points[keep]
    angle = rng.uniform(0, 2 * np.pi, SPRAY)
    r = radius * np.sqrt(rng.uniform(0, 1, SPRAY))
    spray = np.stack([x + r * np.cos(angle), y + r * np.sin(angle)], 1).astype(points.dtype)
    return np.concatenate([points, spray])[-MAX_POINTS:]
