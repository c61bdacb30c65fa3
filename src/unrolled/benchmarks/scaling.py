"""Part 2: full against truncated backpropagation through time as the sequence grows.

Chapter 4's character-level model (unrolled.bptt: vanilla RNN, softmax output, cross-entropy)
computes the loss and gradients of one batch of length T, either by full BPTT
(`loss_and_gradients`: every step's cache is kept until the backward pass) or by truncated
BPTT (`truncated_bptt`: chunks of k steps, one chunk's caches at a time). Both do the same
arithmetic, so their time grows linearly with T; the memory of full BPTT grows linearly too,
that of truncated BPTT stays that of one chunk, Eq. (ch4-truncated).

Time is measured interleaved (timing.py); memory in a separate call under `tracemalloc`,
which sees every NumPy allocation (and slows allocation down, so it never overlaps a
timing). The peak counts what the call allocates: the inputs, made before, are not counted.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from unrolled.benchmarks.kernels import Sizes
from unrolled.benchmarks.timing import rounded, time_interleaved
from unrolled.bptt import init_params, loss_and_gradients, truncated_bptt

METHODS = ("full", "truncated")


def peak_bytes(function: Callable[[], object]) -> int:
    """The most memory that NumPy and Python objects allocated by one call of function held
    at once, in bytes (tracemalloc)."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run_scaling(
    sizes: Sizes,
    lengths: tuple[int, ...],
    k: int,
    classes: int,
    repeats: int,
    warmup: int = 1,
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Time and peak memory of full and truncated BPTT (k steps) at every length in float64.

    Args:
        sizes: batch N, input size D and hidden size H (sizes.T is not used: see lengths).
        lengths: the sequence lengths T.
        k: the truncation length.
        classes: K, the number of output classes.
        repeats, warmup: as for timing.time_interleaved.

    Returns:
        rows {"T", "method", "k" (None for full), "median_s", "min_s", "max_s", "peak_mib"},
        ordered by T, then method.
    """
    rng = np.random.default_rng(seed)
    params = init_params(sizes.D, sizes.H, classes, rng)
    h0 = np.zeros((sizes.N, sizes.H))
    cases = {}
    for T in lengths:
        x = rng.standard_normal((sizes.N, T, sizes.D))  # (N, T, D)
        y = rng.integers(0, classes, size=(sizes.N, T))  # (N, T)
        cases[(T, "full")] = lambda x=x, y=y: loss_and_gradients(params, x, y, h0)
        cases[(T, "truncated")] = lambda x=x, y=y: truncated_bptt(params, x, y, h0, k)
    timings = time_interleaved({f"{T}/{m}": f for (T, m), f in cases.items()}, repeats, warmup)
    rows = []
    for (T, method), function in cases.items():
        timing = timings[f"{T}/{method}"]
        rows.append(
            {
                "T": T,
                "method": method,
                "k": k if method == "truncated" else None,
                **timing.record(),
                "peak_mib": rounded(peak_bytes(function) / 2**20),
            }
        )
    return rows
