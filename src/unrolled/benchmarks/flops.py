"""Counting the work: matrix-multiply FLOPs of a recurrent layer, and the machine's peak.

A cell with G gates (RNN 1, GRU 3, LSTM 4) computes, at each of T steps, for a batch of N:

    forward    x(t) U^T     (N, D) @ (D, G H)     2 N D G H
               h(t-1) W^T   (N, H) @ (H, G H)     2 N H G H
    backward   da U         (N, G H) @ (G H, D)   2 N G H D    -> dL/dx(t)
               da W         (N, G H) @ (G H, H)   2 N G H H    -> dL/dh(t-1)
               da^T x(t)    (G H, N) @ (N, D)     2 G H N D    -> dL/dU
               da^T h(t-1)  (G H, N) @ (N, H)     2 G H N H    -> dL/dW

where da is dL/da(t) (N, G H) and a product (m, k) @ (k, n) counts 2 m k n FLOPs (one
multiply and one add per term). Forward and backward together:

    FLOPs = 6 N T G H (D + H).

Implementations that do the input products of all steps as one (N T, D) @ (D, G H) product,
as unrolled.lstm does, do the same number of FLOPs. The elementwise work (gates, tanh,
products with the gates: O(N T G H)) is not counted: it is a factor of about D + H fewer
operations, although at these sizes it takes a noticeable share of the time, because it is
limited by memory traffic, not arithmetic. Achieved GFLOP/s = FLOPs / seconds / 1e9 is
compared with the rate of a large matrix product on the same machine (`matmul_rate`), the
most a layer made of matrix products could reach.
"""

from __future__ import annotations

import numpy as np
import torch

from unrolled.benchmarks.implementations import GATES
from unrolled.benchmarks.timing import time_once
from unrolled.validation import check_int


def layer_flops(cell: str, N: int, T: int, D: int, H: int) -> int:
    """Matrix-multiply FLOPs of one forward and backward pass, 6 N T G H (D + H)."""
    if cell not in GATES:
        raise ValueError(f"cell must be one of {tuple(GATES)}, received {cell!r}")
    for name, size in (("N", N), ("T", T), ("D", D), ("H", H)):
        check_int(name, size, low=0)
    return 6 * N * T * GATES[cell] * H * (D + H)


def matmul_rate(
    library: str,
    dtype: str,
    shape: tuple[int, int, int],
    repeats: int,
    number: int = 1,
    seed: int = 0,
) -> float:
    """GFLOP/s of a product (m, k) @ (k, n) -> (m, n) into a preallocated output.

    Args:
        library: "numpy" (np.matmul, NumPy's BLAS) or "torch" (torch.matmul, PyTorch's BLAS).
        dtype: "float32" or "float64".
        shape: (m, k, n).
        repeats: timings after one untimed call; the fastest counts (the least disturbed).
        number: products per timing (small products take microseconds: time many at once).
        seed: of the random operands.
    """
    m, k, n = shape
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((k, n)).astype(dtype)
    out = np.empty((m, n), dtype)
    if library == "numpy":

        def product() -> None:
            for _ in range(number):
                np.matmul(a, b, out=out)

    elif library == "torch":
        ta, tb, tout = (torch.from_numpy(array) for array in (a, b, out))

        def product() -> None:
            for _ in range(number):
                torch.matmul(ta, tb, out=tout)

    else:
        raise ValueError(f"library must be 'numpy' or 'torch', received {library!r}")
    product()
    best = min(time_once(product) for _ in range(repeats))
    return 2 * m * k * n * number / best / 1e9
