"""Generate the student exercises and the Gradescope autograders from the otter masters.

Every ``solutions/NN-topic.ipynb`` is an otter-grader 7 master notebook. ``otter assign`` turns it
into a student notebook (solutions and hidden tests removed) and an autograder zip, and by
default grades the solutions with that autograder (the master config keeps ``run_tests: true``).
This script runs it in a temporary directory and then

* writes the student notebook to ``exercises/NN-topic.ipynb`` with the volatile parts made
  deterministic (otter gives generated cells random ids; execution timestamps and the Python
  version from the master's metadata are dropped), so the committed exercises are byte-stable;
* writes the Gradescope autograder to ``_build/autograder/NN-topic.zip`` (fixed timestamps):
  otter's tests with the book's sandboxed grader (tools/grade.py, sandbox.py, worker.py) and
  tools/gradescope/'s setup.sh and run_autograder in place of otter's.

    python tools/assign.py                   # regenerate exercises/ and the autograders
    python tools/assign.py --check           # exit 1 and show the drift if exercises/ is stale
    python tools/assign.py --no-run-tests    # skip otter's check of the solutions (faster)
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"
AUTOGRADERS = ROOT / "_build" / "autograder"
REQUIREMENTS = ROOT / "requirements.txt"
CONFIG_MARKER = "# ASSIGNMENT CONFIG"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
KEPT_NOTEBOOK_METADATA = ("kernelspec", "otter")
GRADER_FILES = ("grade.py", "sandbox.py", "worker.py")
GRADER_PACKAGES = (  # what grade.py imports, with everything they need, pinned
    "attrs",
    "fastjsonschema",
    "jsonschema",
    "jsonschema-specifications",
    "jupyter-core",
    "nbformat",
    "numpy",
    "platformdirs",
    "psutil",
    "referencing",
    "rpds-py",
    "traitlets",
    "typing-extensions",
)
TIME_LIMIT = 600  # seconds of wall clock per submission on Gradescope


def assignment_config(master: Path) -> dict:
    """The YAML of the master's raw ``# ASSIGNMENT CONFIG`` cell."""
    for cell in nbformat.read(master, as_version=4).cells:
        if cell.cell_type == "raw" and cell.source.startswith(CONFIG_MARKER):
            return yaml.safe_load(cell.source.removeprefix(CONFIG_MARKER)) or {}
    raise SystemExit(f"{master}: no raw cell starting with {CONFIG_MARKER!r}")


def pinned_versions(requirements: Path = REQUIREMENTS) -> dict[str, str]:
    """Map each package pinned with ``==`` in requirements.txt (lowercase name) to its version."""
    pins = {}
    for line in requirements.read_text().splitlines():
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*==\s*(\S+)\s*", line)
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def check_config(master: Path, config: dict, pins: dict[str, str]) -> None:
    """Refuse a master whose name or pinned requirements disagree with the repository."""
    if config.get("name") != master.stem:
        raise SystemExit(f"{master}: assignment name {config.get('name')!r} != {master.stem!r}")
    for requirement in config.get("requirements") or []:
        name, _, version = requirement.partition("==")
        expected = pins.get(name.strip().lower().replace("_", "-"))
        if not version or version.strip() != expected:
            raise SystemExit(
                f"{master}: requirement {requirement!r} must be pinned as in requirements.txt "
                f"({name.strip()}=={expected})"
            )


def run_otter_assign(master: Path, result: Path, run_tests: bool) -> None:
    """Run ``otter assign MASTER RESULT``; print otter's output and stop if it fails."""
    command = [sys.executable, "-m", "otter", "assign", str(master), str(result)]
    if not run_tests:
        command.insert(4, "--no-run-tests")
    done = subprocess.run(command, cwd=master.parent, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"otter assign failed on {master} (exit {done.returncode})")


def cell_id(cell: nbformat.NotebookNode, seen: dict[str, int]) -> str:
    """A deterministic id from the cell's type and source (suffixed when repeated)."""
    digest = hashlib.sha1(f"{cell.cell_type}\n{cell.source}".encode()).hexdigest()[:8]
    seen[digest] = seen.get(digest, 0) + 1
    return digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"


def normalised_notebook(path: Path) -> str:
    """The student notebook at ``path`` as deterministic JSON text."""
    nb = nbformat.read(path, as_version=4)
    nb.metadata = nbformat.from_dict(
        {key: nb.metadata[key] for key in KEPT_NOTEBOOK_METADATA if key in nb.metadata}
        | {"language_info": {"name": "python"}}
    )
    seen: dict[str, int] = {}
    for cell in nb.cells:
        cell.id = cell_id(cell, seen)
        cell.metadata.pop("execution", None)  # nbclient's timestamps, copied from the master
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def grader_requirements(pins: dict[str, str]) -> str:
    """requirements.txt of the Gradescope grader: its packages as pinned for the book."""
    missing = [name for name in GRADER_PACKAGES if name not in pins]
    if missing:
        raise SystemExit(f"requirements.txt pins none of {missing}, which the grader needs")
    return "".join(f"{name}=={pins[name]}\n" for name in GRADER_PACKAGES)


def write_autograder_zip(source: Path, target: Path) -> None:
    """The Gradescope autograder: otter's tests with the book's grader (byte-stable zip).

    From otter's zip only ``tests/`` and ``otter_config.json`` are kept; otter's setup.sh (which
    downloads Miniforge and a browser), environment and runner are replaced by
    tools/gradescope/ and the grader of ``make grade`` (grade.py, sandbox.py, worker.py), so a
    notebook gets the same grade on Gradescope as offline.
    """
    files = {}
    with zipfile.ZipFile(source) as otter_zip:
        for name in otter_zip.namelist():
            if name.startswith("tests/") or name == "otter_config.json":
                files[name] = (otter_zip.read(name), 0o644)
    for name in GRADER_FILES:
        files[name] = ((ROOT / "tools" / name).read_bytes(), 0o644)
    for path in sorted((ROOT / "tools" / "gradescope").iterdir()):
        files[path.name] = (path.read_bytes(), 0o755)
    files["requirements.txt"] = (grader_requirements(pinned_versions()).encode(), 0o644)
    files["time_limit"] = (f"{TIME_LIMIT}\n".encode(), 0o644)
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, (data, mode) in sorted(files.items()):
            entry = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            entry.external_attr = (0o100000 | mode) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    os.replace(partial, target)


def build(master: Path, workdir: Path, autograders: Path, run_tests: bool) -> dict[str, str]:
    """Assign one master; write its autograder zip; return the student files as {name: text}."""
    result = workdir / master.stem
    run_otter_assign(master, result, run_tests)
    (zip_path,) = (result / "autograder").glob("*.zip")  # named with a timestamp by otter
    autograders.mkdir(parents=True, exist_ok=True)
    write_autograder_zip(zip_path, autograders / f"{master.stem}.zip")
    files = {}
    for path in sorted((result / "student").rglob("*")):
        if path.is_file():
            name = path.relative_to(result / "student").as_posix()
            files[name] = (
                normalised_notebook(path) if path.suffix == ".ipynb" else path.read_text()
            )
    return files


def released_files(exercises: Path) -> list[str]:
    """The files under exercises/, ignoring local clutter such as .OTTER_LOG or checkpoints."""
    names = [p.relative_to(exercises).as_posix() for p in exercises.rglob("*") if p.is_file()]
    return sorted(n for n in names if not any(part.startswith(".") for part in n.split("/")))


def drift(expected: dict[str, str], exercises: Path, complete: bool) -> list[str]:
    """Describe the differences between the generated files and the exercises directory.

    ``complete`` means every master was assigned, so a file nothing generated is stale too.
    """
    report = []
    present = set(released_files(exercises))
    for name in sorted(present - expected.keys() if complete else ()):
        report.append(f"{name}: in exercises/ but generated from no master")
    for name, text in sorted(expected.items()):
        if name not in present:
            report.append(f"{name}: missing from exercises/")
            continue
        current = (exercises / name).read_text()
        if current != text:
            diff = difflib.unified_diff(
                current.splitlines(), text.splitlines(), name, "generated", n=1, lineterm=""
            )
            lines = list(diff)
            shown = "\n".join(lines[:40]) + ("\n..." if len(lines) > 40 else "")
            report.append(f"{name}: differs from the generated notebook\n{shown}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("masters", nargs="*", type=Path, help="default: solutions/*.ipynb")
    parser.add_argument("--check", action="store_true", help="only report drift of exercises/")
    parser.add_argument("--exercises-dir", type=Path, default=EXERCISES)
    parser.add_argument("--autograder-dir", type=Path, default=AUTOGRADERS)
    parser.add_argument("--no-run-tests", action="store_true", help="skip grading the solutions")
    parser.add_argument("--jobs", type=int, default=2, help="masters assigned in parallel")
    args = parser.parse_args(argv)
    masters = [m.resolve() for m in args.masters] or sorted(SOLUTIONS.glob("*.ipynb"))
    if not masters:
        parser.error("no master notebooks found")
    pins = pinned_versions()
    for master in masters:
        check_config(master, assignment_config(master), pins)

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="assign-") as tmp:
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            jobs = [
                pool.submit(build, m, Path(tmp), args.autograder_dir, not args.no_run_tests)
                for m in masters
            ]
            generated = {name: text for job in jobs for name, text in job.result().items()}
    elapsed = time.perf_counter() - start
    print(
        f"assigned {len(masters)} master(s) in {elapsed:.1f} s; autograders in "
        f"{args.autograder_dir}"
    )

    if args.check:
        report = drift(generated, args.exercises_dir, complete=not args.masters)
        for entry in report:
            print(entry)
        if report:
            print("exercises/ is out of date: run `make assignments` and commit the result")
            return 1
        print(f"{args.exercises_dir} is up to date")
        return 0

    args.exercises_dir.mkdir(parents=True, exist_ok=True)
    for name, text in generated.items():
        target = args.exercises_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
            print(f"wrote {target}")
    if not args.masters:  # a full run owns exercises/: drop notebooks whose master is gone
        for stale in sorted(args.exercises_dir.glob("*.ipynb")):
            if stale.name not in generated:
                stale.unlink()
                print(f"removed {stale} (no master)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
