"""Known-wrong answers to exercises/04-bptt.ipynb; each must lose points.

WRONG_ANSWERS maps a question to (mistake, answer cell) pairs. The answer cell replaces the
student's stub. Every answer is self-contained (it may call the notebook's given rnn_forward,
never another answer), so one submission can carry a wrong answer to every question at once and
each question is still graded on its own answer.
"""

WRONG_ANSWERS = {
    "q1": [
        (
            "forgets to subtract the one-hot target: y_hat / N",
            """
def softmax_cross_entropy_grad(o, y):
    e = np.exp(o - o.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True) / o.shape[0]
""",
        ),
        (
            "forgets the average over the batch: y_hat - e_y",
            """
def softmax_cross_entropy_grad(o, y):
    e = np.exp(o - o.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True) - np.eye(o.shape[-1])[y]
""",
        ),
        (
            "averages over the time steps too: (y_hat - e_y) / (N T)",
            """
def softmax_cross_entropy_grad(o, y):
    e = np.exp(o - o.max(axis=-1, keepdims=True))
    y_hat = e / e.sum(axis=-1, keepdims=True)
    return (y_hat - np.eye(o.shape[-1])[y]) / (o.shape[0] * o.shape[1])
""",
        ),
    ],
    "q2": [
        (
            "applies tanh again: uses 1 - tanh(h)^2, as if h were the pre-activation a",
            """
def rnn_step_backward(dh, x, h_prev, h, U, W):
    da = (1.0 - np.tanh(h) ** 2) * dh
    return da @ U, da @ W, da.T @ x, da.T @ h_prev, da.sum(axis=0)
""",
        ),
        (
            "transposed dW: h_prev^T da instead of da^T h_prev, silent because W is square",
            """
def rnn_step_backward(dh, x, h_prev, h, U, W):
    da = (1.0 - h**2) * dh
    return da @ U, da @ W, da.T @ x, h_prev.T @ da, da.sum(axis=0)
""",
        ),
        (
            "multiplies by W instead of W^T on the way back: dh_prev = da W^T",
            """
def rnn_step_backward(dh, x, h_prev, h, U, W):
    da = (1.0 - h**2) * dh
    return da @ U, da @ W.T, da.T @ x, da.T @ h_prev, da.sum(axis=0)
""",
        ),
    ],
    "q3": [
        (
            "does not accumulate over time: dU, dW, db keep only the step processed last",
            """
def rnn_backward(dhs, x, h0, hs, U, W):
    dx = np.zeros_like(x)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h_prev = hs[:, t - 1] if t > 0 else h0
        da = (1.0 - hs[:, t] ** 2) * (dhs[:, t] + dh_next)
        dx[:, t] = da @ U
        dU, dW, db = da.T @ x[:, t], da.T @ h_prev, da.sum(axis=0)
        dh_next = da @ W
    return dx, dh_next, dU, dW, db
""",
        ),
        (
            "drops the gradient coming back from step t + 1",
            """
def rnn_backward(dhs, x, h0, hs, U, W):
    dx = np.zeros_like(x)
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros(W.shape[0])
    dh_prev = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h_prev = hs[:, t - 1] if t > 0 else h0
        da = (1.0 - hs[:, t] ** 2) * dhs[:, t]
        dx[:, t] = da @ U
        dU += da.T @ x[:, t]
        dW += da.T @ h_prev
        db += da.sum(axis=0)
        dh_prev = da @ W
    return dx, dh_prev, dU, dW, db
""",
        ),
        (
            "off by one in time: dW pairs da^(t) with h^(t) instead of h^(t-1)",
            """
def rnn_backward(dhs, x, h0, hs, U, W):
    dx = np.zeros_like(x)
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros(W.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        da = (1.0 - hs[:, t] ** 2) * (dhs[:, t] + dh_next)
        dx[:, t] = da @ U
        dU += da.T @ x[:, t]
        dW += da.T @ hs[:, t]
        db += da.sum(axis=0)
        dh_next = da @ W
    return dx, dh_next, dU, dW, db
""",
        ),
    ],
    "q4": [
        (
            "lets the gradient flow across chunk boundaries: full BPTT whatever k",
            """
def truncated_bptt_grad(x, y, h0, U, W, b, V, c, k):
    hs = rnn_forward(x, h0, U, W, b)
    o = c + hs @ V.T
    e = np.exp(o - o.max(axis=-1, keepdims=True))
    do = (e / e.sum(axis=-1, keepdims=True) - np.eye(V.shape[0])[y]) / x.shape[0]
    dV, dc = np.einsum("ntk,nth->kh", do, hs), do.sum(axis=(0, 1))
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros_like(b)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h_prev = hs[:, t - 1] if t > 0 else h0
        da = (1.0 - hs[:, t] ** 2) * (do[:, t] @ V + dh_next)
        dU += da.T @ x[:, t]
        dW += da.T @ h_prev
        db += da.sum(axis=0)
        dh_next = da @ W
    return dU, dW, db, dV, dc
""",
        ),
        (
            "does not carry the state: every chunk starts again from h0",
            """
def truncated_bptt_grad(x, y, h0, U, W, b, V, c, k):
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros_like(b)
    dV, dc = np.zeros_like(V), np.zeros_like(c)
    for start in range(0, x.shape[1], k):
        x_chunk, y_chunk = x[:, start : start + k], y[:, start : start + k]
        hs = rnn_forward(x_chunk, h0, U, W, b)
        o = c + hs @ V.T
        e = np.exp(o - o.max(axis=-1, keepdims=True))
        do = (e / e.sum(axis=-1, keepdims=True) - np.eye(V.shape[0])[y_chunk]) / x.shape[0]
        dV += np.einsum("ntk,nth->kh", do, hs)
        dc += do.sum(axis=(0, 1))
        dh_next = np.zeros_like(h0)
        for t in reversed(range(x_chunk.shape[1])):
            h_prev = hs[:, t - 1] if t > 0 else h0
            da = (1.0 - hs[:, t] ** 2) * (do[:, t] @ V + dh_next)
            dU += da.T @ x_chunk[:, t]
            dW += da.T @ h_prev
            db += da.sum(axis=0)
            dh_next = da @ W
    return dU, dW, db, dV, dc
""",
        ),
        (
            "overwrites instead of summing over chunks: keeps the last chunk's gradient",
            """
def truncated_bptt_grad(x, y, h0, U, W, b, V, c, k):
    h = h0
    for start in range(0, x.shape[1], k):
        x_chunk, y_chunk = x[:, start : start + k], y[:, start : start + k]
        hs = rnn_forward(x_chunk, h, U, W, b)
        o = c + hs @ V.T
        e = np.exp(o - o.max(axis=-1, keepdims=True))
        do = (e / e.sum(axis=-1, keepdims=True) - np.eye(V.shape[0])[y_chunk]) / x.shape[0]
        dV, dc = np.einsum("ntk,nth->kh", do, hs), do.sum(axis=(0, 1))
        dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros_like(b)
        dh_next = np.zeros_like(h0)
        for t in reversed(range(x_chunk.shape[1])):
            h_prev = hs[:, t - 1] if t > 0 else h
            da = (1.0 - hs[:, t] ** 2) * (do[:, t] @ V + dh_next)
            dU += da.T @ x_chunk[:, t]
            dW += da.T @ h_prev
            db += da.sum(axis=0)
            dh_next = da @ W
        h = hs[:, -1]
    return dU, dW, db, dV, dc
""",
        ),
    ],
    "q5": [
        (
            "diagonal factor on the wrong side: W diag(1 - h^2)",
            """
def hidden_jacobian(h, W):
    return W @ np.diag(1.0 - h**2)
""",
        ),
        (
            "the transposed Jacobian W^T diag(1 - h^2), the matrix that carries gradients back",
            """
def hidden_jacobian(h, W):
    return W.T @ np.diag(1.0 - h**2)
""",
        ),
        (
            "transposed W: diag(1 - h^2) W^T",
            """
def hidden_jacobian(h, W):
    return np.diag(1.0 - h**2) @ W.T
""",
        ),
    ],
    "q6": [
        (
            "keeps the chapter's tanh slope 1 - h^2 instead of the ReLU's 1[h > 0]",
            """
def relu_regression_grad(x, y, h0, U, W, b, V, c):
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = np.maximum(0.0, b + h @ W.T + x[:, t] @ U.T)
        hs.append(h)
    do = (c + h @ V.T - y) / x.shape[0]
    dV, dc = do.T @ h, do.sum(axis=0)
    dh = do @ V
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros_like(b)
    for t in reversed(range(x.shape[1])):
        h_prev = hs[t - 1] if t > 0 else h0
        da = (1.0 - hs[t] ** 2) * dh
        dU += da.T @ x[:, t]
        dW += da.T @ h_prev
        db += da.sum(axis=0)
        dh = da @ W
    return dU, dW, db, dV, dc
""",
        ),
        (
            "a loss at every step, as in the chapter: V^T (o^(t) - y) / N enters every state",
            """
def relu_regression_grad(x, y, h0, U, W, b, V, c):
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = np.maximum(0.0, b + h @ W.T + x[:, t] @ U.T)
        hs.append(h)
    do = (c + h @ V.T - y) / x.shape[0]
    dV, dc = do.T @ h, do.sum(axis=0)
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros_like(b)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        h_prev = hs[t - 1] if t > 0 else h0
        dh = (c + hs[t] @ V.T - y) / x.shape[0] @ V + dh_next
        da = (hs[t] > 0) * dh
        dU += da.T @ x[:, t]
        dW += da.T @ h_prev
        db += da.sum(axis=0)
        dh_next = da @ W
    return dU, dW, db, dV, dc
""",
        ),
        (
            "divides by N K, the mean over all entries of nn.MSELoss(), and drops the 1/2",
            """
def relu_regression_grad(x, y, h0, U, W, b, V, c):
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = np.maximum(0.0, b + h @ W.T + x[:, t] @ U.T)
        hs.append(h)
    do = 2.0 * (c + h @ V.T - y) / y.size
    dV, dc = do.T @ h, do.sum(axis=0)
    dh = do @ V
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros_like(b)
    for t in reversed(range(x.shape[1])):
        h_prev = hs[t - 1] if t > 0 else h0
        da = (hs[t] > 0) * dh
        dU += da.T @ x[:, t]
        dW += da.T @ h_prev
        db += da.sum(axis=0)
        dh = da @ W
    return dU, dW, db, dV, dc
""",
        ),
        (
            "no recurrent term: the gradient stops at the last step",
            """
def relu_regression_grad(x, y, h0, U, W, b, V, c):
    h, h_prev = h0, h0
    for t in range(x.shape[1]):
        h_prev = h
        h = np.maximum(0.0, b + h @ W.T + x[:, t] @ U.T)
    do = (c + h @ V.T - y) / x.shape[0]
    da = (h > 0) * (do @ V)
    return da.T @ x[:, -1], da.T @ h_prev, da.sum(axis=0), do.T @ h, do.sum(axis=0)
""",
        ),
    ],
    "q7": [
        (
            "the colleague's code unchanged: the slope of step t, 1 - h(t)^2, not of step t + 1",
            """
def state_gradients(dhs, hs, W):
    grads = np.zeros_like(dhs)
    grads[:, -1] = dhs[:, -1]
    for t in reversed(range(hs.shape[1] - 1)):
        grads[:, t] = dhs[:, t] + ((1.0 - hs[:, t] ** 2) * grads[:, t + 1]) @ W
    return grads
""",
        ),
        (
            "fixes the slope but carries the gradient back with W instead of W^T",
            """
def state_gradients(dhs, hs, W):
    grads = np.zeros_like(dhs)
    grads[:, -1] = dhs[:, -1]
    for t in reversed(range(hs.shape[1] - 1)):
        grads[:, t] = dhs[:, t] + ((1.0 - hs[:, t + 1] ** 2) * grads[:, t + 1]) @ W.T
    return grads
""",
        ),
        (
            "W^T first, the slopes afterwards: diag(1 - h(t+1)^2) W^T grad, the misread 10.21",
            """
def state_gradients(dhs, hs, W):
    grads = np.zeros_like(dhs)
    grads[:, -1] = dhs[:, -1]
    for t in reversed(range(hs.shape[1] - 1)):
        grads[:, t] = dhs[:, t] + (1.0 - hs[:, t + 1] ** 2) * (grads[:, t + 1] @ W)
    return grads
""",
        ),
        (
            "returns the gradients at the pre-activations a(t), through the tanh, not at h(t)",
            """
def state_gradients(dhs, hs, W):
    grads = np.zeros_like(dhs)
    da = (1.0 - hs[:, -1] ** 2) * dhs[:, -1]
    grads[:, -1] = da
    for t in reversed(range(hs.shape[1] - 1)):
        da = (1.0 - hs[:, t] ** 2) * (dhs[:, t] + da @ W)
        grads[:, t] = da
    return grads
""",
        ),
    ],
}
