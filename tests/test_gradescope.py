"""The Gradescope autograder: what the zip holds, and the same grades as `make grade`.

Gradescope unpacks the zip into /autograder/source, runs setup.sh once to build the image, puts
one submission in /autograder/submission and runs run_autograder, which must write
/autograder/results/results.json. These tests lay out that tree in a temporary folder (the
script reads its root from AUTOGRADER_ROOT and its Python from GRADER_PYTHON), grade the same
notebooks as tools/grade.py and compare, and run attacks of the cheat battery through it.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from test_grade_attacks import LEAK, attack_notebook
from wrong_answers import master_points, master_solutions, submission, wrong_answers

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "01-sequential-data"
ATTACKS = ("patch-numpy", "patch-test-runner", "read-hidden-tests", "rewrite-tests")


def notebooks() -> dict[str, nbformat.NotebookNode]:
    student = nbformat.read(ROOT / "exercises" / f"{ASSIGNMENT}.ipynb", as_version=4)
    solutions = master_solutions(ROOT / "solutions" / f"{ASSIGNMENT}.ipynb")
    wrong = {q: answers[0][1] for q, answers in wrong_answers(ASSIGNMENT).items()}
    return {
        "solution": submission(student, solutions),
        "untouched": student,
        "wrong": submission(student, solutions | wrong),
        "half": submission(student, {q: solutions[q] for q in ("q1", "q3")}),
    }


def run_gradescope(zip_path: Path, nb: nbformat.NotebookNode, root: Path) -> dict:
    """Grade one notebook in a fresh copy of Gradescope's layout; its results.json."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):
        (root / "source" / name).chmod(0o755)
    (root / "submission").mkdir()
    nbformat.write(nb, root / "submission" / "notebook.ipynb")
    env = {"AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": sys.executable, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        ["bash", root / "source" / "run_autograder"], env=env, capture_output=True, text=True
    )
    results = root / "results" / "results.json"
    assert results.exists(), done.stdout + done.stderr
    return json.loads(results.read_text())


@pytest.fixture(scope="module")
def both(built_autograders: Path, tmp_path_factory: pytest.TempPathFactory):
    """Each notebook graded offline (one grade.py run) and on the Gradescope layout."""
    local = tmp_path_factory.mktemp("local")
    cases = notebooks()
    for name, nb in cases.items():
        nbformat.write(nb, local / f"{ASSIGNMENT}--{name}.ipynb")
    output = local.parent / "local.csv"
    command = [sys.executable, ROOT / "tools" / "grade.py", local, "--output", output]
    subprocess.run(command + ["--autograder-dir", built_autograders], check=True)
    with output.open(newline="") as handle:
        rows = {row["file"].split("--")[1][:-6]: row for row in csv.DictReader(handle)}
    zip_path = built_autograders / f"{ASSIGNMENT}.zip"
    remote = {
        name: run_gradescope(zip_path, nb, tmp_path_factory.mktemp(name))
        for name, nb in cases.items()
    }
    return rows, remote


def test_the_zip_holds_the_book_grader_and_installs_only_pinned_packages(
    built_autograders: Path,
) -> None:
    with zipfile.ZipFile(built_autograders / f"{ASSIGNMENT}.zip") as archive:
        names = set(archive.namelist())
        setup = archive.read("setup.sh").decode()
        requirements = archive.read("requirements.txt").decode().split()
    assert {"grade.py", "sandbox.py", "worker.py", "run_autograder", "setup.sh"} <= names
    assert {"tests/q1.py", "otter_config.json", "requirements.txt", "time_limit"} <= names
    assert not names & {"environment.yml", "run_otter.py"}  # otter's runner is gone
    assert not re.search(r"wget|curl|miniforge|mamba|playwright", setup, re.IGNORECASE)
    pins = {normalised(line) for line in (ROOT / "requirements.txt").read_text().split()}
    assert requirements and all(normalised(line) in pins for line in requirements)


def normalised(requirement: str) -> str:
    """A pin with the package name spelled one way (jupyter_core and jupyter-core alike)."""
    name, _, version = requirement.partition("==")
    return f"{name.lower().replace('_', '-')}=={version}"


def test_local_and_gradescope_grades_agree(both) -> None:
    rows, remote = both
    for name, results in remote.items():
        scores = {t["name"]: t["score"] for t in results["tests"] if "score" in t}
        local = {q: float(rows[name][q]) for q in scores}
        assert scores == local, name
        assert results["score"] == float(rows[name]["total"]), name
    full = sum(master_points(ROOT / "solutions" / f"{ASSIGNMENT}.ipynb").values())
    assert remote["solution"]["score"] == full and remote["untouched"]["score"] == 0
    assert 0 < remote["half"]["score"] < full and remote["wrong"]["score"] < full


def test_results_show_no_hidden_test(both) -> None:
    _, remote = both
    zip_tests = ROOT / "solutions" / f"{ASSIGNMENT}.ipynb"
    hidden = [
        line.strip()
        for cell in nbformat.read(zip_tests, as_version=4).cells
        if cell.cell_type == "code" and cell.source.startswith("# HIDDEN")
        for line in cell.source.splitlines()[1:]
        if len(line.strip()) > 15
    ]
    assert hidden
    for name, results in remote.items():
        text = json.dumps(results)
        assert not [line for line in hidden if line in text], name
        public = results["tests"][0]
        assert public["visibility"] == "visible"
        assert all(t["visibility"] == "after_published" for t in results["tests"][1:])


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_score_zero_and_leak_nothing_on_gradescope(
    built_autograders: Path, tmp_path: Path, attack: str
) -> None:
    student = nbformat.read(ROOT / "exercises" / f"{ASSIGNMENT}.ipynb", as_version=4)
    nb = attack_notebook(student, attack, tmp_path / "source", tmp_path / "submission")
    results = run_gradescope(built_autograders / f"{ASSIGNMENT}.zip", nb, tmp_path)
    assert results["score"] == 0
    assert not (tmp_path / "submission" / LEAK).exists()
    assert sorted(p.name for p in (tmp_path / "submission").iterdir()) == ["notebook.ipynb"]
