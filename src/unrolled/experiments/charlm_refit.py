"""Chapter 6: the character LSTM against Kneser-Ney, each model learning from the same text.

`charlm` trains its networks on the fit text (the training text without its last tenth, the
dev text) and makes every choice on dev; its final Kneser-Ney model is refitted on the whole
training text, so at test time the baseline has seen 11% more text than the networks: the dev
tenth, which ends where the test text begins. This experiment compares like with like, every
choice made on dev:

- the fit text for both: Kneser-Ney with `charlm`'s order and D, fitted on the fit text alone;
- a second learning-rate schedule for the LSTM, a linear decay to zero over `decay_epochs`
  epochs (charlm's rate is constant, halved when dev does not improve); the schedule with the
  lower median best-dev bits/char over the seeds is kept, with each seed's best epoch;
- all the training text for both: each seed retrained on fit + dev with the kept schedule up
  to its best epoch, replayed (charlm.refit), scored alone and interpolated with the final
  Kneser-Ney model at the weight chosen on dev.

    python -m unrolled.experiments charlm_refit --jobs 3  # ~50 min on 2 cores (~100 on one)
    python -m unrolled.experiments charlm_refit --tiny    # seconds (runs charlm --tiny first)

Reads notebooks/results/charlm.json; writes notebooks/results/charlm_refit.json.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from unrolled.experiments import charlm
from unrolled.experiments.common import (
    RESULTS_DIR,
    in_parallel,
    load_results,
    one_thread,
    provenance,
    script,
    spread,
)
from unrolled.ngram import KneserNeyLM

NAME = "charlm_refit"
SETTINGS: dict[str, Any] = {
    "source": str(RESULTS_DIR / "charlm.json"),
    "kind": "lstm",
    "decay_epochs": 20,
}
TINY = SETTINGS | {"source": None, "decay_epochs": 3}  # None: run charlm's tiny configuration
DECIMALS = charlm.DECIMALS


def linear_decay(lr: float, epochs: int) -> list[float]:
    """Learning rate of each epoch falling linearly from lr towards 0: lr (1 - e / epochs)."""
    return [lr * (1 - e / epochs) for e in range(epochs)]


def dev_run(base: dict[str, Any], kind: str, seed: int, schedule: list[float]) -> dict[str, Any]:
    """Train on the fit text with `schedule`, keeping the best dev epoch (charlm.train)."""
    with one_thread():
        _, vocab, data = charlm.encoded_texts(base)
        model, curve = charlm.train(kind, seed, data, vocab.size, base, False, schedule)
        return {"seed": seed, "curve": curve, "state": model.state_dict()}


def refit_run(base: dict[str, Any], kind: str, seed: int, schedule: list[float]) -> np.ndarray:
    """Retrain on fit + dev with `schedule` replayed; the test text's nats per character."""
    with one_thread():
        _, vocab, data = charlm.encoded_texts(base)
        model = charlm.refit(kind, seed, data["train"], vocab.size, base, schedule)
        return charlm.char_nats(model, data["test"], base["eval_chunk"])


def run(settings: dict[str, Any], log: bool = False, jobs: int = 1) -> tuple[dict[str, Any], None]:
    """Both comparisons (and no checkpoint); the source's settings, splits and choices are
    reused unchanged."""
    start = time.perf_counter()
    if settings["source"] is None:
        source = charlm.run(charlm.TINY)[0]
    else:
        source = load_results(settings["source"])
    base, kind = source["settings"], settings["kind"]
    text, vocab, data = charlm.encoded_texts(base)
    order, discount = source["kneser_ney"]["order"], source["kneser_ney"]["discount"]
    fit_kn = KneserNeyLM(order, discount).fit(text["fit"])
    final_kn = KneserNeyLM(order, discount).fit(text["train"])
    p_kn = {
        "dev": charlm.kn_probabilities(fit_kn, text["dev"]),
        "test": charlm.kn_probabilities(final_kn, text["test"]),
    }
    kn = {
        "order": order,
        "discount": discount,
        "fit_test_bpc": round(fit_kn.bits_per_char(text["test"]), DECIMALS),
        "train_test_bpc": round(float(-np.log2(p_kn["test"]).mean()), DECIMALS),
    }

    constant = source["models"][kind]["runs"]
    seeds = [r["seed"] for r in constant]
    decay = linear_decay(base["lr"], settings["decay_epochs"])
    if log:
        print(f"{kind}: {len(seeds)} seeds on the fit text, linear decay", flush=True)
    decayed = in_parallel(dev_run, [(base, kind, seed, decay) for seed in seeds], jobs)
    dev_best = {
        "constant": spread([min(r["curve"]["dev_bpc"]) for r in constant]),
        "linear": spread([min(r["curve"]["dev_bpc"]) for r in decayed]),
    }
    chosen = min(dev_best, key=lambda name: dev_best[name]["median"])
    runs = []
    for old, new in zip(constant, decayed, strict=True):
        if chosen == "constant":
            curve, fit_test, weight = old["curve"], old["test_bpc"], old["mixture"]["weight"]
        else:
            model = charlm.CharLM(kind, vocab.size, base["embed"], base["hidden"], base["dropout"])
            model.load_state_dict(new["state"])
            nats = {p: charlm.char_nats(model, data[p], base["eval_chunk"]) for p in p_kn}
            dev_mix = {w: charlm.mixture_bpc(nats["dev"], p_kn["dev"], w) for w in base["weights"]}
            weight = min(dev_mix, key=dev_mix.get)
            curve, fit_test = new["curve"], round(float(nats["test"].mean() / math.log(2)), 4)
        best = int(np.argmin(curve["dev_bpc"])) + 1
        runs.append(
            {
                "seed": old["seed"],
                "best_epoch": best,
                "curve": curve,
                "fit_test_bpc": fit_test,
                "mixture_weight": weight,
            }
        )
    if log:
        print(f"chosen on dev: {chosen} {dev_best}; refitting on fit + dev", flush=True)
    calls = [(base, kind, r["seed"], r["curve"]["lr"][: r["best_epoch"]]) for r in runs]
    for entry, nats in zip(runs, in_parallel(refit_run, calls, jobs), strict=True):
        entry["test_bpc"] = round(float(nats.mean() / math.log(2)), DECIMALS)
        mix = charlm.mixture_bpc(nats, p_kn["test"], entry["mixture_weight"])
        entry["mixture_test_bpc"] = round(mix, DECIMALS)
        if log:
            print(f"  seed {entry['seed']}: test {entry['test_bpc']}", flush=True)
    results = {
        "description": __doc__.splitlines()[0],
        "settings": settings,
        "source_settings": base,
        "kneser_ney": kn,
        "overlap_30": {
            "fit_test": charlm.overlap(text["fit"], text["test"]),
            "dev_test": charlm.overlap(text["dev"], text["test"]),
        },
        "dev_best_bpc": dev_best,
        "chosen_schedule": chosen,
        "runs": runs,
        **{
            name: spread([r[name] for r in runs])
            for name in ("fit_test_bpc", "test_bpc", "mixture_test_bpc")
        },
        **provenance(start),
    }
    return results, None


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv, jobs=True)


if __name__ == "__main__":
    raise SystemExit(main())
