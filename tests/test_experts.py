"""unrolled.experiments.experts: two classifiers' posteriors combined by a weighted product,
the weight chosen on dev."""

import numpy as np
import pytest

from unrolled.experiments import langid
from unrolled.experiments.experts import (
    accuracy,
    chosen_weight,
    combine,
    combined,
    dev_curve,
    ensemble_log_posterior,
    normalised,
)


def test_normalised_rows_are_log_probabilities_with_the_same_order():
    joint = np.log(np.array([[1.0, 3.0], [2.0, 2.0], [0.5, 0.1]])) - 7.0
    posterior = normalised(joint)
    assert np.allclose(np.exp(posterior).sum(axis=1), 1.0)
    assert np.allclose(np.exp(posterior[0]), [0.25, 0.75])
    assert np.array_equal(posterior.argmax(-1), joint.argmax(-1))


def test_the_weight_moves_the_decision_from_the_network_to_naive_bayes():
    network = np.log(np.array([[0.7, 0.3], [0.4, 0.6], [0.5, 0.5]]))
    bayes = np.log(np.array([[0.1, 0.9], [0.45, 0.55], [0.5, 0.5]]))
    assert combined(network, bayes, 0.0).tolist() == [0, 1, 0]  # the network alone; a tie -> 0
    assert combined(network, bayes, 1.0).tolist() == [1, 1, 0]  # naive Bayes alone
    # word 0 at weight a: (1 - a) log 0.7/0.3 = a log 9, the switch at a = 0.278
    assert combined(network, bayes, 0.27)[0] == 0
    assert combined(network, bayes, 0.29)[0] == 1


def test_the_ensemble_averages_probabilities_as_langid_does():
    rng = np.random.default_rng(0)
    logs = np.stack([normalised(rng.normal(size=(6, 5))) for _ in range(4)])  # (models, N, K)
    ensemble = ensemble_log_posterior(logs)
    assert np.allclose(np.exp(ensemble), np.exp(logs).mean(axis=0))
    assert np.array_equal(ensemble.argmax(-1), langid.ensemble_predict(logs))


def test_the_chosen_weight_is_the_first_best_on_dev():
    weights = [0.0, 0.1, 0.2, 0.3]
    assert chosen_weight([0.5, 0.7, 0.7, 0.6], weights) == 0.1  # a tie goes to less naive Bayes
    assert chosen_weight([0.9, 0.7, 0.7, 0.6], weights) == 0.0


def test_the_dev_curve_is_the_accuracy_at_every_weight():
    first = np.log(np.array([[0.7, 0.3], [0.4, 0.6]]))
    second = np.log(np.array([[0.1, 0.9], [0.1, 0.9]]))
    truth = np.array([1, 1])
    assert dev_curve(first, second, truth, [0.0, 1.0]) == [0.5, 1.0]
    assert accuracy(np.array([0, 1, 1]), np.array([0, 1, 0])) == 0.6667


def test_combine_chooses_on_dev_and_scores_test_with_that_weight():
    dev_first = np.log(np.array([[0.7, 0.3], [0.6, 0.4]]))  # wrong on both dev examples
    dev_second = np.log(np.array([[0.1, 0.9], [0.2, 0.8]]))  # right on both
    test_first = np.log(np.array([[0.9, 0.1]]))
    test_second = np.log(np.array([[0.4, 0.6]]))
    truth = {"dev": np.array([1, 1]), "test": np.array([0])}
    result = combine(
        {"dev": dev_first, "test": test_first},
        {"dev": dev_second, "test": test_second},
        truth,
        [0.0, 0.5, 1.0],
    )
    assert result["dev_accuracy"] == [0.0, 1.0, 1.0]
    assert result["weight"] == 0.5  # the first of the best
    # test at a = 0.5: 0.5 log(0.9 / 0.1) > 0.5 log(0.6 / 0.4), so class 0, right
    assert result["test_accuracy"] == 1.0


def test_combined_names_a_bad_argument():
    first = np.log(np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="second"):
        combined(first, first[:2], 0.5)  # another number of examples
    with pytest.raises(ValueError, match="second"):
        combined(first, np.log(np.full((3, 3), 1 / 3)), 0.5)  # another number of classes
    with pytest.raises(ValueError, match="weight"):
        combined(first, first, 1.5)
