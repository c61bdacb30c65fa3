"""unrolled.lstm (chapter 6) against torch.nn.LSTM and torch.nn.LSTMCell in float64."""

import numpy as np
import pytest
import torch

from unrolled.gradcheck import relative_error
from unrolled.lstm import lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward

N, T, D, H = 3, 6, 4, 5
TOL = 1e-10  # required relative error against PyTorch in float64


@pytest.fixture
def rng():
    return np.random.default_rng(6)


def torch_lstm(rng, module_class, forget_bias=0.0):
    """A float64 torch LSTM (or LSTMCell) with random weights, and (U, W, b) copied from it."""
    options = {"batch_first": True} if module_class is torch.nn.LSTM else {}
    module = module_class(D, H, dtype=torch.float64, **options)
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    suffix = "_l0" if module_class is torch.nn.LSTM else ""
    with torch.no_grad():
        for name in names:
            param = getattr(module, name + suffix)
            param.copy_(torch.from_numpy(rng.uniform(-0.8, 0.8, size=param.shape)))
        getattr(module, "bias_ih" + suffix)[H : 2 * H] += forget_bias
    U, W, b_ih, b_hh = (getattr(module, n + suffix).detach().numpy().copy() for n in names)
    return module, (U, W, b_ih + b_hh)


def leaf(array):
    return torch.tensor(array, requires_grad=True)


@pytest.mark.parametrize("forget_bias", [0.0, 3.0])
def test_lstm_forward_and_backward_match_torch_lstm(rng, forget_bias):
    lstm, (U, W, b) = torch_lstm(rng, torch.nn.LSTM, forget_bias)
    x, h0, c0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dhs = rng.normal(size=(N, T, H))
    hs, (h_T, c_T), cache = lstm_forward(x, h0, c0, U, W, b)
    xt, h0t, c0t = leaf(x), leaf(h0), leaf(c0)
    out, (h_Tt, c_Tt) = lstm(xt, (h0t[None], c0t[None]))
    (out * torch.from_numpy(dhs)).sum().backward()
    assert relative_error(hs, out.detach().numpy()) < TOL
    assert relative_error(h_T, h_Tt[0].detach().numpy()) < TOL
    assert relative_error(c_T, c_Tt[0].detach().numpy()) < TOL
    dx, dh0, dc0, dU, dW, db = lstm_backward(dhs, cache)
    expected = {
        "dx": (dx, xt.grad),
        "dh0": (dh0, h0t.grad),
        "dc0": (dc0, c0t.grad),
        "dU": (dU, lstm.weight_ih_l0.grad),
        "dW": (dW, lstm.weight_hh_l0.grad),
        "db (bias_ih)": (db, lstm.bias_ih_l0.grad),
        "db (bias_hh)": (db, lstm.bias_hh_l0.grad),
    }
    for name, (ours, theirs) in expected.items():
        assert relative_error(ours, theirs.numpy()) < TOL, name


def test_lstm_step_matches_torch_lstm_cell(rng):
    cell, (U, W, b) = torch_lstm(rng, torch.nn.LSTMCell)
    x, h_prev, c_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    h, c, cache = lstm_step_forward(x, h_prev, c_prev, U, W, b)
    xt, ht, ct = leaf(x), leaf(h_prev), leaf(c_prev)
    h_t, c_t = cell(xt, (ht, ct))
    ((h_t * torch.from_numpy(dh)).sum() + (c_t * torch.from_numpy(dc)).sum()).backward()
    assert relative_error(h, h_t.detach().numpy()) < TOL
    assert relative_error(c, c_t.detach().numpy()) < TOL
    grads = lstm_step_backward(dh, dc, cache)
    torch_grads = (xt.grad, ht.grad, ct.grad, cell.weight_ih.grad, cell.weight_hh.grad)
    for ours, theirs in zip(grads, (*torch_grads, cell.bias_hh.grad), strict=True):
        assert relative_error(ours, theirs.numpy()) < TOL


def test_sequence_equals_steps(rng):
    """lstm_forward/backward give what a loop of the step functions gives."""
    U, W, b = rng.normal(size=(4 * H, D)), rng.normal(size=(4 * H, H)), rng.normal(size=4 * H)
    x, h0, c0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dhs = rng.normal(size=(N, T, H))
    hs, (h_T, c_T), cache = lstm_forward(x, h0, c0, U, W, b)
    h, c, caches = h0, c0, []
    for t in range(T):
        h, c, step = lstm_step_forward(x[:, t], h, c, U, W, b)
        assert np.allclose(hs[:, t], h, rtol=1e-12, atol=1e-14)
        caches.append(step)
    assert np.allclose(c_T, c, rtol=1e-12, atol=1e-14)
    dx, dh0, dc0, dU, dW, db = lstm_backward(dhs, cache)
    dh, dc = np.zeros((N, H)), np.zeros((N, H))
    sums = [np.zeros_like(U), np.zeros_like(W), np.zeros_like(b)]
    for t in reversed(range(T)):
        dx_t, dh, dc, *step_grads = lstm_step_backward(dhs[:, t] + dh, dc, caches[t])
        assert np.allclose(dx[:, t], dx_t, rtol=1e-10, atol=1e-12)
        sums = [total + g for total, g in zip(sums, step_grads, strict=True)]
    assert np.allclose(dh0, dh, rtol=1e-10, atol=1e-12)
    assert np.allclose(dc0, dc, rtol=1e-10, atol=1e-12)
    for ours, total in zip((dU, dW, db), sums, strict=True):
        assert np.allclose(ours, total, rtol=1e-10, atol=1e-12)


def test_float32_stays_float32(rng):
    U, W, b = (rng.normal(size=s).astype(np.float32) for s in ((4 * H, D), (4 * H, H), (4 * H,)))
    x = rng.normal(size=(N, T, D)).astype(np.float32)
    h0 = np.zeros((N, H), np.float32)
    hs, (h_T, c_T), cache = lstm_forward(x, h0, h0, U, W, b)
    grads = lstm_backward(np.ones_like(hs), cache)
    assert hs.dtype == c_T.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads)


def test_inputs_are_not_modified(rng):
    U, W, b = rng.normal(size=(4 * H, D)), rng.normal(size=(4 * H, H)), rng.normal(size=4 * H)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    copies = [a.copy() for a in (U, W, b, x, h0)]
    _, _, cache = lstm_forward(x, h0, h0, U, W, b)
    lstm_backward(rng.normal(size=(N, T, H)), cache)
    lstm_step_forward(x[:, 0], h0, h0, U, W, b)
    for array, copy in zip((U, W, b, x, h0), copies, strict=True):
        assert np.array_equal(array, copy)


def test_bad_shapes_raise_value_errors_naming_the_array(rng):
    U, W, b = np.zeros((4 * H, D)), np.zeros((4 * H, H)), np.zeros(4 * H)
    x, h0 = np.zeros((N, T, D)), np.zeros((N, H))
    with pytest.raises(ValueError, match=r"W: expected shape .*received \(15, 5\)"):
        lstm_forward(x, h0, h0, U, W[: 3 * H], b)
    with pytest.raises(ValueError, match=r"U: expected"):
        lstm_forward(x, h0, h0, U[:H], W, b)
    with pytest.raises(ValueError, match=r"b: expected"):
        lstm_step_forward(x[:, 0], h0, h0, U, W, b[:H])
    with pytest.raises(ValueError, match=r"c0: expected shape \(N, H\)"):
        lstm_forward(x, h0, h0[:, :2], U, W, b)
    _, _, cache = lstm_forward(x, h0, h0, U, W, b)
    with pytest.raises(ValueError, match=r"dhs: expected shape \(N, T, H\)"):
        lstm_backward(np.zeros((N, T - 1, H)), cache)
    _, _, step = lstm_step_forward(x[:, 0], h0, h0, U, W, b)
    with pytest.raises(ValueError, match=r"dc: expected"):
        lstm_step_backward(np.zeros((N, H)), np.zeros((N, H + 1)), step)
