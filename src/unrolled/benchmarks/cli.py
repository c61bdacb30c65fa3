"""The benchmark script behind `make bench`: run the parts, print the tables, write the files.

    python -m unrolled.benchmarks                  # everything, ~13 min on 2 cores
    python -m unrolled.benchmarks --only kernels   # one part, printed (files: see below)
    python -m unrolled.benchmarks --quick          # tiny sizes, 2 repetitions: a smoke run

Parts: "kernels" (forward+backward of the NumPy and PyTorch layers and of their floor, the
matrix products alone, with the run's threads and with one; the NumPy LSTM's and GRU's
elementwise work alone, in cache; and the matrix-multiply peak), "scaling" (full against
truncated BPTT as T grows), "book" (every notebook executed).
Two results files, each written only when all of its parts ran:
notebooks/results/bench.json (kernels and scaling) and notebooks/results/book-cost.json
(book). The appendix notebook (notebooks/appendix-how-fast.ipynb) reads both.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from unrolled.benchmarks import report
from unrolled.benchmarks.book import CELL_TIMEOUT, NOTEBOOKS, book_notebooks, run_book
from unrolled.benchmarks.implementations import CELLS
from unrolled.benchmarks.kernels import DTYPES, MEASURED, Sizes, run_kernels, run_peak
from unrolled.benchmarks.machine import machine_info, pin_threads
from unrolled.benchmarks.scaling import run_scaling
from unrolled.benchmarks.targets import evaluate
from unrolled.experiments.common import dumps

PARTS = ("kernels", "scaling", "book")
BENCH_OUTPUT = Path("notebooks") / "results" / "bench.json"
BOOK_OUTPUT = Path("notebooks") / "results" / "book-cost.json"
BUSY = 0.5  # load average above which the machine is not quiet enough to measure


@dataclass(frozen=True)
class Settings:
    """Everything that decides what is measured (the results file records it)."""

    quick: bool
    threads: int  # for NumPy's and PyTorch's BLAS
    sizes: Sizes  # of the layers compared
    repeats: int  # timed rounds at least, after `warmup` untimed ones ...
    iqr_bound: float  # ... more while a case's IQR exceeds this fraction of its median ...
    max_repeats: int  # ... up to this many rounds (then the machine was noisy)
    warmup: int
    settle: float  # pause, then one untimed call, before each timed layer (timing module)
    peak_square: int  # the square product (n, n) @ (n, n) that measures the peak
    peak_repeats: int
    lengths: tuple[int, ...]  # scaling: the sequence lengths T
    truncation: int  # scaling: k of truncated BPTT
    classes: int  # scaling: output classes K
    scaling_repeats: int
    notebooks: int | None  # book: how many notebooks, in reading order (None: all)


FULL = Settings(
    quick=False,
    threads=2,
    sizes=Sizes(N=32, T=100, D=64, H=256),
    repeats=7,
    iqr_bound=0.05,
    max_repeats=21,
    warmup=1,
    settle=0.3,
    peak_square=1024,
    peak_repeats=10,
    lengths=(100, 400, 1600),
    truncation=50,  # a chunk as long as chapter 4's training chunks, and half the shortest T
    classes=64,
    scaling_repeats=5,
    notebooks=None,
)
QUICK = Settings(
    quick=True,
    threads=2,
    sizes=Sizes(N=4, T=10, D=8, H=16),
    repeats=2,
    iqr_bound=0.05,
    max_repeats=3,
    warmup=1,
    settle=0.0,
    peak_square=128,
    peak_repeats=2,
    lengths=(10, 20, 40),
    truncation=5,
    classes=8,
    scaling_repeats=2,
    notebooks=1,
)


def settings_record(settings: Settings) -> dict[str, Any]:
    """The settings as they appear in a results file, with the cells and dtypes compared."""
    record = asdict(settings)
    record["lengths"] = list(settings.lengths)
    return record | {
        "dtypes": list(DTYPES),
        "cells": list(CELLS),
        "implementations": list(MEASURED),
        "scaling_dtype": "float64",
        "cell_timeout": CELL_TIMEOUT,
    }


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_results(
    settings: Settings, parts: tuple[str, ...], machine: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run the "kernels" and/or "scaling" parts; the contents of bench.json.

    `machine` is machine_info() taken when the run started (default: now), so that its load
    average is not that of the run's own earlier parts.
    """
    results: dict[str, Any] = {
        "description": "Forward+backward times of the NumPy RNN, LSTM and GRU against their "
        "floor (the matrix products alone) and PyTorch, and full against truncated BPTT; "
        "written by python -m unrolled.benchmarks",
        "machine": machine or machine_info(),
        "settings": settings_record(settings),
    }
    if "kernels" in parts:
        log("matrix-multiply rates ...")
        results["peak"] = run_peak(settings.peak_square, settings.peak_repeats)
        log("forward + backward of every layer and its floor, interleaved ...")
        results["kernels"] = run_kernels(
            settings.sizes,
            settings.repeats,
            settings.warmup,
            settings.settle,
            settings.iqr_bound,
            settings.max_repeats,
        )
        if results["kernels"]["noisy"]:
            log(f"warning: the spread of the times stayed above {settings.iqr_bound:.0%}: noisy")
    if "scaling" in parts:
        log("full and truncated BPTT ...")
        results["scaling"] = run_scaling(
            settings.sizes,
            settings.lengths,
            settings.truncation,
            settings.classes,
            settings.scaling_repeats,
            settings.warmup,
        )
    return results


def book_results(
    settings: Settings, directory: Path = NOTEBOOKS, machine: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Run the "book" part; the contents of book-cost.json (`machine`: as in bench_results)."""
    notebooks = book_notebooks(directory)[: settings.notebooks]
    log(f"executing {len(notebooks)} notebooks, one after the other ...")
    return {
        "description": "Seconds to execute each notebook of the book in a fresh kernel, and "
        "the whole book serially; written by python -m unrolled.benchmarks",
        "machine": machine or machine_info(),
        "settings": settings_record(settings),
    } | run_book(notebooks)


def write(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dumps(results))
    log(f"wrote {path}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=PARTS, help="parts to run")
    parser.add_argument("--output", type=Path, default=BENCH_OUTPUT, help="bench results file")
    parser.add_argument("--book-output", type=Path, default=BOOK_OUTPUT, help="book results")
    parser.add_argument("--threads", type=int, default=FULL.threads, help="BLAS threads")
    args = parser.parse_args(argv)
    settings = replace(QUICK if args.quick else FULL, threads=args.threads)
    pin_threads(settings.threads, "unrolled.benchmarks", argv)  # may restart the interpreter
    parts = tuple(part for part in PARTS if part in args.only)
    machine = machine_info()
    load = machine["load_average"]
    if load is not None and load > BUSY:
        log(f"warning: load average {load}: other programs are running, the times will be slow")

    bench = book = None
    if "kernels" in parts or "scaling" in parts:
        bench = bench_results(settings, parts, machine)
        print(report.machine_table(bench["machine"]), end="\n\n")
        if "kernels" in parts:
            print(report.peak_table(bench), end="\n\n")
            print(report.kernels_table(bench), end="\n\n")
            print(report.in_cache_table(bench), end="\n\n")
            print(report.threads_table(bench), end="\n\n")
        if "scaling" in parts:
            print(report.scaling_table(bench), end="\n\n")
        if "kernels" in parts and "scaling" in parts:
            write(args.output, bench)
        else:
            log(f"not written: {args.output} needs both kernels and scaling")
    if "book" in parts:
        book = book_results(settings, machine=machine)
        print(report.book_table(book), end="\n\n")
        write(args.book_output, book)
    checks = evaluate(bench if bench and "kernels" in bench else None, book)
    if checks:
        print(report.targets_table(checks))
    return 0
