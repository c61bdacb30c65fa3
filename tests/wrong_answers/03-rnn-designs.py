"""Known-wrong answers to exercises/03-rnn-designs.ipynb; each must lose points.

WRONG_ANSWERS maps a question to (mistake, answer cell) pairs. The answer cell replaces the
student's stub. Every answer is self-contained (it may call the notebook's given rnn_forward,
never another answer), so one submission can carry a wrong answer to every question at once and
each question is still graded on its own answer.
"""

WRONG_ANSWERS = {
    "q1": [
        (
            "reads the output from the first state h^(1) instead of the last",
            """
def design3_forward(x, h0, U, W, b, V, c):
    return c + rnn_forward(x, h0, U, W, b)[:, 0] @ V.T
""",
        ),
        (
            "reads the output from the mean of the states",
            """
def design3_forward(x, h0, U, W, b, V, c):
    return c + rnn_forward(x, h0, U, W, b).mean(axis=1) @ V.T
""",
        ),
        (
            "an output at every step (design 1): shape (N, T, K)",
            """
def design3_forward(x, h0, U, W, b, V, c):
    return c + rnn_forward(x, h0, U, W, b) @ V.T
""",
        ),
    ],
    "q2": [
        (
            "feeds back the hidden state h^(t-1) instead of the output o^(t-1)",
            """
def design2_forward(x, U, W, b, V, c):
    h = np.zeros((x.shape[0], U.shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        h = np.tanh(b + h @ W.T + x[:, t] @ U.T)
        outputs.append(c + h @ V.T)
    return np.stack(outputs, axis=1)
""",
        ),
        (
            "off by one in time: returns o^(0) .. o^(T-1)",
            """
def design2_forward(x, U, W, b, V, c):
    o = np.zeros((x.shape[0], V.shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        outputs.append(o)
        o = c + np.tanh(b + o @ W.T + x[:, t] @ U.T) @ V.T
    return np.stack(outputs, axis=1)
""",
        ),
        (
            "never feeds the output back: o^(t-1) stays 0",
            """
def design2_forward(x, U, W, b, V, c):
    o_prev = np.zeros((x.shape[0], V.shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        h = np.tanh(b + o_prev @ W.T + x[:, t] @ U.T)
        outputs.append(c + h @ V.T)
    return np.stack(outputs, axis=1)
""",
        ),
    ],
    "q3": [
        (
            "feeds the current target y^(t) instead of the previous one y^(t-1)",
            """
def design2_teacher_forced(x, y, U, W, b, V, c):
    h = np.tanh(b + np.eye(V.shape[0])[y] @ W.T + x @ U.T)
    return c + h @ V.T
""",
        ),
        (
            "shifts with np.roll: the first step is fed the last target y^(T)",
            """
def design2_teacher_forced(x, y, U, W, b, V, c):
    previous = np.roll(np.eye(V.shape[0])[y], 1, axis=1)
    h = np.tanh(b + previous @ W.T + x @ U.T)
    return c + h @ V.T
""",
        ),
        (
            "free-running: feeds back its own output and ignores the targets",
            """
def design2_teacher_forced(x, y, U, W, b, V, c):
    o = np.zeros((x.shape[0], V.shape[0]))
    outputs = []
    for t in range(x.shape[1]):
        o = c + np.tanh(b + o @ W.T + x[:, t] @ U.T) @ V.T
        outputs.append(o)
    return np.stack(outputs, axis=1)
""",
        ),
    ],
    "q4": [
        (
            "does not re-reverse the backward states: g comes out in reversed time order",
            """
def birnn_forward(x, U_f, W_f, b_f, U_b, W_b, b_b):
    h0 = np.zeros((x.shape[0], W_f.shape[0]))
    forward = rnn_forward(x, h0, U_f, W_f, b_f)
    backward = rnn_forward(x[:, ::-1], h0, U_b, W_b, b_b)
    return np.concatenate([forward, backward], axis=-1)
""",
        ),
        (
            "concatenates in the wrong order: backward state first",
            """
def birnn_forward(x, U_f, W_f, b_f, U_b, W_b, b_b):
    h0 = np.zeros((x.shape[0], W_f.shape[0]))
    forward = rnn_forward(x, h0, U_f, W_f, b_f)
    backward = rnn_forward(x[:, ::-1], h0, U_b, W_b, b_b)[:, ::-1]
    return np.concatenate([backward, forward], axis=-1)
""",
        ),
        (
            "the backward direction reads the sequence forwards",
            """
def birnn_forward(x, U_f, W_f, b_f, U_b, W_b, b_b):
    h0 = np.zeros((x.shape[0], W_f.shape[0]))
    forward = rnn_forward(x, h0, U_f, W_f, b_f)
    backward = rnn_forward(x, h0, U_b, W_b, b_b)
    return np.concatenate([forward, backward], axis=-1)
""",
        ),
    ],
    "q5": [
        (
            "upper layers read H features: forgets that they read both directions, [h; g]",
            """
def rnn_parameter_shapes(D, H, num_layers, bidirectional):
    shapes = {}
    for layer in range(num_layers):
        inputs = D if layer == 0 else H
        for suffix in ["", "_reverse"] if bidirectional else [""]:
            shapes[f"weight_ih_l{layer}{suffix}"] = (H, inputs)
            shapes[f"weight_hh_l{layer}{suffix}"] = (H, H)
            shapes[f"bias_ih_l{layer}{suffix}"] = (H,)
            shapes[f"bias_hh_l{layer}{suffix}"] = (H,)
    return shapes
""",
        ),
        (
            "every layer reads the input x: weight_ih is (H, D) in every layer",
            """
def rnn_parameter_shapes(D, H, num_layers, bidirectional):
    shapes = {}
    for layer in range(num_layers):
        for suffix in ["", "_reverse"] if bidirectional else [""]:
            shapes[f"weight_ih_l{layer}{suffix}"] = (H, D)
            shapes[f"weight_hh_l{layer}{suffix}"] = (H, H)
            shapes[f"bias_ih_l{layer}{suffix}"] = (H,)
            shapes[f"bias_hh_l{layer}{suffix}"] = (H,)
    return shapes
""",
        ),
        (
            "input weights as (inputs, H), the x @ U layout, not PyTorch's (out, in)",
            """
def rnn_parameter_shapes(D, H, num_layers, bidirectional):
    S = 2 if bidirectional else 1
    shapes = {}
    for layer in range(num_layers):
        inputs = D if layer == 0 else S * H
        for suffix in ["", "_reverse"][:S]:
            shapes[f"weight_ih_l{layer}{suffix}"] = (inputs, H)
            shapes[f"weight_hh_l{layer}{suffix}"] = (H, H)
            shapes[f"bias_ih_l{layer}{suffix}"] = (H,)
            shapes[f"bias_hh_l{layer}{suffix}"] = (H,)
    return shapes
""",
        ),
        (
            "one bias per layer and direction, as the book's b: no bias_hh",
            """
def rnn_parameter_shapes(D, H, num_layers, bidirectional):
    S = 2 if bidirectional else 1
    shapes = {}
    for layer in range(num_layers):
        inputs = D if layer == 0 else S * H
        for suffix in ["", "_reverse"][:S]:
            shapes[f"weight_ih_l{layer}{suffix}"] = (H, inputs)
            shapes[f"weight_hh_l{layer}{suffix}"] = (H, H)
            shapes[f"bias_ih_l{layer}{suffix}"] = (H,)
    return shapes
""",
        ),
        (
            "bidirectional at the bottom only: no _reverse weights above layer 0",
            """
def rnn_parameter_shapes(D, H, num_layers, bidirectional):
    S = 2 if bidirectional else 1
    shapes = {}
    for layer in range(num_layers):
        inputs = D if layer == 0 else S * H
        suffixes = ["", "_reverse"] if bidirectional and layer == 0 else [""]
        for suffix in suffixes:
            shapes[f"weight_ih_l{layer}{suffix}"] = (H, inputs)
            shapes[f"weight_hh_l{layer}{suffix}"] = (H, H)
            shapes[f"bias_ih_l{layer}{suffix}"] = (H,)
            shapes[f"bias_hh_l{layer}{suffix}"] = (H,)
    return shapes
""",
        ),
    ],
    "q6": [
        (
            "teacher forcing keeps the chain: the fed-back targets are taken to carry the inputs",
            """
def output_dependencies(design, T):
    past = np.tril(np.ones((T, T), dtype=bool))
    everything = np.ones((T, T), dtype=bool)
    return {
        "design1": past,
        "design2": past,
        "teacher_forcing": past,
        "backward": past.T,
        "bidirectional": everything,
        "deep_forward": everything,
    }[design]
""",
        ),
        (
            "a forward state sees the past only, even on top of a bidirectional layer",
            """
def output_dependencies(design, T):
    past = np.tril(np.ones((T, T), dtype=bool))
    return {
        "design1": past,
        "design2": past,
        "teacher_forcing": np.eye(T, dtype=bool),
        "backward": past.T,
        "bidirectional": np.ones((T, T), dtype=bool),
        "deep_forward": past,
    }[design]
""",
        ),
        (
            "design 2 remembers nothing: its output is taken to carry no information forward",
            """
def output_dependencies(design, T):
    past = np.tril(np.ones((T, T), dtype=bool))
    everything = np.ones((T, T), dtype=bool)
    return {
        "design1": past,
        "design2": np.eye(T, dtype=bool),
        "teacher_forcing": np.eye(T, dtype=bool),
        "backward": past.T,
        "bidirectional": everything,
        "deep_forward": everything,
    }[design]
""",
        ),
        (
            "the backward state misaligned by one step: g^(t) read x^(t+1) .. x^(T) only",
            """
def output_dependencies(design, T):
    past = np.tril(np.ones((T, T), dtype=bool))
    everything = np.ones((T, T), dtype=bool)
    return {
        "design1": past,
        "design2": past,
        "teacher_forcing": np.eye(T, dtype=bool),
        "backward": np.triu(everything, 1),
        "bidirectional": everything,
        "deep_forward": everything,
    }[design]
""",
        ),
    ],
}
