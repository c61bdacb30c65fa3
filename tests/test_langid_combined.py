"""unrolled.experiments.langid_combined, chapter 6's product of the letter models and naive
Bayes: the committed results hold their own dev choice, agree with the langid experiment whose
choices they reuse (a separate run reproducing its models), the scoreboard shows them, and a
re-run of the tiny configuration reproduces its committed entry."""

import json
from pathlib import Path

import numpy as np
import pytest
from results_check import assert_tiny_rerun_close

from unrolled.data import load_language_words
from unrolled.experiments import langid, langid_combined, scoreboard
from unrolled.experiments.common import dumps, load_results, spread
from unrolled.experiments.experts import chosen_weight

RESULTS_DIR = Path(__file__).resolve().parent.parent / "notebooks" / "results"
WORDS = 2  # how many words two runs of the same training may disagree on (other processor)


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS_DIR / "langid_combined.json")


@pytest.fixture(scope="module")
def source():
    return load_results(RESULTS_DIR / "langid.json")


def test_results_hold_the_settings_and_the_dev_choice(results):
    assert (RESULTS_DIR / "langid_combined.json").read_text() == dumps(results)
    assert results["settings"] == json.loads(json.dumps(langid_combined.SETTINGS))
    assert results["tiny"]["settings"] == json.loads(json.dumps(langid_combined.TINY))
    weights = results["settings"]["weights"]
    assert weights[0] == 0.0 and weights[-1] == 1.0  # both experts alone are on the grid
    for entry in results["networks"].values():
        assert entry["weight"] == chosen_weight(entry["dev_accuracy"], weights)
        assert entry["dev_accuracy"][-1] == results["naive_bayes"]["dev"]  # a = 1: naive Bayes


def test_the_combined_models_are_langids_own(results, source):
    """A separate run of the same training reproduces langid's letter models (dev accuracy at
    a = 0, test accuracy alone, of each seed and of the ensembles) to within WORDS words, since
    training on another processor rounds differently, and naive Bayes exactly."""
    letter, nb = source["generative"], source["naive_bayes"]
    assert results["letter_model"] == {k: letter["chosen"][k] for k in ("hidden", "dropout")}
    assert results["naive_bayes"]["test"] == nb["test_accuracy"]
    assert results["naive_bayes"]["dev"] == round(
        nb["dev_accuracy"][f"{nb['order']}:{nb['alpha']}"], langid.DECIMALS
    )
    _, labels, _ = load_language_words(langid.LANGUAGES, results["settings"]["n_per_language"])
    sizes = {part: len(idx) for part, idx in langid.splits(labels, results["settings"]).items()}
    networks, seeds = results["networks"], results["settings"]["seeds"]
    dev = [networks[str(s)]["dev_accuracy"][0] for s in seeds]
    dev.append(networks["ensemble"]["dev_accuracy"][0])
    expected = [*letter["chosen"]["dev_accuracy"], letter["chosen"]["dev_ensemble_accuracy"]]
    assert np.allclose(dev, expected, rtol=0, atol=WORDS / sizes["dev"] + 1e-4)
    test = [networks[str(r["seed"])]["test_alone"] for r in letter["runs"]]
    test += [e["test_alone"] for e in results["ensembles"]]
    expected = [r["accuracy"] for r in letter["runs"]] + [
        e["accuracy"] for e in letter["ensembles"]
    ]
    assert np.allclose(test, expected, rtol=0, atol=WORDS / sizes["test"] + 1e-4)
    assert [e["seeds"] for e in results["ensembles"]] == [e["seeds"] for e in letter["ensembles"]]
    assert networks["ensemble"]["test_alone"] == results["ensembles"][0]["test_alone"]
    assert networks["ensemble"]["test_accuracy"] == results["ensembles"][0]["test_accuracy"]


def test_the_summaries_are_of_every_seed_and_ensemble(results):
    seeds = results["settings"]["seeds"]
    assert len(seeds) >= 3 and len(results["ensembles"]) >= 3
    singles = [results["networks"][str(s)]["test_accuracy"] for s in seeds]
    assert results["seeds_test_accuracy"] == spread(singles)
    groups = [e["test_accuracy"] for e in results["ensembles"]]
    assert results["ensembles_test_accuracy"] == spread(groups)


def test_the_scoreboard_shows_the_combination_beside_the_network(results, source, tmp_path):
    alone = scoreboard.langid_entry(source, tmp_path)  # no langid_combined.json there
    entry = scoreboard.langid_entry(source, RESULTS_DIR)
    assert entry["combined"][:1] == alone["combined"]
    singles, groups = entry["combined"][1:]
    summary = results["seeds_test_accuracy"]
    assert singles["value"] == summary["median"]
    assert singles["range"] == [summary["min"], summary["max"]]
    assert groups["value"] == results["ensembles_test_accuracy"]["median"]


def test_a_tiny_rerun_reproduces_the_committed_one(results):
    assert_tiny_rerun_close("langid_combined", results["tiny"])
