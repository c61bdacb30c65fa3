"""The one plot style of the book: call `use_style()` in a notebook's setup cell.

`STYLE` is a plain dict of matplotlib rcParams, so a reader can see (and change) every
setting in one place. Applying it twice changes nothing.
"""

from __future__ import annotations

import matplotlib as mpl
from cycler import cycler

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
