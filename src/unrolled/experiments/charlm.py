"""Chapters 1 and 6's payoff: a character language model that beats a tuned Kneser-Ney model.

Data: the pinned pydoc corpus (unrolled.data.load_pydoc_corpus). Its held-out tenth, the
text every chapter scores its character models on, is the test text here and is scored once
per model. The last `dev_fraction` of the training text is the development text: every choice
(Kneser-Ney order and discount, the network's epoch and learning-rate schedule) is made on it.

- Baseline: interpolated Kneser-Ney (unrolled.ngram) with its order and discount D chosen on
  the dev text from a grid, refitted on the whole training text.
- Networks: an embedding, one recurrent layer (RNN, GRU or LSTM, the same width), dropout and
  a linear read-out, trained with truncated BPTT on parallel streams of the training text
  (state carried between chunks), Adam and gradient clipping. After every epoch the dev text
  is scored; the learning rate is halved when dev does not improve, and the best-dev epoch is
  kept. Every kind is trained with the same budget for several seeds.
- Scoring: bits per character of the whole text as one stream, each character predicted from
  everything before it, exactly as the n-gram model is scored.

    python -m unrolled.experiments charlm          # ~80 min on one core
    python -m unrolled.experiments charlm --tiny   # seconds; prints the results as JSON

Writes notebooks/results/charlm.json and the checkpoint charlm.pt (the LSTM of the first
seed) that chapter 6 loads; tests/test_charlm.py re-evaluates the checkpoint and re-runs the
tiny configuration.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from unrolled.bptt import text_streams
from unrolled.data import CharVocab, load_pydoc_corpus
from unrolled.experiments.common import provenance, script, spread
from unrolled.ngram import KneserNeyLM

NAME = "charlm"
SETTINGS: dict[str, Any] = {
    "dev_fraction": 0.1,  # of the training text, at its end
    "kn_orders": list(range(4, 17)),
    "kn_discounts": [0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0],
    "kinds": ["lstm", "gru", "rnn"],
    "seeds": [0, 1, 2],
    "embed": 64,
    "hidden": 512,
    "dropout": 0.25,
    "streams": 32,
    "chunk": 100,
    "epochs": 12,
    "lr": 2e-3,
    "max_norm": 1.0,
    "eval_chunk": 2000,
    "weights": [round(0.1 * i, 1) for i in range(1, 10)],  # of the network in the mixture
    "text_chars": None,  # None: the whole corpus; an int cuts every text to that length
}
TINY = SETTINGS | {
    "kn_orders": [3, 5],
    "kn_discounts": [0.75, 0.9],
    "kinds": ["gru", "lstm"],
    "seeds": [0, 1],
    "embed": 8,
    "hidden": 32,
    "epochs": 2,
    "text_chars": 20_000,
}
DECIMALS = 4
LAYERS = {"rnn": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}


def texts(settings: dict[str, Any]) -> dict[str, str]:
    """The "fit", "dev" and "test" texts; "train" = fit + dev (what the final KN is fitted on)."""
    train, test = load_pydoc_corpus()
    if settings["text_chars"] is not None:
        train, test = train[: settings["text_chars"]], test[: settings["text_chars"] // 5]
    n_fit = len(train) - round(len(train) * settings["dev_fraction"])
    return {"fit": train[:n_fit], "dev": train[n_fit:], "train": train, "test": test}


def encoded_texts(
    settings: dict[str, Any], source: Callable[[dict[str, Any]], dict[str, str]] | None = None
) -> tuple[dict[str, str], CharVocab, dict[str, np.ndarray]]:
    """The texts (from `source(settings)`, by default this module's `texts`), the vocabulary
    of every character in the corpus, and each text as ids (T,)."""
    text = (source or texts)(settings)
    vocab = CharVocab.from_text(text["train"] + text["test"])
    return text, vocab, {name: vocab.encode(t) for name, t in text.items()}


def tune_kneser_ney(fit: str, dev: str, orders: list[int], discounts: list[float]) -> dict:
    """Dev bits/char of every (order, D) of the grid, and the best pair."""
    grid = {}
    for order in orders:
        lm = KneserNeyLM(order).fit(fit)  # the counts do not depend on D
        for discount in discounts:
            lm.discount = discount
            grid[f"{order}:{discount}"] = round(lm.bits_per_char(dev), DECIMALS)
    best = min(grid, key=grid.get)
    order, discount = best.split(":")
    return {"dev_bpc": grid, "order": int(order), "discount": float(discount)}


class CharLM(torch.nn.Module):
    """Embedding (K -> E), one recurrent layer (E -> H), dropout, read-out (H -> K)."""

    def __init__(self, kind: str, K: int, embed: int, hidden: int, dropout: float) -> None:
        super().__init__()
        if kind not in LAYERS:
            raise ValueError(f"kind must be one of {sorted(LAYERS)}, received {kind!r}")
        self.kind = kind
        self.embed = torch.nn.Embedding(K, embed)
        self.layer = LAYERS[kind](embed, hidden, batch_first=True)
        self.drop = torch.nn.Dropout(dropout)
        self.readout = torch.nn.Linear(hidden, K)

    def forward(self, ids: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        """ids (N, T) -> next-character scores (N, T, K) and the final state."""
        hs, state = self.layer(self.drop(self.embed(ids)), state)  # (N, T, H)
        return self.readout(self.drop(hs)), state


def detach(state: Any) -> Any:
    """Cut the graph between chunks (truncated BPTT); an LSTM's state is an (h, c) pair."""
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def char_nats(model: CharLM, ids: np.ndarray, chunk: int = 2000) -> np.ndarray:
    """-log p(character t | characters 0..t-1) in nats for t = 1..T-1 of a text ids (T,).

    The text is read as one stream, the state carried across chunks: shape (T - 1,).
    """
    model.eval()
    stream = torch.from_numpy(ids).long()[None]  # (1, T)
    state, nats = None, []
    with torch.no_grad():
        for start in range(0, stream.shape[1] - 1, chunk):
            piece = stream[:, start : start + chunk + 1]  # (1, <= chunk + 1)
            scores, state = model(piece[:, :-1], state)
            nats.append(
                torch.nn.functional.cross_entropy(scores[0], piece[0, 1:], reduction="none")
            )
    return torch.cat(nats).double().numpy()


def bits_per_char(model: CharLM, ids: np.ndarray, chunk: int = 2000) -> float:
    """Bits/char of a whole text ids (T,) read as one stream, the first character excluded."""
    return float(char_nats(model, ids, chunk).mean() / math.log(2))


def kn_probabilities(lm: KneserNeyLM, text: str) -> np.ndarray:
    """p(character t | the order - 1 before it) under a Kneser-Ney model, t = 1..T-1: (T - 1,)."""
    n = lm.order - 1
    return np.array([lm.prob(text[max(0, t - n) : t], text[t]) for t in range(1, len(text))])


def mixture_bpc(nats: np.ndarray, p_kn: np.ndarray, weight: float) -> float:
    """Bits/char of the interpolation weight * p_network + (1 - weight) * p_kn."""
    return float(-np.log2(weight * np.exp(-nats) + (1 - weight) * p_kn).mean())


def overlap(source: str, target: str, k: int = 30) -> float:
    """Share of the characters of `target` inside a k-character string that occurs in `source`
    (verbatim repeats, which long n-gram contexts copy)."""
    grams = {source[i : i + k] for i in range(len(source) - k + 1)}
    covered = np.zeros(len(target) + 1, dtype=np.int64)
    for i in range(len(target) - k + 1):
        if target[i : i + k] in grams:
            covered[i] += 1
            covered[i + k] -= 1
    return round(float((np.cumsum(covered)[:-1] > 0).mean()), DECIMALS)


def setup(
    kind: str, seed: int, ids: np.ndarray, K: int, settings: dict[str, Any]
) -> tuple[CharLM, torch.optim.Optimizer, torch.Tensor]:
    """A seeded model, its Adam optimiser, and text ids (T,) cut into parallel streams (N, L)."""
    torch.manual_seed(seed)
    model = CharLM(kind, K, settings["embed"], settings["hidden"], settings["dropout"])
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    return model, optimizer, torch.from_numpy(text_streams(ids, settings["streams"])).long()


def one_epoch(
    model: CharLM,
    optimizer: torch.optim.Optimizer,
    streams: torch.Tensor,
    chunk: int,
    max_norm: float,
) -> float:
    """One epoch of truncated BPTT over streams (N, L), state carried; mean training bits/char."""
    model.train()
    K = model.readout.out_features
    state, nats, steps = None, 0.0, (streams.shape[1] - 1) // chunk
    for step in range(steps):
        piece = streams[:, step * chunk : (step + 1) * chunk + 1]  # (N, chunk + 1)
        scores, state = model(piece[:, :-1], state)
        state = detach(state)
        loss = torch.nn.functional.cross_entropy(scores.reshape(-1, K), piece[:, 1:].ravel())
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        nats += loss.item()
    return nats / steps / math.log(2)


def train(
    kind: str,
    seed: int,
    data: dict[str, np.ndarray],
    K: int,
    settings: dict[str, Any],
    log: bool,
    schedule: list[float] | None = None,
) -> tuple[CharLM, dict[str, Any]]:
    """Train one model on the fit text; return the best-dev model and its learning curve.

    Without a `schedule` the learning rate starts at settings["lr"] and is halved after every
    epoch that does not improve dev; with one, epoch e uses schedule[e] (e.g. a linear decay).
    """
    model, optimizer, streams = setup(kind, seed, data["fit"], K, settings)
    curve: dict[str, list[float]] = {"train_bpc": [], "dev_bpc": [], "lr": []}
    best, best_state = math.inf, None
    epochs = settings["epochs"] if schedule is None else len(schedule)
    for epoch in tqdm(range(epochs), desc=f"{kind} seed {seed}", disable=not log):
        if schedule is not None:
            for group in optimizer.param_groups:
                group["lr"] = schedule[epoch]
        train_bpc = one_epoch(model, optimizer, streams, settings["chunk"], settings["max_norm"])
        dev = bits_per_char(model, data["dev"], settings["eval_chunk"])
        curve["train_bpc"].append(round(train_bpc, DECIMALS))
        curve["dev_bpc"].append(round(dev, DECIMALS))
        curve["lr"].append(optimizer.param_groups[0]["lr"])
        if dev < best:
            best, best_state = dev, copy.deepcopy(model.state_dict())
        elif schedule is None:  # no progress on dev: halve the learning rate
            for group in optimizer.param_groups:
                group["lr"] /= 2
    model.load_state_dict(best_state)
    return model, curve


def refit(
    kind: str, seed: int, ids: np.ndarray, K: int, settings: dict[str, Any], schedule: list[float]
) -> CharLM:
    """Retrain on a whole text ids (T,): one epoch per learning rate of `schedule`, the rates a
    dev run used up to its best epoch, replayed; nothing is chosen here (chapter 6, refit)."""
    model, optimizer, streams = setup(kind, seed, ids, K, settings)
    for lr in schedule:
        for group in optimizer.param_groups:
            group["lr"] = lr
        one_epoch(model, optimizer, streams, settings["chunk"], settings["max_norm"])
    return model


def kneser_ney_baseline(
    text: dict[str, str], settings: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Kneser-Ney tuned on dev and refitted on "train", scored once on test; and its
    probabilities of every dev and test character, for the interpolation with a network
    (dev from the model fitted on "fit", test from the refitted one)."""
    kn = tune_kneser_ney(text["fit"], text["dev"], settings["kn_orders"], settings["kn_discounts"])
    final_kn = KneserNeyLM(kn["order"], kn["discount"]).fit(text["train"])
    kn["test_bpc"] = round(final_kn.bits_per_char(text["test"]), DECIMALS)
    p_kn = {
        "dev": kn_probabilities(
            KneserNeyLM(kn["order"], kn["discount"]).fit(text["fit"]), text["dev"]
        ),
        "test": kn_probabilities(final_kn, text["test"]),
    }
    untuned = KneserNeyLM(7, 0.75).fit(text["train"])  # chapter 1's table, for reference
    kn["untuned_order7_test_bpc"] = round(untuned.bits_per_char(text["test"]), DECIMALS)
    return kn, p_kn


def scored(
    seed: int,
    model: CharLM,
    curve: dict[str, list[float]],
    data: dict[str, np.ndarray],
    p_kn: dict[str, np.ndarray],
    settings: dict[str, Any],
) -> dict[str, Any]:
    """One trained model's record: its best epoch, test bits/char, and test bits/char of its
    interpolation with Kneser-Ney at the network weight that dev chose."""
    best = int(np.argmin(curve["dev_bpc"]))
    nats = {part: char_nats(model, data[part], settings["eval_chunk"]) for part in p_kn}
    test = round(float(nats["test"].mean() / math.log(2)), DECIMALS)
    dev_mix = {w: mixture_bpc(nats["dev"], p_kn["dev"], w) for w in settings["weights"]}
    weight = min(dev_mix, key=dev_mix.get)  # chosen on dev
    mix = round(mixture_bpc(nats["test"], p_kn["test"], weight), DECIMALS)
    return {
        "seed": seed,
        "best_epoch": best + 1,
        "test_bpc": test,
        "curve": curve,
        "mixture": {"weight": weight, "test_bpc": mix},
    }


def summary(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Median and range over seeds of the test bits/char, alone and interpolated with KN."""
    return {
        "test_bpc": spread([r["test_bpc"] for r in runs]),
        "mixture_test_bpc": spread([r["mixture"]["test_bpc"] for r in runs]),
    }


def corpus_record(text: dict[str, str], vocab: CharVocab, kn: dict[str, Any]) -> dict[str, Any]:
    """The results' record of the texts (lengths, alphabet, verbatim overlap) and of the tuned
    Kneser-Ney baseline."""
    return {
        "chars": {name: len(t) for name, t in text.items()},
        "vocab": "".join(vocab.chars),
        "kneser_ney": kn,
        "overlap_30": {
            "dev": overlap(text["fit"], text["dev"]),
            "test": overlap(text["train"], text["test"]),
        },
    }


def run(settings: dict[str, Any], log: bool = False) -> tuple[dict[str, Any], CharLM]:
    """The whole experiment; returns the results and the first seed's LSTM (or last model)."""
    start = time.perf_counter()
    text, vocab, data = encoded_texts(settings)
    kn, p_kn = kneser_ney_baseline(text, settings)
    if log:
        print(f"Kneser-Ney order {kn['order']}, D = {kn['discount']}: test {kn['test_bpc']}")

    models, keep = {}, None
    for kind in settings["kinds"]:
        runs = []
        for seed in settings["seeds"]:
            model, curve = train(kind, seed, data, vocab.size, settings, log)
            runs.append(scored(seed, model, curve, data, p_kn, settings))
            if log:
                record = runs[-1]
                print(
                    f"{kind} seed {seed}: dev {min(curve['dev_bpc'])}, "
                    f"test {record['test_bpc']}, mixed with KN (weight "
                    f"{record['mixture']['weight']}) {record['mixture']['test_bpc']}",
                    flush=True,
                )
            if keep is None or (kind == "lstm" and keep.kind != "lstm"):
                keep = model
        params = sum(p.numel() for p in model.parameters())
        models[kind] = {"parameters": params, "runs": runs, **summary(runs)}
    results = {
        "description": __doc__.splitlines()[0],
        "settings": settings,
        **corpus_record(text, vocab, kn),
        "models": models,
        "checkpoint": {"kind": keep.kind, "seed": settings["seeds"][0]},
        **provenance(start),
    }
    return results, keep


def load_model(results: dict[str, Any], path: str | Path) -> CharLM:
    """The checkpointed model described by `results` (its settings and vocabulary)."""
    settings = results["settings"]
    model = CharLM(
        results["checkpoint"]["kind"],
        len(results["vocab"]),
        settings["embed"],
        settings["hidden"],
        settings["dropout"],
    )
    model.load_state_dict(torch.load(path, weights_only=True))
    return model.eval()


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
