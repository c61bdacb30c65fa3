"""BLEU (Papineni et al., 2002): how many of a system's n-grams a reference also has.

For n = 1..N the modified precision p_n counts each candidate n-gram at most as often as the
reference has it (clipping, so "the the the" earns nothing extra), summed over the corpus:

    p_n = sum_c sum_g min(count_c(g), count_r(g)) / sum_c sum_g count_c(g)        (bleu-p)
    BLEU = BP exp((1/N) sum_n log p_n),  BP = min(1, exp(1 - r / c))                (bleu)

with r and c the total reference and candidate lengths; the brevity penalty BP stops a system
from scoring well by saying little. One reference per candidate here (a caption).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from unrolled.validation import check_int, check_words


def ngram_counts(words: Sequence[str], n: int) -> Counter[tuple[str, ...]]:
    """How often each n-gram (a tuple of n words) occurs in `words`."""
    check_words("words", words)
    check_int("n", n)
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def clipped_matches(candidate: Sequence[str], reference: Sequence[str], n: int) -> int:
    """The numerator of Eq. (bleu-p) for one sentence: candidate n-grams, each counted at most
    as often as the reference has it."""
    check_words("candidate", candidate)
    check_words("reference", reference)
    reference_counts = ngram_counts(reference, n)
    return sum(min(c, reference_counts[g]) for g, c in ngram_counts(candidate, n).items())


def corpus_bleu(
    references: Sequence[Sequence[str]], candidates: Sequence[Sequence[str]], max_order: int = 4
) -> float:
    """Corpus BLEU, Eq. (bleu), of candidate word sequences against one reference each, in [0, 1].

    0 when some order has no matching n-gram at all (log 0), as in the original definition.
    """
    check_words("references", references, nested=True)
    check_words("candidates", candidates, nested=True)
    check_int("max_order", max_order)
    if len(references) != len(candidates):
        raise ValueError(
            f"candidates: expected one per reference ({len(references)}), "
            f"received {len(candidates)}"
        )
    log_precision = 0.0
    for n in range(1, max_order + 1):
        matches = sum(
            clipped_matches(c, r, n) for c, r in zip(candidates, references, strict=True)
        )
        total = sum(max(len(c) - n + 1, 0) for c in candidates)
        if matches == 0:
            return 0.0
        log_precision += math.log(matches / total) / max_order
    r, c = sum(len(x) for x in references), sum(len(x) for x in candidates)
    return math.exp(min(0.0, 1 - r / c) + log_precision)
