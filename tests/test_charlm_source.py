"""The character model on Python's library source (experiment charlm_source, chapter 6): the
results file is what the code writes, every seed followed the recorded schedule, the summaries
are those of the runs, the checkpoint scores what the file says, and a tiny re-run agrees."""

import json
from pathlib import Path

import numpy as np
import pytest
from charlm_check import check_kn_and_lstm
from results_check import assert_tiny_rerun_close

from unrolled.experiments import charlm, charlm_source, scoreboard
from unrolled.experiments.common import dumps, load_results

RESULTS = Path(__file__).resolve().parent.parent / "notebooks" / "results"


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS / "charlm_source.json")


def test_results_file_is_canonical_and_has_the_code_settings(results):
    assert (RESULTS / "charlm_source.json").read_text() == dumps(results)
    assert results["settings"] == json.loads(json.dumps(charlm_source.SETTINGS))
    assert results["tiny"]["settings"] == json.loads(json.dumps(charlm_source.TINY))
    text = charlm_source.texts(results["settings"])
    assert results["chars"] == {name: len(t) for name, t in text.items()}
    assert text["train"] == text["fit"] + text["dev"]


def test_every_seed_followed_the_schedule_and_the_summaries_are_its_runs(results):
    check_kn_and_lstm(results["settings"], results["kneser_ney"], results["models"]["lstm"])


def test_the_checkpoint_scores_what_its_results_say(results):
    model = charlm.load_model(results, RESULTS / "charlm_source.pt")
    text = charlm_source.texts(results["settings"])["test"]
    ids = np.array([results["vocab"].index(c) for c in text])
    run = results["models"]["lstm"]["runs"][0]
    assert run["seed"] == results["checkpoint"]["seed"]
    assert charlm.bits_per_char(model, ids) == pytest.approx(run["test_bpc"], abs=1e-3)


def test_a_tiny_rerun_reproduces_the_committed_one(results):
    assert_tiny_rerun_close("charlm_source", results["tiny"])


def test_seeds_trained_in_parallel_are_those_trained_in_turn():
    settings = charlm_source.TINY | {"text_chars": 8_000, "hidden": 8, "seeds": [0, 1]}
    in_turn, _ = charlm_source.run(settings, jobs=1)
    in_parallel, _ = charlm_source.run(settings, jobs=2)
    assert in_parallel["models"] == in_turn["models"]
    assert in_parallel["kneser_ney"] == in_turn["kneser_ney"]


def test_the_scoreboard_entry_reads_the_results(results):
    entry = scoreboard.charlm_source_entry(results, RESULTS)
    lstm, kn = results["models"]["lstm"], results["kneser_ney"]
    assert entry["rnn"]["value"] == lstm["test_bpc"]["median"]
    assert entry["rnn"]["seeds"] == len(lstm["runs"]) >= 3
    assert min(entry["baselines"].values()) == kn["test_bpc"]  # tuned beats untuned
    assert entry["combined"][0]["value"] == lstm["mixture_test_bpc"]["median"]
