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
}
