"""The otter masters mark hidden tests one way only. otter assign makes a test cell hidden when
its first line contains the word "hidden" anywhere (re.search(r"\\bhidden\\b", first line,
IGNORECASE) in otter.assign.tests_manager), so a public test whose first comment merely
mentions hidden states would silently vanish from the students' checks. Here a test cell is
hidden exactly when it starts with "# HIDDEN TEST"."""

import re
from pathlib import Path

import pytest
from wrong_answers import master_regions

ROOT = Path(__file__).resolve().parent.parent
MASTERS = sorted((ROOT / "solutions").glob("*.ipynb"))
OTTER_HIDDEN = re.compile(r"\bhidden\b", flags=re.IGNORECASE)  # otter's rule, first line only


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_hidden_tests_are_marked_and_only_they_look_hidden_to_otter(master):
    cells = master_regions(master)["tests"]
    assert cells
    for source in cells:
        first = source.splitlines()[0] if source else ""
        marked = first.startswith("# HIDDEN TEST")
        assert marked == bool(OTTER_HIDDEN.search(first)), (
            f"{master.name}: otter would treat this test cell as "
            f"{'hidden' if OTTER_HIDDEN.search(first) else 'public'}, "
            f"its first line says otherwise: {first!r}"
        )
