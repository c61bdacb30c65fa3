"""One call that makes a run repeatable: seed Python, NumPy and PyTorch together.

    rng = seed_everything(0)   # at the top of every notebook and experiment

The returned `numpy.random.Generator` is the preferred source of randomness in new code
(pass it around explicitly); the global generators are seeded too, for code that uses them.
"""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed `random`, NumPy's global generator and PyTorch's; return `default_rng(seed)`.

    Args:
        seed: an int in [0, 2**32), the range every one of the three libraries accepts.

    Returns:
        A fresh `numpy.random.Generator` seeded with `seed`.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (the legacy global generator, for code that uses it)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)
