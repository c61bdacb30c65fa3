"""The autograded exercises: generated, runnable, and graded the way they should be.

A module fixture regenerates every assignment with ``tools/assign.py --check`` (which also fails
when the committed exercises/ are stale) and then grades, with a single call of
``tools/grade.py``, a batch of submissions built from each student notebook:

* ``solution``: the master's solution in every answer cell, which must earn full marks;
* ``untouched``: the notebook as students receive it, which must earn zero on every question;
* ``wrong-K``: the K-th known-wrong answer (tests/wrong_answers/) of every question that has
  one, each of which must lose points on its question;
* ``other-right``: correct answers written differently from the master's
  (tests/other_right_answers.py), which must earn full marks.
"""

from __future__ import annotations

import ast
import csv
import json
import runpy
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient
from other_right_answers import OTHER_RIGHT_ANSWERS
from test_grade import SANDBOX
from wrong_answers import answer_cells, master_solutions, submission, wrong_answers

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
ASSIGN = ROOT / "tools" / "assign.py"
GRADE = ROOT / "tools" / "grade.py"
ASSIGNMENTS = sorted(path.stem for path in SOLUTIONS.glob("*.ipynb"))
TOOL = runpy.run_path(str(ASSIGN))  # the functions of tools/assign.py
WRONG = [
    pytest.param(assignment, question, k, id=f"{assignment}-{question}-{k}")
    for assignment in ASSIGNMENTS
    if (Path(__file__).parent / "wrong_answers" / f"{assignment}.py").exists()
    for question, answers in wrong_answers(assignment).items()
    for k in range(len(answers))
]


@dataclass
class Graded:
    check: subprocess.CompletedProcess  # tools/assign.py --check
    grade: subprocess.CompletedProcess  # tools/grade.py over all submissions
    rows: dict[str, dict[str, str]]  # grades.csv rows by file name
    autograders: Path


def run(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *map(str, args)], cwd=ROOT, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Graded:
    tmp = tmp_path_factory.mktemp("assignments")
    autograders, submissions, grades = tmp / "autograders", tmp / "submissions", tmp / "grades.csv"
    check = run(ASSIGN, "--check", "--no-run-tests", "--autograder-dir", autograders)
    submissions.mkdir()
    for assignment in ASSIGNMENTS:
        student = nbformat.read(EXERCISES / f"{assignment}.ipynb", as_version=4)
        solutions = master_solutions(SOLUTIONS / f"{assignment}.ipynb")
        variants = wrong_answers(assignment)
        notebooks = {"solution": submission(student, solutions), "untouched": student}
        others = OTHER_RIGHT_ANSWERS[assignment]
        notebooks["other-right"] = submission(student, solutions | others)
        for k in range(max(len(answers) for answers in variants.values())):
            wrong = {q: answers[k][1] for q, answers in variants.items() if k < len(answers)}
            notebooks[f"wrong-{k}"] = submission(student, solutions | wrong)
        for kind, nb in notebooks.items():
            nbformat.write(nb, submissions / f"{assignment}--{kind}.ipynb")
    grade = run(
        GRADE, submissions, "--output", grades, "--autograder-dir", autograders, "--jobs", "2",
        "--sandbox", SANDBOX,
    )  # fmt: skip
    rows = {}
    if grades.exists():
        with grades.open(newline="") as handle:
            rows = {row["file"]: row for row in csv.DictReader(handle)}
    return Graded(check, grade, rows, autograders)


def graded_row(graded: Graded, assignment: str, kind: str) -> dict[str, str]:
    file = f"{assignment}--{kind}.ipynb"
    assert file in graded.rows, f"{file} not graded:\n{graded.grade.stdout}{graded.grade.stderr}"
    row = graded.rows[file]
    assert row["status"] == "ok", f"{file}: {row['status']}: {row['message']}"
    return row


def ok_tests(autograder: Path) -> dict[str, dict]:
    """The OK-format test of every question in an autograder zip: {name, points, suites}."""
    tests = {}
    with zipfile.ZipFile(autograder) as archive:
        for name in archive.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                spec: dict = {}
                exec(archive.read(name).decode(), spec)  # otter writes `test = {...}`
                tests[spec["test"]["name"]] = spec["test"]
    return tests


def question_points(autograder: Path) -> dict[str, float]:
    """Points available per question (the masters give one value per test case)."""
    return {q: float(sum(test["points"])) for q, test in ok_tests(autograder).items()}


def ok_cases(autograder: Path) -> dict[str, list[dict]]:
    """The test cases of every question, each with its points."""
    return {
        q: [
            case | {"points": p}
            for case, p in zip(test["suites"][0]["cases"], test["points"], strict=True)
        ]
        for q, test in ok_tests(autograder).items()
    }


def master_test_cells(master: Path) -> list[nbformat.NotebookNode]:
    """The code cells between ``# BEGIN TESTS`` and ``# END TESTS`` of a master."""
    cells, inside = [], False
    for cell in nbformat.read(master, as_version=4).cells:
        if cell.cell_type == "raw" and cell.source.strip() in ("# BEGIN TESTS", "# END TESTS"):
            inside = cell.source.strip() == "# BEGIN TESTS"
        elif inside and cell.cell_type == "code":
            cells.append(cell)
    return cells


def hidden_tests(assignment: str) -> list[str]:
    """The sources of the hidden test cells of a master."""
    cells = master_test_cells(SOLUTIONS / f"{assignment}.ipynb")
    return [c.source for c in cells if c.source.startswith("# HIDDEN")]


def code_lines(source: str) -> set[str]:
    """The stripped lines of some code, as written and as ``ast.unparse`` (otter) writes them."""
    lines = source.splitlines() + ast.unparse(ast.parse(source)).splitlines()
    return {line.strip() for line in lines if line.strip() and not line.strip().startswith("#")}


def all_strings(value: object) -> list[str]:
    """Every string inside parsed JSON."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in all_strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in all_strings(item)]
    return []


# -- generation --------------------------------------------------------------------------------


def test_exercises_are_generated_and_up_to_date(graded: Graded) -> None:
    assert graded.check.returncode == 0, graded.check.stdout + graded.check.stderr
    assert sorted(p.stem for p in EXERCISES.glob("*.ipynb")) == ASSIGNMENTS
    assert sorted(p.stem for p in graded.autograders.glob("*.zip")) == ASSIGNMENTS


def test_drift_report_names_changed_missing_and_stale_files(tmp_path: Path) -> None:
    drift = TOOL["drift"]
    (tmp_path / "changed.ipynb").write_text("old\n")
    (tmp_path / "stale.ipynb").write_text("{}\n")
    (tmp_path / ".OTTER_LOG").write_text("written by grader.check, not released\n")
    expected = {"changed.ipynb": "new\n", "missing.ipynb": "{}\n"}
    report = "\n".join(drift(expected, tmp_path, complete=True))
    assert "changed.ipynb: differs" in report and "-old" in report and "+new" in report
    assert "missing.ipynb: missing" in report
    assert "stale.ipynb: in exercises/ but generated from no master" in report
    assert "OTTER_LOG" not in report
    assert drift({"changed.ipynb": "old\n"}, tmp_path, complete=False) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_master_config(assignment: str) -> None:
    master = SOLUTIONS / f"{assignment}.ipynb"
    config = TOOL["assignment_config"](master)
    TOOL["check_config"](master, config, TOOL["pinned_versions"]())  # name and pins
    assert config["export_cell"] is False and config["generate"]["pdf"] is False
    assert config["run_tests"] is True and config["init_cell"] is True
    assert config["requirements"], "pin the grading requirements"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_question_ends_with_a_try_it_cell_with_stored_output(assignment: str) -> None:
    """nbval compares what a correct answer prints, so the master must store it.

    Students get the same cells: test_exercise_runs_top_to_bottom runs them on the stubs.
    """
    cells = nbformat.read(SOLUTIONS / f"{assignment}.ipynb", as_version=4).cells
    ends = [
        i
        for i, cell in enumerate(cells)
        if cell.cell_type == "raw" and cell.source.strip() == "# END QUESTION"
    ]
    assert ends, "no questions"
    for i in ends:
        try_it = cells[i + 1] if i + 1 < len(cells) else nbformat.v4.new_markdown_cell()
        assert try_it.cell_type == "code" and try_it.source.startswith("# Try it"), (
            f"cell {i + 1}: expected a '# Try it' code cell after # END QUESTION"
        )
        assert try_it.execution_count is not None and try_it.outputs, (
            f"{try_it.source}\nhas no stored output: execute the master in place"
        )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_questions_have_public_and_hidden_tests_written_as_asserts(
    assignment: str, graded: Graded
) -> None:
    cases = ok_cases(graded.autograders / f"{assignment}.zip")
    assert len(cases) >= 3
    for question, tests in cases.items():
        assert any(not t["hidden"] for t in tests), f"{question}: no public test"
        assert any(t["hidden"] for t in tests), f"{question}: no hidden test"
        public = sum(t["points"] for t in tests if not t["hidden"])
        hidden = sum(t["points"] for t in tests if t["hidden"])
        assert 0 < public < hidden, f"{question}: hidden tests must carry most of the points"
    for cell in master_test_cells(SOLUTIONS / f"{assignment}.ipynb"):
        tree = ast.parse(cell.source)
        assert not isinstance(tree.body[-1], ast.Expr), f"trailing expression:\n{cell.source}"
        assert any(isinstance(node, ast.Assert) for node in ast.walk(tree)), cell.source


# -- grading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("kind", ["solution", "other-right"])
def test_right_answers_score_full_marks(assignment: str, kind: str, graded: Graded) -> None:
    row = graded_row(graded, assignment, kind)
    points = question_points(graded.autograders / f"{assignment}.zip")
    assert {q: float(row[q]) for q in points} == points
    assert float(row["total"]) == float(row["max"]) == sum(points.values())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_notebook_scores_zero(assignment: str, graded: Graded) -> None:
    row = graded_row(graded, assignment, "untouched")
    points = question_points(graded.autograders / f"{assignment}.zip")
    assert {q: float(row[q]) for q in points} == dict.fromkeys(points, 0.0)
    assert float(row["total"]) == 0.0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_question_has_two_plausible_wrong_answers(assignment: str) -> None:
    student = nbformat.read(EXERCISES / f"{assignment}.ipynb", as_version=4)
    cells = answer_cells(student)
    stubs = {q: ast.parse(student.cells[i].source).body[0].name for q, i in cells.items()}
    variants = wrong_answers(assignment)
    assert sorted(variants) == sorted(stubs)
    for question, answers in variants.items():
        assert len(answers) >= 2, f"{question}: at least two wrong answers"
        others = set(stubs.values()) - {stubs[question]}
        for mistake, source in answers:
            tree = ast.parse(source)  # valid Python, defining the function the stub asks for
            assert [node.name for node in tree.body] == [stubs[question]], mistake
            calls = {
                n.func.id
                for n in ast.walk(tree)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            }
            assert not calls & others, f"{mistake}: must not depend on another answer"


@pytest.mark.parametrize(("assignment", "question", "k"), WRONG)
def test_wrong_answer_loses_points(assignment: str, question: str, k: int, graded: Graded) -> None:
    mistake = wrong_answers(assignment)[question][k][0]
    row = graded_row(graded, assignment, f"wrong-{k}")
    full = question_points(graded.autograders / f"{assignment}.zip")[question]
    assert float(row[question]) < full, f"{question} ({mistake}) earned full marks"


def question_test_cells(master: Path) -> dict[str, list[str]]:
    """The sources of every question's test cells (public and hidden), by question."""
    tests: dict[str, list[str]] = {}
    question, inside = None, False
    for cell in nbformat.read(master, as_version=4).cells:
        source = cell.source.strip()
        if cell.cell_type == "raw" and source.startswith("# BEGIN QUESTION"):
            question = yaml.safe_load(source.removeprefix("# BEGIN QUESTION"))["name"]
        elif cell.cell_type == "raw" and source in ("# BEGIN TESTS", "# END TESTS"):
            inside = source == "# BEGIN TESTS"
        elif inside and cell.cell_type == "code":
            tests.setdefault(question, []).append(cell.source)
    return tests


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_question_is_tested_without_the_answers_to_other_questions(assignment: str) -> None:
    """A wrong answer to one question must not cost points on another: no test of question q
    calls the function another question asks for (it computes its references itself)."""
    master = SOLUTIONS / f"{assignment}.ipynb"
    answers = {
        q: {node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}
        for q, source in master_solutions(master).items()
    }
    for question, sources in question_test_cells(master).items():
        others = set().union(*(names for q, names in answers.items() if q != question))
        for source in sources:
            called = {
                node.func.id
                for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            }
            assert not called & others, f"{question}'s tests call {sorted(called & others)}"


# -- what students receive ---------------------------------------------------------------------


def released_text() -> str:
    """Every string students receive from exercises/, notebooks parsed from their JSON."""
    texts = []
    for name in TOOL["released_files"](EXERCISES):
        text = (EXERCISES / name).read_text()
        texts += all_strings(json.loads(text)) if name.endswith(".ipynb") else [text]
    return "\n".join(texts)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_hidden_test_code_in_exercises(assignment: str, graded: Graded) -> None:
    hidden = hidden_tests(assignment)
    assert hidden, "no hidden tests found"
    # Code students see in any master (setup, solutions, public tests, Try it) is no secret:
    # a public line of one assignment may well reappear in a hidden test of another.
    visible = set()
    for name in ASSIGNMENTS:
        master = nbformat.read(SOLUTIONS / f"{name}.ipynb", as_version=4)
        shown = [c.source for c in master.cells if c.cell_type == "code"]
        visible |= set().union(*map(code_lines, set(shown) - set(hidden_tests(name))))
    secret = {line for source in hidden for line in code_lines(source) if len(line) >= 12}
    secret -= visible
    released = {line.strip() for line in released_text().splitlines()}  # whole lines only:
    leaked = sorted(secret & released)  # a substring match flags `assert np.allclose(` anywhere
    assert not leaked, f"hidden test code in exercises/: {leaked}"
    # The search is not blind: it finds otter's form of the same lines in the autograder.
    cases = ok_cases(graded.autograders / f"{assignment}.zip")
    grading = "\n".join(c["code"] for tests in cases.values() for c in tests if c["hidden"])
    unparsed = {line.strip() for s in hidden for line in ast.unparse(ast.parse(s)).splitlines()}
    assert unparsed & secret
    assert all(line in grading for line in unparsed & secret)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercise_runs_top_to_bottom(assignment: str, tmp_path: Path) -> None:
    notebook = tmp_path / f"{assignment}.ipynb"  # grader.check reads its tests from this file
    shutil.copy(EXERCISES / notebook.name, notebook)
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError on the first cell that fails
    checks = [c for c in nb.cells if c.cell_type == "code" and "grader.check(" in c.source]
    assert checks, "no check cells"
    for cell in checks:
        shown = "".join(
            output.get("data", {}).get("text/plain", "") + output.get("text", "")
            for output in cell.outputs
        )
        assert "failed" in shown, f"the stub should fail its public tests:\n{cell.source}\n{shown}"
