"""From raw text to the tokens and features of a text classifier: normalisation, tokenisation,
stop words and n-grams (the preprocessing pipeline of the lecture decks' sentiment example).

    normalize("It's  NOT bad!")   -> "it's not bad!"
    tokenize("It isn't bad!")     -> ["it", "is", "n't", "bad", "!"]
    word_ngrams(["not", "bad"], 2) -> ["not", "bad", "not bad"]

The negation "n't" is split off its verb as in the Penn Treebank ("isn't" -> "is", "n't"), so
that every negation is one token a model can count.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence

from unrolled.validation import check_int, check_words

TOKEN = re.compile(r"[a-z0-9]+(?=n't)|n't|[a-z0-9]+(?:'[a-z]+)?|[!?]")


def normalize(text: str) -> str:
    """Unicode NFKC (one code for one character), typographic quotes as ', lower case, single
    spaces."""
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, received a {type(text).__name__}")
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(text.lower().split())


def tokenize(text: str) -> list[str]:
    """The normalised text's words, numbers, "n't" and the marks ! and ? (other punctuation is
    dropped)."""
    return TOKEN.findall(normalize(text))


def word_ngrams(tokens: Sequence[str], order: int) -> list[str]:
    """Every run of n = 1..order consecutive tokens, joined by spaces, shortest first."""
    check_words("tokens", tokens)
    check_int("order", order)
    return [
        " ".join(tokens[i : i + n])
        for n in range(1, order + 1)
        for i in range(len(tokens) - n + 1)
    ]


def most_frequent(documents: Iterable[Sequence[str]], k: int) -> list[str]:
    """The k most frequent tokens of the documents (ties in order of first appearance): a
    stop-word list measured on the data rather than taken from a book."""
    documents = list(documents)  # an iterable is read once
    check_words("documents", documents, nested=True)
    check_int("k", k, low=0)
    return [token for token, _ in Counter(t for d in documents for t in d).most_common(k)]
