"""Chapter 7's bottleneck: reversing sequences with and without attention, with a long budget.

The task: reverse a sequence of 2 to 16 symbols from an alphabet of 8. Two encoder-decoders of
the same size (GRU, H = 64, embeddings of 16), one whose decoder sees only the encoder's last
state (the fixed-length bottleneck) and one with Bahdanau's additive attention, are trained by
teacher forcing on fresh random batches with Adam, a learning rate decaying linearly to 0 and
gradients clipped to norm 1, for 60 times the chapter's first budget (30,000 updates), with
five seeds each; the training curves are stored (both reverse every training length at the
end; the models without attention are still improving slowly). Then, on 100 fresh test
sequences of every length from 2 to 24 (17 to 24 longer than any training sequence), greedy
decoding's sequence accuracy, and the token accuracy with the true previous tokens (teacher
forcing) and with the model's own (free running).

    python -m unrolled.experiments reversal            # ~2 h on one core
    python -m unrolled.experiments reversal --jobs 2   # ~75 min on 2 idle cores
    python -m unrolled.experiments reversal --tiny     # seconds; prints the results as JSON

Writes notebooks/results/reversal.json and reversal.pt (both models of the first seed), which
chapter 7 loads.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from unrolled.experiments.common import (
    command_line,
    dumps,
    in_parallel,
    one_thread,
    provenance,
    spread,
    teacher_forcing_update,
)
from unrolled.seq2seq import EOS, PAD, Seq2Seq, greedy_decode, teacher_forcing_input

NAME = "reversal"
ATTENTIONS = ("none", "additive")
SETTINGS: dict[str, Any] = {
    "symbols": 8,
    "lengths": [2, 16],  # training lengths
    "test_lengths": [2, 24],  # test lengths: 17 to 24 were never seen in training
    "embed": 16,
    "hidden": 64,
    "batch": 64,
    "lr": 3e-3,
    "max_norm": 1.0,
    "steps": 30000,
    "window": 250,  # training losses are averaged over windows of this many updates
    "seeds": [0, 1, 2, 3, 4],
    "test_per_length": 100,
    "test_seed": 1,
}
TINY = SETTINGS | {"steps": 40, "window": 10, "seeds": [0, 1], "test_per_length": 5}
DECIMALS = 4


def vocab_size(settings: dict[str, Any]) -> int:
    """PAD, BOS and EOS, then the symbols."""
    return 3 + settings["symbols"]


def reversal_batch(
    rng: np.random.Generator,
    n: int,
    settings: dict[str, Any],
    lengths: np.ndarray | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """n random sequences and their reversals: src (n, T), lengths (n,), tgt (n, T + 1).

    Lengths are drawn uniformly from settings["lengths"] unless given; each target ends with
    EOS; both are padded with PAD.
    """
    if lengths is None:
        low, high = settings["lengths"]
        lengths = rng.integers(low, high + 1, size=n)
    src = np.full((n, lengths.max()), PAD)
    tgt = np.full((n, lengths.max() + 1), PAD)
    for i, length in enumerate(lengths):
        x = rng.integers(3, vocab_size(settings), size=length)
        src[i, :length], tgt[i, :length], tgt[i, length] = x, x[::-1], EOS
    return torch.from_numpy(src), torch.from_numpy(lengths), torch.from_numpy(tgt)


def new_model(attention: str, settings: dict[str, Any]) -> Seq2Seq:
    v = vocab_size(settings)
    return Seq2Seq(
        v, v, embed_size=settings["embed"], hidden_size=settings["hidden"], attention=attention
    )


def train(attention: str, seed: int, settings: dict[str, Any]) -> tuple[Seq2Seq, list[float]]:
    """Train one model; return it and its training loss averaged over every window."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = new_model(attention, settings)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    steps = settings["steps"]
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
    losses, curve = [], []
    for _ in range(steps):
        src, lengths, tgt = reversal_batch(rng, settings["batch"], settings)
        losses.append(
            teacher_forcing_update(model, optimizer, src, lengths, tgt, settings["max_norm"])
        )
        schedule.step()
        if len(losses) == settings["window"]:
            curve.append(round(float(np.mean(losses)), DECIMALS))
            losses = []
    return model.eval(), curve


def test_sets(settings: dict[str, Any]) -> dict[int, tuple[torch.Tensor, ...]]:
    """settings["test_per_length"] fresh sequences of every test length, from their own seed."""
    rng = np.random.default_rng(settings["test_seed"])
    low, high = settings["test_lengths"]
    n = settings["test_per_length"]
    return {
        length: reversal_batch(rng, n, settings, np.full(n, length))
        for length in range(low, high + 1)
    }


def sequence_accuracy(
    predictions: list[list[int]], tgt: torch.Tensor, lengths: torch.Tensor
) -> float:
    """Fraction of predictions equal to their target (without EOS)."""
    return float(
        np.mean(
            [
                p == t[:n].tolist()
                for p, t, n in zip(predictions, tgt, lengths.tolist(), strict=True)
            ]
        )
    )


def token_accuracies(
    model: Seq2Seq, src: torch.Tensor, lengths: torch.Tensor, tgt: torch.Tensor
) -> tuple[float, float]:
    """Token accuracy with the true previous tokens and with the model's own (greedy), EOS
    included."""
    with torch.no_grad():
        forced = model(src, lengths, teacher_forcing_input(tgt)).argmax(dim=2)
    teacher = (forced == tgt)[tgt != PAD].float().mean().item()
    predictions, _ = greedy_decode(model, src, lengths, max_len=tgt.shape[1])
    free = []
    for p, t, n in zip(predictions, tgt.tolist(), lengths.tolist(), strict=True):
        p = p + [EOS] + [PAD] * n  # compare position by position, EOS included
        free += [p[j] == t[j] for j in range(n + 1)]
    return teacher, float(np.mean(free))


def evaluate(model: Seq2Seq, settings: dict[str, Any]) -> dict[str, Any]:
    """Greedy sequence accuracy per length; teacher-forced and free-running token accuracy."""
    accuracy, teacher, free = {}, {}, {}
    for length, (src, lengths, tgt) in test_sets(settings).items():
        predictions, _ = greedy_decode(model, src, lengths, max_len=length + 3)
        accuracy[str(length)] = round(sequence_accuracy(predictions, tgt, lengths), DECIMALS)
        forced, own = token_accuracies(model, src, lengths, tgt)
        teacher[str(length)], free[str(length)] = round(forced, DECIMALS), round(own, DECIMALS)
    return {"sequence_accuracy": accuracy, "teacher_forcing": teacher, "free_running": free}


def run_one(attention: str, seed: int, settings: dict[str, Any]) -> dict[str, Any]:
    """Train and evaluate one model on one thread; its entry, with its weights under "state"."""
    start = time.perf_counter()
    with one_thread():
        model, curve = train(attention, seed, settings)
        entry = {"attention": attention, "seed": seed, "curve": curve} | evaluate(model, settings)
    return entry | {"seconds": round(time.perf_counter() - start), "state": model.state_dict()}


def run(settings: dict[str, Any], jobs: int = 1) -> dict[str, Any]:
    """Every model of every seed (in `jobs` processes; the same numbers for any number)."""
    work = [(a, s, settings) for a in ATTENTIONS for s in settings["seeds"]]
    entries = in_parallel(run_one, work, jobs)
    summary = {}
    for attention in ATTENTIONS:
        mine = [e for e in entries if e["attention"] == attention]
        summary[attention] = {
            "final_loss": spread([e["curve"][-1] for e in mine]),
            "sequence_accuracy": {
                length: spread([e["sequence_accuracy"][length] for e in mine])
                for length in mine[0]["sequence_accuracy"]
            },
        }
    return {"settings": settings, "runs": entries, "summary": summary}


def load_models(checkpoint: str | Path, settings: dict[str, Any] = SETTINGS) -> dict[str, Seq2Seq]:
    """The first seed's two trained models of a checkpoint, by attention, in eval mode."""
    states = torch.load(checkpoint, weights_only=True)
    models = {}
    for attention in ATTENTIONS:
        models[attention] = new_model(attention, settings)
        models[attention].load_state_dict(states[attention])
        models[attention].eval()
    return models


def without_weights(results: dict[str, Any]) -> dict[str, Any]:
    """The results with the weights taken out (and returned by attention, first seed only)."""
    first = results["settings"]["seeds"][0]
    states = {}
    for entry in results["runs"]:
        state = entry.pop("state")
        if entry["seed"] == first:
            states[entry["attention"]] = state
    return states


def tiny_entry() -> dict[str, Any]:
    """The tiny configuration's results, without weights and timings: the same on every run."""
    entry = run(TINY)
    without_weights(entry)
    for run_entry in entry["runs"]:
        del run_entry["seconds"]
    return entry


def main(argv: list[str] | None = None) -> int:
    args = command_line(NAME, __doc__, jobs=True).parse_args(argv)
    if args.tiny:
        print(dumps(tiny_entry()), end="")
        return 0
    start = time.perf_counter()
    entry = run(SETTINGS, jobs=args.jobs)
    states = without_weights(entry)
    results = {
        "description": __doc__.splitlines()[0],
        **entry,
        **provenance(start),
        "tiny": tiny_entry(),
    }
    args.output.mkdir(parents=True, exist_ok=True)
    torch.save(states, args.output / f"{NAME}.pt")
    (args.output / f"{NAME}.json").write_text(dumps(results))
    print(f"wrote {args.output / NAME}.json and {NAME}.pt", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
