"""Tests of unrolled.ngram: interpolated Kneser-Ney against a slow reference from the equations.

The reference below recomputes every count by scanning the text, straight from eqs.
(ch1-eq-count), (ch1-eq-continuation), (ch1-eq-kn) and (ch1-eq-kn-base) of chapter 1. The last
tests break the model on purpose (raw counts where continuation counts belong, wrong type counts,
a wrong discount) and check that the comparisons used here notice.
"""

import itertools
import math
from collections import Counter

import numpy as np
import pytest

from unrolled import ngram
from unrolled.data import load_pydoc_corpus
from unrolled.ngram import UNK, KneserNeyLM, continuation_counts, ngram_counts

ALPHABET = "abcd"
ORDERS = [1, 2, 3, 4]
DISCOUNTS = [0.1, 0.5, 0.75, 1.0]


def random_text(seed: int, length: int = 30, alphabet: str = ALPHABET) -> str:
    """A random string over `alphabet`, with a skewed distribution so counts differ."""
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(len(alphabet)))
    return "".join(rng.choice(list(alphabet), size=length, p=weights))


def reference_prob(text: str, order: int, discount: float, context: str, char: str) -> float:
    """p_KN(char | context) computed naively from the definitions (slow, obviously correct)."""
    vocab = sorted(set(text) | {UNK})
    char = char if char in vocab else UNK

    def starts(s: str) -> list[int]:
        return [i for i in range(len(text) - len(s) + 1) if text[i : i + len(s)] == s]

    def c_hat(h: str, w: str) -> int:
        if len(h) == order - 1:  # eq. (ch1-eq-count): raw count at the highest level
            return len(starts(h + w))
        return len({text[i - 1] for i in starts(h + w) if i >= 1})  # eq. (ch1-eq-continuation)

    def p_kn(h: str) -> float:
        lower = p_kn(h[1:]) if h else 1 / len(vocab)  # eq. (ch1-eq-kn-base) below the empty one
        counts = {w: c_hat(h, w) for w in vocab}
        total = sum(counts.values())
        if total == 0:  # unseen context: fall back to the shorter one
            return lower
        types = sum(c > 0 for c in counts.values())
        return (max(counts[char] - discount, 0) + discount * types * lower) / total  # (ch1-eq-kn)

    h = context[len(context) - min(order - 1, len(context)) :]
    return p_kn(h)


def some_contexts(order: int, seed: int, n: int = 30) -> list[str]:
    """Contexts of every length up to order - 1, over the alphabet plus a never-seen 'z'."""
    rng = np.random.default_rng(seed)
    contexts = [""]
    for length in range(1, order):
        everything = ["".join(t) for t in itertools.product(ALPHABET + "z", repeat=length)]
        contexts += list(rng.choice(everything, size=min(n, len(everything)), replace=False))
    return contexts


def max_disagreement(model: KneserNeyLM, text: str, discount: float, seed: int) -> float:
    """Largest |model - reference| over many contexts and every character (plus an unseen one)."""
    worst = 0.0
    for h in some_contexts(model.order, seed):
        for w in ALPHABET + "z":
            expected = reference_prob(text, model.order, discount, h, w)
            worst = max(worst, abs(model.prob(h, w) - expected))
    return worst


def normalisation_error(model: KneserNeyLM, contexts: list[str]) -> float:
    """Largest |sum of the next-character distribution - 1| over `contexts`."""
    return max(abs(model.probabilities(h).sum() - 1.0) for h in contexts)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("discount", DISCOUNTS)
@pytest.mark.parametrize("seed", range(3))
def test_matches_the_reference_implementation(order, discount, seed):
    text = random_text(seed)
    model = KneserNeyLM(order, discount).fit(text)
    assert max_disagreement(model, text, discount, seed) < 1e-12


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("discount", DISCOUNTS + [0.0])
@pytest.mark.parametrize("seed", range(5))
def test_every_distribution_sums_to_one(order, discount, seed):
    model = KneserNeyLM(order, discount).fit(random_text(seed, length=int(10 + 10 * seed)))
    assert normalisation_error(model, some_contexts(order, seed)) < 1e-12


def test_sums_to_one_on_the_pydoc_corpus():
    train, val = load_pydoc_corpus()
    model = KneserNeyLM(order=4).fit(train)
    contexts = [val[i : i + 3] for i in range(0, len(val) - 3, 97)] + ["", "\u2603", "qqq"]
    assert normalisation_error(model, contexts) < 1e-12
    assert model.vocab == tuple(sorted(set(train) | {UNK}))


def test_bits_per_char_is_the_mean_of_the_reference_log_losses():
    text, held_out = random_text(7), random_text(8, length=12) + "z"
    model = KneserNeyLM(3, 0.75).fit(text)
    expected = np.mean(
        [-math.log2(reference_prob(text, 3, 0.75, held_out[:t], held_out[t])) for t in range(13)]
    )
    assert math.isclose(model.bits_per_char(held_out), expected, rel_tol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_order_one_without_discount_is_the_unigram_entropy(seed):
    text = random_text(seed, length=200)
    frequencies = np.array(list(Counter(text).values())) / len(text)
    entropy = -np.sum(frequencies * np.log2(frequencies))
    bpc = KneserNeyLM(order=1, discount=0.0).fit(text).bits_per_char(text)
    assert math.isclose(bpc, entropy, rel_tol=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_highest_order_without_discount_is_the_maximum_likelihood_estimate(seed):
    text = random_text(seed, length=60)
    model = KneserNeyLM(order=3, discount=0.0).fit(text)
    grams = Counter(text[i : i + 3] for i in range(len(text) - 2))
    for gram, count in grams.items():
        context_total = sum(c for g, c in grams.items() if g[:2] == gram[:2])
        assert math.isclose(model.prob(gram[:2], gram[2]), count / context_total, rel_tol=1e-12)


def test_a_hand_computed_example():
    # "abcab", order 2, D = 0.5, vocabulary a, b, c, UNK. Level 0: each of a, b, c has one
    # distinct left neighbour (ca, ab, bc): counts 1, total 3, 3 types. Level 1: "a" -> b twice.
    model = KneserNeyLM(order=2, discount=0.5).fit("abcab")
    p_b = (1 - 0.5 + 0.5 * 3 / 4) / 3
    assert math.isclose(model.prob("", "b"), p_b, rel_tol=1e-15)
    assert math.isclose(model.prob("a", "b"), (2 - 0.5 + 0.5 * 1 * p_b) / 2, rel_tol=1e-15)
    assert math.isclose(model.prob("a", UNK), 0.5 * (0.5 * 3 / 4 / 3) / 2, rel_tol=1e-15)


def test_the_count_tables():
    assert ngram_counts("abcab", 1) == {"a": {"b": 2}, "b": {"c": 1}, "c": {"a": 1}}
    assert ngram_counts("abcab", 0) == {"": {"a": 2, "b": 2, "c": 1}}
    # in "abcab", "ab" has one left neighbour (c; the first "ab" has none); in "cabxab", two
    assert continuation_counts("abcab", 0) == {"": {"a": 1, "b": 1, "c": 1}}
    assert continuation_counts("cabxab", 1)["a"] == {"b": 2}


def test_unseen_characters_are_read_as_unk():
    model = KneserNeyLM(order=3).fit(random_text(0))
    assert model.prob("ab", "\u2603") == model.prob("ab", UNK) > 0
    assert model.prob("\u2603\u2603", "a") == model.prob("", "a")  # unseen context: empty one
    assert math.isfinite(model.bits_per_char("\u2603abc\u2603"))


def test_prob_agrees_with_probabilities():
    model = KneserNeyLM(order=4).fit(random_text(3, length=80))
    for h in some_contexts(4, seed=3):
        p = model.probabilities(h)
        assert p.shape == (len(model.vocab),)
        assert all(
            math.isclose(model.prob(h, w), p[i], rel_tol=1e-12) for i, w in enumerate(model.vocab)
        )


@pytest.mark.parametrize("order", [0, -1, 1.5, True, "3"])
def test_rejects_a_bad_order(order):
    with pytest.raises(ValueError, match="order"):
        KneserNeyLM(order)


@pytest.mark.parametrize("discount", [-0.1, 1.5])
def test_rejects_a_discount_outside_0_1(discount):
    with pytest.raises(ValueError, match="discount"):
        KneserNeyLM(3, discount)


def test_rejects_use_before_fit_and_bad_texts():
    with pytest.raises(ValueError, match="not fitted"):
        KneserNeyLM(2).prob("a", "b")
    with pytest.raises(ValueError, match="at least"):
        KneserNeyLM(5).fit("abc")
    with pytest.raises(ValueError, match="non-empty"):
        KneserNeyLM(2).fit("abcab").bits_per_char("")


# --- The checks above can fail: break the model on purpose --------------------------------


def test_raw_counts_at_lower_levels_are_caught_by_the_reference(monkeypatch):
    # Absolute discounting without continuation counts is still normalised, so only the
    # comparison with the reference can tell it from Kneser-Ney.
    monkeypatch.setattr(ngram, "continuation_counts", ngram_counts)
    text = random_text(0, length=60)
    broken = KneserNeyLM(3, 0.75).fit(text)
    assert normalisation_error(broken, some_contexts(3, 0)) < 1e-12
    assert max_disagreement(broken, text, 0.75, seed=0) > 1e-3


def test_wrong_type_counts_break_normalisation():
    model = KneserNeyLM(3, 0.75).fit(random_text(1, length=60))
    for level in model.levels[:1]:  # off by one in N1+(h .) at the lowest level
        for h, entry in level.items():
            level[h] = entry._replace(types=entry.types + 1)
    assert normalisation_error(model, some_contexts(3, 1)) > 1e-3


def test_a_wrong_discount_is_caught_by_the_reference():
    text = random_text(2)
    model = KneserNeyLM(3, 0.5).fit(text)
    assert max_disagreement(model, text, 0.75, seed=2) > 1e-3
