"""Sphinx: read the package's docstrings as the plain text they are written in.

The docstrings of `unrolled` follow Google's layout (Args:, Returns:, read by napoleon) but
their prose is plain text meant for `help()`: |a - b| is an absolute value, not an RST
substitution, and clip_grad_norm_ is PyTorch's name, not an RST link. This extension escapes
those two characters before napoleon and docutils see them, so the API page (book/api.md)
builds strictly without rewriting the docstrings.
"""

import re

from sphinx.application import Sphinx

TRAILING_UNDERSCORE = re.compile(r"(\w)_(?=\W|$)")  # clip_grad_norm_ (a name ending in _)


def escape(app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]):
    """autodoc-process-docstring: escape | and a name's trailing _ in every line, in place."""
    for i, line in enumerate(lines):
        lines[i] = TRAILING_UNDERSCORE.sub(r"\1\\_", line.replace("|", r"\|"))


def setup(app: Sphinx) -> dict[str, bool]:
    app.connect("autodoc-process-docstring", escape, priority=100)  # before napoleon's 500
    return {"parallel_read_safe": True, "parallel_write_safe": True}
