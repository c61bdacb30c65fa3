"""Part 1: forward and backward of one recurrent layer, NumPy against PyTorch, and the peak.

Every (cell, dtype, implementation) of implementations.py runs on the same Problem for its
cell and dtype; all of them are timed together, interleaved (timing.py), so the ratios to the
torch.nn module compare measurements taken side by side. Each row of the result holds the
median, min and max seconds, the ratio of medians to the torch.nn module of the same cell and
dtype, and the achieved matrix-multiply GFLOP/s (flops.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from unrolled.benchmarks.flops import layer_flops, matmul_rate
from unrolled.benchmarks.implementations import (
    CELLS,
    GATES,
    IMPLEMENTATIONS,
    make_problem,
    prepare,
)
from unrolled.benchmarks.timing import rounded, time_interleaved

DTYPES = ("float32", "float64")
LIBRARIES = ("numpy", "torch")


@dataclass(frozen=True)
class Sizes:
    """Batch N, length T, input size D, hidden size H."""

    N: int
    T: int
    D: int
    H: int


def run_kernels(
    sizes: Sizes, repeats: int, warmup: int = 1, settle: float = 0.0, seed: int = 0
) -> list[dict[str, Any]]:
    """Time every implementation on every cell in both dtypes; one row each.

    Returns:
        rows {"cell", "dtype", "implementation", "median_s", "min_s", "max_s",
        "ratio_to_module", "flops", "gflops"}, ordered by dtype, cell, implementation.
    """
    N, T, D, H = sizes.N, sizes.T, sizes.D, sizes.H
    cases = {}
    for dtype in DTYPES:
        for cell in CELLS:
            problem = make_problem(cell, N, T, D, H, dtype, seed)
            for implementation in IMPLEMENTATIONS:
                cases[(dtype, cell, implementation)] = prepare(implementation, problem).run
    names = {key: "/".join(key) for key in cases}
    timed = {names[k]: run for k, run in cases.items()}
    timings = time_interleaved(timed, repeats, warmup, settle)
    rows = []
    for dtype, cell, implementation in cases:
        timing = timings[names[(dtype, cell, implementation)]]
        module = timings[names[(dtype, cell, "module")]]
        flops = layer_flops(cell, N, T, D, H)
        rows.append(
            {
                "cell": cell,
                "dtype": dtype,
                "implementation": implementation,
                **timing.record(),
                "ratio_to_module": rounded(timing.median / module.median),
                "flops": flops,
                "gflops": rounded(flops / timing.median / 1e9),
            }
        )
    return rows


def matmul_shapes(sizes: Sizes, square: int) -> dict[str, tuple[int, int, int]]:
    """The products whose rates are measured: a large square one (the peak), and for each
    cell the recurrent product of one step, h(t-1) W^T: (N, H) @ (H, G H)."""
    shapes = {"square": (square, square, square)}
    for cell in CELLS:
        shapes[f"{cell} step"] = (sizes.N, sizes.H, GATES[cell] * sizes.H)
    return shapes


def run_peak(sizes: Sizes, square: int, repeats: int) -> list[dict[str, Any]]:
    """Matrix-multiply rates of both libraries in both dtypes; rows {"library", "dtype",
    "product", "shape", "gflops"}. The "square" product's best rate is the peak."""
    rows = []
    for dtype in DTYPES:
        for product, shape in matmul_shapes(sizes, square).items():
            m, k, n = shape
            number = min(max(1, round(2e8 / (2 * m * k * n))), 1000)  # ~0.2 GFLOP a timing
            for library in LIBRARIES:
                rate = matmul_rate(library, dtype, shape, repeats, number=number)
                rows.append(
                    {
                        "library": library,
                        "dtype": dtype,
                        "product": product,
                        "shape": list(shape),
                        "gflops": rounded(rate),
                    }
                )
    return rows


def find_row(
    kernels: list[dict[str, Any]], cell: str, dtype: str, implementation: str
) -> dict[str, Any]:
    """The row of one (cell, dtype, implementation) in run_kernels' result; KeyError if none."""
    for row in kernels:
        if (row["cell"], row["dtype"], row["implementation"]) == (cell, dtype, implementation):
            return row
    raise KeyError(f"no measurement of {implementation} {cell} in {dtype}")


def peak_gflops(peak_rows: list[dict[str, Any]], dtype: str) -> float:
    """The machine's peak in dtype: the best rate of the square product in either library."""
    rates = [r["gflops"] for r in peak_rows if r["dtype"] == dtype and r["product"] == "square"]
    if not rates:
        raise ValueError(f"peak_rows: no square product measured in {dtype}")
    return max(rates)
