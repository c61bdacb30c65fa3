"""Chapter 6's tagger: named entities in news (CoNLL-2003), a bidirectional LSTM against a
window of words and the most frequent tag.

The decks' example "Somesh worked at Cisco in Bangalore" is a many-to-many task with one tag
per word (unrolled.tagging): PER, ORG, LOC or MISC entities in BIO tags, scored by the CoNLL
entity F1 (a predicted entity counts only with exactly the true type and boundaries).

- Data: CoNLL-2003 English (unrolled.data.load_conll2003), the shared task's own split:
  train for training, valid ("dev") for every choice, test once for the reported numbers.
- Baseline 1, the CoNLL convention: every word gets its most frequent training tag; unseen
  words get O.
- Word features, shared by both networks: an embedding of the lowercased word (train words seen
  at least `min_count` times; the others, and a random `word_dropout` share of training words,
  are <unk>), plus a character CNN over the word as written (Ma and Hovy 2016: letter
  embeddings, one convolution, max over positions), which sees capitals, digits and affixes.
- Baseline 2, non-recurrent: a feed-forward tagger over a window of 2 words either side
  (Collobert et al. 2011), on the same features.
- Network: a bidirectional LSTM over the sentence's word features, dropout, and a linear layer
  per word (tags chosen independently per word by argmax; no CRF).
- Both networks get the same budget and care: Adam at each learning rate of `lrs`, `epochs`
  epochs, the epoch and the learning rate chosen by dev F1 (median over seeds), 3 seeds.

    python -m unrolled.experiments ner          # ~40 min on one core
    python -m unrolled.experiments ner --tiny   # seconds; prints the results as JSON

Writes notebooks/results/ner.json and the first seed's LSTM tagger, notebooks/results/ner.pt,
which chapter 6 loads.
"""

from __future__ import annotations

import copy
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from unrolled.data import load_conll2003
from unrolled.experiments.common import provenance, script, spread
from unrolled.tagging import entity_f1, most_frequent_tags

NAME = "ner"
TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC")
PAD, UNK = 0, 1  # word and character ids; real ones start at 2
SETTINGS: dict[str, Any] = {
    "min_count": 2,
    "word_dropout": 0.05,
    "word_embed": 64,
    "char_embed": 16,
    "char_filters": 64,
    "char_width": 3,
    "max_word_chars": 20,
    "hidden": 128,  # per direction for the LSTM; the window tagger's hidden layer is 2x this
    "window": 2,
    "dropout": 0.5,
    "batch": 32,
    "epochs": 15,
    "lrs": [1e-3, 3e-3],
    "max_norm": 5.0,
    "models": ["window", "lstm"],
    "seeds": [0, 1, 2],
    "train_sentences": None,  # None: all
}
TINY = SETTINGS | {
    "train_sentences": 500,
    "word_embed": 8,
    "char_filters": 8,
    "hidden": 8,
    "epochs": 2,
    "lrs": [3e-3],
    "seeds": [0, 1],
}
DECIMALS = 4

Sentences = list[tuple[list[str], list[str]]]


class Vocab:
    """Ids of lowercased words (seen `min_count` times in training) and of characters."""

    def __init__(self, train: Sentences, min_count: int) -> None:
        counts = Counter(w.lower() for words, _ in train for w in words)
        kept = sorted(w for w, c in counts.items() if c >= min_count)
        self.words = {w: i + 2 for i, w in enumerate(kept)}
        chars = sorted({c for words, _ in train for w in words for c in w})
        self.chars = {c: i + 2 for i, c in enumerate(chars)}
        self.tags = {t: i for i, t in enumerate(TAGS)}

    def batch(
        self, sentences: Sequence[Sequence[str]], max_chars: int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Word ids (N, T), character ids (N, T, C) and lengths (N,), padded with PAD."""
        lengths = torch.tensor([len(s) for s in sentences])
        T = int(lengths.max())
        C = min(max_chars, max(len(w) for s in sentences for w in s))
        words = torch.full((len(sentences), T), PAD)
        chars = torch.full((len(sentences), T, C), PAD)
        for n, sentence in enumerate(sentences):
            words[n, : len(sentence)] = torch.tensor(
                [self.words.get(w.lower(), UNK) for w in sentence]
            )
            for t, w in enumerate(sentence):
                chars[n, t, : min(len(w), C)] = torch.tensor(
                    [self.chars.get(c, UNK) for c in w[:C]]
                )
        return words, chars, lengths

    def tag_ids(self, tags: Sequence[Sequence[str]], T: int) -> torch.Tensor:
        """Tag ids (N, T), padded with -100 (ignored by the loss)."""
        ids = torch.full((len(tags), T), -100)
        for n, sentence in enumerate(tags):
            ids[n, : len(sentence)] = torch.tensor([self.tags[t] for t in sentence])
        return ids


class WordFeatures(torch.nn.Module):
    """Per word: [word embedding ; max over positions of a character CNN] -> (N, T, F)."""

    def __init__(self, vocab: Vocab, settings: dict[str, Any]) -> None:
        super().__init__()
        self.word = torch.nn.Embedding(len(vocab.words) + 2, settings["word_embed"], PAD)
        self.char = torch.nn.Embedding(len(vocab.chars) + 2, settings["char_embed"], PAD)
        self.conv = torch.nn.Conv1d(
            settings["char_embed"],
            settings["char_filters"],
            settings["char_width"],
            padding=settings["char_width"] // 2,
        )
        self.size = settings["word_embed"] + settings["char_filters"]

    def forward(self, words: torch.Tensor, chars: torch.Tensor) -> torch.Tensor:
        N, T, C = chars.shape
        x = self.char(chars.reshape(N * T, C)).transpose(1, 2)  # (NT, E, C)
        pooled = self.conv(x).amax(dim=2).reshape(N, T, -1)  # (N, T, filters)
        return torch.cat([self.word(words), pooled], dim=-1)  # (N, T, F)


class LSTMTagger(torch.nn.Module):
    """Word features -> bidirectional LSTM -> dropout -> linear: tag scores (N, T, K)."""

    def __init__(self, vocab: Vocab, settings: dict[str, Any]) -> None:
        super().__init__()
        self.features = WordFeatures(vocab, settings)
        self.drop = torch.nn.Dropout(settings["dropout"])
        self.lstm = torch.nn.LSTM(
            self.features.size, settings["hidden"], batch_first=True, bidirectional=True
        )
        self.out = torch.nn.Linear(2 * settings["hidden"], len(TAGS))

    def forward(self, words, chars, lengths) -> torch.Tensor:
        x = self.drop(self.features(words, chars))
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        h, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True)  # (N, T, 2H)
        return self.out(self.drop(h))


class WindowTagger(torch.nn.Module):
    """Word features of the words t-w..t+w, concatenated -> ReLU layer -> linear: (N, T, K)."""

    def __init__(self, vocab: Vocab, settings: dict[str, Any]) -> None:
        super().__init__()
        self.features = WordFeatures(vocab, settings)
        self.window = settings["window"]
        self.drop = torch.nn.Dropout(settings["dropout"])
        width = (2 * self.window + 1) * self.features.size
        self.hidden = torch.nn.Linear(width, 2 * settings["hidden"])
        self.out = torch.nn.Linear(2 * settings["hidden"], len(TAGS))

    def forward(self, words, chars, lengths) -> torch.Tensor:
        x = self.drop(self.features(words, chars))  # (N, T, F)
        mask = torch.arange(x.shape[1])[None, :, None] < lengths[:, None, None]
        x = torch.nn.functional.pad(x * mask, (0, 0, self.window, self.window))  # zero ends
        T = words.shape[1]
        windows = torch.cat([x[:, k : k + T] for k in range(2 * self.window + 1)], dim=-1)
        return self.out(self.drop(torch.relu(self.hidden(windows))))


MODELS = {"lstm": LSTMTagger, "window": WindowTagger}


def predict(
    model: torch.nn.Module,
    vocab: Vocab,
    sentences: Sequence[Sequence[str]],
    max_chars: int,
    batch: int = 256,
) -> list[list[str]]:
    """The most probable tag of every word of every sentence (batched by length: less padding)."""
    model.eval()
    tags: list[list[str]] = [[] for _ in sentences]
    order = sorted(range(len(sentences)), key=lambda n: len(sentences[n]))
    with torch.no_grad():
        for start in range(0, len(order), batch):
            chunk = order[start : start + batch]
            best = model(*vocab.batch([sentences[n] for n in chunk], max_chars)).argmax(dim=-1)
            for row, n in enumerate(chunk):
                tags[n] = [TAGS[i] for i in best[row, : len(sentences[n])]]
    return tags


def batches(lengths: Sequence[int], size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled mini-batches of sentence indices, each of similar lengths: the sentences are
    shuffled, sorted by length within pools of 50 batches, cut into batches, and the batches
    shuffled (less padding, still a random order)."""
    order, pool = rng.permutation(len(lengths)), 50 * size
    cut = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda n: lengths[n])
        cut += [np.array(chunk[i : i + size]) for i in range(0, len(chunk), size)]
    return [cut[i] for i in rng.permutation(len(cut))]


def f1_of(model, vocab: Vocab, data: Sentences, max_chars: int) -> dict[str, Any]:
    """entity_f1 of the model's tags on `data`, rounded."""
    scores = entity_f1(
        [t for _, t in data], predict(model, vocab, [w for w, _ in data], max_chars)
    )
    return _rounded(scores)


def _rounded(scores: dict[str, Any]) -> dict[str, Any]:
    return {
        k: _rounded(v)
        if isinstance(v, dict)
        else round(v, DECIMALS)
        if isinstance(v, float)
        else v
        for k, v in scores.items()
    }


def train(
    kind: str,
    lr: float,
    seed: int,
    vocab: Vocab,
    train_data: Sentences,
    dev: Sentences,
    settings: dict[str, Any],
) -> tuple[torch.nn.Module, list[dict[str, float]]]:
    """Train one tagger; keep the epoch with the best dev F1. Returns it and the curve."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = MODELS[kind](vocab, settings)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    max_chars, best, curve = settings["max_word_chars"], None, []
    for epoch in range(1, settings["epochs"] + 1):
        model.train()
        losses = []
        for batch in batches([len(w) for w, _ in train_data], settings["batch"], rng):
            sentences = [train_data[i] for i in batch]
            words, chars, lengths = vocab.batch([w for w, _ in sentences], max_chars)
            drop = torch.from_numpy(rng.random(words.shape) < settings["word_dropout"])
            words = words.masked_fill(drop & (words != PAD), UNK)  # learn an <unk> vector
            scores = model(words, chars, lengths)
            target = vocab.tag_ids([t for _, t in sentences], words.shape[1])
            loss = torch.nn.functional.cross_entropy(scores.flatten(0, 1), target.flatten())
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings["max_norm"])
            optimizer.step()
            losses.append(loss.item())
        dev_f1 = f1_of(model, vocab, dev, max_chars)["f1"]
        curve.append(
            {
                "epoch": epoch,
                "train_loss": round(float(np.mean(losses)), DECIMALS),
                "dev_f1": dev_f1,
            }
        )
        if best is None or dev_f1 > best[0]:
            best = (dev_f1, copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[1])
    model.eval()
    return model, curve


def load_data(settings: dict[str, Any]) -> tuple[Sentences, Sentences, Sentences, Vocab]:
    """Train (possibly cut to `train_sentences`), dev and test sentences, and the vocabulary."""
    train_data = load_conll2003("train")[: settings["train_sentences"]]
    return (
        train_data,
        load_conll2003("valid"),
        load_conll2003("test"),
        Vocab(train_data, settings["min_count"]),
    )


def load_model(checkpoint, settings: dict[str, Any] = SETTINGS) -> tuple[LSTMTagger, Vocab]:
    """The LSTM tagger of a checkpoint written by the full run, in eval mode, with its vocab."""
    *_, vocab = load_data(settings)
    model = LSTMTagger(vocab, settings)
    model.load_state_dict(torch.load(checkpoint, weights_only=True))
    model.eval()
    return model, vocab


def run(settings: dict[str, Any], log: bool = False) -> tuple[dict[str, Any], torch.nn.Module]:
    """Baseline, search over models and learning rates on dev, test once per chosen model."""
    start = time.perf_counter()
    train_data, dev, test, vocab = load_data(settings)
    table = most_frequent_tags(train_data)
    baseline = {
        split: _rounded(
            entity_f1(
                [t for _, t in data], [[table.get(w, "O") for w in words] for words, _ in data]
            )
        )
        for split, data in (("dev", dev), ("test", test))
    }
    if log:
        print(f"most frequent tag: dev F1 {baseline['dev']['f1']}", flush=True)
    results: dict[str, Any] = {}
    first_lstm = None
    for kind in settings["models"]:
        search = {}
        for lr in settings["lrs"]:
            trained = [
                train(kind, lr, s, vocab, train_data, dev, settings) for s in settings["seeds"]
            ]
            search[str(lr)] = {
                "models": [m for m, _ in trained],
                "curves": [c for _, c in trained],
                "dev_f1": [max(p["dev_f1"] for p in c) for _, c in trained],
            }
            if log:
                print(f"{kind} lr {lr}: dev F1 {search[str(lr)]['dev_f1']}", flush=True)
        lr = max(search, key=lambda k: float(np.median(search[k]["dev_f1"])))
        models = search[lr]["models"]
        tests = [f1_of(m, vocab, test, settings["max_word_chars"]) for m in models]
        results[kind] = {
            "parameters": sum(p.numel() for p in models[0].parameters()),
            "lr": float(lr),
            "search": {
                k: {"dev_f1": v["dev_f1"], "curves": v["curves"]} for k, v in search.items()
            },
            "test": tests,
            "test_f1": spread([t["f1"] for t in tests]),
        }
        if kind == "lstm":
            first_lstm = models[0]
    return {
        "description": __doc__.splitlines()[0],
        "settings": settings,
        "sizes": {
            "train": len(train_data),
            "dev": len(dev),
            "test": len(test),
            "words": len(vocab.words),
            "chars": len(vocab.chars),
        },
        "most_frequent_tag": baseline,
        "models": results,
        **provenance(start),
    }, first_lstm


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
