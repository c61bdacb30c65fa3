"""The targets the benchmark is measured against, and whether a run reached them.

Targets are goals for the from-scratch code, not tests: times depend on the machine, so
nothing in the test suite compares against them. The benchmark prints this evaluation and
the appendix notebook shows it, with the factor by which a missed target was missed.

- every NumPy layer (RNN, LSTM, GRU) forward+backward: at most 1.5 times its floor, the time
  of the matrix products it performs (implementations.floor), in float32 and in float64, with
  one thread and with the run's threads (key "floor/cell/dtype/threads");
- every notebook under 60 s, the whole book under 12 minutes, executed serially.

torch.nn is not a target: in float32 its LSTM is oneDNN's fused kernel, whose time loop runs
in C++ with MKL's products, which NumPy code cannot match on every CPU.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any

from unrolled.benchmarks.implementations import CELLS
from unrolled.benchmarks.kernels import DTYPES, find_row

FLOOR_RATIO = 1.5  # median(NumPy layer) / median(its matrix products alone), at most
NOTEBOOK_SECONDS = 60.0
BOOK_SECONDS = 12 * 60.0
RELATIONS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge}


@dataclass(frozen=True)
class Check:
    """One target against one measurement.

    key names the target for code ("floor/lstm/float32/2", "notebook", "book"); target says
    it in words; measured and limit are in unit.
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
        threads = bench["settings"]["threads"]
        runs = {1: bench["kernels"]["one_thread"], threads: bench["kernels"]}
        for n, run in sorted(runs.items()):
            for dtype in DTYPES:
                for cell in CELLS:
                    ratio = find_row(run, cell, dtype, "numpy")["ratio_to_floor"]
                    checks.append(
                        Check(
                            f"floor/{cell}/{dtype}/{n}",
                            f"NumPy {cell.upper()} {dtype}, {n} thread{'s' * (n > 1)}: "
                            f"at most {FLOOR_RATIO:g}x its floor",
                            ratio,
                            "<=",
                            FLOOR_RATIO,
                            "x floor",
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
