"""Known-wrong answers to exercises/01-sequential-data.ipynb; each must lose points.

WRONG_ANSWERS maps a question to (mistake, answer cell) pairs. The answer cell replaces the
student's stub. Every answer is self-contained, so one submission can carry a wrong answer to
every question at once and each question is still graded on its own answer.
"""

WRONG_ANSWERS = {
    "q1": [
        (
            "transposed: shape (V, ...) instead of (..., V)",
            """
def one_hot(indices, vocab_size):
    return np.eye(vocab_size)[np.asarray(indices)].T
""",
        ),
        (
            "off by one: index i lights position i - 1",
            """
def one_hot(indices, vocab_size):
    return np.eye(vocab_size)[np.asarray(indices) - 1]
""",
        ),
        (
            "handles a flat array of indices only, not a batch of sequences",
            """
def one_hot(indices, vocab_size):
    out = np.zeros((len(indices), vocab_size))
    out[np.arange(len(indices)), indices] = 1.0
    return out
""",
        ),
    ],
    "q2": [
        (
            "forgets the biases",
            """
def parameter_counts(T, D, H, K):
    return H * T * D + K * H, H * D + H * H + K * H
""",
        ),
        (
            "counts the RNN's weights once per time step",
            """
def parameter_counts(T, D, H, K):
    return H * T * D + H + K * H + K, T * (H * D + H * H + H + K * H + K)
""",
        ),
        (
            "MLP reads one input instead of a window of T",
            """
def parameter_counts(T, D, H, K):
    return H * D + H + K * H + K, H * D + H * H + H + K * H + K
""",
        ),
    ],
    "q3": [
        (
            "natural logarithm (nats) instead of log2 (bits)",
            """
def bigram_bits_per_char(train_text, test_text, vocab):
    index = {ch: i for i, ch in enumerate(vocab)}
    counts = np.ones((len(vocab), len(vocab)))
    for a, b in zip(train_text[:-1], train_text[1:]):
        counts[index[a], index[b]] += 1
    probs = counts / counts.sum(axis=1, keepdims=True)
    pairs = [(index[a], index[b]) for a, b in zip(test_text[:-1], test_text[1:])]
    return float(-np.mean([np.log(probs[a, b]) for a, b in pairs]))
""",
        ),
        (
            "normalises over all pairs (joint probability), not per previous character",
            """
def bigram_bits_per_char(train_text, test_text, vocab):
    index = {ch: i for i, ch in enumerate(vocab)}
    counts = np.ones((len(vocab), len(vocab)))
    for a, b in zip(train_text[:-1], train_text[1:]):
        counts[index[a], index[b]] += 1
    probs = counts / counts.sum()
    pairs = [(index[a], index[b]) for a, b in zip(test_text[:-1], test_text[1:])]
    return float(-np.mean([np.log2(probs[a, b]) for a, b in pairs]))
""",
        ),
        (
            "off by one: divides by M characters instead of M - 1 predictions",
            """
def bigram_bits_per_char(train_text, test_text, vocab):
    index = {ch: i for i, ch in enumerate(vocab)}
    counts = np.ones((len(vocab), len(vocab)))
    for a, b in zip(train_text[:-1], train_text[1:]):
        counts[index[a], index[b]] += 1
    probs = counts / counts.sum(axis=1, keepdims=True)
    pairs = [(index[a], index[b]) for a, b in zip(test_text[:-1], test_text[1:])]
    return float(-sum(np.log2(probs[a, b]) for a, b in pairs) / len(test_text))
""",
        ),
    ],
    "q4": [
        (
            "off by one in time: lag 1 is x_t itself, the target",
            """
def fit_ar(x, p):
    x = np.asarray(x, dtype=float)
    n = len(x)
    lags = [x[p - k + 1 : n - k + 1] for k in range(1, p + 1)]
    X = np.column_stack([np.ones(n - p), *lags])
    return np.linalg.lstsq(X, x[p:], rcond=None)[0]
""",
        ),
        (
            "lags in reverse order: returns [c, a_p, ..., a_1]",
            """
def fit_ar(x, p):
    x = np.asarray(x, dtype=float)
    n = len(x)
    lags = [x[k : n - p + k] for k in range(p)]
    X = np.column_stack([np.ones(n - p), *lags])
    return np.linalg.lstsq(X, x[p:], rcond=None)[0]
""",
        ),
        (
            "no intercept column: c is always 0",
            """
def fit_ar(x, p):
    x = np.asarray(x, dtype=float)
    n = len(x)
    X = np.column_stack([x[p - k : n - k] for k in range(1, p + 1)])
    return np.concatenate([[0.0], np.linalg.lstsq(X, x[p:], rcond=None)[0]])
""",
        ),
    ],
    "q5": [
        (
            "no feedback: every forecast reads the last observed values, so all are the same",
            """
def forecast_ahead(history, coef, steps):
    coef = np.asarray(coef, dtype=float)
    p = len(coef) - 1
    lags = np.asarray(history, dtype=float)[::-1][:p]  # x_{n-1}, ..., x_{n-p}
    return np.full(steps, coef[0] + coef[1:] @ lags)
""",
        ),
        (
            "lags in the wrong order: a_1 multiplies the oldest value of the window",
            """
def forecast_ahead(history, coef, steps):
    coef = np.asarray(coef, dtype=float)
    p = len(coef) - 1
    window = list(np.asarray(history, dtype=float)[len(history) - p :])
    forecasts = []
    for _ in range(steps):
        forecasts.append(coef[0] + np.dot(coef[1:], window[-p:]))
        window.append(forecasts[-1])
    return np.array(forecasts)
""",
        ),
        (
            "starts from the first p values of the history instead of the last p",
            """
def forecast_ahead(history, coef, steps):
    coef = np.asarray(coef, dtype=float)
    p = len(coef) - 1
    window = list(np.asarray(history, dtype=float)[:p])
    forecasts = []
    for _ in range(steps):
        forecasts.append(coef[0] + np.dot(coef[1:], window[::-1][:p]))
        window.append(forecasts[-1])
    return np.array(forecasts)
""",
        ),
        (
            "off by one: returns the last observed value, then steps - 1 forecasts",
            """
def forecast_ahead(history, coef, steps):
    coef = np.asarray(coef, dtype=float)
    p = len(coef) - 1
    window = list(np.asarray(history, dtype=float)[len(history) - p :])
    for _ in range(steps):
        window.append(coef[0] + sum(coef[k] * window[-k] for k in range(1, p + 1)))
    return np.array(window[p - 1 : p - 1 + steps])
""",
        ),
    ],
    "q6": [
        (
            "the colleague's code: train_text[i - 1] at i = 0 counts the pair (last, first)",
            """
def bits_per_char(train_text, test_text, vocab):
    index = {ch: i for i, ch in enumerate(vocab)}
    unigram = np.ones(len(vocab))
    bigram = np.ones((len(vocab), len(vocab)))
    for i, ch in enumerate(train_text):
        unigram[index[ch]] += 1
        bigram[index[train_text[i - 1]], index[ch]] += 1
    unigram /= unigram.sum()
    bigram /= bigram.sum(axis=1, keepdims=True)
    bits = -np.log2(unigram[index[test_text[0]]])
    for i in range(1, len(test_text)):
        bits -= np.log2(bigram[index[test_text[i - 1]], index[test_text[i]]])
    return float(bits / len(test_text))
""",
        ),
        (
            "starts the loop at 1: the first training character is missing from the unigram",
            """
def bits_per_char(train_text, test_text, vocab):
    index = {ch: i for i, ch in enumerate(vocab)}
    unigram = np.ones(len(vocab))
    bigram = np.ones((len(vocab), len(vocab)))
    for i in range(1, len(train_text)):
        unigram[index[train_text[i]]] += 1
        bigram[index[train_text[i - 1]], index[train_text[i]]] += 1
    unigram /= unigram.sum()
    bigram /= bigram.sum(axis=1, keepdims=True)
    bits = -np.log2(unigram[index[test_text[0]]])
    for i in range(1, len(test_text)):
        bits -= np.log2(bigram[index[test_text[i - 1]], index[test_text[i]]])
    return float(bits / len(test_text))
""",
        ),
        (
            "counts unigrams in the pair loop: the last training character is missing",
            """
def bits_per_char(train_text, test_text, vocab):
    index = {ch: i for i, ch in enumerate(vocab)}
    unigram = np.ones(len(vocab))
    bigram = np.ones((len(vocab), len(vocab)))
    for a, b in zip(train_text[:-1], train_text[1:]):
        unigram[index[a]] += 1
        bigram[index[a], index[b]] += 1
    unigram /= unigram.sum()
    bigram /= bigram.sum(axis=1, keepdims=True)
    bits = -np.log2(unigram[index[test_text[0]]])
    for a, b in zip(test_text[:-1], test_text[1:]):
        bits -= np.log2(bigram[index[a], index[b]])
    return float(bits / len(test_text))
""",
        ),
        (
            "scores the first test character as uniform, 1 / V, instead of by the unigram",
            """
def bits_per_char(train_text, test_text, vocab):
    index = {ch: i for i, ch in enumerate(vocab)}
    bigram = np.ones((len(vocab), len(vocab)))
    for a, b in zip(train_text[:-1], train_text[1:]):
        bigram[index[a], index[b]] += 1
    bigram /= bigram.sum(axis=1, keepdims=True)
    bits = np.log2(len(vocab))
    for a, b in zip(test_text[:-1], test_text[1:]):
        bits -= np.log2(bigram[index[a], index[b]])
    return float(bits / len(test_text))
""",
        ),
        (
            "drops the first test character as question 3 does, dividing by M - 1",
            """
def bits_per_char(train_text, test_text, vocab):
    index = {ch: i for i, ch in enumerate(vocab)}
    bigram = np.ones((len(vocab), len(vocab)))
    for a, b in zip(train_text[:-1], train_text[1:]):
        bigram[index[a], index[b]] += 1
    bigram /= bigram.sum(axis=1, keepdims=True)
    bits = [-np.log2(bigram[index[a], index[b]]) for a, b in zip(test_text[:-1], test_text[1:])]
    return float(sum(bits) / max(len(bits), 1))
""",
        ),
    ],
}
