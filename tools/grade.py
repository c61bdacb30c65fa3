"""Grade a directory of submitted notebooks offline with the otter autograders.

    python tools/grade.py DIR --output grades.csv [--timeout 300] [--jobs 1]
                          [--autograder-dir _build/autograder]

Every ``*.ipynb`` in DIR or in its subfolders (one folder per student, as LMS exports lay them
out) is graded in turn with ``otter run -a NAME.zip SUBMISSION`` in its own subprocess
(``otter grade`` would need Docker). The autograder is chosen by the assignment name otter
stores in the notebook's metadata, or else by the longest assignment name contained in the file
name. The autograders are built with tools/assign.py first if any is missing.

``otter run`` executes student code without a sandbox and has no time limit of its own, so each
submission runs under ``--timeout`` seconds, after which its whole process tree (otter and the
Jupyter kernel it started) is killed. A notebook that is not valid JSON, whose assignment cannot
be told, that kills its kernel or that runs out of time becomes a row with status ``error`` or
``timeout`` and a message; the other submissions are graded as usual. (A cell that merely
raises an exception only costs the points of the tests that fail because of it.)

grades.csv has one row per submission: file, assignment, one column per question (blank when
the question is not part of that assignment or the submission was not graded), total, max,
status and message. The exit status is 0 whenever grading ran, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil

ROOT = Path(__file__).resolve().parent.parent
AUTOGRADERS = ROOT / "_build" / "autograder"
SOLUTIONS = ROOT / "solutions"
FIXED_COLUMNS = ("file", "assignment")
TRAILING_COLUMNS = ("total", "max", "status", "message")


@dataclass
class Grade:
    """The outcome of grading one submission."""

    file: str
    assignment: str = ""
    scores: dict[str, float] = field(default_factory=dict)  # question -> points earned
    possible: dict[str, float] = field(default_factory=dict)  # question -> points available
    status: str = "ok"  # ok | error | timeout
    message: str = ""

    def row(self, questions: list[str]) -> dict[str, str]:
        graded = self.status == "ok"
        row = {"file": self.file, "assignment": self.assignment}
        row |= {q: number(self.scores[q]) if q in self.scores else "" for q in questions}
        row["total"] = number(sum(self.scores.values())) if graded else ""
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
            subprocess.run(command, check=True)
    return {path.stem: path.resolve() for path in sorted(directory.glob("*.zip"))}


def assignment_of(path: Path, nb: nbformat.NotebookNode, names: list[str]) -> str | None:
    """The assignment a notebook belongs to: otter's metadata first, then the file name."""
    declared = nb.metadata.get("otter", {}).get("assignment_name")
    if declared in names:
        return declared
    in_file_name = [name for name in names if name in path.stem]
    return max(in_file_name, key=len) if in_file_name else None


def kill_tree(process: subprocess.Popen) -> None:
    """Kill a process and every descendant (the kernel runs in a session of its own)."""
    try:
        family = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for child in family:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    process.wait()


def one_line(text: str, limit: int = 300) -> str:
    """Text squeezed onto one line of at most ``limit`` characters, for a CSV cell."""
    return " ".join(text.split())[:limit]


def last_error_line(output: str) -> str:
    """The most telling line of otter's output when it failed."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"^[\w.]*(Error|Exception)\b", line)]
    return one_line((errors or lines or ["no output"])[-1])


def run_otter(
    nb: nbformat.NotebookNode, name: str, autograder: Path, timeout: float, grade: Grade
) -> None:
    """Grade one notebook with ``otter run`` in a subprocess; fill in ``grade``.

    The notebook is graded from a copy that names its assignment in otter's metadata, which
    otter requires: a notebook identified by its file name has no such metadata.
    """
    with tempfile.TemporaryDirectory(prefix="grade-") as scratch:
        out = Path(scratch) / "out"
        out.mkdir()
        copy = Path(scratch) / "submission.ipynb"
        nb.metadata.setdefault("otter", {})["assignment_name"] = name
        nbformat.write(nb, copy)
        command = [sys.executable, "-m", "otter", "run", "--no-logo", "-a", str(autograder)]
        command += ["-o", str(out), str(copy)]
        env = os.environ | {"TMPDIR": scratch}  # otter's own temporary files go away with ours
        process = subprocess.Popen(
            command,
            cwd=scratch,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tree(process)
            process.stdout.close()
            grade.status, grade.message = "timeout", f"time limit of {timeout:g} s exceeded"
            return
        results = out / "results.json"
        if process.returncode != 0 or not results.exists():
            grade.status = "error"
            grade.message = f"otter run failed: {last_error_line(output)}"
            return
        for test in json.loads(results.read_text())["tests"]:
            if "max_score" in test:  # one entry per question; "Public Tests" is a summary
                grade.scores[test["name"]] = float(test["score"])
                grade.possible[test["name"]] = float(test["max_score"])


def grade_submission(
    path: Path, autograders: dict[str, Path], timeout: float, root: Path
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
    run_otter(nb, name, autograders[name], timeout, grade)
    return grade


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
        "submissions", type=Path, help="directory of .ipynb submissions (subfolders included)"
    )
    parser.add_argument("--output", type=Path, default=Path("grades.csv"))
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per submission")
    parser.add_argument("--autograder-dir", type=Path, default=AUTOGRADERS)
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded in parallel")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        parser.error(f"{args.submissions} is not a directory")
    if args.timeout <= 0 or args.jobs < 1:
        parser.error("--timeout and --jobs must be positive")
    paths = sorted(
        path
        for path in args.submissions.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts
    )
    if not paths:
        parser.error(f"no .ipynb files in {args.submissions}")

    autograders = available_autograders(args.autograder_dir)
    print(f"grading {len(paths)} submission(s) with {', '.join(autograders)}", flush=True)

    def graded(path: Path) -> Grade:
        grade = grade_submission(path, autograders, args.timeout, args.submissions)
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
