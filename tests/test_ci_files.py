"""The CI workflow for forks and the pre-commit configuration: parsed and checked.

.github/workflows/ci.yml must run `make test` on every push and pull request (Python 3.11, with
Debian's chromium and poppler-utils for the browser and PDF tests) and publish the site with the
standard GitHub Pages actions only after a push to main. .pre-commit-config.yaml must run the
ruff checks of `make lint` with the ruff that requirements.txt pins. (actionlint is not
installed, and the project adds no dependency for it, so this is a structural check.)
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
PRE_COMMIT = ROOT / ".pre-commit-config.yaml"
ON_MAIN = "github.event_name == 'push' && github.ref == 'refs/heads/main'"


def load(path: Path) -> dict:
    # yaml.safe_load reads GitHub's `on:` key as True (YAML 1.1); BaseLoader keeps every
    # key and scalar a string, as GitHub reads them.
    return yaml.load(path.read_text(), Loader=yaml.BaseLoader)


def makefile_variable(name: str) -> list[str]:
    text = (ROOT / "Makefile").read_text()
    [value] = re.findall(rf"^{name} :?= (.*)$", text, flags=re.M)
    return value.split()


def runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def uses(job: dict, action: str) -> list[dict]:
    """The steps of `job` that use `action` (any version), each checked to pin a version."""
    found = [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]
    for step in found:
        assert re.fullmatch(rf"{action}@v\d+", step["uses"]), step["uses"]
    return found


WF = load(WORKFLOW)
JOBS = WF["jobs"]


def test_workflow_runs_on_push_and_pull_request():
    assert set(WF["on"]) >= {"push", "pull_request"}
    # No branch filter: a fork's branches and pull requests are all tested.
    assert not WF["on"]["push"] and not WF["on"]["pull_request"]
    assert WF["permissions"] == {"contents": "read"}  # the default token can only read


def test_a_job_runs_make_test_with_python_311_debian_chromium_and_poppler():
    [test] = [job for job in JOBS.values() if "make test" in runs(job)]
    assert test["runs-on"].startswith("ubuntu-")
    # Python 3.11: from actions/setup-python, or from the official python:3.11 image
    setup = uses(test, "actions/setup-python")
    if setup:
        assert setup[0]["with"]["python-version"] == "3.11"
    else:
        image = test["container"]
        image = image["image"] if isinstance(image, dict) else image
        assert re.fullmatch(r"python:3\.11-(bookworm|trixie)", image), image
        assert any("Python 3.11." in run for run in runs(test))  # and says so in its log
    assert uses(test, "actions/checkout")
    install = next(run for run in runs(test) if "apt-get install" in run)
    assert {"chromium", "poppler-utils"} <= set(shlex.split(install.replace("\n", " ")))
    # Every step that runs make comes after checkout and after the system packages.
    order = [s.get("uses", s.get("run", "")) for s in test["steps"]]
    checkout = next(i for i, s in enumerate(order) if s.startswith("actions/checkout@"))
    assert order.index(install) < order.index("make test")
    assert checkout < order.index("make test")
    # `make test` is unconditional; building and uploading the site happen only on main.
    step = next(s for s in test["steps"] if s.get("run") == "make test")
    assert "if" not in step
    for step in test["steps"]:
        if step.get("run") == "make book" or "upload-pages-artifact" in step.get("uses", ""):
            assert step["if"] == ON_MAIN


def test_the_site_is_built_and_uploaded_for_pages_on_main():
    [build] = [job for job in JOBS.values() if "make book" in runs(job)]
    [upload] = uses(build, "actions/upload-pages-artifact")
    assert upload["with"]["path"] == "_build/html"
    steps = build["steps"]
    assert steps.index(upload) > steps.index(next(s for s in steps if s.get("run") == "make book"))


def test_deploy_job_runs_only_on_main_with_pages_permissions():
    [(name, deploy)] = [
        (name, job) for name, job in JOBS.items() if uses(job, "actions/deploy-pages")
    ]
    assert deploy["if"] == ON_MAIN
    assert deploy["runs-on"].startswith("ubuntu-")
    assert deploy["permissions"]["pages"] == "write"
    assert deploy["permissions"]["id-token"] == "write"
    assert deploy["environment"]["name"] == "github-pages"
    [step] = uses(deploy, "actions/deploy-pages")
    assert deploy["environment"]["url"] == f"${{{{ steps.{step['id']}.outputs.page_url }}}}"
    # It deploys what the job that ran `make test` and `make book` uploaded, after it passed.
    needs = deploy["needs"]
    needs = [needs] if isinstance(needs, str) else needs
    [builder] = [n for n, job in JOBS.items() if "make book" in runs(job)]
    assert builder in needs and "make test" in runs(JOBS[builder])
    # Only the deploy job may write to Pages.
    for other, job in JOBS.items():
        if other != name:
            assert "pages" not in job.get("permissions", {}), other


def ruff_version() -> str:
    text = (ROOT / "requirements.txt").read_text()
    [version] = re.findall(r"^ruff==(\S+)$", text, flags=re.M)
    return version


def test_pre_commit_runs_the_pinned_ruff_like_make_lint():
    config = load(PRE_COMMIT)
    [repo] = [r for r in config["repos"] if r["repo"].endswith("/ruff-pre-commit")]
    assert repo["repo"] == "https://github.com/astral-sh/ruff-pre-commit"
    assert repo["rev"] == f"v{ruff_version()}"
    hooks = {hook["id"]: hook for hook in repo["hooks"]}
    # `ruff-check` runs `ruff check` (`ruff` is its older name); `ruff-format` runs `ruff format`
    check = [hooks[i] for i in ("ruff-check", "ruff") if i in hooks]
    assert len(check) == 1 and "ruff-format" in hooks
    linted = makefile_variable("LINTED")  # the folders `make lint` checks
    for hook in (check[0], hooks["ruff-format"]):
        assert set(hook["types_or"]) == {"python", "jupyter"}
        # No --fix (make lint only reports) and no extra rules: pyproject.toml's settings.
        assert not hook.get("args"), hook
        pattern = re.compile(hook["files"])
        for folder in linted:
            assert pattern.search(f"{folder}/x.py"), (folder, hook["files"])
        assert not pattern.search("exercises/01-sequential-data.ipynb")


def test_make_lint_is_what_pre_commit_mirrors():
    """If `make lint` changes, the pre-commit configuration must be looked at again."""
    text = (ROOT / "Makefile").read_text()
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", text, flags=re.M).group(1)
    assert lint.split("\n")[:2] == [
        "\t$(BIN)/ruff check $(LINTED)",
        "\t$(BIN)/ruff format --check $(LINTED)",
    ]
