"""torchcheck: a NumPy layer agrees with PyTorch autograd; wrong backward passes are caught."""

import numpy as np
import pytest
import torch

from unrolled.torchcheck import TorchcheckReport, torchcheck


def layer(inputs, dout):
    """out = tanh(x @ W + b), x (N, D), W (D, H), b (H,); out (N, H)."""
    x, W, b = inputs["x"], inputs["W"], inputs["b"]
    out = np.tanh(x @ W + b)  # (N, H)
    da = dout * (1 - out**2)  # (N, H)
    return out, {"x": da @ W.T, "W": x.T @ da, "b": da.sum(axis=0)}


def layer_missing_tanh_derivative(inputs, dout):
    x, W = inputs["x"], inputs["W"]
    out = np.tanh(x @ W + inputs["b"])
    return out, {"x": dout @ W.T, "W": x.T @ dout, "b": dout.sum(axis=0)}


def torch_layer(t):
    return torch.tanh(t["x"] @ t["W"] + t["b"])


@pytest.fixture
def inputs():
    rng = np.random.default_rng(0)
    return {"x": rng.standard_normal((4, 3)), "W": rng.standard_normal((3, 5)), "b": np.ones(5)}


def test_correct_backward_passes(inputs):
    report = torchcheck(layer, torch_layer, inputs)
    assert isinstance(report, TorchcheckReport)
    assert report.passed and list(report.max_abs_diff) == ["out", "dx", "dW", "db"]
    assert all(diff < 1e-12 for diff in report.max_abs_diff.values())
    report.assert_passed()
    assert "FAIL" not in str(report) and "(3, 5)" in str(report)


def test_backward_missing_the_tanh_derivative_fails(inputs):
    report = torchcheck(layer_missing_tanh_derivative, torch_layer, inputs)
    assert not report.passed
    assert report.within_tolerance == {"out": True, "dx": False, "dW": False, "db": False}
    assert report.max_rel_error["dW"] > 1e-2
    with pytest.raises(AssertionError, match="differ in dx, dW, db"):
        report.assert_passed()
    assert str(report).count("FAIL") == 3


def test_forward_only_check(inputs):
    def forward(inputs, dout):
        return np.tanh(inputs["x"] @ inputs["W"] + inputs["b"]), {}

    report = torchcheck(forward, torch_layer, inputs)
    assert report.passed and list(report.max_abs_diff) == ["out"]
    assert report.unchecked == ("x", "W", "b") and "not checked: x, W, b" in str(report)

    def wrong_forward(inputs, dout):
        return np.tanh(inputs["x"] @ inputs["W"]), {}

    assert not torchcheck(wrong_forward, torch_layer, inputs).passed


def test_dout_is_seeded_standard_normal_and_inputs_are_copied(inputs):
    seen = {}
    original = {k: v.copy() for k, v in inputs.items()}

    def spy(inputs_copy, dout):
        seen["dout"] = dout
        inputs_copy["x"] += 1.0  # must not reach the caller, nor torch
        return layer(original, dout)

    torchcheck(spy, torch_layer, inputs, seed=5).assert_passed()
    np.testing.assert_array_equal(seen["dout"], np.random.default_rng(5).standard_normal((4, 5)))
    np.testing.assert_array_equal(inputs["x"], original["x"])


def test_tensors_are_float64_leaves(inputs):
    def check_tensors(t):
        for tensor in t.values():
            assert tensor.dtype == torch.float64 and tensor.requires_grad and tensor.is_leaf
        return torch_layer(t)

    torchcheck(layer, check_tensors, inputs).assert_passed()


def test_shape_mismatch_names_both_shapes(inputs):
    def summed(inputs, dout):
        return np.tanh(inputs["x"] @ inputs["W"] + inputs["b"]).sum(axis=0), {}

    with pytest.raises(
        ValueError, match=r"numpy_fn's output has shape \(5,\), torch_fn's .*\(4, 5\)"
    ):
        torchcheck(summed, torch_layer, inputs)


def test_validates_inputs_and_grads(inputs):
    with pytest.raises(ValueError, match=r"inputs\['x'\] must be float64, received float32"):
        torchcheck(layer, torch_layer, {**inputs, "x": inputs["x"].astype(np.float32)})

    with pytest.raises(ValueError, match="float64 tensor"):
        torchcheck(layer, lambda t: torch_layer(t).float(), inputs)

    def wrong_grad_shape(inputs, dout):
        out, grads = layer(inputs, dout)
        return out, {**grads, "W": grads["W"].T}

    with pytest.raises(
        ValueError, match=r"grads\['W'\]: expected shape \(3, 5\), received \(5, 3\)"
    ):
        torchcheck(wrong_grad_shape, torch_layer, inputs)

    def unknown_name(inputs, dout):
        out, grads = layer(inputs, dout)
        return out, {**grads, "h": grads["b"]}

    with pytest.raises(ValueError, match=r"\['h'\] are not inputs"):
        torchcheck(unknown_name, torch_layer, inputs)
