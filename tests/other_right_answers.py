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
    },
    "02-unfolding-graphs": {
        "q1": """def rnn_step_forward(x, h_prev, U, W, b):
    return np.tanh((W @ h_prev.T + U @ x.T).T + b)  # column vectors, then back to rows
""",
    },
    "03-rnn-designs": {
        "q1": """def design3_forward(x, h0, U, W, b, V, c):
    h = h0
    for t in range(x.shape[1]):  # the recurrence written out, not rnn_forward
        h = np.tanh(b + h @ W.T + x[:, t] @ U.T)
    return np.einsum("kh,nh->nk", V, h) + c
""",
    },
    "04-bptt": {
        "q5": """def hidden_jacobian(h, W):
    return (1 - h * h)[:, None] * W  # broadcasting instead of a diagonal matrix
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
    },
}
