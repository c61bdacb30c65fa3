"""The reading flow of the chapters: no code cell a reader sees on the site is longer than 60
lines (cells whose input the site hides or removes are exempt)."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
HIDDEN = {"hide-input", "remove-input", "remove-cell"}
MAX_LINES = 60


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_visible_code_cells_are_short(notebook):
    cells = json.loads(notebook.read_text())["cells"]
    long = [
        (i, len("".join(cell["source"]).splitlines()))
        for i, cell in enumerate(cells)
        if cell["cell_type"] == "code"
        and not HIDDEN & set(cell["metadata"].get("tags", []))
        and len("".join(cell["source"]).splitlines()) > MAX_LINES
    ]
    assert long == [], f"visible code cells (index, lines) longer than {MAX_LINES}: {long}"
