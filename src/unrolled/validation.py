"""Shape checks with readable error messages.

Every public function in `unrolled` checks its array arguments with `check_shape` before
doing any arithmetic, so a wrong shape fails at the call that caused it, with a message that
names the array, the expected shape (symbolic and with the sizes known so far) and the shape
that arrived:

    >>> import numpy as np
    >>> dims = check_shape("x", np.zeros((4, 7, 3)), ("N", "T", "D"))
    >>> check_shape("h0", np.zeros((5, 8)), ("N", "H"), dims)
    Traceback (most recent call last):
    ...
    ValueError: h0: expected shape (N, H) = (4, ?), received (5, 8); N is 4, received 5

An expected shape is a tuple whose entries are

- an int: that exact size,
- a str: a named size, bound the first time it is seen and checked everywhere after that
  (names are shared between calls through the `dims` dict),
- None: any size.

Caches get the same treatment: a forward function that returns a cache for a backward pass
tags it with its own name, {"of": "lstm_forward", ...}, and the backward pass calls
`check_cache` first, so a cache from another function fails with a message naming both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Dim = int | str | None


def _format(entries: Sequence[object]) -> str:
    """Render a shape like Python does: (4,) for one dimension, (4, 3) for two."""
    if len(entries) == 1:
        return f"({entries[0]},)"
    return "(" + ", ".join(str(e) for e in entries) + ")"


def _symbolic(expected: Sequence[Dim]) -> str:
    """The expected shape as written by the caller, e.g. (N, T, 3) or (N, *)."""
    return _format(["*" if d is None else d for d in expected])


def _bound(expected: Sequence[Dim], dims: dict[str, int]) -> str:
    """The expected shape with every known size filled in, e.g. (4, ?, 3)."""
    values: list[object] = []
    for d in expected:
        if d is None:
            values.append("*")
        elif isinstance(d, str):
            values.append(dims.get(d, "?"))
        else:
            values.append(d)
    return _format(values)


def _describe(name: str, expected: Sequence[Dim], dims: dict[str, int]) -> str:
    """'x: expected shape (N, T) = (4, ?)', or 'x: expected shape (4, 3)' if nothing is named."""
    symbolic, bound = _symbolic(expected), _bound(expected, dims)
    if symbolic == bound:
        return f"{name}: expected shape {symbolic}"
    return f"{name}: expected shape {symbolic} = {bound}"


def _check_expected(expected: Sequence[Dim], dims: dict[str, int]) -> None:
    """Reject malformed specifications (a bug in the caller, not in the data)."""
    if not isinstance(expected, tuple):
        raise TypeError(f"expected must be a tuple of int, str or None, got {expected!r}")
    for d in expected:
        if not (d is None or isinstance(d, str) or (isinstance(d, int | np.integer) and d >= 0)):
            raise TypeError(f"shape entries must be int >= 0, str or None, got {d!r}")
    for key, value in dims.items():
        if not isinstance(value, int | np.integer):
            raise TypeError(f"dims[{key!r}] must be an int, got {value!r}")


def check_shape(
    name: str,
    array: Any,
    expected: tuple[Dim, ...],
    dims: dict[str, int] | None = None,
) -> dict[str, int]:
    """Check that `array.shape` matches `expected`; return the named sizes.

    Args:
        name: how the array is called in the caller's signature, used in messages.
        array: a NumPy array (anything with a tuple `.shape`, e.g. a torch tensor, is accepted).
        expected: tuple of int (exact size), str (named size) or None (any size).
        dims: named sizes bound so far. It is updated in place (only when the check passes)
            so that several arrays can share names: pass the dict returned by the first call.

    Returns:
        `dims` (a new dict if none was given) with every name in `expected` bound.

    Raises:
        TypeError: `array` has no shape (a list, a float, None) or `expected` is malformed.
        ValueError: wrong number of dimensions or a size differs from the expected one.
    """
    dims = {} if dims is None else dims
    _check_expected(expected, dims)
    shape = getattr(array, "shape", None)
    if not isinstance(shape, tuple):
        raise TypeError(
            f"{_describe(name, expected, dims)}: needs an array, received {type(array).__name__}"
        )
    shape = tuple(int(s) for s in shape)
    if len(shape) != len(expected):
        raise ValueError(
            f"{_describe(name, expected, dims)}, received {_format(shape)}; "
            f"{len(expected)} dimensions expected, {len(shape)} received"
        )
    bound = dict(dims)
    for axis, (want, got) in enumerate(zip(expected, shape, strict=True)):
        if want is None:
            continue
        if isinstance(want, str):
            if want not in bound:
                bound[want] = got
                continue
            want_size, label = bound[want], want
        else:
            want_size, label = int(want), f"dimension {axis}"
        if got != want_size:
            raise ValueError(
                f"{_describe(name, expected, bound)}, received {_format(shape)}; "
                f"{label} is {want_size}, received {got}"
            )
    dims.update(bound)
    return dims


def check_class_indices(name: str, y: Any, n_classes: int) -> None:
    """Check that `y` holds integer class indices in [0, n_classes), e.g. targets for a softmax.

    Raises:
        ValueError: `y` is not an integer array, or a value lies outside [0, n_classes).
    """
    dtype = getattr(y, "dtype", None)
    if dtype is None or not np.issubdtype(dtype, np.integer):
        raise ValueError(f"{name}: expected integer class indices, received dtype {dtype}")
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"{name}: expected class indices in [0, {n_classes}), "
            f"received values in [{y.min()}, {y.max()}]"
        )


def check_float_arrays(name: str, arrays: Any) -> None:
    """Check a dict of floating-point NumPy arrays by name (parameters or their gradients), as
    the optimisers and clipping functions update them in place.

    Raises:
        TypeError: not a dict, or a value is not a NumPy array.
        ValueError: an array is not floating point (int arrays cannot take a fractional
            update) or is read-only.
    """
    if not isinstance(arrays, dict):
        raise TypeError(
            f"{name}: expected a dict of name -> float array, received {type(arrays).__name__}"
        )
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray):
            raise TypeError(
                f"{name}[{key!r}]: expected a NumPy array, received {type(value).__name__}"
            )
        if not np.issubdtype(value.dtype, np.floating):
            raise ValueError(f"{name}[{key!r}]: expected a float array, received {value.dtype}")
        if not value.flags.writeable:
            raise ValueError(f"{name}[{key!r}]: expected a writeable array, received read-only")


def check_positive(name: str, value: Any, allow_zero: bool = False) -> float:
    """Check a finite real number > 0 (>= 0 with `allow_zero`: a learning rate of 0 is a frozen
    model, as in torch.optim); return it as a float."""
    bound = ">= 0" if allow_zero else "> 0"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name}: expected a number {bound}, received {type(value).__name__}")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name}: expected a finite number {bound}, received {value!r}")
    return float(value)


def check_cache(cache: Any, producer: str) -> None:
    """Check that `cache` was made by the forward function `producer` (its "of" entry says so).

        >>> check_cache({"of": "gru_forward"}, "rnn_forward")
        Traceback (most recent call last):
        ...
        ValueError: cache: expected the cache of rnn_forward, received the cache of gru_forward

    Raises:
        TypeError: `cache` is not a dict.
        ValueError: `cache` has no "of" entry, or it names another function.
    """
    expected = f"cache: expected the cache of {producer}"
    if not isinstance(cache, dict):
        raise TypeError(f"{expected}, received {type(cache).__name__}")
    if "of" not in cache:
        raise ValueError(f'{expected}, received a dict without "of" (the function that made it)')
    if cache["of"] != producer:
        raise ValueError(f"{expected}, received the cache of {cache['of']}")
