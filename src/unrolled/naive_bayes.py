"""Multinomial naive Bayes over discrete features: the count-based classifier the book's
recurrent classifiers are measured against (language of a word, sentiment of a review).

A document is a list of features (a word's character n-grams, a review's word n-grams); with
add-alpha smoothing over the features G seen in training,

    log P(k | doc) = log P(k) + sum over the doc's features g of log P(g | k) + const,
    P(g | k) = (c_k(g) + alpha) / (sum_g' c_k(g') + alpha |G|),

where c_k(g) counts g in the training documents of class k. Features never seen in training
are skipped. Passing each document's distinct features only ("binary" naive Bayes) often suits
sentiment better (Wang and Manning 2012).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from unrolled.validation import check_words


class NaiveBayes:
    """Multinomial naive Bayes with add-alpha smoothing; fit on lists of features."""

    def __init__(self, alpha: float) -> None:
        if not alpha > 0:
            raise ValueError(f"alpha: expected a positive number, received {alpha!r}")
        self.alpha = alpha

    def fit(self, documents: Sequence[Sequence[str]], labels: np.ndarray) -> NaiveBayes:
        """documents: N lists of features; labels (N,) in 0..K-1."""
        check_words("documents", documents, nested=True)
        if len(documents) != len(labels):
            raise ValueError(
                f"labels: expected one per document ({len(documents)}), received {len(labels)}"
            )
        self.K = int(labels.max()) + 1
        self.counts = [Counter() for _ in range(self.K)]
        for features, label in zip(documents, labels, strict=True):
            self.counts[label].update(features)
        self.vocabulary = set().union(*self.counts)
        self.totals = [sum(c.values()) for c in self.counts]
        self.log_prior = np.log(np.bincount(labels, minlength=self.K) / len(labels))
        return self

    def log_posterior(self, features: Sequence[str]) -> np.ndarray:
        """Unnormalised log P(k | doc), shape (K,)."""
        check_words("features", features)
        known = [g for g in features if g in self.vocabulary]
        scores = self.log_prior.copy()
        size = len(self.vocabulary)
        for k in range(self.K):
            denominator = math.log(self.totals[k] + self.alpha * size)
            scores[k] += sum(math.log(self.counts[k][g] + self.alpha) for g in known)
            scores[k] -= len(known) * denominator
        return scores

    def predict(self, documents: Sequence[Sequence[str]]) -> np.ndarray:
        """The most probable class of each document, shape (N,)."""
        check_words("documents", documents, nested=True)
        return np.array([int(np.argmax(self.log_posterior(d))) for d in documents])
