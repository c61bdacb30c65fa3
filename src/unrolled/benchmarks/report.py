"""The results as plain-text tables: printed by the benchmark, shown by the appendix notebook.

Each function takes the contents of a results file (bench.json or book-cost.json) and returns
a string; none measures anything, so the same file always gives the same tables.
"""

from __future__ import annotations

from typing import Any

from unrolled.benchmarks.implementations import CELLS, LABELS
from unrolled.benchmarks.kernels import DTYPES, MEASURED, find_row, peak_gflops
from unrolled.benchmarks.targets import Check


def machine_table(machine: dict[str, Any]) -> str:
    """Where and with what the results were measured."""
    blas = machine["numpy_blas_runtime"]
    numpy_blas = machine["numpy_blas"]
    if blas["threads"] is not None:
        kernel = blas["config"].split()[-2] if blas["config"] else "?"
        numpy_blas += f" ({kernel} kernels, {blas['threads']} threads)"
    lines = {
        "measured on": machine["date"],
        "CPU": f"{machine['cpu']}, {machine['usable_cpus']} of {machine['logical_cpus']} "
        f"logical CPUs usable, {machine['memory_gib']} GiB",
        "system": machine["system"],
        "Python, NumPy, PyTorch": f"{machine['python']}, {machine['numpy']}, {machine['torch']}",
        "NumPy BLAS": numpy_blas,
        "PyTorch BLAS": f"{machine['torch_blas']} ({machine['torch_cpu_capability']}, "
        f"{machine['torch_threads']} threads)",
        "thread variables": ", ".join(f"{k}={v}" for k, v in machine["environment"].items()),
        "allocator variables": ", ".join(
            f"{k}={v}" for k, v in machine.get("allocator", {}).items()
        ),
        "load average at start": f"{machine['load_average']} (0 = quiet)",
    }
    width = max(len(key) for key in lines)
    return "\n".join(f"{key:<{width}}  {value}" for key, value in lines.items())


def kernels_table(bench: dict[str, Any]) -> str:
    """Forward+backward times with their spread, ratios to the floor and to torch.nn, and
    GFLOP/s, one block per dtype."""
    s, kernels = bench["settings"]["sizes"], bench["kernels"]
    noisy = "NOISY: " if kernels["noisy"] else ""
    widest = kernels["widest"]
    blocks = [
        f"{noisy}{kernels['rounds']} rounds; the widest relative IQR, "
        f"{widest['relative_iqr']:.1%} ({widest['case']}), "
        + ("exceeds" if kernels["noisy"] else "is within")
        + f" the bound of {kernels['bound'] or 0:.0%}"
    ]
    for dtype in DTYPES:
        peak = peak_gflops(bench["peak"], dtype)
        lines = [
            f"{dtype}: N={s['N']} T={s['T']} D={s['D']} H={s['H']}, forward + backward; "
            f"peak {peak:.1f} GFLOP/s",
            f"{'cell':<5} {'implementation':<22} {'median ms':>9} {'IQR ms':>7} {'min ms':>8} "
            f"{'max ms':>8} {'/ floor':>7} {'/ torch.nn':>10} {'GFLOP/s':>8} {'of peak':>7}",
        ]
        for cell in CELLS:
            for implementation in MEASURED:
                row = find_row(kernels, cell, dtype, implementation)
                lines.append(
                    f"{cell:<5} {LABELS[implementation]:<22} {1e3 * row['median_s']:>9.2f} "
                    f"{1e3 * row['iqr_s']:>7.2f} {1e3 * row['min_s']:>8.2f} "
                    f"{1e3 * row['max_s']:>8.2f} {row['ratio_to_floor']:>7.2f} "
                    f"{row['ratio_to_module']:>10.2f} {row['gflops']:>8.1f} "
                    f"{row['gflops'] / peak:>7.0%}"
                )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def in_cache_table(bench: dict[str, Any]) -> str:
    """The time a gated NumPy layer spends above its floor, against the time of its elementwise
    work alone with its arrays in cache (implementations.in_cache)."""
    lines = [
        f"{'cell':<5} {'dtype':<8} {'above floor ms':>14} {'gates in cache ms':>17} {'ratio':>6}"
    ]
    for row in bench["kernels"]["in_cache"]:
        above, cached = 1e3 * row["above_floor_s"], 1e3 * row["median_s"]
        lines.append(
            f"{row['cell']:<5} {row['dtype']:<8} {above:>14.2f} {cached:>17.2f} "
            f"{above / cached:>6.2f}"
        )
    return "\n".join(lines)


def threads_table(bench: dict[str, Any]) -> str:
    """The floor, the NumPy layer and the time between them with one thread and with the run's
    threads; the NumPy layer's ratios to its floor and to torch.nn with each."""
    threads, kernels = bench["settings"]["threads"], bench["kernels"]
    runs = {1: kernels["one_thread"], threads: kernels}
    pair = f"{'1':>6} {threads:>5}"
    lines = [
        f"{'':<14} {'floor ms':>12} {'NumPy ms':>12} {'above floor ms':>14} "
        f"{'NumPy/floor':>12} {'NumPy/torch.nn':>14}",
        f"{'cell':<5} {'dtype':<8} {pair} {pair} {'':>2}{pair} {pair} {'':>2}{pair}",
    ]
    for dtype in DTYPES:
        for cell in CELLS:
            rows = {
                n: (find_row(run, cell, dtype, "floor"), find_row(run, cell, dtype, "numpy"))
                for n, run in runs.items()
            }
            floor_ms = [1e3 * rows[n][0]["median_s"] for n in (1, threads)]
            numpy_ms = [1e3 * rows[n][1]["median_s"] for n in (1, threads)]
            above = [b - a for a, b in zip(floor_ms, numpy_ms, strict=True)]
            ratios = [rows[n][1]["ratio_to_floor"] for n in (1, threads)]
            to_module = [rows[n][1]["ratio_to_module"] for n in (1, threads)]
            lines.append(
                f"{cell:<5} {dtype:<8} {floor_ms[0]:>6.1f} {floor_ms[1]:>5.1f} "
                f"{numpy_ms[0]:>6.1f} {numpy_ms[1]:>5.1f} {'':>2}{above[0]:>6.1f} "
                f"{above[1]:>5.1f} {ratios[0]:>6.2f} {ratios[1]:>5.2f} {'':>2}"
                f"{to_module[0]:>6.2f} {to_module[1]:>5.2f}"
            )
    return f"threads: 1 and {threads}\n" + "\n".join(lines)


def peak_table(bench: dict[str, Any]) -> str:
    """The rate of the large square product that defines the peak, in both libraries."""
    lines = [f"{'shape (m, k, n)':<18} {'dtype':<8} {'NumPy':>8} {'PyTorch':>8}"]
    rates = {(r["dtype"], r["library"]): r for r in bench["peak"]}
    for dtype in DTYPES:
        numpy_row, torch_row = rates[(dtype, "numpy")], rates[(dtype, "torch")]
        shape = "x".join(str(n) for n in numpy_row["shape"])
        lines.append(
            f"{shape:<18} {dtype:<8} {numpy_row['gflops']:>8.1f} {torch_row['gflops']:>8.1f}"
        )
    return "GFLOP/s, best of repetitions\n" + "\n".join(lines)


def scaling_table(bench: dict[str, Any]) -> str:
    """Full against truncated BPTT: time and peak memory at each length."""
    rows = bench["scaling"]
    k = next(r["k"] for r in rows if r["method"] == "truncated")
    lines = [f"{'T':>6} {'full ms':>9} {'truncated ms':>13} {'full MiB':>9} {'truncated MiB':>14}"]
    for T in sorted({r["T"] for r in rows}):
        full, truncated = (
            next(r for r in rows if r["T"] == T and r["method"] == m)
            for m in ("full", "truncated")
        )
        lines.append(
            f"{T:>6} {1e3 * full['median_s']:>9.1f} {1e3 * truncated['median_s']:>13.1f} "
            f"{full['peak_mib']:>9.1f} {truncated['peak_mib']:>14.1f}"
        )
    return f"median time and peak memory, truncation k = {k}\n" + "\n".join(lines)


def book_table(book: dict[str, Any]) -> str:
    """Seconds per notebook and for the whole serial run."""
    width = max(len(r["notebook"]) for r in book["notebooks"])
    lines = [f"{'notebook':<{width}} {'seconds':>8}"]
    lines += [f"{r['notebook']:<{width}} {r['seconds']:>8.1f}" for r in book["notebooks"]]
    lines.append(f"{'whole book, serially':<{width}} {book['total_seconds']:>8.1f}")
    return "\n".join(lines)


def targets_table(checks: list[Check]) -> str:
    """Each target, the measurement, and met or missed (by what factor)."""
    width = max(len(c.target) for c in checks)
    lines = [f"{'target':<{width}} {'measured':>10} {'limit':>8}  result"]
    for c in checks:
        result = "met" if c.met else f"missed ({c.factor:.2f}x)"
        unit = "x" if c.unit.startswith("x") else c.unit
        measured, limit = f"{c.measured:.2f}{unit}", f"{c.limit:g}{unit}"
        lines.append(f"{c.target:<{width}} {measured:>10} {limit:>8}  {result}")
    return "\n".join(lines)
