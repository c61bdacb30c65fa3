"""Property-based tests (hypothesis) of the public API (issue 17), over random small problems:

(a) random valid shapes give PyTorch's result: the RNN, LSTM and GRU forward and backward
    passes in float64 against torch.nn.RNN (on packed batches, and step by step for padding
    anywhere), torch.nn.LSTM and torch.nn.GRU, and masked attention (its three scores) against
    autograd;
(b) masked positions are ignored: NaN, inf or any garbage in the padding changes no output and
    no gradient of any masked function (rnn, bptt, attention, designs, seq2seq);
(c) malformed calls (wrong number of dimensions, mismatched sizes, wrong dtypes, lists for
    arrays, bad scalars, a str for a list of words) raise ValueError or TypeError whose message
    starts with the name of the argument at fault;
(d) sizes of zero follow the rules of unrolled.validation: empty, finite results of the right
    shape, or a ValueError for a softmax over nothing.

conftest.py's settings profile draws the same examples on every run (derandomize=True).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from unrolled import attention, bleu, bptt, designs, gradcheck, gru, lstm, rnn, seq2seq, text
from unrolled import data as datasets
from unrolled.benchmarks.implementations import layer_flops
from unrolled.gradcheck import relative_error
from unrolled.naive_bayes import NaiveBayes
from unrolled.tagging import entity_f1
from unrolled.torchcheck import torchcheck
from unrolled.vanishing import clip_grad_value

TOL = 1e-9  # largest relative error against PyTorch in float64
SIZES = st.integers(1, 4)
SEEDS = st.integers(0, 2**32 - 1)
FLOATS = st.floats(allow_subnormal=False)  # PyTorch's CPU kernels flush subnormals to zero
FILLS = st.one_of(st.sampled_from([np.nan, np.inf, -np.inf, 1e300]), FLOATS)


@st.composite
def problems(draw: st.DrawFn) -> tuple[int, int, int, int, np.random.Generator]:
    """Sizes N, T, D, H in 1..4 and a random generator for the data."""
    N, T, D, H = (draw(SIZES) for _ in range(4))
    return N, T, D, H, np.random.default_rng(draw(SEEDS))


def random_mask(rng: np.random.Generator, N: int, T: int) -> np.ndarray:
    """A 0/1 mask (N, T), padding anywhere, with at least one real step in every row."""
    mask = rng.random((N, T)) < 0.6
    mask[np.arange(N), rng.integers(0, T, size=N)] = True
    return mask.astype(np.float64)


def padded(array: np.ndarray, mask: np.ndarray, fill: float) -> np.ndarray:
    """A copy of `array` holding `fill` wherever mask (its first two axes) is 0."""
    out = array.copy()
    out[mask == 0] = fill
    return out


def leaf(array: np.ndarray) -> torch.Tensor:
    return torch.tensor(array, requires_grad=True)


def assert_torch(pairs: dict[str, tuple[np.ndarray, torch.Tensor]]) -> None:
    for name, (ours, theirs) in pairs.items():
        theirs = theirs.detach().numpy()
        assert ours.shape == theirs.shape, name
        assert relative_error(ours, theirs) < TOL, name


def torch_layer(module_class: type, D: int, H: int, rng: np.random.Generator) -> torch.nn.Module:
    """A float64 torch.nn.RNN, LSTM or GRU (batch first) with weights uniform in [-1, 1]."""
    module = module_class(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for param in module.parameters():
            param.copy_(torch.from_numpy(rng.uniform(-1, 1, size=tuple(param.shape))))
    return module


def weights(module: torch.nn.Module) -> list[np.ndarray]:
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    return [getattr(module, name).detach().numpy().copy() for name in names]


def grads(module: torch.nn.Module) -> list[torch.Tensor]:
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    return [getattr(module, name).grad for name in names]


# --- (a) random valid shapes give PyTorch's result ------------------------------------------


@given(problems())
@settings(max_examples=100)
def test_rnn_matches_torch_rnn_on_packed_batches(problem):
    N, T, D, H, rng = problem
    module = torch_layer(torch.nn.RNN, D, H, rng)
    U, W, b_ih, b_hh = weights(module)
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H))
    lengths = rng.integers(1, T + 1, size=N)
    mask = (np.arange(T) < lengths[:, None]).astype(np.float64)  # (N, T): real, then padding
    dhs = rng.normal(size=(N, T, H)) * mask[..., None]  # PyTorch returns zeros at padding
    hs, cache = rnn.rnn_forward(x, h0, U, W, b_ih + b_hh, mask)
    dx, dh0, dU, dW, db = rnn.rnn_backward(dhs, cache)

    xt, h0t = leaf(x), leaf(h0)
    packed = pack_padded_sequence(xt, torch.from_numpy(lengths), True, enforce_sorted=False)
    out, h_n = module(packed, h0t[None])
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
    (out * torch.from_numpy(dhs)).sum().backward()
    dU_t, dW_t, db_ih, db_hh = grads(module)
    assert_torch(
        {"hs": (hs * mask[..., None], out), "h_n": (hs[:, -1], h_n[0])}
        | {"dx": (dx, xt.grad), "dh0": (dh0, h0t.grad), "dU": (dU, dU_t), "dW": (dW, dW_t)}
        | {"db (bias_ih)": (db, db_ih), "db (bias_hh)": (db, db_hh)}
    )


@given(problems())
@settings(max_examples=60)
def test_rnn_matches_torch_rnn_cell_with_padding_anywhere(problem):
    """Padding inside a sequence too, and gradients arriving at every state, padded or not:
    torch.nn.RNN one step at a time, the state carried with torch.where where the mask is 0."""
    N, T, D, H, rng = problem
    cell = torch_layer(torch.nn.RNN, D, H, rng)
    U, W, b_ih, b_hh = weights(cell)
    x, h0, dhs = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    mask = random_mask(rng, N, T)  # at least one real step per sequence
    mask[0] = rng.random(T) < 0.5  # but one sequence may be all padding
    hs, cache = rnn.rnn_forward(x, h0, U, W, b_ih + b_hh, mask)
    dx, dh0, dU, dW, db = rnn.rnn_backward(dhs, cache)

    xt, h0t = leaf(x), leaf(h0)
    real = torch.from_numpy(mask == 1)[..., None]  # (N, T, 1)
    h, states = h0t, []
    for t in range(T):
        h_new = cell(xt[:, t : t + 1], h[None])[0][:, 0]  # (N, H)  one step of torch.nn.RNN
        h = torch.where(real[:, t], h_new, h)  # (N, H)  padding: the state is carried
        states.append(h)
    (torch.stack(states, dim=1) * torch.from_numpy(dhs)).sum().backward()
    dU_t, dW_t, db_ih, _ = grads(cell)
    assert_torch(
        {"hs": (hs, torch.stack(states, dim=1)), "dx": (dx, xt.grad), "dh0": (dh0, h0t.grad)}
        | {"dU": (dU, dU_t), "dW": (dW, dW_t), "db": (db, db_ih)}
    )


@given(problems())
@settings(max_examples=80)
def test_lstm_matches_torch_lstm(problem):
    N, T, D, H, rng = problem
    module = torch_layer(torch.nn.LSTM, D, H, rng)
    U, W, b_ih, b_hh = weights(module)
    x, h0, c0 = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dhs = rng.normal(size=(N, T, H))
    hs, (h_T, c_T), cache = lstm.lstm_forward(x, h0, c0, U, W, b_ih + b_hh)
    dx, dh0, dc0, dU, dW, db = lstm.lstm_backward(dhs, cache)

    xt, h0t, c0t = leaf(x), leaf(h0), leaf(c0)
    out, (h_n, c_n) = module(xt, (h0t[None], c0t[None]))
    (out * torch.from_numpy(dhs)).sum().backward()
    dU_t, dW_t, db_ih, _ = grads(module)
    assert_torch(
        {"hs": (hs, out), "h_T": (h_T, h_n[0]), "c_T": (c_T, c_n[0])}
        | {"dx": (dx, xt.grad), "dh0": (dh0, h0t.grad), "dc0": (dc0, c0t.grad)}
        | {"dU": (dU, dU_t), "dW": (dW, dW_t), "db": (db, db_ih)}
    )


@given(problems())
@settings(max_examples=80)
def test_gru_matches_torch_gru(problem):
    N, T, D, H, rng = problem
    module = torch_layer(torch.nn.GRU, D, H, rng)
    U, W, b_ih, b_hh = weights(module)
    x, h0, dhs = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    hs, h_T, cache = gru.gru_forward(x, h0, U, W, b_ih, b_hh)
    dx, dh0, dU, dW, db_ih, db_hh = gru.gru_backward(dhs, cache)

    xt, h0t = leaf(x), leaf(h0)
    out, h_n = module(xt, h0t[None])
    (out * torch.from_numpy(dhs)).sum().backward()
    dU_t, dW_t, db_ih_t, db_hh_t = grads(module)
    assert_torch(
        {"hs": (hs, out), "h_T": (h_T, h_n[0]), "dx": (dx, xt.grad), "dh0": (dh0, h0t.grad)}
        | {"dU": (dU, dU_t), "dW": (dW, dW_t), "db_ih": (db_ih, db_ih_t)}
        | {"db_hh": (db_hh, db_hh_t)}
    )


def attention_params(score: str, S: int, H: int, rng: np.random.Generator) -> dict:
    return {
        "dot": {},
        "general": {"W_a": rng.normal(size=(S, H))},
        "additive": {"W_s": rng.normal(size=(3, S)), "W_h": rng.normal(size=(3, H))}
        | {"v": rng.normal(size=3)},
    }[score]


def torch_attention(score: str, t: dict[str, torch.Tensor], mask: np.ndarray) -> torch.Tensor:
    """The context of Eqs. (ch7-score-*)-(ch7-context) in torch, padding masked out."""
    if score == "additive":
        e = torch.tanh((t["s"] @ t["W_s"].T)[:, None, :] + t["h"] @ t["W_h"].T) @ t["v"]
    else:
        query = t["s"] @ t["W_a"] if score == "general" else t["s"]
        e = torch.einsum("nh,nth->nt", query, t["h"])
    alpha = torch.softmax(e.masked_fill(~torch.from_numpy(mask), float("-inf")), dim=1)
    return torch.einsum("nt,nth->nh", alpha, t["h"])


@given(problems(), st.sampled_from(["dot", "general", "additive"]), SEEDS)
@settings(max_examples=60)
def test_attention_matches_torch(problem, score, seed):
    N, T, S, H, rng = problem
    S = H if score == "dot" else S
    params = attention_params(score, S, H, rng)
    mask = random_mask(rng, N, T).astype(bool)
    inputs = {"s": rng.normal(size=(N, S)), "h": rng.normal(size=(N, T, H))} | params

    def numpy_fn(x, dout):
        (c, _), cache = attention.attention_forward(x["s"], x["h"], mask, score, params)
        ds, dh, dparams = attention.attention_backward(dout, cache)
        return c, {"s": ds, "h": dh} | dparams

    report = torchcheck(numpy_fn, lambda t: torch_attention(score, t, mask), inputs, seed=seed)
    assert max(report.max_rel_error.values()) < TOL, str(report)


# --- (b) whatever the padding holds, nothing changes -----------------------------------------


def assert_same(clean: object, dirty: object, where: str = "result") -> None:
    """Equal, entry for entry (NaN nowhere), through nested tuples, lists and dicts."""
    if isinstance(clean, tuple | list):
        for i, (a, b) in enumerate(zip(clean, dirty, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(clean, dict):
        assert clean.keys() == dirty.keys(), where
        for key in clean:
            assert_same(clean[key], dirty[key], f"{where}[{key!r}]")
    else:
        clean, dirty = np.asarray(clean), np.asarray(dirty)
        assert np.all(np.isfinite(dirty)), f"{where} is not finite"
        assert np.array_equal(clean, dirty), where


def ignore_nonfinite(run: Callable[[], object]) -> object:
    """run() with NumPy's warnings about NaN and inf off: they arise, and are discarded, at
    padded positions."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        return run()


@given(problems(), FILLS)
@settings(max_examples=100)
def test_rnn_forward_and_backward_ignore_the_padding(problem, fill):
    N, T, D, H, rng = problem
    U, W, b = rng.normal(size=(H, D)), rng.normal(size=(H, H)), rng.normal(size=H)
    x, h0, dhs = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    mask = random_mask(rng, N, T)

    def run(xs):
        hs, cache = rnn.rnn_forward(xs, h0, U, W, b, mask)
        return hs, rnn.rnn_backward(dhs, cache)

    assert_same(run(padded(x, mask, 0.0)), ignore_nonfinite(lambda: run(padded(x, mask, fill))))


@given(problems(), st.integers(1, 4), FILLS)
@settings(max_examples=100)
def test_cross_entropy_and_training_ignore_the_padding(problem, K, fill):
    N, T, D, H, rng = problem
    params = bptt.init_params(D, H, K, rng)
    x, h0, o = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, T, K))
    y, garbage = rng.integers(0, K, size=(N, T)), rng.integers(0, K, size=(N, T))
    mask = random_mask(rng, N, T)
    y_dirty = np.where(mask == 1, y, garbage)  # targets are class indices: garbage in range
    k = int(rng.integers(1, T + 1))

    def run(os, xs, ys):
        return (
            rnn.softmax_cross_entropy(os, ys, mask),
            bptt.loss_and_gradients(params, xs, ys, h0, mask),
            bptt.truncated_bptt(params, xs, ys, h0, k, mask),
        )

    clean = run(padded(o, mask, 0.0), padded(x, mask, 0.0), y)
    dirty = ignore_nonfinite(lambda: run(padded(o, mask, fill), padded(x, mask, fill), y_dirty))
    assert_same(clean, dirty)


@given(problems(), st.sampled_from(["dot", "general", "additive"]), FILLS)
@settings(max_examples=100)
def test_attention_ignores_the_padding(problem, score, fill):
    N, T, S, H, rng = problem
    S = H if score == "dot" else S
    s, h, scores = rng.normal(size=(N, S)), rng.normal(size=(N, T, H)), rng.normal(size=(N, T))
    params = attention_params(score, S, H, rng)
    mask = random_mask(rng, N, T).astype(bool)
    dc, dalpha = rng.normal(size=(N, H)), rng.normal(size=(N, T))

    def run(hs, dalphas, scores):
        out, cache = attention.attention_forward(s, hs, mask, score, params)
        alpha, weights_cache = attention.attention_weights_forward(scores, mask)
        backward = attention.attention_weights_backward(dalphas, weights_cache)
        return out, attention.attention_backward(dc, cache, dalphas), alpha, backward

    clean = run(padded(h, mask, 0.0), padded(dalpha, mask, 0.0), padded(scores, mask, 0.0))
    dirty = ignore_nonfinite(
        lambda: run(padded(h, mask, fill), padded(dalpha, mask, fill), padded(scores, mask, fill))
    )
    assert_same(clean, dirty)


@given(problems(), st.integers(1, 2), st.booleans(), FILLS)
@settings(max_examples=80)
def test_designs_ignore_the_padding(problem, layers, bidirectional, fill):
    N, T, D, H, rng = problem
    S = 2 if bidirectional else 1
    params = [
        {"U": rng.normal(size=(H, D if k < S else S * H)), "W": rng.normal(size=(H, H))}
        | {"b": rng.normal(size=H)}
        for k in range(layers * S)
    ]
    x, h0 = rng.normal(size=(N, T, D)), rng.normal(size=(layers * S, N, H))
    V, c = rng.normal(size=(3, H)), rng.normal(size=3)
    mask = random_mask(rng, N, T)
    p = params[0]

    def run(xs):
        return (
            designs.design3_forward(xs, h0[0], p["U"], p["W"], p["b"], V, c, mask),
            designs.reverse_rnn_forward(xs, h0[0], p["U"], p["W"], p["b"], mask),
            designs.bidirectional_rnn_forward(xs, np.stack([h0[0], h0[-1]]), params[:1] * 2, mask),
            designs.deep_rnn_forward(xs, h0, params, bidirectional, mask),
        )

    assert_same(run(padded(x, mask, 0.0)), ignore_nonfinite(lambda: run(padded(x, mask, fill))))


@cache
def tiny_seq2seq(attention_kind: str) -> seq2seq.Seq2Seq:
    torch.manual_seed(0)
    model = seq2seq.Seq2Seq(9, 7, embed_size=4, hidden_size=6, attention=attention_kind)
    return model.double().eval()


@given(st.integers(1, 4), st.integers(1, 5), st.sampled_from(seq2seq.ATTENTION), SEEDS)
@settings(max_examples=40)
def test_seq2seq_ignores_the_padded_source(N, T, attention_kind, seed):
    model = tiny_seq2seq(attention_kind)
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, T + 1, size=N)
    real = np.arange(T) < lengths[:, None]  # (N, T)
    src = np.where(real, rng.integers(3, 9, size=(N, T)), seq2seq.PAD)
    garbage = np.where(real, src, rng.integers(0, 9, size=(N, T)))  # any token in the padding
    tgt_in = torch.from_numpy(rng.integers(0, 7, size=(N, 3)))

    def run(source):
        model.zero_grad()
        log_probs = model(torch.from_numpy(source), torch.from_numpy(lengths), tgt_in)
        log_probs.sum().backward()  # (N, 3, V) and the gradient of every parameter
        return [log_probs.detach().numpy()] + [p.grad.numpy().copy() for p in model.parameters()]

    assert_same(run(src), run(garbage))
    with torch.no_grad():  # and each example gives what it gives alone, without padding
        batch = model(torch.from_numpy(garbage), torch.from_numpy(lengths), tgt_in)
        for n, length in enumerate(lengths):
            alone = model(
                torch.from_numpy(src[n : n + 1, :length]),
                torch.tensor([length]),
                tgt_in[n : n + 1],
            )
            torch.testing.assert_close(batch[n : n + 1], alone, rtol=1e-12, atol=1e-12)


# --- (c) malformed calls name the argument at fault ------------------------------------------

# Each public function with its array arguments: (kind, shape in named sizes). A size "4H" is
# (4, "H"); a leading "..." means any number of leading axes. Kinds: "param" must be floating
# point, "data" may be any real dtype, "index" holds integer classes in [0, K), "mask" only 0
# and 1 (or False and True).
Spec = dict[str, tuple[str, tuple]]
RNN: Spec = {"U": ("param", ("H", "D")), "W": ("param", ("H", "H")), "b": ("param", ("H",))}
SEQ = {"x": ("data", ("N", "T", "D")), "h0": ("data", ("N", "H"))}
MASK = {"mask": ("mask", ("N", "T"))}
OUT: Spec = {"V": ("param", ("K", "H")), "c": ("param", ("K",))}
LSTM: Spec = {"U": ("param", ((4, "H"), "D")), "W": ("param", ((4, "H"), "H"))}
GRU: Spec = {"U": ("param", ((3, "H"), "D")), "W": ("param", ((3, "H"), "H"))}
GRU_B: Spec = {"b_ih": ("param", ((3, "H"),)), "b_hh": ("param", ((3, "H"),))}
DESIGN2: Spec = RNN | {"W": ("param", ("H", "K"))} | OUT
SPECS: dict[str, tuple[Callable, Spec]] = {
    "rnn_step_forward": (
        rnn.rnn_step_forward,
        {"x": ("data", ("N", "D")), "h_prev": ("data", ("N", "H"))} | RNN,
    ),
    "rnn_forward": (rnn.rnn_forward, SEQ | RNN | MASK),
    "output_forward": (rnn.output_forward, {"hs": ("data", ("...", "N", "T", "H"))} | OUT),
    "softmax_cross_entropy": (
        rnn.softmax_cross_entropy,
        {"o": ("data", ("N", "T", "K")), "y": ("index", ("N", "T"))} | MASK,
    ),
    "lstm_step_forward": (
        lstm.lstm_step_forward,
        {"x": ("data", ("N", "D")), "h_prev": ("data", ("N", "H"))}
        | {"c_prev": ("data", ("N", "H")), "b": ("param", ((4, "H"),))}
        | LSTM,
    ),
    "lstm_forward": (
        lstm.lstm_forward,
        SEQ | {"c0": ("data", ("N", "H")), "b": ("param", ((4, "H"),))} | LSTM,
    ),
    "gru_step_forward": (
        gru.gru_step_forward,
        {"x": ("data", ("N", "D")), "h_prev": ("data", ("N", "H"))} | GRU | GRU_B,
    ),
    "gru_forward": (gru.gru_forward, SEQ | GRU | GRU_B),
    "design2_forward": (
        designs.design2_forward,
        {"x": ("data", ("N", "T", "D")), "start": ("data", ("N", "K"))} | DESIGN2,
    ),
    "design2_teacher_forced": (
        designs.design2_teacher_forced,
        {"x": ("data", ("N", "T", "D")), "z": ("data", ("N", "T", "K"))} | DESIGN2,
    ),
    "design3_forward": (designs.design3_forward, SEQ | RNN | OUT | MASK),
    "teacher_forcing_inputs": (
        designs.teacher_forcing_inputs,
        {"y": ("index", ("N", "T")), "start": ("data", ("N", "K"))},
    ),
    "reverse_rnn_forward": (
        designs.reverse_rnn_forward,
        {"x": ("data", ("N", "T", "D")), "g0": ("data", ("N", "H"))} | RNN | MASK,
    ),
    "dot_scores_forward": (
        attention.dot_scores_forward,
        {"s": ("data", ("N", "H")), "h": ("data", ("N", "T", "H"))},
    ),
    "general_scores_forward": (
        attention.general_scores_forward,
        {"s": ("data", ("N", "S")), "h": ("data", ("N", "T", "H")), "W_a": ("data", ("S", "H"))},
    ),
    "additive_scores_forward": (
        attention.additive_scores_forward,
        {"s": ("data", ("N", "S")), "h": ("data", ("N", "T", "H")), "v": ("data", ("A",))}
        | {"W_s": ("data", ("A", "S")), "W_h": ("data", ("A", "H"))},
    ),
    "attention_weights_forward": (
        attention.attention_weights_forward,
        {"scores": ("data", ("N", "T"))} | MASK,
    ),
    "context_forward": (
        attention.context_forward,
        {"alpha": ("data", ("N", "T")), "h": ("data", ("N", "T", "H"))},
    ),
    "attention_forward": (
        attention.attention_forward,
        {"s": ("data", ("N", "H")), "h": ("data", ("N", "T", "H"))} | MASK,
    ),
}


def size(entry: object, sizes: dict[str, int]) -> int:
    return entry[0] * sizes[entry[1]] if isinstance(entry, tuple) else sizes[entry]


def axes(shape: tuple) -> tuple:
    return tuple(entry for entry in shape if entry != "...")


def symbol(entry: object) -> str:
    return entry[1] if isinstance(entry, tuple) else entry


def valid_arguments(spec: Spec, sizes: dict[str, int], rng: np.random.Generator) -> dict:
    arguments = {}
    for name, (kind, shape) in spec.items():
        dims = tuple(size(entry, sizes) for entry in axes(shape))
        if kind == "index":
            arguments[name] = rng.integers(0, sizes["K"], size=dims)
        elif kind == "mask":
            arguments[name] = random_mask(rng, *dims)
        else:
            arguments[name] = rng.normal(size=dims)
    return arguments


def shared_axes(spec: Spec, name: str) -> list[int]:
    """The axes of argument `name` whose size another argument holds too (they must agree)."""
    shape = axes(spec[name][1])
    return [
        axis
        for axis, entry in enumerate(shape)
        if sum(symbol(entry) in map(symbol, axes(s)) for _, s in spec.values()) > 1
    ]


def malformations(spec: Spec, name: str) -> list[str]:
    """What can be wrong with argument `name`: a wrong number of axes (unless any number of
    leading axes is allowed), a size that disagrees with another argument's, a list for an array
    and, unless any real dtype will do, a wrong dtype (an int parameter, float classes, a mask of
    0.5)."""
    kind, shape = spec[name]
    return (
        ([] if "..." in shape else ["extra axis", "missing axis"])
        + [f"size of axis {axis}" for axis in shared_axes(spec, name)]
        + ["list"]
        + ([] if kind == "data" else ["dtype"])
    )


MALFORMED = [
    (function, name, how)
    for function, (_, spec) in sorted(SPECS.items())
    for name in spec
    for how in malformations(spec, name)
]


def malformed(array: np.ndarray, kind: str, how: str) -> object:
    if how == "extra axis":
        return array[None]
    if how == "missing axis":
        return array[..., 0]
    if how == "list":
        return array.tolist()
    if how == "dtype":
        bad = {
            "param": lambda a: a.astype(int),
            "index": lambda a: a + 0.5,
            "mask": lambda a: a / 2,
        }
        return bad[kind](array)
    axis = int(how.split()[-1])
    grown = list(array.shape)
    grown[axis] += 1
    return np.resize(array, grown)


@pytest.mark.parametrize(("function", "name", "how"), MALFORMED, ids="-".join)
@given(sizes=st.tuples(*(st.integers(1, 3) for _ in "NTDHKSA")), seed=SEEDS)
@settings(max_examples=3)
def test_malformed_calls_name_the_argument(function, name, how, sizes, seed):
    """The message starts with the malformed argument's name or, for a size that disagrees with
    another argument's, with the name of an argument that holds that size."""
    call, spec = SPECS[function]
    arguments = valid_arguments(
        spec, dict(zip("NTDHKSA", sizes, strict=True)), np.random.default_rng(seed)
    )
    kind, shape = spec[name]
    arguments[name] = malformed(arguments[name], kind, how)
    names = {name}
    if how.startswith("size"):
        entry = axes(shape)[int(how.split()[-1])]
        names = {other for other, (_, s) in spec.items() if symbol(entry) in map(symbol, axes(s))}
    with pytest.raises((ValueError, TypeError)) as info:
        call(**arguments)
    message = str(info.value)
    assert message.split(":")[0] in names, f"{message!r} names none of {names}"


def backward_calls() -> dict[str, tuple[Callable, np.ndarray, dict]]:
    """Each backward function with a valid upstream gradient and its cache."""
    rng = np.random.default_rng(0)
    N, T, D, H = 2, 3, 4, 5
    x, h0, h = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, T, H))
    hs, rnn_cache = rnn.rnn_forward(x, h0, *(rng.normal(size=s) for s in ((H, D), (H, H), (H,))))
    lstm_shapes = ((4 * H, D), (4 * H, H), (4 * H,))
    _, _, lstm_cache = lstm.lstm_forward(x, h0, h0, *(rng.normal(size=s) for s in lstm_shapes))
    gru_shapes = ((3 * H, D), (3 * H, H), (3 * H,), (3 * H,))
    _, _, gru_cache = gru.gru_forward(x, h0, *(rng.normal(size=s) for s in gru_shapes))
    (c, alpha), attention_cache = attention.attention_forward(h0, h)
    _, weights_cache = attention.attention_weights_forward(alpha)
    return {
        "rnn_backward": (rnn.rnn_backward, hs, rnn_cache),
        "lstm_backward": (lstm.lstm_backward, hs, lstm_cache),
        "gru_backward": (gru.gru_backward, hs, gru_cache),
        "attention_backward": (attention.attention_backward, c, attention_cache),
        "attention_weights_backward": (attention.attention_weights_backward, alpha, weights_cache),
    }


@pytest.mark.parametrize("function", sorted(backward_calls()))
@given(how=st.sampled_from(["extra axis", "missing axis", "size", "list"]))
@settings(max_examples=8)
def test_backward_passes_name_a_malformed_upstream_gradient(function, how):
    backward, upstream, cache = backward_calls()[function]
    malformed = {
        "extra axis": lambda g: g[None],
        "missing axis": lambda g: g[..., 0],
        "size": lambda g: np.resize(g, (*g.shape[:-1], g.shape[-1] + 1)),
        "list": lambda g: g.tolist(),
    }[how](np.ones_like(upstream))
    name = backward.__code__.co_varnames[0]  # dhs, dc or dalpha
    with pytest.raises((ValueError, TypeError), match=rf"^{name}: "):
        backward(malformed, cache)


def test_attention_backward_does_not_broadcast_dalpha():
    backward, c, cache = backward_calls()["attention_backward"]
    T = cache["caches"][1]["alpha"].shape[1]
    for dalpha in (np.ones(T), np.ones((len(c), 1)), np.ones((1, T))):
        with pytest.raises(ValueError, match=r"^dalpha: expected shape"):
            backward(np.ones_like(c), cache, dalpha)


# Scalar arguments: each (call taking the value, argument name, what a valid value is).
def _beam(**kwargs):
    step = lambda y, s: (torch.log_softmax(torch.zeros(len(y), 4), dim=1), s)  # noqa: E731
    return seq2seq.beam_search(
        step, None, lambda s, i: s, **({"beam_width": 2, "max_len": 3} | kwargs)
    )


def _exhaustive(**kwargs):
    step = lambda y, s: (torch.log_softmax(torch.zeros(len(y), 3), dim=1), s)  # noqa: E731
    return seq2seq.exhaustive_search(step, None, **({"vocab_size": 3, "max_len": 2} | kwargs))


def _params():
    return {"W": np.ones((2, 2))}


def _gradcheck(**kwargs):
    f = lambda p: float((p["W"] ** 2).sum())  # noqa: E731
    return gradcheck.gradcheck(f, _params(), {"W": 2 * np.ones((2, 2))}, **kwargs)


def _torchcheck(**kwargs):
    return torchcheck(
        lambda i, d: (2 * i["x"], {"x": 2 * d}), lambda t: 2 * t["x"], {"x": np.ones(3)}, **kwargs
    )


def _flops(**kwargs):
    return layer_flops("lstm", **({"N": 2, "T": 3, "D": 4, "H": 5} | kwargs))


SCALARS = [
    (lambda v: _beam(beam_width=v), "beam_width", "count"),
    (lambda v: _beam(max_len=v), "max_len", "count"),
    (lambda v: _beam(alpha=v), "alpha", "non-negative"),
    (lambda v: _exhaustive(alpha=v), "alpha", "non-negative"),
    (lambda v: _exhaustive(vocab_size=v), "vocab_size", "count"),
    (lambda v: seq2seq.length_normalised(-1.0, v, 1.0), "length", "count"),
    (lambda v: seq2seq.length_normalised(-1.0, 2, v), "alpha", "non-negative"),
    (lambda v: seq2seq.Attention("dot", v), "hidden_size", "count"),
    (lambda v: seq2seq.Encoder(5, v, 4), "embed_size", "count"),
    (lambda v: seq2seq.Seq2Seq(5, 5, 4, 4, dropout=v), "dropout", "fraction"),
    (lambda v: _gradcheck(tol=v), "tol", "non-negative"),
    (lambda v: _gradcheck(eps=v), "eps", "positive"),
    (lambda v: _torchcheck(rtol=v), "rtol", "non-negative"),
    (lambda v: _torchcheck(atol=v), "atol", "non-negative"),
    (lambda v: _torchcheck(seed=v), "seed", "index"),
    (lambda v: bptt.Adam(_params(), lr=v), "lr", "non-negative"),
    (lambda v: bptt.Adam(_params(), betas=(0.9, v)), "betas[1]", "fraction"),
    (lambda v: bptt.Adagrad(_params(), eps=v), "eps", "non-negative"),
    (lambda v: bptt.clip_grad_norm(_params(), v), "max_norm", "positive"),
    (lambda v: clip_grad_value(_params(), v), "clip_value", "positive"),
    (lambda v: rnn.softmax(np.zeros((2, 3)), axis=v), "axis", "axis"),
    (lambda v: _flops(N=v), "N", "index"),
    (lambda v: _flops(H=v), "H", "index"),
    (lambda v: datasets.adding_problem(2, 4, seed=v), "seed", "index"),
    (lambda v: datasets.copy_task(2, 4, seed=v), "seed", "index"),
    (lambda v: text.word_ngrams(["a"], v), "order", "count"),
    (lambda v: text.most_frequent([["a"]], v), "k", "index"),
    (lambda v: bleu.corpus_bleu([["a"]], [["a"]], v), "max_order", "count"),
]
NOT_NUMBERS = st.one_of(st.text(max_size=3), st.none(), st.booleans(), st.just([1]))
BAD = {
    "count": st.one_of(NOT_NUMBERS, st.integers(max_value=0), FLOATS),
    "index": st.one_of(NOT_NUMBERS, st.integers(max_value=-1), FLOATS),
    "axis": st.one_of(NOT_NUMBERS, st.integers(2, 10**6), st.integers(max_value=-3), FLOATS),
    "positive": st.one_of(NOT_NUMBERS, FLOATS.filter(lambda v: not (0 < v < np.inf))),
    "non-negative": st.one_of(NOT_NUMBERS, FLOATS.filter(lambda v: not (0 <= v < np.inf))),
    "fraction": st.one_of(NOT_NUMBERS, FLOATS.filter(lambda v: not 0 <= v < 1)),
}


@pytest.mark.parametrize(
    ("call", "name", "kind"), SCALARS, ids=[f"{s[1]}-{i}" for i, s in enumerate(SCALARS)]
)
@given(data=st.data())
@settings(max_examples=25)
def test_bad_scalars_name_the_argument(call, name, kind, data):
    value = data.draw(BAD[kind])
    with pytest.raises((ValueError, TypeError)) as info:
        call(value)
    assert str(info.value).startswith(f"{name}: "), str(info.value)


WORD_LISTS = [
    (lambda v: bleu.ngram_counts(v, 1), "words"),
    (lambda v: bleu.clipped_matches(v, ["a"], 1), "candidate"),
    (lambda v: bleu.corpus_bleu([v], [["a"]]), "references[0]"),
    (lambda v: text.word_ngrams(v, 2), "tokens"),
    (lambda v: text.most_frequent([v], 2), "documents[0]"),
    (lambda v: NaiveBayes(1.0).fit([v], np.array([0])), "documents[0]"),
    (lambda v: entity_f1([v], [["O"]]), "true_tags[0]"),
    (lambda v: seq2seq.padded_targets([v], {"a": 3}), "sequences[0]"),
]


@pytest.mark.parametrize(("call", "name"), WORD_LISTS, ids=[w[1] for w in WORD_LISTS])
@given(words=st.text(min_size=1, max_size=8))
@settings(max_examples=5)
def test_a_str_is_not_a_list_of_words(call, name, words):
    with pytest.raises(TypeError) as info:
        call(words)
    assert str(info.value).startswith(f"{name}: "), str(info.value)


# --- (d) sizes of zero ------------------------------------------------------------------------


def assert_shapes(results: dict[str, tuple[object, tuple[int, ...]]]) -> None:
    for name, (value, shape) in results.items():
        value = np.asarray(value)
        assert value.shape == shape, f"{name}: shape {value.shape}, expected {shape}"
        assert np.all(np.isfinite(value)), f"{name} is not finite"


@given(*(st.integers(0, 3) for _ in range(4)), st.integers(1, 3), SEEDS)
@settings(max_examples=100)
def test_sizes_of_zero_give_empty_finite_results(N, T, D, H, K, seed):
    rng = np.random.default_rng(seed)
    r = rng.normal
    x, h0, y = r(size=(N, T, D)), r(size=(N, H)), rng.integers(0, K, size=(N, T))
    U, W, b, V, c = r(size=(H, D)), r(size=(H, H)), r(size=H), r(size=(K, H)), r(size=K)
    hs, cache = rnn.rnn_forward(x, h0, U, W, b)
    dx, dh0, dU, dW, db = rnn.rnn_backward(r(size=(N, T, H)), cache)
    o = rnn.output_forward(hs, V, c)
    do_dhs, dV, dc = rnn.output_backward(r(size=(N, T, K)), hs, V)
    loss, do = rnn.softmax_cross_entropy(o, y)
    params = {"U": U, "W": W, "b": b, "V": V, "c": c}
    full = bptt.loss_and_gradients(params, x, y, h0)
    truncated = bptt.truncated_bptt(params, x, y, h0, 2)
    g4 = [r(size=s) for s in ((4 * H, D), (4 * H, H), (4 * H,))]
    lstm_hs, (h_T, c_T), lstm_cache = lstm.lstm_forward(x, h0, h0, *g4)
    lstm_grads = lstm.lstm_backward(r(size=(N, T, H)), lstm_cache)
    g3 = [r(size=s) for s in ((3 * H, D), (3 * H, H), (3 * H,), (3 * H,))]
    gru_hs, gru_h_T, gru_cache = gru.gru_forward(x, h0, *g3)
    gru_grads = gru.gru_backward(r(size=(N, T, H)), gru_cache)
    layer = {"U": U, "W": W, "b": b}
    bi_out, bi_h_n = designs.bidirectional_rnn_forward(x, np.stack([h0, h0]), [layer, layer])
    W_out = r(size=(H, K))
    assert_shapes(
        {"hs": (hs, (N, T, H)), "dx": (dx, (N, T, D)), "dh0": (dh0, (N, H))}
        | {"dU": (dU, (H, D)), "dW": (dW, (H, H)), "db": (db, (H,)), "o": (o, (N, T, K))}
        | {"output dhs": (do_dhs, (N, T, H)), "dV": (dV, (K, H)), "dc": (dc, (K,))}
        | {"loss": (loss, ()), "do": (do, (N, T, K)), "h_last": (full[2], (N, H))}
        | {f"full grads[{k}]": (g, params[k].shape) for k, g in full[1].items()}
        | {"truncated loss": (truncated[0], ()), "truncated h_last": (truncated[2], (N, H))}
        | {"lstm hs": (lstm_hs, (N, T, H)), "lstm h_T": (h_T, (N, H)), "c_T": (c_T, (N, H))}
        | {
            f"lstm grads[{i}]": (g, s)
            for i, (g, s) in enumerate(
                zip(
                    lstm_grads,
                    [(N, T, D), (N, H), (N, H), (4 * H, D), (4 * H, H), (4 * H,)],
                    strict=True,
                )
            )
        }
        | {"gru hs": (gru_hs, (N, T, H)), "gru h_T": (gru_h_T, (N, H))}
        | {
            f"gru grads[{i}]": (g, s)
            for i, (g, s) in enumerate(
                zip(
                    gru_grads,
                    [(N, T, D), (N, H), (3 * H, D), (3 * H, H), (3 * H,), (3 * H,)],
                    strict=True,
                )
            )
        }
        | {"bidirectional out": (bi_out, (N, T, 2 * H)), "h_n": (bi_h_n, (2, N, H))}
        | {"design3": (designs.design3_forward(x, h0, U, W, b, V, c), (N, K))}
        | {"design2": (designs.design2_forward(x, r(size=(N, K)), U, W_out, b, V, c), (N, T, K))}
        | {"teacher forcing": (designs.teacher_forcing_inputs(y, r(size=(N, K))), (N, T, K))}
    )
    assert loss == 0.0 or N * T > 0  # an empty batch, or empty sequences, cost nothing
    if T == 0:
        assert np.array_equal(full[2], h0) and np.array_equal(h_T, h0)  # no step: still h(0)


@given(st.integers(0, 3), st.integers(0, 3))
@settings(max_examples=10)
def test_a_softmax_over_nothing_raises(N, H):
    with pytest.raises(ValueError, match=r"^o: expected at least one class"):
        rnn.softmax(np.zeros((N, 0)))
    with pytest.raises(ValueError, match=r"^mask: every row needs at least one real"):
        attention.attention_forward(np.zeros((max(N, 1), H)), np.zeros((max(N, 1), 0, H)))
