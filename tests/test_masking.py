"""Masked positions never influence a result: fill the padding with NaN, inf or garbage and every
output and gradient must be exactly what it is with zeros there (and finite)."""

import numpy as np
import pytest

from unrolled.attention import attention_backward, attention_forward, attention_weights_forward
from unrolled.bptt import init_params, loss_and_gradients, truncated_bptt
from unrolled.rnn import rnn_backward, rnn_forward, softmax_cross_entropy

N, T, D, H, K = 3, 6, 4, 5, 7
LENGTHS = np.array([6, 4, 1])
MASK = (np.arange(T)[None, :] < LENGTHS[:, None]).astype(float)  # (N, T): 1 then 0
FILLS = [np.nan, np.inf, -np.inf, 1e300]


def padded(array: np.ndarray, fill: float, mask: np.ndarray = MASK) -> np.ndarray:
    """A copy of `array` with `fill` at every padded position (mask 0) of its first two axes."""
    out = array.copy()
    out[mask == 0] = fill
    return out


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    params = init_params(D, H, K, rng)
    x = rng.normal(size=(N, T, D))
    y = rng.integers(0, K, size=(N, T))
    return params, x, y, rng.normal(size=(N, H))


@pytest.mark.parametrize("fill", FILLS)
def test_rnn_forward_and_backward_ignore_padded_inputs(data, fill):
    params, x, _, h0 = data
    dhs = np.random.default_rng(1).normal(size=(N, T, H))
    clean = rnn_forward(padded(x, 0.0), h0, params["U"], params["W"], params["b"], MASK)
    dirty = rnn_forward(padded(x, fill), h0, params["U"], params["W"], params["b"], MASK)
    assert np.array_equal(clean[0], dirty[0])
    with np.errstate(invalid="ignore", over="ignore"):
        grads_dirty = rnn_backward(dhs, dirty[1])  # hs at padding is the carried state: real
    for name, a, b in zip(
        ("dx", "dh0", "dU", "dW", "db"), rnn_backward(dhs, clean[1]), grads_dirty, strict=True
    ):
        assert np.all(np.isfinite(b)), f"{name} is not finite with {fill} in the padding"
        assert np.allclose(a, b, rtol=1e-13, atol=1e-15), name
    assert np.all(grads_dirty[0][MASK == 0] == 0)  # no gradient reaches a padded input


@pytest.mark.parametrize("fill", FILLS)
def test_cross_entropy_ignores_padded_scores(fill):
    rng = np.random.default_rng(2)
    o, y = rng.normal(size=(N, T, K)), rng.integers(0, K, size=(N, T))
    loss, do = softmax_cross_entropy(o, y, MASK)
    loss_dirty, do_dirty = softmax_cross_entropy(padded(o, fill), y, MASK)
    assert np.isfinite(loss_dirty) and loss_dirty == pytest.approx(loss, rel=1e-14)
    assert np.array_equal(do, do_dirty) and np.all(do_dirty[MASK == 0] == 0)


@pytest.mark.parametrize("fill", FILLS)
def test_training_gradients_ignore_the_padding(data, fill):
    params, x, y, h0 = data
    y_dirty = padded(y, 0)  # targets are class indices: garbage in range
    for run in (
        lambda xs: loss_and_gradients(params, xs, y_dirty, h0, MASK),
        lambda xs: truncated_bptt(params, xs, y_dirty, h0, 2, MASK),
    ):
        loss, grads, _ = run(padded(x, 0.0))
        with np.errstate(invalid="ignore", over="ignore"):
            loss_dirty, grads_dirty, _ = run(padded(x, fill))
        assert loss_dirty == pytest.approx(loss, rel=1e-13)
        for name in grads:
            assert np.allclose(grads[name], grads_dirty[name], rtol=1e-13, atol=1e-15), name


@pytest.mark.parametrize("score", ["dot", "general", "additive"])
@pytest.mark.parametrize("fill", FILLS)
def test_attention_ignores_padded_encoder_states(score, fill):
    rng = np.random.default_rng(3)
    S = H if score == "dot" else 3
    s, h = rng.normal(size=(N, S)), rng.normal(size=(N, T, H))
    params = {
        "dot": {},
        "general": {"W_a": rng.normal(size=(S, H))},
        "additive": {
            "W_s": rng.normal(size=(4, S)),
            "W_h": rng.normal(size=(4, H)),
            "v": rng.normal(size=4),
        },
    }[score]
    mask = MASK.astype(bool)
    dc = rng.normal(size=(N, H))
    (c, alpha), cache = attention_forward(s, padded(h, 0.0), mask, score, params)
    with np.errstate(invalid="ignore", over="ignore"):
        (c2, alpha2), cache2 = attention_forward(s, padded(h, fill), mask, score, params)
        grads2 = attention_backward(dc, cache2)
    assert np.array_equal(c, c2) and np.array_equal(alpha, alpha2)
    grads = attention_backward(dc, cache)
    assert np.array_equal(grads[0], grads2[0]) and np.array_equal(grads[1], grads2[1])
    assert np.all(grads2[1][~mask] == 0)  # no gradient reaches a padded state
    for name in params:
        assert np.array_equal(grads[2][name], grads2[2][name]), name


def test_attention_mask_must_be_boolean():
    with pytest.raises(ValueError, match=r"mask: expected only 0 and 1, received values \[0.5\]"):
        attention_weights_forward(np.zeros((2, 3)), np.full((2, 3), 0.5))
    alpha, _ = attention_weights_forward(np.zeros((1, 3)), np.array([[1, 1, 0]]))
    assert np.allclose(alpha, [[0.5, 0.5, 0.0]])
