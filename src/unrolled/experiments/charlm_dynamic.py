"""Chapter 6: models that keep learning while they read, the LSTM against Kneser-Ney again.

A language model scores a text one character at a time; once a character has been scored, it
is known, and nothing forbids learning from it before predicting the next one. Both models get
the same licence:

- dynamic evaluation (Mikolov et al. 2010; Krause et al. 2018) for the LSTM: the text is read
  in segments of `segment` characters, the state carried; after a segment is scored, one SGD
  step with rate `lr` on that segment's mean loss updates the weights. Every character is
  predicted before any gradient has seen it.
- a cache for Kneser-Ney: after each character is scored its n-grams are added to the counts
  (AdaptiveKneserNey.observe), exactly as if the text read so far had been in the training text.

Every choice is made on the dev text with models that never saw it: (segment, lr) with
chapter 6's checkpoint charlm.pt (an LSTM trained on the fit text), (order, D) of the adaptive
Kneser-Ney fitted on the fit text. The test text is then scored once: each seed of
`charlm_refit` is retrained on all the training text with its schedule replayed
(charlm.refit), and scored static and dynamic; Kneser-Ney, fitted on all the training text, is
scored static (charlm's order and D) and adaptive. The interpolation of the two dynamic models
uses the weight chosen on dev.

    python -m unrolled.experiments charlm_dynamic --jobs 2  # ~50 min on 2 cores
    python -m unrolled.experiments charlm_dynamic --tiny    # seconds (runs charlm --tiny first)

Reads notebooks/results/charlm.json, charlm.pt and charlm_refit.json; writes
notebooks/results/charlm_dynamic.json and charlm_dynamic.pt (the first seed's retrained LSTM),
which tests/test_charlm_dynamic.py re-evaluates.
"""

from __future__ import annotations

import copy
import math
import time
from typing import Any

import numpy as np
import torch

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
from unrolled.ngram import UNK, ContextCounts, KneserNeyLM

NAME = "charlm_dynamic"
SETTINGS: dict[str, Any] = {
    "source": str(RESULTS_DIR / "charlm.json"),  # its checkpoint charlm.pt sits beside it
    "refit": str(RESULTS_DIR / "charlm_refit.json"),
    "segments": [10, 25, 50],
    "lrs": [0.02, 0.05, 0.1, 0.2, 0.3],
    "kn_orders": [16, 24, 32, 40],
    "kn_discounts": [0.9, 0.95, 1.0],
    "block": 1000,  # characters per point of the curves along the test text
}
TINY = SETTINGS | {  # None: run charlm's tiny configuration, replay its LSTMs' rates
    "source": None,
    "refit": None,
    "segments": [50],
    "lrs": [0.1, 0.3],
    "kn_orders": [3, 5],
    "kn_discounts": [0.9, 1.0],
    "block": 500,
}
DECIMALS = charlm.DECIMALS
PREFIX = 5000  # test characters the tests score again with the checkpoint


class AdaptiveKneserNey(KneserNeyLM):
    """Interpolated Kneser-Ney that keeps counting: a cache, the count-based analogue of dynamic
    evaluation. After fit(text), observe(context, char) for every character of a text appended
    to `text` leaves the same counts as fit(text + appended) (tests/test_charlm_dynamic.py).
    The vocabulary stays the fitted one: an unseen character is counted as UNK."""

    def _add(self, k: int, context: str, char: str) -> None:
        """Add one to the count of `char` after `context` at level k (eq. ch1-eq-kn's c or N1+)."""
        entry = self.levels[k].get(context)
        if entry is None:
            self.levels[k][context] = ContextCounts({char: 1}, 1, 1)
            return
        new = char not in entry.counts
        entry.counts[char] = entry.counts.get(char, 0) + 1
        self.levels[k][context] = ContextCounts(entry.counts, entry.total + 1, entry.types + new)

    def observe(self, context: str, char: str) -> None:
        """Count `char` read after `context` (at least the order - 1 characters before it).

        The top level gains the raw count c(h w); a lower level k gains a continuation count
        N1+(. h w) only when the (k + 2)-gram ending in char is new, i.e. when char was unseen
        after the (k + 1)-character context one level up (read before any level changes).
        """
        char = char if char in self._index else UNK
        top = self.order - 1
        new = [
            k
            for k in range(min(top, len(context)))
            if char not in self.levels[k + 1].get(context[len(context) - k - 1 :], _EMPTY).counts
        ]
        if len(context) >= top:
            self._add(top, context[len(context) - top :], char)
        for k in new:
            self._add(k, context[len(context) - k :], char)


_EMPTY = ContextCounts({}, 0, 0)


def adaptive_probabilities(lm: AdaptiveKneserNey, text: str, discounts: list[float]) -> np.ndarray:
    """p(character t | the order - 1 before it) for t = 1..T-1 under each discount D, each
    character counted once scored: shape (len(discounts), T - 1). Changes lm's counts."""
    n = lm.order - 1
    p = np.empty((len(discounts), len(text) - 1))
    for t in range(1, len(text)):
        context = text[max(0, t - n) : t]
        for i, discount in enumerate(discounts):
            lm.discount = discount
            p[i, t - 1] = lm.prob(context, text[t])
        lm.observe(context, text[t])
    return p


def dynamic_nats(model: charlm.CharLM, ids: np.ndarray, lr: float, segment: int) -> np.ndarray:
    """-log p(character t | characters 0..t-1) in nats, t = 1..T-1 of ids (T,), under dynamic
    evaluation: segments of `segment` characters, each scored, then one SGD step (rate lr) on
    its mean loss; the state is carried, the graph cut. lr = 0 gives charlm.char_nats.
    The model is copied, not changed. Shape (T - 1,)."""
    model = copy.deepcopy(model).eval()  # no dropout: the weights learn, the model predicts
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    stream = torch.from_numpy(ids).long()[None]  # (1, T)
    state, nats = None, []
    for start in range(0, stream.shape[1] - 1, segment):
        piece = stream[:, start : start + segment + 1]  # (1, <= segment + 1)
        scores, state = model(piece[:, :-1], state)
        loss = torch.nn.functional.cross_entropy(scores[0], piece[0, 1:], reduction="none")
        nats.append(loss.detach())  # scored before the step below learns from it
        optimizer.zero_grad()
        loss.mean().backward()
        optimizer.step()
        state = charlm.detach(state)
    return torch.cat(nats).double().numpy()


def bpc(nats: np.ndarray) -> float:
    """Bits per character of per-character nats, rounded."""
    return round(float(nats.mean() / math.log(2)), DECIMALS)


def blocks(bits: np.ndarray, size: int) -> list[float]:
    """Mean bits per character of each block of `size` characters (the last may be shorter)."""
    return [round(float(bits[i : i + size].mean()), 3) for i in range(0, len(bits), size)]


def dev_lstm(
    base: dict[str, Any], state: dict[str, torch.Tensor], segment: int, lr: float
) -> np.ndarray:
    """Dynamic evaluation of the fit-trained checkpoint on the dev text: its nats (T - 1,)."""
    with one_thread():
        model, data = _lstm(base, state)
        return dynamic_nats(model, data["dev"], lr, segment)


def adaptive_kn(base: dict[str, Any], part: str, order: int, discounts: list[float]) -> np.ndarray:
    """The adaptive Kneser-Ney's probabilities (len(discounts), T - 1) on dev (fitted on fit)
    or on test (fitted on all the training text, fit + dev)."""
    text = charlm.texts(base)
    lm = AdaptiveKneserNey(order).fit(text["fit" if part == "dev" else "train"])
    return adaptive_probabilities(lm, text[part], discounts)


def test_lstm(
    base: dict[str, Any], seed: int, schedule: list[float], segment: int, lr: float
) -> dict[str, Any]:
    """Retrain one seed on all the training text (charlm.refit), score the test text static
    and dynamic; also returns the model's weights."""
    with one_thread():
        _, vocab, data = charlm.encoded_texts(base)
        model = charlm.refit("lstm", seed, data["train"], vocab.size, base, schedule)
        return {
            "static": charlm.char_nats(model, data["test"], base["eval_chunk"]),
            "dynamic": dynamic_nats(model, data["test"], lr, segment),
            "dynamic_prefix": dynamic_nats(model, data["test"][:PREFIX], lr, segment),
            "state": model.state_dict(),
        }


def sources(settings: dict[str, Any]) -> tuple[dict, dict[str, torch.Tensor], dict[int, list]]:
    """charlm's results, its fit-trained LSTM's weights, and each seed's learning rates to
    replay: charlm_refit's kept schedule up to the best dev epoch (tiny: charlm's own)."""
    if settings["source"] is None:
        source, model = charlm.run(charlm.TINY)
        runs = source["models"]["lstm"]["runs"]
    else:
        source = load_results(settings["source"])
        model = charlm.load_model(source, settings["source"].replace(".json", ".pt"))
        runs = load_results(settings["refit"])["runs"]
    schedules = {r["seed"]: r["curve"]["lr"][: r["best_epoch"]] for r in runs}
    return source, model.state_dict(), schedules


def run(settings: dict[str, Any], log: bool = False, jobs: int = 1) -> tuple[dict, dict]:
    """The dev choices, then the test text scored once; returns results and the first seed's
    retrained weights."""
    start = time.perf_counter()
    source, state, schedules = sources(settings)
    base = source["settings"]
    grid = [(s, lr) for s in settings["segments"] for lr in settings["lrs"]]
    lstm_dev = in_parallel(dev_lstm, [(base, state, s, lr) for s, lr in grid], jobs)
    lstm_grid = {f"{s}:{lr}": bpc(n) for (s, lr), n in zip(grid, lstm_dev, strict=True)}
    segment, lr = grid[int(np.argmin(list(lstm_grid.values())))]
    discounts = settings["kn_discounts"]
    kn_dev = in_parallel(
        adaptive_kn, [(base, "dev", order, discounts) for order in settings["kn_orders"]], jobs
    )
    kn_grid = {
        f"{order}:{d}": round(float(-np.log2(p[i]).mean()), DECIMALS)
        for order, p in zip(settings["kn_orders"], kn_dev, strict=True)
        for i, d in enumerate(discounts)
    }
    best = min(kn_grid, key=kn_grid.get)
    order, discount = int(best.split(":")[0]), float(best.split(":")[1])
    nats_dev = lstm_dev[grid.index((segment, lr))]
    p_kn_dev = kn_dev[settings["kn_orders"].index(order)][discounts.index(discount)]
    dev_mix = {w: charlm.mixture_bpc(nats_dev, p_kn_dev, w) for w in base["weights"]}
    weight = min(dev_mix, key=dev_mix.get)
    if log:
        print(f"dev: LSTM segment {segment}, lr {lr}: {lstm_grid[f'{segment}:{lr}']}; "
              f"Kneser-Ney order {order}, D {discount}: {kn_grid[best]}; weight {weight}",
              flush=True)  # fmt: skip

    calls = [(base, seed, rates, segment, lr) for seed, rates in schedules.items()]
    calls.append((base, "test", order, [discount]))  # the adaptive Kneser-Ney, alongside
    done = in_parallel(_either, calls, jobs)
    p_kn = done.pop()[0]
    text = charlm.texts(base)
    static_kn = KneserNeyLM(source["kneser_ney"]["order"], source["kneser_ney"]["discount"])
    p_static = charlm.kn_probabilities(static_kn.fit(text["train"]), text["test"])
    runs = []
    for seed, scored in zip(schedules, done, strict=True):
        mix = charlm.mixture_bpc(scored["dynamic"], p_kn, weight)
        runs.append(
            {
                "seed": seed,
                "epochs": len(schedules[seed]),
                "static_bpc": bpc(scored["static"]),
                "dynamic_bpc": bpc(scored["dynamic"]),
                "mixture_bpc": round(mix, DECIMALS),
            }
        )
        if log:
            print(f"seed {seed}: {runs[-1]}", flush=True)
    first, block = done[0], settings["block"]
    model, data = _lstm(base, state)
    return {
        "description": __doc__.splitlines()[0],
        "settings": settings,
        "source_settings": base,
        "dev": {
            "lstm_bpc": lstm_grid,
            "lstm_static_bpc": bpc(charlm.char_nats(model, data["dev"])),
            "segment": segment,
            "lr": lr,
            "kneser_ney_bpc": kn_grid,
            "order": order,
            "discount": discount,
            "mixture_weight": weight,
        },
        "kneser_ney": {
            "static_bpc": round(float(-np.log2(p_static).mean()), DECIMALS),
            "adaptive_bpc": round(float(-np.log2(p_kn).mean()), DECIMALS),
        },
        "runs": runs,
        **{name: spread([r[name] for r in runs]) for name in ("static_bpc", "dynamic_bpc")},
        "mixture_bpc": spread([r["mixture_bpc"] for r in runs]),
        "curves": {  # bits/char per block of the test text: the first seed and Kneser-Ney
            "block": block,
            "lstm_static": blocks(first["static"] / math.log(2), block),
            "lstm_dynamic": blocks(first["dynamic"] / math.log(2), block),
            "kn_static": blocks(-np.log2(p_static), block),
            "kn_adaptive": blocks(-np.log2(p_kn), block),
        },
        "checkpoint": {  # for the tests: the first seed's model on the test text's start
            "seed": runs[0]["seed"],
            "prefix_chars": PREFIX,
            "prefix_dynamic_bpc": bpc(first["dynamic_prefix"]),
        },
        **provenance(start),
    }, first["state"]


def _either(*call: Any) -> Any:
    """test_lstm(base, seed, rates, segment, lr) or adaptive_kn(base, "test", order, [D]),
    so that one pool runs both."""
    return adaptive_kn(*call) if call[1] == "test" else test_lstm(*call)


def _lstm(base: dict[str, Any], state: dict[str, torch.Tensor]) -> tuple:
    """An LSTM of charlm's settings with the given weights, and charlm's texts as ids."""
    _, vocab, data = charlm.encoded_texts(base)
    model = charlm.CharLM("lstm", vocab.size, base["embed"], base["hidden"], base["dropout"])
    model.load_state_dict(state)
    return model, data


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv, jobs=True)


if __name__ == "__main__":
    raise SystemExit(main())
