"""tools/grade.py: one row per submission, and a bad submission never stops the others.

The first grading run starts from an empty autograder directory, so grade.py must build the
autograders itself; the second reuses them with a short time limit for a notebook that never
finishes.
"""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from wrong_answers import master_points, master_solutions, submission

ROOT = Path(__file__).resolve().parent.parent
GRADE = ROOT / "tools" / "grade.py"
sys.path.insert(0, str(ROOT / "tools"))
import sandbox  # noqa: E402


def grading_sandbox() -> str:
    """The sandbox the grading tests use: the real one where this machine has one (CI installs
    bubblewrap), else an unconfined process; the attack tests skip then."""
    try:
        return sandbox.choose("auto")
    except ValueError:
        return "none"


SANDBOX = grading_sandbox()
FIRST, SECOND = "01-sequential-data", "02-unfolding-graphs"


def with_cell(nb: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """A copy of a notebook with one more code cell right after otter's init cell."""
    copy = nbformat.from_dict(nb)
    copy.cells.insert(1, nbformat.v4.new_code_cell(source))
    return copy


def without_otter_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of a notebook without the metadata naming its assignment (saved by another tool)."""
    copy = nbformat.from_dict(nb)
    copy.metadata.pop("otter", None)
    return copy


def grade(directory: Path, output: Path, *options: str, env: dict | None = None):
    done = subprocess.run(
        [sys.executable, GRADE, directory, "--output", output, "--sandbox", SANDBOX, *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    rows = {}
    if output.exists():
        with output.open(newline="") as handle:
            rows = {row["file"]: row for row in csv.DictReader(handle)}
    return done, rows


@pytest.fixture(scope="module")
def autograders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("autograders")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory, autograders: Path):
    """Grade a directory of good and bad submissions, building the autograders on the way."""
    first = nbformat.read(ROOT / "exercises" / f"{FIRST}.ipynb", as_version=4)
    second = nbformat.read(ROOT / "exercises" / f"{SECOND}.ipynb", as_version=4)
    q1 = master_solutions(ROOT / "solutions" / f"{FIRST}.ipynb")["q1"]
    directory = tmp_path_factory.mktemp("submissions")
    notebooks = {
        "a-untouched.ipynb": first,
        "b-raises-but-solves-q1.ipynb": with_cell(
            submission(first, {"q1": q1}), 'raise RuntimeError("a bug in a student cell")'
        ),
        "c-kills-its-kernel.ipynb": with_cell(second, "import os\n\nos._exit(1)"),
        "e-no-otter-metadata.ipynb": nbformat.v4.new_notebook(),
        f"f-{FIRST}-metadata-stripped.ipynb": without_otter_metadata(
            submission(first, {"q1": q1})
        ),
        f"student-g/{SECOND}.ipynb": second,  # an LMS export: one folder per student
    }
    for name, nb in notebooks.items():
        (directory / name).parent.mkdir(exist_ok=True)
        nbformat.write(nb, directory / name)
    (directory / "d-not-json.ipynb").write_text('{"cells": [')
    (directory / "notes.txt").write_text("not a notebook, not graded")
    output = directory.parent / "grades.csv"
    return grade(directory, output, "--autograder-dir", str(autograders), "--jobs", "2")


def test_builds_missing_autograders_and_grades_every_notebook(mixed, autograders: Path) -> None:
    done, rows = mixed
    assert done.returncode == 0, done.stdout + done.stderr
    masters = sorted(f"{m.stem}.zip" for m in (ROOT / "solutions").glob("*.ipynb"))
    assert sorted(p.name for p in autograders.glob("*.zip")) == masters  # one per master
    assert sorted(rows) == [
        "a-untouched.ipynb",
        "b-raises-but-solves-q1.ipynb",
        "c-kills-its-kernel.ipynb",
        "d-not-json.ipynb",
        "e-no-otter-metadata.ipynb",
        f"f-{FIRST}-metadata-stripped.ipynb",
        f"student-g/{SECOND}.ipynb",
    ]
    header = next(iter(rows.values())).keys()
    questions = list(master_points(ROOT / "solutions" / f"{FIRST}.ipynb"))
    assert questions[:2] == ["q1", "q2"]
    assert list(header) == ["file", "assignment", *questions, "total", "max", "status", "message"]
    assert "a-untouched.ipynb" in done.stdout and "status" in done.stdout  # the summary table


def test_graded_rows_have_points_per_question(mixed) -> None:
    _, rows = mixed
    untouched = rows["a-untouched.ipynb"]
    assert (untouched["assignment"], untouched["status"]) == (FIRST, "ok")
    assert [untouched[q] for q in ("q1", "q2", "q3", "q4", "total")] == ["0"] * 5
    assert float(untouched["max"]) > 0


def test_an_exception_in_a_cell_costs_only_the_points_it_breaks(mixed) -> None:
    _, rows = mixed
    row = rows["b-raises-but-solves-q1.ipynb"]
    assert row["status"] == "ok", row["message"]
    assert float(row["q1"]) > 0 and float(row["q1"]) == float(row["total"])


def test_assignment_from_the_file_name_and_submissions_in_subfolders(mixed) -> None:
    _, rows = mixed
    stripped = rows[f"f-{FIRST}-metadata-stripped.ipynb"]
    assert (stripped["assignment"], stripped["status"]) == (FIRST, "ok"), stripped["message"]
    assert float(stripped["q1"]) > 0 and float(stripped["q1"]) == float(stripped["total"])
    nested = rows[f"student-g/{SECOND}.ipynb"]
    assert (nested["assignment"], nested["status"], nested["total"]) == (SECOND, "ok", "0")


def test_broken_submissions_become_error_rows(mixed) -> None:
    _, rows = mixed
    crashed = rows["c-kills-its-kernel.ipynb"]
    assert (crashed["assignment"], crashed["status"]) == (SECOND, "error")
    assert "stopped" in crashed["message"], crashed["message"]
    assert crashed["total"] == "0" and crashed["q1"] == "0"  # every test failed
    not_json = rows["d-not-json.ipynb"]
    assert not_json["status"] == "error" and "not a valid notebook" in not_json["message"]
    unknown = rows["e-no-otter-metadata.ipynb"]
    assert unknown["status"] == "error" and "unknown assignment" in unknown["message"]


def test_time_limit_kills_the_whole_process_tree(tmp_path: Path, autograders: Path, mixed) -> None:
    # `mixed` built the autograders; this run only needs them.
    first = nbformat.read(ROOT / "exercises" / f"{FIRST}.ipynb", as_version=4)
    forever = with_cell(first, "import time\n\nwhile True:\n    time.sleep(0.5)")
    nbformat.write(forever, tmp_path / "a-loops-forever.ipynb")
    (tmp_path / "b-after-the-loop.ipynb").write_text("not json")
    started = time.time()
    options = ("--autograder-dir", str(autograders), "--timeout", "20")
    done, rows = grade(tmp_path, tmp_path / "grades.csv", *options)
    assert done.returncode == 0, done.stdout + done.stderr
    assert rows["a-loops-forever.ipynb"]["status"] == "timeout"
    assert "time limit of 20 s exceeded" in rows["a-loops-forever.ipynb"]["message"]
    assert rows["a-loops-forever.ipynb"]["total"] == "0"
    assert rows["b-after-the-loop.ipynb"]["status"] == "error"  # graded after the timeout
    assert not sandbox_processes_since(started)


def sandbox_processes_since(started: float) -> list[list[str]]:
    """Command lines of grading workers started after ``started`` that still run."""
    survivors = []
    for process in psutil.process_iter(["cmdline", "create_time"]):
        cmdline = process.info["cmdline"] or []
        if process.info["create_time"] >= started - 1 and any("worker" in a for a in cmdline):
            survivors.append(cmdline)
    return survivors


def test_usage_errors_exit_with_status_2(tmp_path: Path) -> None:
    done, _ = grade(tmp_path / "missing", tmp_path / "grades.csv")
    assert done.returncode == 2 and "is not a directory" in done.stderr
    done, _ = grade(tmp_path, tmp_path / "grades.csv")
    assert done.returncode == 2 and "no .ipynb files" in done.stderr
