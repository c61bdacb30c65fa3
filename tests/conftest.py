"""Fixtures shared by several test modules."""

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings
from site_build import SiteBuild, built_site

from unrolled.experiments.common import one_thread

ROOT = Path(__file__).resolve().parent.parent

# Property-based tests (hypothesis) draw the same examples on every run and every machine, so a
# failure is reproducible and CI never flakes; no failing example is saved to replay later (only
# hypothesis's caches, in a .hypothesis/ that git ignores), and a slow example is not an error
# (one core may be busy with training).
settings.register_profile("unrolled", derandomize=True, database=None, deadline=None)
settings.load_profile("unrolled")


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Every test runs PyTorch on one thread, as the experiments that made the committed results
    did (unrolled.experiments.common.one_thread). With PyTorch's default, one thread per core,
    the order of float sums depends on the machine's core count, and under load on MKL's
    dynamic threading: a checkpoint re-evaluated that way can differ in its last digits and
    flip a decoded phoneme (seen once: test_g2p's exact metrics on a busy machine)."""
    with one_thread():
        yield


@pytest.fixture(scope="session")
def site() -> SiteBuild:
    """The strict site build (once per session); its HTML is checked even when the build
    reported warnings, which test_site.py asserts separately."""
    build = built_site()
    if not (build.html / "index.html").is_file():
        pytest.fail(f"the site build produced no HTML:\n{build.summary()}")
    return build


@pytest.fixture(scope="session")
def built_autograders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The autograder zips of every master, built once (without otter's own check)."""
    directory = tmp_path_factory.mktemp("built-autograders")
    command = [sys.executable, ROOT / "tools" / "assign.py", "--no-run-tests"]
    command += ["--autograder-dir", directory, "--exercises-dir", directory / "exercises"]
    subprocess.run(command, check=True, capture_output=True)
    return directory
