"""The one plot style of the book: call `use_style()` in a notebook's setup cell.

`STYLE` is a plain dict of matplotlib rcParams, so a reader can see (and change) every
setting in one place. Applying it twice changes nothing. `box` and `arrow` are the two pieces
the architecture diagrams of chapters 6 and 7 are drawn with.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib as mpl
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

# Okabe & Ito's palette: distinguishable with the common forms of colour blindness.
COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")

STYLE: dict[str, object] = {
    "figure.figsize": (6.0, 3.5),
    "figure.dpi": 110,
    "savefig.dpi": 110,
    "figure.constrained_layout.use": True,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.6,
    "legend.frameon": False,
    "image.cmap": "viridis",
    "axes.prop_cycle": cycler(color=COLORS),
}


def use_style() -> None:
    """Apply `STYLE` to matplotlib's global rcParams (idempotent)."""
    mpl.rcParams.update(STYLE)


BOX_PAD = 0.02  # the rounded border of `box` lies this far outside its width and height


def box(
    ax: Axes,
    x: float,
    y: float,
    text: str,
    color: str,
    width: float = 0.9,
    height: float = 0.42,
    fontsize: float = 8,
) -> None:
    """A rounded box centred at (x, y), filled with `color`, labelled `text`, above arrows."""
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle=f"round,pad={BOX_PAD}",
            facecolor=color,
            edgecolor="black",
            zorder=3,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=4)


def arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], **style: Any) -> None:
    """An arrow from `start` to `end`, below boxes; `style` overrides FancyArrowPatch's."""
    style = {"arrowstyle": "-|>", "mutation_scale": 8, "color": "black"} | style
    ax.add_patch(FancyArrowPatch(start, end, zorder=2, **style))


def _crossing(
    center: tuple[float, float],
    size: tuple[float, float],
    origin: tuple[float, float],
    direction: tuple[float, float],
) -> tuple[float, float]:
    """The interval of s for which origin + s * direction lies in the box (slab method)."""
    lo, hi = -math.inf, math.inf
    for c, half, o, d in zip(center, (size[0] / 2, size[1] / 2), origin, direction, strict=True):
        if d == 0:
            if abs(o - c) > half:
                return math.inf, -math.inf  # parallel to this slab and outside it
            continue
        s0, s1 = sorted(((c - half - o) / d, (c + half - o) / d))
        lo, hi = max(lo, s0), min(hi, s1)
    return lo, hi


def border_point(
    center: tuple[float, float], size: tuple[float, float], toward: tuple[float, float]
) -> tuple[float, float]:
    """Where the ray from `center` toward the point `toward` leaves the box of `size`.

    The box is axis-aligned, centred at `center`, `size` = (width, height) including any
    border padding. Raises ValueError if `toward` equals `center` (no direction).
    """
    direction = (toward[0] - center[0], toward[1] - center[1])
    if direction == (0, 0):
        raise ValueError(f"toward must differ from center, received {toward!r} for both")
    _, s = _crossing(center, size, center, direction)
    return center[0] + s * direction[0], center[1] + s * direction[1]


def connect(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    start_size: tuple[float, float] = (0.9, 0.42),
    end_size: tuple[float, float] = (0.9, 0.42),
    offset: float = 0.0,
    **style: Any,
) -> tuple[tuple[float, float], tuple[float, float]]:
    """An arrow from the border of the `box` centred at `start` to that of the one at `end`.

    The arrow lies on the line through the two centres, shifted by `offset` to the left of
    its direction, so that a forward and a backward arrow between the same two boxes can run
    side by side. `start_size` and `end_size` are the (width, height) given to `box` (its
    padding is added here); `style` goes to `arrow`. Returns the arrow's tail and head, e.g.
    to place a label. Raises ValueError if the boxes overlap along the line or the shifted
    line misses one of them.
    """
    direction = (end[0] - start[0], end[1] - start[1])
    length = math.hypot(*direction)
    if length == 0:
        raise ValueError(f"end must differ from start, received {end!r} for both")
    normal = (-direction[1] / length, direction[0] / length)  # to the left of the direction
    origin = (start[0] + offset * normal[0], start[1] + offset * normal[1])
    padded = [(w + 2 * BOX_PAD, h + 2 * BOX_PAD) for w, h in (start_size, end_size)]
    start_in, start_out = _crossing(start, padded[0], origin, direction)
    end_in, end_out = _crossing(end, padded[1], origin, direction)
    if start_in > start_out or end_in > end_out:
        raise ValueError(f"offset {offset} is too large: the arrow misses a box")
    if start_out >= end_in:
        raise ValueError(f"the boxes at {start!r} and {end!r} overlap along the arrow")
    tail, head = (
        (origin[0] + s * direction[0], origin[1] + s * direction[1]) for s in (start_out, end_in)
    )
    arrow(ax, tail, head, **({"shrinkA": 0, "shrinkB": 0} | style))
    return tail, head
