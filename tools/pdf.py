"""Write the whole book as one PDF, offline: `make pdf` -> _build/pdf/unrolled.pdf.

    python tools/pdf.py [--path-output DIR] [--output FILE]

1. Build the book with Jupyter Book's single-page HTML builder, as strictly as `make book`:
   ``jupyter-book build -W -n --keep-going --builder singlehtml . [--path-output DIR]``
   (no notebook is executed: _config.yml has ``execute_notebooks: "off"``, so the pages show
   the outputs stored in the notebooks). The page goes to DIR/_build/singlehtml/.
2. Copy that page to the root of the build as ``unrolled.html`` (Sphinx writes it as
   book/intro.html but its links to _static/ and _images/ are relative to the root), with a
   print stylesheet: every chapter starts on a new page, the text fills the width between the
   margins, code wraps instead of scrolling, collapsed code cells and the site's buttons are
   left out.
3. Open it from file:// in headless Chromium (/usr/bin/chromium, driven by Playwright, with
   every request outside the build refused), wait until MathJax (served from the build by
   sphinx-mathjax-offline) has typeset every formula and every image has loaded, scale each
   display formula that is wider than the text down to fit, and print the page to an A4 PDF
   (body text 10 pt) with page numbers. Anything still wider than the text is cut and named
   in a warning.

Needs Chromium (Debian: apt-get install chromium); without it the script says so and stops
before building anything. The exit status is 0 when the PDF was written, 1 when the build or
the printing failed, 2 when Chromium is missing.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from check_site import (
    CHROMIUM_ARGS,
    PAGE_READY_JS,
)  # tools/ is on the path: this script lives there

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"
STRICT_FLAGS = ["-W", "-n", "--keep-going"]
TIMEOUT_MS = 300_000  # loading and typesetting the whole book on a busy 2-core machine
# Sphinx's single page redirects from index.html to the root document.
REDIRECT = re.compile(r'<meta http-equiv="Refresh" content="0; url=([^"]+)"', re.IGNORECASE)
MARGIN_MM = 16
SCALE = 0.85  # the site's 16 px body text becomes 10 pt on paper
# Lay the page out as wide as the printed text (A4 is 210 mm; CSS has 96 px to 25.4 mm, and
# printing scales by SCALE), so that what is too wide for the page is found before printing.
TEXT_WIDTH_PX = round((210 - 2 * MARGIN_MM) / 25.4 * 96 / SCALE)
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colours in jupyter-book's log
PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")  # one per page object (not /Pages)

PRINT_CSS = """<style media="print">
/* tools/pdf.py: the single-page site printed as a book. Each chapter starts a page. */
span[id^="document-"] { display: block; break-before: page; }
/* The text takes the width between the page margins. */
.bd-main .bd-content, .bd-main .bd-content .bd-article-container .bd-article {
  margin: 0 !important; padding: 0 !important; max-width: none !important; }
.bd-main .bd-content .bd-article-container { max-width: none !important; }
/* Code is small enough for 99 characters a line (ruff's limit); longer lines wrap at the
   margin instead of scrolling, and long cells continue on the next page. */
pre { font-size: 0.8rem !important; white-space: pre-wrap !important; overflow-wrap: anywhere;
  overflow: visible !important; }
div.highlight, div[class*="highlight-"], div.literal-block-wrapper, div.cell, div.cell_input,
div.cell_output { display: block !important; break-inside: auto !important;
  overflow: visible !important; }
/* Tables take the text width; the site's scrolling wrappers do not cut them. */
.pst-scrollable-table-container, .table-wrapper { overflow: visible !important; }
table { width: 100% !important; break-inside: auto !important; }
td, th { overflow-wrap: break-word; }
td code, td code *, th code, th code * { overflow-wrap: anywhere !important; }
td code.literal span.pre, th code.literal span.pre { white-space: normal; }
/* WAIT_FOR_PAGE scales a formula wider than the text down; one that is still wider is cut
   rather than letting Chromium shrink every page to fit it. */
div.math, mjx-container { max-width: 100%; overflow-x: clip !important; }
figure, img, mjx-container[display="true"] { break-inside: avoid; }
img { max-width: 100% !important; height: auto; }
h1, h2, h3, h4, h5 { break-after: avoid; }
/* Collapsed cells stay collapsed (paper cannot open them); no buttons of the site. */
details.hide, button.copybtn, a.headerlink, .prev-next-area { display: none !important; }
</style>
"""

FOOTER = (
    '<div style="font-size: 8px; width: 100%; text-align: center; color: #555;">'
    "Unrolled &middot; text CC BY 4.0, code MIT &middot; "
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)

# After the load event: wait for MathJax and for every image and font, then say what is on
# the page (formulas typeset, formulas left as TeX, MathJax errors, images that failed).
WAIT_FOR_PAGE = (
    "async () => {\n"
    + PAGE_READY_JS
    + r"""  await document.fonts.ready;
  // A display formula wider than the text is scaled down to fit (MathJax 3 cannot break
  // lines); then list what still does not fit, by its first words.
  const words = (e) => e.textContent.replace(/\s+/g, " ").trim().slice(0, 60);
  const scaled = [];
  for (const box of document.querySelectorAll('mjx-container[display="true"]')) {
    const room = box.getBoundingClientRect().width;
    const needed = box.firstElementChild.getBoundingClientRect().width;
    if (needed > room + 1) {
      const size = parseFloat(getComputedStyle(box).fontSize);
      box.style.fontSize = (0.98 * size * room / needed) + "px";
      scaled.push(0.98 * room / needed);
    }
  }
  const width = document.documentElement.clientWidth;
  const wide = Array.from(document.querySelectorAll("mjx-container"))
    .filter((box) => box.firstElementChild.getBoundingClientRect().width
                     > box.getBoundingClientRect().width + 1)
    .map((box) => "formula: " + words(box.querySelector("mjx-assistive-mml") || box));
  for (const e of document.querySelectorAll("body *")) {
    if (!e.closest("mjx-container") && e.getBoundingClientRect().right > width + 1
        && !Array.from(e.children).some((c) => c.getBoundingClientRect().right > width + 1)) {
      wide.push(e.tagName.toLowerCase() + ": " + words(e));
    }
  }
  return {
    scaled: scaled,
    too_wide: wide,
    typeset: document.querySelectorAll("mjx-container").length,
    untypeset: Array.from(document.querySelectorAll("span.math, div.math"))
                    .filter((e) => !e.querySelector("mjx-container")).length,
    math_errors: document.querySelectorAll("mjx-merror").length,
    broken_images: images.filter((img) => !img.complete || img.naturalWidth === 0)
                         .map((img) => img.getAttribute("src")),
  };
}"""
)


def build_single_page(path_output: Path) -> Path:
    """Build the book strictly as one HTML page; return the builder's folder (singlehtml/).

    Raises RuntimeError with the build's warnings when the build fails or writes nothing."""
    command = [str(JUPYTER_BOOK), "build", *STRICT_FLAGS, "--builder", "singlehtml", "."]
    command += ["--path-output", str(path_output)]
    result = subprocess.run(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    folder = path_output / "_build" / "singlehtml"
    if result.returncode != 0 or not (folder / "index.html").is_file():
        lines = ANSI.sub("", result.stdout).splitlines()
        problems = [line for line in lines if "WARNING" in line or "ERROR" in line]
        more = [f"... and {len(problems) - 10} more"] if len(problems) > 10 else []
        raise RuntimeError(
            f"the single-page build failed (exit status {result.returncode}); `make book` "
            "shows the same problems:\n" + "\n".join(problems[:10] + more + lines[-3:])
        )
    return folder


def printable_page(folder: Path) -> Path:
    """Write folder/unrolled.html: the single page, moved to the root, with the print style."""
    redirect = REDIRECT.search((folder / "index.html").read_text(encoding="utf-8"))
    if redirect is None:
        raise RuntimeError(f"{folder / 'index.html'} does not redirect to the book's page")
    html = (folder / redirect.group(1)).read_text(encoding="utf-8")
    if "</head>" not in html:
        raise RuntimeError(f"{folder / redirect.group(1)} has no </head>")
    page = folder / "unrolled.html"
    page.write_text(html.replace("</head>", PRINT_CSS + "</head>", 1), encoding="utf-8")
    return page


def print_pdf(page: Path, pdf: Path) -> dict:
    """Print page (a file of the build) to pdf in headless Chromium; return what it showed.

    Raises RuntimeError if a formula was not typeset, MathJax reported an error or an image
    did not load; every request outside the build's folder is refused and reported too."""
    from playwright.sync_api import sync_playwright  # pinned in requirements.txt

    site = page.parent.resolve().as_uri() + "/"
    refused: list[str] = []

    def only_the_build(route, request) -> None:
        if request.url.startswith((site, "data:", "blob:")):
            route.continue_()
        else:
            refused.append(request.url)
            route.abort()

    with tempfile.TemporaryDirectory(prefix="unrolled-pdf-chromium-") as profile:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch_persistent_context(
                profile,
                executable_path=str(CHROMIUM),
                args=CHROMIUM_ARGS,
                headless=True,
                service_workers="block",
                viewport={"width": TEXT_WIDTH_PX, "height": 1000},
            )
            try:
                browser.route("**/*", only_the_build)
                tab = browser.new_page()
                tab.set_default_timeout(TIMEOUT_MS)
                tab.emulate_media(media="print")
                tab.goto(page.resolve().as_uri(), wait_until="load")
                report = tab.evaluate(WAIT_FOR_PAGE)
                pdf.parent.mkdir(parents=True, exist_ok=True)
                tab.pdf(
                    path=str(pdf),
                    format="A4",
                    scale=SCALE,
                    print_background=True,
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=FOOTER,
                    margin={side: f"{MARGIN_MM}mm" for side in ("top", "bottom", "left", "right")},
                )
            finally:
                browser.close()
    problems = []
    if report["untypeset"]:
        problems.append(f"{report['untypeset']} formulas were not typeset by MathJax")
    if report["math_errors"]:
        problems.append(f"MathJax reported {report['math_errors']} errors")
    if report["broken_images"]:
        problems.append(f"images that did not load: {report['broken_images']}")
    if refused:
        problems.append(f"requests outside the build were refused: {sorted(set(refused))}")
    if problems:
        raise RuntimeError("; ".join(problems))
    return report


def page_count(pdf: Path) -> int:
    """The number of pages of a PDF that Chromium wrote (its page objects are not compressed)."""
    return len(PAGE.findall(pdf.read_bytes()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--path-output",
        type=Path,
        default=ROOT,
        help="build into DIR/_build/singlehtml (default: the repository)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "_build" / "pdf" / "unrolled.pdf",
        help="the PDF to write (default: _build/pdf/unrolled.pdf)",
    )
    args = parser.parse_args(argv)
    if not CHROMIUM.is_file():
        print(
            f"make pdf prints the book with Chromium, and {CHROMIUM} is not installed.\n"
            "Install it (Debian: apt-get install chromium) and run make pdf again.",
            file=sys.stderr,
        )
        return 2
    start = time.perf_counter()
    try:
        print("Building the book as one HTML page ...", flush=True)
        page = printable_page(build_single_page(args.path_output.resolve()))
        print(f"Printing {page} with Chromium ...", flush=True)
        report = print_pdf(page, args.output)
    except RuntimeError as error:
        print(f"No PDF was written: {error}", file=sys.stderr)
        return 1
    if report["scaled"]:
        scaled = report["scaled"]
        print(f"{len(scaled)} wide formulas were scaled to fit, the most to {min(scaled):.0%}.")
    if report["too_wide"]:
        print(f"Warning: wider than the page, so cut at the margin ({len(report['too_wide'])}):")
        print("\n".join(f"  {passage}" for passage in report["too_wide"]))
    size = args.output.stat().st_size / 1e6
    print(
        f"The PDF is at {args.output.resolve()}: {page_count(args.output)} pages, {size:.1f} MB, "
        f"{report['typeset']} formulas ({time.perf_counter() - start:.0f} s)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
