"""Known-wrong answers to exercises/02-unfolding-graphs.ipynb; each must lose points.

WRONG_ANSWERS maps a question to (mistake, answer cell) pairs. The answer cell replaces the
student's stub. Every answer is self-contained (none calls rnn_step_forward), so one submission
can carry a wrong answer to every question at once and each question is still graded on its own
answer.
"""

WRONG_ANSWERS = {
    "q1": [
        (
            "missing tanh: returns the pre-activation a",
            """
def rnn_step_forward(x, h_prev, U, W, b):
    return b + h_prev @ W.T + x @ U.T
""",
        ),
        (
            "missing transposes: x @ U, silent when D == H",
            """
def rnn_step_forward(x, h_prev, U, W, b):
    return np.tanh(b + h_prev @ W + x @ U)
""",
        ),
        (
            "missing bias",
            """
def rnn_step_forward(x, h_prev, U, W, b):
    return np.tanh(h_prev @ W.T + x @ U.T)
""",
        ),
    ],
    "q2": [
        (
            "off by one in time: returns h^(0) .. h^(T-1)",
            """
def rnn_forward(x, h0, U, W, b):
    h = h0
    states = []
    for t in range(x.shape[1]):
        states.append(h)
        h = np.tanh(b + h @ W.T + x[:, t] @ U.T)
    return np.stack(states, axis=1)
""",
        ),
        (
            "state not fed back: every step starts again from h0",
            """
def rnn_forward(x, h0, U, W, b):
    states = [np.tanh(b + h0 @ W.T + x[:, t] @ U.T) for t in range(x.shape[1])]
    return np.stack(states, axis=1)
""",
        ),
        (
            "time-major result: shape (T, N, H)",
            """
def rnn_forward(x, h0, U, W, b):
    h = h0
    states = []
    for t in range(x.shape[1]):
        h = np.tanh(b + h @ W.T + x[:, t] @ U.T)
        states.append(h)
    return np.stack(states)
""",
        ),
    ],
    "q3": [
        (
            "ignores the mask for the state: runs on through the padding",
            """
def rnn_forward_masked(x, h0, U, W, b, lengths):
    lengths = np.asarray(lengths)
    h = h0
    hs = np.zeros((x.shape[0], x.shape[1], h0.shape[1]))
    for t in range(x.shape[1]):
        h = np.tanh(b + h @ W.T + x[:, t] @ U.T)
        hs[:, t] = np.where((t < lengths)[:, None], h, 0.0)
    return hs, h
""",
        ),
        (
            "zeroes the state on padded steps instead of carrying it",
            """
def rnn_forward_masked(x, h0, U, W, b, lengths):
    lengths = np.asarray(lengths)
    h = h0
    hs = np.zeros((x.shape[0], x.shape[1], h0.shape[1]))
    for t in range(x.shape[1]):
        h = (t < lengths)[:, None] * np.tanh(b + h @ W.T + x[:, t] @ U.T)
        hs[:, t] = h
    return hs, h
""",
        ),
        (
            "off by one in the mask: one padded step counted as real",
            """
def rnn_forward_masked(x, h0, U, W, b, lengths):
    lengths = np.asarray(lengths)
    h = h0
    hs = np.zeros((x.shape[0], x.shape[1], h0.shape[1]))
    for t in range(x.shape[1]):
        real = (t <= lengths)[:, None]
        h = np.where(real, np.tanh(b + h @ W.T + x[:, t] @ U.T), h)
        hs[:, t] = np.where(real, h, 0.0)
    return hs, h
""",
        ),
    ],
    "q4": [
        (
            "softmax over the time axis instead of the outputs",
            """
def rnn_output(hs, V, c):
    o = c + hs @ V.T
    e = np.exp(o - o.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
""",
        ),
        (
            "forgets the output bias c",
            """
def rnn_output(hs, V, c):
    o = hs @ V.T
    e = np.exp(o - o.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
""",
        ),
        (
            "does not subtract the maximum: large logits overflow",
            """
def rnn_output(hs, V, c):
    e = np.exp(c + hs @ V.T)
    return e / e.sum(axis=-1, keepdims=True)
""",
        ),
    ],
}
