"""Write the book's pinned text corpus: the help topics of the running Python, compressed.

The book trains its character models on Python's own help pages (`pydoc_data.topics`), whose
text changes with every Python release. So that every reader trains on the same characters, the
topics of one release are stored in the package, and `unrolled.data` checks their SHA-256:

    ~/.pyenv/versions/3.11.7/bin/python tools/pin_pydoc.py   # what the book was made with

Run it only to move the book to another release; then update PYDOC_SHA256 and PYDOC_PYTHON in
src/unrolled/data.py and re-run every notebook that reads the corpus.
"""

import hashlib
import json
import lzma
import platform
from pathlib import Path
from pydoc_data.topics import topics

TARGET = Path(__file__).resolve().parent.parent / "src" / "unrolled" / "corpora"

text = json.dumps(dict(sorted(topics.items())), ensure_ascii=False, indent=0) + "\n"
name = f"pydoc-topics-{platform.python_version()}.json.xz"
(TARGET / name).write_bytes(lzma.compress(text.encode("utf-8"), preset=9))
print(f"{name}: {len(topics)} topics, sha256 {hashlib.sha256(text.encode()).hexdigest()}")
