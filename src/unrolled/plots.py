"""The one plot style of the book: call `use_style()` in a notebook's setup cell.

`STYLE` is a plain dict of matplotlib rcParams, so a reader can see (and change) every
setting in one place. Applying it twice changes nothing. `box` and `arrow` are the two pieces
the architecture diagrams of chapters 6 and 7 are drawn with.
"""

from __future__ import annotations

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


def box(
    ax: Axes, x: float, y: float, text: str, color: str, width: float = 0.9, height: float = 0.42
) -> None:
    """A rounded box centred at (x, y), filled with `color`, labelled `text`, above arrows."""
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle="round,pad=0.02",
            facecolor=color,
            edgecolor="black",
            zorder=3,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=8, zorder=4)


def arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], **style: Any) -> None:
    """An arrow from `start` to `end`, below boxes; `style` overrides FancyArrowPatch's."""
    style = {"arrowstyle": "-|>", "mutation_scale": 8, "color": "black"} | style
    ax.add_patch(FancyArrowPatch(start, end, zorder=2, **style))
