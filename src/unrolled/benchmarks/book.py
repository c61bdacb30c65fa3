"""Part 3: what the book costs to run: every notebook executed serially, each in a fresh kernel.

This is what a reader does with "Restart kernel and run all", and what `make test` does with
nbval (which compares the outputs too): the wall time includes starting the kernel and
importing the libraries. The notebooks run from notebooks/ (they read results/*.json), with
the environment of this process (so with its thread settings); their outputs are discarded,
the files are not changed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

from unrolled.benchmarks.timing import rounded

NOTEBOOKS = Path("notebooks")  # relative to the repository, where `make bench` runs
CELL_TIMEOUT = 600  # seconds: a cell that takes longer fails the run instead of hanging it


def book_notebooks(directory: Path = NOTEBOOKS) -> list[Path]:
    """The book's notebooks in reading order: chapters NN-*, then the appendices."""
    notebooks = sorted(directory.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebook in {directory}")
    return notebooks


def execute_seconds(path: Path) -> float:
    """Wall-clock seconds to execute a notebook top to bottom in a fresh python3 kernel."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def run_book(notebooks: list[Path], log: bool = True) -> dict[str, Any]:
    """Execute the notebooks one after the other.

    Returns:
        {"notebooks": [{"notebook": file name, "seconds": ...}, ...], "total_seconds": wall
        time of the whole serial run}.
    """
    rows, start = [], time.perf_counter()
    for path in notebooks:
        seconds = execute_seconds(path)
        rows.append({"notebook": path.name, "seconds": rounded(seconds)})
        if log:
            print(f"  {path.name:<32} {seconds:7.1f} s", flush=True)
    return {"notebooks": rows, "total_seconds": rounded(time.perf_counter() - start)}
