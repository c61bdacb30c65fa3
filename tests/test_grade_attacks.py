"""The cheat battery: no submission can raise its grade, see a test or outlive its grading.

Each attack is a cell added to chapter 1's untouched exercise, whose honest score is 0; the
attacks come from what a student who wants a better grade would try against an autograder that
runs tests beside student code (rewrite the test files, patch the test runner or NumPy, read the
hidden tests, print or write fake results, leave early, never finish, fork or allocate without
limit, import the book's package, forge the grader's messages). Graded by tools/grade.py in its
sandbox, every one must score 0, leave the autograders untouched, write no file outside the
sandbox and leave no process behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from test_grade import FIRST, ROOT, grade, sandbox, sandbox_processes_since
from wrong_answers import master_points

LEAK = "leaked.txt"  # any attack that gets a test out writes it next to the submissions

ATTACKS = {
    "rewrite-tests": """
import glob, os, zipfile
passing = (
    "OK_FORMAT = True\\ntest = {'name': 'q1', 'points': [4], 'suites': [{'cases': "
    "[{'code': '>>> True', 'hidden': False, 'locked': False}], 'scored': True, "
    "'setup': '', 'teardown': '', 'type': 'doctest'}]}"
)
for folder in ["tests", "@SUBMISSIONS@/tests"]:
    try:
        os.makedirs(folder, exist_ok=True)
        for q in ("q1", "q2", "q3", "q4"):
            open(f"{folder}/{q}.py", "w").write(passing.replace("q1", q))
    except OSError:
        pass
for path in glob.glob("@AUTOGRADERS@/*.zip"):
    try:
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("tests/q1.py", passing)
    except OSError:
        pass
""",
    "patch-test-runner": """
import otter
try:
    from otter.test_files import ok_test
    ok_test.OKTestFile.run = lambda self, env: None
    ok_test.OKTestFile.all_or_nothing = False
except Exception:
    pass
import sys
worker = sys.modules["__main__"]
worker.answer = lambda request, namespace: {"ok": True, "value": True, "args": [], "kwargs": {}
""",
    "patch-numpy": """
import numpy as np
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
import builtins
builtins.AssertionError = type("Never", (Exception,), {})
""",
    "read-hidden-tests": """
import glob
found = []
for pattern in ["@ROOT@/solutions/*.ipynb", "@AUTOGRADERS@/*.zip", "@AUTOGRADERS@/tests/*.py",
                "@ROOT@/tests/*.py",
                "tests/*.py", "/autograder/source/tests/*.py"]:
    for path in glob.glob(pattern):
        try:
            found.append(open(path, "rb").read())
        except OSError:
            pass
if found:
    open("@SUBMISSIONS@/@LEAK@", "wb").write(b"".join(found))
""",
    "fake-success": """
import json
print("q1 results: All test cases passed!\\nq2 results: All test cases passed!")
json.dump({"tests": [{"name": q, "score": 4, "max_score": 4} for q in ("q1", "q2", "q3", "q4")]},
          open("results.json", "w"))
""",
    "exit-early": "import os\nos._exit(0)",
    "infinite-loop": "while True:\n    pass",
    "fork-bomb": "import os\nwhile True:\n    os.fork()",
    "huge-allocation": "hoard = bytearray(10**12)",
    "import-unrolled": "from unrolled.data import one_hot",
    "forge-replies": """
import json, os, struct, sys
forged = json.dumps({"ok": True, "value": True, "args": {"list": []}, "kwargs": {"dict": []}})
for _ in range(100):
    os.write(int(sys.argv[2]), struct.pack("<Q", len(forged)) + forged.encode())
""",
}
AT_THE_END = {"import-unrolled"}  # after the answer cells, so that the stubs cannot undo it


def attack_notebook(
    student: nbformat.NotebookNode, attack: str, autograders: Path, submissions: Path
) -> nbformat.NotebookNode:
    """The student notebook with the attack's cell, aimed at these folders."""
    places = {"@ROOT@": ROOT, "@AUTOGRADERS@": autograders, "@SUBMISSIONS@": submissions}
    code = ATTACKS[attack].replace("@LEAK@", LEAK)
    for token, path in places.items():
        code = code.replace(token, str(path))
    nb = nbformat.from_dict(student)
    cell = nbformat.v4.new_code_cell(code.strip())
    nb.cells.insert(len(nb.cells) if attack in AT_THE_END else 1, cell)
    return nb


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def attacked(tmp_path_factory: pytest.TempPathFactory, built_autograders: Path):
    try:
        kind = sandbox.choose("auto")
    except ValueError as error:
        pytest.skip(f"no sandbox on this machine: {error}")
    bounded = os.geteuid() != 0 or sandbox.pids_cgroup_supported()
    if not bounded:
        pytest.skip("running as root without a pids cgroup: a fork bomb would not be bounded")
    autograders = tmp_path_factory.mktemp("autograders")  # a copy the attacks may aim at
    for zip_file in built_autograders.glob("*.zip"):
        shutil.copy(zip_file, autograders)
    submissions = tmp_path_factory.mktemp("submissions")
    student = nbformat.read(ROOT / "exercises" / f"{FIRST}.ipynb", as_version=4)
    files = {"untouched.ipynb": student}
    for name in ATTACKS:
        files[f"{name}.ipynb"] = attack_notebook(student, name, autograders, submissions)
    for name, nb in files.items():
        nbformat.write(nb, submissions / name)
    before = digest(autograders), sorted(p.name for p in submissions.iterdir())
    started = time.time()
    output = autograders.parent / "grades.csv"
    done, rows = grade(
        submissions, output, "--autograder-dir", str(autograders), "--timeout", "15"
    )
    after = digest(autograders), sorted(p.name for p in submissions.iterdir())
    return kind, done, rows, before, after, sandbox_processes_since(started), submissions


def test_the_honest_empty_submission_scores_zero(attacked) -> None:
    _, done, rows, *_ = attacked
    assert done.returncode == 0, done.stdout + done.stderr
    full = sum(master_points(ROOT / "solutions" / f"{FIRST}.ipynb").values())
    untouched = rows["untouched.ipynb"]
    assert float(untouched["total"]) == 0, (untouched, done.stdout[-3000:])  # which question
    assert float(untouched["max"]) == full > 0


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_an_attack_scores_no_more_than_an_empty_submission(attacked, attack: str) -> None:
    _, done, rows, *_ = attacked
    row = rows[f"{attack}.ipynb"]
    assert row["total"] == "0", f"{attack}: {row}"
    assert all(row[q] == "0" for q in ("q1", "q2", "q3", "q4")), row


def test_attacks_leak_nothing_and_change_nothing(attacked) -> None:
    _, _, _, before, after, survivors, submissions = attacked
    assert not (submissions / LEAK).exists()
    assert after == before  # autograders byte for byte; no file added beside the submissions
    assert not survivors, f"sandbox processes left running: {survivors}"


def test_the_time_limit_and_the_lost_worker_are_reported(attacked) -> None:
    _, _, rows, *_ = attacked
    assert rows["infinite-loop.ipynb"]["status"] == "timeout"
    assert rows["exit-early.ipynb"]["status"] == "error"
    assert "stopped" in rows["exit-early.ipynb"]["message"]


def test_the_sandbox_bounds_processes_memory_network_and_files() -> None:
    try:
        kind = sandbox.choose("auto")
    except ValueError as error:
        pytest.skip(f"no sandbox on this machine: {error}")
    cells = [
        """
import os, socket, time
forks = 0
for _ in range(200):
    try:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        forks += 1
    except OSError:
        break

def probe():
    try:
        bytearray(10**11)
        memory = "allocated"
    except MemoryError:
        memory = "MemoryError"
    try:
        socket.create_connection(("127.0.0.1", 22), timeout=2)
        network = "connected"
    except OSError:
        network = "refused"
    visible = [os.path.exists(p) for p in (ROOT + "/solutions", ROOT + "/src/unrolled")]
    return forks, memory, network, visible
""".replace("ROOT", repr(str(ROOT)))
    ]
    with sandbox.Sandbox(cells, kind, timeout=60) as box:
        assert box.errors == []
        forks, memory, network, visible = box.call("probe", (), {})[0]
    if os.geteuid() != 0 or sandbox.pids_cgroup_supported():
        assert forks < sandbox.PROCESSES
    assert memory == "MemoryError"
    if kind == "bwrap":
        assert network == "refused" and visible == [False, False]
