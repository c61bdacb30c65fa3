"""unrolled.designs against PyTorch (float64): designs 2 and 3, teacher forcing, bidirectional
and deep RNNs on packed sequences, the weight layout, and the shape errors."""

import re

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from unrolled.designs import (
    FEEDBACK,
    bidirectional_rnn_forward,
    deep_rnn_forward,
    design2_forward,
    design2_teacher_forced,
    design3_forward,
    reverse_rnn_forward,
    rnn_params_from_torch,
    teacher_forcing_inputs,
)
from unrolled.rnn import rnn_forward

TOLERANCE = 1e-12
N, T, D, H, K = 5, 8, 4, 6, 3


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


@pytest.fixture
def design2_params(rng):
    """U, W, b, V, c of design 2, large enough that tanh and the feedback are nonlinear."""
    shapes = {"U": (H, D), "W": (H, K), "b": (H,), "V": (K, H), "c": (K,)}
    return {name: rng.uniform(-1.0, 1.0, size=shape) for name, shape in shapes.items()}


def linear(weight, bias=None):
    """A float64 torch.nn.Linear holding `weight` (out, in) and `bias` (out,) or no bias."""
    layer = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    layer = layer.double()
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(weight))
        if bias is not None:
            layer.bias.copy_(torch.from_numpy(bias))
    return layer


def torch_design2(x, z0, p, feedback=None, z=None):
    """Design 2 built from torch.nn.Linear layers: free running with `feedback`, or fed `z`."""
    inp, back, out = linear(p["U"], p["b"]), linear(p["W"]), linear(p["V"], p["c"])
    x = torch.from_numpy(x)
    with torch.no_grad():
        if z is not None:
            return out(torch.tanh(inp(x) + back(torch.from_numpy(z)))).numpy()
        fed, scores = torch.from_numpy(z0), []
        for t in range(x.shape[1]):
            o = out(torch.tanh(inp(x[:, t]) + back(fed)))
            scores.append(o)
            fed = {
                "o": o,
                "y_hat": torch.softmax(o, dim=-1),
                "argmax": torch.nn.functional.one_hot(o.argmax(-1), o.shape[-1]).double(),
            }[feedback]
        return torch.stack(scores, dim=1).numpy()


def padded_batch(rng, n=N, t=T, d=D):
    """Inputs (n, t, d) whose padding holds large numbers, lengths (n,), mask (n, t)."""
    lengths = rng.integers(1, t + 1, size=n)
    lengths[rng.integers(n)] = t  # pad_packed_sequence pads to the longest sequence
    mask = (np.arange(t) < lengths[:, None]).astype(np.float64)
    x = rng.normal(size=(n, t, d))
    x[mask == 0] = 100 * rng.normal(size=(int((mask == 0).sum()), d))  # must not matter
    return x, lengths, mask


def packed(x, lengths):
    return pack_padded_sequence(
        torch.from_numpy(x), torch.from_numpy(lengths), batch_first=True, enforce_sorted=False
    )


def random_torch_rnn(d, h, num_layers=1, bidirectional=False, seed=0):
    """A float64 torch.nn.RNN with weights and both biases uniform in [-0.8, 0.8]."""
    torch.manual_seed(seed)
    rnn = torch.nn.RNN(
        d, h, num_layers, batch_first=True, bidirectional=bidirectional, dtype=torch.float64
    )
    with torch.no_grad():
        for weight in rnn.parameters():
            weight.uniform_(-0.8, 0.8)
    return rnn


# --- Design 2 -------------------------------------------------------------------------------


@pytest.mark.parametrize("feedback", FEEDBACK)
def test_design2_matches_torch(rng, design2_params, feedback):
    x, z0 = rng.normal(size=(N, T, D)), rng.uniform(-1, 1, size=(N, K))
    o = design2_forward(x, z0, **design2_params, feedback=feedback)
    assert o.shape == (N, T, K)
    expected = torch_design2(x, z0, design2_params, feedback)
    assert np.abs(o - expected).max() < TOLERANCE


def test_design2_feeds_back_what_it_is_told(rng, design2_params):
    x, z0 = rng.normal(size=(N, T, D)), np.zeros((N, K))
    outputs = {fb: design2_forward(x, z0, **design2_params, feedback=fb) for fb in FEEDBACK}
    for fb in FEEDBACK:  # the first step sees only start, the same for all three
        assert np.array_equal(outputs[fb][:, 0], outputs["o"][:, 0])
    assert not np.allclose(outputs["o"][:, 1:], outputs["y_hat"][:, 1:])
    assert not np.allclose(outputs["y_hat"][:, 1:], outputs["argmax"][:, 1:])
    # the default is Goodfellow's: the scores themselves
    assert np.array_equal(design2_forward(x, z0, **design2_params), outputs["o"])


def test_design2_step_by_step(rng, design2_params):
    """Each score follows a(t) = b + W z(t-1) + U x(t) with z(t-1) = o(t-1), by hand."""
    p = design2_params
    x, z0 = rng.normal(size=(2, 3, D)), rng.normal(size=(2, K))
    o = design2_forward(x, z0, **p)
    z = z0
    for t in range(3):
        expected = p["c"] + np.tanh(p["b"] + z @ p["W"].T + x[:, t] @ p["U"].T) @ p["V"].T
        assert np.abs(o[:, t] - expected).max() < TOLERANCE
        z = expected


def test_teacher_forcing_inputs_shift_the_targets(rng):
    y = rng.integers(0, K, size=(N, T))
    start = rng.normal(size=(N, K))
    z = teacher_forcing_inputs(y, start)
    assert z.shape == (N, T, K)
    assert np.array_equal(z[:, 0], start)
    assert np.array_equal(z[:, 1:].argmax(-1), y[:, :-1])
    assert np.array_equal(z[:, 1:].sum(-1), np.ones((N, T - 1)))  # one-hot


def test_teacher_forced_matches_torch(rng, design2_params):
    x = rng.normal(size=(N, T, D))
    z = teacher_forcing_inputs(rng.integers(0, K, size=(N, T)), np.zeros((N, K)))
    o = design2_teacher_forced(x, z, **design2_params)
    assert o.shape == (N, T, K)
    assert np.abs(o - torch_design2(x, None, design2_params, z=z)).max() < TOLERANCE


def test_teacher_forcing_on_own_decisions_equals_running_free(rng, design2_params):
    x, start = rng.normal(size=(N, T, D)), np.zeros((N, K))
    free = design2_forward(x, start, **design2_params, feedback="argmax")
    z = teacher_forcing_inputs(free.argmax(-1), start)
    assert np.abs(design2_teacher_forced(x, z, **design2_params) - free).max() < TOLERANCE
    # with other targets the forced scores differ from step 2 on
    other = teacher_forcing_inputs((free.argmax(-1) + 1) % K, start)
    forced_other = design2_teacher_forced(x, other, **design2_params)
    assert np.abs(forced_other[:, 0] - free[:, 0]).max() < TOLERANCE
    assert not np.allclose(forced_other[:, 1:], free[:, 1:])


# --- Design 3 -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_design3_matches_packed_torch_rnn(seed):
    rng = np.random.default_rng(seed)
    x, lengths, mask = padded_batch(rng)
    h0 = rng.uniform(-1, 1, size=(N, H))
    rnn = random_torch_rnn(D, H, seed=seed)
    (p,) = rnn_params_from_torch(rnn)
    V, c = rng.uniform(-1, 1, size=(K, H)), rng.uniform(-1, 1, size=K)
    o = design3_forward(x, h0, p["U"], p["W"], p["b"], V, c, mask)
    with torch.no_grad():
        _, h_n = rnn(packed(x, lengths), torch.from_numpy(h0)[None])
        expected = linear(V, c)(h_n[0]).numpy()
    assert o.shape == (N, K)
    assert np.abs(o - expected).max() < TOLERANCE


def test_design3_without_mask_reads_the_last_step(rng):
    x, h0 = rng.normal(size=(N, T, D)), rng.uniform(-1, 1, size=(N, H))
    rnn = random_torch_rnn(D, H)
    (p,) = rnn_params_from_torch(rnn)
    V, c = rng.uniform(-1, 1, size=(K, H)), rng.uniform(-1, 1, size=K)
    with torch.no_grad():
        out, _ = rnn(torch.from_numpy(x), torch.from_numpy(h0)[None])
        expected = linear(V, c)(out[:, -1]).numpy()
    assert np.abs(design3_forward(x, h0, p["U"], p["W"], p["b"], V, c) - expected).max() < 1e-12


# --- Bidirectional and deep ----------------------------------------------------------------


def test_reverse_rnn_is_the_backward_direction_of_torch(rng):
    x, lengths, mask = padded_batch(rng)
    g0 = rng.uniform(-1, 1, size=(N, H))
    rnn = random_torch_rnn(D, H, bidirectional=True)
    backward = rnn_params_from_torch(rnn)[1]
    gs = reverse_rnn_forward(x, g0, backward["U"], backward["W"], backward["b"], mask)
    with torch.no_grad():
        h0 = torch.stack([torch.zeros(N, H, dtype=torch.float64), torch.from_numpy(g0)])
        out, h_n = rnn(packed(x, lengths), h0)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
    real = mask == 1
    assert np.abs(gs[real] - out.numpy()[..., H:][real]).max() < TOLERANCE
    assert np.abs(gs[:, 0] - h_n[1].numpy()).max() < TOLERANCE
    assert (gs[~real] == np.broadcast_to(g0[:, None], gs.shape)[~real]).all()  # g0 carried


@pytest.mark.parametrize(
    ("num_layers", "bidirectional"), [(1, False), (2, False), (3, False), (1, True), (2, True)]
)
@pytest.mark.parametrize("masked", [False, True])
def test_deep_rnn_matches_torch_rnn(num_layers, bidirectional, masked):
    rng = np.random.default_rng(10 * num_layers + bidirectional)
    x, lengths, mask = padded_batch(rng)
    if not masked:
        lengths, mask = np.full(N, T), np.ones((N, T))
    S = 2 if bidirectional else 1
    h0 = rng.uniform(-1, 1, size=(num_layers * S, N, H))
    rnn = random_torch_rnn(D, H, num_layers, bidirectional, seed=num_layers)
    out, h_n = deep_rnn_forward(x, h0, rnn_params_from_torch(rnn), bidirectional, mask)
    with torch.no_grad():
        out_torch, h_n_torch = rnn(packed(x, lengths), torch.from_numpy(h0))
    out_torch, _ = pad_packed_sequence(out_torch, batch_first=True, total_length=T)
    real = mask == 1
    assert out.shape == (N, T, S * H) and h_n.shape == (num_layers * S, N, H)
    assert np.abs(out[real] - out_torch.numpy()[real]).max() < TOLERANCE
    assert np.abs(h_n - h_n_torch.numpy()).max() < TOLERANCE


def test_bidirectional_layer_layout(rng):
    x, lengths, mask = padded_batch(rng)
    h0 = rng.uniform(-1, 1, size=(2, N, H))
    params = rnn_params_from_torch(random_torch_rnn(D, H, bidirectional=True))
    out, h_n = bidirectional_rnn_forward(x, h0, params, mask)
    deep_out, deep_h_n = deep_rnn_forward(x, h0, params, bidirectional=True, mask=mask)
    assert np.array_equal(out, deep_out) and np.array_equal(h_n, deep_h_n)
    p = params[0]
    hs, _ = rnn_forward(x, h0[0], p["U"], p["W"], p["b"], mask)
    assert np.array_equal(out[..., :H], hs)  # forward half first
    last = lengths - 1
    assert np.array_equal(h_n[0], out[np.arange(N), last, :H])  # forward ends at the last step
    assert np.array_equal(h_n[1], out[:, 0, H:])  # backward ends at the first step
    padded = mask == 0
    assert np.array_equal(out[..., H:][padded], np.broadcast_to(h0[1][:, None], hs.shape)[padded])


def test_rnn_params_from_torch_order_and_biases():
    rnn = random_torch_rnn(D, H, num_layers=2, bidirectional=True, seed=3)
    params = rnn_params_from_torch(rnn)
    names = ["l0", "l0_reverse", "l1", "l1_reverse"]
    assert len(params) == len(names)
    for p, name in zip(params, names, strict=True):
        with torch.no_grad():
            assert np.array_equal(p["U"], getattr(rnn, f"weight_ih_{name}").numpy())
            assert np.array_equal(p["W"], getattr(rnn, f"weight_hh_{name}").numpy())
            bias = getattr(rnn, f"bias_ih_{name}") + getattr(rnn, f"bias_hh_{name}")
            assert np.array_equal(p["b"], bias.numpy())
    assert params[0]["U"].shape == (H, D) and params[2]["U"].shape == (H, 2 * H)
    params[0]["U"][0, 0] += 1.0  # copies: the module is unchanged
    assert not np.array_equal(params[0]["U"], rnn.weight_ih_l0.detach().numpy())


def test_rnn_params_from_torch_rejects_relu_and_missing_biases():
    for rnn in (torch.nn.RNN(D, H, nonlinearity="relu"), torch.nn.RNN(D, H, bias=False)):
        with pytest.raises(ValueError, match="tanh"):
            rnn_params_from_torch(rnn)


# --- Errors ----------------------------------------------------------------------------------


def shapes_message(name, received):
    """Pattern for check_shape's message: the array's name ... received (its shape)."""
    return rf"^{re.escape(name)}: expected shape .*received {re.escape(str(received))}"


@pytest.mark.parametrize(
    ("wrong", "name", "received"),
    [
        ({"x": np.zeros((N, T, D + 1))}, "x", (N, T, D + 1)),
        ({"x": np.zeros((N, D))}, "x", (N, D)),
        ({"start": np.zeros((N, K + 1))}, "start", (N, K + 1)),
        ({"start": np.zeros((N + 1, K))}, "start", (N + 1, K)),
        ({"W": np.zeros((H, H))}, "W", (H, H)),  # design 1's W, not (H, K)
        ({"U": np.zeros((D, H))}, "U", (D, H)),
        ({"c": np.zeros(K + 1)}, "c", (K + 1,)),
    ],
)
def test_design2_rejects_wrong_shapes(design2_params, wrong, name, received):
    args = {"x": np.zeros((N, T, D)), "start": np.zeros((N, K))} | design2_params | wrong
    with pytest.raises(ValueError, match=shapes_message(name, received)):
        design2_forward(**args)


def test_design2_rejects_an_unknown_feedback(design2_params):
    with pytest.raises(ValueError, match=r"^feedback: expected one of .*received 'h'"):
        design2_forward(np.zeros((N, T, D)), np.zeros((N, K)), **design2_params, feedback="h")


@pytest.mark.parametrize(
    ("x", "z", "name", "received"),
    [
        (np.zeros((N, T, D)), np.zeros((N, T + 1, K)), "z", (N, T + 1, K)),
        (np.zeros((N, T, D)), np.zeros((N, K)), "z", (N, K)),
        (np.zeros((N, T, D - 1)), np.zeros((N, T, K)), "x", (N, T, D - 1)),
    ],
)
def test_teacher_forced_rejects_wrong_shapes(design2_params, x, z, name, received):
    with pytest.raises(ValueError, match=shapes_message(name, received)):
        design2_teacher_forced(x, z, **design2_params)


def test_teacher_forcing_inputs_rejects_bad_targets():
    start = np.zeros((N, K))
    with pytest.raises(ValueError, match=shapes_message("y", (N + 1, T))):
        teacher_forcing_inputs(np.zeros((N + 1, T), dtype=np.int64), start)
    with pytest.raises(ValueError, match=r"^y: expected integer class indices"):
        teacher_forcing_inputs(np.zeros((N, T)), start)
    with pytest.raises(ValueError, match=rf"^y: expected class indices in \[0, {K}\)"):
        teacher_forcing_inputs(np.full((N, T), K), start)


@pytest.mark.parametrize(
    ("wrong", "name", "received"),
    [
        ({"V": np.zeros((K, H + 1))}, "V", (K, H + 1)),
        ({"h0": np.zeros((N, H + 1))}, "h0", (N, H + 1)),
        ({"mask": np.ones((N, T + 1))}, "mask", (N, T + 1)),
    ],
)
def test_design3_rejects_wrong_shapes(wrong, name, received):
    args = {
        "x": np.zeros((N, T, D)),
        "h0": np.zeros((N, H)),
        "U": np.zeros((H, D)),
        "W": np.zeros((H, H)),
        "b": np.zeros(H),
        "V": np.zeros((K, H)),
        "c": np.zeros(K),
        "mask": np.ones((N, T)),
    } | wrong
    with pytest.raises(ValueError, match=shapes_message(name, received)):
        design3_forward(**args)


def layer(d, h=H):
    return {"U": np.zeros((h, d)), "W": np.zeros((h, h)), "b": np.zeros(h)}


@pytest.mark.parametrize(
    ("params", "h0", "bidirectional", "name", "received"),
    [
        ([layer(D), layer(D), layer(H), layer(2 * H)], (4, N, H), True, "params[2]['U']", (H, H)),
        ([layer(D), layer(H), layer(2 * H)], (3, N, H), False, "params[2]['U']", (H, 2 * H)),
        ([layer(D + 1)], (1, N, H), False, "params[0]['U']", (H, D + 1)),
        ([layer(D), layer(D, H + 1)], (2, N, H), True, "params[1]['W']", (H + 1, H + 1)),
        ([layer(D), layer(H)], (3, N, H), False, "h0", (3, N, H)),
        ([layer(D), layer(D)], (2, N + 1, H), True, "h0", (2, N + 1, H)),
    ],
)
def test_deep_rnn_rejects_wrong_shapes(params, h0, bidirectional, name, received):
    with pytest.raises(ValueError, match=shapes_message(name, received)):
        deep_rnn_forward(np.zeros((N, T, D)), np.zeros(h0), params, bidirectional)


def test_deep_and_bidirectional_reject_a_wrong_number_of_layers():
    x = np.zeros((N, T, D))
    with pytest.raises(ValueError, match=r"^params: expected a positive multiple of 2 dicts"):
        deep_rnn_forward(x, np.zeros((3, N, H)), [layer(D), layer(D), layer(2 * H)], True)
    with pytest.raises(ValueError, match=r"^params: expected a positive multiple of 1 dicts"):
        deep_rnn_forward(x, np.zeros((0, N, H)), [], False)
    with pytest.raises(ValueError, match=r"^params: expected 2 dicts"):
        bidirectional_rnn_forward(x, np.zeros((2, N, H)), [layer(D)])
    with pytest.raises(ValueError, match=r"^params\[0\]: expected keys U, W and b"):
        bidirectional_rnn_forward(x, np.zeros((2, N, H)), [{"U": 0}, layer(D)])


def test_empty_sequences_leave_the_state_at_h0(rng):
    """T = 0 is handled as rnn_forward handles it: no step, so every final state is h(0)."""
    N, D, H, K = 2, 3, 4, 5
    x = np.zeros((N, 0, D))
    layer = [{"U": rng.normal(size=(H, D)), "W": rng.normal(size=(H, H)), "b": rng.normal(size=H)}]
    h0 = rng.normal(size=(2, N, H))
    V, c = rng.normal(size=(K, H)), rng.normal(size=K)
    p = layer[0]
    o = design3_forward(x, h0[0], p["U"], p["W"], p["b"], V, c)
    assert np.array_equal(o, h0[0] @ V.T + c)
    out, h_n = bidirectional_rnn_forward(x, h0, layer * 2)
    assert out.shape == (N, 0, 2 * H) and np.array_equal(h_n, h0)
    out, h_n = deep_rnn_forward(x, h0[:1], layer)
    assert out.shape == (N, 0, H) and np.array_equal(h_n, h0[:1])
