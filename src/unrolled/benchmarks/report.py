"""The results as plain-text tables: printed by the benchmark, shown by the appendix notebook.

Each function takes the contents of a results file (bench.json or book-cost.json) and returns
a string; none measures anything, so the same file always gives the same tables.
"""

from __future__ import annotations

from typing import Any

from unrolled.benchmarks.implementations import CELLS, IMPLEMENTATIONS, LABELS
from unrolled.benchmarks.kernels import DTYPES, find_row, peak_gflops
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
        "load average at start": f"{machine['load_average']} (0 = quiet)",
    }
    width = max(len(key) for key in lines)
    return "\n".join(f"{key:<{width}}  {value}" for key, value in lines.items())


def kernels_table(bench: dict[str, Any]) -> str:
    """Forward+backward times, ratios to torch.nn and GFLOP/s, one block per dtype."""
    s = bench["settings"]["sizes"]
    blocks = []
    for dtype in DTYPES:
        peak = peak_gflops(bench["peak"], dtype)
        lines = [
            f"{dtype}: N={s['N']} T={s['T']} D={s['D']} H={s['H']}, forward + backward, "
            f"{bench['settings']['repeats']} repetitions; peak {peak:.1f} GFLOP/s",
            f"{'cell':<5} {'implementation':<17} {'median ms':>9} {'min ms':>8} {'max ms':>8} "
            f"{'/ torch.nn':>10} {'GFLOP/s':>8} {'of peak':>7}",
        ]
        for cell in CELLS:
            for implementation in IMPLEMENTATIONS:
                row = find_row(bench["kernels"], cell, dtype, implementation)
                lines.append(
                    f"{cell:<5} {LABELS[implementation]:<17} {1e3 * row['median_s']:>9.2f} "
                    f"{1e3 * row['min_s']:>8.2f} {1e3 * row['max_s']:>8.2f} "
                    f"{row['ratio_to_module']:>10.2f} {row['gflops']:>8.1f} "
                    f"{row['gflops'] / peak:>7.0%}"
                )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def peak_table(bench: dict[str, Any]) -> str:
    """Matrix-multiply rates: the large square product and each cell's recurrent product."""
    lines = [f"{'product':<12} {'shape (m, k, n)':<18} {'dtype':<8} {'NumPy':>8} {'PyTorch':>8}"]
    rates = {(r["product"], r["dtype"], r["library"]): r for r in bench["peak"]}
    products = dict.fromkeys(r["product"] for r in bench["peak"])  # in measured order
    for dtype in DTYPES:
        for product in products:
            numpy_row, torch_row = (rates[(product, dtype, lib)] for lib in ("numpy", "torch"))
            shape = "x".join(str(n) for n in numpy_row["shape"])
            lines.append(
                f"{product:<12} {shape:<18} {dtype:<8} {numpy_row['gflops']:>8.1f} "
                f"{torch_row['gflops']:>8.1f}"
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
        measured, limit = (
            (f"{c.measured:.0%}", f"{c.limit:.0%}")
            if c.unit == "of peak"
            else (f"{c.measured:.2f}", f"{c.limit:g}")
        )
        unit = "x" if c.unit.startswith("x") else c.unit.replace("of peak", "")
        lines.append(f"{c.target:<{width}} {measured + unit:>10} {limit + unit:>8}  {result}")
    return "\n".join(lines)
