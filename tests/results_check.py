"""Comparing an experiment's re-run with its committed results, within tolerances.

Training is chaotic in floating point: another instruction set or BLAS kernel changes the
summation order and, after many updates, the digits. The tiny configurations the tests re-run
are short, so their numbers move far less than from one seed to the next; measured on the
book's machine, a re-run with the AVX2 code paths (OPENBLAS_CORETYPE=Haswell,
MKL_ENABLE_INSTRUCTIONS=AVX2, ATEN_CPU_CAPABILITY=avx2) reproduced every tiny configuration
exactly. The tolerances below leave room for other processors while staying far below the
spread across seeds, so a changed computation still fails.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

VARYING = {"machine", "seconds"}  # what a re-run may change: where and how fast it ran
REL = 1e-3  # relative tolerance for every float (seed-to-seed spread: percents)
DISCRETE_SHARE = 0.02  # share of class predictions that may flip (tiny seed spread: ~5%)
# Share of generated texts (captions) that may differ: the tiny captioners are barely trained,
# so near-ties between words flip on another processor; measured on an Intel Xeon (AVX-512)
# against the AMD EPYC that committed them, up to 36 of 304 greedy captions differed while
# every score agreed to 1e-3. A broken decoder changes nearly all of them.
TEXT_SHARE = 0.25


def assert_results_close(new: Any, committed: Any, path: str = "") -> None:
    """Same structure, same strings and flags, floats within REL, predictions mostly equal."""
    if isinstance(committed, dict):
        assert isinstance(new, dict) and set(new) == set(committed), f"{path}: keys differ"
        for key in committed.keys() - VARYING:
            assert_results_close(new[key], committed[key], f"{path}/{key}")
    elif isinstance(committed, list) and committed and all(type(v) is int for v in committed):
        assert len(new) == len(committed), f"{path}: length differs"
        flipped = sum(a != b for a, b in zip(new, committed, strict=True))
        assert flipped <= DISCRETE_SHARE * len(committed), f"{path}: {flipped} values differ"
    elif isinstance(committed, list) and committed and all(type(v) is str for v in committed):
        assert len(new) == len(committed), f"{path}: length differs"
        changed = sum(a != b for a, b in zip(new, committed, strict=True))
        assert changed <= TEXT_SHARE * len(committed), f"{path}: {changed} texts differ"
    elif isinstance(committed, list):
        assert isinstance(new, list) and len(new) == len(committed), f"{path}: length differs"
        for i, (a, b) in enumerate(zip(new, committed, strict=True)):
            assert_results_close(a, b, f"{path}[{i}]")
    elif isinstance(committed, float):
        assert new == pytest.approx(committed, rel=REL, abs=REL), f"{path}: {new} != {committed}"
    else:
        assert new == committed, f"{path}: {new!r} != {committed!r}"


def assert_tiny_rerun_close(name: str, committed: dict[str, Any]) -> None:
    """Re-run `python -m unrolled.experiments NAME --tiny` from the repository's root and compare
    its results with the committed tiny entry (`results["tiny"]`)."""
    command = [sys.executable, "-m", "unrolled.experiments", name, "--tiny"]
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert_results_close(json.loads(done.stdout), committed)
