"""gradcheck: centred differences agree with correct gradients and expose wrong ones."""

import numpy as np
import pytest
import torch

from unrolled.gradcheck import GradcheckReport, gradcheck, numerical_gradient, relative_error


def loss(p: dict[str, np.ndarray]) -> float:
    """sum(tanh(W @ x + b)), W (H, D), x (D,), b (H,)."""
    return float(np.sum(np.tanh(p["W"] @ p["x"] + p["b"])))


def loss_grads(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    da = 1 - np.tanh(p["W"] @ p["x"] + p["b"]) ** 2  # (H,)
    return {"W": np.outer(da, p["x"]), "x": p["W"].T @ da, "b": da}


@pytest.fixture
def params() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"W": rng.standard_normal((4, 3)), "x": rng.standard_normal(3), "b": rng.normal(size=4)}


def test_numerical_gradient_matches_torch_autograd(params):
    numeric = numerical_gradient(loss, params)
    tensors = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    torch.tanh(tensors["W"] @ tensors["x"] + tensors["b"]).sum().backward()
    for name, value in params.items():
        assert numeric[name].shape == value.shape
        assert relative_error(numeric[name], tensors[name].grad.numpy()) < 1e-8


def test_correct_gradient_passes(params):
    report = gradcheck(loss, params, loss_grads(params))
    assert isinstance(report, GradcheckReport)
    assert report.passed and set(report.errors) == {"W", "x", "b"}
    assert all(err < 1e-8 for err in report.errors.values())
    report.assert_passed()
    table = str(report)
    assert "FAIL" not in table and "(4, 3)" in table and "passed" in table


def test_gradient_off_by_a_factor_fails(params):
    grads = loss_grads(params)
    grads["b"] = 1.01 * grads["b"]
    report = gradcheck(loss, params, grads)
    assert not report.passed and report.failures == ["b"]
    assert report.errors["b"] > 1e-3 and report.errors["W"] < 1e-8
    with pytest.raises(AssertionError, match=r"failed for b \("):
        report.assert_passed()
    assert "FAIL" in str(report) and "1 failed" in str(report)


def test_transposed_gradient_fails():
    rng = np.random.default_rng(1)
    square = {"W": rng.standard_normal((3, 3)), "x": rng.standard_normal(3), "b": np.zeros(3)}
    grads = loss_grads(square)
    grads["W"] = grads["W"].T.copy()
    assert gradcheck(loss, square, grads).failures == ["W"]


def test_f_gets_copies_and_the_callers_arrays_are_not_modified(params):
    original = {k: v.copy() for k, v in params.items()}
    seen = []

    def mutating(p):
        seen.append(id(p["W"]))
        p["W"] += 1.0  # f mutates its argument: sum((W + 1)**2) of the array it received
        return np.sum(p["W"] ** 2)

    numeric = numerical_gradient(mutating, params)
    np.testing.assert_allclose(numeric["W"], 2 * (original["W"] + 1), rtol=1e-8)
    np.testing.assert_array_equal(numeric["x"], 0.0)
    for name in params:
        np.testing.assert_array_equal(params[name], original[name])
    assert id(params["W"]) not in seen and len(set(seen)) > 1


def test_pure_f_of_its_argument_is_enough(params):
    """The classic in-place bug: perturbing the caller's array and calling f() with no
    argument. Here f reads only its argument, and the result must still be right."""
    numeric = numerical_gradient(lambda p: np.sum(p["x"] ** 3), params)
    np.testing.assert_allclose(numeric["x"], 3 * params["x"] ** 2, rtol=1e-8)


def test_relative_error_definition():
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.5])
    assert relative_error(a, b) == pytest.approx(0.5 / 4.5, rel=1e-15)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(1e-300 * a, -1e-300 * a) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"b: expected shape \(2,\), received \(3,\)"):
        relative_error(a, np.zeros(3))


def test_validates_params_and_grads(params):
    with pytest.raises(ValueError, match=r"params\['W'\] must be float64.*float32"):
        numerical_gradient(loss, {**params, "W": params["W"].astype(np.float32)})
    with pytest.raises(TypeError, match=r"params\['W'\] must be a numpy array"):
        numerical_gradient(loss, {**params, "W": params["W"].tolist()})
    grads = loss_grads(params)
    with pytest.raises(ValueError, match=r"expected \['W', 'b', 'x'\], received \['W', 'x'\]"):
        gradcheck(loss, params, {"W": grads["W"], "x": grads["x"]})
    with pytest.raises(
        ValueError, match=r"grads\['W'\]: expected shape \(4, 3\), received \(3, 4\)"
    ):
        gradcheck(loss, params, {**grads, "W": grads["W"].T})
    with pytest.raises(ValueError, match=r"scalar.*\(4,\)"):
        numerical_gradient(lambda p: p["W"] @ p["x"], params)
    with pytest.raises(ValueError, match="eps"):
        numerical_gradient(loss, params, eps=0.0)
