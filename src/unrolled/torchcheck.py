"""PyTorch as the oracle: check a NumPy forward and backward pass against autograd.

The NumPy code under test computes an output and, given an upstream gradient dout of the
output's shape, the gradients of the scalar sum(out * dout) with respect to its inputs
(the backward pass of a layer, CS231n style). The same computation written with torch
operations gives the reference: autograd differentiates sum(out * dout) in float64.

    def numpy_fn(inputs, dout):                    # out = tanh(x @ W)
        out = np.tanh(inputs["x"] @ inputs["W"])
        da = dout * (1 - out**2)
        return out, {"x": da @ inputs["W"].T, "W": inputs["x"].T @ da}

    def torch_fn(t):
        return torch.tanh(t["x"] @ t["W"])

    torchcheck(numpy_fn, torch_fn, {"x": x, "W": W}).assert_passed()

A random dout (rather than all ones) makes every entry of the output matter differently,
so a gradient that is right only "on average" is still caught.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from unrolled.gradcheck import relative_error
from unrolled.validation import check_int, check_positive, check_shape

Arrays = dict[str, np.ndarray]
NumpyFn = Callable[[Arrays, np.ndarray], tuple[np.ndarray, Arrays]]
TorchFn = Callable[[dict[str, torch.Tensor]], torch.Tensor]


def _check_inputs(inputs: Arrays) -> None:
    """Raise unless `inputs` is a non-empty dict of named float64 arrays."""
    if not isinstance(inputs, dict) or not inputs:
        raise TypeError("inputs must be a non-empty dict mapping names to float64 arrays")
    for name, value in inputs.items():
        if not isinstance(value, np.ndarray):
            raise TypeError(f"inputs[{name!r}] must be a numpy array, got {type(value).__name__}")
        if value.dtype != np.float64:
            raise ValueError(f"inputs[{name!r}] must be float64, received {value.dtype}")


@dataclass
class TorchcheckReport:
    """Result of `torchcheck`: per quantity ("out", then "d" + input name), the largest
    absolute difference and relative error between NumPy and PyTorch, and whether every
    entry satisfies |numpy - torch| <= atol + rtol * |torch|."""

    max_abs_diff: dict[str, float]
    max_rel_error: dict[str, float]
    within_tolerance: dict[str, bool]
    shapes: dict[str, tuple[int, ...]]
    rtol: float
    atol: float
    unchecked: tuple[str, ...] = ()  # inputs whose gradient numpy_fn did not return

    @property
    def passed(self) -> bool:
        """True when every compared quantity is within tolerance."""
        return all(self.within_tolerance.values())

    def __str__(self) -> str:
        width = max(len("quantity"), *(len(q) for q in self.max_abs_diff))
        header = f"{'quantity':<{width}}  {'shape':<14} {'max abs diff':>12} {'max rel err':>11}"
        lines = [f"{header}  result"]
        for q in self.max_abs_diff:
            result = "pass" if self.within_tolerance[q] else "FAIL"
            lines.append(
                f"{q:<{width}}  {str(self.shapes[q]):<14} {self.max_abs_diff[q]:>12.1e} "
                f"{self.max_rel_error[q]:>11.1e}  {result}"
            )
        lines.append(f"tolerance: |numpy - torch| <= {self.atol:.0e} + {self.rtol:.0e} * |torch|")
        if self.unchecked:
            lines.append(f"gradients not returned, so not checked: {', '.join(self.unchecked)}")
        return "\n".join(lines)

    def assert_passed(self) -> None:
        """Raise AssertionError naming every quantity that differs from PyTorch."""
        failures = [q for q, ok in self.within_tolerance.items() if not ok]
        if failures:
            raise AssertionError(f"NumPy and PyTorch differ in {', '.join(failures)}\n{self}")


def torchcheck(
    numpy_fn: NumpyFn,
    torch_fn: TorchFn,
    inputs: Arrays,
    *,
    seed: int = 0,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> TorchcheckReport:
    """Compare `numpy_fn`'s output and gradients with `torch_fn` + autograd, in float64.

    Args:
        numpy_fn: (inputs, dout) -> (out, grads). `grads` maps input names to d sum(out * dout)
            / d input (same shapes as the inputs); it may hold only some inputs, or none ({})
            to check the forward pass alone.
        torch_fn: tensors -> out, the same computation with torch operations.
        inputs: name -> float64 array. Both functions receive copies.
        seed: seed of dout ~ N(0, 1), drawn with np.random.default_rng(seed).
        rtol, atol: an entry passes when |numpy - torch| <= atol + rtol * |torch|; finite
            numbers >= 0.

    Returns:
        a TorchcheckReport; print it, or call `.assert_passed()`.
    """
    _check_inputs(inputs)
    check_int("seed", seed, low=0)
    check_positive("rtol", rtol, allow_zero=True)
    check_positive("atol", atol, allow_zero=True)
    tensors = {
        name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
        for name, value in inputs.items()
    }
    out_torch = torch_fn(tensors)  # run first: dout needs the output's shape
    if not isinstance(out_torch, torch.Tensor) or out_torch.dtype != torch.float64:
        raise ValueError(f"torch_fn must return a float64 tensor, returned {out_torch!r:.80}")
    dout = np.random.default_rng(seed).standard_normal(tuple(out_torch.shape))
    out, grads = numpy_fn({name: value.copy() for name, value in inputs.items()}, dout.copy())
    out = np.asarray(out)
    if not isinstance(grads, dict):
        raise TypeError(f"numpy_fn must return (out, grads dict), grads is {type(grads).__name__}")
    if out.shape != dout.shape:
        raise ValueError(
            f"numpy_fn's output has shape {out.shape}, torch_fn's has shape {dout.shape}"
        )
    unknown = sorted(set(grads) - set(inputs))
    if unknown:
        raise ValueError(f"grads names {unknown} are not inputs; inputs are {sorted(inputs)}")
    for name, grad in grads.items():
        check_shape(f"grads[{name!r}]", np.asarray(grad), inputs[name].shape)

    pairs = {"out": (out, out_torch.detach().numpy())}
    if grads:
        if not out_torch.requires_grad:
            raise ValueError("torch_fn's output does not depend on any input: cannot backprop")
        (out_torch * torch.from_numpy(dout)).sum().backward()  # d sum(out * dout) / d input
        for name, grad in grads.items():
            reference = tensors[name].grad
            reference = np.zeros(inputs[name].shape) if reference is None else reference.numpy()
            pairs[f"d{name}"] = (np.asarray(grad, dtype=np.float64), reference)

    abs_diff, rel_error, ok, shapes = {}, {}, {}, {}
    for q, (ours, theirs) in pairs.items():
        diff = np.abs(ours - theirs)
        abs_diff[q] = float(diff.max()) if diff.size else 0.0
        rel_error[q] = relative_error(ours, theirs)
        ok[q] = bool(np.all(diff <= atol + rtol * np.abs(theirs)))
        shapes[q] = ours.shape
    return TorchcheckReport(
        max_abs_diff=abs_diff,
        max_rel_error=rel_error,
        within_tolerance=ok,
        shapes=shapes,
        rtol=rtol,
        atol=atol,
        unchecked=tuple(name for name in inputs if name not in grads),
    )
