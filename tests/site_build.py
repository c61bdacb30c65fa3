"""Build the site once per test session, the way `make book` does, into a fresh folder.

tests/test_site.py and tests/test_browser.py both call `built_site()`; the first call runs

    jupyter-book build -W -n --keep-going . --path-output <temporary folder>

from the repository root and later calls return the same result. Building into a fresh folder
(rather than reusing _build/) makes the check honest: Sphinx only re-reads changed pages, so an
incremental build would not repeat the warnings of pages that did not change.

It also loads tools/check_site.py (tools/ is not a package) as the module `check_site`.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"
STRICT_FLAGS = ["-W", "-n", "--keep-going"]

_spec = importlib.util.spec_from_file_location("check_site", ROOT / "tools" / "check_site.py")
check_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(check_site)


@dataclass(frozen=True)
class SiteBuild:
    """The outcome of one strict build."""

    html: Path  # the built site, <output>/_build/html
    returncode: int
    output: str  # stdout and stderr of jupyter-book, interleaved
    seconds: float

    def warnings(self) -> list[str]:
        """The build's warning and error lines."""
        return [line for line in self.output.splitlines() if "WARNING" in line or "ERROR" in line]

    def summary(self) -> str:
        """Exit status, warnings and the last lines of the log, for failure messages."""
        tail = self.output.splitlines()[-8:]
        return "\n".join([f"exit status {self.returncode}", *self.warnings(), "...", *tail])


@functools.cache
def built_site() -> SiteBuild:
    """Run the strict build once per process and return its outcome."""
    output_dir = Path(tempfile.mkdtemp(prefix="unrolled-site-"))
    atexit.register(shutil.rmtree, output_dir, ignore_errors=True)
    command = [str(JUPYTER_BOOK), "build", *STRICT_FLAGS, ".", "--path-output", str(output_dir)]
    start = time.perf_counter()
    result = subprocess.run(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )
    return SiteBuild(
        html=output_dir / "_build" / "html",
        returncode=result.returncode,
        output=result.stdout,
        seconds=time.perf_counter() - start,
    )
