"""How `make` creates .venv: only with a supported Python, and torch from TORCH_INDEX if set.

Each test runs `make venv` for a fresh VENV in a temporary folder, mostly as a dry run
(`make -n` prints the commands; the Python check runs anyway). The interpreters are small
shell scripts that print a version, so no other Python needs to be installed.
"""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
TORCH_CPU = "https://download.pytorch.org/whl/cpu"


def make(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """`make venv ARGS` from the repository root, with .venv replaced by tmp_path/venv."""
    outer = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "TORCH_INDEX")  # from a calling make or shell
    env = {k: v for k, v in os.environ.items() if k not in outer}
    command = ["make", "venv", f"VENV={tmp_path / 'venv'}", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def fake_python(tmp_path: Path, version: str) -> Path:
    """An executable that answers the Makefile's version question with `version`."""
    path = tmp_path / f"python{version}"
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(0o755)
    return path


@pytest.mark.parametrize("version", ["2.7", "3.6", "3.10", "3.11", "3.12", "3.13", "3.14"])
def test_make_accepts_the_pythons_of_requires_python(tmp_path, version):
    requires = PYPROJECT["project"]["requires-python"]
    result = make(tmp_path, "-n", f"PYTHON={fake_python(tmp_path, version)}")
    supported = SpecifierSet(requires).contains(f"{version}.0")
    assert (result.returncode == 0) == supported, (
        f"requires-python {requires!r} and the Makefile disagree on Python {version}: "
        f"{result.stderr}"
    )
    assert (" -m venv " in result.stdout) == supported


def test_an_unsupported_python_stops_make_before_anything_is_created(tmp_path):
    python = fake_python(tmp_path, "3.13")
    result = make(tmp_path, f"PYTHON={python}")  # not a dry run
    assert result.returncode != 0
    assert f"The book needs Python 3.11 to 3.12; PYTHON={python} is Python 3.13." in result.stderr
    assert "e.g. make book PYTHON=python3.11" in result.stderr
    assert not (tmp_path / "venv").exists()


def test_a_missing_python_is_named(tmp_path):
    result = make(tmp_path, "-n", "PYTHON=no-such-python3")
    assert result.returncode != 0
    assert "PYTHON=no-such-python3 is not found." in result.stderr
    assert "make book PYTHON=python3.11" in result.stderr


def pip_installs(result: subprocess.CompletedProcess) -> list[str]:
    """The pip commands of a dry run, in order."""
    return [line for line in result.stdout.splitlines() if "-m pip install" in line]


def test_torch_index_installs_the_pinned_torch_from_there_first(tmp_path):
    torch = re.search(r"^torch==\S+$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)[0]
    result = make(tmp_path, "-n", f"PYTHON={sys.executable}", f"TORCH_INDEX={TORCH_CPU}")
    assert result.returncode == 0, result.stderr
    first, then, *_ = pip_installs(result)
    assert first.endswith(f"pip install --quiet --no-deps --index-url {TORCH_CPU} {torch}")
    assert then.endswith("pip install --quiet -r requirements.txt")


def test_without_torch_index_every_package_comes_from_the_default_index(tmp_path):
    result = make(tmp_path, "-n", f"PYTHON={sys.executable}")
    assert result.returncode == 0, result.stderr
    installs = pip_installs(result)
    assert installs[0].endswith("pip install --quiet -r requirements.txt")
    assert installs[1].endswith("pip install --quiet --no-deps -r requirements-data.txt")
    assert "--index-url" not in result.stdout


# `make help` and `make` alone: the verbs and their one-line `##` descriptions.

MAKEFILE = (ROOT / "Makefile").read_text()


def described_verbs() -> dict[str, str]:
    """Each Makefile target written `verb: ...  ## description`, mapped to its description."""
    pattern = re.compile(r"^([a-z][a-z-]*):[^#\n]*##[ \t]*(\S.*?)[ \t]*$", re.MULTILINE)
    return dict(pattern.findall(MAKEFILE))


def run_make(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """`make ARGS` from the repository root, outside any calling make, with a throwaway VENV."""
    outer = ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")
    env = {k: v for k, v in os.environ.items() if k not in outer}
    command = ["make", *args, f"VENV={tmp_path / 'venv'}"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_every_verb_has_a_description():
    phony = re.search(r"^\.PHONY:(.*)$", MAKEFILE, re.MULTILINE)[1].split()
    verbs = described_verbs()
    assert {"help", "book", "pdf", "test", "lint", "clean"} <= set(verbs)
    assert set(phony) == set(verbs), (
        f"verbs without a `## description`: {sorted(set(phony) - set(verbs))}; "
        f"described targets missing from .PHONY: {sorted(set(verbs) - set(phony))}"
    )


def test_make_help_lists_every_verb_with_its_description(tmp_path):
    result = run_make(tmp_path, "help")
    assert result.returncode == 0, result.stderr
    listed = re.findall(r"^  (\S+) +(\S.*)$", result.stdout, re.MULTILINE)
    assert listed == list(described_verbs().items())  # all of them, in the Makefile's order
    assert not (tmp_path / "venv").exists()


def test_make_alone_prints_the_help_and_installs_nothing(tmp_path):
    alone = run_make(tmp_path)
    assert alone.returncode == 0, alone.stderr
    assert alone.stdout == run_make(tmp_path, "help").stdout
    assert "  pdf " in alone.stdout
    assert not (tmp_path / "venv").exists()
