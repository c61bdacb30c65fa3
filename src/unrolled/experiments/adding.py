"""Chapter 5's long-range memory benchmark: recurrent networks on the adding problem and the copy
task, with the information to remember T = 50, 100 and 200 steps back.

This is an experiment, not a from-scratch check. The models are PyTorch's, trained in float32 on
one CPU thread with Adam and gradient-norm clipping:

- "rnn": the vanilla tanh RNN of chapters 2-4 (torch.nn.RNN, PyTorch's default initialisation);
- "irnn": a ReLU RNN whose recurrent weights start as the identity (Le et al. 2015);
- "lstm": torch.nn.LSTM, a preview of the gated cells of chapter 6 (which reads this file).

Every model runs with 5 seeds. On the adding problem every model also gets the same
learning-rate search (Adam at 3e-4 and 3e-3): the rate is chosen by the median loss over
the seeds on development sequences, and the test sequences, drawn separately, only score the
chosen rate. The copy task uses 3e-3 for both models. A run "solves" a task when its test loss
is below a tenth of the best memoryless strategy's (`SOLVED`).

Every configuration (task, T, model, learning rate, seed) seeds PyTorch itself and draws its own
data from `unrolled.data`, so it gives the same numbers whether it runs alone or in the sweep:

    python -m unrolled.experiments.adding [--jobs 2]                  # the sweep, ~70 min
    python -m unrolled.experiments.adding --only adding:50:rnn:0.003  # one configuration, as JSON

The sweep writes notebooks/results/adding.json (see `--output`), which the chapter notebook
reads with load_results. Numbers are rounded to DECIMALS decimals, and re-running the sweep
on the same machine reproduces the file byte for byte (tests/test_experiments.py re-runs one
configuration).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from unrolled.data import adding_problem, copy_task, copy_task_baseline
from unrolled.experiments.common import dumps, one_thread, torch_version
from unrolled.experiments.common import load_results as load_results  # for the notebook
from unrolled.vanishing import identity_init

TASKS = ("adding", "copy")
LENGTHS = (50, 100, 200)
MODELS = {"adding": ("rnn", "irnn", "lstm"), "copy": ("rnn", "lstm")}
SEEDS = (0, 1, 2, 3, 4)
LRS = {"adding": (3e-4, 3e-3), "copy": (3e-3,)}  # Adam's learning rates searched
SOLVED = 0.1  # a run solves the task if its test loss is below this fraction of the baseline
SETTINGS: dict[str, Any] = {
    "hidden": 32,  # H, for every model
    "batch": 64,  # sequences per update, fresh ones every update
    "updates": {"adding": 3000, "copy": 2000},
    "max_norm": 1.0,  # gradient-norm clipping, torch.nn.utils.clip_grad_norm_
    "n_test": 1000,  # held-out sequences, drawn once per configuration
    "eval_every": 100,  # updates between two points of the learning curve
    "histogram_every": 1000,  # updates between two histograms of the RNNs' pre-activations
    "histogram_sequences": 100,  # the first test sequences, whose pre-activations are counted
    "histogram_edges": (-8.0, 8.0, 64),  # np.linspace(*edges): 64 bins; outliers count at the ends
    "irnn_input_std": 1e-3,  # IRNN (Le et al. 2015): input weights N(0, 0.001^2), W = I, b = 0
    "copy_symbols": 8,  # copy task: data symbols 1..8 ...
    "copy_length": 10,  # ... 10 of them to reproduce
}
DECIMALS = 5
DEFAULT_OUTPUT = Path("notebooks") / "results" / "adding.json"
TEST_SEED = 2**31 - 1  # the test set's seed; training batches use seeds below 10**9
DEV_SEED = TEST_SEED - 10**6  # the development set's (learning-rate choice)


def check_task(task: str) -> None:
    """ValueError unless `task` is one of TASKS."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, received {task!r}")


def task_sizes(task: str) -> tuple[int, int]:
    """(D, K): input size and output size of a task."""
    check_task(task)
    if task == "adding":
        return 2, 1  # (value, marker) in, the sum out
    n_symbols = SETTINGS["copy_symbols"]
    return n_symbols + 2, n_symbols + 1  # one-hot symbols in, scores for each symbol out


def make_batch(task: str, n: int, T: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n sequences as float32 inputs (n, L, D) and targets: sums (n,) or classes (n, L)."""
    check_task(task)
    if task == "adding":
        x, y = adding_problem(n, T, seed=seed)  # (n, T, 2), (n,)
        return torch.from_numpy(x).float(), torch.from_numpy(y).float()
    symbols, length = SETTINGS["copy_symbols"], SETTINGS["copy_length"]
    x, y = copy_task(n, T, n_symbols=symbols, length=length, seed=seed)  # (n, L), (n, L)
    inputs = torch.nn.functional.one_hot(torch.from_numpy(x), symbols + 2).float()  # (n, L, D)
    return inputs, torch.from_numpy(y)


def baseline(task: str, T: int) -> float:
    """The loss of the best memoryless strategy: 1/6 (MSE) or copy_task_baseline (nats/step)."""
    check_task(task)
    if task == "adding":
        return 1.0 / 6.0  # predict the mean sum 1.0: the variance of u1 + u2
    return copy_task_baseline(T, SETTINGS["copy_symbols"], SETTINGS["copy_length"])


class Model(torch.nn.Module):
    """A recurrent layer with a linear readout: of the last state (adding) or of every state."""

    def __init__(self, task: str, model: str) -> None:
        super().__init__()
        D, K = task_sizes(task)
        H = SETTINGS["hidden"]
        self.task = task
        if model == "lstm":
            self.recurrent: torch.nn.Module = torch.nn.LSTM(D, H, batch_first=True)
        elif model in ("rnn", "irnn"):
            nonlinearity = "tanh" if model == "rnn" else "relu"
            self.recurrent = torch.nn.RNN(D, H, nonlinearity=nonlinearity, batch_first=True)
        else:
            raise ValueError(f"model must be one of rnn, irnn, lstm, received {model!r}")
        if model == "irnn":
            with torch.no_grad():
                self.recurrent.weight_hh_l0.copy_(torch.from_numpy(identity_init(H)))
                self.recurrent.weight_ih_l0.normal_(0.0, SETTINGS["irnn_input_std"])
                self.recurrent.bias_ih_l0.zero_()
                self.recurrent.bias_hh_l0.zero_()
        self.readout = torch.nn.Linear(H, K)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predicted sums (N,) for the adding problem, scores (N, L, K) for the copy task."""
        states, _ = self.recurrent(x)  # (N, L, H)
        if self.task == "adding":
            return self.readout(states[:, -1]).squeeze(-1)  # (N,)
        return self.readout(states)  # (N, L, K)


def add_forget_bias(lstm: torch.nn.LSTM, value: float) -> None:
    """Add `value` to the forget gate's input bias of a one-layer LSTM, in place (PyTorch
    stacks the gates' rows as input, forget, cell, output: the forget gate's are H..2H)."""
    H = lstm.hidden_size
    with torch.no_grad():
        lstm.bias_ih_l0[H : 2 * H] += value


def preactivations(net: Model, x: torch.Tensor) -> torch.Tensor:
    """a(t) = b + W h(t-1) + U x(t) of every step of an RNN ("rnn", "irnn"), shape (N, L, H)."""
    rnn = net.recurrent
    states, _ = rnn(x)  # (N, L, H)
    previous = torch.cat([torch.zeros_like(states[:, :1]), states[:, :-1]], dim=1)  # h(t-1)
    bias = rnn.bias_ih_l0 + rnn.bias_hh_l0  # (H,)
    return bias + previous @ rnn.weight_hh_l0.T + x @ rnn.weight_ih_l0.T  # (N, L, H)


def preactivation_counts(net: Model, x: torch.Tensor) -> list[int]:
    """Histogram of the pre-activations on x over the bins of SETTINGS["histogram_edges"]."""
    low, high, bins = SETTINGS["histogram_edges"]
    with torch.no_grad():
        values = preactivations(net, x).clamp(low, high).numpy().ravel()
    counts, _ = np.histogram(values, bins=np.linspace(low, high, bins + 1))
    return [int(c) for c in counts]


def loss_of(task: str, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error (adding) or mean cross-entropy per step in nats (copy)."""
    if task == "adding":
        return torch.mean((prediction - target) ** 2)
    return torch.nn.functional.cross_entropy(prediction.flatten(0, 1), target.flatten())


def _round(value: float) -> float:
    return round(float(value), DECIMALS)


def run_config(
    task: str, T: int, model: str, lr: float, seed: int = 0, forget_bias: float = 0.0
) -> dict[str, Any]:
    """Train one model on one task and length at one learning rate; return its entry of the
    results file. `forget_bias` (LSTM only) is added to the forget gate's input bias after
    PyTorch's initialisation; 0 leaves the model, and so every number, as in the sweep.

    Returns:
        dict with task, T, model, lr, seed, dev_loss and test_loss (MSE or nats per step on
        SETTINGS["n_test"] development and held-out sequences, drawn separately), baseline,
        recall_accuracy (copy task: fraction of the copied symbols predicted right, chance
        1 / copy_symbols; None for the adding problem), the
        learning curve {"updates": [...], "test_loss": [...]}, all rounded to DECIMALS, and
        for the RNNs (None for the LSTM) histograms of the pre-activations a(t) on the first
        test sequences, every SETTINGS["histogram_every"] updates from update 0:
        {"updates": [...], "counts": [[...], ...]} over the bins of histogram_edges.
    """
    check_task(task)
    if model not in MODELS[task]:
        raise ValueError(f"model must be one of {MODELS[task]} for {task}, received {model!r}")
    if isinstance(T, bool) or not isinstance(T, int) or T < 2:
        raise ValueError(f"T must be an int >= 2, received {T!r}")
    if not (isinstance(lr, float) and lr > 0):
        raise ValueError(f"lr must be a positive float, received {lr!r}")
    if isinstance(forget_bias, bool) or not isinstance(forget_bias, int | float):
        raise TypeError(f"forget_bias must be a number, received {forget_bias!r}")
    if forget_bias != 0 and model != "lstm":
        raise ValueError(f"forget_bias needs model 'lstm', received model {model!r}")
    updates = SETTINGS["updates"][task]
    with one_thread():
        torch.manual_seed(seed)
        net = Model(task, model)
        if forget_bias:
            add_forget_bias(net.recurrent, forget_bias)
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        x_test, y_test = make_batch(task, SETTINGS["n_test"], T, seed=TEST_SEED - seed)
        curve: dict[str, list[float]] = {"updates": [], "test_loss": []}
        x_histogram = x_test[: SETTINGS["histogram_sequences"]]
        histograms: dict[str, list] | None = None
        if model in ("rnn", "irnn"):
            histograms = {"updates": [0], "counts": [preactivation_counts(net, x_histogram)]}
        for update in range(1, updates + 1):
            x, y = make_batch(task, SETTINGS["batch"], T, seed=seed * updates + update)
            loss = loss_of(task, net(x), y)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), SETTINGS["max_norm"])
            optimizer.step()
            if update % SETTINGS["eval_every"] == 0:
                with torch.no_grad():
                    curve["updates"].append(update)
                    curve["test_loss"].append(_round(loss_of(task, net(x_test), y_test)))
            if histograms is not None and update % SETTINGS["histogram_every"] == 0:
                histograms["updates"].append(update)
                histograms["counts"].append(preactivation_counts(net, x_histogram))
        with torch.no_grad():
            x_dev, y_dev = make_batch(task, SETTINGS["n_test"], T, seed=DEV_SEED - seed)
            dev_loss = loss_of(task, net(x_dev), y_dev)
            prediction = net(x_test)
            test_loss = loss_of(task, prediction, y_test)
            recall = None
            if task == "copy":
                length = SETTINGS["copy_length"]
                copied = prediction[:, -length:].argmax(-1) == y_test[:, -length:]  # (n, length)
                recall = _round(copied.float().mean())
    return {
        "task": task,
        "T": T,
        "model": model,
        "lr": lr,
        "seed": seed,
        "dev_loss": _round(dev_loss),
        "test_loss": _round(test_loss),
        "baseline": _round(baseline(task, T)),
        "recall_accuracy": recall,
        "curve": curve,
        "preactivations": histograms,
    }


def configurations() -> list[tuple[str, int, str, float, int]]:
    """Every (task, T, model, lr, seed) of the sweep, in the order of the results file."""
    return [
        (task, T, model, lr, seed)
        for task in TASKS
        for T in LENGTHS
        for model in MODELS[task]
        for lr in LRS[task]
        for seed in SEEDS
    ]


def _timed(config: tuple[str, int, str, float, int]) -> tuple[dict[str, Any], float]:
    start = time.perf_counter()
    return run_config(*config), time.perf_counter() - start


def run_sweep(log: bool = True, jobs: int = 1) -> dict[str, Any]:
    """Run every configuration, in `jobs` processes (the same numbers for any number: each
    configuration seeds itself); return the contents of the results file."""
    results = []
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        done = pool.imap(_timed, configurations())
        for (task, T, model, lr, seed), (entry, seconds) in zip(
            configurations(), done, strict=True
        ):
            results.append(entry)
            if log:
                print(
                    f"{task:>6} T={T:<3} {model:<4} lr {lr:<6} seed {seed}: test loss "
                    f"{entry['test_loss']:.5f} (baseline {entry['baseline']:.5f}), "
                    f"{seconds:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    settings = SETTINGS | {
        "lengths": list(LENGTHS),
        "models": MODELS,
        "lrs": LRS,
        "seeds": list(SEEDS),
        "solved": SOLVED,
    }
    return {
        "description": "Test loss of recurrent networks on the adding problem (MSE) and the copy "
        "task (cross-entropy, nats per step), written by python -m unrolled.experiments.adding",
        "torch": torch_version(),
        "settings": settings,
        "results": results,
    }


def runs_of(results: dict[str, Any], task: str, T: int, model: str, lr: float) -> list[dict]:
    """The entries of one model at one learning rate, one per seed, in seed order."""
    return [
        e
        for e in results["results"]
        if (e["task"], e["T"], e["model"], e["lr"]) == (task, T, model, lr)
    ]


def chosen_lr(results: dict[str, Any], task: str, T: int, model: str) -> float:
    """The learning rate with the lowest median development loss over the seeds."""
    lrs = results["settings"]["lrs"][task]
    median = {
        lr: np.median([e["dev_loss"] for e in runs_of(results, task, T, model, lr)]) for lr in lrs
    }
    return min(lrs, key=median.__getitem__)


def find_entry(
    results: dict[str, Any], task: str, T: int, model: str, seed: int = 0, lr: float | None = None
) -> dict:
    """The entry of one configuration (at the chosen learning rate unless `lr` is given);
    KeyError if it is not there."""
    if lr is None and any(e["task"] == task for e in results["results"]):
        lr = chosen_lr(results, task, T, model)
    for entry in results["results"]:
        if (entry["task"], entry["T"], entry["model"], entry["lr"], entry["seed"]) == (
            task,
            T,
            model,
            lr,
            seed,
        ):
            return entry
    raise KeyError(f"no entry for task={task}, T={T}, model={model}, lr={lr}, seed={seed}")


def summary(results: dict[str, Any], task: str, T: int, model: str) -> dict[str, Any]:
    """Test loss over the seeds at the chosen learning rate: lr, median, min, max, and how many
    seeds solved the task (test loss below SOLVED times the baseline) out of how many."""
    lr = chosen_lr(results, task, T, model)
    runs = runs_of(results, task, T, model, lr)
    losses = [e["test_loss"] for e in runs]
    threshold = results["settings"]["solved"] * runs[0]["baseline"]
    return {
        "lr": lr,
        "median": float(np.median(losses)),
        "min": min(losses),
        "max": max(losses),
        "solved": sum(loss < threshold for loss in losses),
        "seeds": len(runs),
    }


def parse_only(text: str) -> tuple[str, int, str, float, int]:
    """'adding:50:rnn:0.003' or 'adding:50:rnn:0.003:1' -> (task, T, model, lr, seed)."""
    parts = text.split(":")
    if len(parts) not in (4, 5) or not all(parts):
        raise argparse.ArgumentTypeError(f"expected TASK:T:MODEL:LR[:SEED], received {text!r}")
    try:
        seed = int(parts[4]) if len(parts) == 5 else 0
        return parts[0], int(parts[1]), parts[2], float(parts[3]), seed
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"T and SEED must be integers and LR a number in {text!r}"
        ) from error


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only", type=parse_only, metavar="TASK:T:MODEL:LR[:SEED]", help="run one configuration"
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="results file")
    parser.add_argument("--jobs", type=int, default=1, help="processes (one core each)")
    args = parser.parse_args(argv)
    if args.only:
        print(json.dumps(run_config(*args.only), indent=1, sort_keys=True))
        return 0
    text = dumps(run_sweep(jobs=args.jobs))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
