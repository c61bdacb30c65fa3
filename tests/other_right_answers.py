"""Correct answers written differently from the masters: each must earn full marks.

A grader that compares with the master's code path (its loops, its axis order, its helper
functions) rather than with the mathematics would fail a student who is right. At least one
answer per assignment, with a different construction from the master's: loops where the master
vectorises, column-vector algebra where it uses rows, np.split instead of slices.
"""

OTHER_RIGHT_ANSWERS = {
    "01-sequential-data": {
        "q1": """def one_hot(indices, vocab_size):
    indices = np.array(indices)
    out = np.zeros(indices.shape + (vocab_size,))
    for position in np.ndindex(indices.shape):
        out[position + (indices[position],)] = 1.0
    return out
""",
        "q5": """def forecast_ahead(history, coef, steps):
    p = len(coef) - 1
    A = np.eye(p, k=-1)  # companion matrix: the state is [x_{t-1}, ..., x_{t-p}]
    A[0] = coef[1:]
    state = np.array(history[::-1][:p], dtype=float)  # most recent first
    out = []
    for _ in range(steps):
        state = A @ state + np.eye(p)[0] * coef[0]
        out.append(state[0])
    return np.array(out)
""",
        "q6": """def bits_per_char(train_text, test_text, vocab):
    from collections import Counter

    V, N = len(vocab), len(train_text)
    chars = Counter(train_text)
    pairs = Counter(train_text[i : i + 2] for i in range(N - 1))  # two-character strings
    after = Counter(train_text[:-1])
    nats = -np.log((chars[test_text[0]] + 1) / (N + V))
    for i in range(1, len(test_text)):
        a = test_text[i - 1]
        nats -= np.log((pairs[test_text[i - 1 : i + 1]] + 1) / (after[a] + V))
    return float(nats / np.log(2) / len(test_text))
""",
    },
    "02-unfolding-graphs": {
        "q1": """def rnn_step_forward(x, h_prev, U, W, b):
    return np.tanh((W @ h_prev.T + U @ x.T).T + b)  # column vectors, then back to rows
""",
        "q5": """def count_paths(edges, source, target):
    feeders = {}
    for u, v in edges:
        feeders.setdefault(v, []).append(u)
    memo = {source: 1}  # paths from source to a node, worked out backwards from the target

    def into(v):
        if v not in memo:
            memo[v] = sum(into(u) for u in feeders.get(v, []))
        return memo[v]

    return into(target)
""",
        "q6": """def feedback_rnn_forward(x, h0, U, W, R, b, V, c):
    h = np.tanh(b + h0 @ W.T + x[:, 0] @ U.T)  # step 1 reads o(0) = 0
    states = [h]
    W2, b2 = W + R @ V, b + R @ c  # later steps: a vanilla RNN with W' and b'
    for t in range(1, x.shape[1]):
        h = np.tanh(b2 + h @ W2.T + x[:, t] @ U.T)
        states.append(h)
    hs = np.stack(states, axis=1)
    return hs, np.einsum("kh,nth->ntk", V, hs) + c
""",
    },
    "03-rnn-designs": {
        "q1": """def design3_forward(x, h0, U, W, b, V, c):
    h = h0
    for t in range(x.shape[1]):  # the recurrence written out, not rnn_forward
        h = np.tanh(b + h @ W.T + x[:, t] @ U.T)
    return np.einsum("kh,nh->nk", V, h) + c
""",
        "q5": """def rnn_parameter_shapes(D, H, num_layers, bidirectional):
    directions = ("", "_reverse") if bidirectional else ("",)
    reads = [D] + [len(directions) * H] * (num_layers - 1)  # the input size of every layer
    return {
        f"{kind}_l{layer}{suffix}": shape
        for layer, size in enumerate(reads)
        for suffix in directions
        for kind, shape in [
            ("weight_ih", (H, size)),
            ("weight_hh", (H, H)),
            ("bias_ih", (H,)),
            ("bias_hh", (H,)),
        ]
    }
""",
        "q6": """def output_dependencies(design, T):
    t, s = np.indices((T, T))  # t: the output's step, s: the input's step
    if design in ("design1", "design2"):
        return s <= t
    if design == "teacher_forcing":
        return s == t
    if design == "backward":
        return s >= t
    return np.full((T, T), True)  # both directions, or a layer on top of both
""",
    },
    "04-bptt": {
        "q5": """def hidden_jacobian(h, W):
    return (1 - h * h)[:, None] * W  # broadcasting instead of a diagonal matrix
""",
        "q6": """def relu_regression_grad(x, y, h0, U, W, b, V, c):
    N, T = x.shape[:2]
    grads = [np.zeros_like(p) for p in (U, W, b, V, c)]
    for n in range(N):  # one sequence at a time, with column vectors
        hs = [h0[n]]
        for t in range(T):
            hs.append(np.maximum(0.0, b + W @ hs[-1] + U @ x[n, t]))
        grad_o = (c + V @ hs[T] - y[n]) / N
        grads[3] += np.outer(grad_o, hs[T])
        grads[4] += grad_o
        grad_h = V.T @ grad_o
        for t in range(T, 0, -1):
            grad_a = np.where(hs[t] > 0, grad_h, 0.0)  # no gradient through a silent unit
            grads[0] += np.outer(grad_a, x[n, t - 1])
            grads[1] += np.outer(grad_a, hs[t - 1])
            grads[2] += grad_a
            grad_h = W.T @ grad_a
    return tuple(grads)
""",
        "q7": """def state_gradients(dhs, hs, W):
    N, T, H = hs.shape
    out = np.empty((N, T, H))
    for n in range(N):  # column vectors and the transposed Jacobians of question 5
        g = dhs[n, T - 1]
        out[n, T - 1] = g
        for t in range(T - 2, -1, -1):
            J = (1.0 - hs[n, t + 1] ** 2)[:, None] * W  # d h(t+2) / d h(t+1), 1-based
            g = dhs[n, t] + J.T @ g
            out[n, t] = g
    return out
""",
    },
    "05-vanishing-exploding": {
        "q2": """def clip_by_global_norm(grads, max_norm):
    norm = np.linalg.norm(np.concatenate([g.ravel() for g in grads.values()]))
    factor = 1.0 if norm <= max_norm else max_norm / norm
    return {key: value * factor for key, value in grads.items()}, float(norm)
""",
        "q5": """def growth_factors(W, n):
    P = np.eye(len(W))
    for _ in range(n):  # the transposed Jacobians a backward pass applies, one per step
        P = W.T @ P
    singular = np.linalg.svd(W, compute_uv=False)
    exact = np.linalg.svd(P, compute_uv=False)[0]  # ||(W^T)^n||_2 = ||W^n||_2
    return singular[0] ** n, exact, max(abs(z) for z in np.linalg.eigvals(W))
""",
        "q6": """def clip_gradients(grads, max_norm):
    norm = np.linalg.norm(np.concatenate([np.ravel(g) for g in grads]))
    if norm <= max_norm:  # within the threshold (zero included): copies, untouched
        return [np.array(g, dtype=float) for g in grads]
    return [np.multiply(g, max_norm / norm) for g in grads]
""",
    },
    "06-lstm-gru": {
        "q1": """def lstm_step_forward(x, h_prev, c_prev, U, W, b):
    i, f, g, o = np.split(x @ U.T + h_prev @ W.T + b, 4, axis=1)
    i, f, o = (1 / (1 + np.exp(-z)) for z in (i, f, o))
    c = f * c_prev + i * np.tanh(g)
    return o * np.tanh(c), c
""",
        "q6": """def masked_pool(h, lengths):
    mean, maximum = np.empty((h.shape[0], h.shape[2])), np.empty((h.shape[0], h.shape[2]))
    for n, length in enumerate(lengths):  # one snippet at a time, only its real states
        mean[n], maximum[n] = h[n, :length].mean(axis=0), h[n, :length].max(axis=0)
    return mean, maximum
""",
        "q7": """def gru_decks_step_backward(dh, x, h_prev, U, W, b):
    (Ur, Uz, Un), (Wr, Wz, Wn), (br, bz, bn) = np.split(U, 3), np.split(W, 3), np.split(b, 3)
    dx, dh_prev = np.zeros(x.shape), np.zeros(h_prev.shape)
    dU, dW, db = np.zeros(U.shape), np.zeros(W.shape), np.zeros(b.shape)
    for k in range(len(x)):  # one example at a time, with column vectors
        xk, hk, g = x[k], h_prev[k], dh[k]
        r = 1 / (1 + np.exp(-(Wr @ hk + Ur @ xk + br)))
        z = 1 / (1 + np.exp(-(Wz @ hk + Uz @ xk + bz)))
        u = r * hk  # what W_n reads
        s = np.tanh(Wn @ u + Un @ xk + bn)
        d_n = (1 - z) * (1 - s**2) * g
        d_u = Wn.T @ d_n  # the gradient at u, then split between r and h_prev
        d_r = r * (1 - r) * hk * d_u
        d_z = z * (1 - z) * (hk - s) * g
        blocks = np.concatenate([d_r, d_z, d_n])
        dx[k] = U.T @ blocks
        dh_prev[k] = z * g + r * d_u + Wr.T @ d_r + Wz.T @ d_z
        dU += np.outer(blocks, xk)
        dW += np.vstack([np.outer(d_r, hk), np.outer(d_z, hk), np.outer(d_n, u)])
        db += blocks
    return dx, dh_prev, dU, dW, db
""",
        "q8": """def lstm_state_gradients(dhs, gates, cs, W):
    N, T, H = dhs.shape
    i, f, g, o = (gates[:, :, k * H : (k + 1) * H] for k in range(4))
    dh_all, dc_all = dhs.copy(), np.zeros((N, T, H))
    for t in range(T - 1, -1, -1):
        s = t + 1  # what step s sends back to step t (code counts from zero)
        if s < T:
            dc_s, dh_s = dc_all[:, s], dh_all[:, s]
            da = np.concatenate(
                [
                    dc_s * g[:, s] * i[:, s] * (1 - i[:, s]),
                    dc_s * cs[:, t] * f[:, s] * (1 - f[:, s]),
                    dc_s * i[:, s] * (1 - g[:, s] ** 2),
                    dh_s * np.tanh(cs[:, s]) * o[:, s] * (1 - o[:, s]),
                ],
                axis=1,
            )
            dh_all[:, t] += da @ W
            dc_all[:, t] = f[:, s] * dc_s  # the forget gate of the step after
        dc_all[:, t] += dh_all[:, t] * o[:, t] * (1 - np.tanh(cs[:, t]) ** 2)
    return dh_all, dc_all
""",
    },
    "07-seq2seq-attention": {
        "q1": """def attend(scores, h, mask):
    alpha = np.zeros(scores.shape)
    for n in range(scores.shape[0]):  # one sequence at a time, only its real positions
        real = np.flatnonzero(mask[n])
        e = np.exp(scores[n, real] - scores[n, real].max())
        alpha[n, real] = e / e.sum()
    return alpha, (alpha[:, :, None] * h).sum(axis=1)
""",
        "q4": """def corpus_bleu(references, candidates, max_order=4):
    product = 1.0
    for n in range(1, max_order + 1):  # lists, no Counter; the product of the precisions
        hits = total = 0
        for r, c in zip(references, candidates):
            unused = [r[i : i + n] for i in range(len(r) - n + 1)]
            for i in range(len(c) - n + 1):
                total += 1
                if c[i : i + n] in unused:
                    unused.remove(c[i : i + n])
                    hits += 1
        product *= hits / total
    if product == 0:
        return 0.0
    c, r = sum(len(x) for x in candidates), sum(len(x) for x in references)
    return (np.exp(1 - r / c) if c < r else 1.0) * product ** (1 / max_order)
""",
        "q5": """def beam_search(log_probs, k, max_len, alpha, eos=0):
    beam, log_ps = [()], np.zeros(1)  # alive prefixes and their log-probabilities, as arrays
    best = (-np.inf, ())
    for t in range(1, max_len + 1):
        total = log_ps[:, None] + np.array([log_probs[p] for p in beam])  # (B, V)
        order = np.argsort(total, axis=None)[::-1]
        kept, kept_log_ps = [], []
        for b, y in zip(*np.unravel_index(order, total.shape)):
            seq = beam[b] + (int(y),)
            if y == eos or t == max_len:  # finished: score it at once
                score = total[b, y] / len(seq) ** alpha
                if score > best[0]:
                    best = (score, seq[:-1] if y == eos else seq)
            elif len(kept) < k:
                kept.append(seq)
                kept_log_ps.append(total[b, y])
                if len(kept) == k:
                    break
        if not kept:
            break
        beam, log_ps = kept, np.array(kept_log_ps)
    return best[1], best[0]
""",
        "q6": """def dot_attention_backward(dc, s, h, mask):
    ds, dh = np.zeros(np.shape(s)), np.zeros(np.shape(h))
    for n in range(len(s)):  # one example at a time, its real positions, the full Jacobian
        real = np.flatnonzero(mask[n])
        keys = h[n, real]  # (T_n, H)
        scores = keys @ s[n]
        alpha = np.exp(scores - scores.max())
        alpha = alpha / alpha.sum()
        jacobian = np.diag(alpha) - np.outer(alpha, alpha)  # d alpha / d e, symmetric
        de = jacobian @ (keys @ dc[n])
        ds[n] = keys.T @ de
        dh[n, real] = np.outer(alpha, dc[n]) + np.outer(de, s[n])
    return ds, dh
""",
    },
}
