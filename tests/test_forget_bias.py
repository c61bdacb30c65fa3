"""unrolled.experiments.forget_bias: the committed results agree with the code that wrote them,
its b_f = 0 runs are chapter 5's runs to the digit, a tiny re-run reproduces the committed one,
and the bias lands on the forget gate."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from results_check import assert_tiny_rerun_close

from unrolled.experiments import adding, forget_bias
from unrolled.experiments.common import dumps, load_results

RESULTS = Path(__file__).resolve().parent.parent / "notebooks" / "results"


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS / "forget_bias.json")


def test_results_file_is_canonical_and_has_the_code_settings(results):
    assert (RESULTS / "forget_bias.json").read_text() == dumps(results)
    assert results["settings"] == json.loads(json.dumps(forget_bias.SETTINGS))
    assert results["tiny"]["settings"] == json.loads(json.dumps(forget_bias.TINY))


def test_every_bias_and_seed_is_run_and_summarised(results):
    settings = results["settings"]
    assert list(results["forget_biases"]) == [str(b) for b in settings["forget_biases"]]
    threshold = results["solved_below"] * results["baseline"]
    for model in results["forget_biases"].values():
        assert [r["seed"] for r in model["runs"]] == settings["seeds"]
        losses = [r["test_loss"] for r in model["runs"]]
        assert len(losses) >= 3
        assert model["test_loss"] == {
            "median": round(float(np.median(losses)), adding.DECIMALS),
            "min": min(losses),
            "max": max(losses),
        }
        assert model["solved"] == sum(loss < threshold for loss in losses)


def test_zero_bias_is_chapter_5s_run_to_the_digit(results):
    settings = results["settings"]
    chapter5 = adding.runs_of(
        load_results(RESULTS / "adding.json"), "adding", settings["T"], "lstm", settings["lr"]
    )
    assert [r["seed"] for r in chapter5] == settings["seeds"]
    for mine, theirs in zip(results["forget_biases"]["0.0"]["runs"], chapter5, strict=True):
        assert mine == {key: theirs[key] for key in mine}


def test_a_tiny_rerun_reproduces_the_committed_one(results):
    assert_tiny_rerun_close("forget_bias", results["tiny"])


def test_the_bias_opens_the_forget_gate():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(1, 3, batch_first=True)
    with torch.no_grad():
        for p in lstm.parameters():
            p.zero_()
        lstm.bias_ih_l0[:3] = -50.0  # input gate shut: nothing new is written
    adding.add_forget_bias(lstm, 50.0)
    c0 = torch.tensor([[[0.5, -1.0, 2.0]]])
    _, (_, c) = lstm(torch.zeros(1, 4, 1), (torch.zeros(1, 1, 3), c0))
    assert torch.allclose(c, c0, atol=1e-12)  # forget gates at 1: the cell keeps its value
    adding.add_forget_bias(lstm, -100.0)  # forget gates at 0: the cell is wiped
    _, (_, c) = lstm(torch.zeros(1, 1, 1), (torch.zeros(1, 1, 3), c0))
    assert torch.allclose(c, torch.zeros_like(c), atol=1e-12)


def test_forget_bias_is_checked():
    with pytest.raises(ValueError, match="forget_bias needs model 'lstm', received model 'rnn'"):
        adding.run_config("adding", 5, "rnn", 3e-3, forget_bias=1.0)
    with pytest.raises(TypeError, match="forget_bias must be a number, received '1'"):
        adding.run_config("adding", 5, "lstm", 3e-3, forget_bias="1")
