"""unrolled.gru (chapter 6) against torch.nn.GRU and torch.nn.GRUCell in float64."""

import numpy as np
import pytest
import torch

from unrolled.gradcheck import relative_error
from unrolled.gru import gru_backward, gru_forward, gru_step_backward, gru_step_forward

N, T, D, H = 3, 6, 4, 5
TOL = 1e-10  # required relative error against PyTorch in float64
NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def torch_gru(rng, module_class):
    """A float64 torch GRU (or GRUCell) with random weights, and (U, W, b_ih, b_hh) from it."""
    options = {"batch_first": True} if module_class is torch.nn.GRU else {}
    module = module_class(D, H, dtype=torch.float64, **options)
    suffix = "_l0" if module_class is torch.nn.GRU else ""
    with torch.no_grad():
        for name in NAMES:
            param = getattr(module, name + suffix)
            param.copy_(torch.from_numpy(rng.uniform(-0.8, 0.8, size=param.shape)))
    params = tuple(getattr(module, n + suffix).detach().numpy().copy() for n in NAMES)
    return module, params, suffix


def leaf(array):
    return torch.tensor(array, requires_grad=True)


def test_gru_forward_and_backward_match_torch_gru(rng):
    gru, params, suffix = torch_gru(rng, torch.nn.GRU)
    x, h0, dhs = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    hs, h_T, cache = gru_forward(x, h0, *params)
    xt, h0t = leaf(x), leaf(h0)
    out, h_Tt = gru(xt, h0t[None])
    (out * torch.from_numpy(dhs)).sum().backward()
    assert relative_error(hs, out.detach().numpy()) < TOL
    assert relative_error(h_T, h_Tt[0].detach().numpy()) < TOL
    grads = gru_backward(dhs, cache)
    torch_grads = [xt.grad, h0t.grad] + [getattr(gru, n + suffix).grad for n in NAMES]
    for name, ours, theirs in zip(("dx", "dh0", *NAMES), grads, torch_grads, strict=True):
        assert relative_error(ours, theirs.numpy()) < TOL, name


def test_gru_step_matches_torch_gru_cell(rng):
    cell, params, suffix = torch_gru(rng, torch.nn.GRUCell)
    x, h_prev, dh = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    h, cache = gru_step_forward(x, h_prev, *params)
    xt, ht = leaf(x), leaf(h_prev)
    (cell(xt, ht) * torch.from_numpy(dh)).sum().backward()
    assert relative_error(h, cell(xt, ht).detach().numpy()) < TOL
    grads = gru_step_backward(dh, cache)
    torch_grads = [xt.grad, ht.grad] + [getattr(cell, n).grad for n in NAMES]
    for name, ours, theirs in zip(("dx", "dh_prev", *NAMES), grads, torch_grads, strict=True):
        assert relative_error(ours, theirs.numpy()) < TOL, name


def test_the_two_biases_are_not_interchangeable(rng):
    """Moving b_hn into b_in changes h: the reset gate multiplies b_hn only."""
    _, (U, W, b_ih, b_hh), _ = torch_gru(rng, torch.nn.GRUCell)
    x, h_prev = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    h, _ = gru_step_forward(x, h_prev, U, W, b_ih, b_hh)
    moved_ih, moved_hh = b_ih.copy(), b_hh.copy()
    moved_ih[2 * H :] += b_hh[2 * H :]
    moved_hh[2 * H :] = 0.0
    h_moved, _ = gru_step_forward(x, h_prev, U, W, moved_ih, moved_hh)
    assert np.abs(h - h_moved).max() > 1e-3
    moved_ih, moved_hh = b_ih + b_hh, np.zeros_like(b_hh)  # r and z: only the sum matters
    moved_ih[2 * H :], moved_hh[2 * H :] = b_ih[2 * H :], b_hh[2 * H :]
    h_same, _ = gru_step_forward(x, h_prev, U, W, moved_ih, moved_hh)
    assert np.allclose(h, h_same, rtol=1e-12, atol=1e-14)


def test_float32_stays_float32_and_inputs_are_not_modified(rng):
    shapes = ((3 * H, D), (3 * H, H), (3 * H,), (3 * H,))
    params = [rng.normal(size=s).astype(np.float32) for s in shapes]
    x, h0 = rng.normal(size=(N, T, D)).astype(np.float32), np.zeros((N, H), np.float32)
    copies = [a.copy() for a in (*params, x, h0)]
    hs, h_T, cache = gru_forward(x, h0, *params)
    grads = gru_backward(np.ones_like(hs), cache)
    assert hs.dtype == h_T.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads)
    for array, copy in zip((*params, x, h0), copies, strict=True):
        assert np.array_equal(array, copy)


def test_bad_shapes_raise_value_errors_naming_the_array():
    U, W, b = np.zeros((3 * H, D)), np.zeros((3 * H, H)), np.zeros(3 * H)
    x, h0 = np.zeros((N, T, D)), np.zeros((N, H))
    with pytest.raises(ValueError, match=r"W: expected shape .*received \(20, 5\)"):
        gru_forward(x, h0, U, np.zeros((4 * H, H)), b, b)
    with pytest.raises(ValueError, match=r"b_hh: expected"):
        gru_forward(x, h0, U, W, b, b[:H])
    with pytest.raises(ValueError, match=r"x: expected shape \(N, D\)"):
        gru_step_forward(x, h0, U, W, b, b)
    _, cache = gru_step_forward(x[:, 0], h0, U, W, b, b)
    with pytest.raises(ValueError, match=r"dh: expected"):
        gru_step_backward(np.zeros((N + 1, H)), cache)
    _, _, cache = gru_forward(x, h0, U, W, b, b)
    with pytest.raises(ValueError, match=r"dhs: expected shape \(N, T, H\)"):
        gru_backward(np.zeros((N, T, H + 1)), cache)
