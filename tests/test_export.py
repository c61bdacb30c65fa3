"""The package modules taught in notebooks must match their `#| export` cells exactly."""

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("export", ROOT / "tools" / "export.py")
export = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export)


def test_every_generated_module_matches_its_notebook():
    assert export.exported_modules(), "no notebook exports a module"
    assert export.main(["--check"]) == 0


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A copy of notebooks/ and src/unrolled/ for the exporter to work on."""
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    shutil.copytree(ROOT / "src" / "unrolled", tmp_path / "unrolled")
    monkeypatch.setattr(export, "NOTEBOOKS", tmp_path / "notebooks")
    monkeypatch.setattr(export, "PACKAGE", tmp_path / "unrolled")
    monkeypatch.setattr(export, "ROOT", tmp_path)
    return tmp_path


def test_a_hand_edited_module_is_reported(sandbox, capsys):
    name = sorted(export.exported_modules(sandbox / "notebooks"))[0]
    module = sandbox / "unrolled" / f"{name}.py"
    module.write_text(module.read_text() + "\nEDITED_BY_HAND = True\n")
    assert export.main(["--check"]) == 1
    assert f"unrolled/{name}.py differs" in capsys.readouterr().err


def test_an_edited_notebook_cell_is_reported_and_exported(sandbox):
    notebook = sorted((sandbox / "notebooks").glob("*.ipynb"))[0]
    content = json.loads(notebook.read_text())
    cell = next(
        c
        for c in content["cells"]
        if c["cell_type"] == "code" and "".join(c["source"]).startswith("#| export ")
    )
    cell["source"] = "".join(cell["source"]) + "\n\nCHANGED_IN_NOTEBOOK = True"
    notebook.write_text(json.dumps(content))
    assert export.main(["--check"]) == 1
    assert export.main([]) == 0
    assert export.main(["--check"]) == 0
    assert any("CHANGED_IN_NOTEBOOK" in p.read_text() for p in (sandbox / "unrolled").glob("*.py"))


def test_a_module_no_notebook_exports_is_reported(sandbox):
    orphan = sandbox / "unrolled" / "orphan.py"
    orphan.write_text(export.HEADER + export.SOURCE.format(notebook="notebooks/gone.ipynb"))
    assert export.main(["--check"]) == 1
