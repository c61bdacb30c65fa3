"""What every experiment script shares: one repeatable thread, parallel runs, and results files
in one layout."""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from unrolled.benchmarks.machine import machine_info as machine  # noqa: F401  (re-exported)
from unrolled.seq2seq import PAD, Decoder, teacher_forcing_input

RESULTS_DIR = Path("notebooks") / "results"  # relative to the repository: run from its root


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """One PyTorch thread (repeatable results) and subnormal floats flushed to zero, then restore.

    Flushing matters for speed: a gradient that vanishes through 200 steps reaches float32's
    subnormal range (below 1.2e-38), where CPU arithmetic is many times slower.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(threads)


def teacher_forcing_update(
    model: Decoder,
    optimizer: torch.optim.Optimizer,
    src: torch.Tensor,
    lengths: torch.Tensor | None,
    tgt: torch.Tensor,
    max_norm: float,
) -> float:
    """One optimiser step of an encoder-decoder on a batch under teacher forcing: the mean
    negative log-likelihood of the target tokens tgt (N, U) (PAD excluded), its gradients
    clipped to a total norm of max_norm. Returns the loss."""
    log_probs = model(src, lengths, teacher_forcing_input(tgt))  # (N, U, V)
    loss = torch.nn.functional.nll_loss(log_probs.flatten(0, 1), tgt.flatten(), ignore_index=PAD)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


def in_parallel(function: Callable[..., Any], calls: list[tuple], jobs: int) -> list[Any]:
    """function(*call) for every call, in `jobs` spawned processes (one core each); the results
    are the same for any number of jobs when each call seeds its own generators."""
    if jobs == 1:
        return [function(*call) for call in calls]
    with multiprocessing.get_context("spawn").Pool(min(jobs, len(calls))) as pool:
        return pool.starmap(function, calls)


def in_parallel_while(
    function: Callable[..., Any], calls: list[tuple], jobs: int, meanwhile: Callable[[], Any]
) -> tuple[list[Any], Any]:
    """in_parallel(function, calls, jobs), while this process runs meanwhile() (with one job:
    first meanwhile(), then the calls); returns both results."""
    if jobs == 1:
        other = meanwhile()
        return [function(*call) for call in calls], other
    with multiprocessing.get_context("spawn").Pool(min(jobs, len(calls))) as pool:
        pending = pool.starmap_async(function, calls)
        other = meanwhile()
        return pending.get(), other


def dumps(results: dict[str, Any]) -> str:
    """The results as the text of a results file (sorted keys, fixed layout)."""
    return json.dumps(results, indent=1, sort_keys=True) + "\n"


def load_results(path: str | Path) -> dict[str, Any]:
    """Read a results file written by an experiment script."""
    return json.loads(Path(path).read_text())


def torch_version() -> str:
    """The PyTorch version without its local build tag ("2.13.0", not "2.13.0+cpu")."""
    return torch.__version__.split("+")[0]


def spread(values: list[float], decimals: int = 4) -> dict[str, float]:
    """The median, minimum and maximum of a metric over seeds (the median rounded)."""
    return {
        "median": round(float(np.median(values)), decimals),
        "min": min(values),
        "max": max(values),
    }


def provenance(start: float) -> dict[str, Any]:
    """How long a run took since `start` (time.perf_counter()), where, and with which torch."""
    return {
        "seconds": round(time.perf_counter() - start),
        "machine": machine(),
        "torch": torch_version(),
    }


def command_line(name: str, doc: str, jobs: bool = False) -> argparse.ArgumentParser:
    """The options every experiment takes: `--tiny`, `--output` and, if it can, `--jobs`."""
    parser = argparse.ArgumentParser(
        prog=f"python -m unrolled.experiments {name}", description=doc.splitlines()[0]
    )
    parser.add_argument("--tiny", action="store_true", help="run the tiny configuration only")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR, help="results directory")
    if jobs:
        parser.add_argument("--jobs", type=int, default=1, help="processes (one core each)")
    return parser


def script(
    name: str,
    run: Callable[..., tuple[dict[str, Any], torch.nn.Module | dict | None]],
    settings: dict[str, Any],
    tiny: dict[str, Any],
    doc: str,
    argv: list[str] | None = None,
    jobs: bool = False,
) -> int:
    """The command line of an experiment: `--tiny` prints the tiny run's results as JSON; a full
    run writes `NAME.json` (with the tiny run's results under "tiny", for the tests) and, if
    `run` returns a model (or its state dict), the checkpoint `NAME.pt`, both in `--output`.

    `run(settings, log)` returns (results, model, state dict or None); it runs on one thread.
    With `jobs`, the option `--jobs` is offered and the full run is `run(settings, log, jobs)`.
    """
    args = command_line(name, doc, jobs).parse_args(argv)
    with one_thread():
        if args.tiny:
            sys.stdout.write(dumps(run(tiny, False)[0]))
            return 0
        results, model = run(settings, True, *([args.jobs] if jobs else []))
        results["tiny"] = run(tiny, False)[0]
    args.output.mkdir(parents=True, exist_ok=True)
    if model is not None:
        state = model.state_dict() if isinstance(model, torch.nn.Module) else model
        torch.save(state, args.output / f"{name}.pt")
    (args.output / f"{name}.json").write_text(dumps(results))
    print(f"wrote {args.output / name}.json", file=sys.stderr)
    return 0
