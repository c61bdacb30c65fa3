"""unrolled.attention against PyTorch autograd in float64: scores, masked weights, context."""

import numpy as np
import pytest
import torch

from unrolled.attention import (
    additive_scores_backward,
    additive_scores_forward,
    attention_backward,
    attention_forward,
    attention_weights_backward,
    attention_weights_forward,
    context_backward,
    context_forward,
    dot_scores_backward,
    dot_scores_forward,
    general_scores_backward,
    general_scores_forward,
)
from unrolled.torchcheck import torchcheck

N, T, H, S, A = 3, 5, 4, 6, 7
LENGTHS = np.array([5, 2, 3])  # example 1 has three padded positions
MASK = np.arange(T)[None, :] < LENGTHS[:, None]  # (N, T)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def torch_masked_softmax(scores):
    return torch.softmax(scores.masked_fill(~torch.from_numpy(MASK), float("-inf")), dim=1)


def test_additive_scores_match_torch(rng):
    inputs = {
        "s": rng.normal(size=(N, S)),
        "h": rng.normal(size=(N, T, H)),
        "W_s": rng.normal(size=(A, S)),
        "W_h": rng.normal(size=(A, H)),
        "v": rng.normal(size=A),
    }

    def numpy_fn(x, dout):
        out, cache = additive_scores_forward(x["s"], x["h"], x["W_s"], x["W_h"], x["v"])
        grads = additive_scores_backward(dout, cache)
        return out, dict(zip(["s", "h", "W_s", "W_h", "v"], grads, strict=True))

    def torch_fn(t):
        return torch.tanh((t["s"] @ t["W_s"].T)[:, None, :] + t["h"] @ t["W_h"].T) @ t["v"]

    torchcheck(numpy_fn, torch_fn, inputs).assert_passed()


def test_dot_and_general_scores_match_torch(rng):
    dot_inputs = {"s": rng.normal(size=(N, H)), "h": rng.normal(size=(N, T, H))}

    def dot_numpy(x, dout):
        out, cache = dot_scores_forward(x["s"], x["h"])
        return out, dict(zip(["s", "h"], dot_scores_backward(dout, cache), strict=True))

    report = torchcheck(
        dot_numpy, lambda t: torch.einsum("nh,nth->nt", t["s"], t["h"]), dot_inputs
    )
    report.assert_passed()

    general_inputs = {
        "s": rng.normal(size=(N, S)),
        "h": rng.normal(size=(N, T, H)),
        "W_a": rng.normal(size=(S, H)),
    }

    def general_numpy(x, dout):
        out, cache = general_scores_forward(x["s"], x["h"], x["W_a"])
        grads = general_scores_backward(dout, cache)
        return out, dict(zip(["s", "h", "W_a"], grads, strict=True))

    def general_torch(t):
        return torch.einsum("ns,sh,nth->nt", t["s"], t["W_a"], t["h"])

    torchcheck(general_numpy, general_torch, general_inputs).assert_passed()


def test_masked_weights_match_torch_and_ignore_padding(rng):
    scores = rng.normal(size=(N, T))

    def numpy_fn(x, dout):
        alpha, cache = attention_weights_forward(x["scores"], MASK)
        return alpha, {"scores": attention_weights_backward(dout, cache)}

    report = torchcheck(numpy_fn, lambda t: torch_masked_softmax(t["scores"]), {"scores": scores})
    report.assert_passed()
    alpha, _ = attention_weights_forward(scores, MASK)
    assert np.all(alpha[~MASK] == 0.0)
    np.testing.assert_allclose(alpha.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    # the padded scores can be anything, even huge, without changing the weights
    garbage = np.where(MASK, scores, 1e6)
    np.testing.assert_array_equal(attention_weights_forward(garbage, MASK)[0], alpha)


def test_context_matches_torch(rng):
    inputs = {"alpha": rng.random(size=(N, T)), "h": rng.normal(size=(N, T, H))}

    def numpy_fn(x, dout):
        c, cache = context_forward(x["alpha"], x["h"])
        return c, dict(zip(["alpha", "h"], context_backward(dout, cache), strict=True))

    torch_fn = lambda t: torch.einsum("nt,nth->nh", t["alpha"], t["h"])  # noqa: E731
    torchcheck(numpy_fn, torch_fn, inputs).assert_passed()


@pytest.mark.parametrize("score", ["additive", "dot", "general"])
def test_full_attention_read_matches_torch(rng, score):
    size = H if score == "dot" else S
    params = {
        "additive": {
            "W_s": rng.normal(size=(A, S)),
            "W_h": rng.normal(size=(A, H)),
            "v": rng.normal(size=A),
        },
        "dot": {},
        "general": {"W_a": rng.normal(size=(S, H))},
    }[score]
    inputs = {"s": rng.normal(size=(N, size)), "h": rng.normal(size=(N, T, H))} | params

    def numpy_fn(x, dout):
        p = {k: x[k] for k in params}
        (c, _), cache = attention_forward(x["s"], x["h"], MASK, score, p)
        ds, dh, dparams = attention_backward(dout, cache)
        return c, {"s": ds, "h": dh} | dparams

    def torch_fn(t):
        if score == "additive":
            e = torch.tanh((t["s"] @ t["W_s"].T)[:, None, :] + t["h"] @ t["W_h"].T) @ t["v"]
        elif score == "dot":
            e = torch.einsum("nh,nth->nt", t["s"], t["h"])
        else:
            e = torch.einsum("ns,sh,nth->nt", t["s"], t["W_a"], t["h"])
        return torch.einsum("nt,nth->nh", torch_masked_softmax(e), t["h"])

    report = torchcheck(numpy_fn, torch_fn, inputs)
    report.assert_passed()
    assert not report.unchecked


def test_padded_encoder_states_get_no_gradient(rng):
    s, h = rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    (c, _), cache = attention_forward(s, h, MASK)
    _, dh, _ = attention_backward(rng.normal(size=c.shape), cache)
    assert np.all(dh[~MASK] == 0.0)
    assert np.all(np.abs(dh[MASK]) > 0.0)


def test_bad_shapes_and_names_raise_value_errors(rng):
    s, h = rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    with pytest.raises(ValueError, match=r"h: expected shape \(N, T, H\)"):
        dot_scores_forward(s, h[:, :, :-1])
    with pytest.raises(ValueError, match=r"mask: expected shape"):
        attention_weights_forward(rng.normal(size=(N, T)), MASK[:, :-1])
    with pytest.raises(ValueError, match="at least one real"):
        attention_weights_forward(rng.normal(size=(N, T)), np.zeros((N, T), dtype=bool))
    with pytest.raises(ValueError, match="score: expected one of"):
        attention_forward(s, h, score="cosine")
