"""The targets the benchmark is measured against, and whether a run reached them.

Targets are goals for the from-scratch code, not tests: times depend on the machine, so
nothing in the test suite compares against them. The benchmark prints this evaluation and
the appendix notebook shows it, with the factor by which a missed target was missed.

- NumPy LSTM forward+backward: at most 1.2 times torch.nn.LSTM in float32, faster than it in
  float64;
- NumPy RNN: at most 0.7 times torch.nn.RNN (in both dtypes);
- every NumPy layer: at least half of the measured matrix-multiply peak (kernels.peak_gflops);
- every notebook under 60 s, the whole book under 12 minutes, executed serially.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

from unrolled.benchmarks.implementations import CELLS
from unrolled.benchmarks.kernels import DTYPES, find_row, peak_gflops
from unrolled.benchmarks.timing import rounded

RATIO_TARGETS = (  # (cell, dtype, relation, limit) for median(NumPy) / median(torch.nn)
    ("lstm", "float32", "<=", 1.2),
    ("lstm", "float64", "<", 1.0),
    ("rnn", "float32", "<=", 0.7),
    ("rnn", "float64", "<=", 0.7),
)
PEAK_FRACTION = 0.5  # of the peak, for every NumPy layer
NOTEBOOK_SECONDS = 60.0
BOOK_SECONDS = 12 * 60.0
RELATIONS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge}


@dataclass(frozen=True)
class Check:
    """One target against one measurement.

    key names the target for code ("ratio/lstm/float32", "peak/rnn/float64", "notebook",
    "book"); target says it in words; measured and limit are in unit.
    """

    key: str
    target: str
    measured: float
    relation: str
    limit: float
    unit: str

    @property
    def met(self) -> bool:
        return RELATIONS[self.relation](self.measured, self.limit)

    @property
    def factor(self) -> float:
        """How far from the limit, > 1 meaning on the wrong side: measured / limit for an
        upper limit, limit / measured for a lower one."""
        if self.relation == ">=":
            return self.limit / self.measured if self.measured > 0 else float("inf")
        return self.measured / self.limit


def evaluate(bench: dict[str, Any] | None, book: dict[str, Any] | None) -> list[Check]:
    """Every target that the given results (either may be None) can decide."""
    checks = []
    if bench is not None:
        kernels = bench["kernels"]
        for cell, dtype, relation, limit in RATIO_TARGETS:
            ratio = find_row(kernels, cell, dtype, "numpy")["ratio_to_module"]
            words = "faster than" if relation == "<" else f"at most {limit:g}x"
            checks.append(
                Check(
                    f"ratio/{cell}/{dtype}",
                    f"NumPy {cell.upper()} {dtype}: {words} torch.nn.{cell.upper()}",
                    ratio,
                    relation,
                    limit,
                    "x torch.nn",
                )
            )
        for dtype in DTYPES:
            peak = peak_gflops(bench["peak"], dtype)
            for cell in CELLS:
                fraction = find_row(kernels, cell, dtype, "numpy")["gflops"] / peak
                checks.append(
                    Check(
                        f"peak/{cell}/{dtype}",
                        f"NumPy {cell.upper()} {dtype}: at least {PEAK_FRACTION:.0%} of peak",
                        rounded(fraction),
                        ">=",
                        PEAK_FRACTION,
                        "of peak",
                    )
                )
    if book is not None:
        slowest = max(book["notebooks"], key=lambda row: row["seconds"])
        checks.append(
            Check(
                "notebook",
                f"every notebook under {NOTEBOOK_SECONDS:g} s (slowest: {slowest['notebook']})",
                slowest["seconds"],
                "<",
                NOTEBOOK_SECONDS,
                "s",
            )
        )
        checks.append(
            Check(
                "book",
                f"the whole book under {BOOK_SECONDS / 60:g} min, serially",
                book["total_seconds"],
                "<",
                BOOK_SECONDS,
                "s",
            )
        )
    return checks
