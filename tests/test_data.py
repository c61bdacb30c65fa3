"""Data loaders: sizes, determinism, splits, label ranges, argument checks, and no downloads."""

import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from unrolled.data import (
    CharVocab,
    adding_problem,
    copy_task,
    copy_task_baseline,
    load_cmudict,
    load_language_words,
    load_pydoc_corpus,
    load_pydoc_topics,
    load_sunspots,
    one_hot,
)

# --- pydoc corpus, vocabulary, one-hot ------------------------------------------------------


def test_pydoc_corpus_is_the_sorted_topics_split_in_order():
    train, val = load_pydoc_corpus(val_fraction=0.2)
    topics = load_pydoc_topics()
    whole = "\n\n".join(topics[name] for name in sorted(topics))
    assert train + val == whole
    assert abs(len(val) / len(whole) - 0.2) < 1e-3
    assert load_pydoc_corpus(0.2) == (train, val)
    train_small, val_small = load_pydoc_corpus(0.1)
    assert train.startswith("The ") and train_small.startswith(train)
    assert len(val_small) < len(val)


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, "0.1", True])
def test_pydoc_corpus_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match="val_fraction"):
        load_pydoc_corpus(fraction)


def test_char_vocab_round_trip_and_sorted_unique_chars():
    vocab = CharVocab.from_text("hello world")
    assert vocab.chars == (" ", "d", "e", "h", "l", "o", "r", "w")
    assert vocab.size == 8
    ids = vocab.encode("hello")
    assert ids.dtype == np.int64 and ids.tolist() == [3, 2, 4, 4, 5]
    assert vocab.decode(ids) == "hello"
    train, val = load_pydoc_corpus()
    corpus_vocab = CharVocab.from_text(train + val)
    assert corpus_vocab.decode(corpus_vocab.encode(val)) == val


def test_char_vocab_errors_name_the_problem():
    vocab = CharVocab.from_text("abc")
    with pytest.raises(ValueError, match=r"\['x', 'z'\]"):
        vocab.encode("abzxz")
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        vocab.decode(np.array([0, 3]))
    with pytest.raises(ValueError, match="integer"):
        vocab.decode(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"received \(1, 2\)"):
        vocab.decode(np.array([[0, 1]]))
    with pytest.raises(ValueError, match="sorted"):
        CharVocab(("b", "a"))
    with pytest.raises(ValueError, match="non-empty"):
        CharVocab.from_text("")


def test_one_hot_shape_and_values():
    indices = np.array([[0, 2], [1, 1], [3, 0]])
    vectors = one_hot(indices, 4)
    assert vectors.shape == (3, 2, 4) and vectors.dtype == np.float64
    np.testing.assert_array_equal(vectors.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(vectors.argmax(axis=-1), indices)


def test_one_hot_validates_indices_and_size():
    with pytest.raises(ValueError, match=r"\[0, 4\).*\[0, 4\]"):
        one_hot(np.array([0, 4]), 4)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        one_hot(np.array([-1, 1]), 4)
    with pytest.raises(ValueError, match="integer"):
        one_hot(np.array([0.5]), 4)
    with pytest.raises(ValueError, match="size"):
        one_hot(np.array([0]), 0)


# --- sunspots ---------------------------------------------------------------------------------


def test_sunspots_years_and_activity():
    years, activity = load_sunspots()
    assert years.shape == activity.shape == (309,)
    assert years.dtype == np.int64 and activity.dtype == np.float64
    np.testing.assert_array_equal(years, np.arange(1700, 2009))
    assert np.all(activity >= 0) and activity.max() > 100
    again = load_sunspots()
    np.testing.assert_array_equal(again[1], activity)


# --- words ------------------------------------------------------------------------------------


def test_language_words_labels_uniqueness_and_determinism():
    words, labels, languages = load_language_words(n_per_language=300)
    assert languages == ("en", "de", "fr", "es", "it", "nl")
    assert len(words) == len(labels) and labels.dtype == np.int64
    assert set(labels.tolist()) == set(range(6))
    assert np.all(np.diff(labels) >= 0)  # grouped by language, in order
    counts = np.bincount(labels)
    assert np.all(counts <= 300) and np.all(counts > 200)
    assert len(set(words)) == len(words)  # shared words were dropped, so every label is unique
    assert all(w.isalpha() and w == w.lower() for w in words)
    again = load_language_words(n_per_language=300)
    assert again[0] == words and np.array_equal(again[1], labels)


def test_language_words_drop_words_shared_between_languages():
    words, labels, languages = load_language_words(("en", "nl"), n_per_language=50)
    only_en, _, _ = load_language_words(("en",), n_per_language=50)
    assert "in" in only_en and "in" not in words  # "in" is frequent in English and Dutch
    assert languages == ("en", "nl") and set(labels.tolist()) == {0, 1}


def test_language_words_validate_arguments():
    with pytest.raises(ValueError, match=r"unknown languages \['xx'\]; available: .*en"):
        load_language_words(("en", "xx"))
    with pytest.raises(ValueError, match="distinct"):
        load_language_words(("en", "en"))
    with pytest.raises(ValueError, match="n_per_language"):
        load_language_words(n_per_language=0)


def test_cmudict_entries_sorted_and_sampled_evenly():
    entries = load_cmudict()
    assert len(entries) > 100_000
    assert dict(entries)["cat"] == ["K", "AE1", "T"]
    words = [w for w, _ in entries]
    assert words == sorted(set(words))
    assert all(w.isascii() and w.isalpha() and w == w.lower() for w in words)
    sample = load_cmudict(limit=26)
    assert len(sample) == 26 and sample[0] == entries[0] and sample[-1] == entries[-1]
    assert len({w[0] for w, _ in sample}) > 15  # spread over the alphabet
    assert load_cmudict(limit=26) == sample


def test_cmudict_stress_and_fresh_lists():
    plain = load_cmudict(limit=500, stress=False)
    assert dict(load_cmudict(stress=False))["cat"] == ["K", "AE", "T"]
    assert not any(ch.isdigit() for _, ps in plain for p in ps for ch in p)
    first = load_cmudict(limit=3)
    first[0][1].append("XX")
    assert "XX" not in load_cmudict(limit=3)[0][1]
    with pytest.raises(ValueError, match="limit"):
        load_cmudict(limit=0)


# --- synthetic tasks --------------------------------------------------------------------------


def test_adding_problem_structure():
    n, T = 500, 11
    x, y = adding_problem(n, T, seed=3)
    assert x.shape == (n, T, 2) and y.shape == (n,)
    values, markers = x[..., 0], x[..., 1]
    assert np.all((values >= 0) & (values < 1))
    np.testing.assert_array_equal(markers.sum(axis=1), 2.0)
    np.testing.assert_array_equal(markers[:, : T // 2].sum(axis=1), 1.0)
    np.testing.assert_array_equal(markers[:, T // 2 :].sum(axis=1), 1.0)
    np.testing.assert_allclose(y, (values * markers).sum(axis=1), rtol=1e-15)
    again = adding_problem(n, T, seed=3)
    np.testing.assert_array_equal(again[0], x)
    assert not np.array_equal(adding_problem(n, T, seed=4)[1], y)


def test_adding_problem_constant_baseline_is_one_sixth():
    _, y = adding_problem(200_000, 4, seed=0)
    mse = np.mean((y - 1.0) ** 2)  # std of this estimate ~ 0.0004
    assert abs(mse - 1 / 6) < 0.003


def test_adding_problem_validates_arguments():
    with pytest.raises(ValueError, match="n must be a positive int, received 0"):
        adding_problem(0, 10)
    with pytest.raises(ValueError, match="T must be at least 2"):
        adding_problem(5, 1)


def test_copy_task_structure():
    n, T, n_symbols, length = 64, 7, 5, 4
    x, y = copy_task(n, T, n_symbols=n_symbols, length=length, seed=1)
    L = T + 2 * length
    assert x.shape == y.shape == (n, L) and x.dtype == y.dtype == np.int64
    symbols = x[:, :length]
    assert symbols.min() >= 1 and symbols.max() <= n_symbols
    delimiter = np.zeros(L - length, dtype=np.int64)
    delimiter[T - 1] = n_symbols + 1
    np.testing.assert_array_equal(x[:, length:], np.broadcast_to(delimiter, (n, L - length)))
    np.testing.assert_array_equal(y[:, : T + length], 0)
    np.testing.assert_array_equal(y[:, T + length :], symbols)
    np.testing.assert_array_equal(copy_task(n, T, n_symbols, length, seed=1)[0], x)
    assert not np.array_equal(copy_task(n, T, n_symbols, length, seed=2)[0], x)


def test_copy_task_memoryless_baseline():
    T, n_symbols, length = 20, 8, 10
    _, y = copy_task(100, T, n_symbols=n_symbols, length=length)
    # blanks are certain until the last `length` steps, then a uniform guess over the symbols
    probability = np.where(np.arange(T + 2 * length) < T + length, 1.0, 1.0 / n_symbols)
    assert np.all(y[:, : T + length] == 0)
    cross_entropy = np.mean(-np.log(np.broadcast_to(probability, y.shape)))
    expected = length * math.log(n_symbols) / (T + 2 * length)
    assert copy_task_baseline(T, n_symbols, length) == pytest.approx(expected, rel=1e-15)
    assert cross_entropy == pytest.approx(expected, rel=1e-12)


def test_copy_task_validates_arguments():
    for kwargs, name in [
        ({"n": 0, "T": 5}, "n"),
        ({"n": 3, "T": 0}, "T"),
        ({"n": 3, "T": 5, "n_symbols": 0}, "n_symbols"),
        ({"n": 3, "T": 5, "length": -2}, "length"),
        ({"n": 2.5, "T": 5}, "n"),
    ]:
        with pytest.raises(ValueError, match=f"^{name} must be a positive int"):
            copy_task(**kwargs)


# --- offline ----------------------------------------------------------------------------------

NO_NETWORK = textwrap.dedent(
    """
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse

    import urllib.request

    try:  # the guard works: a download fails
        urllib.request.urlopen("http://127.0.0.1:9", timeout=1)
    except OSError as error:
        assert "network access attempted" in str(error), error
    else:
        raise AssertionError("the network guard let a connection through")

    from unrolled import data

    train, val = data.load_pydoc_corpus()
    years, activity = data.load_sunspots()
    words, labels, languages = data.load_language_words(n_per_language=100)
    entries = data.load_cmudict(limit=10)
    print(len(train) > 0, len(years), len(words) > 0, len(entries))
    """
)


def test_every_loader_works_without_network():
    """Fresh interpreter (no cached data) whose sockets refuse to open."""
    result = subprocess.run(
        [sys.executable, "-c", NO_NETWORK], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "309", "True", "10"]
