"""The timing harness: warm up, then run every case once per round, for several rounds.

Timing one case after the other is biased: the machine changes over a run (another process
starts, the CPU clock drops as it heats), and whatever was measured during the disturbance
looks slow. Interleaving spreads a disturbance over all cases, and rotating the order each
round keeps any case from always following the same neighbour (and its cache state). The
median is robust to a few disturbed rounds; the interquartile range (IQR, the spread of the
middle half of the rounds) says how far to trust it, min and max show the extremes. With a
`bound`, rounds continue until every case's IQR is at most `bound` times its median, or
`max_repeats` rounds have run: then the machine was too noisy, and the results say so.

    timings = time_interleaved({"numpy": run_numpy, "torch": run_torch}, repeats=7)
    timings["numpy"].median  # seconds

Interleaving alternates libraries with thread pools of their own, and a pool keeps its threads
spinning for a while after each call (OpenBLAS's for about 0.1 s): on a machine with as many
cores as threads, a case timed right after a NumPy case shares the cores with those spinning
threads. Measured on the book's machine, torch.nn.RNN took 20 ms alone and 110 ms right after
the NumPy RNN; after a pause of 0.3 s, 20 ms again. So with `settle` > 0 every timed call
comes after a pause of `settle` seconds (the other pools go idle) and one untimed call of the
same case (its own pool is awake, as it is in a training loop that calls it repeatedly).

As in `timeit`, the garbage collector is off while a case runs: a collection of the many
objects that importing PyTorch creates would otherwise land, at random, in some case's time.
(Arrays and autograd graphs are freed by reference counting, without the collector.)
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of one case over `repeats` rounds: median, quartiles, min and max."""

    median: float
    q1: float
    q3: float
    min: float
    max: float
    repeats: int

    @classmethod
    def of(cls, seconds: list[float]) -> Timing:
        """Summarise a list of measured durations in seconds."""
        if not seconds:
            raise ValueError("seconds: expected at least one duration, received none")
        q1 = q3 = seconds[0]
        if len(seconds) > 1:
            q1, _, q3 = statistics.quantiles(seconds, n=4, method="inclusive")
        median = statistics.median(seconds)
        return cls(median, q1, q3, min(seconds), max(seconds), len(seconds))

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @property
    def relative_iqr(self) -> float:
        return self.iqr / self.median if self.median > 0 else float("inf")

    def record(self) -> dict[str, float]:
        """{"median_s", "iqr_s", "min_s", "max_s"}, rounded as a results file stores them."""
        return {f"{k}_s": rounded(getattr(self, k)) for k in ("median", "iqr", "min", "max")}


def rounded(value: float, digits: int = 4) -> float:
    """value to `digits` significant digits: a measured time is not more precise than that."""
    return float(f"{value:.{digits}g}")


def time_once(function: Callable[[], object]) -> float:
    """Seconds one call of function takes (perf_counter), the garbage collector off."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        function()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def time_interleaved(
    cases: dict[str, Callable[[], object]],
    repeats: int,
    warmup: int = 1,
    settle: float = 0.0,
    bound: float | None = None,
    max_repeats: int = 0,
) -> dict[str, Timing]:
    """Time every case in interleaved rounds, after `warmup` untimed calls of each.

    Round r runs the cases in their given order rotated by r places.

    Args:
        cases: name -> function without arguments (its result is discarded).
        repeats: rounds of measurement, >= 1; with a bound, the least number of rounds.
        warmup: untimed rounds first (first calls pay for allocations, caches, lazy setup).
        settle: seconds to pause before each timed call, which then follows one untimed call
            of its case (module docstring); 0: neither.
        bound: more rounds while some case's relative IQR (IQR / median) exceeds it ...
        max_repeats: ... up to this many rounds in all.

    Returns:
        name -> Timing, in the order of cases.
    """
    if repeats < 1 or warmup < 0 or settle < 0:
        raise ValueError(
            f"need repeats >= 1, warmup >= 0 and settle >= 0, received {repeats}, {warmup}, "
            f"{settle}"
        )
    names = list(cases)
    for _ in range(warmup):
        for name in names:
            cases[name]()
    seconds: dict[str, list[float]] = {name: [] for name in names}

    def spread_too_wide() -> bool:
        return any(Timing.of(times).relative_iqr > bound for times in seconds.values())

    round_ = 0
    while round_ < repeats or (bound and round_ < max_repeats and spread_too_wide()):
        shift = round_ % len(names) if names else 0
        for name in names[shift:] + names[:shift]:
            if settle:
                time.sleep(settle)
                cases[name]()
            seconds[name].append(time_once(cases[name]))
        round_ += 1
    return {name: Timing.of(seconds[name]) for name in names}
