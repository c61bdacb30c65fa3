"""Every notebook cell whose output nbval does not compare digit by digit still checks something.

A cell is excluded from nbval's comparison by the tag `nbval-ignore-output` or a first line
`# NBVAL_IGNORE_OUTPUT`. Two kinds of cell may be excluded: those whose digits depend on the
processor (trained models, sampling), which must assert what holds on every machine, with a
tolerance; and timings, which vary from run to run and are measured in the cell itself.
"""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "solutions").glob("*.ipynb")
)


def excluded_cells(notebook: Path) -> list[tuple[int, str]]:
    """(index, source) of every code cell nbval does not compare."""
    cells = json.loads(notebook.read_text())["cells"]
    return [
        (i, "".join(cell["source"]))
        for i, cell in enumerate(cells)
        if cell["cell_type"] == "code"
        and (
            "nbval-ignore-output" in cell["metadata"].get("tags", [])
            or "".join(cell["source"]).startswith("# NBVAL_IGNORE_OUTPUT")
        )
    ]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_excluded_cells_assert_or_time(notebook):
    unchecked = [
        i
        for i, source in excluded_cells(notebook)
        if "assert " not in source and "time.perf_counter()" not in source
    ]
    assert unchecked == [], f"cells excluded from nbval that neither assert nor time: {unchecked}"


def test_the_rule_sees_both_kinds_of_exclusion(tmp_path):
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None}
    cells = [
        cell | {"source": ["# NBVAL_IGNORE_OUTPUT\n", "print(1)"]},
        cell | {"metadata": {"tags": ["nbval-ignore-output"]}, "source": ["print(2)"]},
        cell | {"source": ["print(3)"]},
    ]
    notebook = tmp_path / "n.ipynb"
    notebook.write_text(json.dumps({"cells": cells}))
    assert [i for i, _ in excluded_cells(notebook)] == [0, 1]
