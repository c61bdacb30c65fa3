"""What the numbers were measured on: threads pinned, and a description of the machine.

NumPy's BLAS (OpenBLAS) and PyTorch's (MKL, OpenMP) each start a pool of threads when they
load, sized by environment variables read once, at that moment. `python -m
unrolled.benchmarks` has imported NumPy before any benchmark code runs (the package
`unrolled` imports it), so `pin_threads` sets the variables and starts the interpreter again,
once, with the same arguments; the second start finds them set and goes on. Within that
pool, `blas_threads` lowers the count for a block of code (the benchmark's one-thread rows).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import os
import platform
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from unrolled.validation import check_int

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# glibc's malloc: keep freed blocks of up to 1 GB for reuse instead of returning them to the
# system. A layer's call allocates ~100 MiB of fresh arrays; by default each is mapped anew and
# every page faulted in (zeroed by the kernel) on every call, a cost that varied from call to
# call by a factor of five or more in float64 on the book's machine. The same setting applies
# to every implementation and to the floor.
ALLOCATOR_VARIABLES = {
    "MALLOC_MMAP_THRESHOLD_": "1000000000",
    "MALLOC_TRIM_THRESHOLD_": "1000000000",
}


def threads_pinned(threads: int) -> bool:
    """True when every variable of THREAD_VARIABLES is set to `threads` and the allocator's
    to ALLOCATOR_VARIABLES."""
    allocator = all(os.environ.get(name) == value for name, value in ALLOCATOR_VARIABLES.items())
    return allocator and all(os.environ.get(name) == str(threads) for name in THREAD_VARIABLES)


def pin_threads(threads: int, module: str, argv: list[str]) -> None:
    """Make NumPy's and PyTorch's BLAS use `threads` threads, and malloc keep freed memory.

    If the environment variables already say so, only PyTorch's intra-op pool is set
    (torch.set_num_threads). Otherwise the process is replaced by `python -m module *argv`
    with the variables (THREAD_VARIABLES, ALLOCATOR_VARIABLES) set (os.execve: this call does
    not return).
    """
    if threads_pinned(threads):
        torch.set_num_threads(threads)
        return
    environment = os.environ | {name: str(threads) for name in THREAD_VARIABLES}
    environment |= ALLOCATOR_VARIABLES
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, [sys.executable, "-m", module, *argv], environment)


def _openblas() -> ctypes.CDLL | None:
    """NumPy's OpenBLAS library, if it is loaded (Linux: found in /proc/self/maps)."""
    maps = Path("/proc/self/maps")
    if not maps.is_file():
        return None
    paths = {line.split()[-1] for line in maps.read_text().splitlines() if "openblas" in line}
    numpy_first = sorted(paths, key=lambda path: ("numpy" not in path, path))  # not SciPy's
    return ctypes.CDLL(numpy_first[0]) if paths else None


def _openblas_function(name: str) -> Any:
    """OpenBLAS's C function `name` ("get_num_threads", ...) under the prefix and suffix of
    its build (SciPy's wheels: scipy_openblas_..._64_), or None where it cannot be found."""
    library = _openblas()
    for prefix in ("scipy_openblas", "openblas"):
        for suffix in ("64_", ""):
            function = getattr(library, f"{prefix}_{name}{suffix}", None)
            if function is not None:
                return function
    return None


def openblas_runtime() -> dict[str, Any]:
    """OpenBLAS's own answer: threads in use and the kernel it chose for this CPU.

    Returns {"threads": int, "config": str} or, where it cannot be asked, None values.
    """
    threads, config = _openblas_function("get_num_threads"), _openblas_function("get_config")
    if threads is None or config is None:
        return {"threads": None, "config": None}
    config.restype = ctypes.c_char_p
    return {"threads": int(threads()), "config": config().decode().strip()}


@contextlib.contextmanager
def blas_threads(threads: int) -> Iterator[None]:
    """Within the block, NumPy's BLAS (OpenBLAS) and PyTorch's intra-op pool use `threads`
    threads, at most as many as pinned when they loaded; afterwards, as many as before.

    Raises:
        RuntimeError: if NumPy's OpenBLAS cannot be found (the count could not be set).
    """
    check_int("threads", threads, low=1)
    get, set_ = _openblas_function("get_num_threads"), _openblas_function("set_num_threads")
    if get is None or set_ is None:
        raise RuntimeError("cannot set the number of threads of NumPy's BLAS: OpenBLAS not found")
    before, torch_before = int(get()), torch.get_num_threads()
    set_(threads)
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        set_(before)
        torch.set_num_threads(torch_before)


def cpu_model() -> str:
    """The CPU's model name (Linux /proc/cpuinfo), else what `platform` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), flags=re.M)
        if match:
            return match[1].strip()
    return platform.processor() or platform.machine()


def load_average() -> float | None:
    """Runnable processes, averaged over the last minute (None where the system cannot say).

    Near 0 on a quiet machine. Other programs running make every time longer, and threaded
    libraries far worse than that: a thread that waits for one that is not scheduled stalls
    the whole operation (measured here: 2-thread torch.nn.LSTM about 45 times slower with one
    of 2 cores busy).
    """
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def machine_info() -> dict[str, Any]:
    """The machine and software the benchmark ran on, for the results file."""
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    torch_config = torch.__config__.show()
    mkl = re.search(r"Math Kernel Library Version [\d.]+", torch_config)
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") if os.name == "posix" else 0
    return {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cpus": usable,
        "memory_gib": round(memory / 2**30, 1),
        "system": platform.platform(terse=True),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__.split("+")[0],
        "numpy_blas": f"{blas['name']} {blas['version']}",
        "numpy_blas_runtime": openblas_runtime(),
        "torch_blas": mkl[0].replace("Math Kernel Library", "MKL") if mkl else "unknown",
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch_threads": torch.get_num_threads(),
        "environment": {name: os.environ.get(name) for name in THREAD_VARIABLES},
        "allocator": {name: os.environ.get(name) for name in ALLOCATOR_VARIABLES},
        "load_average": load_average(),
    }
