"""unrolled.experiments.g2p_combined, chapter 7's rescoring of the network's and Phonetisaurus'
candidates: the chooser picks what its score says, the network's scores are its teacher-forced
log-probabilities, the committed results agree with the two experiments they combine and with
their own dev choice, and a re-run of the tiny configuration reproduces its committed entry."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from results_check import assert_tiny_rerun_close
from test_phonetisaurus import needs_binaries

from unrolled.experiments import g2p, g2p_combined
from unrolled.experiments.common import dumps, load_results
from unrolled.experiments.g2p_combined import Candidates
from unrolled.seq2seq import PAD, teacher_forcing_input

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "notebooks" / "results"
RESULTS = RESULTS_DIR / "g2p_combined.json"


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS)


def _word():
    """Three Phonetisaurus candidates (cheapest first) and the network's own, which is none of
    them: the network likes B best among Phonetisaurus' (log p -1 > -2 > -3)."""
    wfst = [(("A",), 1.0, -3.0), (("B",), 2.0, -1.0), (("C",), 4.0, -2.0)]
    return Candidates(wfst, (("N",), -0.5))


def test_choose_follows_the_weighted_score():
    word = _word()
    assert word.choose(3, 0.0) == ["N"]  # lambda = 0: the network's favourite
    assert word.choose(3, 10.0) == ["A"]  # a large lambda: the cheapest
    # lambda = 1: A -3 - 1 = -4, B -1 - 2 = -3, C -2 - 4 = -6, N -0.5 - 4 (the 3rd cost) = -4.5
    assert word.choose(3, 1.0) == ["B"]
    # n = 1: only A from Phonetisaurus; N costs A's cost: -0.5 - 1 beats -3 - 1
    assert word.choose(1, 1.0) == ["N"]
    assert word.choose(0, 5.0) == ["N"]  # no rival: the network's beam
    assert Candidates([], (("N",), -9.0)).choose(5, 1.0) == ["N"]


def test_choose_scores_the_network_pronunciation_once_and_breaks_ties_to_the_cheaper():
    wfst = [(("A",), 1.0, -2.0), (("B",), 2.0, -1.0)]
    assert Candidates(wfst, (("B",), -1.0)).choose(2, 0.5) == ["B"]  # -2.5 vs -2: B
    assert Candidates(wfst, (("B",), -1.0)).choose(2, 1.0) == ["A"]  # -3 vs -3: tie, A
    assert Candidates(wfst, (("B",), -1.0)).choose(1, 1.0) == ["B"]  # B costs 1 as outsider


def test_oracle_counts_any_candidate():
    word = _word()
    assert word.oracle([["X"], ["C"]]) and word.oracle([["N"]])
    assert not word.oracle([["X"]])


def test_log_probabilities_are_the_teacher_forced_sums_whatever_the_batch():
    torch.manual_seed(0)
    tokens = g2p.Tokens(["AA", "B", "K", "T"])
    settings = g2p.TINY | {"embed": 8, "hidden": 12}
    model = g2p.build_model(tokens, settings).eval()
    words = ["cat", "at", "tack", "a"]
    prons = [["K", "AA", "T"], ["AA", "T"], ["T", "AA", "K"], ["AA", "B", "B", "B", "B"]]
    src, lengths = tokens.encode_words(words)
    tgt = tokens.encode_phonemes(prons)
    with torch.no_grad():
        log_probs = model(src, lengths, teacher_forcing_input(tgt)).double()  # (N, U, V)
    picked = log_probs.gather(2, tgt.clamp(min=0).unsqueeze(2)).squeeze(2)
    expected = torch.where(tgt != PAD, picked, 0.0).sum(dim=1)
    for batch in (1, 2, 4):  # padding to the longer words of a batch changes nothing
        scores = g2p_combined.log_probabilities(model, tokens, words, prons, batch)
        torch.testing.assert_close(torch.tensor(scores, dtype=torch.float64), expected)


def test_results_file_is_canonical_and_has_the_code_settings(results):
    assert RESULTS.read_text() == dumps(results)
    assert results["settings"] == json.loads(json.dumps(g2p_combined.SETTINGS))
    assert results["tiny"]["settings"] == json.loads(json.dumps(g2p_combined.TINY))
    wfst = load_results(RESULTS_DIR / "phonetisaurus.json")
    assert results["settings"]["order"] == wfst["chosen_order"]  # the baseline's own dev choice


@pytest.mark.parametrize("entry", ["full", "tiny"])
def test_each_pair_is_the_dev_best_and_the_grids_are_complete(results, entry):
    run = results if entry == "full" else results["tiny"]
    settings = run["settings"]
    assert sorted(run["networks"]) == sorted(["ensemble", *map(str, settings["seeds"])])
    for network in run["networks"].values():
        grid = network["dev_grid"]
        assert [(p["n"], p["weight"]) for p in grid] == [
            (n, w) for n in settings["n_best"] for w in settings["weights"]
        ]
        best = min(grid, key=lambda p: (p["dev"]["wer_any"], p["n"], p["weight"]))
        assert network["chosen"] == {"n": best["n"], "weight": best["weight"]}
        # one Phonetisaurus candidate: both candidates cost the same, lambda cannot matter
        assert len({json.dumps(p["dev"]) for p in grid if p["n"] == 1}) == 1
        for part, combined in (("dev", best["dev"]), ("test", network["test"])):
            alone = network["alone"][part]
            assert alone["oracle_wer_any"] <= combined["wer_any"]
            assert alone["oracle_wer_any"] <= alone["network"]["wer_any"]
            assert alone["oracle_wer_any"] <= run["phonetisaurus"][part]["wer_any"]
    single = [run["networks"][str(seed)]["test"]["wer_any"] for seed in settings["seeds"]]
    assert run["seeds_test_wer_any"] == {
        "median": float(np.median(single)),
        "min": min(single),
        "max": max(single),
    }


def test_the_single_models_are_those_of_their_own_experiments(results):
    """Each network alone is its model's beam search in the g2p experiment, Phonetisaurus
    alone is its own experiment's model at the chosen order: the same numbers, from separate
    runs."""
    network = load_results(RESULTS_DIR / "g2p.json")
    wfst = load_results(RESULTS_DIR / "phonetisaurus.json")
    dev_wfst = next(p["dev"] for p in wfst["dev_grid"] if p["order"] == wfst["chosen_order"])
    for part, expected in (("dev", dev_wfst), ("test", wfst["test"])):
        assert results["phonetisaurus"][part] == expected
        alone = {
            name: entry["alone"][part]["network"] for name, entry in results["networks"].items()
        }
        assert alone.pop("ensemble") == network["ensemble"][part]["beam"]
        assert alone == {str(run["seed"]): run[part]["beam"] for run in network["seeds"]}
    _, split, _ = g2p.prepare(g2p.SETTINGS)
    assert results["sizes"] == {name: len(words) for name, words in split.items()}


@needs_binaries
def test_a_tiny_rerun_reproduces_the_committed_one(results):
    assert_tiny_rerun_close("g2p_combined", results["tiny"])
