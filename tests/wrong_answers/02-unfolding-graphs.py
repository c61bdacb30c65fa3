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
    "q5": [
        (
            "one pass in list order: right only when the edges come in topological order",
            """
def count_paths(edges, source, target):
    paths = {source: 1}
    for u, v in edges:
        paths[v] = paths.get(v, 0) + paths.get(u, 0)
    return paths.get(target, 0)
""",
        ),
        (
            "a visited set: each node is explored once, so the paths through it are counted once",
            """
def count_paths(edges, source, target):
    successors = {}
    for u, v in edges:
        successors.setdefault(u, []).append(v)
    seen, count, stack = set(), 0, [source]
    while stack:
        u = stack.pop()
        if u == target:
            count += 1
            continue
        if u in seen:
            continue
        seen.add(u)
        stack.extend(successors.get(u, []))
    return count
""",
        ),
        (
            "floats for the counts: exact only up to 2^53",
            """
def count_paths(edges, source, target):
    nodes = {source, target} | {n for edge in edges for n in edge}
    successors = {n: [] for n in nodes}
    incoming = dict.fromkeys(nodes, 0)
    for u, v in edges:
        successors[u].append(v)
        incoming[v] += 1
    paths = dict.fromkeys(nodes, 0.0)
    paths[source] = 1.0
    ready = [n for n in nodes if incoming[n] == 0]
    while ready:
        u = ready.pop()
        for v in successors[u]:
            paths[v] += paths[u]
            incoming[v] -= 1
            if incoming[v] == 0:
                ready.append(v)
    return int(paths[target])
""",
        ),
        (
            "counts paths of at least one edge: 0 instead of 1 when source == target",
            """
def count_paths(edges, source, target):
    successors = {}
    for u, v in edges:
        successors.setdefault(u, []).append(v)
    memo = {}

    def paths_from(u):
        if u not in memo:
            memo[u] = sum(1 if v == target else paths_from(v) for v in successors.get(u, []))
        return memo[u]

    return paths_from(source)
""",
        ),
    ],
    "q6": [
        (
            "feeds back o(0) = c + V h(0), the output of the initial state, instead of zero",
            """
def feedback_rnn_forward(x, h0, U, W, R, b, V, c):
    N, T, _ = x.shape
    h, o = h0, c + h0 @ V.T
    hs, os = np.zeros((N, T, len(b))), np.zeros((N, T, len(c)))
    for t in range(T):
        h = np.tanh(b + h @ W.T + x[:, t] @ U.T + o @ R.T)
        o = c + h @ V.T
        hs[:, t], os[:, t] = h, o
    return hs, os
""",
        ),
        (
            "adds R o(t - 1) after the tanh instead of inside the pre-activation",
            """
def feedback_rnn_forward(x, h0, U, W, R, b, V, c):
    N, T, _ = x.shape
    h, o = h0, np.zeros((N, len(c)))
    hs, os = np.zeros((N, T, len(b))), np.zeros((N, T, len(c)))
    for t in range(T):
        h = np.tanh(b + h @ W.T + x[:, t] @ U.T) + o @ R.T
        o = c + h @ V.T
        hs[:, t], os[:, t] = h, o
    return hs, os
""",
        ),
        (
            "stores the output the step read, o(t - 1), instead of the one it produced",
            """
def feedback_rnn_forward(x, h0, U, W, R, b, V, c):
    N, T, _ = x.shape
    h, o = h0, np.zeros((N, len(c)))
    hs, os = np.zeros((N, T, len(b))), np.zeros((N, T, len(c)))
    for t in range(T):
        os[:, t] = o
        h = np.tanh(b + h @ W.T + x[:, t] @ U.T + o @ R.T)
        o = c + h @ V.T
        hs[:, t] = h
    return hs, os
""",
        ),
        (
            "computes the outputs after the loop, as rnn_output does: the state never reads them",
            """
def feedback_rnn_forward(x, h0, U, W, R, b, V, c):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(b + h @ W.T + x[:, t] @ U.T)
        states.append(h)
    hs = np.stack(states, axis=1)
    return hs, c + hs @ V.T
""",
        ),
    ],
}
