"""Two classifiers combined: a weighted product of their posteriors, the weight chosen on dev.

The product rule of Kittler et al. (1998), weighted: the class of highest

    (1 - a) log p_1(k | x) + a log p_2(k | x),    0 <= a <= 1,

a weighted geometric mean of the two posteriors (a = 0: the first classifier alone, a = 1: the
second alone). Used where chapter 6 combines a recurrent network with naive Bayes
(langid_combined, sentiment).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from unrolled.validation import check_shape

DECIMALS = 4  # accuracies in the results files


def normalised(log_joint: np.ndarray) -> np.ndarray:
    """log p(k | x) from unnormalised log p(k, x), shape (N, K) (each row's logsumexp is 0)."""
    return log_joint - np.logaddexp.reduce(log_joint, axis=1, keepdims=True)


def ensemble_log_posterior(log_posteriors: np.ndarray) -> np.ndarray:
    """log of the mean probability over the models: (models, N, K) -> (N, K)."""
    return np.log(np.exp(log_posteriors).mean(axis=0))


def combined(first: np.ndarray, second: np.ndarray, weight: float) -> np.ndarray:
    """The class of highest (1 - weight) first + weight second, log posteriors (N, K): (N,);
    ties go to the lower class index.

    Raises:
        ValueError: if the two do not have one shape (N, K), or weight is not in [0, 1].
    """
    check_shape("second", second, ("N", "K"), check_shape("first", first, ("N", "K")))
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"weight: expected a number in [0, 1], received {weight!r}")
    return ((1 - weight) * first + weight * second).argmax(axis=-1)


def accuracy(prediction: np.ndarray, truth: np.ndarray) -> float:
    """The fraction of right answers, rounded to DECIMALS."""
    return round(float((prediction == truth).mean()), DECIMALS)


def dev_curve(
    first: np.ndarray, second: np.ndarray, truth: np.ndarray, weights: list[float]
) -> list[float]:
    """Accuracy of the combination at every weight."""
    return [accuracy(combined(first, second, a), truth) for a in weights]


def chosen_weight(curve: list[float], weights: list[float]) -> float:
    """The weight of highest dev accuracy; ties go to the smaller weight."""
    return weights[int(np.argmax(curve))]


def combine(
    first: dict[str, np.ndarray],
    second: dict[str, np.ndarray],
    truth: dict[str, np.ndarray],
    weights: list[float],
) -> dict[str, Any]:
    """Two classifiers' log posteriors on "dev" and "test" (N, K), and the true classes: the dev
    accuracy at every weight, the weight chosen on it, and the test accuracy with that weight
    (the test part scored once)."""
    curve = dev_curve(first["dev"], second["dev"], truth["dev"], weights)
    weight = chosen_weight(curve, weights)
    test = accuracy(combined(first["test"], second["test"], weight), truth["test"])
    return {"dev_accuracy": curve, "weight": weight, "test_accuracy": test}
