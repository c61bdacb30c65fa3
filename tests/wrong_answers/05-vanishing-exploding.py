"""Known-wrong answers to exercises/05-vanishing-exploding.ipynb; each must lose points.

WRONG_ANSWERS maps a question to (mistake, answer cell) pairs. The answer cell replaces the
student's stub. Every answer is self-contained, so one submission can carry a wrong answer to
every question at once and each question is still graded on its own answer.
"""

WRONG_ANSWERS = {
    "q1": [
        (
            "the gradient's factors W^T diag(1 - h^2): returns the transposed Jacobian",
            """
def jacobian_product(W, hs, k, t):
    J = np.eye(W.shape[0])
    for j in range(k + 1, t + 1):
        J = J @ (W.T * (1.0 - hs[j - 1] ** 2))
    return J, float(np.linalg.norm(J, 2))
""",
        ),
        (
            "factors in the wrong order: the oldest step on the left",
            """
def jacobian_product(W, hs, k, t):
    J = np.eye(W.shape[0])
    for j in range(k + 1, t + 1):
        J = J @ ((1.0 - hs[j - 1] ** 2)[:, None] * W)
    return J, float(np.linalg.norm(J, 2))
""",
        ),
        (
            "slope of the previous state: diag(1 - h(j-1)^2) W",
            """
def jacobian_product(W, hs, k, t):
    J = np.eye(W.shape[0])
    for j in range(k + 1, t + 1):
        J = ((1.0 - hs[j - 2] ** 2)[:, None] * W) @ J
    return J, float(np.linalg.norm(J, 2))
""",
        ),
        (
            "Frobenius norm instead of the largest singular value",
            """
def jacobian_product(W, hs, k, t):
    J = np.eye(W.shape[0])
    for j in range(k + 1, t + 1):
        J = ((1.0 - hs[j - 1] ** 2)[:, None] * W) @ J
    return J, float(np.linalg.norm(J))
""",
        ),
    ],
    "q2": [
        (
            "clips each parameter separately instead of by the global norm",
            """
def clip_by_global_norm(grads, max_norm):
    clipped = {}
    for name, g in grads.items():
        n = np.linalg.norm(g)
        clipped[name] = g * max_norm / n if n > max_norm else g.copy()
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    return clipped, norm
""",
        ),
        (
            "rescales to max_norm even when the gradient is shorter",
            """
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    return {name: g * max_norm / norm for name, g in grads.items()}, norm
""",
        ),
        (
            "clips every entry to [-max_norm, max_norm] (value clipping)",
            """
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    return {name: np.clip(g, -max_norm, max_norm) for name, g in grads.items()}, norm
""",
        ),
        (
            "clips in place: the caller's arrays change",
            """
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return grads, norm
""",
        ),
    ],
    "q3": [
        (
            "decides by the largest singular value instead of the spectral radius",
            """
def predict_regime(W):
    s = np.linalg.norm(W, 2)
    if abs(s - 1.0) <= 1e-9:
        return "neither"
    return "vanishing" if s < 1.0 else "exploding"
""",
        ),
        (
            "largest real part of the eigenvalues: ignores signs and complex eigenvalues",
            """
def predict_regime(W):
    rho = np.linalg.eigvals(W).real.max()
    if abs(rho - 1.0) <= 1e-9:
        return "neither"
    return "vanishing" if rho < 1.0 else "exploding"
""",
        ),
        (
            "largest absolute entry of W",
            """
def predict_regime(W):
    rho = np.abs(W).max()
    if abs(rho - 1.0) <= 1e-9:
        return "neither"
    return "vanishing" if rho < 1.0 else "exploding"
""",
        ),
    ],
    "q4": [
        (
            "multiplies by W instead of W^T",
            """
def linear_gradient_norms(W, g, steps):
    norms = np.zeros(steps + 1)
    for s in range(steps + 1):
        norms[s] = np.linalg.norm(g)
        g = W @ g
    return norms
""",
        ),
        (
            "off by one: starts one step back, at (W^T) g",
            """
def linear_gradient_norms(W, g, steps):
    norms = np.zeros(steps + 1)
    for s in range(steps + 1):
        g = W.T @ g
        norms[s] = np.linalg.norm(g)
    return norms
""",
        ),
        (
            "the norm of the matrix (W^T)^s, forgetting g",
            """
def linear_gradient_norms(W, g, steps):
    return np.array(
        [np.linalg.norm(np.linalg.matrix_power(W.T, s), 2) for s in range(steps + 1)]
    )
""",
        ),
    ],
    "q5": [
        (
            "trusts the eigenvalues for every n: rho(W) ** n as the exact factor",
            """
def growth_factors(W, n):
    rate = float(np.abs(np.linalg.eigvals(W)).max())
    return float(np.linalg.norm(W, 2)) ** n, rate**n, rate
""",
        ),
        (
            "takes the bound for the exact factor: ||W||_2 ** n instead of ||W^n||_2",
            """
def growth_factors(W, n):
    bound = float(np.linalg.norm(W, 2)) ** n
    return bound, bound, float(np.abs(np.linalg.eigvals(W)).max())
""",
        ),
        (
            "the largest singular value as the rate per step instead of the spectral radius",
            """
def growth_factors(W, n):
    sigma = float(np.linalg.norm(W, 2))
    return sigma**n, float(np.linalg.norm(np.linalg.matrix_power(W, n), 2)), sigma
""",
        ),
        (
            "the Frobenius norm in the bound and the exact factor",
            """
def growth_factors(W, n):
    bound = float(np.linalg.norm(W)) ** n
    exact = float(np.linalg.norm(np.linalg.matrix_power(W, n)))
    return bound, exact, float(np.abs(np.linalg.eigvals(W)).max())
""",
        ),
        (
            "the largest real part of an eigenvalue as the rate: signs and rotations ignored",
            """
def growth_factors(W, n):
    bound = float(np.linalg.norm(W, 2)) ** n
    exact = float(np.linalg.norm(np.linalg.matrix_power(W, n), 2))
    return bound, exact, float(np.linalg.eigvals(W).real.max())
""",
        ),
    ],
    "q6": [
        (
            "the colleague's code unchanged: each array by its own norm, 0 / 0 for a zero array",
            """
def clip_gradients(grads, max_norm):
    clipped = []
    for g in grads:
        norm = np.sqrt(np.sum(g**2))
        clipped.append(g / norm * min(norm, max_norm))
    return clipped
""",
        ),
        (
            "one global norm, but still direction times clipped length: nan for a zero gradient",
            """
def clip_gradients(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g / norm * min(norm, max_norm) for g in grads]
""",
        ),
        (
            "fixes the zero gradient only: still clips each array by its own norm",
            """
def clip_gradients(grads, max_norm):
    clipped = []
    for g in grads:
        norm = np.sqrt(np.sum(g**2))
        clipped.append(g * max_norm / norm if norm > max_norm else g.copy())
    return clipped
""",
        ),
        (
            "the sum of the arrays' norms instead of the norm of all entries together",
            """
def clip_gradients(grads, max_norm):
    norm = sum(np.sqrt(np.sum(g**2)) for g in grads)
    scale = max_norm / norm if norm > max_norm else 1.0
    return [g * scale for g in grads]
""",
        ),
        (
            "PyTorch's epsilon, min(1, theta / (norm + 1e-6)): shrinks a gradient within theta",
            """
def clip_gradients(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    scale = min(1.0, max_norm / (norm + 1e-6))
    return [g * scale for g in grads]
""",
        ),
        (
            "clips in place: the caller's arrays change",
            """
def clip_gradients(grads, max_norm):
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    if norm > max_norm:
        for g in grads:
            g *= max_norm / norm
    return list(grads)
""",
        ),
    ],
}
