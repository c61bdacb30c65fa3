"""Chapter 6's many-to-one task: critics' snippets, fresh or rotten, an LSTM against naive Bayes.

Is a film critic's one-sentence verdict positive? An LSTM reading the words is measured against
naive Bayes on bags of n-grams.

- Data: Rotten Tomatoes snippets (unrolled.data.load_movie_reviews), split by film: train for
  training, dev for every choice, test once for the reported numbers. Tokens from
  unrolled.text.tokenize (lower case, "n't" split off its verb).
- Baseline: multinomial naive Bayes (unrolled.naive_bayes) on the word n-grams, n = 1..N, with
  add-alpha smoothing, counting each n-gram once per snippet or every time ("binary"); N,
  alpha and binary chosen on dev. For reference, the untuned unigram model with alpha = 1.
- Word vectors: word2vec's CBOW with negative sampling (unrolled.cbow) trained on the
  training snippets only (never dev or test), one run with the fixed seed of `cbow`; its loss
  per epoch and the nearest neighbours of the `probes` are recorded.
- Network: word embeddings (train words seen at least `min_count` times; the others are
  <unk>), dropout, an LSTM read forwards or in both directions, the mean and the maximum of
  its states over the snippet's words (padding masked), dropout and a linear layer to the two
  classes. The embeddings start random ("random", N(0, 1), for each of `directions`) or from
  the CBOW vectors scaled to standard deviation 1 ("cbow", for each of `cbow_directions`);
  either way they are trained jointly with the rest. Adam at each learning rate of `lrs` for
  `epochs` epochs, the epoch kept by dev accuracy; the learning rate chosen by median dev
  accuracy over the seeds, for each network; the network with the best median is the book's.
  A seed gives the same LSTM and output layer, batches and dropout masks to both
  initialisations, so they differ only in the embeddings' starting point.
- Combined: the book's network of each seed, and the ensemble of the seeds, with naive Bayes,
  by a weighted product of their posteriors (unrolled.experiments.experts); the weight chosen
  on dev (which also chose the network's epoch and learning rate), the test scored once.

    python -m unrolled.experiments sentiment          # ~30 min on one core
    python -m unrolled.experiments sentiment --tiny   # seconds; prints the results as JSON

Writes notebooks/results/sentiment.json (with every test prediction) and the first seed's
chosen network, notebooks/results/sentiment.pt, which chapter 6 loads.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections import Counter
from typing import Any

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from unrolled.cbow import nearest, train_cbow
from unrolled.data import load_movie_reviews
from unrolled.experiments.common import provenance, script, spread
from unrolled.experiments.experts import accuracy, combine, ensemble_log_posterior, normalised
from unrolled.naive_bayes import NaiveBayes
from unrolled.text import tokenize, word_ngrams

NAME = "sentiment"
PAD, UNK = 0, 1  # word ids; real words start at 2
SETTINGS: dict[str, Any] = {
    "nb_orders": [1, 2, 3],
    "nb_alphas": [0.1, 0.3, 1.0],
    "nb_binary": [False, True],
    "min_count": 2,
    "embed": 64,
    "hidden": 64,  # per direction
    "dropout": 0.5,
    "batch": 32,
    "epochs": 10,
    "lrs": [1e-3, 3e-3],
    "max_norm": 5.0,
    "directions": [1, 2],  # embeddings initialised at random
    "cbow_directions": [2],  # embeddings initialised from CBOW (the direction that won alone)
    "cbow": {"window": 2, "negatives": 5, "epochs": 10, "lr": 3e-3, "batch": 256, "seed": 0},
    "probes": ["good", "bad", "funny", "boring", "not", "film"],
    "neighbours": 5,
    "seeds": [0, 1, 2],
    "train_reviews": None,  # None: all
    "weights": [
        0.0,
        0.05,
        0.1,
        0.15,
        0.2,
        0.3,
        0.4,
        0.5,
        0.6,
        0.7,
        0.8,
        0.9,
        1.0,
    ],  # of naive Bayes
}
TINY = SETTINGS | {
    "train_reviews": 300,
    "nb_orders": [1, 2],
    "nb_alphas": [1.0],
    "embed": 8,
    "hidden": 8,
    "epochs": 2,
    "lrs": [3e-3],
    "directions": [2],
    "cbow_directions": [2],
    "cbow": SETTINGS["cbow"] | {"epochs": 1},
    "probes": ["good", "film"],
    "seeds": [0, 1],
}
DECIMALS = 4


class Vocab:
    """Word ids: PAD 0, UNK 1, then the training words seen at least `min_count` times."""

    def __init__(self, documents: list[list[str]], min_count: int) -> None:
        counts = Counter(t for d in documents for t in d)
        self.words = sorted(w for w, c in counts.items() if c >= min_count)
        self.index = {w: i + 2 for i, w in enumerate(self.words)}

    def batch(self, documents: list[list[str]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Word ids (N, T) padded with PAD, and the lengths (N,) (an empty snippet is one UNK)."""
        ids = [[self.index.get(t, UNK) for t in d] or [UNK] for d in documents]
        lengths = torch.tensor([len(i) for i in ids])
        padded = torch.full((len(ids), int(lengths.max())), PAD)
        for n, row in enumerate(ids):
            padded[n, : len(row)] = torch.tensor(row)
        return padded, lengths


def masked_pool(h: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The mean and the maximum of each sequence's states over its real positions:
    h (N, T, F), lengths (N,) -> (N, 2F). Padded positions never count (they are excluded
    from the sum and set to -inf before the maximum)."""
    real = (torch.arange(h.shape[1])[None, :] < lengths[:, None]).unsqueeze(2)  # (N, T, 1)
    mean = torch.where(real, h, 0.0).sum(dim=1) / lengths[:, None]
    maximum = torch.where(real, h, -torch.inf).amax(dim=1)
    return torch.cat([mean, maximum], dim=1)


class ReviewClassifier(torch.nn.Module):
    """Embedding, dropout, LSTM (one or two directions), masked mean and max over the words,
    dropout, linear layer: word ids (N, T) and lengths (N,) -> class scores (N, 2)."""

    def __init__(self, vocab_size: int, directions: int, settings: dict[str, Any]) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(vocab_size, settings["embed"], padding_idx=PAD)
        self.lstm = torch.nn.LSTM(
            settings["embed"],
            settings["hidden"],
            batch_first=True,
            bidirectional=directions == 2,
        )
        self.drop = torch.nn.Dropout(settings["dropout"])
        self.out = torch.nn.Linear(2 * directions * settings["hidden"], 2)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(
            self.drop(self.embed(ids)), lengths, batch_first=True, enforce_sorted=False
        )
        h, _ = pad_packed_sequence(self.lstm(packed)[0], batch_first=True)  # (N, T, F)
        return self.out(self.drop(masked_pool(h, lengths)))


def network_key(directions: int, init: str) -> str:
    """A network's key in the results: "1" and "2" (random embeddings), "2-cbow" (CBOW)."""
    return str(directions) if init == "random" else f"{directions}-{init}"


def log_posterior(model: ReviewClassifier, vocab: Vocab, documents: list[list[str]]) -> np.ndarray:
    """log p(class | document) of every document, (N, 2), in batches of 256."""
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(documents), 256):
            ids, lengths = vocab.batch(documents[start : start + 256])
            out.append(torch.log_softmax(model(ids, lengths), dim=1).numpy())
    return np.concatenate(out)


def predict(model: ReviewClassifier, vocab: Vocab, documents: list[list[str]]) -> np.ndarray:
    """The predicted class of every document, (N,)."""
    return log_posterior(model, vocab, documents).argmax(axis=1)


def train(
    directions: int,
    lr: float,
    seed: int,
    vocab: Vocab,
    data: dict[str, tuple[list[list[str]], np.ndarray]],
    settings: dict[str, Any],
    embeddings: torch.Tensor | None = None,
) -> tuple[ReviewClassifier, list[dict[str, float]]]:
    """Train one classifier on data["train"], its embedding layer initialised at random or
    from `embeddings` (V + 2, E); keep the epoch with the best dev accuracy."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    documents, labels = data["train"]
    model = ReviewClassifier(len(vocab.words) + 2, directions, settings)
    if embeddings is not None:
        with torch.no_grad():
            model.embed.weight.copy_(embeddings)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    best, curve = None, []
    for epoch in range(1, settings["epochs"] + 1):
        model.train()
        losses = []
        order = rng.permutation(len(documents))
        for start in range(0, len(order), settings["batch"]):
            batch = order[start : start + settings["batch"]]
            ids, lengths = vocab.batch([documents[i] for i in batch])
            loss = torch.nn.functional.cross_entropy(
                model(ids, lengths), torch.from_numpy(labels[batch])
            )
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), settings["max_norm"])
            optimizer.step()
            losses.append(loss.item())
        dev = accuracy(predict(model, vocab, data["dev"][0]), data["dev"][1])
        curve.append(
            {"epoch": epoch, "train_loss": round(float(np.mean(losses)), DECIMALS), "dev": dev}
        )
        if best is None or dev > best[0]:
            best = (dev, copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[1])
    model.eval()
    return model, curve


def load_data(settings: dict[str, Any]) -> dict[str, tuple[list[list[str]], np.ndarray]]:
    """Tokens and labels of every split (train cut to `train_reviews` if set)."""
    data = {}
    for split in ("train", "dev", "test"):
        reviews = load_movie_reviews(split)
        if split == "train":
            reviews = reviews[: settings["train_reviews"]]
        data[split] = ([tokenize(r.text) for r in reviews], np.array([r.fresh for r in reviews]))
    return data


def features(documents: list[list[str]], order: int, binary: bool) -> list[list[str]]:
    """Each document's word n-grams for naive Bayes, each distinct one once if `binary`."""
    grams = [word_ngrams(d, order) for d in documents]
    return [list(dict.fromkeys(g)) for g in grams] if binary else grams


def naive_bayes(
    data: dict[str, tuple[list[list[str]], np.ndarray]], settings: dict[str, Any]
) -> tuple[dict[str, Any], NaiveBayes]:
    """The search on dev, then the chosen model's test accuracy and predictions; and the model."""
    (train_docs, train_y), (dev_docs, dev_y) = data["train"], data["dev"]
    dev = {}
    for order, alpha, binary in itertools.product(
        settings["nb_orders"], settings["nb_alphas"], settings["nb_binary"]
    ):
        model = NaiveBayes(alpha).fit(features(train_docs, order, binary), train_y)
        dev[f"{order}:{alpha}:{binary}"] = accuracy(
            model.predict(features(dev_docs, order, binary)), dev_y
        )
    key = max(dev, key=dev.get)
    order, alpha, binary = int(key.split(":")[0]), float(key.split(":")[1]), "True" in key
    test_docs, test_y = data["test"]
    chosen = NaiveBayes(alpha).fit(features(train_docs, order, binary), train_y)
    predictions = chosen.predict(features(test_docs, order, binary))
    untuned = NaiveBayes(1.0).fit(features(train_docs, 1, False), train_y)
    return {
        "order": order,
        "alpha": alpha,
        "binary": binary,
        "dev_accuracy": dev,
        "test_accuracy": accuracy(predictions, test_y),
        "test_predictions": predictions.tolist(),
        "untuned_test_accuracy": accuracy(untuned.predict(features(test_docs, 1, False)), test_y),
    }, chosen


def combination(
    models: dict[int, ReviewClassifier],
    vocab: Vocab,
    nb: NaiveBayes,
    nb_choice: dict[str, Any],
    data: dict[str, tuple[list[list[str]], np.ndarray]],
    weights: list[float],
) -> dict[str, Any]:
    """Each seed's network (models: seed -> network) and their ensemble combined with naive
    Bayes by a weighted product of posteriors (unrolled.experiments.experts), the weight chosen
    on dev for each (ties to the smaller); the dev curves and the test accuracies."""
    bayes, posteriors, networks = {}, {}, {}
    truth = {part: data[part][1] for part in ("dev", "test")}
    for part in ("dev", "test"):
        grams = features(data[part][0], nb_choice["order"], nb_choice["binary"])
        bayes[part] = normalised(np.stack([nb.log_posterior(g) for g in grams]))  # (N, 2)
        posteriors[part] = np.stack(
            [log_posterior(m, vocab, data[part][0]) for m in models.values()]
        )  # (seeds, N, 2)
    names = [*map(str, models), "ensemble"]
    for i, name in enumerate(names):
        network = {
            part: ensemble_log_posterior(p) if name == "ensemble" else p[i]
            for part, p in posteriors.items()
        }
        networks[name] = combine(network, bayes, truth, weights)
    singles = [networks[name]["test_accuracy"] for name in names[:-1]]
    return {"networks": networks, "test_accuracy": spread(singles)}


def word_vectors(
    documents: list[list[str]], vocab: Vocab, settings: dict[str, Any]
) -> tuple[torch.Tensor, dict[str, Any]]:
    """CBOW vectors of the vocabulary trained on `documents` (the training snippets), scaled to
    standard deviation 1 like a random embedding layer, and their record: the loss per epoch
    and the nearest neighbours of each probe word in the vocabulary."""
    start = time.perf_counter()
    vectors, losses = train_cbow(documents, vocab.words, dim=settings["embed"], **settings["cbow"])
    probes = [w for w in settings["probes"] if w in vocab.index]
    record = {
        "tokens": sum(map(len, documents)),
        "losses": [round(x, DECIMALS) for x in losses],
        "nearest": {w: nearest(vectors, vocab.words, w, settings["neighbours"]) for w in probes},
        "seconds": round(time.perf_counter() - start),
    }
    return vectors / vectors[2:].std(), record


def load_model(checkpoint, results: dict[str, Any]) -> tuple[ReviewClassifier, Vocab]:
    """The chosen network of the first seed from a checkpoint of the full run, with its vocab."""
    settings = results["settings"]
    vocab = Vocab(load_data(settings)["train"][0], settings["min_count"])
    model = ReviewClassifier(len(vocab.words) + 2, results["chosen"]["directions"], settings)
    model.load_state_dict(torch.load(checkpoint, weights_only=True))
    model.eval()
    return model, vocab


def run(settings: dict[str, Any], log: bool = False) -> tuple[dict[str, Any], torch.nn.Module]:
    """Naive Bayes and the networks searched on dev; each chosen one scored on test once."""
    start = time.perf_counter()
    data = load_data(settings)
    nb, nb_model = naive_bayes(data, settings)
    if log:
        print(f"naive Bayes {nb['order']}:{nb['alpha']}:{nb['binary']}", flush=True)
    vocab = Vocab(data["train"][0], settings["min_count"])
    vectors, cbow = word_vectors(data["train"][0], vocab, settings)
    if log:
        print(f"CBOW losses {cbow['losses']}, {cbow['seconds']} s", flush=True)
    networks, models = {}, {}
    variants = [(d, "random") for d in settings["directions"]]
    variants += [(d, "cbow") for d in settings["cbow_directions"]]
    for directions, init in variants:
        key = network_key(directions, init)
        search = {}
        for lr in settings["lrs"]:
            trained = [
                train(
                    directions, lr, s, vocab, data, settings, vectors if init == "cbow" else None
                )
                for s in settings["seeds"]
            ]
            search[str(lr)] = {
                "models": [m for m, _ in trained],
                "curves": [c for _, c in trained],
                "dev": [max(p["dev"] for p in c) for _, c in trained],
            }
            if log:
                print(f"{key}, lr {lr}: dev {search[str(lr)]['dev']}", flush=True)
        lr = max(search, key=lambda k: float(np.median(search[k]["dev"])))
        predictions = [predict(m, vocab, data["test"][0]) for m in search[lr]["models"]]
        tests = [accuracy(p, data["test"][1]) for p in predictions]
        networks[key] = {
            "directions": directions,
            "embeddings": init,
            "parameters": sum(p.numel() for p in search[lr]["models"][0].parameters()),
            "lr": float(lr),
            "search": {k: {"dev": v["dev"], "curves": v["curves"]} for k, v in search.items()},
            "dev": spread(search[lr]["dev"]),
            "test": tests,
            "test_accuracy": spread(tests),
            "test_predictions": [p.tolist() for p in predictions],
        }
        models[key] = dict(zip(settings["seeds"], search[lr]["models"], strict=True))
    key = max(networks, key=lambda k: networks[k]["dev"]["median"])  # first of equals
    combined_with_nb = combination(models[key], vocab, nb_model, nb, data, settings["weights"])
    return {
        "description": __doc__.splitlines()[0],
        "settings": settings,
        "sizes": {split: len(data[split][0]) for split in data} | {"words": len(vocab.words)},
        "test_labels": data["test"][1].tolist(),
        "majority_test_accuracy": accuracy(
            np.full(len(data["test"][1]), int(data["train"][1].mean() > 0.5)), data["test"][1]
        ),
        "naive_bayes": nb,
        "cbow": cbow,
        "networks": networks,
        "chosen": {
            "network": key,
            "directions": networks[key]["directions"],
            "embeddings": networks[key]["embeddings"],
        },
        "combined": combined_with_nb,
        **provenance(start),
    }, models[key][settings["seeds"][0]]


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
