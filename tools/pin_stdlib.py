"""Write the book's larger pinned corpus: a share of the standard library's source, compressed.

Chapter 6's largest character model reads Python's own source code: the modules of the standard
library of one release (Python 3.11.7), chosen by a rule that needs no judgement, so that every
reader trains on the same characters (`unrolled.data` checks the SHA-256 of what is stored):

- every `Lib/**/*.py`, except tests (a path part starting with "test"), the bundled tools and
  data that are not library code (idlelib, lib2to3, turtledemo, ensurepip, site-packages),
  generated codec tables (encodings) and pydoc_data (the help pages the pydoc corpus is made of);
- only pure-ASCII files, so the alphabet is ASCII (14 files have other characters);
- of these, the modules whose path hashes below SHARE (SHA-256, a pinned pseudo-random share),
  which keeps the text at about 3 million characters: a Kneser-Ney model of order 16 then fits
  in a few GB of memory and an LSTM reads it in minutes per epoch.

    ~/.pyenv/versions/3.11.7/bin/python tools/pin_stdlib.py   # what the book was made with

Run it only to move the book to another release; then update STDLIB_SHA256 and STDLIB_PYTHON
in src/unrolled/data.py and re-run the experiments that read it.
"""

import hashlib
import json
import lzma
import platform
import sysconfig
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "src" / "unrolled" / "corpora"
SKIP = {"idlelib", "lib2to3", "turtledemo", "ensurepip", "site-packages", "encodings"}
SKIP |= {"pydoc_data", "__pycache__"}
SHARE = 0.4


def unit(key: str) -> float:
    """A pseudo-random number in [0, 1) fixed by `key` (the first 32 bits of its SHA-256)."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 2**32


lib = Path(sysconfig.get_paths()["stdlib"])
modules = {}
for path in sorted(lib.rglob("*.py")):
    parts = path.relative_to(lib).parts
    if any(part in SKIP or part.startswith("test") for part in parts):
        continue
    text = path.read_text(encoding="utf-8")
    name = "/".join(parts)
    if text.isascii() and unit(f"module:{name}") < SHARE:
        modules[name] = text
data = json.dumps(modules, indent=0) + "\n"
name = f"stdlib-{platform.python_version()}.json.xz"
(TARGET / name).write_bytes(lzma.compress(data.encode("utf-8"), preset=9))
print(
    f"{name}: {len(modules)} modules, {sum(map(len, modules.values()))} characters, "
    f"sha256 {hashlib.sha256(data.encode()).hexdigest()}"
)
