"""tools/worked_solutions.py: the self-study notebooks carry every answer and no test, and
the default build never includes them."""

import importlib.util
from pathlib import Path

import nbformat
import pytest
from wrong_answers import master_regions

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location(
    "worked_solutions", ROOT / "tools" / "worked_solutions.py"
)
worked_solutions = importlib.util.module_from_spec(spec)
spec.loader.exec_module(worked_solutions)
MASTERS = sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("master", MASTERS, ids=lambda p: p.stem)
def test_worked_notebook_has_every_answer_and_no_test(master):
    nb = worked_solutions.worked_notebook(master)
    sources = [cell.source for cell in nb.cells]
    parts = master_regions(master)
    assert parts["solution"] and parts["tests"]
    assert all(answer in sources for answer in parts["solution"])
    assert not any(test in sources for test in parts["tests"])
    assert not any("# HIDDEN" in s or "grader" in s for s in sources)
    assert all(cell.cell_type in ("markdown", "code") for cell in nb.cells)
    assert nb.cells[0].source.startswith("# Worked solutions ")
    nbformat.validate(nb)


def test_the_self_study_toc_adds_one_part(tmp_path):
    out, toc = tmp_path / "worked", tmp_path / "toc.yml"
    with pytest.raises(ValueError):  # the notebooks must sit inside the book's source tree
        worked_solutions.main(["--out", str(out), "--toc", str(toc)])
    book = worked_solutions.yaml.safe_load((ROOT / "_toc.yml").read_text())
    extended = worked_solutions.table_of_contents(
        ROOT / "_toc.yml", [m.stem for m in MASTERS], "worked-solutions"
    )
    assert extended["parts"][:-1] == book["parts"]
    assert extended["parts"][-1] == {
        "caption": "Worked solutions",
        "chapters": [{"file": f"worked-solutions/{m.stem}"} for m in MASTERS],
    }


def test_solutions_are_built_only_on_request_and_then_removed():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nbook:")[1].split("\n\n")[0]
    assert recipe.index("rm -rf worked-solutions") < recipe.index("ifeq ($(SOLUTIONS),1)")
    assert "--path-output _build/self-study; status=$$?; rm -rf worked-solutions" in recipe
    assert "worked-solutions/" in (ROOT / ".gitignore").read_text().splitlines()
