"""Known-wrong answers to exercises/06-lstm-gru.ipynb; each must lose points.

WRONG_ANSWERS maps a question to (mistake, answer cell) pairs. The answer cell replaces the
student's stub. Every answer is self-contained (it may call the notebook's given sigmoid, never
another answer), so one submission can carry a wrong answer to every question at once and each
question is still graded on its own answer.
"""

WRONG_ANSWERS = {
    "q1": [
        (
            "CS231n's gate order (i, f, o, g) read from PyTorch-layout weights",
            """
def lstm_step_forward(x, h_prev, c_prev, U, W, b):
    H = h_prev.shape[1]
    a = b + h_prev @ W.T + x @ U.T
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
    o, g = sigmoid(a[:, 2 * H : 3 * H]), np.tanh(a[:, 3 * H :])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
""",
        ),
        (
            "squashes the previous cell state: c = f * tanh(c_prev) + i * g",
            """
def lstm_step_forward(x, h_prev, c_prev, U, W, b):
    H = h_prev.shape[1]
    a = b + h_prev @ W.T + x @ U.T
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
    g, o = np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    c = f * np.tanh(c_prev) + i * g
    return o * np.tanh(c), c
""",
        ),
        (
            "forgets the tanh of the read-out: h = o * c",
            """
def lstm_step_forward(x, h_prev, c_prev, U, W, b):
    H = h_prev.shape[1]
    a = b + h_prev @ W.T + x @ U.T
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
    g, o = np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    c = f * c_prev + i * g
    return o * c, c
""",
        ),
        (
            "transposes each square recurrent block: h_prev @ W_k instead of h_prev @ W_k^T",
            """
def lstm_step_forward(x, h_prev, c_prev, U, W, b):
    H = h_prev.shape[1]
    recurrent = [h_prev @ W[k * H : (k + 1) * H] for k in range(4)]
    a = b + x @ U.T + np.concatenate(recurrent, axis=1)
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
    g, o = np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
""",
        ),
    ],
    "q2": [
        (
            "drops the forget gate from dc_prev: dc_prev = dL/dc",
            """
def lstm_step_backward(dh, dc, x, h_prev, c_prev, U, W, b):
    H = h_prev.shape[1]
    a = b + h_prev @ W.T + x @ U.T
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
    g, o = np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    tanh_c = np.tanh(f * c_prev + i * g)
    dct = dc + dh * o * (1.0 - tanh_c**2)
    da = np.concatenate(
        [dct * g * i * (1 - i), dct * c_prev * f * (1 - f), dct * i * (1 - g**2),
         dh * tanh_c * o * (1 - o)],
        axis=1,
    )
    return da @ U, da @ W, dct, da.T @ x, da.T @ h_prev, da.sum(axis=0)
""",
        ),
        (
            "ignores the path through h into c: dc_prev = f * dc",
            """
def lstm_step_backward(dh, dc, x, h_prev, c_prev, U, W, b):
    H = h_prev.shape[1]
    a = b + h_prev @ W.T + x @ U.T
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
    g, o = np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    tanh_c = np.tanh(f * c_prev + i * g)
    da = np.concatenate(
        [dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
         dh * tanh_c * o * (1 - o)],
        axis=1,
    )
    return da @ U, da @ W, f * dc, da.T @ x, da.T @ h_prev, da.sum(axis=0)
""",
        ),
        (
            "tanh' of the candidate written as 1 - g instead of 1 - g^2",
            """
def lstm_step_backward(dh, dc, x, h_prev, c_prev, U, W, b):
    H = h_prev.shape[1]
    a = b + h_prev @ W.T + x @ U.T
    i, f = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H])
    g, o = np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
    tanh_c = np.tanh(f * c_prev + i * g)
    dct = dc + dh * o * (1.0 - tanh_c**2)
    da = np.concatenate(
        [dct * g * i * (1 - i), dct * c_prev * f * (1 - f), dct * i * (1 - g),
         dh * tanh_c * o * (1 - o)],
        axis=1,
    )
    return da @ U, da @ W, f * dct, da.T @ x, da.T @ h_prev, da.sum(axis=0)
""",
        ),
    ],
    "q3": [
        (
            "the lecture notes' GRU: the reset gate applied to h_prev before the product",
            """
def gru_step_forward(x, h_prev, U, W, b_ih, b_hh):
    H = h_prev.shape[1]
    b = b_ih + b_hh
    rz = sigmoid(x @ U[: 2 * H].T + h_prev @ W[: 2 * H].T + b[: 2 * H])
    r, z = rz[:, :H], rz[:, H:]
    n = np.tanh(x @ U[2 * H :].T + (r * h_prev) @ W[2 * H :].T + b[2 * H :])
    return (1.0 - z) * n + z * h_prev
""",
        ),
        (
            "the update gate the wrong way round: h = z * n + (1 - z) * h_prev",
            """
def gru_step_forward(x, h_prev, U, W, b_ih, b_hh):
    H = h_prev.shape[1]
    gi, gh = x @ U.T + b_ih, h_prev @ W.T + b_hh
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
    n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
    return z * n + (1.0 - z) * h_prev
""",
        ),
        (
            "gate order (z, r, n) instead of PyTorch's (r, z, n)",
            """
def gru_step_forward(x, h_prev, U, W, b_ih, b_hh):
    H = h_prev.shape[1]
    gi, gh = x @ U.T + b_ih, h_prev @ W.T + b_hh
    z = sigmoid(gi[:, :H] + gh[:, :H])
    r = sigmoid(gi[:, H : 2 * H] + gh[:, H : 2 * H])
    n = np.tanh(gi[:, 2 * H :] + r * gh[:, 2 * H :])
    return (1.0 - z) * n + z * h_prev
""",
        ),
    ],
    "q4": [
        (
            "stacks the gates in the notes' order (f, i, C, o)",
            """
def torch_lstm_weights(W, U, b):
    order = ["f", "i", "C", "o"]
    return {
        "weight_ih_l0": np.concatenate([U[k] for k in order]),
        "weight_hh_l0": np.concatenate([W[k] for k in order]),
        "bias_ih_l0": np.concatenate([b[k] for k in order]),
        "bias_hh_l0": np.zeros(4 * len(b["f"])),
    }
""",
        ),
        (
            "CS231n's order (i, f, o, g)",
            """
def torch_lstm_weights(W, U, b):
    order = ["i", "f", "o", "C"]
    return {
        "weight_ih_l0": np.concatenate([U[k] for k in order]),
        "weight_hh_l0": np.concatenate([W[k] for k in order]),
        "bias_ih_l0": np.concatenate([b[k] for k in order]),
        "bias_hh_l0": np.zeros(4 * len(b["f"])),
    }
""",
        ),
        (
            "puts the biases in both bias_ih_l0 and bias_hh_l0, so PyTorch adds them twice",
            """
def torch_lstm_weights(W, U, b):
    order = ["i", "f", "C", "o"]
    bias = np.concatenate([b[k] for k in order])
    return {
        "weight_ih_l0": np.concatenate([U[k] for k in order]),
        "weight_hh_l0": np.concatenate([W[k] for k in order]),
        "bias_ih_l0": bias,
        "bias_hh_l0": bias.copy(),
    }
""",
        ),
    ],
    "q5": [
        (
            "only B- begins an entity: an I- after O or after another type is dropped",
            """
def entity_spans(tags):
    spans, start, current = [], 0, None
    for i, tag in enumerate(tags):
        if current is not None and tag != "I-" + current:
            spans.append((current, start, i))
            current = None
        if tag.startswith("B-"):
            start, current = i, tag[2:]
    if current is not None:
        spans.append((current, start, len(tags)))
    return spans
""",
        ),
        (
            "ends are inclusive: (type, start, last word) instead of one past the last",
            """
def entity_spans(tags):
    spans, start, current = [], 0, None
    for i, tag in enumerate(tags):
        prefix, kind = (tag, None) if tag == "O" else tag.split("-", 1)
        continues = prefix == "I" and kind == current
        if current is not None and not continues:
            spans.append((current, start, i - 1))
            current = None
        if prefix != "O" and not continues:
            start, current = i, kind
    if current is not None:
        spans.append((current, start, len(tags) - 1))
    return spans
""",
        ),
        (
            "merges adjacent entities of one type: B-LOC B-LOC read as one location",
            """
def entity_spans(tags):
    spans, start, current = [], 0, None
    for i, tag in enumerate(tags):
        kind = None if tag == "O" else tag.split("-", 1)[1]
        if current is not None and kind != current:
            spans.append((current, start, i))
            current = None
        if kind is not None and current is None:
            start, current = i, kind
    if current is not None:
        spans.append((current, start, len(tags)))
    return spans
""",
        ),
    ],
    "q6": [
        (
            "pools over all T positions: the padding enters the mean and can win the maximum",
            """
def masked_pool(h, lengths):
    return h.mean(axis=1), h.max(axis=1)
""",
        ),
        (
            "divides the masked sum by T instead of the true length L_n",
            """
def masked_pool(h, lengths):
    real = (np.arange(h.shape[1]) < np.asarray(lengths)[:, None])[:, :, None]
    mean = np.where(real, h, 0.0).sum(axis=1) / h.shape[1]
    return mean, np.where(real, h, -np.inf).max(axis=1)
""",
        ),
        (
            "zeroes the padding before the maximum: wrong when a component is negative throughout",
            """
def masked_pool(h, lengths):
    lengths = np.asarray(lengths)
    real = (np.arange(h.shape[1]) < lengths[:, None])[:, :, None]
    zeroed = np.where(real, h, 0.0)
    return zeroed.sum(axis=1) / lengths[:, None], zeroed.max(axis=1)
""",
        ),
        (
            "masks by multiplying with 0/1: 0 * NaN is NaN, so NaN padding spoils the mean",
            """
def masked_pool(h, lengths):
    lengths = np.asarray(lengths)
    real = (np.arange(h.shape[1]) < lengths[:, None])[:, :, None]
    mean = (h * real).sum(axis=1) / lengths[:, None]
    return mean, np.where(real, h, -np.inf).max(axis=1)
""",
        ),
        (
            "off by one: counts position L_n, the first padded one, as real (t <= L_n)",
            """
def masked_pool(h, lengths):
    real = (np.arange(h.shape[1]) <= np.asarray(lengths)[:, None])[:, :, None]
    mean = np.where(real, h, 0.0).sum(axis=1) / real.sum(axis=1)
    return mean, np.where(real, h, -np.inf).max(axis=1)
""",
        ),
    ],
    "q7": [
        (
            "PyTorch's backward of the chapter, Eqs. (ch6-gru-dn)-(ch6-gru-dh-prev): r after W_n",
            """
def gru_decks_step_backward(dh, x, h_prev, U, W, b):
    H = h_prev.shape[1]
    rz = sigmoid(b[: 2 * H] + h_prev @ W[: 2 * H].T + x @ U[: 2 * H].T)
    r, z = rz[:, :H], rz[:, H:]
    n = np.tanh(b[2 * H :] + (r * h_prev) @ W[2 * H :].T + x @ U[2 * H :].T)
    dan = dh * (1.0 - z) * (1.0 - n**2)
    dm = dan * r
    dar = dan * (h_prev @ W[2 * H :].T) * r * (1.0 - r)
    daz = dh * (h_prev - n) * z * (1.0 - z)
    da = np.concatenate([dar, daz, dan], axis=1)
    dah = np.concatenate([dar, daz, dm], axis=1)
    return da @ U, z * dh + dah @ W, da.T @ x, dah.T @ h_prev, da.sum(axis=0)
""",
        ),
        (
            "dW_n multiplies h_prev, not the vector r * h_prev that W_n reads",
            """
def gru_decks_step_backward(dh, x, h_prev, U, W, b):
    H = h_prev.shape[1]
    rz = sigmoid(b[: 2 * H] + h_prev @ W[: 2 * H].T + x @ U[: 2 * H].T)
    r, z = rz[:, :H], rz[:, H:]
    n = np.tanh(b[2 * H :] + (r * h_prev) @ W[2 * H :].T + x @ U[2 * H :].T)
    dan = dh * (1.0 - z) * (1.0 - n**2)
    drh = dan @ W[2 * H :]
    dar = drh * h_prev * r * (1.0 - r)
    daz = dh * (h_prev - n) * z * (1.0 - z)
    da = np.concatenate([dar, daz, dan], axis=1)
    dh_prev = z * dh + r * drh + da[:, : 2 * H] @ W[: 2 * H]
    return da @ U, dh_prev, da.T @ x, da.T @ h_prev, da.sum(axis=0)
""",
        ),
        (
            "dh_prev = z * dh + da @ W, as for the LSTM: the reset gate's factor r is lost",
            """
def gru_decks_step_backward(dh, x, h_prev, U, W, b):
    H = h_prev.shape[1]
    rz = sigmoid(b[: 2 * H] + h_prev @ W[: 2 * H].T + x @ U[: 2 * H].T)
    r, z = rz[:, :H], rz[:, H:]
    rh = r * h_prev
    n = np.tanh(b[2 * H :] + rh @ W[2 * H :].T + x @ U[2 * H :].T)
    dan = dh * (1.0 - z) * (1.0 - n**2)
    dar = (dan @ W[2 * H :]) * h_prev * r * (1.0 - r)
    daz = dh * (h_prev - n) * z * (1.0 - z)
    da = np.concatenate([dar, daz, dan], axis=1)
    dW = np.concatenate([da[:, : 2 * H].T @ h_prev, dan.T @ rh])
    return da @ U, z * dh + da @ W, da.T @ x, dW, da.sum(axis=0)
""",
        ),
        (
            "the update gate's derivative with the sign of h = (1 - z) h_prev + z n (other texts)",
            """
def gru_decks_step_backward(dh, x, h_prev, U, W, b):
    H = h_prev.shape[1]
    rz = sigmoid(b[: 2 * H] + h_prev @ W[: 2 * H].T + x @ U[: 2 * H].T)
    r, z = rz[:, :H], rz[:, H:]
    rh = r * h_prev
    n = np.tanh(b[2 * H :] + rh @ W[2 * H :].T + x @ U[2 * H :].T)
    dan = dh * (1.0 - z) * (1.0 - n**2)
    drh = dan @ W[2 * H :]
    dar = drh * h_prev * r * (1.0 - r)
    daz = dh * (n - h_prev) * z * (1.0 - z)
    da = np.concatenate([dar, daz, dan], axis=1)
    dh_prev = z * dh + r * drh + da[:, : 2 * H] @ W[: 2 * H]
    dW = np.concatenate([da[:, : 2 * H].T @ h_prev, dan.T @ rh])
    return da @ U, dh_prev, da.T @ x, dW, da.sum(axis=0)
""",
        ),
        (
            "only the paths through the weights reach h_prev: the direct term z * dh is missing",
            """
def gru_decks_step_backward(dh, x, h_prev, U, W, b):
    H = h_prev.shape[1]
    rz = sigmoid(b[: 2 * H] + h_prev @ W[: 2 * H].T + x @ U[: 2 * H].T)
    r, z = rz[:, :H], rz[:, H:]
    rh = r * h_prev
    n = np.tanh(b[2 * H :] + rh @ W[2 * H :].T + x @ U[2 * H :].T)
    dan = dh * (1.0 - z) * (1.0 - n**2)
    drh = dan @ W[2 * H :]
    dar = drh * h_prev * r * (1.0 - r)
    daz = dh * (h_prev - n) * z * (1.0 - z)
    da = np.concatenate([dar, daz, dan], axis=1)
    dh_prev = r * drh + da[:, : 2 * H] @ W[: 2 * H]
    dW = np.concatenate([da[:, : 2 * H].T @ h_prev, dan.T @ rh])
    return da @ U, dh_prev, da.T @ x, dW, da.sum(axis=0)
""",
        ),
    ],
    "q8": [
        (
            "the colleague's code unchanged: f(t) * dC(t+1) where f(t+1) * dC(t+1) belongs",
            """
def lstm_state_gradients(dhs, gates, cs, W):
    i, f, g, o = np.split(gates, 4, axis=2)
    tanh_cs = np.tanh(cs)
    dh_all, dc_all = np.zeros_like(dhs), np.zeros_like(dhs)
    dh_next, dc_next = np.zeros_like(dhs[:, 0]), np.zeros_like(dhs[:, 0])
    for t in reversed(range(dhs.shape[1])):
        dh = dhs[:, t] + dh_next
        dc = f[:, t] * dc_next + dh * o[:, t] * (1 - tanh_cs[:, t] ** 2)
        dh_all[:, t], dc_all[:, t] = dh, dc
        if t > 0:
            da = np.concatenate(
                [
                    dc * g[:, t] * i[:, t] * (1 - i[:, t]),
                    dc * cs[:, t - 1] * f[:, t] * (1 - f[:, t]),
                    dc * i[:, t] * (1 - g[:, t] ** 2),
                    dh * tanh_cs[:, t] * o[:, t] * (1 - o[:, t]),
                ],
                axis=-1,
            )
            dh_next, dc_next = da @ W, dc
    return dh_all, dc_all
""",
        ),
        (
            "the carousel with the forget gate of step t - 1: dc_next = f(t-1) * dC(t)",
            """
def lstm_state_gradients(dhs, gates, cs, W):
    i, f, g, o = np.split(gates, 4, axis=2)
    tanh_cs = np.tanh(cs)
    dh_all, dc_all = np.zeros_like(dhs), np.zeros_like(dhs)
    dh_next, dc_next = np.zeros_like(dhs[:, 0]), np.zeros_like(dhs[:, 0])
    for t in reversed(range(dhs.shape[1])):
        dh = dhs[:, t] + dh_next
        dc = dc_next + dh * o[:, t] * (1 - tanh_cs[:, t] ** 2)
        dh_all[:, t], dc_all[:, t] = dh, dc
        if t > 0:
            da = np.concatenate(
                [
                    dc * g[:, t] * i[:, t] * (1 - i[:, t]),
                    dc * cs[:, t - 1] * f[:, t] * (1 - f[:, t]),
                    dc * i[:, t] * (1 - g[:, t] ** 2),
                    dh * tanh_cs[:, t] * o[:, t] * (1 - o[:, t]),
                ],
                axis=-1,
            )
            dh_next, dc_next = da @ W, f[:, t - 1] * dc
    return dh_all, dc_all
""",
        ),
        (
            "no forget gate on the cell path, as in the 1997 LSTM: dc_next = dC(t)",
            """
def lstm_state_gradients(dhs, gates, cs, W):
    i, f, g, o = np.split(gates, 4, axis=2)
    tanh_cs = np.tanh(cs)
    dh_all, dc_all = np.zeros_like(dhs), np.zeros_like(dhs)
    dh_next, dc_next = np.zeros_like(dhs[:, 0]), np.zeros_like(dhs[:, 0])
    for t in reversed(range(dhs.shape[1])):
        dh = dhs[:, t] + dh_next
        dc = dc_next + dh * o[:, t] * (1 - tanh_cs[:, t] ** 2)
        dh_all[:, t], dc_all[:, t] = dh, dc
        if t > 0:
            da = np.concatenate(
                [
                    dc * g[:, t] * i[:, t] * (1 - i[:, t]),
                    dc * cs[:, t - 1] * f[:, t] * (1 - f[:, t]),
                    dc * i[:, t] * (1 - g[:, t] ** 2),
                    dh * tanh_cs[:, t] * o[:, t] * (1 - o[:, t]),
                ],
                axis=-1,
            )
            dh_next, dc_next = da @ W, dc
    return dh_all, dc_all
""",
        ),
        (
            "the cell path alone: the gradient that goes back through W to h(t-1) is dropped",
            """
def lstm_state_gradients(dhs, gates, cs, W):
    f, o = gates[:, :, W.shape[1] : 2 * W.shape[1]], gates[:, :, 3 * W.shape[1] :]
    dc_all = np.zeros_like(dhs)
    dc_next = np.zeros_like(dhs[:, 0])
    for t in reversed(range(dhs.shape[1])):
        dc_all[:, t] = dc_next + dhs[:, t] * o[:, t] * (1 - np.tanh(cs[:, t]) ** 2)
        dc_next = f[:, t] * dc_all[:, t]
    return dhs.copy(), dc_all
""",
        ),
        (
            "fixes the carousel, but the forget gate's gradient reads C(t) instead of C(t-1)",
            """
def lstm_state_gradients(dhs, gates, cs, W):
    i, f, g, o = np.split(gates, 4, axis=2)
    tanh_cs = np.tanh(cs)
    dh_all, dc_all = np.zeros_like(dhs), np.zeros_like(dhs)
    dh_next, dc_next = np.zeros_like(dhs[:, 0]), np.zeros_like(dhs[:, 0])
    for t in reversed(range(dhs.shape[1])):
        dh = dhs[:, t] + dh_next
        dc = dc_next + dh * o[:, t] * (1 - tanh_cs[:, t] ** 2)
        dh_all[:, t], dc_all[:, t] = dh, dc
        if t > 0:
            da = np.concatenate(
                [
                    dc * g[:, t] * i[:, t] * (1 - i[:, t]),
                    dc * cs[:, t] * f[:, t] * (1 - f[:, t]),
                    dc * i[:, t] * (1 - g[:, t] ** 2),
                    dh * tanh_cs[:, t] * o[:, t] * (1 - o[:, t]),
                ],
                axis=-1,
            )
            dh_next, dc_next = da @ W, f[:, t] * dc
    return dh_all, dc_all
""",
        ),
    ],
}
