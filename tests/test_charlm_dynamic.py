"""Both character models learning while they read (experiment charlm_dynamic, chapter 6): the
Kneser-Ney cache counts exactly what a refit would, dynamic evaluation scores every character
before learning from it, every choice was made on dev, and the checkpoint re-evaluates."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from results_check import assert_tiny_rerun_close

from unrolled.experiments import charlm, charlm_dynamic, scoreboard
from unrolled.experiments.charlm_dynamic import (
    AdaptiveKneserNey,
    adaptive_probabilities,
    dynamic_nats,
)
from unrolled.experiments.common import dumps, load_results, spread
from unrolled.ngram import UNK, KneserNeyLM

RESULTS = Path(__file__).resolve().parent.parent / "notebooks" / "results"
OLD = "the cat sat on the mat. the dog sat on the log; abracadabra " * 3
NEW = "the cat ate the rat. abracadabra; bat. tomb"  # no character OLD lacks


def counts(lm: KneserNeyLM) -> list[dict]:
    return [
        {h: (dict(c.counts), c.total, c.types) for h, c in level.items()} for level in lm.levels
    ]


@pytest.mark.parametrize("order", [1, 2, 3, 6])
def test_observing_a_text_counts_what_refitting_on_it_would(order):
    lm, n, whole = AdaptiveKneserNey(order, 0.8).fit(OLD), order - 1, OLD + NEW
    for t in range(len(OLD), len(whole)):
        lm.observe(whole[max(0, t - n) : t], whole[t])
    assert counts(lm) == counts(KneserNeyLM(order, 0.8).fit(whole))


def test_an_unseen_character_is_counted_as_unk():
    lm = AdaptiveKneserNey(3, 0.8).fit(OLD)
    lm.observe("ab", "!")
    assert lm.levels[2]["ab"].counts[UNK] == 1 and "!" not in lm._index


def test_the_cache_scores_each_character_before_counting_it():
    text = "zebra crossing, zebra crossing"  # 16 + 14 characters
    static = KneserNeyLM(4, 0.9).fit(OLD)
    p = adaptive_probabilities(AdaptiveKneserNey(4).fit(OLD), text, [0.9, 1.0])
    assert p.shape == (2, len(text) - 1)
    assert p[0, 0] == static.prob("z", "e")  # nothing counted yet
    second = [static.prob(text[t - 3 : t], text[t]) for t in range(17, len(text))]
    assert (p[0, 16:] > np.array(second)).all()  # read a second time, every character
    assert (p[0, 16:] > p[0, :13]).all()  # is likelier than before and than the first time


@pytest.fixture(scope="module")
def tiny_model():
    torch.manual_seed(0)
    return charlm.CharLM("lstm", 12, 4, 8, 0.25)


def test_dynamic_evaluation_at_rate_zero_is_static_evaluation(tiny_model):
    ids = np.random.default_rng(0).integers(0, 12, 301)
    static = charlm.char_nats(tiny_model, ids, chunk=50)
    same = dynamic_nats(tiny_model, ids, 0.0, 50)  # with autograd on: float32 rounding apart
    np.testing.assert_allclose(same, static, rtol=1e-6)
    assert not np.allclose(dynamic_nats(tiny_model, ids, 0.5, 50), static)


def test_dynamic_evaluation_scores_a_character_before_any_step_learns_from_it(tiny_model):
    ids = np.random.default_rng(1).integers(0, 12, 301)
    before = [p.detach().clone() for p in tiny_model.parameters()]
    nats = dynamic_nats(tiny_model, ids, 0.5, 50)
    for t in (1, 49, 50, 51, 175, 300):  # inside and at the edges of the segments
        changed = ids.copy()
        changed[t] = (ids[t] + 1) % 12
        other = dynamic_nats(tiny_model, changed, 0.5, 50)
        assert np.array_equal(other[: t - 1], nats[: t - 1])  # nats[t - 1] scores character t
        assert other[t - 1] != nats[t - 1]
    for old, new in zip(before, tiny_model.parameters(), strict=True):
        assert torch.equal(old, new)  # the model was copied, not changed


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS / "charlm_dynamic.json")


@pytest.fixture(scope="module")
def refit():
    return load_results(RESULTS / "charlm_refit.json")


def test_results_file_is_canonical_and_has_the_code_settings(results):
    assert (RESULTS / "charlm_dynamic.json").read_text() == dumps(results)
    assert results["settings"] == json.loads(json.dumps(charlm_dynamic.SETTINGS))
    assert results["tiny"]["settings"] == json.loads(json.dumps(charlm_dynamic.TINY))
    assert results["source_settings"] == load_results(RESULTS / "charlm.json")["settings"]


def test_every_choice_was_made_on_dev(results, refit):
    dev, settings = results["dev"], results["settings"]
    assert set(dev["lstm_bpc"]) == {
        f"{s}:{lr}" for s in settings["segments"] for lr in settings["lrs"]
    }
    assert min(dev["lstm_bpc"], key=dev["lstm_bpc"].get) == f"{dev['segment']}:{dev['lr']}"
    kn = dev["kneser_ney_bpc"]
    assert len(kn) == len(settings["kn_orders"]) * len(settings["kn_discounts"])
    assert min(kn, key=kn.get) == f"{dev['order']}:{dev['discount']}"
    assert dev["mixture_weight"] in results["source_settings"]["weights"]
    assert [(r["seed"], r["epochs"]) for r in results["runs"]] == [
        (r["seed"], r["best_epoch"]) for r in refit["runs"]
    ]
    assert len(results["runs"]) >= 3  # the book's rule for a claim about a trained model
    for name in ("static_bpc", "dynamic_bpc", "mixture_bpc"):
        assert results[name] == spread([r[name] for r in results["runs"]])


def test_the_retrained_models_are_charlm_refits(results, refit):
    """Retrained with the same seeds and rates, the static scores are charlm_refit's (exactly
    on the machine that ran both; REL 1e-3 leaves room for another processor)."""
    for run, old in zip(results["runs"], refit["runs"], strict=True):
        assert run["static_bpc"] == pytest.approx(old["test_bpc"], rel=1e-3)
    assert results["kneser_ney"]["static_bpc"] == refit["kneser_ney"]["train_test_bpc"]


def test_the_checkpoint_re_evaluates(results):
    source = load_results(RESULTS / "charlm.json")
    model = charlm.load_model(source, RESULTS / "charlm.pt")
    model.load_state_dict(torch.load(RESULTS / "charlm_dynamic.pt", weights_only=True))
    _, _, data = charlm.encoded_texts(source["settings"])
    run, check, dev = results["runs"][0], results["checkpoint"], results["dev"]
    assert check["seed"] == run["seed"]
    static = charlm.bits_per_char(model, data["test"], source["settings"]["eval_chunk"])
    assert static == pytest.approx(run["static_bpc"], abs=1e-4)
    prefix = dynamic_nats(model, data["test"][: check["prefix_chars"]], dev["lr"], dev["segment"])
    assert charlm_dynamic.bpc(prefix) == pytest.approx(check["prefix_dynamic_bpc"], abs=2e-4)


def test_a_tiny_rerun_reproduces_the_committed_one(results):
    assert_tiny_rerun_close("charlm_dynamic", results["tiny"])


def test_the_scoreboard_row_compares_two_models_that_learn_while_reading(results):
    entry = scoreboard.charlm_dynamic_entry(results, RESULTS)
    assert entry["rnn"]["value"] == results["dynamic_bpc"]["median"]
    assert entry["rnn"]["seeds"] == len(results["runs"])
    assert min(entry["baselines"].values()) == results["kneser_ney"]["adaptive_bpc"]
    assert entry["combined"][0]["value"] == results["mixture_bpc"]["median"]
