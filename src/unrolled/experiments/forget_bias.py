"""Chapter 6's carousel in training: the LSTM on chapter 5's adding problem with forget-gate
biases 0, 1 and 2.

Chapter 6 measures in a Jacobian that the forget-gate bias b_f sets how fast an untrained LSTM
forgets: with PyTorch's initialisation (b_f near 0) the gates sit near 1/2. Adding 1 to b_f is
the usual practice (Gers et al. 2000; Jozefowicz et al. 2015). This script measures what it
does to training: chapter 5's adding problem at T = 200, where the default LSTM solves the task
with some seeds only, trained exactly as chapter 5 trains it (`adding.run_config`: H = 32,
Adam, 3,000 updates of 64 fresh sequences, clipping at norm 1) at chapter 5's chosen learning
rate for the LSTM, with b_f added to the forget gate's input bias after initialisation, for
5 seeds. b_f = 0 is chapter 5's own run and reproduces its numbers exactly (a test checks).

    python -m unrolled.experiments forget_bias          # ~15 min on one core
    python -m unrolled.experiments forget_bias --tiny   # seconds; prints the results as JSON

Writes notebooks/results/forget_bias.json, which chapter 6 loads.
"""

from __future__ import annotations

import time
from typing import Any

from unrolled.experiments import adding
from unrolled.experiments.common import provenance, script, spread

NAME = "forget_bias"
SETTINGS: dict[str, Any] = {
    "T": 200,
    "lr": 3e-3,  # chapter 5's choice for the LSTM at T = 200 (on its development sequences)
    "forget_biases": [0.0, 1.0, 2.0],
    "seeds": list(adding.SEEDS),
}
TINY = SETTINGS | {"T": 5, "forget_biases": [0.0, 1.0], "seeds": [0]}


def run(settings: dict[str, Any], log: bool = False) -> tuple[dict[str, Any], None]:
    """Every (b_f, seed) run of chapter 5's adding configuration; per b_f the test MSE's median
    and range and how many seeds solved the task."""
    start = time.perf_counter()
    baseline = round(adding.baseline("adding", settings["T"]), adding.DECIMALS)
    models = {}
    for bias in settings["forget_biases"]:
        runs = []
        for seed in settings["seeds"]:
            entry = adding.run_config(
                "adding", settings["T"], "lstm", settings["lr"], seed, forget_bias=bias
            )
            runs.append({key: entry[key] for key in ("seed", "test_loss", "dev_loss", "curve")})
            if log:
                print(f"b_f = {bias}, seed {seed}: test MSE {entry['test_loss']}", flush=True)
        losses = [r["test_loss"] for r in runs]
        models[str(bias)] = {
            "runs": runs,
            "test_loss": spread(losses, adding.DECIMALS),
            "solved": sum(loss < adding.SOLVED * baseline for loss in losses),
        }
    results = {
        "description": __doc__.splitlines()[0],
        "settings": settings,
        "baseline": baseline,
        "solved_below": adding.SOLVED,
        "forget_biases": models,
        **provenance(start),
    }
    return results, None


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
