"""Run a student's notebook in a sandbox and call its functions from the grader's process.

The grader never runs student code in its own process, and student code never sees a test. The
notebook's cells run in tools/worker.py inside one of two sandboxes:

* ``bwrap`` (bubblewrap; Debian package ``bubblewrap``): new user, network, PID, IPC and UTS
  namespaces, so no network and no other process is visible; the only files are the Python
  installation and NumPy's site-packages, read-only, and an empty writable scratch directory
  (the repository, the masters, the autograders and other submissions are not there); the
  environment is cleared; the sandbox dies with the grader.
* ``user`` (when bubblewrap is missing but the grader runs as root, as on Gradescope): the
  worker runs as the unprivileged user ``nobody`` in an empty scratch directory with a cleared
  environment, so it can read only world-readable files (the Gradescope script makes the
  autograder's own files private first).

Both add resource limits (CPU seconds, address space, file size, processes), start the worker in
a session of its own, and kill the session when the time is up. ``none`` only runs the worker in
a separate process, for trusted notebooks; ``auto`` takes the first of bwrap, user that works
here.

Python starts with ``-I -S``: no user site, no ``.pth`` files, so the editable install of
``unrolled`` in the grader's environment cannot be imported; students get NumPy and the
standard library, as on Gradescope.
"""

from __future__ import annotations

import json
import os
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
from worker import MAX_MESSAGE, WireError, decode, encode, send

WORKER = Path(__file__).resolve().parent / "worker.py"
SANDBOXES = ("auto", "bwrap", "user", "none")
NOBODY = 65534
MEMORY = 4 * 2**30  # bytes of address space for the worker
PROCESSES = 64  # at most this many processes of the sandbox's user
FILE_SIZE = 64 * 2**20  # bytes, the largest file the worker may write


class SandboxError(RuntimeError):
    """The worker died, ran out of time, or sent something that is not a reply."""


def usable(kind: str) -> bool:
    """Whether a sandbox of this kind can be started here."""
    if kind == "bwrap":
        if shutil.which("bwrap") is None:
            return False
        probe = subprocess.run(
            ["bwrap", "--ro-bind", "/", "/", "--unshare-all", "--", "true"],
            capture_output=True,
        )
        return probe.returncode == 0
    if kind == "user":  # root can become nobody, who must reach Python and NumPy
        needed = (Path(sys.executable).resolve(), Path(np.__file__).resolve())
        return os.geteuid() == 0 and all(world_reachable(path) for path in needed)
    return kind == "none"


def world_reachable(path: Path) -> bool:
    """Whether any user may read ``path``: every directory above it is world-searchable."""
    return bool(path.stat().st_mode & 0o004) and all(
        parent.stat().st_mode & 0o001 for parent in path.parents
    )


def choose(kind: str) -> str:
    """The sandbox to use for ``kind``; ValueError when it cannot be used here."""
    if kind not in SANDBOXES:
        raise ValueError(f"sandbox must be one of {', '.join(SANDBOXES)}, received {kind!r}")
    if kind == "auto":
        for candidate in ("bwrap", "user"):
            if usable(candidate):
                return candidate
        raise ValueError(
            "no sandbox available: install bubblewrap (apt install bubblewrap) or grade as "
            "root; --sandbox none runs submissions unconfined, for trusted notebooks only"
        )
    if not usable(kind):
        raise ValueError(f"the {kind} sandbox cannot be started on this machine")
    return kind


def command(kind: str, scratch: Path, fds: tuple[int, int]) -> list[str]:
    """The command line that starts the worker in the sandbox ``kind``."""
    python = Path(sys.executable).resolve()
    numpy_site = Path(np.__file__).resolve().parent.parent
    # In bubblewrap only NumPy (and its bundled libraries) is mounted, at /site: no other
    # package of the grader's environment is importable, as on Gradescope.
    site = "/site" if kind == "bwrap" else str(numpy_site)
    # The worker's source travels in the command line, so the sandbox needs no file of ours.
    source = f"import sys\nsys.path.append({site!r})\n" + WORKER.read_text()
    if kind != "bwrap":
        return [str(python), "-I", "-S", "-c", source, *map(str, fds)]
    base = Path(sys.base_prefix).resolve()
    mounts = ["--ro-bind", str(base), str(base)]
    for package in ("numpy", "numpy.libs"):
        if (numpy_site / package).is_dir():
            mounts += ["--ro-bind", str(numpy_site / package), f"/site/{package}"]
    for system in ("/usr", "/lib", "/lib64", "/bin"):
        if Path(system).exists():
            mounts += ["--ro-bind", system, system]
    mounts += ["--bind", str(scratch), "/scratch", "--tmpfs", "/tmp"]
    return [
        "bwrap",
        *mounts,
        "--proc", "/proc", "--dev", "/dev",
        "--unshare-all", "--die-with-parent", "--new-session",
        "--clearenv", "--setenv", "HOME", "/scratch", "--setenv", "OMP_NUM_THREADS", "1",
        "--setenv", "OPENBLAS_NUM_THREADS", "1", "--chdir", "/scratch",
        "--",
        str(python), "-I", "-S", "-c", source, *map(str, fds),
    ]  # fmt: skip


def pids_cgroup() -> Path | None:
    """A new cgroup allowing PROCESSES tasks (cgroup v1 or v2 pids controller), if writable.

    RLIMIT_NPROC does not bind root, which the grader is in CI and on Gradescope, so a fork
    bomb is stopped by the pids controller when the machine lets us create a group.
    """
    name = f"unrolled-sandbox-{os.getpid()}-{time.monotonic_ns()}"
    for parent in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup")):
        try:
            group = parent / name
            group.mkdir()
        except OSError:
            continue
        try:
            (group / "pids.max").write_text(str(PROCESSES))
            return group
        except OSError:
            group.rmdir()
    return None


def pids_cgroup_supported() -> bool:
    """Whether ``pids_cgroup`` can make a group here."""
    group = pids_cgroup()
    if group is not None:
        group.rmdir()
    return group is not None


def limits(kind: str, cpu_seconds: float, scratch: Path, cgroup: Path | None):
    """The function the child runs before it starts the sandbox: limits, and the user."""

    def apply() -> None:
        cpu = max(1, int(cpu_seconds) + 1)
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE, FILE_SIZE))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
        if cgroup is not None:  # a process limit that holds for root too
            (cgroup / "cgroup.procs").write_text(str(os.getpid()))
        if kind == "user":
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
        if os.geteuid() != 0:  # root is exempt from RLIMIT_NPROC; nobody and users are not
            resource.setrlimit(resource.RLIMIT_NPROC, (PROCESSES, PROCESSES))
        os.chdir(scratch)

    return apply


def empty_and_remove(group: Path, patience: float = 5.0) -> None:
    """Kill every process left in a cgroup (those that left the session too), then remove it."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        pids = (group / "cgroup.procs").read_text().split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            group.rmdir()
            return
        except OSError:
            time.sleep(0.05)


class Sandbox:
    """One student notebook, run in a sandbox; ``call`` runs one of its functions there.

    Usage: ``with Sandbox(cells, kind, timeout) as box: box.call("f", (x,), {})``. Every call
    shares the one time budget ``timeout`` (seconds, wall clock) given for the whole notebook.
    """

    def __init__(self, cells: list[str], kind: str, timeout: float) -> None:
        self.kind, self.deadline = choose(kind), time.monotonic() + timeout
        self.scratch = Path(tempfile.mkdtemp(prefix="sandbox-"))
        os.chmod(self.scratch, 0o777)  # writable by nobody in the user sandbox
        self.cgroup = pids_cgroup()
        request_read, self.requests = os.pipe()
        self.replies, reply_write = os.pipe()
        env = {"PATH": "/usr/bin:/bin", "HOME": str(self.scratch), "OMP_NUM_THREADS": "1"}
        env["OPENBLAS_NUM_THREADS"] = "1"
        self.process = subprocess.Popen(
            command(self.kind, self.scratch, (request_read, reply_write)),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(request_read, reply_write),
            env=env,
            preexec_fn=limits(self.kind, timeout, self.scratch, self.cgroup),
            start_new_session=True,
        )
        os.close(request_read)
        os.close(reply_write)
        self.dead: str | None = None
        self.names: list[str] = []
        self.errors: list[str] = []
        try:
            send(self.requests, {"cells": cells})
            reply = self.reply()
            self.names, self.errors = list(reply["names"]), list(reply["errors"])
        except SandboxError:
            pass  # self.dead says why
        except OSError:  # the worker never read its notebook
            self.dead = "the notebook's process stopped (it exited or crashed)"
            self.close()
        except (KeyError, TypeError):
            self.dead = "the notebook's process sent a malformed message"
            self.close()

    def reply(self) -> dict:
        """The worker's next message, read within the time left."""
        try:
            (size,) = struct.unpack("<Q", self.read(8))
            if size > MAX_MESSAGE:
                raise WireError(f"reply of {size} bytes")
            message = json.loads(self.read(size))
            if not isinstance(message, dict):
                raise WireError("a reply must be a JSON object")
            return message
        except (EOFError, OSError):
            self.dead = self.dead or "the notebook's process stopped (it exited or crashed)"
            self.close()
            raise SandboxError(self.dead) from None
        except ValueError:  # WireError and JSON errors
            self.dead = self.dead or "the notebook's process sent a malformed message"
            self.close()
            raise SandboxError(self.dead) from None

    def read(self, size: int) -> bytes:
        """Exactly ``size`` bytes from the worker; SandboxError when the time is up."""
        chunks = []
        while size:
            left = self.deadline - time.monotonic()
            if not select.select([self.replies], [], [], max(left, 0))[0]:
                self.dead = "timeout"
                self.close()
                raise SandboxError("time limit exceeded")
            chunk = os.read(self.replies, min(size, 2**20))
            if not chunk:
                raise EOFError("the worker closed its pipe")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def call(self, name: str, args: tuple, kwargs: dict) -> tuple[object, list, dict]:
        """Call ``name(*args, **kwargs)`` in the worker: (value, args, kwargs after the call).

        Raises SandboxError if the worker is gone, RuntimeError with the worker's message if
        the call raised there, WireError if a value cannot cross the pipe.
        """
        if self.dead:
            raise SandboxError(self.dead)
        try:
            send(
                self.requests, {"name": name, "args": encode(list(args)), "kwargs": encode(kwargs)}
            )
        except OSError:
            self.dead = "the worker stopped"
            raise SandboxError(self.dead) from None
        reply = self.reply()
        if not reply.get("ok"):
            raise RuntimeError(str(reply.get("error", "the call failed"))[:1000])
        return decode(reply["value"]), decode(reply["args"]), decode(reply["kwargs"])

    def close(self) -> None:
        """Stop the worker and everything it started; remove the scratch directory."""
        for fd in (self.requests, self.replies):
            try:
                os.close(fd)
            except OSError:
                pass
        self.requests = self.replies = -1
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        if self.kind == "user":  # a process that left the session still runs as nobody
            for process in psutil.process_iter(["uids"]):
                if process.info["uids"] and process.info["uids"].real == NOBODY:
                    process.kill()
        shutil.rmtree(self.scratch, ignore_errors=True)
        if self.cgroup is not None:
            empty_and_remove(self.cgroup)
            self.cgroup = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
