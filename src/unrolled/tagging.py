"""Named entities as spans of BIO tags, and the CoNLL entity F1 that scores them (chapter 6).

A tagger labels every word: `B-TYPE` begins an entity, `I-TYPE` continues it, `O` is outside
any entity. "Somesh worked at Cisco in Bangalore" is tagged

    B-PER O O B-ORG O B-LOC

and its entities are the spans (PER, 0, 1), (ORG, 3, 4), (LOC, 5, 6): type, first word, one
past the last. The CoNLL-2003 measure (Tjong Kim Sang and De Meulder 2003) counts an entity as
found only if the predicted span has exactly the true type and boundaries; precision, recall
and F1 are over entities, not words, so a tagger that gets every word of "New York Stock
Exchange" right but one scores nothing for it.

    spans = entity_spans(["B-PER", "O", "O", "B-ORG", "O", "B-LOC"])
    scores = entity_f1(true_sentences, predicted_sentences)  # {"f1": ..., "per_type": ...}

Malformed sequences are read as the official `conlleval` script reads them: an `I-TYPE` after
`O`, or after a tag of another type, begins a new entity.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from unrolled.validation import check_words


class Span(NamedTuple):
    """One entity: its type and the words [start, end) it covers."""

    type: str
    start: int
    end: int


def _parse(tag: str, position: int) -> tuple[str, str]:
    """('B' | 'I' | 'O', type) of one tag, or a ValueError naming the tag and its position."""
    if tag == "O":
        return "O", ""
    prefix, _, kind = tag.partition("-")
    if prefix not in ("B", "I") or not kind:
        raise ValueError(
            f"tags: expected 'O', 'B-TYPE' or 'I-TYPE', received {tag!r} at position {position}"
        )
    return prefix, kind


def entity_spans(tags: Sequence[str]) -> list[Span]:
    """The entities of one sentence's BIO tags, in order.

    An entity begins at `B-X`, or at `I-X` when the previous tag is `O` or of another type,
    and runs while `I-X` follows.
    """
    if isinstance(tags, str):
        raise TypeError("tags: expected a sequence of tag strings, received a str")
    spans: list[Span] = []
    start, current = 0, ""  # the open entity's first word and type ("" when none is open)
    for i, tag in enumerate(tags):
        prefix, kind = _parse(tag, i)
        continues = prefix == "I" and kind == current
        if current and not continues:
            spans.append(Span(current, start, i))
            current = ""
        if prefix != "O" and not continues:
            start, current = i, kind
    if current:
        spans.append(Span(current, start, len(tags)))
    return spans


def _prf(found: int, predicted: int, true: int) -> dict[str, float]:
    """Precision, recall and F1 (their harmonic mean) from counts; 0 where undefined."""
    precision = found / predicted if predicted else 0.0
    recall = found / true if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if found else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def entity_f1(
    true_tags: Sequence[Sequence[str]], predicted_tags: Sequence[Sequence[str]]
) -> dict[str, object]:
    """Entity-level precision, recall and F1 over a corpus, overall and per entity type.

    Args:
        true_tags, predicted_tags: one tag sequence per sentence, the same lengths pairwise.

    Returns:
        {"precision", "recall", "f1", "true", "predicted", "found", "per_type": {type: {...}}},
        where an entity is found when a predicted span equals a true one (type, start, end).
    """
    check_words("true_tags", true_tags, nested=True)
    check_words("predicted_tags", predicted_tags, nested=True)
    if len(true_tags) != len(predicted_tags):
        raise ValueError(
            f"predicted_tags: expected one sequence per sentence ({len(true_tags)}), "
            f"received {len(predicted_tags)}"
        )
    counts: dict[str, Counter] = {"true": Counter(), "predicted": Counter(), "found": Counter()}
    for n, (truth, guess) in enumerate(zip(true_tags, predicted_tags, strict=True)):
        if len(truth) != len(guess):
            raise ValueError(
                f"predicted_tags[{n}]: expected {len(truth)} tags (one per word), "
                f"received {len(guess)}"
            )
        true_spans, predicted_spans = set(entity_spans(truth)), set(entity_spans(guess))
        counts["true"].update(s.type for s in true_spans)
        counts["predicted"].update(s.type for s in predicted_spans)
        counts["found"].update(s.type for s in true_spans & predicted_spans)
    totals = {name: sum(c.values()) for name, c in counts.items()}
    per_type = {
        kind: _prf(counts["found"][kind], counts["predicted"][kind], counts["true"][kind])
        for kind in sorted(counts["true"] | counts["predicted"])
    }
    return (
        _prf(totals["found"], totals["predicted"], totals["true"])
        | totals
        | {"per_type": per_type}
    )


def most_frequent_tags(
    sentences: Sequence[tuple[Sequence[str], Sequence[str]]],
) -> dict[str, str]:
    """The baseline tagger's table: each training word's most frequent tag (ties: first seen).

    `sentences` are (words, tags) pairs. A word not in the table is tagged `O`.
    """
    counts: dict[str, Counter] = {}
    for n, (words, tags) in enumerate(sentences):
        check_words(f"sentences[{n}] (words)", words)
        check_words(f"sentences[{n}] (tags)", tags)
        for word, tag in zip(words, tags, strict=True):
            counts.setdefault(word, Counter())[tag] += 1
    return {word: c.most_common(1)[0][0] for word, c in counts.items()}
