"""BLEU (unrolled.bleu) against NLTK's implementation and on cases worked by hand."""

import math
import warnings

import numpy as np
import pytest
from nltk.translate.bleu_score import corpus_bleu as nltk_corpus_bleu

from unrolled.bleu import clipped_matches, corpus_bleu, ngram_counts


@pytest.mark.parametrize("seed", range(5))
def test_agrees_with_nltk(seed):
    # NLTK counts a candidate shorter than n as one n-gram slot (its denominator is
    # max(1, count)); Papineni et al. count none, so candidates here have at least 4 words
    rng = np.random.default_rng(seed)
    words = list("abcd")
    references = [list(rng.choice(words, rng.integers(4, 10))) for _ in range(40)]
    candidates = [list(rng.choice(words, rng.integers(4, 10))) for _ in range(40)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = nltk_corpus_bleu([[r] for r in references], candidates)
    assert corpus_bleu(references, candidates) == pytest.approx(expected, rel=1e-12)


def test_clipping_counts_a_word_at_most_as_often_as_the_reference_has_it():
    candidate, reference = "the the the the".split(), "the cat on the mat".split()
    assert ngram_counts(candidate, 1) == {("the",): 4}
    assert clipped_matches(candidate, reference, 1) == 2  # not 4


def test_a_worked_example_with_brevity_penalty():
    reference = "woman farmer dark skin tone".split()
    candidate = "woman farmer skin tone".split()  # 4 words: 4/4, 2/3, 1/2, 0/1
    assert corpus_bleu([reference], [candidate]) == 0.0  # no 4-gram matches
    bleu2 = corpus_bleu([reference], [candidate], max_order=2)
    assert bleu2 == pytest.approx(math.exp(1 - 5 / 4) * math.sqrt(1 * 2 / 3))


def test_a_perfect_corpus_scores_one_and_bad_input_is_named():
    captions = [["man", "cook", "dark", "skin", "tone"], ["thumbs", "up", "light", "skin", "tone"]]
    assert corpus_bleu(captions, captions) == 1.0
    with pytest.raises(ValueError, match=r"candidates: expected one per reference \(2\), recei"):
        corpus_bleu(captions, captions[:1])
    with pytest.raises(ValueError, match=r"max_order: expected an int >= 1, received 0"):
        corpus_bleu(captions, captions, max_order=0)
