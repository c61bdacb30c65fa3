"""Sentiment (chapter 6): the reviews' split by film, the text pipeline, masked pooling, the
experiment's committed results, tiny re-run and checkpoint, and the network combined with naive
Bayes."""

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from results_check import assert_tiny_rerun_close

from unrolled.data import REVIEW_SPLITS, load_movie_reviews
from unrolled.experiments import scoreboard, sentiment
from unrolled.experiments.common import dumps, load_results, spread
from unrolled.experiments.experts import chosen_weight
from unrolled.text import most_frequent, normalize, tokenize, word_ngrams

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "notebooks" / "results"

# --- data ----------------------------------------------------------------------------------


def test_no_film_is_in_two_splits_and_every_label_is_binary():
    films = {s: {r.film for r in load_movie_reviews(s)} for s in REVIEW_SPLITS}
    assert not films["train"] & films["dev"] and not films["train"] & films["test"]
    assert not films["dev"] & films["test"]
    assert len(films["dev"]) == len(films["test"]) == sum(map(len, films.values())) // 10
    for split in REVIEW_SPLITS:
        reviews = load_movie_reviews(split)
        assert {r.fresh for r in reviews} == {0, 1} and all(r.text for r in reviews)


def test_an_unknown_split_is_named():
    with pytest.raises(ValueError, match=r"split: expected one of .*, received 'valid'"):
        load_movie_reviews("valid")


# --- text ----------------------------------------------------------------------------------


def test_tokens_split_negations_and_keep_marks():
    assert tokenize("It isn\u2019t  BAD!") == ["it", "is", "n't", "bad", "!"]
    assert tokenize("Can't, won't? 3D") == ["ca", "n't", "wo", "n't", "?", "3d"]
    assert tokenize("the film's end") == ["the", "film's", "end"]
    assert normalize("\ufb01ne\u00a0  Film") == "fine film"  # NFKC: the ligature, the space


def test_ngrams_are_every_run_of_consecutive_tokens():
    assert word_ngrams(["not", "bad", "at", "all"], 2) == [
        *["not", "bad", "at", "all"],
        *["not bad", "bad at", "at all"],
    ]
    assert word_ngrams(["a"], 3) == ["a"] and word_ngrams([], 2) == []
    with pytest.raises(ValueError, match="order: expected an int >= 1, received 0"):
        word_ngrams(["a"], 0)


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="text: expected a str, received a list"):
        tokenize(["not", "a", "string"])


def test_stop_words_are_the_most_frequent_tokens():
    assert most_frequent([["a", "b", "a"], ["c", "a", "b"]], 2) == ["a", "b"]


# --- masked pooling ------------------------------------------------------------------------


def test_masked_pool_ignores_whatever_the_padding_holds():
    torch.manual_seed(0)
    h = -torch.rand(3, 5, 4)  # all negative: a zero in the padding would win the maximum
    lengths = torch.tensor([5, 2, 1])
    poisoned = h.clone()
    for n, length in enumerate(lengths):
        poisoned[n, length:] = torch.nan if n == 1 else 1e6
    pooled = sentiment.masked_pool(poisoned, lengths)
    for n, length in enumerate(lengths):
        real = h[n, :length]
        assert torch.equal(pooled[n, :4], real.sum(dim=0) / length)
        assert torch.equal(pooled[n, 4:], real.max(dim=0).values)


def test_a_classifiers_scores_do_not_depend_on_padding():
    vocab = sentiment.Vocab([["good", "film"], ["bad", "film"], ["good"]], min_count=1)
    model = sentiment.ReviewClassifier(len(vocab.words) + 2, 2, sentiment.TINY).eval()
    alone = model(*vocab.batch([["good", "film"]]))
    ids, lengths = vocab.batch([["good", "film"], ["bad", "film", "good", "good", "bad"]])
    with torch.no_grad():
        assert torch.allclose(model(ids, lengths)[:1], alone, atol=1e-6)


# --- the experiment ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS / "sentiment.json")


def test_tiny_configuration_reproduces_its_committed_results(results):
    assert_tiny_rerun_close("sentiment", results["tiny"])


def test_the_checkpoint_reproduces_the_first_seeds_test_predictions(results):
    model, vocab = sentiment.load_model(RESULTS / "sentiment.pt", results)
    documents = sentiment.load_data(results["settings"])["test"][0]
    chosen = results["networks"][results["chosen"]["network"]]
    predicted = sentiment.predict(model, vocab, documents)
    assert np.array_equal(predicted, chosen["test_predictions"][0])


def test_committed_accuracies_are_those_of_the_committed_predictions(results):
    labels = np.array(results["test_labels"])
    nb = results["naive_bayes"]
    assert nb["test_accuracy"] == round(float(np.mean(nb["test_predictions"] == labels)), 4)
    for network in results["networks"].values():
        for accuracy, predictions in zip(
            network["test"], network["test_predictions"], strict=True
        ):
            assert accuracy == round(float(np.mean(predictions == labels)), 4)


def test_results_file_is_canonical_with_the_code_settings_and_every_seed(results):
    assert (RESULTS / "sentiment.json").read_text() == dumps(results)
    assert results["settings"] == json.loads(json.dumps(sentiment.SETTINGS))
    assert results["tiny"]["settings"] == json.loads(json.dumps(sentiment.TINY))
    for network in results["networks"].values():
        assert len(network["test"]) == len(results["settings"]["seeds"]) >= 3
        assert network["test_accuracy"] == spread(network["test"])
        chosen = network["search"][str(network["lr"])]["dev"]
        assert network["dev"] == spread(chosen)
        best_lr = max(network["search"], key=lambda k: np.median(network["search"][k]["dev"]))
        assert float(best_lr) == network["lr"]  # the learning rate was chosen on dev


def test_every_network_of_the_settings_is_reported_and_the_best_on_dev_is_chosen(results):
    settings, networks = results["settings"], results["networks"]
    expected = [(d, "random") for d in settings["directions"]]
    expected += [(d, "cbow") for d in settings["cbow_directions"]]
    assert [(n["directions"], n["embeddings"]) for n in networks.values()] == sorted(
        expected, key=lambda v: sentiment.network_key(*v)
    )
    assert all(key == sentiment.network_key(n["directions"], n["embeddings"])
               for key, n in networks.items())  # fmt: skip
    best = max(n["dev"]["median"] for n in networks.values())
    chosen = networks[results["chosen"]["network"]]
    assert chosen["dev"]["median"] == best
    assert results["chosen"] == {
        "network": results["chosen"]["network"],
        "directions": chosen["directions"],
        "embeddings": chosen["embeddings"],
    }
    assert settings["cbow_directions"] and "1" in networks and "2" in networks  # both kinds


# --- CBOW vectors --------------------------------------------------------------------------


def test_cbow_read_the_training_snippets_only(results):
    train = sentiment.load_data(results["settings"])["train"][0]
    assert results["cbow"]["tokens"] == sum(map(len, train))


def test_cbow_record_has_its_loss_curve_and_neighbours(results):
    cbow, settings = results["cbow"], results["settings"]
    assert len(cbow["losses"]) == settings["cbow"]["epochs"]
    assert all(a > b for a, b in itertools.pairwise(cbow["losses"]))  # it learnt
    assert list(cbow["nearest"]) == sorted(settings["probes"])  # every probe is a known word
    for probe, neighbours in cbow["nearest"].items():
        assert len(neighbours) == settings["neighbours"]
        assert probe not in [w for w, _ in neighbours]
        similarities = [s for _, s in neighbours]
        assert similarities == sorted(similarities, reverse=True) and -1 <= min(similarities)


def test_cbow_vectors_are_aligned_with_the_vocabulary_and_scaled():
    documents = [["a", "good", "film"], ["a", "bad", "film"], ["good", "good"], ["rare"]]
    vocab = sentiment.Vocab(documents, min_count=2)
    vectors, record = sentiment.word_vectors(documents, vocab, sentiment.TINY)
    assert vectors.shape == (len(vocab.words) + 2, sentiment.TINY["embed"])
    assert not vectors[sentiment.PAD].any()
    assert vectors[2:].std().item() == pytest.approx(1.0)
    assert record["tokens"] == 9 and list(record["nearest"]) == ["good", "film"]
    model, _ = sentiment.train(
        2, 1e-3, 0, vocab, {"train": (documents, np.array([1, 0, 1, 0])),
                            "dev": (documents, np.array([1, 0, 1, 0]))},
        sentiment.TINY | {"epochs": 1}, vectors,
    )  # fmt: skip
    assert not torch.equal(model.embed.weight, vectors)  # fine-tuned from the CBOW vectors
    assert torch.allclose(model.embed.weight, vectors, atol=0.05)


# --- the network and naive Bayes combined ----------------------------------------------------


def test_log_posterior_is_normalised_and_predict_is_its_argmax():
    vocab = sentiment.Vocab([["good", "film"], ["bad", "film"], ["good"]], min_count=1)
    model = sentiment.ReviewClassifier(len(vocab.words) + 2, 2, sentiment.TINY)
    documents = [["good", "film"], ["bad"], ["film", "unseen", "good"]]
    log_p = sentiment.log_posterior(model, vocab, documents)
    assert log_p.shape == (3, 2)
    assert np.allclose(np.exp(log_p).sum(axis=1), 1.0)
    assert np.array_equal(sentiment.predict(model, vocab, documents), log_p.argmax(axis=1))


def test_the_combination_is_of_the_chosen_networks_and_naive_bayes_chosen_on_dev(results):
    """At a = 0 each seed's network alone (its best dev accuracy, the epoch it kept), at a = 1
    naive Bayes alone; the weight is the dev curve's first maximum; the summary is of every
    seed."""
    product, weights = results["combined"], results["settings"]["weights"]
    assert weights[0] == 0.0 and weights[-1] == 1.0  # both experts alone are on the grid
    network = results["networks"][results["chosen"]["network"]]
    nb = results["naive_bayes"]
    nb_dev = nb["dev_accuracy"][f"{nb['order']}:{nb['alpha']}:{nb['binary']}"]
    seeds = [str(s) for s in results["settings"]["seeds"]]
    assert list(product["networks"]) == [*seeds, "ensemble"]
    dev_best = network["search"][str(network["lr"])]["dev"]
    assert [product["networks"][s]["dev_accuracy"][0] for s in seeds] == dev_best
    for entry in product["networks"].values():
        assert entry["weight"] == chosen_weight(entry["dev_accuracy"], weights)
        assert entry["dev_accuracy"][-1] == nb_dev
    assert product["test_accuracy"] == spread(
        [product["networks"][s]["test_accuracy"] for s in seeds]
    )


def test_the_scoreboard_shows_the_combination_beside_the_network(results):
    singles, ensemble = scoreboard.sentiment_entry(results, RESULTS)["combined"]
    summary = results["combined"]["test_accuracy"]
    assert singles["value"] == summary["median"]
    assert singles["range"] == [summary["min"], summary["max"]]
    assert ensemble["value"] == results["combined"]["networks"]["ensemble"]["test_accuracy"]
