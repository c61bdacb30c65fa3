"""unrolled.experiments.g2p: the metrics, the split, and the committed results and checkpoint,
which the code that wrote them must reproduce."""

import functools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from unrolled.experiments import g2p
from unrolled.experiments.common import dumps, in_parallel, load_results, one_thread
from unrolled.seq2seq import EOS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "notebooks" / "results" / "g2p.json"
CHECKPOINT = ROOT / "notebooks" / "results" / "g2p.pt"


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS)


@pytest.fixture(scope="module")
def prepared():
    return g2p.prepare(g2p.SETTINGS)


def _levenshtein(a: tuple, b: tuple) -> int:
    """The textbook recursion, memoised: an independent check of the row-by-row version."""

    @functools.cache
    def d(i: int, j: int) -> int:
        if i == 0 or j == 0:
            return i + j
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))

    return d(len(a), len(b))


def test_edit_distance():
    assert g2p.edit_distance("kitten", "sitting") == 3
    assert g2p.edit_distance("", "abc") == 3 and g2p.edit_distance("abc", "") == 3
    assert g2p.edit_distance(["K", "AE", "T"], ["K", "AE", "T"]) == 0
    rng = np.random.default_rng(0)
    for _ in range(200):
        a = tuple(rng.choice(list("abc"), size=rng.integers(0, 7)))
        b = tuple(rng.choice(list("abc"), size=rng.integers(0, 7)))
        assert g2p.edit_distance(a, b) == _levenshtein(a, b) == g2p.edit_distance(b, a)


def test_error_rates_strict_and_any():
    predictions = [["R", "IY", "D"], ["K", "AE", "T"], ["D", "AO"]]
    references = [
        [["R", "EH", "D"], ["R", "IY", "D"]],  # right, but not the first pronunciation
        [["K", "AE", "T"]],
        [["D", "AO", "G"]],  # one deletion
    ]
    rates = g2p.error_rates(predictions, references)
    assert rates == {
        "per_strict": 2 / 9,
        "wer_strict": 2 / 3,
        "per_any": 1 / 9,
        "wer_any": 1 / 3,
    }
    with pytest.raises(ValueError, match="as many references as predictions"):
        g2p.error_rates(predictions, references[:2])


def test_split_is_a_seeded_partition_by_word():
    words = [f"w{i}" for i in range(1000)]
    split = g2p.split_words(words, seed=0, dev_fraction=0.05, test_fraction=0.1)
    assert [len(split[k]) for k in ("train", "dev", "test")] == [850, 50, 100]
    assert sorted(split["train"] + split["dev"] + split["test"]) == sorted(words)
    assert g2p.split_words(words[::-1], 0, 0.05, 0.1) == split  # order of the input is irrelevant
    assert g2p.split_words(words, 1, 0.05, 0.1) != split
    with pytest.raises(ValueError, match="fractions"):
        g2p.split_words(words, 0, 0.5, 0.5)


def test_tokens_round_trip(prepared):
    pronunciations, split, tokens = prepared
    assert len(tokens.tgt) == 3 + 39  # specials + ARPAbet without stress
    words = split["test"][:5]
    src, lengths = tokens.encode_words(words)
    assert lengths.tolist() == [len(w) for w in words]
    spelled = ["".join(tokens.src[i] for i in r[:n]) for r, n in zip(src, lengths, strict=True)]
    assert spelled == words
    prons = [pronunciations[w][0] for w in words]
    tgt = tokens.encode_phonemes(prons)
    for row, pron in zip(tgt.tolist(), prons, strict=True):
        assert tokens.decode_phonemes(row[: len(pron)]) == pron and row[len(pron)] == EOS


def test_results_file_layout_and_settings(results, prepared):
    _, split, _ = prepared
    assert RESULTS.read_text() == dumps(results)
    assert results["settings"] == json.loads(json.dumps(g2p.SETTINGS))
    assert results["tiny"]["settings"] == json.loads(json.dumps(g2p.TINY))
    assert results["sizes"]["test"] == len(split["test"]) == results["sizes"]["test_used"]
    assert [entry["seed"] for entry in results["seeds"]] == g2p.SETTINGS["seeds"]
    for entry in results["seeds"]:
        curve = entry["curve"]
        assert [point["epoch"] for point in curve] == list(range(1, g2p.SETTINGS["epochs"] + 1))
        assert 0 < min(point["dev_wer"] for point in curve) < 0.5  # fewer than half wrong
    for scores in [e["test"] for e in results["seeds"]] + [results["ensemble"]["test"]]:
        for rates in scores.values():
            assert rates["per_any"] <= rates["per_strict"]
            assert rates["wer_any"] <= rates["wer_strict"]


def checkpoint_metrics(seed: int | None, split_name: str) -> dict[str, dict[str, float]]:
    """g2p.evaluate of the checkpoint's model for `seed` (None: the ensemble) on one split, on
    one thread (module level, so that a spawned process can run it)."""
    pronunciations, split, _ = g2p.prepare(g2p.SETTINGS)
    model, tokens = g2p.load_model(CHECKPOINT, seed=seed)
    with one_thread():
        return g2p.evaluate(model, tokens, split[split_name], pronunciations, g2p.SETTINGS)


def test_checkpoint_reproduces_the_committed_metrics(results):
    """Every seed's model on the test words (beam search), and the ensemble on the dev words:
    four evaluations, in two processes (one core each; the ensemble, the longest, first)."""
    calls = [(None, "dev")] + [(entry["seed"], "test") for entry in results["seeds"]]
    ensemble_dev, *seeds_test = in_parallel(checkpoint_metrics, calls, jobs=2)
    assert ensemble_dev == results["ensemble"]["dev"]
    assert seeds_test == [entry["test"] for entry in results["seeds"]]
    ensemble, _ = g2p.load_model(CHECKPOINT)
    assert len(ensemble.members) == len(results["seeds"])
    with pytest.raises(ValueError, match="seed"):
        g2p.load_model(CHECKPOINT, seed=99)


def test_the_tiny_configuration_reproduces_its_committed_entry(results):
    command = [sys.executable, "-m", "unrolled.experiments.g2p", "--tiny"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == results["tiny"]


def test_jobs_do_not_change_the_numbers():
    """Seeds trained in parallel processes give what they give one after another."""
    settings = g2p.TINY | {"train_words": 500, "dev_words": 50, "eval_words": 50, "epochs": 1}
    serial, parallel = g2p.run(settings), g2p.run(settings, jobs=2)
    for entry in serial["seeds"] + parallel["seeds"]:
        del entry["seconds"]
    for name in serial["states"]:
        for key, value in serial["states"][name].items():
            assert torch.equal(value, parallel["states"][name][key])
    del serial["states"], parallel["states"]
    assert serial == parallel
