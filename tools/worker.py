"""The grading worker: runs a student's notebook inside the sandbox and answers function calls.

tools/sandbox.py starts this file in a sandbox (no network, no files but Python and NumPy, a
scratch directory, limits on time, memory and processes) with two pipes: the grader writes
requests to the first and reads replies from the second. The worker

1. reads the notebook's code cells and runs them in order, like a kernel would: a cell that
   raises is reported and skipped, IPython magics (``%...``, ``!...``) are dropped, and
   ``otter`` is a stand-in whose ``grader.check`` does nothing (no test is ever visible here);
2. then answers ``call`` requests: the grader's tests run in the grader's own process and call
   the student's functions through this worker, sending the arguments and receiving the result
   (and the arguments as the call left them, for functions that work in place).

Only plain data crosses the pipes, in the format of ``encode``/``decode``: None, bools, numbers,
strings, lists, tuples, dicts and NumPy arrays (as ``.npy`` bytes, read back with
``allow_pickle=False``), so nothing the student returns can run code in the grader.

    python worker.py REQUEST_FD REPLY_FD
"""

import base64
import io
import json
import os
import re
import struct
import sys
import traceback
import types
from collections import Counter

import numpy as np

MAX_MESSAGE = 256 * 2**20  # bytes; a larger message is refused by either side
MAGIC = re.compile(r"^\s*[%!]")


class WireError(ValueError):
    """A value that cannot cross the pipe, or a malformed message."""


def encode(value: object) -> object:
    """A JSON-able tree for a plain value; WireError for anything else."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):  # bool was handled above
        if isinstance(value, float) and not np.isfinite(value):
            return {"float": repr(value)}
        return value
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise WireError("arrays of Python objects cannot be sent")
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        kind = "array" if isinstance(value, np.ndarray) else "scalar"
        return {kind: base64.b64encode(buffer.getvalue()).decode()}
    if isinstance(value, list | tuple):
        return {type(value).__name__: [encode(item) for item in value]}
    if isinstance(value, dict):  # Counter included; it arrives as a dict
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    raise WireError(f"values of type {type(value).__name__} cannot be sent")


def decode(tree: object) -> object:
    """The value of a tree made by ``encode``; WireError for anything malformed."""
    if tree is None or isinstance(tree, bool | str | int | float):
        return tree
    if not (isinstance(tree, dict) and len(tree) == 1):
        raise WireError("malformed value")
    [(kind, body)] = tree.items()
    if kind == "float":
        return float(body)
    if kind in ("array", "scalar"):
        array = np.load(io.BytesIO(base64.b64decode(body)), allow_pickle=False)
        return array if kind == "array" else array[()]
    if kind == "list":
        return [decode(item) for item in body]
    if kind == "tuple":
        return tuple(decode(item) for item in body)
    if kind == "dict":
        pairs = [(decode(k), decode(v)) for k, v in body]
        try:
            return dict(pairs)
        except TypeError as error:  # an unhashable key
            raise WireError(str(error)) from None
    raise WireError(f"unknown kind {kind!r}")


def send(fd: int, message: dict) -> None:
    """Write one message: 8 bytes of length, then the JSON."""
    data = json.dumps(message).encode()
    if len(data) > MAX_MESSAGE:
        raise WireError(f"message of {len(data)} bytes exceeds {MAX_MESSAGE}")
    data = struct.pack("<Q", len(data)) + data
    while data:
        data = data[os.write(fd, data) :]


def receive(fd: int) -> dict:
    """Read one message written by ``send``; EOFError when the other side has gone."""
    (size,) = struct.unpack("<Q", read_exactly(fd, 8))
    if size > MAX_MESSAGE:
        raise WireError(f"message of {size} bytes exceeds {MAX_MESSAGE}")
    message = json.loads(read_exactly(fd, size))
    if not isinstance(message, dict):
        raise WireError("a message must be a JSON object")
    return message


def read_exactly(fd: int, size: int) -> bytes:
    chunks, missing = [], size
    while missing:
        chunk = os.read(fd, min(missing, 2**20))
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def otter_stand_in() -> types.ModuleType:
    """A module named otter whose Notebook accepts any call and checks nothing."""

    class Notebook:
        def __init__(self, *args: object, **kwargs: object) -> None:
            pass

        def __getattr__(self, name: str):
            return lambda *args, **kwargs: None

    module = types.ModuleType("otter")
    module.Notebook = Notebook
    return module


def run_cells(cells: list[str], namespace: dict) -> list[str]:
    """Run the code cells in order; return one line per cell that raised."""
    errors = []
    for number, source in enumerate(cells, start=1):
        if source.lstrip().startswith("%%"):
            continue  # a cell magic: the whole cell is for IPython
        code = "\n".join("" if MAGIC.match(line) else line for line in source.splitlines())
        try:
            exec(compile(code, f"<cell {number}>", "exec"), namespace)
        except BaseException as error:  # SystemExit and KeyboardInterrupt too, as a kernel does
            errors.append(f"cell {number}: {type(error).__name__}: {error}"[:300])
    return errors


def serve(requests: int, replies: int) -> None:
    """Run the notebook sent first, then answer calls until the grader closes the pipe."""
    sys.modules["otter"] = otter_stand_in()
    namespace = {"__name__": "__main__", "Counter": Counter}
    cells = receive(requests)["cells"]
    errors = run_cells(cells, namespace)
    names = sorted(name for name, value in namespace.items() if callable(value))
    send(replies, {"ok": True, "names": names, "errors": errors})
    while True:
        try:
            request = receive(requests)
        except EOFError:
            return
        send(replies, answer(request, namespace))


def answer(request: dict, namespace: dict) -> dict:
    """Call one function of the notebook; the result, or the error as text."""
    try:
        function = namespace[request["name"]]
        args, kwargs = decode(request["args"]), decode(request["kwargs"])
        value = function(*args, **kwargs)
        return {
            "ok": True,
            "value": encode(value),
            "args": encode(args),
            "kwargs": encode(kwargs),
        }
    except BaseException as error:
        last = traceback.format_exception_only(type(error), error)[-1].strip()
        return {"ok": False, "error": last[:1000]}


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
