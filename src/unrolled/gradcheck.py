"""Numerical gradient checking: compare a hand-derived gradient with centred differences.

For a scalar function f of named float64 arrays, the numerical partial derivative of one
entry p is the centred difference

    df/dp ~ (f(p + eps) - f(p - eps)) / (2 eps),

whose error shrinks like eps**2 (a one-sided difference only like eps). `gradcheck` compares
an analytic gradient with it entry by entry, through the relative error

    max |a - b| / max(|a| + |b|),

which is scale-free: about 1e-10 or less for a correct float64 gradient with eps = 1e-6, and
far larger for a wrong one.

    report = gradcheck(loss, {"W": W, "b": b}, {"W": dW, "b": db})
    print(report)            # a table: name, shape, relative error, pass/FAIL
    report.assert_passed()   # raises AssertionError naming the failures
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from unrolled.validation import check_positive, check_shape

Params = dict[str, np.ndarray]
TINY = np.finfo(np.float64).tiny  # keeps relative_error finite when both arrays are zero


def _check_params(params: Params) -> None:
    """Raise unless `params` is a non-empty dict of named float64 arrays."""
    if not isinstance(params, dict) or not params:
        raise TypeError("params must be a non-empty dict mapping names to float64 arrays")
    for name, value in params.items():
        if not isinstance(value, np.ndarray):
            raise TypeError(f"params[{name!r}] must be a numpy array, got {type(value).__name__}")
        if value.dtype != np.float64:
            raise ValueError(
                f"params[{name!r}] must be float64 (finite differences need the precision), "
                f"received {value.dtype}"
            )


def _copy(params: Params) -> Params:
    """A new dict of new arrays: whatever f does to its argument cannot reach the caller's."""
    return {name: value.copy() for name, value in params.items()}


def _evaluate(f: Callable[[Params], float], params: Params) -> float:
    """f(params) as a Python float; f must return a scalar."""
    value = np.asarray(f(params))
    if value.shape != ():
        raise ValueError(f"f must return a scalar, returned an array of shape {value.shape}")
    return float(value)


def numerical_gradient(
    f: Callable[[Params], float], params: Params, eps: float = 1e-6
) -> dict[str, np.ndarray]:
    """Centred-difference gradient of the scalar f(params) with respect to every array.

    Every evaluation gets a fresh copy of `params` with one entry shifted by +eps or -eps,
    so f may be a pure function of its argument (it need not read shared state), and the
    caller's arrays are never modified, even if f modifies its argument. Costs 2 evaluations
    of f per entry.

    Args:
        f: maps a dict of named float64 arrays to a scalar.
        params: name -> float64 array, any shapes.
        eps: the step (1e-6 balances truncation error ~eps**2 and rounding error ~1e-16/eps).

    Returns:
        name -> float64 array of the same shape as params[name].
    """
    _check_params(params)
    check_positive("eps", eps)
    grads = {}
    for name, value in params.items():
        grad = np.zeros_like(value)  # same shape as the parameter
        for index in np.ndindex(value.shape):
            shifted = _copy(params)
            shifted[name][index] = value[index] + eps
            f_plus = _evaluate(f, shifted)
            shifted = _copy(params)
            shifted[name][index] = value[index] - eps
            f_minus = _evaluate(f, shifted)
            grad[index] = (f_plus - f_minus) / (2 * eps)
        grads[name] = grad
    return grads


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max(|a| + |b|) over the entries of two same-shape arrays (0 if both 0)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    check_shape("b", b, a.shape)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a) + np.abs(b)), TINY))


@dataclass
class GradcheckReport:
    """Result of `gradcheck`: one relative error per parameter, compared with `tol`."""

    errors: dict[str, float]
    shapes: dict[str, tuple[int, ...]]
    tol: float
    numerical: dict[str, np.ndarray] = field(repr=False)

    @property
    def failures(self) -> list[str]:
        """Names whose relative error is above the tolerance (or not a number)."""
        return [name for name, err in self.errors.items() if not err <= self.tol]

    @property
    def passed(self) -> bool:
        """True when every relative error is at most `tol`."""
        return not self.failures

    def __str__(self) -> str:
        width = max(len("name"), *(len(name) for name in self.errors))
        lines = [f"{'name':<{width}}  {'shape':<14} {'rel. error':>10}  result"]
        for name, err in self.errors.items():
            result = "pass" if err <= self.tol else "FAIL"
            shape = str(self.shapes[name])
            lines.append(f"{name:<{width}}  {shape:<14} {err:>10.1e}  {result}")
        verdict = "passed" if self.passed else f"{len(self.failures)} failed"
        lines.append(f"tolerance {self.tol:.0e}: {verdict}")
        return "\n".join(lines)

    def assert_passed(self) -> None:
        """Raise AssertionError listing every parameter whose gradient is wrong."""
        if not self.passed:
            wrong = ", ".join(f"{name} ({self.errors[name]:.1e})" for name in self.failures)
            raise AssertionError(
                f"gradient check failed for {wrong}: relative error above {self.tol:.0e}\n{self}"
            )


def gradcheck(
    f: Callable[[Params], float],
    params: Params,
    grads: dict[str, np.ndarray],
    eps: float = 1e-6,
    tol: float = 1e-7,
) -> GradcheckReport:
    """Compare analytic gradients `grads` of f with `numerical_gradient(f, params, eps)`.

    Args:
        f: maps a dict of named float64 arrays to a scalar.
        params: name -> float64 array where the gradient is checked.
        grads: name -> analytic gradient, same names and shapes as `params`.
        eps: finite-difference step.
        tol: largest relative error that counts as a pass, a finite number >= 0.

    Returns:
        a GradcheckReport; print it, or call `.assert_passed()`.
    """
    _check_params(params)
    check_positive("eps", eps)
    check_positive("tol", tol, allow_zero=True)
    if not isinstance(grads, dict) or grads.keys() != params.keys():
        received = sorted(grads) if isinstance(grads, dict) else type(grads).__name__
        raise ValueError(
            f"grads must have the same names as params: expected {sorted(params)}, "
            f"received {received}"
        )
    for name, value in params.items():
        check_shape(f"grads[{name!r}]", np.asarray(grads[name]), value.shape)
    numerical = numerical_gradient(f, params, eps)
    errors = {name: relative_error(grads[name], numerical[name]) for name in params}
    shapes = {name: value.shape for name, value in params.items()}
    return GradcheckReport(errors=errors, shapes=shapes, tol=tol, numerical=numerical)
