"""Grade a directory of submitted notebooks offline, with student code kept in a sandbox.

    python tools/grade.py DIR --output grades.csv [--timeout 300] [--jobs 1]
                          [--sandbox auto] [--autograder-dir _build/autograder]

Every ``*.ipynb`` in DIR or in its subfolders (one folder per student, as LMS exports lay them
out) is graded against the tests of its assignment's otter autograder zip (built with
tools/assign.py first if any is missing). The assignment is the one otter stores in the
notebook's metadata, or else the longest assignment name contained in the file name.

Student code and tests never share a process. The notebook's cells run in a sandbox (see
tools/sandbox.py: no network, no files but Python and NumPy, limits on time, memory and
processes), which holds no test; each test case then runs here, in the grader's own process
with its own NumPy, and reaches the student's functions only through calls whose arguments and
results cross a pipe as plain data. A submission can therefore neither rewrite nor read the
tests, nor patch NumPy or the test runner, and what it prints is never read.

A case earns its points when its code runs without an exception. The whole notebook, tests
included, has ``--timeout`` seconds of wall clock; then the sandbox and everything it started
are killed and the remaining cases fail. A notebook that is not valid JSON or whose assignment
cannot be told is an ``error`` row; one whose process died (``os._exit``, a crash) or that ran
out of time keeps the points it earned, with status ``error`` or ``timeout`` and a message. A
cell that raises costs only the points of the tests that fail because of it.

grades.csv has one row per submission: file, assignment, one column per question (blank when
the question is not part of that assignment or the submission was not graded), total, max,
status and message. The exit status is 0 whenever grading ran, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
from sandbox import SANDBOXES, Sandbox, choose

ROOT = Path(__file__).resolve().parent.parent
AUTOGRADERS = ROOT / "_build" / "autograder"
SOLUTIONS = ROOT / "solutions"
FIXED_COLUMNS = ("file", "assignment")
TRAILING_COLUMNS = ("total", "max", "status", "message")


@dataclass
class Case:
    """The outcome of one test case: its message is empty when it passed."""

    question: str
    hidden: bool
    points: float
    message: str


@dataclass
class Grade:
    """The outcome of grading one submission."""

    file: str
    assignment: str = ""
    scores: dict[str, float] = field(default_factory=dict)  # question -> points earned
    possible: dict[str, float] = field(default_factory=dict)  # question -> points available
    cases: list[Case] = field(default_factory=list)
    status: str = "ok"  # ok | error | timeout
    message: str = ""

    def row(self, questions: list[str]) -> dict[str, str]:
        row = {"file": self.file, "assignment": self.assignment}
        row |= {q: number(self.scores[q]) if q in self.scores else "" for q in questions}
        row["total"] = number(sum(self.scores.values())) if self.scores else ""
        row["max"] = number(sum(self.possible.values())) if self.possible else ""
        return row | {"status": self.status, "message": self.message}


def number(value: float) -> str:
    """Points as short text: 3 rather than 3.0, 2.5 as is."""
    return f"{value:g}"


def question_order(name: str) -> tuple:
    """Sort q2 before q10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))


def available_autograders(directory: Path) -> dict[str, Path]:
    """Map assignment name -> autograder zip, building the zips with assign.py when missing."""
    masters = sorted(SOLUTIONS.glob("*.ipynb"))
    if any(not (directory / f"{m.stem}.zip").exists() for m in masters):
        print(f"building the autograders into {directory} ...", flush=True)
        with tempfile.TemporaryDirectory() as scratch:  # leave exercises/ alone
            command = [sys.executable, str(ROOT / "tools" / "assign.py")]
            command += ["--autograder-dir", str(directory), "--exercises-dir", scratch]
            command += ["--no-run-tests"]  # tests/test_assignments.py grades the solutions
            subprocess.run(command, check=True)
    return {path.stem: path.resolve() for path in sorted(directory.glob("*.zip"))}


def assignment_of(path: Path, nb: nbformat.NotebookNode, names: list[str]) -> str | None:
    """The assignment a notebook belongs to: otter's metadata first, then the file name."""
    declared = nb.metadata.get("otter", {}).get("assignment_name")
    if declared in names:
        return declared
    in_file_name = [name for name in names if name in path.stem]
    return max(in_file_name, key=len) if in_file_name else None


def one_line(text: str, limit: int = 300) -> str:
    """Text squeezed onto one line of at most ``limit`` characters, for a CSV cell."""
    return " ".join(text.split())[:limit]


def ok_tests(autograder: Path) -> dict[str, dict]:
    """The tests of every question of an otter autograder (zip or unpacked): {"points", "cases"}.

    Otter writes each question's test as ``tests/qN.py`` in its OK format (``test = {...}``,
    one case per test cell, code as doctest lines); every case gets its points from the list
    the master gives. The files are the instructor's own and are run as such.
    """
    if autograder.is_dir():
        files = {p.name: p.read_text() for p in sorted((autograder / "tests").glob("*.py"))}
    else:
        with zipfile.ZipFile(autograder) as archive:
            files = {
                name: archive.read(name).decode()
                for name in sorted(archive.namelist())
                if name.startswith("tests/") and name.endswith(".py")
            }
    tests = {}
    for text in files.values():
        spec: dict = {}
        exec(text, spec)
        test = spec["test"]
        cases = test["suites"][0]["cases"]
        points = test["points"]
        if not isinstance(points, list):  # one total, shared by the cases
            points = [points / len(cases)] * len(cases)
        tests[test["name"]] = {
            "points": [float(p) for p in points],
            "cases": [
                {"code": doctest_source(case["code"]), "hidden": case["hidden"]} for case in cases
            ],
        }
    return tests


def doctest_source(code: str) -> str:
    """Python source from otter's ``>>> `` / ``... `` lines."""
    return "\n".join(line[4:] for line in code.splitlines())


def write_back(original: object, after: object) -> None:
    """Copy into the caller's arrays what the student's function wrote into its copies."""
    if isinstance(original, np.ndarray) and isinstance(after, np.ndarray):
        if original.shape == after.shape and original.flags.writeable:
            np.copyto(original, after, casting="unsafe")
    elif isinstance(original, list | tuple) and isinstance(after, list | tuple):
        for item, new in zip(original, after, strict=False):
            write_back(item, new)
    elif isinstance(original, dict) and isinstance(after, dict):
        for key, item in original.items():
            if key in after:
                write_back(item, after[key])


def remote(box: Sandbox, name: str):
    """A stand-in for the student's function ``name`` that runs it in the sandbox."""

    def call(*args: object, **kwargs: object) -> object:
        value, args_after, kwargs_after = box.call(name, args, kwargs)
        write_back(args, args_after)
        write_back(kwargs, kwargs_after)
        return value

    call.__name__ = name
    return call


def run_tests(
    nb: nbformat.NotebookNode, tests: dict[str, dict], sandbox: str, timeout: float, grade: Grade
) -> None:
    """Run the notebook in a sandbox and score every test case in this process; fill ``grade``.

    A case passes when its code runs without an exception. The code runs here, with this
    process's NumPy, and reaches the student's functions only through ``remote``. Every public
    case runs before any hidden one, so nothing the sandbox saw of a hidden case can appear in
    the messages of the public ones, which students may read.
    """
    cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    questions = sorted(tests, key=question_order)
    for question in questions:
        grade.possible[question] = sum(tests[question]["points"])
        grade.scores[question] = 0.0
    with Sandbox(cells, sandbox, timeout) as box:
        for hidden in (False, True):
            for question in questions:
                test = tests[question]
                for case, points in zip(test["cases"], test["points"], strict=True):
                    if case["hidden"] != hidden:
                        continue
                    namespace = {"np": np, "Counter": Counter}
                    namespace |= {n: remote(box, n) for n in box.names if n not in namespace}
                    try:
                        exec(compile(case["code"], f"<test {question}>", "exec"), namespace)
                        message = ""
                    except Exception as error:
                        message = one_line(f"{type(error).__name__}: {error}") or "failed"
                    grade.cases.append(Case(question, hidden, points, message))
                    grade.scores[question] += 0.0 if message else points
        if box.dead == "timeout":
            grade.status, grade.message = "timeout", f"time limit of {timeout:g} s exceeded"
        elif box.dead:
            grade.status, grade.message = "error", one_line(box.dead)


def grade_submission(
    path: Path, autograders: dict[str, Path], sandbox: str, timeout: float, root: Path
) -> Grade:
    """Validate, identify and grade one submission; never raises for a bad submission."""
    grade = Grade(file=path.relative_to(root).as_posix())
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # not JSON, not a notebook, unreadable
        grade.status = "error"
        grade.message = one_line(f"not a valid notebook: {type(error).__name__}: {error}")
        return grade
    name = assignment_of(path, nb, list(autograders))
    if name is None:
        grade.status = "error"
        grade.message = f"unknown assignment (expected one of: {', '.join(autograders)})"
        return grade
    grade.assignment = name
    run_tests(nb, ok_tests(autograders[name]), sandbox, timeout, grade)
    return grade


def gradescope_results(grade: Grade) -> dict:
    """Gradescope's results.json for one graded notebook, with no hidden test's text in it.

    Students see the total and one "Public tests" entry with the message of every public case
    (the same checks ``grader.check`` runs in their notebook); each question's entry, visible
    once the instructor publishes grades, counts its passed cases and says nothing else.
    """
    public = [case for case in grade.cases if not case.hidden]
    lines = [
        f"{case.question}: {'passed' if not case.message else 'failed: ' + case.message}"
        for case in public
    ]
    if grade.status != "ok":
        lines.insert(0, f"{grade.status}: {grade.message}")
    tests = [{"name": "Public tests", "visibility": "visible", "output": "\n".join(lines)}]
    for question in sorted(grade.possible, key=question_order):
        cases = [case for case in grade.cases if case.question == question]
        passed = sum(not case.message for case in cases)
        tests.append(
            {
                "name": question,
                "score": grade.scores.get(question, 0.0),
                "max_score": grade.possible[question],
                "visibility": "after_published",
                "output": f"{passed} of {len(cases)} test cases passed",
            }
        )
    return {"score": sum(grade.scores.values()), "tests": tests}


def gradescope(root: Path, autograder: Path, sandbox: str, timeout: float) -> dict:
    """Grade the one notebook in ROOT/submission as Gradescope lays it out; the results."""
    found = sorted(p for p in (root / "submission").rglob("*.ipynb") if ".ipynb_" not in str(p))
    name = json.loads((autograder / "otter_config.json").read_text())["assignment_name"]
    if len(found) != 1:
        message = f"upload exactly one notebook (.ipynb); found {len(found)}"
        return {"score": 0.0, "output": message, "tests": []}
    grade = Grade(file=found[0].name, assignment=name)
    try:
        nb = nbformat.read(found[0], as_version=4)
    except Exception as error:
        message = one_line(f"not a valid notebook: {type(error).__name__}: {error}")
        return {"score": 0.0, "output": message, "tests": []}
    run_tests(nb, ok_tests(autograder), sandbox, timeout, grade)
    return gradescope_results(grade)


def summary(grades: list[Grade], questions: list[str]) -> str:
    """A plain-text table of the grades for the terminal."""
    header = ["file", "assignment", *questions, "total", "status"]
    rows = []
    for grade in grades:
        row = grade.row(questions)
        total = f"{row['total']}/{row['max']}" if row["total"] else "-"
        status = grade.status if grade.status == "ok" else f"{grade.status}: {grade.message}"
        rows.append([row["file"], row["assignment"], *(row[q] for q in questions), total, status])
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    widths[-1] = 0  # the last column is not padded
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "submissions",
        type=Path,
        nargs="?",
        help="directory of .ipynb submissions (subfolders included)",
    )
    parser.add_argument(
        "--gradescope",
        type=Path,
        metavar="ROOT",
        help="grade ROOT/submission with the unpacked autograder --autograder-dir and write "
        "ROOT/results/results.json (Gradescope's layout; see tools/gradescope/run_autograder)",
    )
    parser.add_argument("--output", type=Path, default=Path("grades.csv"))
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per submission")
    parser.add_argument("--autograder-dir", type=Path, default=AUTOGRADERS)
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel")
    parser.add_argument(
        "--sandbox",
        choices=SANDBOXES,
        default="auto",
        help="where student code runs (see tools/sandbox.py); none only for trusted notebooks",
    )
    args = parser.parse_args(argv)
    if args.timeout <= 0 or args.jobs < 1:
        parser.error("--timeout and --jobs must be positive")
    try:
        sandbox = choose(args.sandbox)
    except ValueError as error:
        parser.error(str(error))
    if args.gradescope:
        results = gradescope(args.gradescope, args.autograder_dir, sandbox, args.timeout)
        (args.gradescope / "results").mkdir(parents=True, exist_ok=True)
        (args.gradescope / "results" / "results.json").write_text(json.dumps(results, indent=1))
        return 0
    if args.submissions is None or not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a directory")
    paths = sorted(
        path
        for path in args.submissions.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts
    )
    if not paths:
        parser.error(f"no .ipynb files in {args.submissions}")

    autograders = available_autograders(args.autograder_dir)
    print(
        f"grading {len(paths)} submission(s) with {', '.join(autograders)} "
        f"in the {sandbox} sandbox",
        flush=True,
    )

    def graded(path: Path) -> Grade:
        grade = grade_submission(path, autograders, sandbox, args.timeout, args.submissions)
        print(f"  {grade.file}: {grade.status}", flush=True)
        return grade

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        grades = list(pool.map(graded, paths))

    questions = sorted({q for g in grades for q in g.possible}, key=question_order)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, [*FIXED_COLUMNS, *questions, *TRAILING_COLUMNS])
        writer.writeheader()
        writer.writerows(grade.row(questions) for grade in grades)
    print(summary(grades, questions))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
