"""The like-for-like character LM comparison (experiment charlm_refit, chapter 6): every number
it reuses from charlm is the one charlm committed, its Kneser-Ney numbers re-evaluate, and the
refit replays exactly the training charlm chose on dev."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from results_check import assert_tiny_rerun_close

from unrolled.experiments import charlm, charlm_refit, scoreboard
from unrolled.experiments.common import dumps, load_results, spread
from unrolled.ngram import KneserNeyLM

RESULTS = Path(__file__).resolve().parent.parent / "notebooks" / "results"


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS / "charlm_refit.json")


@pytest.fixture(scope="module")
def source():
    return load_results(RESULTS / "charlm.json")


def test_results_file_is_canonical_and_has_the_code_settings(results, source):
    assert (RESULTS / "charlm_refit.json").read_text() == dumps(results)
    assert results["settings"] == json.loads(json.dumps(charlm_refit.SETTINGS))
    assert results["tiny"]["settings"] == json.loads(json.dumps(charlm_refit.TINY))
    assert results["source_settings"] == source["settings"]


def test_every_seed_follows_the_choices_made_on_dev(results, source):
    runs, dev_runs = results["runs"], source["models"][results["settings"]["kind"]]["runs"]
    assert [r["seed"] for r in runs] == [r["seed"] for r in dev_runs]
    assert len(runs) >= 3  # the book's rule for a claim about a trained model
    best = results["dev_best_bpc"]
    assert best["constant"] == spread([min(r["curve"]["dev_bpc"]) for r in dev_runs])
    assert results["chosen_schedule"] == min(best, key=lambda name: best[name]["median"])
    for run, dev_run in zip(runs, dev_runs, strict=True):
        assert run["best_epoch"] == int(np.argmin(run["curve"]["dev_bpc"])) + 1
        if results["chosen_schedule"] == "constant":
            assert run["curve"] == dev_run["curve"]
            assert run["fit_test_bpc"] == dev_run["test_bpc"]
            assert run["mixture_weight"] == dev_run["mixture"]["weight"]
        else:
            decay = charlm_refit.linear_decay(
                source["settings"]["lr"], results["settings"]["decay_epochs"]
            )
            assert run["curve"]["lr"] == pytest.approx(decay, rel=1e-12)
            assert run["mixture_weight"] in source["settings"]["weights"]
    if results["chosen_schedule"] == "linear":
        assert best["linear"] == spread([min(r["curve"]["dev_bpc"]) for r in runs])
    for name in ("fit_test_bpc", "test_bpc", "mixture_test_bpc"):
        assert results[name] == spread([r[name] for r in runs])


def test_kneser_ney_numbers_are_charlms_and_re_evaluate(results, source):
    kn = results["kneser_ney"]
    assert (kn["order"], kn["discount"]) == (
        source["kneser_ney"]["order"],
        source["kneser_ney"]["discount"],
    )
    same_model = source["kneser_ney"]["test_bpc"]  # recomputed, summed in another order
    assert kn["train_test_bpc"] == pytest.approx(same_model, abs=1.5e-4)
    text = charlm.texts(source["settings"])
    fit_only = KneserNeyLM(kn["order"], kn["discount"]).fit(text["fit"])  # counting: exact
    assert fit_only.bits_per_char(text["test"]) == pytest.approx(kn["fit_test_bpc"], abs=1e-4)


def test_refit_replays_a_dev_run_whose_last_epoch_was_best():
    """Trained on the fit text with charlm's loop, a model whose dev score improved every epoch
    is the model refit trains with the recorded learning rates: the same updates, bit for bit."""
    settings = charlm.TINY | {"hidden": 8, "embed": 4, "text_chars": 6_000}
    _, vocab, data = charlm.encoded_texts(settings)
    trained, curve = charlm.train("lstm", 3, data, vocab.size, settings, log=False)
    assert curve["dev_bpc"] == sorted(curve["dev_bpc"], reverse=True)  # the last epoch was best
    replayed = charlm.refit("lstm", 3, data["fit"], vocab.size, settings, curve["lr"])
    for a, b in zip(trained.state_dict().values(), replayed.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    for schedule in ([], curve["lr"][:1], [lr / 2 for lr in curve["lr"]]):  # the rates matter
        other = charlm.refit("lstm", 3, data["fit"], vocab.size, settings, schedule)
        assert not np.allclose(other.readout.weight.detach(), replayed.readout.weight.detach())


def test_a_schedule_sets_every_epochs_rate_and_nothing_is_halved():
    settings = charlm.TINY | {"hidden": 8, "embed": 4, "text_chars": 6_000}
    _, vocab, data = charlm.encoded_texts(settings)
    schedule = [5.0, 1e-3, 1e-3]  # without a schedule, a worse dev score would halve the rate
    _, curve = charlm.train("gru", 0, data, vocab.size, settings, False, schedule)
    assert curve["lr"] == schedule
    assert charlm_refit.linear_decay(0.4, 4) == pytest.approx([0.4, 0.3, 0.2, 0.1])


def test_a_tiny_rerun_reproduces_the_committed_one(results):
    assert_tiny_rerun_close("charlm_refit", results["tiny"])


def test_the_scoreboard_compares_models_that_read_the_same_text(results, source, tmp_path):
    assert scoreboard.charlm_entry(source, tmp_path) is None  # no charlm_refit.json there
    entry = scoreboard.charlm_entry(source, RESULTS)
    assert entry["rnn"]["value"] == results["test_bpc"]["median"]
    assert entry["rnn"]["seeds"] == len(results["runs"]) >= 3
    tuned = [v for name, v in entry["baselines"].items() if "tuned" in name]
    assert tuned == [results["kneser_ney"]["train_test_bpc"]]  # fitted on all training text
    assert entry["combined"][0]["value"] == results["mixture_test_bpc"]["median"]
