"""Export one sample's reverse chain as an animated GIF or a PNG strip, from the stored uint8 frames.

Both are built from exactly the grey levels the panel shows, enlarged by whole pixels
(nearest neighbour), with a band beneath that names each picture's timestep t, and written atomically.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from explorer.core.diffusion.chain_record import ChainRecord
from explorer.core.runtime.atomic import atomic_write

GAP = 2  # grey pixels between pictures (before enlarging)
GAP_GREY = 128
LABEL_HEIGHT = 14  # pixels of the black band under the pictures that holds their t (after enlarging)


def spread_frames(count: int, most: int) -> list[int]:
    """At most ``most`` frame indices evenly spread from the first to the last of ``count``."""
    if count < 1:
        raise ValueError("The chain has no frames yet.")
    if count <= most:
        return list(range(count))
    if most < 2:
        return [count - 1]
    return sorted({int(i) for i in np.linspace(0, count - 1, most).round()})


def _row(pictures: list[np.ndarray]) -> np.ndarray:
    """Pictures (28, 28) side by side with a grey gap between them: uint8 (28, 29k + ...)."""
    gap = np.full((pictures[0].shape[0], GAP), GAP_GREY, dtype=np.uint8)
    parts = [p for picture in pictures for p in (picture, gap)][:-1]
    return np.concatenate(parts, axis=1)


def enlarge(image: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour enlargement: each pixel becomes a scale x scale block."""
    return np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)


def t_label(record: ChainRecord, k: int) -> str:
    """Frame ``k``'s timestep in the paper's numbering, as the panel's timeline writes it."""
    return f"t = {record.paper_t(k)}"


def labelled(image: np.ndarray, labels: list[tuple[int, str]]) -> np.ndarray:
    """``image`` (H, W) uint8 above a black band in which each (x, text) of ``labels`` is written from x."""
    band = Image.new("L", (image.shape[1], LABEL_HEIGHT), 0)
    draw = ImageDraw.Draw(band)
    font = ImageFont.load_default()
    for x, text in labels:
        draw.text((x + 2, 1), text, fill=255, font=font)
    return np.concatenate([image, np.asarray(band)])


def gif_frames(record: ChainRecord, sample: int, most: int = 120, scale: int = 4) -> list[np.ndarray]:
    """The GIF's pictures: [x_t | ε̂ | x̂_0] of ``sample`` at up to ``most`` stored frames, each above its t and step,
    uint8 (H, W) each."""
    return [
        labelled(
            enlarge(_row([record.images[k, j, sample] for j in range(3)]), scale),
            [(0, f"{t_label(record, k)}    step {k + 1} / {record.total_steps}")],  # the font has no ε̂, x̂
        )
        for k in spread_frames(record.count, most)
    ]


def strip(record: ChainRecord, sample: int, columns: int = 11, scale: int = 3) -> np.ndarray:
    """Two rows at up to ``columns`` frames from x_T to the end: x_t above, x̂_0 below, each column's t beneath,
    uint8 (H, W)."""
    chosen = spread_frames(record.count, columns)
    rows = [_row([record.image(k, kind, sample) for k in chosen]) for kind in ("x_t", "x0_pred")]
    gap = np.full((GAP, rows[0].shape[1]), GAP_GREY, dtype=np.uint8)
    pictures = enlarge(np.concatenate([rows[0], gap, rows[1]]), scale)
    return labelled(pictures, [(j * (28 + GAP) * scale, t_label(record, k)) for j, k in enumerate(chosen)])


def _check(record: ChainRecord, sample: int) -> None:
    if record.count == 0:
        raise ValueError("The chain has no frames yet: run it first.")
    if not 0 <= sample < record.n:
        raise ValueError(f"There is no sample {sample} in a chain of {record.n}.")


def save_gif(
    path: str | os.PathLike[str],
    record: ChainRecord,
    sample: int,
    fps: float = 20.0,
    hold_s: float = 1.5,
    most: int = 120,
) -> Path:
    """Write the chain of ``sample`` as a looping GIF; the last frame is held ``hold_s`` seconds."""
    _check(record, sample)
    pictures = [Image.fromarray(frame) for frame in gif_frames(record, sample, most)]
    durations = [round(1000 / fps)] * len(pictures)
    durations[-1] = round(1000 * hold_s)
    buffer = io.BytesIO()
    pictures[0].save(buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=durations, loop=0)
    return atomic_write(path, buffer.getvalue())


def save_strip(path: str | os.PathLike[str], record: ChainRecord, sample: int, columns: int = 11) -> Path:
    """Write the PNG strip of ``sample`` (see ``strip``)."""
    _check(record, sample)
    buffer = io.BytesIO()
    Image.fromarray(strip(record, sample, columns)).save(buffer, format="PNG")
    return atomic_write(path, buffer.getvalue())
