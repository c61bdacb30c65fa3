"""Known-wrong answers to the exercises, and the helpers that turn answers into submissions.

``tests/wrong_answers/NN-topic.py`` lists plausible mistakes for the assignment NN-topic as
``WRONG_ANSWERS = {question: [(mistake, answer cell source), ...]}``. A submission is the
generated student notebook (exercises/NN-topic.ipynb) with some answer cells replaced: by a
wrong answer, or by the master's solution (solutions/NN-topic.ipynb).
"""

from __future__ import annotations

import copy
import re
import runpy
from pathlib import Path

import nbformat
import yaml

HERE = Path(__file__).resolve().parent
ANSWER_TAG = "otter_answer_cell"  # otter assign tags the stub cell of every question with it
CHECK_CELL = re.compile(r'grader\.check\("(?P<question>[^"]+)"\)')


def wrong_answers(assignment: str) -> dict[str, list[tuple[str, str]]]:
    """The WRONG_ANSWERS of one assignment."""
    return runpy.run_path(str(HERE / f"{assignment}.py"))["WRONG_ANSWERS"]


def assignments() -> list[str]:
    """The assignments that have a list of wrong answers."""
    return sorted(path.stem for path in HERE.glob("[0-9]*.py"))


def master_solutions(master: Path) -> dict[str, str]:
    """Map each question of an otter master to the source of its solution cell."""
    solutions: dict[str, str] = {}
    question, in_solution = None, False
    for cell in nbformat.read(master, as_version=4).cells:
        if cell.cell_type == "raw" and cell.source.startswith("# BEGIN QUESTION"):
            question = yaml.safe_load(cell.source.removeprefix("# BEGIN QUESTION"))["name"]
        elif cell.cell_type == "raw" and cell.source.strip() in (
            "# BEGIN SOLUTION",
            "# END SOLUTION",
        ):
            in_solution = cell.source.strip() == "# BEGIN SOLUTION"
        elif in_solution and cell.cell_type == "code":
            if question in solutions:
                raise ValueError(f"{master}: question {question} has several solution cells")
            solutions[question] = cell.source
    return solutions


def master_regions(master: Path) -> dict[str, list[str]]:
    """The sources of the code cells in the master's solution and test regions (between its raw
    # BEGIN/# END SOLUTION and # BEGIN/# END TESTS cells): {"solution": [...], "tests": [...]}."""
    regions: dict[str, list[str]] = {"solution": [], "tests": []}
    inside = None
    for cell in nbformat.read(master, as_version=4).cells:
        if cell.cell_type == "raw":
            marker = cell.source.strip()
            inside = {"# BEGIN SOLUTION": "solution", "# BEGIN TESTS": "tests"}.get(marker)
        elif inside and cell.cell_type == "code":
            regions[inside].append(cell.source)
    return regions


def master_points(master: Path) -> dict[str, float]:
    """Map each question of an otter master, in order, to its points (the sum over its tests)."""
    points = {}
    for cell in nbformat.read(master, as_version=4).cells:
        if cell.cell_type == "raw" and cell.source.startswith("# BEGIN QUESTION"):
            config = yaml.safe_load(cell.source.removeprefix("# BEGIN QUESTION"))
            value = config["points"]
            points[config["name"]] = float(sum(value) if isinstance(value, list) else value)
    return points


def answer_cells(nb: nbformat.NotebookNode) -> dict[str, int]:
    """Map each question of a student notebook to the index of its answer cell.

    The answer cell of a question is the tagged cell before its ``grader.check("q")`` cell.
    """
    found: dict[str, int] = {}
    pending: list[int] = []
    for index, cell in enumerate(nb.cells):
        if ANSWER_TAG in cell.metadata.get("tags", []):
            pending.append(index)
        match = CHECK_CELL.fullmatch(cell.source.strip()) if cell.cell_type == "code" else None
        if match:
            if len(pending) != 1:
                raise ValueError(f"{match['question']}: {len(pending)} answer cells, expected 1")
            found[match["question"]] = pending.pop()
    return found


def submission(student: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of the student notebook whose answer cells hold the given sources."""
    nb = copy.deepcopy(student)
    cells = answer_cells(nb)
    for question, source in answers.items():
        nb.cells[cells[question]].source = source.strip("\n")
    return nb
