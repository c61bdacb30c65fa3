"""Part 1: forward and backward of one recurrent layer, every implementation against its floor.

Every (cell, dtype) gets one Problem; its floor (implementations.floor) and every
implementation run on it, all timed together, interleaved (timing.py), so the ratios compare
measurements taken side by side. Each row of the result holds the median, IQR, min and max
seconds, the ratios of medians to the floor and to the torch.nn module of the same cell and
dtype, and the achieved matrix-multiply GFLOP/s. The peak, the rate of one large square
product in each library, says how fast the machine multiplies when nothing else matters.

The run's threads (cli.Settings.threads) speed up the matrix products but not NumPy's
elementwise operations, which run on one thread whatever the setting; so the floor, the NumPy
layers and torch.nn are timed a second time with one thread, which separates the two effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from unrolled.benchmarks.implementations import (
    CELLS,
    IMPLEMENTATIONS,
    floor,
    in_cache,
    layer_flops,
    make_problem,
    prepare,
)
from unrolled.benchmarks.machine import blas_threads
from unrolled.benchmarks.timing import Timing, rounded, time_interleaved, time_once

DTYPES = ("float32", "float64")
MEASURED = ("floor", *IMPLEMENTATIONS)  # the rows of every (cell, dtype), in this order
GATED = ("lstm", "gru")  # the cells whose elementwise work is also timed alone, in cache
ONE_THREAD = ("floor", "numpy", "module")  # timed again with one thread (run_kernels)


@dataclass(frozen=True)
class Sizes:
    """Batch N, length T, input size D, hidden size H."""

    N: int
    T: int
    D: int
    H: int


def run_kernels(
    sizes: Sizes,
    repeats: int,
    warmup: int = 1,
    settle: float = 0.0,
    bound: float | None = None,
    max_repeats: int = 0,
    seed: int = 0,
) -> dict[str, Any]:
    """Time the floor and every implementation on every cell in both dtypes, with the threads
    pinned for the run; then the floor, the NumPy layers and torch.nn again with one thread.

    Args:
        sizes: of the layers; repeats, warmup, settle, bound, max_repeats: as for
            timing.time_interleaved (rounds go on while a relative IQR exceeds `bound`).

    Returns:
        {"rounds": rounds run, "bound", "noisy": True if some relative IQR still exceeds the
        bound, "widest": the case with the largest relative IQR and that IQR, "rows": rows
        {"cell", "dtype", "implementation", "median_s", "iqr_s", "min_s", "max_s",
        "ratio_to_floor", "ratio_to_module", "flops", "gflops"}, ordered by dtype, cell,
        then MEASURED; "in_cache": for each GATED cell and dtype, the timing of
        implementations.in_cache, {"cell", "dtype", "median_s", "iqr_s", "min_s", "max_s",
        "above_floor_s": the NumPy layer's median minus its floor's}; "one_thread": the same
        "rounds", "bound", "noisy", "widest" and "rows" for ONE_THREAD, timed in their own
        interleaved rounds within machine.blas_threads(1)}.
    """
    N, T, D, H = sizes.N, sizes.T, sizes.D, sizes.H
    cases = {}
    for dtype in DTYPES:
        for cell in CELLS:
            problem = make_problem(cell, N, T, D, H, dtype, seed)
            cases[f"{dtype}/{cell}/floor"] = floor(problem)
            for implementation in IMPLEMENTATIONS:
                cases[f"{dtype}/{cell}/{implementation}"] = prepare(implementation, problem).run
            if cell in GATED:
                cases[f"{dtype}/{cell}/in_cache"] = in_cache(problem)
    timings = time_interleaved(cases, repeats, warmup, settle, bound, max_repeats)
    cached = []
    for dtype in DTYPES:
        for cell in GATED:
            numpy_s, floor_s = (timings[f"{dtype}/{cell}/{i}"].median for i in ("numpy", "floor"))
            timing = timings[f"{dtype}/{cell}/in_cache"]
            cached.append(
                {"cell": cell, "dtype": dtype}
                | timing.record()
                | {"above_floor_s": rounded(numpy_s - floor_s)}
            )
    alone = {name: cases[name] for name in cases if name.split("/")[2] in ONE_THREAD}
    with blas_threads(1):
        one_thread = time_interleaved(alone, repeats, warmup, settle, bound, max_repeats)
    return _summary(timings, bound, sizes) | {
        "in_cache": cached,
        "one_thread": _summary(one_thread, bound, sizes),
    }


def _summary(timings: dict[str, Timing], bound: float | None, sizes: Sizes) -> dict[str, Any]:
    """The rounds, spread and rows of run_kernels for timings named "dtype/cell/implementation"
    (each row holds its ratios to the floor and the module of its cell; the spread counts the
    in_cache cases too, which have no row here)."""
    rows = []
    for name, timing in timings.items():
        dtype, cell, implementation = name.split("/")
        if implementation == "in_cache":
            continue
        flops = layer_flops(cell, sizes.N, sizes.T, sizes.D, sizes.H)
        rows.append(
            {"cell": cell, "dtype": dtype, "implementation": implementation}
            | timing.record()
            | {
                "ratio_to_floor": rounded(timing.median / timings[f"{dtype}/{cell}/floor"].median),
                "ratio_to_module": rounded(
                    timing.median / timings[f"{dtype}/{cell}/module"].median
                ),
                "flops": flops,
                "gflops": rounded(flops / timing.median / 1e9),
            }
        )
    widest = max(timings, key=lambda name: timings[name].relative_iqr)
    return {
        "rounds": next(iter(timings.values())).repeats,
        "bound": bound,
        "noisy": bool(bound) and timings[widest].relative_iqr > bound,
        "widest": {"case": widest, "relative_iqr": rounded(timings[widest].relative_iqr)},
        "rows": rows,
    }


def run_peak(square: int, repeats: int, seed: int = 0) -> list[dict[str, Any]]:
    """GFLOP/s of the product (n, n) @ (n, n) into a preallocated output, the best of
    `repeats` timings after an untimed one, in both libraries (np.matmul: NumPy's BLAS,
    OpenBLAS; torch.matmul: PyTorch's, MKL) and both dtypes: rows {"library", "dtype",
    "shape", "gflops"}."""
    rows = []
    for dtype in DTYPES:
        a, b = np.random.default_rng(seed).standard_normal((2, square, square)).astype(dtype)
        out = np.empty_like(a)
        ta, tb, tout = (torch.from_numpy(array) for array in (a, b, out))
        products = {
            "numpy": lambda a=a, b=b, out=out: np.matmul(a, b, out=out),
            "torch": lambda ta=ta, tb=tb, tout=tout: torch.matmul(ta, tb, out=tout),
        }
        for library, product in products.items():
            product()
            best = min(time_once(product) for _ in range(repeats))
            rate = 2 * square**3 / best / 1e9
            row = {"library": library, "dtype": dtype, "shape": [square] * 3}
            rows.append(row | {"gflops": rounded(rate)})
    return rows


def find_row(
    kernels: dict[str, Any], cell: str, dtype: str, implementation: str
) -> dict[str, Any]:
    """The row of one (cell, dtype, implementation) in run_kernels' result; KeyError if none."""
    for row in kernels["rows"]:
        if (row["cell"], row["dtype"], row["implementation"]) == (cell, dtype, implementation):
            return row
    raise KeyError(f"no measurement of {implementation} {cell} in {dtype}")


def peak_gflops(peak_rows: list[dict[str, Any]], dtype: str) -> float:
    """The machine's peak in dtype: the best rate of the square product in either library."""
    rates = [r["gflops"] for r in peak_rows if r["dtype"] == dtype]
    if not rates:
        raise ValueError(f"peak_rows: no product measured in {dtype}")
    return max(rates)
