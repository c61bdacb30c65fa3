"""The site: a strict build with zero warnings, complete, offline, and linked as promised.

The build runs once per session (see tests/site_build.py) and is shared with
tests/test_browser.py, which opens every page in a headless Chromium.
"""

from __future__ import annotations

import html as html_lib
import importlib
import inspect
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml
from site_build import ROOT, SiteBuild, check_site

BIB_KEYS = """goodfellow2016deep rumelhart1986learning hochreiter1997long pascanu2013difficulty
cho2014learning bahdanau2015neural elman1990finding jordan1986serial kneser1995improved
chen1999empirical box2015time karpathy2015unreasonable graves2013generating bengio1994learning
sutskever2014sequence mikolov2013efficient werbos1990backpropagation
schuster1997bidirectional""".split()


def toc_files() -> list[str]:
    """Every document of _toc.yml (root first, sections after their chapter), without
    extension, e.g. 'book/intro'."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc["parts"]:
        for chapter in part["chapters"]:
            files += [
                chapter["file"],
                *(section["file"] for section in chapter.get("sections", [])),
            ]
    return files


def chapter_notebooks() -> list[str]:
    """The numbered chapter notebooks of the table of contents (not their sections, not the
    appendix): each ends with its exercises."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    chapters = [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    return [n for n in chapters if n.startswith("notebooks/") and Path(n).name[:2].isdigit()]


class Anchors(HTMLParser):
    """The <a href> targets of a page, with the heading text of the section they are in."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []  # (href, current h2 heading)
        self.heading = ""
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "h2":
            self._in_h2, self.heading = True, ""
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append((href, self.heading))

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2":
            self._in_h2 = False

    def handle_data(self, data: str) -> None:
        if self._in_h2:
            self.heading += data


def anchors(page: Path) -> Anchors:
    parser = Anchors()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def page_text(page: Path) -> str:
    """The visible text of a page's article (no navigation), tags dropped, spaces collapsed."""
    html = page.read_text(encoding="utf-8")
    html = html[html.index("<article") : html.index("</article>")]
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_strict_build_has_no_warnings(site: SiteBuild) -> None:
    assert site.returncode == 0 and not site.warnings(), site.summary()
    assert "build succeeded" in site.output, site.summary()


def test_every_toc_page_is_built(site: SiteBuild) -> None:
    missing = [name for name in toc_files() if not (site.html / f"{name}.html").is_file()]
    assert not missing, f"no HTML for {missing}"
    assert (site.html / "index.html").is_file()


def test_no_external_resources(site: SiteBuild) -> None:
    problems = check_site.check_site(site.html)
    assert not problems, "\n".join(problems)


def test_mathjax_is_in_the_site(site: SiteBuild) -> None:
    notation = check_site.scan_page(site.html / "book" / "notation.html")
    assert notation.has_math
    assert any(src.endswith("_static/mathjax/tex-chtml.js") for src in notation.scripts)
    assert (site.html / "_static" / "mathjax" / "tex-chtml.js").is_file()


@pytest.mark.parametrize("name", chapter_notebooks())
def test_chapter_ends_with_notebook_and_exercise_downloads(site: SiteBuild, name: str) -> None:
    """The Exercises section offers exactly the chapter notebook and its exercise notebook."""
    page = site.html / f"{name}.html"
    stem = Path(name).name
    downloads = {}
    for href, heading in anchors(page).links:
        if "_downloads/" in href and "Exercises" in heading:
            file = (page.parent / unquote(urlsplit(href).path)).resolve()
            downloads[href] = file.read_bytes() if file.is_file() else b""
    wanted = {
        "notebook": (ROOT / "notebooks" / f"{stem}.ipynb").read_bytes(),
        "exercise": (ROOT / "exercises" / f"{stem}.ipynb").read_bytes(),
    }
    for what, content in wanted.items():
        assert content in downloads.values(), (
            f"{name}: no download of the {what} {stem}.ipynb in its Exercises section; "
            f"found {sorted(downloads)}"
        )


def test_chapters_are_parts_in_lecture_order() -> None:
    """Parts "1 ..." to "7 ..." in order, each holding its chapter NN-*: notebook or page."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    numbered = [part for part in toc["parts"] if part["caption"][0].isdigit()]
    assert [int(part["caption"].split()[0]) for part in numbered] == list(range(1, 8))
    for number, part in enumerate(numbered, start=1):
        for chapter in part["chapters"]:
            assert Path(chapter["file"]).name.startswith(f"{number:02d}-"), chapter
    assert chapter_notebooks(), "no chapter notebook in the table of contents"


def test_notation_page_maps_every_name(site: SiteBuild) -> None:
    text = page_text(site.html / "book" / "notation.html")
    names = [
        # PyTorch
        "weight_ih_l0",
        "weight_hh_l0",
        "bias_ih_l0",
        "bias_hh_l0",
        "batch_first=True",
        # CS231n
        "Wx",
        "Wh",
        "temporal_affine_forward",
        # the package
        "rnn_step_forward(x, h_prev, U, W, b)",
        "rnn_forward(x, h0, U, W, b, mask=None)",
        "output_forward(hs, V, c)",
        "softmax(o, axis=-1)",
        # shapes
        "(H, D)",
        "(N, T, D)",
        "(N, T, H)",
    ]
    missing = [name for name in names if name not in text]
    assert not missing, f"notation page lacks {missing}"


def plain_signature(function) -> str:
    """name(a, b, c=None) without annotations, as the notation page writes it."""
    parameters = [
        name if p.default is inspect.Parameter.empty else f"{name}={p.default!r}"
        for name, p in inspect.signature(function).parameters.items()
    ]
    return f"{function.__name__}({', '.join(parameters)})"


def test_notation_page_matches_the_package() -> None:
    """Every function the notation page lists exists, with that signature, in the module the
    sentence before its table names ("... lives in `unrolled.rnn`")."""
    source = (ROOT / "book" / "notation.md").read_text(encoding="utf-8")
    sections = re.split(r"lives?\s+in\s+`(unrolled\.\w+)`", source)[1:]
    checked = 0
    for module, text in zip(sections[::2], sections[1::2], strict=True):
        for written in re.findall(r"^\| `(\w+\([^`]*\))` \|", text, flags=re.M):
            function = getattr(importlib.import_module(module), written.split("(")[0])
            assert plain_signature(function) == written, f"{module}: {written}"
            checked += 1
    assert checked >= 4


def test_notation_equations_are_numbered_and_labelled(site: SiteBuild) -> None:
    html = (site.html / "book" / "notation.html").read_text(encoding="utf-8")
    labels = re.findall(r'id="equation-(notation-eq-[\w-]+)"', html)
    assert {"notation-eq-preactivation", "notation-eq-state", "notation-eq-output"} <= set(labels)
    assert html.count('class="eqno"') >= len(labels) >= 5


def test_bibliography_has_every_shared_key(site: SiteBuild) -> None:
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    keys = re.findall(r"^@\w+\{([^,\s]+),", bib, flags=re.M)
    assert len(keys) == len(set(keys)), "duplicate BibTeX keys"
    assert not set(BIB_KEYS) - set(keys)
    references = (site.html / "book" / "references.html").read_text(encoding="utf-8")
    assert references.count('role="doc-biblioentry"') == len(keys)
    for author in ["Hochreiter", "Elman", "Goodfellow", "Schuster"]:
        assert author in references


# The checker itself must catch what it claims to catch.

BAD_PAGE = """<html><head>
<script src="https://cdn.example.org/lib.js"></script>
<script src="//cdn.example.org/protocol-relative.js"></script>
<link rel="stylesheet" href="http://fonts.example.org/font.css">
<link rel="preconnect" href="https://fonts.example.org">
<style>@import url("https://example.org/imported.css"); body { background: url(//x.org/a.png) }
</style>
<script defer src="https://cdn.example.org/mathjax/tex-chtml.js"></script>
</head><body>
<img src="https://example.org/picture.png" srcset="local.png 1x, https://example.org/2x.png 2x">
<iframe src="https://example.org/embed"></iframe>
<div style="background-image: url('https://example.org/bg.png')">x</div>
<span class="math notranslate">\\(x\\)</span>
<a href="https://example.org/a-link-is-fine">ok</a>
</body></html>"""

GOOD_PAGE = """<html><head><link rel="stylesheet" href="_static/local.css">
<script src="_static/mathjax/tex-chtml.js"></script></head><body>
<img src="_images/plot.png" alt="plot"><span class="math">\\(x\\)</span>
<a href="https://example.org/">a link</a></body></html>"""


def test_checker_reports_every_kind_of_external_resource(tmp_path: Path) -> None:
    (tmp_path / "bad.html").write_text(BAD_PAGE, encoding="utf-8")
    report = "\n".join(check_site.check_site(tmp_path))
    for address in [
        "https://cdn.example.org/lib.js",
        "//cdn.example.org/protocol-relative.js",
        "http://fonts.example.org/font.css",
        "https://fonts.example.org",
        "https://example.org/imported.css",
        "//x.org/a.png",
        "https://example.org/picture.png",
        "https://example.org/2x.png",
        "https://example.org/embed",
        "https://example.org/bg.png",
        "MathJax is not served locally",
    ]:
        assert address in report
    assert "a-link-is-fine" not in report
    assert check_site.main(["check_site", str(tmp_path)]) == 1


def test_checker_passes_a_local_page_and_needs_the_mathjax_file(tmp_path: Path) -> None:
    (tmp_path / "good.html").write_text(GOOD_PAGE, encoding="utf-8")
    assert check_site.check_site(tmp_path) == [
        "good.html: MathJax script _static/mathjax/tex-chtml.js is missing from the site"
    ]
    (tmp_path / "_static" / "mathjax").mkdir(parents=True)
    (tmp_path / "_static" / "mathjax" / "tex-chtml.js").write_text("", encoding="utf-8")
    assert check_site.check_site(tmp_path) == []
    assert check_site.main(["check_site", str(tmp_path)]) == 0
    assert check_site.main(["check_site", str(tmp_path / "missing")]) == 2
