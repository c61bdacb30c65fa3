"""`make pdf`: the whole book as one PDF, printed offline by headless Chromium (tools/pdf.py).

tools/pdf.py runs once, into a temporary folder (a single-page build of about 20 s and about
20 s of printing). The tests check the PDF's page count, that nothing was cut at the right
margin, and, with `pdftotext` (Debian's poppler-utils), that the text of the PDF has every
chapter title, every equation number and the opening words of every figure caption of the
page that was printed, and a few known ones.

Needs Chromium at /usr/bin/chromium (Debian: apt-get install chromium), like
tests/test_browser.py.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "pdf.py"
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.is_file():
    pytest.skip(
        "make pdf prints the book with Chromium: install Chromium: apt-get install chromium",
        allow_module_level=True,
    )
sys.path.insert(0, str(TOOL.parent))
import pdf  # noqa: E402  (tools/ is not a package)


@dataclass(frozen=True)
class BookPdf:
    path: Path  # the PDF
    page: Path  # the single HTML page that was printed
    log: str  # what tools/pdf.py printed


@pytest.fixture(scope="module")
def book_pdf(tmp_path_factory: pytest.TempPathFactory) -> BookPdf:
    """`make pdf`'s command, building into and writing to a temporary folder."""
    folder = tmp_path_factory.mktemp("pdf")
    output = folder / "unrolled.pdf"
    command = [sys.executable, str(TOOL), "--path-output", str(folder), "--output", str(output)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    if result.returncode != 0 or not output.is_file():
        pytest.fail(f"tools/pdf.py failed (exit status {result.returncode}):\n{result.stderr}")
    return BookPdf(output, folder / "_build" / "singlehtml" / "unrolled.html", result.stdout)


def squashed(text: str) -> str:
    """Text without whitespace or hyphens: line breaks and hyphenation differ on paper."""
    return re.sub(r"[\s\-\u2010\u00ad]+", "", text)


def test_the_pdf_is_the_whole_book(book_pdf: BookPdf) -> None:
    assert book_pdf.path.read_bytes().startswith(b"%PDF-")
    pages = pdf.page_count(book_pdf.path)
    assert pages > 50, f"only {pages} pages"
    assert f"{book_pdf.path.resolve()}: {pages} pages" in book_pdf.log
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", book_pdf.path], capture_output=True, text=True)
        assert re.search(rf"^Pages:\s+{pages}$", info.stdout, re.MULTILINE), info.stdout


def test_nothing_is_cut_at_the_margin(book_pdf: BookPdf) -> None:
    assert "Warning:" not in book_pdf.log, book_pdf.log


@pytest.fixture(scope="module")
def pdf_text(book_pdf: BookPdf) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("reading the PDF's text needs pdftotext: apt-get install poppler-utils")
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", book_pdf.path, "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_the_text_has_known_titles_equations_and_captions(pdf_text: str) -> None:
    text = squashed(pdf_text)
    known = [
        "Backpropagation through time",  # chapter titles
        "Sequence to sequence with attention",
        "Licences and data",  # the back matter
        "How to cite",
        "Figure: the dynamical system",  # a figure caption of chapter 2
        "(1)",  # the first and a later equation number
        "(27)",
    ]
    missing = [words for words in known if squashed(words) not in text]
    assert not missing, f"not in the PDF's text: {missing}"


def test_the_text_has_everything_the_printed_page_has(book_pdf: BookPdf, pdf_text: str) -> None:
    page = book_pdf.page.read_text(encoding="utf-8")

    def plain(fragment: str) -> str:
        return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()

    titles = [plain(t) for t in re.findall(r"<h2>(.*?)<a class=\"headerlink\"", page)]
    equations = re.findall(r'<span class="eqno">(\(\d+\))', page)
    # The opening words of each caption, up to its first formula (MathJax's text differs).
    openings = re.findall(r"<p><em>(Figure.*?)</em></p>", page, re.DOTALL)
    captions = [" ".join(plain(c.split('<span class="math')[0]).split()[:6]) for c in openings]
    assert len(titles) >= 10 and len(equations) >= 50 and len(captions) >= 10
    text = squashed(pdf_text)
    missing = [words for words in titles + equations + captions if squashed(words) not in text]
    assert not missing, f"printed on the page but not in the PDF's text: {missing}"
