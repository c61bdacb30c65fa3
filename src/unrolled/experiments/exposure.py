"""Chapter 3's exposure bias: teacher forcing against scheduled sampling, judged on generated text.

Data: the pinned pydoc corpus, split as in chapter 6 (unrolled.experiments.charlm.texts): the
last `dev_fraction` of the training text is the development text, on which every choice is
made; the held-out tenth of the corpus (the validation text of chapters 1-3) is scored once.

- Model: design 1 reading the previous character, one-hot (chapter 3's CharRNN): a tanh RNN
  with H units and a linear read-out, trained on windows of `prompt` + `free` characters of
  the development-free training text ("fit"), mean cross-entropy of every next character,
  Adam, gradients clipped to a total norm of `max_norm`.
- Methods, all with the same initial weights, batches, budget and learning-rate grid per seed:
  "teacher forcing" feeds every true previous character. "scheduled sampling" (Bengio et al.
  2015) feeds the `prompt` true characters and then, at each later input, the true previous
  character with probability eps_i and otherwise a character sampled from the model's own
  prediction at the step before (no gradient through the choice); eps_i = k / (k + exp(i / k))
  is the paper's inverse sigmoid decay over the updates i, 1/2 at i = k ln k (mid-budget),
  kept above `eps_floor` as is common in practice. "scheduled sampling to 0" follows the decay
  without a floor: by the end nearly every input after the prompt is the model's own sample.
- Learning rate: for each method, the one of `lrs` with the lowest median teacher-forced
  development bits per character over the seeds.
- Measures on `eval_prompts` validation windows (prompt, then `free` true characters):
  teacher-forced bits/char of the true continuation; and of continuations SAMPLED at
  temperature 1 (seeded, the same random numbers for every model): bits/char under a
  Kneser-Ney model (unrolled.ngram; order and discount tuned on dev, refitted on the training
  text), the Jensen-Shannon divergence between their character bigram and trigram
  distributions and the training text's, and the share of their trigrams never seen in the
  training text. The true continuations of the same prompts get the same measures, for
  reference. Greedy continuations are measured too, as an illustration of what Kneser-Ney
  scoring rewards.

    python -m unrolled.experiments exposure          # ~20 min on one core
    python -m unrolled.experiments exposure --tiny   # seconds; prints the results as JSON

Writes notebooks/results/exposure.json, which chapter 3 loads.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Any

import numpy as np
import torch

from unrolled.data import CharVocab
from unrolled.experiments.charlm import texts, tune_kneser_ney
from unrolled.experiments.common import provenance, script, spread
from unrolled.ngram import KneserNeyLM

NAME = "exposure"
METHODS = ("teacher forcing", "scheduled sampling", "scheduled sampling to 0")
SETTINGS: dict[str, Any] = {
    "dev_fraction": 0.1,  # of the training text, at its end (chapter 6's split)
    "text_chars": None,  # None: the whole corpus; an int cuts every text to that length
    "kn_orders": [3, 4, 5, 6, 7, 8, 10, 12],
    "kn_discounts": [0.75, 0.9, 0.95],
    "methods": list(METHODS),
    "hidden": 128,
    "lrs": [3e-3, 1e-2],
    "seeds": [0, 1, 2],
    "updates": 2500,
    "schedule_k": 230,  # eps_i = 1/2 at i = k ln k = 1251, half the updates
    "eps_floor": 0.75,  # of "scheduled sampling" (reached at i = k ln(k / 3) = 999)
    "batch": 32,
    "prompt": 16,  # true characters at the start of every window
    "free": 48,  # characters after the prompt: a window has prompt + free
    "max_norm": 1.0,
    "eval_every": 250,
    "curve_prompts": 256,  # development windows measured during training
    "eval_prompts": 512,  # validation windows measured once
    "window_seed": 0,  # where the development and validation windows start
    "sample_seed": 1234,  # the random numbers of every model's samples
    "shown_starts": [2000, 21000, 40000],  # the validation prompts the chapter prints
}
TINY = SETTINGS | {
    "text_chars": 20_000,
    "kn_orders": [3, 5],
    "kn_discounts": [0.75, 0.9],
    "hidden": 16,
    "lrs": [3e-3, 1e-2],
    "seeds": [0, 1],
    "updates": 40,
    "schedule_k": 9,  # 1/2 at i = 20
    "eval_every": 20,
    "curve_prompts": 16,
    "eval_prompts": 32,
    "shown_starts": [100, 2000],
}
DECIMALS = 4


# --- the model and how it is fed --------------------------------------------------------------


class CharRNN(torch.nn.Module):
    """Design 1 reading the previous character, one-hot (K -> H, tanh), read-out (H -> K)."""

    def __init__(self, K: int, hidden: int) -> None:
        super().__init__()
        self.K = K
        self.rnn = torch.nn.RNN(K, hidden, batch_first=True)  # U, W, b
        self.out = torch.nn.Linear(hidden, K)  # V, c

    def forward(
        self, inputs: torch.Tensor, h: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs (N, T) ids -> scores (N, T, K) of the character after each, state (1, N, H)."""
        x = torch.nn.functional.one_hot(inputs, self.K).to(self.out.weight.dtype)  # (N, T, K)
        hs, h = self.rnn(x, h)  # (N, T, H)
        return self.out(hs), h

    def step(self, ids: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One step of forward: ids (N,), h (N, H) -> scores (N, K), h (N, H). U x for a
        one-hot x is the column of U of that character."""
        r = self.rnn
        Ux = r.weight_ih_l0[:, ids].T  # (N, H)
        h = torch.tanh(Ux + r.bias_ih_l0 + h @ r.weight_hh_l0.T + r.bias_hh_l0)  # Eq. (ch2-rnn-a)
        return self.out(h), h


def choose(scores: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """A character per row of scores (N, K): sampled from softmax(scores) (temperature 1) with
    `generator`, or the most likely one if `generator` is None. Shape (N,)."""
    if generator is None:
        return scores.argmax(dim=-1)
    return torch.multinomial(torch.softmax(scores, dim=-1), 1, generator=generator)[:, 0]


def run_free(
    model: CharRNN,
    window: torch.Tensor,
    prompt: int,
    keep: torch.Tensor,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Feed the true prompt of each window, then mix truth and the model's own choices.

    window (N, P + F) holds the true characters, P = prompt; keep (N, F - 1) is True where input
    P + j (j = 0..F-2) is the true character window[:, P + j] and False where it is the model's
    own choice for that character. Returns the inputs fed (N, P + F - 1), which predict
    window[:, 1:], and the model's choices (N, F) for the characters P..P+F-1 (sampled with
    `generator`, greedy without). No gradient flows through the choices.
    """
    N, L = window.shape
    F = L - prompt
    if not 0 < prompt < L or keep.shape != (N, F - 1):
        raise ValueError(
            f"window (N, P + F) and keep (N, F - 1) with 0 < P = prompt < P + F: received "
            f"window {tuple(window.shape)}, prompt {prompt}, keep {tuple(keep.shape)}"
        )
    inputs = window[:, :-1].clone()  # (N, P + F - 1)
    choices = torch.empty(N, F, dtype=torch.long)
    with torch.no_grad():
        scores, h = model(inputs[:, :prompt])  # (N, P, K), (1, N, H)
        last, h = scores[:, -1], h[0]  # (N, K), (N, H)
        for j in range(F):
            choices[:, j] = choose(last, generator)
            if j == F - 1:
                break
            t = prompt + j
            inputs[:, t] = torch.where(keep[:, j], window[:, t], choices[:, j])
            last, h = model.step(inputs[:, t], h)
    return inputs, choices


def generate(
    model: CharRNN, prompts: torch.Tensor, length: int, generator: torch.Generator | None
) -> torch.Tensor:
    """Continuations (N, length) of prompts (N, P), each character fed back: sampled from the
    model's prediction with `generator`, its most likely character without."""
    N, P = prompts.shape
    window = torch.cat([prompts, torch.zeros(N, length, dtype=torch.long)], dim=1)
    return run_free(model, window, P, torch.zeros(N, length - 1, dtype=torch.bool), generator)[1]


def inverse_sigmoid(update: int, k: float) -> float:
    """Bengio et al.'s inverse sigmoid decay eps_i = k / (k + exp(i / k)), k >= 1."""
    if not k >= 1:
        raise ValueError(f"k must be >= 1, received {k!r}")
    return k / (k + math.exp(min(update / k, 700.0)))


def truth_probability(method: str, update: int, settings: dict[str, Any]) -> float:
    """eps_i: the probability that an input after the prompt is the true character, at update i
    (counted from 0): 1 for teacher forcing, the inverse sigmoid decay for scheduled sampling,
    kept above `eps_floor` unless the method decays "to 0"."""
    if method == "teacher forcing":
        return 1.0
    if method == "scheduled sampling":
        return max(settings["eps_floor"], inverse_sigmoid(update, settings["schedule_k"]))
    if method == "scheduled sampling to 0":
        return inverse_sigmoid(update, settings["schedule_k"])
    raise ValueError(f"method must be one of {METHODS}, received {method!r}")


def windows(ids: np.ndarray, starts: np.ndarray, length: int) -> torch.Tensor:
    """Rows ids[s : s + length] for every s in starts: (len(starts), length) int64 tensor."""
    return torch.from_numpy(ids[starts[:, None] + np.arange(length)])


def update(
    model: CharRNN,
    optimizer: torch.optim.Optimizer,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    max_norm: float,
) -> float:
    """One Adam step on the mean cross-entropy of targets (N, T) after inputs (N, T): the loss."""
    scores, _ = model(inputs)  # (N, T, K)
    loss = torch.nn.functional.cross_entropy(scores.flatten(0, 1), targets.flatten())
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item()


def teacher_forced_bits(model: CharRNN, window: torch.Tensor, prompt: int) -> float:
    """Bits per character of the true continuations window[:, prompt:] (N, F), the true previous
    characters fed."""
    with torch.no_grad():
        scores, _ = model(window[:, :-1])  # (N, P + F - 1, K)
        nats = torch.nn.functional.cross_entropy(
            scores[:, prompt - 1 :].flatten(0, 1), window[:, prompt:].flatten()
        )
    return nats.item() / math.log(2)


# --- judging text ---------------------------------------------------------------------------


def kn_bits(lm: KneserNeyLM, prompts: list[str], continuations: list[str]) -> float:
    """Bits per character of the continuations under a Kneser-Ney model, each character given
    the order - 1 characters before it (the prompt's included)."""
    n, bits, count = lm.order - 1, 0.0, 0
    for prompt, continuation in zip(prompts, continuations, strict=True):
        text = prompt + continuation
        for t in range(len(prompt), len(text)):
            bits -= math.log2(lm.prob(text[max(0, t - n) : t], text[t]))
        count += len(continuation)
    return bits / count


def ngram_distribution(pieces: list[str], n: int) -> dict[str, float]:
    """The relative frequency of each character n-gram inside the pieces (none across two)."""
    counts = Counter(piece[i : i + n] for piece in pieces for i in range(len(piece) - n + 1))
    total = sum(counts.values())
    return {gram: count / total for gram, count in counts.items()}


def js_divergence(p: dict[str, float], q: dict[str, float]) -> float:
    """Jensen-Shannon divergence in bits, 0 (same) to 1 (disjoint): the mean KL divergence of
    p and q from their average m = (p + q) / 2."""
    total = 0.0
    for gram in p.keys() | q.keys():
        a, b = p.get(gram, 0.0), q.get(gram, 0.0)
        m = (a + b) / 2
        total += (a * math.log2(a / m) if a else 0.0) + (b * math.log2(b / m) if b else 0.0)
    return max(total / 2, 0.0)


def unseen_share(pieces: list[str], seen: set[str], n: int) -> float:
    """The share of the n-grams inside the pieces that are not in `seen`."""
    grams = [piece[i : i + n] for piece in pieces for i in range(len(piece) - n + 1)]
    return sum(gram not in seen for gram in grams) / len(grams)


def text_measures(
    lm: KneserNeyLM, reference: dict[int, dict[str, float]], prompts: list[str], pieces: list[str]
) -> dict[str, float]:
    """Kneser-Ney bits/char of the continuations, the JS divergence of their bigram and trigram
    distributions from the reference's, and the share of their trigrams the reference lacks."""
    grams = {n: ngram_distribution(pieces, n) for n in (2, 3)}
    return {
        "kn_bpc": round(kn_bits(lm, prompts, pieces), DECIMALS),
        "js2": round(js_divergence(grams[2], reference[2]), DECIMALS),
        "js3": round(js_divergence(grams[3], reference[3]), DECIMALS),
        "unseen3": round(unseen_share(pieces, set(reference[3]), 3), DECIMALS),
    }


# --- the experiment ---------------------------------------------------------------------------


def train(
    method: str,
    lr: float,
    seed: int,
    fit_ids: np.ndarray,
    dev: dict[str, Any],
    K: int,
    settings: dict[str, Any],
) -> tuple[CharRNN, dict[str, list[float]]]:
    """Train one model; every `eval_every` updates record the teacher-forced development
    bits/char, the Kneser-Ney bits/char of sampled continuations of the development prompts,
    the mean training loss since the last record, and eps_i."""
    torch.manual_seed(seed)
    model = CharRNN(K, settings["hidden"])
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)  # windows and coins: the same for every method
    generator = torch.Generator().manual_seed(seed)  # the model's samples during training
    P, F, N = settings["prompt"], settings["free"], settings["batch"]
    curve: dict[str, list[float]] = {k: [] for k in ("updates", "eps", "train_bpc", "dev_bpc")}
    curve["dev_kn_bpc"] = []
    nats = 0.0
    for i in range(settings["updates"]):
        window = windows(fit_ids, rng.integers(0, len(fit_ids) - P - F, size=N), P + F)
        eps = truth_probability(method, i, settings)
        keep = torch.from_numpy(rng.random((N, F - 1)) < eps)
        if eps == 1.0:  # teacher forcing: one call, no sampling loop (run_free would agree)
            inputs = window[:, :-1]
        else:
            inputs = run_free(model, window, P, keep, generator)[0]
        nats += update(model, optimizer, inputs, window[:, 1:], settings["max_norm"])
        if (i + 1) % settings["eval_every"] == 0:
            same = torch.Generator().manual_seed(settings["sample_seed"])  # for every model
            samples = generate(model, dev["window"][:, :P], F, same)
            curve["updates"].append(i + 1)
            curve["train_bpc"].append(round(nats / settings["eval_every"] / math.log(2), DECIMALS))
            curve["dev_bpc"].append(round(teacher_forced_bits(model, dev["window"], P), DECIMALS))
            curve["dev_kn_bpc"].append(
                round(kn_bits(dev["kn"], dev["prompts"], dev["decode"](samples)), DECIMALS)
            )
            curve["eps"].append(round(eps, DECIMALS))
            nats = 0.0
    return model, curve


def run(settings: dict[str, Any], log: bool = False) -> tuple[dict[str, Any], None]:
    """The whole experiment: Kneser-Ney tuned on dev; every method, learning rate and seed
    trained; each method's learning rate chosen on dev; its runs measured on the validation text
    (no model is returned: the chapter needs only the numbers and samples)."""
    start = time.perf_counter()
    text = texts(settings)  # fit, dev, train = fit + dev, test (the validation text)
    vocab = CharVocab.from_text(text["train"] + text["test"])
    ids = {name: vocab.encode(t) for name, t in text.items()}
    P, F = settings["prompt"], settings["free"]

    kn = tune_kneser_ney(text["fit"], text["dev"], settings["kn_orders"], settings["kn_discounts"])
    judge = KneserNeyLM(kn["order"], kn["discount"]).fit(text["train"])
    kn["validation_bpc"] = round(judge.bits_per_char(text["test"]), DECIMALS)
    if log:
        print(f"Kneser-Ney order {kn['order']}, D = {kn['discount']}", flush=True)

    def decode(rows: torch.Tensor) -> list[str]:
        return [vocab.decode(row.numpy()) for row in rows]

    window_rng = np.random.default_rng(settings["window_seed"])
    dev_starts = window_rng.integers(0, len(ids["dev"]) - P - F, settings["curve_prompts"])
    dev_window = windows(ids["dev"], dev_starts, P + F)  # (curve_prompts, P + F)
    dev = {
        "window": dev_window,
        "prompts": decode(dev_window[:, :P]),
        "kn": KneserNeyLM(kn["order"], kn["discount"]).fit(text["fit"]),  # dev text unseen
        "decode": decode,
    }
    val_starts = window_rng.integers(0, len(ids["test"]) - P - F, settings["eval_prompts"])
    val_window = windows(ids["test"], val_starts, P + F)  # (M, P + F)
    val_prompts, val_truth = decode(val_window[:, :P]), decode(val_window[:, P:])
    reference = {n: ngram_distribution([text["train"]], n) for n in (2, 3)}

    search, models = [], {}
    for method in settings["methods"]:
        for lr in settings["lrs"]:
            entry = {"method": method, "lr": lr, "dev_bpc": []}
            for seed in settings["seeds"]:
                model, curve = train(method, lr, seed, ids["fit"], dev, vocab.size, settings)
                models[method, lr, seed] = model, curve
                entry["dev_bpc"].append(curve["dev_bpc"][-1])
            search.append(entry)
            if log:
                print(f"{method}, lr {lr}: dev bits/char {entry['dev_bpc']}", flush=True)

    chosen, runs, summary = {}, {}, {}
    shown = windows(ids["test"], np.array(settings["shown_starts"]), P + F)
    samples: dict[str, Any] = {
        "starts": settings["shown_starts"],
        "prompts": decode(shown[:, :P]),
        "truth": decode(shown[:, P:]),
    }
    for method in settings["methods"]:
        entries = [e for e in search if e["method"] == method]
        lr = min(entries, key=lambda e: float(np.median(e["dev_bpc"])))["lr"]
        chosen[method] = lr
        runs[method] = []
        for seed in settings["seeds"]:
            model, curve = models[method, lr, seed]
            sampled = generate(
                model, val_window[:, :P], F, torch.Generator().manual_seed(settings["sample_seed"])
            )
            greedy = generate(model, val_window[:, :P], F, None)
            runs[method].append(
                {
                    "seed": seed,
                    "dev_bpc": curve["dev_bpc"][-1],
                    "tf_bpc": round(teacher_forced_bits(model, val_window, P), DECIMALS),
                    "sampled": text_measures(judge, reference, val_prompts, decode(sampled)),
                    "greedy": text_measures(judge, reference, val_prompts, decode(greedy)),
                    "curve": curve,
                }
            )
            if seed == settings["seeds"][0]:
                gen = torch.Generator().manual_seed(settings["sample_seed"])
                samples[method] = {
                    "sampled": decode(generate(model, shown[:, :P], F, gen)),
                    "greedy": decode(generate(model, shown[:, :P], F, None)),
                }
            if log:
                print(f"{method} seed {seed}: {runs[method][-1]['sampled']}", flush=True)
        summary[method] = summarise(runs[method])
    results = {
        "description": __doc__.splitlines()[0],
        "settings": settings,
        "chars": {name: len(t) for name, t in text.items()},
        "vocab_size": vocab.size,
        "parameters": sum(p.numel() for p in CharRNN(vocab.size, settings["hidden"]).parameters()),
        "kneser_ney": kn,
        "search": search,
        "chosen_lr": chosen,
        "truth": text_measures(judge, reference, val_prompts, val_truth),
        "runs": runs,
        "summary": summary,
        "samples": samples,
        **provenance(start),
    }
    return results, None


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median, minimum and maximum over the seeds of every measure of the runs."""
    summary = {"tf_bpc": spread([r["tf_bpc"] for r in runs])}
    for kind in ("sampled", "greedy"):
        summary[kind] = {
            measure: spread([r[kind][measure] for r in runs]) for measure in runs[0][kind]
        }
    return summary


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
