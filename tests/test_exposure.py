"""unrolled.experiments.exposure (chapter 3's exposure bias): the committed results agree with the
code that wrote them, every summary is computed from the per-seed runs, the learning rate was
chosen on the development text, a re-run of the tiny configuration reproduces its committed
entry, and the pieces (schedule, scheduled sampling, generation, text measures) do what their
docstrings say."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from results_check import assert_tiny_rerun_close

from unrolled.experiments import EXPERIMENTS, exposure
from unrolled.experiments.common import dumps, load_results
from unrolled.ngram import KneserNeyLM

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "notebooks" / "results" / "exposure.json"


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS)


# --- the committed results ----------------------------------------------------------------------


def test_registered_and_written_in_the_canonical_layout(results):
    assert "exposure" in EXPERIMENTS
    assert RESULTS.read_text() == dumps(results)
    assert results["settings"] == json.loads(json.dumps(exposure.SETTINGS))
    assert results["tiny"]["settings"] == json.loads(json.dumps(exposure.TINY))


@pytest.mark.parametrize("part", ["full", "tiny"])
def test_every_seed_is_run_and_summarised(results, part):
    entry = results if part == "full" else results["tiny"]
    settings = entry["settings"]
    assert set(entry["runs"]) == set(entry["summary"]) == set(settings["methods"])  # keys sorted
    for method, runs in entry["runs"].items():
        assert [r["seed"] for r in runs] == settings["seeds"]
        assert entry["summary"][method] == exposure.summarise(runs)
        values = [r["sampled"]["kn_bpc"] for r in runs]
        assert entry["summary"][method]["sampled"]["kn_bpc"] == {
            "median": round(float(np.median(values)), 4),
            "min": min(values),
            "max": max(values),
        }
        for run in runs:
            curve = run["curve"]
            every = settings["eval_every"]
            assert curve["updates"] == list(range(every, settings["updates"] + 1, every))
            assert run["dev_bpc"] == curve["dev_bpc"][-1]
            expected_eps = [
                round(exposure.truth_probability(method, u - 1, settings), 4)
                for u in curve["updates"]
            ]
            assert curve["eps"] == expected_eps
    assert len(results["settings"]["seeds"]) >= 3  # the book's rule for a claim


@pytest.mark.parametrize("part", ["full", "tiny"])
def test_the_learning_rate_is_chosen_on_the_development_text(results, part):
    entry = results if part == "full" else results["tiny"]
    settings = entry["settings"]
    assert [(e["method"], e["lr"]) for e in entry["search"]] == [
        (m, lr) for m in settings["methods"] for lr in settings["lrs"]
    ]
    for method, lr in entry["chosen_lr"].items():
        candidates = [e for e in entry["search"] if e["method"] == method]
        best = min(candidates, key=lambda e: float(np.median(e["dev_bpc"])))
        assert lr == best["lr"]
        assert [r["dev_bpc"] for r in entry["runs"][method]] == best["dev_bpc"]


def test_a_tiny_rerun_reproduces_the_committed_one(results):
    assert_tiny_rerun_close("exposure", results["tiny"])


def test_the_samples_shown_are_prompts_of_the_validation_text(results):
    samples, settings = results["samples"], results["settings"]
    val_text = exposure.texts(settings)["test"]
    P, F = settings["prompt"], settings["free"]
    for start, prompt, truth in zip(
        settings["shown_starts"], samples["prompts"], samples["truth"], strict=True
    ):
        assert val_text[start : start + P] == prompt
        assert val_text[start + P : start + P + F] == truth
    for method in settings["methods"]:
        assert all(len(s) == F for kind in ("sampled", "greedy") for s in samples[method][kind])


# --- the pieces ---------------------------------------------------------------------------------


def test_inverse_sigmoid_schedule():
    k = 230
    assert exposure.inverse_sigmoid(0, k) == pytest.approx(k / (k + 1))
    assert exposure.inverse_sigmoid(k * math.log(k), k) == pytest.approx(0.5)
    values = [exposure.inverse_sigmoid(i, k) for i in range(0, 3000, 100)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))
    assert exposure.inverse_sigmoid(10**9, 1) == pytest.approx(0.0)  # no overflow
    with pytest.raises(ValueError, match="k must be >= 1"):
        exposure.inverse_sigmoid(5, 0.5)
    settings = {"schedule_k": k, "eps_floor": 0.75}
    assert exposure.truth_probability("teacher forcing", 1000, settings) == 1.0
    for i in (0, 7, 500):
        assert exposure.truth_probability("scheduled sampling to 0", i, settings) == pytest.approx(
            k / (k + math.exp(i / k))
        )
    assert exposure.truth_probability("scheduled sampling", 7, settings) == pytest.approx(
        k / (k + math.exp(7 / k))
    )
    assert exposure.truth_probability("scheduled sampling", 3000, settings) == 0.75
    assert exposure.truth_probability("scheduled sampling to 0", 3000, settings) < 0.01
    with pytest.raises(ValueError, match="method must be one of"):
        exposure.truth_probability("professor forcing", 0, settings)


def small_model(seed=0, K=7, H=5):
    torch.manual_seed(seed)
    return exposure.CharRNN(K, H).double()


def test_a_step_is_the_forward_pass_one_character_on():
    model = small_model()
    ids = torch.randint(0, 7, (4, 9), generator=torch.Generator().manual_seed(1))
    scores, h = model(ids)  # (4, 9, 7), (1, 4, 5)
    _, h_before = model(ids[:, :-1])
    step_scores, step_h = model.step(ids[:, -1], h_before[0])
    torch.testing.assert_close(step_scores, scores[:, -1], rtol=0, atol=1e-12)
    torch.testing.assert_close(step_h, h[0], rtol=0, atol=1e-12)


def test_scheduled_sampling_with_eps_one_is_teacher_forcing_exactly():
    window = torch.randint(0, 7, (4, 12), generator=torch.Generator().manual_seed(2))
    keep = torch.ones(4, 6, dtype=torch.bool)  # eps = 1: every coin says "the truth"
    inputs, _ = exposure.run_free(small_model(), window, 5, keep, torch.Generator())
    assert torch.equal(inputs, window[:, :-1])
    updated = []
    for fed in (inputs, window[:, :-1]):
        model = small_model()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        loss = exposure.update(model, optimizer, fed, window[:, 1:], max_norm=1.0)
        updated.append((loss, [p.detach().clone() for p in model.parameters()]))
    assert updated[0][0] == updated[1][0]
    assert all(torch.equal(a, b) for a, b in zip(updated[0][1], updated[1][1], strict=True))


def test_scheduled_sampling_feeds_the_truth_where_kept_and_its_own_choice_elsewhere():
    window = torch.randint(0, 7, (6, 12), generator=torch.Generator().manual_seed(3))
    keep = torch.rand(6, 6, generator=torch.Generator().manual_seed(4)) < 0.5
    inputs, choices = exposure.run_free(small_model(), window, 5, keep, torch.Generator())
    assert torch.equal(inputs[:, :5], window[:, :5])  # the prompt
    assert torch.equal(inputs[:, 5:][keep], window[:, 5:-1][keep])
    assert torch.equal(inputs[:, 5:][~keep], choices[:, :-1][~keep])
    assert choices.shape == (6, 7)
    with pytest.raises(ValueError, match="keep"):
        exposure.run_free(small_model(), window, 5, keep[:, :-1], None)
    with pytest.raises(ValueError, match="prompt"):
        exposure.run_free(small_model(), window, 12, keep, None)


@pytest.mark.parametrize("sampled", [True, False])
def test_generation_feeds_back_its_own_choices(sampled):
    """generate (the step-by-step loop) against the plain definition: the whole sequence read
    again by forward at every step, the next character drawn from the last scores."""
    model, prompts = small_model(), torch.tensor([[1, 2, 3], [4, 4, 0]])
    generator = torch.Generator().manual_seed(5) if sampled else None
    continuation = exposure.generate(model, prompts, 6, generator)
    generator = torch.Generator().manual_seed(5) if sampled else None
    sequence = prompts
    with torch.no_grad():
        for _ in range(6):
            scores, _ = model(sequence)
            sequence = torch.cat([sequence, exposure.choose(scores[:, -1], generator)[:, None]], 1)
    assert torch.equal(continuation, sequence[:, 3:])


def test_teacher_forced_bits_scores_the_continuation_only():
    model, window = small_model(), torch.randint(0, 7, (3, 10))
    with torch.no_grad():
        scores, _ = model(window[:, :-1])
        log_p = torch.log_softmax(scores, -1).gather(-1, window[:, 1:, None])[..., 0]
    expected = -log_p[:, 3:].mean().item() / math.log(2)  # targets window[:, 4:]
    assert exposure.teacher_forced_bits(model, window, 4) == pytest.approx(expected, rel=1e-12)


def test_js_divergence_in_bits():
    p = {"ab": 0.25, "bc": 0.75}
    assert exposure.js_divergence(p, p) == 0.0
    assert exposure.js_divergence(p, {"xy": 0.5, "yz": 0.5}) == pytest.approx(1.0)
    q = {"ab": 0.5, "cd": 0.5}
    assert exposure.js_divergence(p, q) == pytest.approx(exposure.js_divergence(q, p))
    half = 0.5 * math.log2(1 / 0.75) + 0.5 * (0.5 * math.log2(0.5 / 0.75) + 0.5)
    assert exposure.js_divergence({"a": 1.0}, {"a": 0.5, "b": 0.5}) == pytest.approx(half)
    assert 0 < exposure.js_divergence(p, q) < 1


def test_ngram_statistics_stay_inside_each_piece():
    assert exposure.ngram_distribution(["ab", "cd"], 2) == {"ab": 0.5, "cd": 0.5}
    assert exposure.ngram_distribution(["aaa"], 2) == {"aa": 1.0}
    distribution = exposure.ngram_distribution(["hello world", "help"], 3)
    assert sum(distribution.values()) == pytest.approx(1.0)
    assert exposure.unseen_share(["abcd", "abx"], {"abc", "bcd"}, 3) == pytest.approx(1 / 3)


def test_kneser_ney_scores_the_continuation_given_its_prompt():
    lm = KneserNeyLM(3, 0.75).fit("the cat sat on the mat. the dog sat on the log. " * 3)
    prompts, continuations = ["the c", "on th"], ["at sat", "e dog!"]  # "!" is unseen
    total = 0.0
    for prompt, continuation in zip(prompts, continuations, strict=True):
        whole = prompt + continuation
        total += lm.bits_per_char(whole) * len(whole) - lm.bits_per_char(prompt) * len(prompt)
    expected = total / sum(map(len, continuations))
    assert exposure.kn_bits(lm, prompts, continuations) == pytest.approx(expected)
    # degenerate repetition is cheap for the judge, which is why the n-gram statistics are kept
    assert exposure.kn_bits(lm, ["the "], ["the the the "]) < exposure.kn_bits(
        lm, ["the "], ["dog on mat. "]
    )


def test_text_measures_of_a_text_against_itself():
    text = "the cat sat on the mat. the dog sat on the log. "
    lm = KneserNeyLM(3, 0.75).fit(text * 3)
    reference = {n: exposure.ngram_distribution([text], n) for n in (2, 3)}
    measures = exposure.text_measures(lm, reference, ["the "], [text])
    assert measures["js2"] == measures["js3"] == measures["unseen3"] == 0.0
    assert 0 < measures["kn_bpc"] < math.log2(len(lm.vocab))
