"""unrolled.benchmarks: every benchmarked implementation computes PyTorch's gradients, the
harness and the results files are well formed, the targets are judged as stated.

No test looks at a measured time: times depend on the machine (CONVENTIONS: benchmarks are
not timed tests).
"""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from unrolled import gru as gru_module
from unrolled import lstm as lstm_module
from unrolled.benchmarks import cli, report
from unrolled.benchmarks import machine as machine_module
from unrolled.benchmarks.book import book_notebooks
from unrolled.benchmarks.implementations import (
    CELLS,
    IMPLEMENTATIONS,
    MODULES,
    floor,
    in_cache,
    layer_flops,
    make_problem,
    prepare,
)
from unrolled.benchmarks.kernels import (
    DTYPES,
    GATED,
    MEASURED,
    ONE_THREAD,
    find_row,
    peak_gflops,
)
from unrolled.benchmarks.targets import Check, evaluate
from unrolled.benchmarks.timing import Timing, time_interleaved

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "notebooks" / "results"
N, T, D, H = 3, 5, 4, 6  # small: every gradient is checked entry by entry


def pytorch_reference(problem):
    """hs and the gradients of sum(dhs * hs), from torch.nn.RNN/LSTM/GRU and .backward()."""
    module = MODULES[problem.cell](D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(problem.U))
        module.weight_hh_l0.copy_(torch.from_numpy(problem.W))
        module.bias_ih_l0.copy_(torch.from_numpy(problem.b_ih))
        module.bias_hh_l0.copy_(torch.from_numpy(problem.b_hh))
    x, h0, c0 = (torch.tensor(a, requires_grad=True) for a in (problem.x, problem.h0, problem.c0))
    initial = (h0[None], c0[None]) if problem.cell == "lstm" else h0[None]
    hs, _ = module(x, initial)
    (hs * torch.from_numpy(problem.dhs)).sum().backward()
    expected = {"hs": hs.detach(), "dx": x.grad, "dh0": h0.grad}
    if problem.cell == "lstm":
        expected["dc0"] = c0.grad
    expected |= {
        "dU": module.weight_ih_l0.grad,
        "dW": module.weight_hh_l0.grad,
        "db_ih": module.bias_ih_l0.grad,
        "db_hh": module.bias_hh_l0.grad,
    }
    return {name: value.numpy() for name, value in expected.items()}


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("cell", CELLS)
def test_every_implementation_computes_pytorchs_gradients(cell, implementation):
    problem = make_problem(cell, N, T, D, H, "float64", seed=1)
    runner = prepare(implementation, problem)
    ours = runner.collect(runner.run())
    expected = pytorch_reference(problem)
    assert list(ours) == list(expected)
    for name, value in expected.items():
        assert ours[name].dtype == np.float64, name
        np.testing.assert_allclose(ours[name], value, rtol=1e-10, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("cell", CELLS)
def test_float32_runs_compute_in_float32(cell, implementation):
    problem = make_problem(cell, N, T, D, H, "float32", seed=2)
    runner = prepare(implementation, problem)
    ours = runner.collect(runner.run())
    expected = pytorch_reference(make_problem(cell, N, T, D, H, "float64", seed=2))
    for name, value in expected.items():
        assert ours[name].dtype == np.float32, name
        np.testing.assert_allclose(ours[name], value, rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("cell", CELLS)
def test_runs_repeat_exactly_and_leave_the_problem_unchanged(cell, implementation):
    """The benchmark calls run() many times: nothing may accumulate or be overwritten."""
    problem = make_problem(cell, N, T, D, H, "float64", seed=3)
    before = {name: getattr(problem, name).copy() for name in ("x", "h0", "c0", "U", "W", "dhs")}
    runner = prepare(implementation, problem)
    first = {k: v.copy() for k, v in runner.collect(runner.run()).items()}
    second = runner.collect(runner.run())
    for name, value in first.items():
        np.testing.assert_array_equal(second[name], value, err_msg=name)
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(problem, name), value, err_msg=name)


@pytest.mark.parametrize("cell", CELLS)
def test_flop_formula_counts_the_products_of_the_autograd_loop(cell):
    """PyTorch's own FLOP counter, on the loop (one product per gate and step, forward and
    backward), finds exactly 6 N T G H (D + H)."""
    runner = prepare("loop", make_problem(cell, N, T, D, H, "float64"))
    with FlopCounterMode(display=False) as counter:
        runner.run()
    assert counter.get_total_flops() == layer_flops(cell, N, T, D, H)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cell", CELLS)
def test_only_the_float32_lstm_module_runs_onednns_fused_kernel(cell, dtype):
    """The appendix explains the ratios with this: in float32 torch.nn.LSTM runs oneDNN's
    fused LSTM layer (aten::mkldnn_rnn_layer) on a CPU; every other module runs ATen's loop."""
    runner = prepare("module", make_problem(cell, N, T, D, H, dtype))
    with torch.autograd.profiler.profile() as profile:
        runner.run()
    names = {event.name for event in profile.function_events}
    fused = {"aten::mkldnn_rnn_layer", "aten::mkldnn_rnn_layer_backward"}
    assert (fused <= names) == (cell == "lstm" and dtype == "float32"), sorted(names)


def test_bad_names_raise():
    with pytest.raises(ValueError, match="cell must be one of"):
        make_problem("elman", N, T, D, H)
    with pytest.raises(ValueError, match="implementation must be one of"):
        prepare("jax", make_problem("rnn", N, T, D, H))
    with pytest.raises(ValueError, match="cell must be one of"):
        layer_flops("elman", N, T, D, H)


def test_interleaved_rounds_rotate_the_order_after_a_warm_up():
    calls = []
    cases = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    timings = time_interleaved(cases, repeats=4, warmup=1)
    assert calls == list("abcabcbcacababc")
    assert list(timings) == list("abc")
    for timing in timings.values():
        assert timing.repeats == 4 and 0 <= timing.min <= timing.median <= timing.max
    assert Timing.of([3.0, 1.0, 2.0]) == Timing(2.0, 1.5, 2.5, 1.0, 3.0, 3)
    assert Timing.of([3.0, 1.0, 2.0]).relative_iqr == 0.5
    assert Timing.of([2.0]) == Timing(2.0, 2.0, 2.0, 2.0, 2.0, 1)
    with pytest.raises(ValueError):
        time_interleaved(cases, repeats=0)
    with pytest.raises(ValueError):
        time_interleaved(cases, repeats=1, settle=-1.0)
    with pytest.raises(ValueError):
        Timing.of([])


def test_rounds_go_on_while_the_spread_exceeds_the_bound():
    cases = {"a": lambda: None, "b": lambda: None}
    never = time_interleaved(cases, repeats=2, bound=1e-12, max_repeats=5)  # always too wide
    assert {t.repeats for t in never.values()} == {5}
    at_once = time_interleaved(cases, repeats=2, bound=1e9, max_repeats=5)
    assert {t.repeats for t in at_once.values()} == {2}
    assert {t.repeats for t in time_interleaved(cases, repeats=3).values()} == {3}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cell", CELLS)
def test_the_floor_runs_and_leaves_the_problem_unchanged(cell, dtype):
    problem = make_problem(cell, N, T, D, H, dtype, seed=4)
    before = {name: getattr(problem, name).copy() for name in ("x", "U", "W")}
    run = floor(problem)
    assert run() is None and run() is None
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(problem, name), value, err_msg=name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cell", GATED)
def test_the_gates_in_cache_do_the_layers_elementwise_steps(cell, dtype, monkeypatch):
    module = {"lstm": lstm_module, "gru": gru_module}[cell]
    calls = {"forward": 0, "backward": 0}
    for direction in calls:
        name = f"_{cell}_cell_{direction}"
        original = getattr(module, name)

        def counted(*args, direction=direction, original=original):
            calls[direction] += 1
            return original(*args)

        monkeypatch.setattr(module, name, counted)
    problem = make_problem(cell, N, T, D, H, dtype, seed=5)
    before = {name: getattr(problem, name).copy() for name in ("x", "h0", "c0", "U", "W")}
    prepare("numpy", problem).run()
    in_layer = dict(calls)
    assert in_layer == {"forward": T, "backward": T}  # one call of each per step
    run = in_cache(problem)
    assert run() is None
    assert calls == {direction: 2 * count for direction, count in in_layer.items()}
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(problem, name), value, err_msg=name)


def test_blas_threads_sets_both_libraries_for_the_block_only():
    before = (machine_module.openblas_runtime()["threads"], torch.get_num_threads())
    with pytest.raises(KeyError, match="inside"), machine_module.blas_threads(1):
        assert machine_module.openblas_runtime()["threads"] == 1
        assert torch.get_num_threads() == 1
        raise KeyError("inside")  # the counts are restored however the block ends
    assert (machine_module.openblas_runtime()["threads"], torch.get_num_threads()) == before
    with pytest.raises(ValueError, match="threads"), machine_module.blas_threads(0):
        pass


def test_only_gated_cells_have_their_gates_timed_in_cache():
    with pytest.raises(ValueError, match="cell: expected 'lstm' or 'gru', received 'rnn'"):
        in_cache(make_problem("rnn", N, T, D, H))


# --- Results files ------------------------------------------------------------------------

MACHINE_KEYS = {
    "date",
    "cpu",
    "logical_cpus",
    "usable_cpus",
    "memory_gib",
    "system",
    "python",
    "numpy",
    "torch",
    "numpy_blas",
    "numpy_blas_runtime",
    "torch_blas",
    "torch_cpu_capability",
    "torch_threads",
    "environment",
    "allocator",
    "load_average",
}


def check_common(results, settings):
    assert set(results["machine"]) == MACHINE_KEYS
    assert results["settings"] == json.loads(json.dumps(cli.settings_record(settings)))


def check_rows(run, measured, settings):
    """One interleaved run of kernels: its rounds, spread flag and consistent rows."""
    assert settings.repeats <= run["rounds"] <= settings.max_repeats
    assert run["bound"] == settings.iqr_bound
    assert run["noisy"] == (run["widest"]["relative_iqr"] > run["bound"])
    keys = [(r["dtype"], r["cell"], r["implementation"]) for r in run["rows"]]
    assert keys == [(d, c, i) for d in DTYPES for c in CELLS for i in measured]
    sizes = settings.sizes
    for row in run["rows"]:
        assert 0 < row["min_s"] <= row["median_s"] <= row["max_s"]
        assert 0 <= row["iqr_s"] <= row["max_s"] - row["min_s"] + 1e-12
        assert row["flops"] == layer_flops(row["cell"], sizes.N, sizes.T, sizes.D, sizes.H)
        assert row["gflops"] == pytest.approx(row["flops"] / row["median_s"] / 1e9, rel=2e-3)
        for reference, key in (("floor", "ratio_to_floor"), ("module", "ratio_to_module")):
            other = find_row(run, row["cell"], row["dtype"], reference)
            assert row[key] == pytest.approx(row["median_s"] / other["median_s"], rel=2e-3)


def check_bench(bench):
    """The schema the appendix reads, and consistency of the derived numbers."""
    settings = cli.QUICK if bench["settings"]["quick"] else cli.FULL
    check_common(bench, settings)
    assert set(bench) == {"description", "machine", "settings", "peak", "kernels", "scaling"}
    assert [(r["dtype"], r["library"]) for r in bench["peak"]] == [
        (dtype, library) for dtype in DTYPES for library in ("numpy", "torch")
    ]
    for row in bench["peak"]:
        assert row["shape"] == [settings.peak_square] * 3 and row["gflops"] > 0
    kernels = bench["kernels"]
    assert set(kernels) == {"rounds", "bound", "noisy", "widest", "rows", "in_cache", "one_thread"}
    for run, measured in ((kernels, MEASURED), (kernels["one_thread"], ONE_THREAD)):
        check_rows(run, measured, settings)
    assert [(r["dtype"], r["cell"]) for r in kernels["in_cache"]] == [
        (d, c) for d in DTYPES for c in GATED
    ]
    for row in kernels["in_cache"]:
        assert 0 < row["min_s"] <= row["median_s"] <= row["max_s"]
        layer, floor_ = (
            find_row(kernels, row["cell"], row["dtype"], i) for i in ("numpy", "floor")
        )
        assert row["above_floor_s"] == pytest.approx(
            layer["median_s"] - floor_["median_s"], rel=2e-3, abs=1e-6
        )
    expected = [(T_, m) for T_ in settings.lengths for m in ("full", "truncated")]
    assert [(r["T"], r["method"]) for r in bench["scaling"]] == expected
    for row in bench["scaling"]:
        assert 0 < row["min_s"] <= row["median_s"] <= row["max_s"] and row["peak_mib"] > 0
        assert row["k"] == (settings.truncation if row["method"] == "truncated" else None)


def check_book(book, notebooks):
    settings = cli.QUICK if book["settings"]["quick"] else cli.FULL
    check_common(book, settings)
    assert set(book) == {"description", "machine", "settings", "notebooks", "total_seconds"}
    names = [p.name for p in notebooks][: settings.notebooks]
    assert [r["notebook"] for r in book["notebooks"]] == names, (
        "book-cost.json does not list every notebook: run `make bench`"
    )
    assert all(r["seconds"] > 0 for r in book["notebooks"])
    assert book["total_seconds"] >= 0.99 * sum(r["seconds"] for r in book["notebooks"])


def test_a_quick_run_writes_results_of_the_expected_schema(tmp_path):
    bench = cli.bench_results(cli.QUICK, ("kernels", "scaling"))
    cli.write(tmp_path / "bench.json", bench)
    written = json.loads((tmp_path / "bench.json").read_text())
    check_bench(written)
    assert "float64" in report.kernels_table(written) and "truncated" in report.scaling_table(
        written
    )
    assert "NumPy/floor" in report.threads_table(written)
    checks = evaluate(written, None)
    expected = [f"floor/{c}/{d}/{n}" for n in (1, 2) for d in DTYPES for c in CELLS]
    assert [c.key for c in checks] == expected


def test_the_book_part_executes_notebooks_and_reports_each(tmp_path):
    for name, source in (("01-a.ipynb", "x = 1"), ("02-b.ipynb", "print(open('data').read())")):
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
        nbformat.write(notebook, tmp_path / name)
    (tmp_path / "data").write_text("read from the notebook's directory")
    settings = dataclasses.replace(cli.QUICK, notebooks=None)
    book = cli.book_results(settings, tmp_path)
    assert [r["notebook"] for r in book["notebooks"]] == ["01-a.ipynb", "02-b.ipynb"]
    assert book["total_seconds"] >= 0.99 * sum(r["seconds"] for r in book["notebooks"])
    assert "02-b.ipynb" in report.book_table(book)


def test_the_script_pins_threads_and_writes_the_file(tmp_path):
    output = tmp_path / "bench.json"
    command = [sys.executable, "-m", "unrolled.benchmarks", "--quick", "--threads", "1"]
    command += ["--only", "kernels", "scaling", "--output", str(output)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "autograd loop" in done.stdout and "truncation" in done.stdout
    bench = json.loads(output.read_text())
    machine = bench["machine"]
    assert set(machine["environment"].values()) == {"1"} and machine["torch_threads"] == 1
    assert machine["allocator"] == machine_module.ALLOCATOR_VARIABLES  # set by the restart
    assert machine["numpy_blas_runtime"]["threads"] in (1, None)
    assert bench["settings"]["threads"] == 1


def test_committed_results_have_the_schema_the_appendix_reads():
    bench = json.loads((RESULTS / "bench.json").read_text())
    book = json.loads((RESULTS / "book-cost.json").read_text())
    check_bench(bench)
    check_book(book, book_notebooks(ROOT / "notebooks"))
    keys = [c.key for c in evaluate(bench, book)]
    assert len(keys) == 2 * len(DTYPES) * len(CELLS) + 2 and keys[-2:] == ["notebook", "book"]
    tables = (report.machine_table(bench["machine"]), report.peak_table(bench))
    for table in (*tables, report.threads_table(bench), report.in_cache_table(bench)):
        assert table


def test_targets_are_judged_as_stated():
    def bench(lstm32, lstm64, rnn, one_thread=1.0):
        """Kernels whose NumPy layers have these ratios to the floor with 2 threads (the GRU
        1.0), and all `one_thread` with one."""
        ratios = {"float32": {"lstm": lstm32, "rnn": rnn}, "float64": {"lstm": lstm64, "rnn": rnn}}
        rows, alone = [], []
        for dtype in DTYPES:
            for cell in CELLS:
                row = {"cell": cell, "dtype": dtype, "implementation": "numpy"}
                rows.append(row | {"ratio_to_floor": ratios[dtype].get(cell, 1.0)})
                alone.append(row | {"ratio_to_floor": one_thread})
        kernels = {"rows": rows, "one_thread": {"rows": alone}}
        return {"kernels": kernels, "peak": peak, "settings": {"threads": 2}}

    peak = [
        {"dtype": d, "library": lib, "gflops": g}
        for d in DTYPES
        for lib, g in (("numpy", 90.0), ("torch", 100.0))
    ]
    assert peak_gflops(peak, "float32") == 100.0
    with pytest.raises(ValueError, match="no product"):
        peak_gflops(peak, "float16")

    book = {
        "notebooks": [
            {"notebook": "01.ipynb", "seconds": 59.0},
            {"notebook": "02.ipynb", "seconds": 61.0},
        ],
        "total_seconds": 720.0,
    }
    at_limits = evaluate(bench(1.5, 1.5, 1.5, one_thread=1.5), book)
    met = {c.key: c.met for c in at_limits}
    assert (
        met["floor/lstm/float32/2"] and met["floor/rnn/float64/2"] and met["floor/gru/float64/1"]
    )
    assert not met["notebook"] and not met["book"]  # "under": strictly
    slowest = next(c for c in at_limits if c.key == "notebook")
    assert "02.ipynb" in slowest.target and slowest.factor == pytest.approx(61 / 60)

    missed = evaluate(bench(1.8, 1.2, 3.0, one_thread=1.2), None)
    factors = {c.key: c.factor for c in missed if not c.met}
    assert factors["floor/lstm/float32/2"] == pytest.approx(1.2)
    assert factors["floor/rnn/float32/2"] == pytest.approx(2.0)
    assert "floor/lstm/float64/2" not in factors and "floor/gru/float32/2" not in factors
    assert not any(key.endswith("/1") for key in factors)  # 1.2 with one thread: met
    one_thread_missed = evaluate(bench(1.0, 1.0, 1.0, one_thread=1.65), None)
    assert {c.key for c in one_thread_missed if not c.met} == {
        f"floor/{c}/{d}/1" for d in DTYPES for c in CELLS
    }
    assert "LSTM float64, 1 thread:" in one_thread_missed[4].target
    assert Check("x", "x", 0.0, ">=", 0.5, "s").factor == float("inf")
    assert "missed (2.00x)" in report.targets_table(missed)
