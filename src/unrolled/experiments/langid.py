"""Chapter 6's classifier: the language of a word, a gated recurrent network against naive Bayes.

The task and the held-out words are chapter 3's: the 2,000 most frequent words of English,
German, French, Spanish and Italian (`wordfreq`, words in two lists dropped), a fixed random
fifth held out as the test set. A fifth of the remaining words is the development set on which
every choice is made; the chosen models are then refitted on all the training words and score
the test words once.

- Baseline: multinomial naive Bayes on the character n-grams of "^word$" for n = 1..N, with
  add-alpha smoothing; N and alpha chosen on dev. For reference, the untuned N = 2, alpha = 1
  (close to chapter 3's bigram model, which also smoothed over unseen pairs of letters).
- Discriminative network: letter embeddings, a GRU or LSTM (one or both directions) read over
  the packed word, dropout and a linear layer on the final state(s), trained with Adam on
  mini-batches to give p(language | word). The kind, direction and epoch count are chosen by
  the median development accuracy over seeds.
- Generative network: one LSTM language model of letters for all languages, told the language
  by an embedding fed at every step, gives log p(word | language) letter by letter; Bayes' rule
  with the training frequencies of the languages classifies (naive Bayes's rule without its
  independence assumption). Width and dropout are chosen on dev; it trains for a fixed number
  of epochs with the learning rate decaying linearly to zero.
- Ensembles: the average of the predicted probabilities of several seeds' models. The chosen
  generative network is trained with 3 x (number of seeds) seeds, so that its ensembles of
  that many models are reported with a median and range too.

    python -m unrolled.experiments langid          # ~80 min on one core
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
from unrolled.experiments.experts import accuracy, ensemble_log_posterior
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
    "generative": {
        "hidden": [128, 256],
        "dropout": [0.3, 0.5],
        "embed": 32,
        "language_embed": 32,
        "epochs": 30,
        "lr": 3e-3,
        "max_norm": 1.0,
        "ensembles": 3,  # of len(seeds) models each, on the test words
    },
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
    "generative": SETTINGS["generative"]
    | {"hidden": [16], "dropout": [0.3], "epochs": 2, "ensembles": 2},
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


def log_posterior(model: WordClassifier, words: list[str], letters: dict[str, int]) -> np.ndarray:
    """log p(language | word) of each word, shape (N, K)."""
    model.eval()
    with torch.no_grad():
        return torch.log_softmax(model(*encode(words, letters)), dim=-1).numpy()


def predict(model: WordClassifier, words: list[str], letters: dict[str, int]) -> np.ndarray:
    """The most probable language of each word, shape (N,)."""
    return log_posterior(model, words, letters).argmax(axis=-1)


class LetterLM(torch.nn.Module):
    """A language model of letters conditioned on the language: (N, T) ids -> (N, T, V) scores.

    Input at step t: the embedding of letter t - 1 (the boundary symbol 1 at t = 1) next to the
    embedding of the language; an LSTM, dropout on its input and output, a linear read-out over
    the letters and the boundary symbol, which ends the word. V = number of letters + 2.
    """

    def __init__(self, n_letters: int, n_languages: int, hidden: int, dropout: float, cfg: dict):
        super().__init__()
        self.embed = torch.nn.Embedding(n_letters + 2, cfg["embed"], padding_idx=0)
        self.language = torch.nn.Embedding(n_languages, cfg["language_embed"])
        self.layer = torch.nn.LSTM(cfg["embed"] + cfg["language_embed"], hidden, batch_first=True)
        self.drop = torch.nn.Dropout(dropout)
        self.out = torch.nn.Linear(hidden, n_letters + 2)

    def forward(self, inputs: torch.Tensor, language: torch.Tensor) -> torch.Tensor:
        """inputs (N, T) ids, language (N,) -> scores (N, T, V) of the next symbol."""
        told = self.language(language)[:, None, :].expand(-1, inputs.shape[1], -1)
        states, _ = self.layer(self.drop(torch.cat([self.embed(inputs), told], dim=-1)))
        return self.out(self.drop(states))


def letter_targets(words: list[str], letters: dict[str, int]) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets (N, T + 1) of the letter model: "^word" -> "word$", where the
    boundary ^ = $ is id 1, letters are shifted to 2.., and 0 pads."""
    steps = max(len(w) for w in words) + 1
    inputs = torch.zeros(len(words), steps, dtype=torch.long)
    targets = torch.zeros(len(words), steps, dtype=torch.long)
    for n, word in enumerate(words):
        ids = [letters[c] + 1 for c in word]
        inputs[n, : len(ids) + 1] = torch.tensor([1, *ids])
        targets[n, : len(ids) + 1] = torch.tensor([*ids, 1])
    return inputs, targets


def word_log_likelihoods(
    model: LetterLM, words: list[str], letters: dict[str, int], n_languages: int
) -> np.ndarray:
    """log p(word | language) = sum_t log p(letter_t | letters before, language): (N, K)."""
    model.eval()
    inputs, targets = letter_targets(words, letters)
    columns = []
    with torch.no_grad():
        for k in range(n_languages):
            scores = model(inputs, torch.full((len(words),), k))
            per_step = torch.log_softmax(scores, -1).gather(-1, targets[..., None])[..., 0]
            columns.append((per_step * (targets > 0)).sum(dim=1))
    return torch.stack(columns, dim=1).numpy()


def bayes_log_posterior(log_likelihoods: np.ndarray, log_prior: np.ndarray) -> np.ndarray:
    """Bayes' rule: log p(k | word) = log p(word | k) + log p(k) - log p(word), (N, K)."""
    joint = log_likelihoods + log_prior
    return joint - np.logaddexp.reduce(joint, axis=1, keepdims=True)


def train_letter_model(
    seed: int,
    words: list[str],
    labels: np.ndarray,
    train: np.ndarray,
    hidden: int,
    dropout: float,
    letters: dict[str, int],
    settings: dict,
) -> LetterLM:
    """Train the letter model on the words `train` with their languages (mean negative
    log-likelihood per symbol), the learning rate decaying linearly to zero."""
    cfg = settings["generative"]
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = LetterLM(len(letters), len(LANGUAGES), hidden, dropout, cfg)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    batches = len(train) // settings["batch"]
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: 1 - step / (cfg["epochs"] * batches)
    )
    for _ in range(cfg["epochs"]):
        model.train()
        for batch in np.array_split(rng.permutation(train), batches):
            inputs, targets = letter_targets([words[i] for i in batch], letters)
            scores = model(inputs, torch.from_numpy(labels[batch]))
            loss = torch.nn.functional.cross_entropy(
                scores.flatten(0, 1), targets.flatten(), ignore_index=0
            )
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["max_norm"])
            optimizer.step()
            schedule.step()
    return model


def generative_log_posteriors(
    seeds: list[int],
    config: dict,
    words: list[str],
    labels: np.ndarray,
    train: np.ndarray,
    score: list[str],
    letters: dict[str, int],
    settings: dict,
) -> np.ndarray:
    """log p(language | word) of the words `score` under letter models trained on `train`, one
    per seed: (seeds, N, K)."""
    counts = np.bincount(labels[train], minlength=len(LANGUAGES))
    log_prior = np.log(counts / counts.sum())
    return np.stack(
        [
            bayes_log_posterior(
                word_log_likelihoods(
                    train_letter_model(
                        seed, words, labels, train, **config, letters=letters, settings=settings
                    ),
                    score,
                    letters,
                    len(LANGUAGES),
                ),
                log_prior,
            )
            for seed in seeds
        ]
    )


def ensemble_predict(log_posteriors: np.ndarray) -> np.ndarray:
    """The language of highest mean probability over the models: (models, N, K) -> (N,)."""
    return ensemble_log_posterior(log_posteriors).argmax(axis=-1)


def alphabet(words: list[str]) -> dict[str, int]:
    """Letter ids 1.. of every letter in the words, in sorted order (0 is padding)."""
    return {c: i + 1 for i, c in enumerate(sorted(set("".join(words))))}


def generative_experiment(
    words: list[str],
    labels: np.ndarray,
    idx: dict[str, np.ndarray],
    letters: dict[str, int],
    settings: dict[str, Any],
    log: bool,
) -> dict[str, Any]:
    """The letter models: width and dropout chosen on dev by the median over the seeds; the
    choice retrained on all training words with 3 x len(seeds) seeds, scored once on test as
    single models (the first len(seeds)) and as ensembles of len(seeds) models each."""
    cfg, seeds = settings["generative"], settings["seeds"]
    dev_words = [words[i] for i in idx["dev"]]
    search = []
    for hidden, dropout in itertools.product(cfg["hidden"], cfg["dropout"]):
        config = {"hidden": hidden, "dropout": dropout}
        posteriors = generative_log_posteriors(
            seeds, config, words, labels, idx["fit"], dev_words, letters, settings
        )
        truth = labels[idx["dev"]]
        search.append(
            config
            | {
                "dev_accuracy": [accuracy(p.argmax(-1), truth) for p in posteriors],
                "dev_ensemble_accuracy": accuracy(ensemble_predict(posteriors), truth),
            }
        )
        if log:
            print(f"letter model {config}: dev {search[-1]['dev_accuracy']}", flush=True)
    chosen = max(search, key=lambda entry: float(np.median(entry["dev_accuracy"])))
    config = {"hidden": chosen["hidden"], "dropout": chosen["dropout"]}
    all_seeds = list(range(cfg["ensembles"] * len(seeds)))
    test_words, truth = [words[i] for i in idx["test"]], labels[idx["test"]]
    posteriors = generative_log_posteriors(
        all_seeds, config, words, labels, idx["train"], test_words, letters, settings
    )
    singles = [p.argmax(-1) for p in posteriors[: len(seeds)]]
    groups = [posteriors[i : i + len(seeds)] for i in range(0, len(all_seeds), len(seeds))]
    ensembles = [ensemble_predict(group) for group in groups]
    return {
        "search": search,
        "chosen": chosen,
        "parameters": sum(
            p.numel()
            for p in LetterLM(len(letters), len(LANGUAGES), **config, cfg=cfg).parameters()
        ),
        "runs": [
            {"seed": seed, "accuracy": accuracy(p, truth), "predictions": p.tolist()}
            for seed, p in zip(seeds, singles, strict=True)
        ],
        "test_accuracy": spread([accuracy(p, truth) for p in singles]),
        "ensembles": [
            {
                "seeds": [all_seeds[i] for i in range(g * len(seeds), (g + 1) * len(seeds))],
                "accuracy": accuracy(p, truth),
                "predictions": p.tolist(),
            }
            for g, p in enumerate(ensembles)
        ],
        "ensemble_test_accuracy": spread([accuracy(p, truth) for p in ensembles]),
    }


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

    letters = alphabet(words)
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

    runs, test_posteriors = [], []
    for seed in settings["seeds"]:
        model, _ = train_network(
            config, seed, words, labels, idx["train"], None, chosen["epochs"], letters, settings
        )
        test_posteriors.append(log_posterior(model, pick["test"], letters))
        prediction = test_posteriors[-1].argmax(axis=-1)
        runs.append(
            {
                "seed": seed,
                "accuracy": accuracy(prediction, test_truth),
                "predictions": prediction.tolist(),
            }
        )
    generative = generative_experiment(words, labels, idx, letters, settings, log)
    test_accuracies = [r["accuracy"] for r in runs]
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
            "test_accuracy": accuracy(nb_test, test_truth),
            "test_predictions": nb_test.tolist(),
            "untuned_test_accuracy": accuracy(untuned.predict(grams(pick["test"], 2)), test_truth),
        },
        "search": search,
        "chosen": config | {"epochs": chosen["epochs"]},
        "rnn": {
            "parameters": sum(p.numel() for p in model.parameters()),
            "runs": runs,
            "test_accuracy": spread(test_accuracies),
            "ensemble_test_accuracy": accuracy(
                ensemble_predict(np.stack(test_posteriors)), test_truth
            ),
        },
        "generative": generative,
        "best_on_dev": (
            "generative"
            if np.median(generative["chosen"]["dev_accuracy"]) > np.median(chosen["dev_accuracy"])
            else "discriminative"
        ),
        **provenance(start),
    }
    return results, None


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
