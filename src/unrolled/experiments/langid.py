"""Chapter 6's classifier: the language of a word, a gated recurrent network against naive Bayes.

The task and the held-out words are chapter 3's: the 2,000 most frequent words of English,
German, French, Spanish and Italian (`wordfreq`, words in two lists dropped), a fixed random
fifth held out as the test set. A fifth of the remaining words is the development set on which
every choice is made; the chosen models are then refitted on all the training words and score
the test words once.

- Baseline: multinomial naive Bayes on the character n-grams of "^word$" for n = 1..N, with
  add-alpha smoothing; N and alpha chosen on dev. For reference, the untuned N = 2, alpha = 1
  (close to chapter 3's bigram model, which also smoothed over unseen pairs of letters).
- Network: letter embeddings, a GRU or LSTM (one or both directions) read over the packed word,
  dropout and a linear layer on the final state(s), trained with Adam on mini-batches. The
  kind, direction and epoch count are chosen by the median development accuracy over seeds.

    python -m unrolled.experiments langid          # ~35 min on one core
    python -m unrolled.experiments langid --tiny   # seconds; prints the results as JSON

Writes notebooks/results/langid.json (with every test prediction), which chapter 6 loads.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from unrolled.data import load_language_words
from unrolled.experiments.common import provenance, script, spread
from unrolled.naive_bayes import NaiveBayes

NAME = "langid"
LANGUAGES = ("en", "de", "fr", "es", "it")
SETTINGS: dict[str, Any] = {
    "n_per_language": 2000,
    "test_seed": 0,  # chapter 3's held-out fifth
    "dev_seed": 1,
    "nb_orders": [1, 2, 3, 4, 5],  # n-grams of length 1..N
    "nb_alphas": [0.01, 0.03, 0.1, 0.3, 1.0],
    "kinds": ["gru", "lstm"],
    "bidirectional": [False, True],
    "seeds": [0, 1, 2, 3, 4],
    "embed": 32,
    "hidden": 128,
    "dropout": 0.3,
    "batch": 32,
    "epochs": 30,
    "lr": 3e-3,
}
TINY = SETTINGS | {
    "n_per_language": 200,
    "nb_orders": [1, 2],
    "nb_alphas": [0.1, 1.0],
    "kinds": ["gru"],
    "bidirectional": [True],
    "seeds": [0, 1],
    "hidden": 16,
    "epochs": 2,
}
DECIMALS = 4


def splits(labels: np.ndarray, settings: dict[str, Any]) -> dict[str, np.ndarray]:
    """Word indices of "test" (chapter 3's fifth), "train" (the rest), "fit" and "dev" (a fifth
    of train)."""
    order = np.random.default_rng(settings["test_seed"]).permutation(len(labels))
    test, train = order[: len(labels) // 5], order[len(labels) // 5 :]
    shuffled = np.random.default_rng(settings["dev_seed"]).permutation(train)
    dev, fit = shuffled[: len(train) // 5], shuffled[len(train) // 5 :]
    return {"test": test, "train": train, "fit": fit, "dev": dev}


def ngrams(word: str, order: int) -> list[str]:
    """The character n-grams of "^word$" for n = 1..order ("^" and "$" mark the ends)."""
    padded = f"^{word}$"
    return [padded[i : i + n] for n in range(1, order + 1) for i in range(len(padded) - n + 1)]


def grams(words: list[str], order: int) -> list[list[str]]:
    """Each word's n-grams for n = 1..order: the documents naive Bayes classifies."""
    return [ngrams(word, order) for word in words]


class WordClassifier(torch.nn.Module):
    """Letter embeddings, a GRU or LSTM over the packed word, dropout, linear layer: (N, K)."""

    def __init__(self, kind: str, bidirectional: bool, n_letters: int, settings: dict) -> None:
        super().__init__()
        layer = {"gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[kind]
        self.embed = torch.nn.Embedding(n_letters + 1, settings["embed"], padding_idx=0)
        self.layer = layer(
            settings["embed"], settings["hidden"], batch_first=True, bidirectional=bidirectional
        )
        self.drop = torch.nn.Dropout(settings["dropout"])
        self.out = torch.nn.Linear(
            settings["hidden"] * (2 if bidirectional else 1), len(LANGUAGES)
        )

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """ids (N, T) padded with 0, lengths (N,) -> scores (N, K)."""
        packed = pack_padded_sequence(
            self.embed(ids), lengths, batch_first=True, enforce_sorted=False
        )
        _, state = self.layer(packed)
        h_n = state[0] if isinstance(state, tuple) else state  # (directions, N, H)
        return self.out(self.drop(torch.cat(list(h_n), dim=-1)))  # last state of each direction


def encode(words: list[str], letters: dict[str, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Letter ids (N, T) padded with 0 (letters are 1..), and the lengths (N,)."""
    lengths = torch.tensor([len(w) for w in words])
    ids = torch.zeros(len(words), int(lengths.max()), dtype=torch.long)
    for n, word in enumerate(words):
        ids[n, : len(word)] = torch.tensor([letters[c] for c in word])
    return ids, lengths


def train_network(
    config: dict,
    seed: int,
    words: list[str],
    labels: np.ndarray,
    train: np.ndarray,
    score: np.ndarray | None,
    epochs: int,
    letters: dict[str, int],
    settings: dict,
) -> tuple[WordClassifier, list[float]]:
    """Train on the words `train` for `epochs`; record the accuracy on `score` after each."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = WordClassifier(config["kind"], config["bidirectional"], len(letters), settings)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    curve = []
    for _ in range(epochs):
        model.train()
        for batch in np.array_split(rng.permutation(train), len(train) // settings["batch"]):
            ids, lengths = encode([words[i] for i in batch], letters)
            loss = torch.nn.functional.cross_entropy(
                model(ids, lengths), torch.from_numpy(labels[batch])
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        if score is not None:
            curve.append(
                float((predict(model, [words[i] for i in score], letters) == labels[score]).mean())
            )
    return model, curve


def predict(model: WordClassifier, words: list[str], letters: dict[str, int]) -> np.ndarray:
    """The most probable language of each word, shape (N,)."""
    model.eval()
    with torch.no_grad():
        return model(*encode(words, letters)).argmax(dim=-1).numpy()


def run(settings: dict[str, Any], log: bool = False) -> tuple[dict[str, Any], None]:
    """Baseline and network searches on dev; the chosen ones refitted and scored on test (no
    model is returned: the chapter needs only the numbers and predictions)."""
    start = time.perf_counter()
    words, labels, _ = load_language_words(LANGUAGES, settings["n_per_language"])
    idx = splits(labels, settings)
    pick = {name: [words[i] for i in index] for name, index in idx.items()}
    test_truth = labels[idx["test"]]

    nb_dev = {}
    for order, alpha in itertools.product(settings["nb_orders"], settings["nb_alphas"]):
        model = NaiveBayes(alpha).fit(grams(pick["fit"], order), labels[idx["fit"]])
        nb_dev[f"{order}:{alpha}"] = float(
            (model.predict(grams(pick["dev"], order)) == labels[idx["dev"]]).mean()
        )
    best_nb = max(nb_dev, key=nb_dev.get)
    order, alpha = int(best_nb.split(":")[0]), float(best_nb.split(":")[1])
    nb = NaiveBayes(alpha).fit(grams(pick["train"], order), labels[idx["train"]])
    nb_test = nb.predict(grams(pick["test"], order))
    untuned = NaiveBayes(1.0).fit(grams(pick["train"], 2), labels[idx["train"]])  # 1-, 2-grams
    if log:
        print(f"naive Bayes N={order} alpha={alpha}: test {(nb_test == test_truth).mean():.4f}")

    letters = {c: i + 1 for i, c in enumerate(sorted(set("".join(words))))}
    search = []
    for kind, bidirectional in itertools.product(settings["kinds"], settings["bidirectional"]):
        config = {"kind": kind, "bidirectional": bidirectional}
        curves = [
            train_network(
                config,
                s,
                words,
                labels,
                idx["fit"],
                idx["dev"],
                settings["epochs"],
                letters,
                settings,
            )[1]
            for s in settings["seeds"]
        ]
        median_curve = np.median(curves, axis=0)
        best = int(np.argmax(median_curve))
        search.append(
            config
            | {
                "dev_accuracy": [round(c[best], DECIMALS) for c in curves],
                "epochs": best + 1,
                "median_dev_curve": np.round(median_curve, DECIMALS).tolist(),
            }
        )
        if log:
            print(
                f"{kind} bidirectional={bidirectional}: dev {search[-1]['dev_accuracy']} "
                f"at epoch {best + 1}",
                flush=True,
            )
    chosen = max(search, key=lambda entry: float(np.median(entry["dev_accuracy"])))
    config = {"kind": chosen["kind"], "bidirectional": chosen["bidirectional"]}

    runs = []
    for seed in settings["seeds"]:
        model, _ = train_network(
            config, seed, words, labels, idx["train"], None, chosen["epochs"], letters, settings
        )
        prediction = predict(model, pick["test"], letters)
        runs.append(
            {
                "seed": seed,
                "accuracy": round(float((prediction == test_truth).mean()), DECIMALS),
                "predictions": prediction.tolist(),
            }
        )
    accuracy = [r["accuracy"] for r in runs]
    results = {
        "description": __doc__.splitlines()[0],
        "settings": settings,
        "languages": list(LANGUAGES),
        "test_words": pick["test"],
        "test_labels": test_truth.tolist(),
        "naive_bayes": {
            "order": order,
            "alpha": alpha,
            "dev_accuracy": nb_dev,
            "test_accuracy": round(float((nb_test == test_truth).mean()), DECIMALS),
            "test_predictions": nb_test.tolist(),
            "untuned_test_accuracy": round(
                float((untuned.predict(grams(pick["test"], 2)) == test_truth).mean()), DECIMALS
            ),
        },
        "search": search,
        "chosen": config | {"epochs": chosen["epochs"]},
        "rnn": {
            "parameters": sum(p.numel() for p in model.parameters()),
            "runs": runs,
            "test_accuracy": spread(accuracy),
        },
        **provenance(start),
    }
    return results, None


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
