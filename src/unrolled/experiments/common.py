"""What every experiment script shares: one repeatable thread, and results files in one layout."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch


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


def dumps(results: dict[str, Any]) -> str:
    """The results as the text of a results file (sorted keys, fixed layout)."""
    return json.dumps(results, indent=1, sort_keys=True) + "\n"


def load_results(path: str | Path) -> dict[str, Any]:
    """Read a results file written by an experiment script."""
    return json.loads(Path(path).read_text())


def torch_version() -> str:
    """The PyTorch version without its local build tag ("2.13.0", not "2.13.0+cpu")."""
    return torch.__version__.split("+")[0]
