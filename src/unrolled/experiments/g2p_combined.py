"""Chapter 7: the network and the joint n-gram model combined, by rescoring their candidates.

The encoder-decoder (unrolled.experiments.g2p) and Phonetisaurus (unrolled.experiments.
phonetisaurus) are different kinds of model and make different errors; Rao et al. (2015)
combined an LSTM with a joint n-gram model and took CMUdict's word error rate from 25.8% (the
network alone) to 21.3%. Here the combination is a rescoring of both models' candidates:

- candidates of a word x: Phonetisaurus' n best distinct pronunciations and the ensemble's
  beam-search pronunciation (the g2p checkpoint's three seeds, decoding as one model);
- each candidate y is scored s(y) = log p_ens(y | x) - lambda c(x, y): the ensemble's
  log-probability of y under teacher forcing (Eq. (ch7-ensemble) at every step, EOS
  included), and Phonetisaurus' cost c(x, y), minus the log of the joint probability of the
  letters and the phonemes along the cheapest path. A candidate outside the n best has no cost
  of its own; it gets the n-th cost, a lower bound on its own;
- the highest score wins (ties to the cheaper candidate). n and lambda are chosen on the dev
  words (lowest WER (any), ties to the smaller n and lambda); the test words are decoded once,
  with the chosen pair.

lambda = 0 lets the network choose among the candidates, a large lambda lets Phonetisaurus
choose; neither model saw the dev words in training (Phonetisaurus is trained on the training
words only, at the order its own experiment chose on dev).

    python -m unrolled.experiments g2p_combined          # ~20 min on one core
    python -m unrolled.experiments g2p_combined --tiny   # seconds; prints the results as JSON

Reads the checkpoint notebooks/results/g2p.pt; writes notebooks/results/g2p_combined.json,
which chapter 7 and the scoreboard load; tests/test_g2p_combined.py re-runs the tiny
configuration.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from unrolled.experiments import g2p, phonetisaurus
from unrolled.experiments.common import RESULTS_DIR, machine, script
from unrolled.seq2seq import PAD, Ensemble, Seq2Seq, teacher_forcing_input

NAME = "g2p_combined"
SETTINGS: dict[str, Any] = {
    **phonetisaurus.SETTINGS,  # the split and the alignment settings of the baseline
    "order": 8,  # Phonetisaurus' n-gram order, chosen on dev by its own experiment
    "checkpoint": str(RESULTS_DIR / "g2p.pt"),  # the network: every seed, as an ensemble
    "n_best": [1, 2, 5, 10, 20],  # Phonetisaurus candidates per word, chosen on dev ...
    "weights": [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0],  # ... with lambda
    "seeds": [0, 1, 2],  # each seed's model is combined too, after the ensemble of them all
    "batch": 1024,  # (word, candidate) pairs per teacher-forced pass
}
TINY = SETTINGS | {
    "train_words": 3000,
    "dev_words": 200,
    "test_words": 200,
    "order": 6,
    "seeds": [0],
}


@dataclass
class Candidates:
    """One word's candidates, each with the network's log-probability log p_ens(y | x):
    Phonetisaurus' best (phonemes, cost, log p) triples, cheapest first, and the network's
    beam-search pronunciation with its (phonemes, log p)."""

    wfst: list[tuple[tuple[str, ...], float, float]]
    network: tuple[tuple[str, ...], float]

    def choose(self, n: int, weight: float) -> list[str]:
        """The combined pronunciation: the highest log p - weight * cost among the n cheapest
        of Phonetisaurus and the network's (costing the n-th cost if it is not among them);
        ties go to the cheaper candidate."""
        kept = [(y, cost, log_p) for y, cost, log_p in self.wfst[:n]]
        floor = max((cost for _, cost, _ in kept), default=0.0)
        if self.network[0] not in (y for y, _, _ in kept):
            kept.append((self.network[0], floor, self.network[1]))

        def score(i: int) -> tuple[float, int]:  # higher is better; then earlier (cheaper)
            _, cost, log_p = kept[i]
            return log_p - weight * cost, -i

        return list(kept[max(range(len(kept)), key=score)][0])

    def oracle(self, references: list[list[str]]) -> bool:
        """Whether any candidate is a listed pronunciation."""
        ys = [y for y, _, _ in self.wfst] + [self.network[0]]
        return any(list(y) in references for y in ys)


@torch.no_grad()
def log_probabilities(
    model: Seq2Seq | Ensemble,
    tokens: g2p.Tokens,
    words: Sequence[str],
    phonemes: Sequence[Sequence[str]],
    batch: int,
) -> list[float]:
    """log p(y | x) of each pronunciation y of its word x under teacher forcing: the sum over
    y's phonemes and EOS of the model's next-token log-probabilities (float64 sums)."""
    scores: list[float] = []
    for start in range(0, len(words), batch):
        src, lengths = tokens.encode_words(words[start : start + batch])
        tgt = tokens.encode_phonemes(phonemes[start : start + batch])  # (N, U) then EOS, PAD
        memory, state = model.encode(src, lengths)
        tgt_in, total = teacher_forcing_input(tgt), torch.zeros(len(tgt), dtype=torch.float64)
        for t in range(tgt.shape[1]):
            log_probs, state, _ = model.step(tgt_in[:, t], state, memory)  # (N, V)
            target = tgt[:, t : t + 1].clamp(min=0)  # PAD (negative) picks a dummy column ...
            picked = log_probs.gather(1, target).squeeze(1).double()
            total += torch.where(tgt[:, t] != PAD, picked, 0.0)  # ... that is masked out
        scores += total.tolist()
    return scores


def candidates(
    model: Seq2Seq | Ensemble,
    tokens: g2p.Tokens,
    words: Sequence[str],
    nbest: list[list[tuple[tuple[str, ...], float]]],
    batch: int,
) -> list[Candidates]:
    """Every word's candidates: Phonetisaurus' best (phonetisaurus.decode) and the network's
    beam-search pronunciation, each scored by the network (log_probabilities)."""
    beams = g2p.decode(model, tokens, words, g2p.SETTINGS, beam=True)
    pairs = [
        (word, y)
        for word, best, beam in zip(words, nbest, beams, strict=True)
        for y in [y for y, _ in best] + [tuple(beam)]
    ]
    scores = iter(log_probabilities(model, tokens, *zip(*pairs, strict=True), batch))
    return [
        Candidates([(y, cost, next(scores)) for y, cost in best], (tuple(beam), next(scores)))
        for best, beam in zip(nbest, beams, strict=True)
    ]


def rates(
    scored: list[Candidates], references: list[list[list[str]]], n: int, weight: float
) -> dict[str, float]:
    """Error rates (g2p.error_rates, rounded) of the combined pronunciations."""
    return g2p.rounded(g2p.error_rates([c.choose(n, weight) for c in scored], references))


def combine(
    scored: dict[str, list[Candidates]],
    references: dict[str, list[list[list[str]]]],
    settings: dict[str, Any],
) -> dict[str, Any]:
    """One network's combination: the dev grid, the dev-best (n, lambda), the test words scored
    once with it, and on both parts the network alone and the oracle of the candidates."""
    grid = [
        {"n": n, "weight": weight, "dev": rates(scored["dev"], references["dev"], n, weight)}
        for n in settings["n_best"]
        for weight in settings["weights"]
    ]
    best = min(grid, key=lambda entry: (entry["dev"]["wer_any"], entry["n"], entry["weight"]))
    alone = {
        part: {
            "network": rates(scored[part], references[part], 0, 0.0),  # its beam: no rival
            "oracle_wer_any": round(
                1 - sum(map(Candidates.oracle, scored[part], references[part])) / len(refs),
                g2p.DECIMALS,
            ),
        }
        for part, refs in references.items()
    }
    return {
        "dev_grid": grid,
        "chosen": {"n": best["n"], "weight": best["weight"]},
        "alone": alone,
        "test": rates(scored["test"], references["test"], best["n"], best["weight"]),
    }


def run(settings: dict[str, Any], log: bool = False) -> tuple[dict[str, Any], None]:
    """Train Phonetisaurus on the training words; for the ensemble and for each seed's model,
    gather and score the candidates of dev and test, choose (n, lambda) on dev, score test
    once."""
    start = time.perf_counter()
    pronunciations, split, _ = g2p.prepare(settings)
    train = split["train"][: settings["train_words"]]
    parts = {"dev": split["dev"][: settings["dev_words"]]}
    parts["test"] = split["test"][: settings["test_words"]]
    references = {part: [pronunciations[w] for w in words] for part, words in parts.items()}
    with tempfile.TemporaryDirectory(prefix="g2p-combined-") as tmp:
        workdir = Path(tmp)
        phonetisaurus.write_lexicon(workdir / "train.lex", train, pronunciations)
        phonetisaurus.align(workdir / "train.lex", workdir / "train.corpus", settings)
        phonetisaurus.train_model(workdir / "train.corpus", settings["order"], workdir / "g2p.fst")
        nbest = {
            part: phonetisaurus.decode(
                workdir / "g2p.fst", words, workdir, max(settings["n_best"])
            )
            for part, words in parts.items()
        }
    wfst = {
        part: g2p.rounded(g2p.error_rates(phonetisaurus.first(best), references[part]))
        for part, best in nbest.items()
    }
    networks = {}
    for name in ["ensemble", *map(str, settings["seeds"])]:
        model, tokens = g2p.load_model(
            settings["checkpoint"], seed=None if name == "ensemble" else int(name)
        )
        scored = {
            part: candidates(model, tokens, words, nbest[part], settings["batch"])
            for part, words in parts.items()
        }
        networks[name] = combine(scored, references, settings)
        if log:
            print(
                f"{name}: {networks[name]['chosen']}, {time.perf_counter() - start:.0f} s",
                flush=True,
            )
    single = [networks[str(seed)]["test"]["wer_any"] for seed in settings["seeds"]]
    results = {
        "description": __doc__.splitlines()[0] + " Error rates are fractions.",
        "settings": settings,
        "sizes": {"train": len(train)} | {part: len(words) for part, words in parts.items()},
        "phonetisaurus": wfst,
        "networks": networks,
        "seeds_test_wer_any": {
            "median": float(np.median(single)),
            "min": min(single),
            "max": max(single),
        },
        "seconds": round(time.perf_counter() - start),
        "machine": machine(),
    }
    return results, None


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
