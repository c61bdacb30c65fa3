"""The implementations compared: a forward and backward pass of a recurrent layer, three ways,
and the floor: the time of the matrix products alone.

For each cell ("rnn", "lstm", "gru") and one `Problem` (inputs, initial states, weights in
PyTorch's layout and an upstream gradient dL/dh(t) for every step), `prepare` returns a
`Runner` whose `run()` computes the hidden states and the gradients of
L = sum over n, t of dhs[n, t] . hs[n, t] with respect to the inputs, the initial states and
every weight:

- "numpy": the book's from-scratch code, unrolled.rnn (chapters 2 and 4), unrolled.lstm and
  unrolled.gru (chapter 6): a hand-written backward pass;
- "module": torch.nn.RNN, torch.nn.LSTM or torch.nn.GRU (batch_first=True) and autograd;
- "loop": "from scratch in PyTorch" the way Dive into Deep Learning writes it: a Python loop
  over the time steps computing the cell equations with one weight matrix and bias per gate
  (2 G small matrix products per step for G gates), and autograd for the backward pass.

`floor(problem)` runs exactly the matrix products that the "numpy" layer performs, with the
same shapes and memory layouts, in the same order, with the same library (NumPy's BLAS), into
preallocated outputs, and nothing else. For a cell with G gates (RNN 1, GRU 3, LSTM 4):

    forward    X U^T            (T N, D) @ (D, G H)     once, every step's input products
                                                        (the GRU: two, for r, z and for n)
               h(t-1) W^T       (N, H) @ (H, G H)       T times
    backward   dL/da(t) W       (N, G H) @ (G H, H)     T times, back to h(t-1)
               dL/dA U          (T N, G H) @ (G H, D)   once: dL/dx of every step
               dL/dA^T X        (G H, T N) @ (T N, D)   once: dL/dU
               dL/dA^T H_prev   (G H, T N) @ (T N, H)   once: dL/dW

A product (m, k) @ (k, n) counts 2 m k n FLOPs, so forward and backward together count
`layer_flops` = 6 N T G H (D + H), the same for every implementation. Whatever a layer takes
beyond its floor is elementwise work (gates, tanh, sums), memory traffic and the Python
interpreter.

Only `run()` is timed. `collect(result)` turns its result into named NumPy arrays, the same
names for every implementation, so the tests can compare all of them with PyTorch:
"hs" (N, T, H), "dx" (N, T, D), "dh0" (N, H), "dc0" (N, H, LSTM only), "dU" (G H, D),
"dW" (G H, H), "db_ih" and "db_hh" (G H,). Where an implementation keeps one bias per gate
(b = b_ih + b_hh), its gradient is reported for both, as dL/db_ih = dL/db_hh = dL/db.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from unrolled import gru, lstm
from unrolled.gru import gru_backward, gru_forward
from unrolled.lstm import lstm_backward, lstm_forward
from unrolled.rnn import rnn_backward, rnn_forward
from unrolled.validation import check_int

GATES = {"rnn": 1, "lstm": 4, "gru": 3}  # G: blocks of H rows stacked in U, W and the biases
CELLS = tuple(GATES)
IMPLEMENTATIONS = ("numpy", "module", "loop")
LABELS = {"numpy": "NumPy (unrolled)", "module": "torch.nn", "loop": "autograd loop"}
LABELS |= {"floor": "products alone (floor)"}
MODULES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
Grads = dict[str, np.ndarray]


@dataclass(frozen=True)
class Problem:
    """One benchmark input: data, weights (PyTorch's layout) and the upstream gradient.

    Shapes: x (N, T, D); h0 and c0 (N, H) (c0 is used by the LSTM only); U (G H, D);
    W (G H, H); b_ih and b_hh (G H,); dhs (N, T, H). Every array has the same dtype.
    """

    cell: str
    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    U: np.ndarray
    W: np.ndarray
    b_ih: np.ndarray
    b_hh: np.ndarray
    dhs: np.ndarray

    @property
    def dtype(self) -> np.dtype:
        return self.x.dtype


@dataclass(frozen=True)
class Runner:
    """`run()`: forward and backward pass (the part that is timed); `collect(run())`: the
    result as named NumPy arrays (see the module docstring)."""

    run: Callable[[], Any]
    collect: Callable[[Any], Grads]


def make_problem(
    cell: str, N: int, T: int, D: int, H: int, dtype: str | np.dtype = "float64", seed: int = 0
) -> Problem:
    """A random Problem: weights uniform in [-1/sqrt(H), 1/sqrt(H)] (PyTorch's default), data,
    initial states and upstream gradients standard normal, drawn with default_rng(seed)."""
    if cell not in GATES:
        raise ValueError(f"cell must be one of {CELLS}, received {cell!r}")
    rng = np.random.default_rng(seed)
    G, bound = GATES[cell], 1.0 / np.sqrt(H)
    shapes = {"x": (N, T, D), "h0": (N, H), "c0": (N, H), "dhs": (N, T, H)}
    weights = {"U": (G * H, D), "W": (G * H, H), "b_ih": (G * H,), "b_hh": (G * H,)}
    arrays = {name: rng.standard_normal(shape) for name, shape in shapes.items()}
    arrays |= {name: rng.uniform(-bound, bound, shape) for name, shape in weights.items()}
    return Problem(cell, **{name: a.astype(dtype) for name, a in arrays.items()})


def layer_flops(cell: str, N: int, T: int, D: int, H: int) -> int:
    """Matrix-multiply FLOPs of one forward and backward pass, 6 N T G H (D + H)."""
    if cell not in GATES:
        raise ValueError(f"cell must be one of {CELLS}, received {cell!r}")
    for name, size in (("N", N), ("T", T), ("D", D), ("H", H)):
        check_int(name, size, low=0)
    return 6 * N * T * GATES[cell] * H * (D + H)


def floor(p: Problem) -> Callable[[], None]:
    """The matrix products of the "numpy" layer on p, alone (module docstring): a function
    that runs them. The operands are made here, once; their values do not change the time."""
    N, T, D = p.x.shape
    H, G = p.h0.shape[1], GATES[p.cell]
    xs = np.ascontiguousarray(p.x.transpose(1, 0, 2)).reshape(T * N, D)  # time-major rows
    hs = np.tanh(np.random.default_rng(0).standard_normal((T + 1, N, H))).astype(p.dtype)
    h_prev = hs[:-1].reshape(T * N, H)  # h(t-1) of every step, a view as in the layers
    da = np.tanh(np.random.default_rng(1).standard_normal((T, N, G * H))).astype(p.dtype)
    da_rows = da.reshape(T * N, G * H)
    blocks = [slice(0, 2 * H), slice(2 * H, 3 * H)] if p.cell == "gru" else [slice(0, G * H)]
    inputs = [(p.U[rows].T, np.empty((T * N, rows.stop - rows.start), p.dtype)) for rows in blocks]
    step, dh = np.empty((N, G * H), p.dtype), np.empty((N, H), p.dtype)
    dx = np.empty((T * N, D), p.dtype)
    dU, dW = np.empty((G * H, D), p.dtype), np.empty((G * H, H), p.dtype)

    def run() -> None:
        for U_block, a in inputs:  # X U^T, by row blocks of U as the layer computes it
            np.matmul(xs, U_block, out=a)
        for t in range(T):
            np.matmul(hs[t], p.W.T, out=step)
        for t in reversed(range(T)):
            np.matmul(da[t], p.W, out=dh)
        np.matmul(da_rows, p.U, out=dx)
        np.matmul(da_rows.T, xs, out=dU)
        np.matmul(da_rows.T, h_prev, out=dW)

    return run


def in_cache(p: Problem) -> Callable[[], None]:
    """The elementwise work of the "numpy" LSTM or GRU on p, T steps forward and T backward, on
    the arrays of a single step: a function that runs it.

    Each step does what one step of the layer's loops does besides its matrix products (adds
    the products' results, then the cell's private forward and backward functions), on arrays
    of the shapes of one step, allocated once and reused by every step, so that they stay in
    the processor's caches. The layer's loops write new arrays at every step and do a matrix
    product between steps; the difference between the two times is the cost of memory.
    """
    N, T, _ = p.x.shape
    H, G = p.h0.shape[1], GATES[p.cell]
    if p.cell not in ("lstm", "gru"):
        raise ValueError(f"cell: expected 'lstm' or 'gru', received {p.cell!r}")
    rng = np.random.default_rng(0)
    inputs, product = rng.standard_normal((2, N, G * H)).astype(p.dtype)  # x U^T + b, h W^T
    h_prev, dhs = np.tanh(p.h0), p.dhs[:, 0]
    h, dh, work_h = (np.empty((N, H), p.dtype) for _ in range(3))
    da, work = np.empty((N, G * H), p.dtype), np.empty((N, G * H), p.dtype)
    if p.cell == "lstm":
        s = lstm._gate_scale("ssts", H, p.dtype)
        low, a, c, dc, tanh_c = 1.0 - 2.0 * s, np.empty_like(da), *np.zeros((3, N, H), p.dtype)

        def step() -> None:
            np.add(inputs, product, out=a)  # a += h W^T
            lstm._lstm_cell_forward(a, p.c0, h, c, tanh_c, s)
            np.add(product[:, :H], dhs, out=dh)  # dh = dL/dh(t) W + dhs[:, t]
            lstm._lstm_cell_backward(dh, dc, a, p.c0, tanh_c, low, da, work, work_h)

    else:
        rz, n, m = np.empty((N, 2 * H), p.dtype), inputs[:, 2 * H :].copy(), np.empty_like(h)
        dxa, work_rz = np.empty_like(da), np.empty((N, 2 * H), p.dtype)

        def step() -> None:
            np.add(inputs[:, : 2 * H], product[:, : 2 * H], out=rz)  # rz[t] += ha[:, :2H]
            np.add(product[:, 2 * H :], p.b_hh[2 * H :], out=m)
            gru._gru_cell_forward(rz, n, m, h_prev, h)
            np.add(product[:, :H], dhs, out=dh)  # dh += dhs[:, t]
            gru._gru_cell_backward(dh, rz, n, m, h_prev, dxa, da, work_rz, work_h)
            np.add(dh, product[:, :H], out=dh)  # dh += dL/da(t) W

    def run() -> None:
        for _ in range(T):
            step()

    return run


def prepare(implementation: str, problem: Problem) -> Runner:
    """The Runner of one implementation ("numpy", "module" or "loop") on one problem."""
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(
            f"implementation must be one of {IMPLEMENTATIONS}, received {implementation!r}"
        )
    return {"numpy": _numpy, "module": _module, "loop": _loop}[implementation](problem)


# --- NumPy: the book's code ---------------------------------------------------------------


def _numpy(p: Problem) -> Runner:
    if p.cell == "rnn":
        b = p.b_ih + p.b_hh  # (H,)  the RNN's one bias

        def run() -> tuple:
            hs, cache = rnn_forward(p.x, p.h0, p.U, p.W, b)
            return hs, rnn_backward(p.dhs, cache)

        def collect(result: tuple) -> Grads:
            hs, (dx, dh0, dU, dW, db) = result
            return {"hs": hs, "dx": dx, "dh0": dh0, "dU": dU, "dW": dW, "db_ih": db, "db_hh": db}

    elif p.cell == "lstm":
        b = p.b_ih + p.b_hh  # (4H,)

        def run() -> tuple:
            hs, _, cache = lstm_forward(p.x, p.h0, p.c0, p.U, p.W, b)
            return hs, lstm_backward(p.dhs, cache)

        def collect(result: tuple) -> Grads:
            hs, (dx, dh0, dc0, dU, dW, db) = result
            return {"hs": hs, "dx": dx, "dh0": dh0, "dc0": dc0} | {
                "dU": dU,
                "dW": dW,
                "db_ih": db,
                "db_hh": db,
            }

    else:

        def run() -> tuple:
            hs, _, cache = gru_forward(p.x, p.h0, p.U, p.W, p.b_ih, p.b_hh)
            return hs, gru_backward(p.dhs, cache)

        def collect(result: tuple) -> Grads:
            hs, (dx, dh0, dU, dW, db_ih, db_hh) = result
            return {"hs": hs, "dx": dx, "dh0": dh0, "dU": dU, "dW": dW} | {
                "db_ih": db_ih,
                "db_hh": db_hh,
            }

    return Runner(run, collect)


# --- PyTorch ------------------------------------------------------------------------------


def _leaf(array: np.ndarray) -> torch.Tensor:
    """A tensor sharing array's memory that autograd differentiates."""
    return torch.from_numpy(array).requires_grad_()


def _states(p: Problem) -> list[torch.Tensor]:
    """The leaves x, h0 (and c0 for the LSTM), in the order of the gradient names."""
    return [_leaf(p.x), _leaf(p.h0)] + ([_leaf(p.c0)] if p.cell == "lstm" else [])


def _state_names(cell: str) -> list[str]:
    return ["dx", "dh0"] + (["dc0"] if cell == "lstm" else [])


def _module(p: Problem) -> Runner:
    N, T, D = p.x.shape
    H = p.h0.shape[1]
    dtype = torch.from_numpy(p.x).dtype
    module = MODULES[p.cell](D, H, batch_first=True, dtype=dtype)
    with torch.no_grad():
        for name, value in zip(("ih", "hh"), (p.U, p.W), strict=True):
            getattr(module, f"weight_{name}_l0").copy_(torch.from_numpy(value))
        module.bias_ih_l0.copy_(torch.from_numpy(p.b_ih))
        module.bias_hh_l0.copy_(torch.from_numpy(p.b_hh))
    states = _states(p)
    weights = [module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0, module.bias_hh_l0]
    dhs = torch.from_numpy(p.dhs)
    initial = tuple(s[None] for s in states[1:])  # (1, N, H): one layer
    if p.cell != "lstm":
        initial = initial[0]

    def run() -> tuple:
        hs, _ = module(states[0], initial)  # (N, T, H)
        return hs, torch.autograd.grad(hs, states + weights, dhs)

    def collect(result: tuple) -> Grads:
        hs, grads = result
        names = _state_names(p.cell) + ["dU", "dW", "db_ih", "db_hh"]
        return {"hs": hs.detach().numpy()} | {
            name: g.numpy() for name, g in zip(names, grads, strict=True)
        }

    return Runner(run, collect)


def _loop(p: Problem) -> Runner:
    G = GATES[p.cell]
    states = _states(p)
    U = [_leaf(block.copy()) for block in np.split(p.U, G)]  # G blocks (H, D): one per gate
    W = [_leaf(block.copy()) for block in np.split(p.W, G)]  # G blocks (H, H)
    b_ih, b_hh = np.split(p.b_ih, G), np.split(p.b_hh, G)
    if p.cell == "gru":  # r and z add their two biases; the candidate n keeps both
        b = [_leaf(b_ih[0] + b_hh[0]), _leaf(b_ih[1] + b_hh[1]), _leaf(b_ih[2]), _leaf(b_hh[2])]
    else:
        b = [_leaf(i + h) for i, h in zip(b_ih, b_hh, strict=True)]
    dhs = torch.from_numpy(p.dhs)
    step = {"rnn": _rnn_step, "lstm": _lstm_step, "gru": _gru_step}[p.cell]

    def run() -> tuple:
        x, *state = states
        outputs = []
        for t in range(x.shape[1]):
            state = step(x[:, t], state, U, W, b)
            outputs.append(state[0])
        hs = torch.stack(outputs, dim=1)  # (N, T, H)
        return hs, torch.autograd.grad(hs, states + U + W + b, dhs)

    def collect(result: tuple) -> Grads:
        hs, grads = result
        n = len(states)
        dU, dW = torch.cat(grads[n : n + G]), torch.cat(grads[n + G : n + 2 * G])
        db = grads[n + 2 * G :]
        if p.cell == "gru":  # (r, z, n_ih, n_hh) -> PyTorch's two stacked biases
            db_ih, db_hh = torch.cat(db[:3]), torch.cat((db[0], db[1], db[3]))
        else:
            db_ih = db_hh = torch.cat(db)
        named = dict(zip(_state_names(p.cell), grads[:n], strict=True))
        arrays = named | {"dU": dU, "dW": dW, "db_ih": db_ih, "db_hh": db_hh}
        return {"hs": hs.detach().numpy()} | {k: v.numpy() for k, v in arrays.items()}

    return Runner(run, collect)


Tensors = list[torch.Tensor]


def _rnn_step(x: torch.Tensor, state: Tensors, U: Tensors, W: Tensors, b: Tensors) -> Tensors:
    """h(t) = tanh(x(t) U^T + h(t-1) W^T + b): Eqs. (ch2-rnn-a), (ch2-rnn-h)."""
    (h,) = state
    return [torch.tanh(x @ U[0].T + h @ W[0].T + b[0])]


def _lstm_step(x: torch.Tensor, state: Tensors, U: Tensors, W: Tensors, b: Tensors) -> Tensors:
    """One LSTM step, Eqs. (ch6-lstm-i)-(ch6-lstm-h), one product pair per gate (i, f, g, o)."""
    h, c = state
    i = torch.sigmoid(x @ U[0].T + h @ W[0].T + b[0])
    f = torch.sigmoid(x @ U[1].T + h @ W[1].T + b[1])
    g = torch.tanh(x @ U[2].T + h @ W[2].T + b[2])
    o = torch.sigmoid(x @ U[3].T + h @ W[3].T + b[3])
    c = f * c + i * g
    return [o * torch.tanh(c), c]


def _gru_step(x: torch.Tensor, state: Tensors, U: Tensors, W: Tensors, b: Tensors) -> Tensors:
    """One GRU step as PyTorch defines it, Eqs. (ch6-gru-r)-(ch6-gru-h)."""
    (h,) = state
    r = torch.sigmoid(x @ U[0].T + h @ W[0].T + b[0])
    z = torch.sigmoid(x @ U[1].T + h @ W[1].T + b[1])
    n = torch.tanh(x @ U[2].T + b[2] + r * (h @ W[2].T + b[3]))
    return [n + z * (h - n)]
