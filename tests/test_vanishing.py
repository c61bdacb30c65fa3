"""unrolled.vanishing: Jacobians and gradients through time against PyTorch, the bounds of
chapter 5, initialisations, and clipping by value."""

import numpy as np
import pytest
import torch

from unrolled.rnn import rnn_backward, rnn_forward
from unrolled.torchcheck import torchcheck
from unrolled.vanishing import (
    ACTIVATIONS,
    clip_grad_value,
    driven_forward,
    gradients_through_time,
    identity_init,
    jacobian_product,
    orthogonal_init,
    scale_to_spectral_radius,
    spectral_radius,
    step_jacobians,
)

TORCH_ACTIVATIONS = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "identity": lambda a: a,
}


def problem(seed=0, N=3, T=9, H=4, scale=0.7):
    """Drives u (N, T, H), initial states h0 (N, H) and weights W (H, H) of a small batch."""
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(N, T, H)),
        rng.uniform(-1, 1, size=(N, H)),
        rng.normal(scale=scale, size=(H, H)),
    )


def torch_states(u, h0, W, activation):
    """Eq. (ch5-driven) in PyTorch: the states (N, T, H)."""
    phi, h, states = TORCH_ACTIVATIONS[activation], h0, []
    for t in range(u.shape[1]):
        h = phi(h @ W.T + u[:, t])
        states.append(h)
    return torch.stack(states, dim=1)


def test_tanh_drive_is_chapter_2s_rnn():
    rng = np.random.default_rng(1)
    x, h0 = rng.normal(size=(2, 6, 3)), rng.normal(size=(2, 5))
    U, W, b = rng.normal(size=(5, 3)), rng.normal(size=(5, 5)), rng.normal(size=5)
    hs, _ = rnn_forward(x, h0, U, W, b)
    np.testing.assert_allclose(driven_forward(b + x @ U.T, h0, W, "tanh"), hs, atol=1e-13)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_forward_and_gradients_match_autograd(activation):
    u, h0, W = problem(seed=2)
    slope = ACTIVATIONS[activation][1]

    def numpy_fn(inputs, dout):
        hs = driven_forward(inputs["u"], inputs["h0"], inputs["W"], activation)
        gs = gradients_through_time(hs, inputs["W"], dout, activation)
        return hs, {"u": slope(hs) * gs[:, 1:], "h0": gs[:, 0]}

    def torch_fn(t):
        return torch_states(t["u"], t["h0"], t["W"], activation)

    torchcheck(numpy_fn, torch_fn, {"u": u, "h0": h0, "W": W}).assert_passed()


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_jacobian_product_matches_autograd(activation):
    u, h0, W = problem(seed=3)
    hs = driven_forward(u, h0, W, activation)
    k, t = 2, 7
    J = jacobian_product(hs, W, k, t, activation)
    W_t, u_t = torch.from_numpy(W), torch.from_numpy(u)
    for n in range(len(u)):

        def forward(h, n=n):
            for j in range(k + 1, t + 1):
                h = TORCH_ACTIVATIONS[activation](W_t @ h + u_t[n, j - 1])
            return h

        expected = torch.autograd.functional.jacobian(forward, torch.from_numpy(hs[n, k - 1]))
        np.testing.assert_allclose(J[n], expected.numpy(), rtol=1e-10, atol=1e-12)


def test_step_jacobians_scale_the_rows_of_w():
    u, h0, W = problem(seed=4)
    hs = driven_forward(u, h0, W)
    J = step_jacobians(hs, W)
    assert J.shape == (3, 9, 4, 4)
    np.testing.assert_allclose(J[1, 5], np.diag(1 - hs[1, 5] ** 2) @ W, rtol=1e-14)


def test_empty_product_is_the_identity_and_bad_steps_raise():
    u, h0, W = problem(seed=5)
    hs = driven_forward(u, h0, W)
    np.testing.assert_array_equal(
        jacobian_product(hs, W, 4, 4), np.broadcast_to(np.eye(4), (3, 4, 4))
    )
    for k, t in [(5, 4), (-1, 3), (0, 10)]:
        with pytest.raises(ValueError, match="0 <= k <= t <= T"):
            jacobian_product(hs, W, k, t)


def test_gradients_are_transposed_jacobians_and_chapter_4s_bptt():
    rng = np.random.default_rng(6)
    x, h0 = rng.normal(size=(3, 8, 2)), rng.normal(size=(3, 4))
    U, W, b = rng.normal(size=(4, 2)), rng.normal(size=(4, 4)), rng.normal(size=4)
    hs, cache = rnn_forward(x, h0, U, W, b)
    dhs = np.zeros_like(hs)
    dhs[:, -1] = rng.normal(size=(3, 4))  # a loss on the last state only
    gs = gradients_through_time(hs, W, dhs)
    assert gs.shape == (3, 9, 4)
    np.testing.assert_allclose(gs[:, 0], rnn_backward(dhs, cache)[1], atol=1e-13)
    for k in range(9):
        J = jacobian_product(hs, W, k, 8)
        np.testing.assert_allclose(
            gs[:, k], np.einsum("nij,ni->nj", J, dhs[:, -1]), rtol=1e-10, atol=1e-13
        )


@pytest.mark.parametrize(("activation", "gamma"), [("tanh", 1.0), ("sigmoid", 0.25)])
def test_norm_is_bounded_by_gamma_lambda_1_to_the_distance(activation, gamma):
    u, h0, W = problem(seed=7, N=5, T=12, H=6, scale=0.8)
    hs = driven_forward(u, h0, W, activation)
    lambda_1 = np.linalg.norm(W, 2)
    for k in range(12):
        norms = np.linalg.norm(jacobian_product(hs, W, k, 12, activation), ord=2, axis=(1, 2))
        assert norms.max() <= (gamma * lambda_1) ** (12 - k) * (1 + 1e-12)


@pytest.mark.parametrize("rho", [0.6, 1.0, 1.4])
def test_linear_gradient_changes_by_the_spectral_radius_per_step(rho):
    rng = np.random.default_rng(8)
    W = scale_to_spectral_radius(rng.normal(size=(6, 6)), rho)
    assert spectral_radius(W) == pytest.approx(rho, rel=1e-12)
    T = 300
    hs = driven_forward(np.zeros((1, T, 6)), np.zeros((1, 6)), W, "identity")
    dhs = np.zeros((1, T, 6))
    dhs[0, -1] = rng.normal(size=6)
    norms = np.linalg.norm(gradients_through_time(hs, W, dhs, "identity")[0], axis=-1)
    assert (norms[0] / norms[T // 2]) ** (1 / (T // 2)) == pytest.approx(rho, rel=0.02)


def test_saturated_tanh_units_stop_the_gradient():
    W = 3.0 * np.eye(2)
    u = np.full((1, 5, 2), 4.0)  # drives every unit deep into saturation
    hs = driven_forward(u, np.zeros((1, 2)), W, "tanh")
    dhs = np.zeros((1, 5, 2))
    dhs[0, -1] = 1.0
    gs = gradients_through_time(hs, W, dhs, "tanh")
    assert np.linalg.norm(gs[0, 0]) < 1e-20 < np.linalg.norm(gs[0, -1])


def test_relu_cuts_the_gradient_at_inactive_units():
    hs = driven_forward(np.array([[[1.0, -1.0]]]), np.zeros((1, 2)), np.eye(2), "relu")
    gs = gradients_through_time(hs, np.eye(2), np.ones((1, 1, 2)), "relu")
    np.testing.assert_array_equal(gs[0, 0], [1.0, 0.0])


def test_initialisations():
    rng = np.random.default_rng(9)
    Q = orthogonal_init(16, rng, gain=1.5)
    np.testing.assert_allclose(Q.T @ Q, 2.25 * np.eye(16), atol=1e-12)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(Q)), 1.5, rtol=1e-10)
    np.testing.assert_array_equal(
        orthogonal_init(5, np.random.default_rng(3)), orthogonal_init(5, np.random.default_rng(3))
    )
    np.testing.assert_array_equal(identity_init(3, 0.5), 0.5 * np.eye(3))
    for init in (lambda H: orthogonal_init(H, rng), identity_init):
        with pytest.raises(ValueError, match="H must be a positive int"):
            init(0)


def test_scale_to_spectral_radius_rejects_what_it_cannot_scale():
    with pytest.raises(ValueError, match="rho"):
        scale_to_spectral_radius(np.zeros((3, 3)), 1.0)
    for rho in (-1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="rho: expected a finite number >= 0"):
            scale_to_spectral_radius(np.eye(3), rho)
    with pytest.raises(ValueError, match="gain: expected a finite number >= 0"):
        orthogonal_init(3, np.random.default_rng(0), gain=np.nan)
    with pytest.raises(ValueError, match="W: expected shape"):
        spectral_radius(np.zeros((3, 2)))


def test_clip_grad_value_matches_torch_and_works_in_place():
    rng = np.random.default_rng(10)
    grads = {"W": rng.normal(size=(4, 4)), "b": rng.normal(size=4)}
    tensors = [torch.zeros(4, 4, dtype=torch.float64), torch.zeros(4, dtype=torch.float64)]
    for tensor, grad in zip(tensors, grads.values(), strict=True):
        tensor.grad = torch.from_numpy(grad.copy())
    largest = max(np.abs(g).max() for g in grads.values())
    assert clip_grad_value(grads, 0.5) == largest
    torch.nn.utils.clip_grad_value_(tensors, 0.5)
    for tensor, grad in zip(tensors, grads.values(), strict=True):
        np.testing.assert_array_equal(grad, tensor.grad.numpy())
    assert max(np.abs(g).max() for g in grads.values()) == 0.5
    with pytest.raises(ValueError, match="clip_value: expected a finite number > 0"):
        clip_grad_value(grads, 0.0)


def test_bad_shapes_and_activations_raise():
    u, h0, W = problem(seed=11)
    with pytest.raises(ValueError, match="activation must be one of"):
        driven_forward(u, h0, W, "softplus")
    with pytest.raises(ValueError, match="h0: expected shape"):
        driven_forward(u, h0[:, :2], W)
    hs = driven_forward(u, h0, W)
    with pytest.raises(ValueError, match="dhs: expected shape"):
        gradients_through_time(hs, W, hs[:, :3])
