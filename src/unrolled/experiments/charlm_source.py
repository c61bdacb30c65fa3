"""Chapter 6: an LSTM against tuned Kneser-Ney on 3.6 million characters of Python source.

`charlm` trains on the pydoc text (0.42 million characters), where the best LSTM only ties a
tuned Kneser-Ney model: a network of a million weights needs more text than that. Here the
same models and the same procedure read eight times as much: the pinned share of Python
3.11.7's standard library (unrolled.data.load_stdlib_corpus), split by module so that no
module is read in two parts (fit, dev, test).

- Baseline: interpolated Kneser-Ney, order and D chosen on dev, refitted on fit + dev, scored
  once on test (charlm.kneser_ney_baseline).
- Network: charlm's LSTM (embedding, one LSTM layer, dropout, read-out), truncated BPTT on
  parallel streams of the fit text, Adam, clipping, the learning rate decayed linearly to zero
  over the epochs (the schedule charlm_refit chose on the pydoc dev text), the best-dev epoch
  kept (charlm.train); several seeds. Each is
  scored alone and interpolated with Kneser-Ney at the weight dev chose (charlm.scored).

    python -m unrolled.experiments charlm_source --jobs 3  # ~90 min on 2 cores (~160 on one)
    python -m unrolled.experiments charlm_source --tiny    # seconds; prints the results as JSON

Writes notebooks/results/charlm_source.json and the checkpoint charlm_source.pt (the LSTM of the
first seed); tests/test_charlm_source.py re-evaluates the checkpoint and re-runs the tiny
configuration.
"""

from __future__ import annotations

import time
from typing import Any

from unrolled.data import load_stdlib_corpus
from unrolled.experiments import charlm
from unrolled.experiments.charlm_refit import linear_decay
from unrolled.experiments.common import in_parallel_while, one_thread, provenance, script

NAME = "charlm_source"
SETTINGS: dict[str, Any] = charlm.SETTINGS | {
    "kn_orders": [6, 8, 10, 12, 14, 16],
    "kinds": ["lstm"],
    "dropout": 0.1,
    "epochs": 8,
}
TINY = SETTINGS | {
    "kn_orders": [3, 5],
    "kn_discounts": [0.75, 0.9],
    "seeds": [0, 1],
    "embed": 8,
    "hidden": 32,
    "epochs": 2,
    "text_chars": 20_000,
}


def texts(settings: dict[str, Any]) -> dict[str, str]:
    """The "fit", "dev" and "test" texts (whole modules each); "train" = fit + dev. A setting
    "fit_fraction" (charlm_source_sizes) keeps that share of the fit modules."""
    text = load_stdlib_corpus(settings.get("fit_fraction", 1.0))
    if settings["text_chars"] is not None:
        n = settings["text_chars"]
        limits = {"fit": n, "dev": n // 5, "test": n // 5}
        text = {name: t[: limits[name]] for name, t in text.items()}
    return text | {"train": text["fit"] + text["dev"]}


def train_seed(
    seed: int, settings: dict[str, Any], log: bool = False
) -> tuple[dict, dict[str, list[float]]]:
    """Train the LSTM of one seed on one thread (a progress bar if `log`); its best-dev weights
    and learning curve."""
    with one_thread():
        _, vocab, data = charlm.encoded_texts(settings, texts)
        schedule = linear_decay(settings["lr"], settings["epochs"])
        model, curve = charlm.train("lstm", seed, data, vocab.size, settings, log, schedule)
    return model.state_dict(), curve


def scored_seeds(
    settings: dict[str, Any],
    trained: list[tuple[dict, dict[str, list[float]]]],
    K: int,
    data: dict[str, Any],
    p_kn: dict[str, Any],
    log: bool = False,
) -> tuple[list[dict[str, Any]], list[charlm.CharLM]]:
    """Each seed's trained LSTM (train_seed's weights and curve, in the order of the seeds)
    rebuilt and scored alone and interpolated with Kneser-Ney (charlm.scored): the runs'
    records and the models."""
    runs, models = [], []
    for seed, (state, curve) in zip(settings["seeds"], trained, strict=True):
        model = charlm.CharLM(
            "lstm", K, settings["embed"], settings["hidden"], settings["dropout"]
        )
        model.load_state_dict(state)
        runs.append(charlm.scored(seed, model, curve, data, p_kn, settings))
        models.append(model)
        if log:
            print(f"seed {seed}: {runs[-1]}", flush=True)
    return runs, models


def run(
    settings: dict[str, Any], log: bool = False, jobs: int = 1
) -> tuple[dict[str, Any], charlm.CharLM]:
    """The whole experiment: with jobs > 1 the seeds train in that many processes while this one
    tunes Kneser-Ney. Returns the results and the first seed's LSTM."""
    start = time.perf_counter()
    text, vocab, data = charlm.encoded_texts(settings, texts)
    calls = [(seed, settings, log) for seed in settings["seeds"]]
    trained, (kn, p_kn) = in_parallel_while(
        train_seed, calls, jobs, lambda: charlm.kneser_ney_baseline(text, settings)
    )
    if log:
        print(f"Kneser-Ney order {kn['order']}, D = {kn['discount']}: test {kn['test_bpc']}")

    runs, models = scored_seeds(settings, trained, vocab.size, data, p_kn, log)
    results = {
        "description": __doc__.splitlines()[0],
        "settings": settings,
        **charlm.corpus_record(text, vocab, kn),
        "models": {
            "lstm": {
                "parameters": sum(p.numel() for p in models[0].parameters()),
                "runs": runs,
                **charlm.summary(runs),
            }
        },
        "checkpoint": {"kind": "lstm", "seed": settings["seeds"][0]},
        **provenance(start),
    }
    return results, models[0]


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv, jobs=True)


if __name__ == "__main__":
    raise SystemExit(main())
