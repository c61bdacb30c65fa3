"""unrolled.rnn against PyTorch (float64): step, masked sequences, outputs, softmax, errors."""

import re

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from unrolled.rnn import output_forward, rnn_forward, rnn_step_forward, softmax

TOLERANCE = 1e-12
N, T, D, H, K = 5, 9, 4, 6, 3


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def params(rng):
    """Weights in the book's names, larger than PyTorch's default so tanh is nonlinear."""
    shapes = {"U": (H, D), "W": (H, H), "b": (H,), "V": (K, H), "c": (K,)}
    return {name: rng.uniform(-0.8, 0.8, size=shape) for name, shape in shapes.items()}


def torch_rnn(params, bias_hh=None):
    """torch.nn.RNN holding U, W and b; `bias_hh` (default 0) is subtracted from bias_ih."""
    rnn = torch.nn.RNN(D, H, nonlinearity="tanh", batch_first=True, dtype=torch.float64)
    bias_hh = np.zeros(H) if bias_hh is None else bias_hh
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(params["U"]))
        rnn.weight_hh_l0.copy_(torch.from_numpy(params["W"]))
        rnn.bias_ih_l0.copy_(torch.from_numpy(params["b"] - bias_hh))
        rnn.bias_hh_l0.copy_(torch.from_numpy(bias_hh))
    return rnn


def test_step_matches_torch_rnn_cell(rng, params):
    x, h_prev = rng.normal(size=(N, D)), rng.uniform(-1, 1, size=(N, H))
    h, cache = rnn_step_forward(x, h_prev, params["U"], params["W"], params["b"])
    cell = torch.nn.RNNCell(D, H, nonlinearity="tanh", dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.from_numpy(params["U"]))
        cell.weight_hh.copy_(torch.from_numpy(params["W"]))
        cell.bias_ih.copy_(torch.from_numpy(params["b"]))
        cell.bias_hh.zero_()
        expected = cell(torch.from_numpy(x), torch.from_numpy(h_prev)).numpy()
    assert h.shape == (N, H)
    assert np.abs(h - expected).max() < TOLERANCE
    assert cache["h"] is h and cache["x"] is x and cache["h_prev"] is h_prev
    assert cache["U"] is params["U"] and cache["W"] is params["W"]


def test_full_length_sequences_match_torch_rnn(rng, params):
    x, h0 = rng.normal(size=(N, T, D)), rng.uniform(-1, 1, size=(N, H))
    hs, cache = rnn_forward(x, h0, params["U"], params["W"], params["b"])
    # PyTorch splits b into two biases; any split with the same sum gives the same network.
    rnn = torch_rnn(params, bias_hh=rng.normal(size=H))
    with torch.no_grad():
        out, h_n = rnn(torch.from_numpy(x), torch.from_numpy(h0)[None])
    assert hs.shape == (N, T, H)
    assert np.abs(hs - out.numpy()).max() < TOLERANCE
    assert np.abs(hs[:, -1] - h_n[0].numpy()).max() < TOLERANCE
    assert np.array_equal(cache["hs"], hs) and cache["h_prev"].shape == (N, T, H)
    assert (cache["mask"] == 1).all()


@pytest.mark.parametrize("seed", range(5))
def test_masked_sequences_match_packed_torch_rnn(params, seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, T + 1, size=N)
    lengths[rng.integers(N)] = T  # pad_packed_sequence pads to the longest sequence
    mask = (np.arange(T) < lengths[:, None]).astype(np.float64)  # (N, T)
    x, h0 = rng.normal(size=(N, T, D)), rng.uniform(-1, 1, size=(N, H))
    x[mask == 0] = rng.normal(size=((mask == 0).sum(), D)) * 100  # padding must not matter

    hs, _ = rnn_forward(x, h0, params["U"], params["W"], params["b"], mask)
    packed = pack_padded_sequence(
        torch.from_numpy(x), torch.from_numpy(lengths), batch_first=True, enforce_sorted=False
    )
    with torch.no_grad():
        packed_out, h_n = torch_rnn(params)(packed, torch.from_numpy(h0)[None])
    out, out_lengths = pad_packed_sequence(packed_out, batch_first=True)
    real = mask == 1
    assert out.shape == (N, T, H) and (out_lengths.numpy() == lengths).all()
    assert np.abs(hs[real] - out.numpy()[real]).max() < TOLERANCE
    assert np.abs(hs[:, -1] - h_n[0].numpy()).max() < TOLERANCE


def test_masked_steps_carry_the_state_unchanged(rng, params):
    x, h0 = rng.normal(size=(2, T, D)), rng.uniform(-1, 1, size=(2, H))
    mask = np.ones((2, T))
    mask[0, 3:] = 0  # trailing padding
    mask[1, 0] = 0  # a step that is not at the end: the state is still carried
    hs, _ = rnn_forward(x, h0, params["U"], params["W"], params["b"], mask)
    assert all(np.array_equal(hs[0, t], hs[0, 2]) for t in range(3, T))
    assert np.array_equal(hs[1, 0], h0[1])
    assert not np.array_equal(hs[0, 2], hs[0, 1])  # real steps do change the state
    # a bool mask means the same
    hs_bool, _ = rnn_forward(x, h0, params["U"], params["W"], params["b"], mask == 1)
    assert np.array_equal(hs_bool, hs)


def test_loop_equals_repeated_steps(rng, params):
    """Equal up to rounding, not bit for bit: rnn_forward computes the input terms of all
    steps in one matrix product, which BLAS may sum in another order than T small ones."""
    x, h0 = rng.normal(size=(N, T, D)), rng.uniform(-1, 1, size=(N, H))
    hs, _ = rnn_forward(x, h0, params["U"], params["W"], params["b"])
    h = h0
    for t in range(T):
        h, _ = rnn_step_forward(x[:, t], h, params["U"], params["W"], params["b"])
        np.testing.assert_allclose(h, hs[:, t], rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("leading", [(N,), (N, T), (2, N, T)])
def test_output_and_softmax_match_torch(rng, params, leading):
    hs = rng.uniform(-1, 1, size=(*leading, H))
    o = output_forward(hs, params["V"], params["c"])
    linear = torch.nn.Linear(H, K, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(torch.from_numpy(params["V"]))
        linear.bias.copy_(torch.from_numpy(params["c"]))
        o_torch = linear(torch.from_numpy(hs))
    assert o.shape == (*leading, K)
    assert np.abs(o - o_torch.numpy()).max() < TOLERANCE
    y_hat_torch = torch.nn.functional.softmax(o_torch, dim=-1).numpy()
    assert np.abs(softmax(o) - y_hat_torch).max() < TOLERANCE
    first_axis = torch.nn.functional.softmax(o_torch, dim=0).numpy()
    assert np.abs(softmax(o, axis=0) - first_axis).max() < TOLERANCE


def test_softmax_does_not_overflow():
    o = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1000.0, -1000.0]])
    y_hat = softmax(o)
    expected = torch.nn.functional.softmax(torch.from_numpy(o), dim=-1).numpy()
    assert np.isfinite(y_hat).all()
    assert np.abs(y_hat - expected).max() < TOLERANCE
    assert np.allclose(y_hat[1], 1 / 3)


def shapes_message(name, received):
    """Pattern for check_shape's message: the array's name ... received (its shape)."""
    return rf"^{re.escape(name)}: expected shape .*received {re.escape(str(received))}"


@pytest.mark.parametrize(
    ("wrong", "name", "received"),
    [
        ({"x": np.zeros((N, D + 1))}, "x", (N, D + 1)),  # D disagrees with U
        ({"x": np.zeros((N, T, D))}, "x", (N, T, D)),  # a sequence, not one step
        ({"h_prev": np.zeros((N + 1, H))}, "h_prev", (N + 1, H)),
        ({"U": np.zeros((H + 1, D))}, "U", (H + 1, D)),
        ({"W": np.zeros((H, H + 1))}, "W", (H, H + 1)),
        ({"b": np.zeros((1, H))}, "b", (1, H)),
    ],
)
def test_step_rejects_wrong_shapes(params, wrong, name, received):
    args = {"x": np.zeros((N, D)), "h_prev": np.zeros((N, H))}
    args |= {key: params[key] for key in ("U", "W", "b")}
    args |= wrong
    with pytest.raises(ValueError, match=shapes_message(name, received)):
        rnn_step_forward(**args)


@pytest.mark.parametrize(
    ("wrong", "name", "received"),
    [
        ({"x": np.zeros((N, D))}, "x", (N, D)),
        ({"h0": np.zeros((N, H + 2))}, "h0", (N, H + 2)),
        ({"h0": np.zeros((N + 1, H))}, "h0", (N + 1, H)),
        ({"mask": np.ones((N, T + 1))}, "mask", (N, T + 1)),
        ({"mask": np.ones((T, N))}, "mask", (T, N)),
    ],
)
def test_forward_rejects_wrong_shapes(params, wrong, name, received):
    args = {"x": np.zeros((N, T, D)), "h0": np.zeros((N, H)), "mask": np.ones((N, T))}
    args |= {key: params[key] for key in ("U", "W", "b")}
    args |= wrong
    with pytest.raises(ValueError, match=shapes_message(name, received)):
        rnn_forward(**args)


def test_forward_rejects_a_mask_that_is_not_binary(params):
    mask = np.ones((N, T))
    mask[0, -1] = 0.5
    with pytest.raises(ValueError, match=r"^mask: expected only 0 and 1"):
        rnn_forward(
            np.zeros((N, T, D)), np.zeros((N, H)), params["U"], params["W"], params["b"], mask
        )


@pytest.mark.parametrize(
    ("hs", "V", "c", "name", "received"),
    [
        (np.zeros((N, T, H + 1)), None, None, "hs", (N, T, H + 1)),
        (np.zeros((N, H)), np.zeros((K, H, 1)), None, "V", (K, H, 1)),
        (np.zeros((N, H)), None, np.zeros(K + 1), "c", (K + 1,)),
        (np.float64(1.0), None, None, "hs", ()),
    ],
)
def test_output_rejects_wrong_shapes(params, hs, V, c, name, received):
    V = params["V"] if V is None else V
    c = params["c"] if c is None else c
    with pytest.raises(ValueError, match=shapes_message(name, received)):
        output_forward(hs, V, c)


def test_softmax_rejects_a_scalar():
    with pytest.raises(ValueError, match=shapes_message("o", ())):
        softmax(np.float64(2.0))
