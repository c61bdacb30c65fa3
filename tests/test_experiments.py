"""unrolled.experiments.adding: the committed results file is well formed, agrees with the
code that wrote it, supports what chapter 5 says about it, and is reproduced by re-running."""

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from unrolled.data import adding_problem, copy_task_baseline
from unrolled.experiments import adding

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "notebooks" / "results" / "adding.json"
REPRODUCED = ("adding", 50, "lstm", 0.003, 0)  # ~15 s on one core, solved by a wide margin


@pytest.fixture(scope="module")
def results():
    return adding.load_results(RESULTS)


def test_file_is_written_in_the_canonical_layout(results):
    assert RESULTS.read_text() == adding.dumps(results)


def test_settings_are_those_of_the_code(results):
    expected = adding.SETTINGS | {
        "lengths": list(adding.LENGTHS),
        "models": adding.MODELS,
        "lrs": adding.LRS,
        "seeds": list(adding.SEEDS),
        "solved": adding.SOLVED,
    }
    assert results["settings"] == json.loads(json.dumps(expected))
    assert set(results) == {"description", "torch", "settings", "results"}


def test_one_entry_per_configuration_in_sweep_order(results):
    keys = [(e["task"], e["T"], e["model"], e["lr"], e["seed"]) for e in results["results"]]
    assert keys == adding.configurations()
    assert len(keys) == len(set(keys))


def test_entries_are_consistent(results):
    settings = results["settings"]
    for entry in results["results"]:
        task, T, model = entry["task"], entry["T"], entry["model"]
        assert set(entry) == {
            "task",
            "T",
            "model",
            "lr",
            "seed",
            "dev_loss",
            "test_loss",
            "baseline",
            "recall_accuracy",
            "curve",
            "preactivations",
        }
        assert 0 < entry["test_loss"] == round(entry["test_loss"], adding.DECIMALS)
        assert 0 < entry["dev_loss"] == round(entry["dev_loss"], adding.DECIMALS)
        expected_baseline = 1 / 6 if task == "adding" else copy_task_baseline(T, 8, 10)
        assert entry["baseline"] == round(expected_baseline, adding.DECIMALS)
        curve = entry["curve"]
        updates = settings["updates"][task]
        assert curve["updates"] == list(range(100, updates + 1, settings["eval_every"]))
        assert len(curve["test_loss"]) == len(curve["updates"])
        assert curve["test_loss"][-1] == entry["test_loss"]  # the last point is the final model
        if task == "adding":
            assert entry["recall_accuracy"] is None
        else:
            assert 0 <= entry["recall_accuracy"] <= 1
        histograms = entry["preactivations"]
        if model == "lstm":
            assert histograms is None
            continue
        every = settings["histogram_every"]
        assert histograms["updates"] == list(range(0, updates + 1, every))
        L = T if task == "adding" else T + 2 * settings["copy_length"]
        for counts in histograms["counts"]:
            assert len(counts) == settings["histogram_edges"][2]
            assert sum(counts) == settings["histogram_sequences"] * L * settings["hidden"]


def test_baseline_is_the_mse_of_predicting_the_mean():
    _, y = adding_problem(100_000, 50, seed=adding.TEST_SEED)
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, rel=0.01)


def test_results_support_the_chapters_claims(results):
    """What chapters 5 and 6 say about the sweep, from the committed file (5 seeds each)."""

    def summary(task, T, model):
        return adding.summary(results, task, T, model)

    seeds = len(adding.SEEDS)
    assert seeds >= 5
    assert (
        summary("adding", 50, "lstm")["solved"]
        == seeds
        == summary("adding", 100, "lstm")["solved"]
    )
    assert all(summary("adding", 50, m)["median"] < 0.9 / 6 for m in ("rnn", "irnn"))
    assert all(summary("adding", T, "rnn")["median"] > 0.9 / 6 for T in (100, 200))
    assert summary("adding", 100, "irnn")["median"] < 0.9 / 6
    assert summary("adding", 200, "irnn")["solved"] == 0
    assert all(
        summary("copy", T, m)["solved"] == 0 for T in adding.LENGTHS for m in ("rnn", "lstm")
    )


def test_a_configuration_run_alone_reproduces_its_committed_entry(results):
    """Re-run one configuration: what does not depend on training is equal; the trained loss is
    compared by the verdict the chapter draws from it. Training amplifies the rounding of the
    processor, so the entry must be one whose verdict does not depend on it. The IRNN's
    (T = 50, learning rate 0.003, seed 0) test MSE is 0.0025 in the committed file, was 0.0076
    re-run on an Intel Xeon (AVX-512) and 0.0204 there with the AVX2 code paths of `make
    test-portable`: above the threshold 1/60, a tenth of the baseline 1/6. This LSTM's is
    0.00017 in the file and was 0.00018 both ways, a hundredth of the threshold."""
    task, T, model, lr, seed = REPRODUCED
    command = [
        sys.executable,
        "-m",
        "unrolled.experiments.adding",
        "--only",
        f"{task}:{T}:{model}:{lr}",
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rerun = json.loads(done.stdout)
    committed = adding.find_entry(results, task, T, model, seed, lr)
    trained = {"dev_loss", "test_loss", "curve", "preactivations"}
    assert {k: v for k, v in rerun.items() if k not in trained} == {
        k: v for k, v in committed.items() if k not in trained
    }
    assert rerun["curve"]["updates"] == committed["curve"]["updates"]
    assert rerun["test_loss"] < committed["baseline"] / 10 > committed["test_loss"]  # solved


def test_bad_configurations_raise():
    for call in (
        lambda: adding.run_config("parity", 50, "rnn", 3e-3),
        lambda: adding.make_batch("parity", 4, 50, 0),  # was silently the copy task
        lambda: adding.baseline("parity", 50),
        lambda: adding.task_sizes("parity"),
    ):
        with pytest.raises(ValueError, match="task must be one of"):
            call()
    with pytest.raises(ValueError, match="model must be one of"):
        adding.run_config("copy", 50, "irnn", 3e-3)
    with pytest.raises(ValueError, match="T must be an int"):
        adding.run_config("adding", 1, "rnn", 3e-3)
    with pytest.raises(ValueError, match="lr must be a positive float, received -0.1"):
        adding.run_config("adding", 50, "rnn", -0.1)
    with pytest.raises(KeyError, match="no entry"):
        adding.find_entry({"results": []}, "adding", 50, "rnn")
    assert adding.parse_only("copy:100:lstm:0.003") == ("copy", 100, "lstm", 0.003, 0)
    assert adding.parse_only("adding:50:rnn:3e-4:2") == ("adding", 50, "rnn", 3e-4, 2)
    for text in ("adding:50:rnn", "adding:fifty:rnn:0.1", "adding::rnn:0.1", "a:5:rnn:x"):
        with pytest.raises(argparse.ArgumentTypeError, match="TASK:T:MODEL:LR|integers"):
            adding.parse_only(text)


def test_the_learning_rate_is_chosen_on_development_loss_not_test_loss():
    def entry(lr, seed, dev, test):
        return {
            "task": "adding",
            "T": 50,
            "model": "rnn",
            "lr": lr,
            "seed": seed,
            "dev_loss": dev,
            "test_loss": test,
            "baseline": 1 / 6,
        }

    results = {
        "settings": {"lrs": {"adding": [0.1, 0.2]}, "solved": 0.1},
        "results": [
            entry(0.1, 0, 0.01, 0.5),
            entry(0.1, 1, 0.02, 0.5),
            entry(0.1, 2, 0.9, 0.001),
            entry(0.2, 0, 0.05, 0.001),
            entry(0.2, 1, 0.05, 0.001),
            entry(0.2, 2, 0.05, 0.001),
        ],
    }
    assert adding.chosen_lr(results, "adding", 50, "rnn") == 0.1  # median dev 0.02 < 0.05
    assert adding.summary(results, "adding", 50, "rnn") == {
        "lr": 0.1,
        "median": 0.5,
        "min": 0.001,
        "max": 0.5,
        "solved": 1,
        "seeds": 3,
    }
    assert adding.find_entry(results, "adding", 50, "rnn", seed=2)["test_loss"] == 0.001
