"""Argument checks with readable error messages: shapes, dtypes, sizes, masks and caches.

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

The other checks follow the same pattern, one line per argument: `check_int` (a count or an
index), `check_positive` (a learning rate, a tolerance), `check_fraction` (a number in [0, 1)),
`check_float` (parameters must be floating point), `check_mask` (0/1 masks),
`check_class_indices` (integer targets in range), `check_keys` (a dict of named arrays),
`check_type` and `check_words` (a list of words, never a str whose characters would become
the words). A wrong Python type raises TypeError, a wrong value ValueError, and every message
starts with the argument's name.

The package's rules for edge cases, which these checks and the tests enforce:

- Sizes of zero work. A batch of N = 0 examples, sequences of T = 0 steps and layers of
  H = 0 or D = 0 units give results of the right, possibly empty, shape with finite values:
  a sum over nothing is 0 (so is the loss of an empty batch), and after T = 0 steps the state
  is still h(0). The exceptions are a softmax over nothing (K = 0 classes, attention over
  T = 0 source positions or over a row whose every position is masked), which has no value,
  and the PyTorch encoder-decoder, which needs N >= 1 sources of at least one token each;
  these raise ValueError.
- Parameters (weights and biases) must be floating point; data arrays of another real dtype
  (integer inputs, say) are promoted as NumPy promotes them.
- NaN and inf at real (unmasked) positions propagate, as in NumPy and PyTorch. At masked
  (padded) positions nothing matters: no output and no gradient changes, whatever they hold.

tests/test_properties.py checks these rules with hypothesis over the public API.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def check_int(name: str, value: Any, low: int = 1, high: int | None = None) -> int:
    """Check an int (not a float, not a bool) in [low, high] (no upper bound if high is None),
    such as a size, a count, a seed or an axis; return it as an int.

        >>> check_int("beam_width", 2.0)
        Traceback (most recent call last):
        ...
        TypeError: beam_width: expected an int >= 1, received float 2.0

    Raises:
        TypeError: `value` is not an int.
        ValueError: `value` lies outside [low, high].
    """
    expected = f"an int >= {low}" if high is None else f"an int in [{low}, {high}]"
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name}: expected {expected}, received {type(value).__name__} {value!r}")
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name}: expected {expected}, received {value!r}")
    return int(value)


def check_fraction(name: str, value: Any) -> float:
    """Check a real number in [0, 1), such as a decay rate or a dropout probability; return it
    as a float.

    Raises:
        TypeError: `value` is not a real number.
        ValueError: `value` is NaN or outside [0, 1).
    """
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name}: expected a number in [0, 1), received {type(value).__name__}")
    if not 0 <= value < 1:
        raise ValueError(f"{name}: expected a number in [0, 1), received {value!r}")
    return float(value)


def check_float(**arrays: Any) -> None:
    """Check that each array (given by name) is floating point, e.g. a layer's parameters:
    check_float(U=U, W=W, b=b). Integer weights would give integer (truncated) states or fail
    inside an in-place update.

    Raises:
        TypeError: a value is not an array.
        ValueError: an array's dtype is not floating point.
    """
    for name, array in arrays.items():
        dtype = getattr(array, "dtype", None)
        if dtype is None:
            raise TypeError(f"{name}: expected a float array, received {type(array).__name__}")
        if not np.issubdtype(dtype, np.floating):
            raise ValueError(f"{name}: expected a float array, received dtype {dtype}")


def check_mask(name: str, mask: Any, dims: dict[str, int]) -> np.ndarray:
    """Check a mask of shape (N, T) (N and T bound in `dims`) holding only 0 and 1 (or False and
    True); return it, or np.ones((N, T)) if it is None (every position real).

    Raises:
        TypeError: `mask` is not an array.
        ValueError: wrong shape, or a value other than 0 and 1 (0.5 is not a mask).
    """
    if mask is None:
        return np.ones((dims["N"], dims["T"]))
    check_shape(name, mask, ("N", "T"), dims)
    if not np.isin(mask, (0, 1)).all():
        raise ValueError(f"{name}: expected only 0 and 1, received values {np.unique(mask)}")
    return mask


def check_keys(name: str, mapping: Any, keys: Iterable[str], allow_extra: bool = False) -> None:
    """Check a dict that holds `keys` (and no others, unless `allow_extra`), e.g. the named
    parameters of a layer.

    Raises:
        TypeError: `mapping` is not a dict.
        ValueError: a key is missing, or one is not expected; the message lists them.
    """
    expected = sorted(keys)
    if not isinstance(mapping, dict):
        raise TypeError(
            f"{name}: expected a dict with keys {expected}, received {type(mapping).__name__}"
        )
    missing = sorted(set(expected) - set(mapping))
    unexpected = [] if allow_extra else sorted(set(mapping) - set(expected), key=str)
    if missing or unexpected:
        raise ValueError(
            f"{name}: expected the keys {expected}, missing {missing}, unexpected {unexpected}"
        )


def check_type(name: str, value: Any, types: Any) -> None:
    """Check a Python type, e.g. check_type("bidirectional", bidirectional, bool); `types` is
    what isinstance takes (a type, a tuple of types or a union such as list | tuple).

    Raises:
        TypeError: `value` is not an instance of `types`.
    """
    if not isinstance(value, types):
        alternatives = types if isinstance(types, tuple) else getattr(types, "__args__", (types,))
        wanted = " or ".join(t.__name__ for t in alternatives)
        raise TypeError(f"{name}: expected {wanted}, received {type(value).__name__}")


def check_words(name: str, words: Any, nested: bool = False) -> None:
    """Check a sequence of words (or tags, symbols, features): a list or tuple, not a str, whose
    characters would silently become the words. With `nested`, a sequence of such sequences
    (a corpus of sentences), each checked and named name[i].

        >>> check_words("tokens", "not bad")
        Traceback (most recent call last):
        ...
        TypeError: tokens: expected a sequence of words (a list of str), received a str

    Raises:
        TypeError: `words` (or one of its sequences) is a str or not a sequence.
    """
    if isinstance(words, str) or not isinstance(words, Sequence):
        kind = "sequences of words" if nested else "words (a list of str)"
        raise TypeError(
            f"{name}: expected a sequence of {kind}, received a {type(words).__name__}"
        )
    if nested:
        for i, inner in enumerate(words):
            check_words(f"{name}[{i}]", inner)
