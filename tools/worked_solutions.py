"""Worked solutions for self-study: the exercises with the masters' answers, never their tests.

Learners without an instructor ask for worked solutions; an instructor grading a course must
not publish them. So they are a separate build, off by default:

    make book SOLUTIONS=1   # the site plus a part "Worked solutions", in _build/self-study/

This script writes, for every otter master ``solutions/NN-topic.ipynb``, the notebook
``worked-solutions/NN-topic.ipynb``: the master's markdown and code in order, with its answers
and the outputs stored in the master, but without otter's raw cells (configuration and
markers) and without any cell between ``# BEGIN TESTS`` and ``# END TESTS``, public or hidden.
It also writes the table of contents of that build, the book's ``_toc.yml`` with one more part.
The Makefile deletes ``worked-solutions/`` after the build, and before every default build.

    python tools/worked_solutions.py [--out worked-solutions] [--toc PATH]
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
OUT = ROOT / "worked-solutions"
TOC = ROOT / "_build" / "self-study-toc.yml"
PART = "Worked solutions"
NOTE = (
    "*Worked solutions, for self-study: the answers of the exercise notebook "
    "{{download}}`{name}.ipynb <../exercises/{name}.ipynb>`. Try each question first; the tests "
    "that grade it are not shown.*"
)

HOW_TO_WORK = "**How to work.**"  # the exercises' instructions for the grader: not needed here


def worked_notebook(master: Path) -> nbformat.NotebookNode:
    """The master without raw cells and test cells, with its title, a note for self-study in
    place of its paragraph on how to work with the grader."""
    nb = nbformat.read(master, as_version=4)
    cells, in_tests = [], False
    for cell in nb.cells:
        if cell.cell_type == "raw":
            marker = cell.source.strip()
            in_tests = marker == "# BEGIN TESTS" or (in_tests and marker != "# END TESTS")
            continue
        if in_tests:
            continue
        cells.append(copy.deepcopy(cell))
    title = cells[0]
    if title.cell_type != "markdown" or not title.source.startswith("# Exercises "):
        raise SystemExit(f"{master}: the first cell must be the title '# Exercises N: ...'")
    heading, _, rest = title.source.partition("\n")
    heading = heading.replace("# Exercises ", "# Worked solutions ", 1)
    paragraphs = [p for p in rest.strip().split("\n\n") if not p.startswith(HOW_TO_WORK)]
    title.source = "\n\n".join([heading, NOTE.format(name=master.stem), *paragraphs]).rstrip()
    nb.cells = cells
    nb.metadata = nbformat.from_dict(
        {key: nb.metadata[key] for key in ("kernelspec", "language_info") if key in nb.metadata}
    )
    return nb


def table_of_contents(book_toc: Path, names: list[str], out: str) -> dict:
    """The book's table of contents with a last part listing the worked solutions."""
    toc = yaml.safe_load(book_toc.read_text())
    toc["parts"].append(
        {"caption": PART, "chapters": [{"file": f"{out}/{name}"} for name in names]}
    )
    return toc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the notebooks go")
    parser.add_argument("--toc", type=Path, default=TOC, help="the table of contents to write")
    args = parser.parse_args(argv)
    masters = sorted(SOLUTIONS.glob("*.ipynb"))
    args.out.mkdir(parents=True, exist_ok=True)
    for master in masters:
        nbformat.write(worked_notebook(master), args.out / master.name)
    relative = args.out.resolve().relative_to(ROOT).as_posix()
    toc = table_of_contents(ROOT / "_toc.yml", [m.stem for m in masters], relative)
    args.toc.parent.mkdir(parents=True, exist_ok=True)
    args.toc.write_text(yaml.safe_dump(toc, sort_keys=False))
    print(f"wrote {len(masters)} notebooks to {args.out} and {args.toc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
