"""unrolled.rnn's backward pass (chapter 4) against PyTorch autograd and finite differences."""

import re

import numpy as np
import pytest
import torch

from unrolled.gradcheck import gradcheck
from unrolled.rnn import (
    output_backward,
    output_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    softmax_cross_entropy,
)
from unrolled.torchcheck import torchcheck

N, T, D, H, K = 4, 7, 3, 5, 6
RTOL = 1e-10  # required relative agreement with autograd in float64


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


@pytest.fixture
def params(rng):
    """Weights large enough that tanh is far from linear and the recurrence matters."""
    shapes = {"U": (H, D), "W": (H, H), "b": (H,), "V": (K, H), "c": (K,)}
    return {name: rng.uniform(-0.9, 0.9, size=shape) for name, shape in shapes.items()}


def masks():
    """No mask, trailing padding of different lengths, and padding inside a sequence."""
    trailing = (np.arange(T) < np.array([[T], [5], [1], [3]])).astype(np.float64)
    inside = np.ones((N, T))
    inside[0, 0] = inside[1, 3] = inside[2, 5:] = inside[3, 1:3] = 0
    return {"none": None, "trailing": trailing, "inside": inside, "all padded": np.zeros((N, T))}


def torch_states(t, mask):
    """hs with torch operations, carrying the state where mask is 0 (Eq. ch2-rnn-mask)."""
    real = torch.ones(N, T, 1, dtype=torch.bool) if mask is None else torch.from_numpy(mask == 1)
    real = real.reshape(N, T, 1)
    h, states = t["h0"], []
    for step in range(T):
        h_new = torch.tanh(t["b"] + h @ t["W"].T + t["x"][:, step] @ t["U"].T)
        h = torch.where(real[:, step], h_new, h)
        states.append(h)
    return torch.stack(states, dim=1)


def torch_loss(t, y, mask):
    """Eq. (ch4-batch-loss): cross-entropy summed over time (masked), averaged over the batch."""
    scores = t["c"] + torch_states(t, mask) @ t["V"].T
    per_step = torch.nn.functional.cross_entropy(
        scores.reshape(-1, K), torch.from_numpy(y).reshape(-1), reduction="none"
    )
    weights = torch.ones(N * T, dtype=torch.float64) if mask is None else torch.from_numpy(mask)
    return (per_step * weights.reshape(-1)).sum() / N


def numpy_loss_and_grads(inputs, y, mask, backward=rnn_backward):
    """The loss and the gradient of every input by BPTT (backward is swappable for bugs)."""
    hs, cache = rnn_forward(inputs["x"], inputs["h0"], inputs["U"], inputs["W"], inputs["b"], mask)
    loss, do = softmax_cross_entropy(output_forward(hs, inputs["V"], inputs["c"]), y, mask)
    dhs, dV, dc = output_backward(do, hs, inputs["V"])
    dx, dh0, dU, dW, db = backward(dhs, cache)
    return loss, {"x": dx, "h0": dh0, "U": dU, "W": dW, "b": db, "V": dV, "c": dc}


def assert_close_to_autograd(report):
    report.assert_passed()
    assert max(report.max_rel_error.values()) < RTOL, str(report)


def test_step_backward_matches_autograd(rng, params):
    inputs = {"x": rng.normal(size=(N, D)), "h_prev": rng.uniform(-1, 1, size=(N, H))}
    inputs |= {name: params[name] for name in ("U", "W", "b")}

    def numpy_fn(i, dout):
        h, cache = rnn_step_forward(i["x"], i["h_prev"], i["U"], i["W"], i["b"])
        dx, dh_prev, dU, dW, db = rnn_step_backward(dout, cache)
        return h, {"x": dx, "h_prev": dh_prev, "U": dU, "W": dW, "b": db}

    def torch_fn(t):
        return torch.tanh(t["b"] + t["h_prev"] @ t["W"].T + t["x"] @ t["U"].T)

    assert_close_to_autograd(torchcheck(numpy_fn, torch_fn, inputs, rtol=RTOL))


@pytest.mark.parametrize("mask_name", list(masks()))
def test_rnn_backward_matches_autograd(rng, params, mask_name):
    mask = masks()[mask_name]
    inputs = {"x": rng.normal(size=(N, T, D)), "h0": rng.uniform(-1, 1, size=(N, H))}
    inputs |= {name: params[name] for name in ("U", "W", "b")}

    def numpy_fn(i, dout):
        hs, cache = rnn_forward(i["x"], i["h0"], i["U"], i["W"], i["b"], mask)
        dx, dh0, dU, dW, db = rnn_backward(dout, cache)
        return hs, {"x": dx, "h0": dh0, "U": dU, "W": dW, "b": db}

    report = torchcheck(numpy_fn, lambda t: torch_states(t, mask), inputs, rtol=RTOL)
    assert_close_to_autograd(report)


@pytest.mark.parametrize("mask_name", list(masks()))
def test_whole_loss_matches_autograd(rng, params, mask_name):
    mask = masks()[mask_name]
    y = rng.integers(0, K, size=(N, T))
    inputs = params | {"x": rng.normal(size=(N, T, D)), "h0": rng.uniform(-1, 1, size=(N, H))}

    def numpy_fn(i, dout):
        loss, grads = numpy_loss_and_grads(i, y, mask)
        return np.array(loss), {name: grad * dout for name, grad in grads.items()}

    report = torchcheck(numpy_fn, lambda t: torch_loss(t, y, mask), inputs, rtol=RTOL)
    assert_close_to_autograd(report)


def test_whole_loss_matches_finite_differences(rng, params):
    mask = masks()["inside"]
    y = rng.integers(0, K, size=(N, T))
    inputs = params | {"x": rng.normal(size=(N, T, D)), "h0": rng.uniform(-1, 1, size=(N, H))}
    _, grads = numpy_loss_and_grads(inputs, y, mask)
    report = gradcheck(lambda p: numpy_loss_and_grads(p, y, mask)[0], inputs, grads, tol=1e-7)
    report.assert_passed()


def test_gradients_match_torch_nn_rnn_with_packed_sequences(rng, params):
    lengths = np.array([T, 5, 2, 6])
    mask = (np.arange(T) < lengths[:, None]).astype(np.float64)
    x, y = rng.normal(size=(N, T, D)), rng.integers(0, K, size=(N, T))
    inputs = params | {"x": x, "h0": np.zeros((N, H))}
    loss, grads = numpy_loss_and_grads(inputs, y, mask)

    rnn = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
    linear = torch.nn.Linear(H, K, dtype=torch.float64)
    split = rng.normal(size=H)  # PyTorch's two biases: only their sum is b
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(params["U"]))
        rnn.weight_hh_l0.copy_(torch.from_numpy(params["W"]))
        rnn.bias_ih_l0.copy_(torch.from_numpy(params["b"] - split))
        rnn.bias_hh_l0.copy_(torch.from_numpy(split))
        linear.weight.copy_(torch.from_numpy(params["V"]))
        linear.bias.copy_(torch.from_numpy(params["c"]))
    pack = torch.nn.utils.rnn.pack_padded_sequence
    packed = pack(torch.from_numpy(x), torch.from_numpy(lengths), True, enforce_sorted=False)
    targets = pack(torch.from_numpy(y), torch.from_numpy(lengths), True, enforce_sorted=False)
    out, _ = rnn(packed)
    torch_total = torch.nn.functional.cross_entropy(
        linear(out.data), targets.data, reduction="sum"
    )
    (torch_total / N).backward()

    assert abs(torch_total.item() / N - loss) < 1e-12
    expected = {
        "weight_ih_l0": grads["U"],
        "weight_hh_l0": grads["W"],
        "bias_ih_l0": grads["b"],
        "bias_hh_l0": grads["b"],
    }
    for name, parameter in rnn.named_parameters():
        np.testing.assert_allclose(expected[name], parameter.grad.numpy(), rtol=RTOL, atol=1e-13)
    np.testing.assert_allclose(grads["V"], linear.weight.grad.numpy(), rtol=RTOL, atol=1e-13)
    np.testing.assert_allclose(grads["c"], linear.bias.grad.numpy(), rtol=RTOL, atol=1e-13)


def test_all_padded_steps_pass_the_gradient_straight_to_h0(rng, params):
    mask = np.zeros((N, T))
    x, h0 = rng.normal(size=(N, T, D)), rng.uniform(-1, 1, size=(N, H))
    hs, cache = rnn_forward(x, h0, params["U"], params["W"], params["b"], mask)
    dhs = rng.normal(size=(N, T, H))
    dx, dh0, dU, dW, db = rnn_backward(dhs, cache)
    assert np.allclose(dh0, dhs.sum(axis=1), rtol=1e-14, atol=1e-14)  # hs[:, t] is h0 for all t
    assert not dx.any() and not dU.any() and not dW.any() and not db.any()


@pytest.mark.parametrize("leading", [(N,), (N, T), (2, N, T)])
def test_output_backward_matches_autograd(rng, params, leading):
    inputs = {"hs": rng.uniform(-1, 1, size=(*leading, H)), "V": params["V"], "c": params["c"]}

    def numpy_fn(i, dout):
        dhs, dV, dc = output_backward(dout, i["hs"], i["V"])
        return output_forward(i["hs"], i["V"], i["c"]), {"hs": dhs, "V": dV, "c": dc}

    report = torchcheck(numpy_fn, lambda t: t["c"] + t["hs"] @ t["V"].T, inputs, rtol=RTOL)
    assert_close_to_autograd(report)


def test_softmax_cross_entropy_matches_torch(rng):
    o = rng.normal(scale=3.0, size=(N, T, K))
    y = rng.integers(0, K, size=(N, T))
    mask = masks()["trailing"]
    loss, do = softmax_cross_entropy(o, y, mask)
    o_torch = torch.tensor(o, requires_grad=True)
    per_step = torch.nn.functional.cross_entropy(
        o_torch.reshape(-1, K), torch.from_numpy(y).reshape(-1), reduction="none"
    )
    expected = (per_step * torch.from_numpy(mask).reshape(-1)).sum() / N
    expected.backward()
    assert abs(loss - expected.item()) < 1e-12 * abs(expected.item())
    np.testing.assert_allclose(do, o_torch.grad.numpy(), rtol=RTOL, atol=1e-15)
    assert not do[mask == 0].any()  # padded targets get no gradient


def test_softmax_cross_entropy_is_finite_for_extreme_scores():
    o = np.array([[[1000.0, -1000.0, 0.0]]])
    loss, do = softmax_cross_entropy(o, np.array([[1]]))
    assert loss == pytest.approx(2000.0) and np.isfinite(do).all()
    assert np.allclose(do, [[[1.0, -1.0, 0.0]]])  # y_hat - one_hot: (1, 0, 0) - (0, 1, 0)


def one_step_dW_only(dhs, cache):
    """A classic bug: dW = (one step's term) instead of dW += ..., so the sum over time of
    Eq. (ch4-grad-W) keeps only the first step's term. Written with the step functions, as
    a step-by-step loop would be: rnn_step_backward reads each step's cache, rebuilt here from the
    arrays of rnn_forward's cache."""
    x, h_prev, hs, mask = (cache[name] for name in ("x", "h_prev", "hs", "mask"))
    U, W = cache["U"], cache["W"]
    steps = [
        {"of": "rnn_step_forward", "x": x[:, t], "h_prev": h_prev[:, t], "U": U, "W": W}
        | {"h": hs[:, t]}
        for t in range(hs.shape[1])
    ]
    dx, dh0, dU, _, db = rnn_backward(dhs, cache)
    dh_next, dW = np.zeros_like(dh0), None
    for t in reversed(range(len(steps))):
        dh = dhs[:, t] + dh_next
        real = mask[:, t, None] == 1
        _, dh_prev, _, dW, _ = rnn_step_backward(np.where(real, dh, 0.0), steps[t])
        dh_next = dh_prev + np.where(real, 0.0, dh)
    return dx, dh0, dU, dW, db


def test_the_checks_reject_a_backward_pass_that_does_not_accumulate_dW(rng, params):
    mask = masks()["trailing"]
    y = rng.integers(0, K, size=(N, T))
    inputs = params | {"x": rng.normal(size=(N, T, D)), "h0": rng.uniform(-1, 1, size=(N, H))}

    def wrong_fn(i, dout):
        loss, grads = numpy_loss_and_grads(i, y, mask, backward=one_step_dW_only)
        return np.array(loss), {name: grad * dout for name, grad in grads.items()}

    report = torchcheck(wrong_fn, lambda t: torch_loss(t, y, mask), inputs, rtol=RTOL)
    failed = [q for q, ok in report.within_tolerance.items() if not ok]
    assert failed == ["dW"], str(report)
    _, grads = numpy_loss_and_grads(inputs, y, mask, backward=one_step_dW_only)
    loss_only = {name: inputs[name] for name in ("W", "b")}
    fd = gradcheck(
        lambda p: numpy_loss_and_grads(inputs | p, y, mask)[0],
        loss_only,
        {name: grads[name] for name in loss_only},
    )
    assert fd.failures == ["W"]


def message(name, received):
    """check_shape's message: the array's name ... received (its shape)."""
    return rf"^{re.escape(name)}: expected shape .*received {re.escape(str(received))}"


def test_backward_functions_reject_wrong_shapes(rng, params):
    x, h0 = rng.normal(size=(N, T, D)), np.zeros((N, H))
    _, step_cache = rnn_step_forward(x[:, 0], h0, params["U"], params["W"], params["b"])
    with pytest.raises(ValueError, match=message("dh", (N, H + 1))):
        rnn_step_backward(np.zeros((N, H + 1)), step_cache)
    hs, cache = rnn_forward(x, h0, params["U"], params["W"], params["b"])
    with pytest.raises(ValueError, match=message("dhs", (N, T - 1, H))):
        rnn_backward(np.zeros((N, T - 1, H)), cache)
    with pytest.raises(ValueError, match=message("dhs", (N, H))):
        rnn_backward(np.zeros((N, H)), cache)
    with pytest.raises(ValueError, match=message("do", (N, T, K + 1))):
        output_backward(np.zeros((N, T, K + 1)), hs, params["V"])
    with pytest.raises(ValueError, match=message("do", (N, K))):
        output_backward(np.zeros((N, K)), hs, params["V"])
    with pytest.raises(ValueError, match=message("hs", (N, T, H + 1))):
        output_backward(np.zeros((N, T, K)), np.zeros((N, T, H + 1)), params["V"])


def test_softmax_cross_entropy_rejects_bad_input():
    o = np.zeros((N, T, K))
    with pytest.raises(ValueError, match=message("y", (N, T + 1))):
        softmax_cross_entropy(o, np.zeros((N, T + 1), dtype=np.int64))
    with pytest.raises(ValueError, match=message("o", (N, K))):
        softmax_cross_entropy(np.zeros((N, K)), np.zeros((N, T), dtype=np.int64))
    with pytest.raises(ValueError, match=message("mask", (N, T - 1))):
        softmax_cross_entropy(o, np.zeros((N, T), dtype=np.int64), np.ones((N, T - 1)))
    with pytest.raises(ValueError, match="integer"):
        softmax_cross_entropy(o, np.zeros((N, T)))
    with pytest.raises(ValueError, match=r"\[0, 6\)"):
        softmax_cross_entropy(o, np.full((N, T), K))
    with pytest.raises(ValueError, match="only 0 and 1"):
        softmax_cross_entropy(o, np.zeros((N, T), dtype=np.int64), np.full((N, T), 0.5))
