"""Check that the built site loads nothing from another host.

Scans every HTML page under a built site (default ``_build/html``) and reports each resource
that a browser would fetch from outside the site when it opens the page:

- ``<script src>``, ``<img src/srcset>``, ``<iframe src>``, ``<source>``, ``<video>``,
  ``<audio>``, ``<embed>``, ``<object data>``;
- ``<link href>`` whose ``rel`` makes the browser fetch it (stylesheet, icon, preload, ...);
- ``url(...)`` and ``@import`` in ``<style>`` blocks and ``style="..."`` attributes.

External means an absolute http(s) address or a protocol-relative one (``//host/...``).
Links a reader clicks (``<a href>``) are not resources and are allowed.

It also checks that every page with mathematics loads MathJax from a file inside the site.

Usage: ``python tools/check_site.py [SITE_DIR]``. Exit status 0 when clean, 1 when it found
a problem (each one printed as ``page: problem``), 2 when there is no built site.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Headless Chromium on a machine without a network: what the browser test and the PDF use.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# JavaScript (inside an async function) that waits until MathJax, if the page loads it, has
# typeset every formula and every image has loaded or failed: the browser test and the PDF.
PAGE_READY_JS = """\
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const images = Array.from(document.images);
  images.forEach((img) => { img.loading = "eager"; });
  await Promise.all(images.map((img) => img.complete ? null : new Promise((done) => {
    img.addEventListener("load", done);
    img.addEventListener("error", done);
  })));
"""

# <link rel=...> values that make the browser fetch (or connect to) the address by itself.
FETCHING_RELS = {
    "stylesheet",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "mask-icon",
    "manifest",
    "preload",
    "modulepreload",
    "prefetch",
    "preconnect",
    "dns-prefetch",
    "prerender",
}
# Attributes holding one address, per element.
RESOURCE_ATTRS = {
    "script": ("src",),
    "img": ("src",),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "source": ("src",),
    "track": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "input": ("src",),
}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)""", re.IGNORECASE)
CSS_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?['"]?([^'")\s;]+)""", re.IGNORECASE)


def is_external(url: str) -> bool:
    """True for an address on another host: http(s)://... or protocol-relative //...."""
    url = url.strip()
    return url.startswith("//") or urlsplit(url).scheme.lower() in ("http", "https")


def srcset_urls(srcset: str) -> list[str]:
    """The addresses of a ``srcset`` attribute ("a.png 1x, b.png 2x" -> [a.png, b.png])."""
    return [part.split()[0] for part in srcset.split(",") if part.split()]


def css_urls(css: str) -> list[str]:
    """Every address in ``url(...)`` or ``@import`` of a piece of CSS."""
    return CSS_URL.findall(css) + CSS_IMPORT.findall(css)


class PageScan(HTMLParser):
    """Collects the resources of one HTML page (feed it the page's text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.resources: list[tuple[str, str]] = []  # (which tag and attribute, address)
        self.scripts: list[str] = []  # every <script src>, in page order
        self.has_math = False  # an element of class "math" (Sphinx's math markup)
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in RESOURCE_ATTRS.get(tag, ()):
            if values.get(name):
                self.resources.append((f"<{tag} {name}>", values[name]))
        if tag in ("img", "source") and values.get("srcset"):
            for url in srcset_urls(values["srcset"]):
                self.resources.append((f"<{tag} srcset>", url))
        if tag == "link" and values.get("href"):
            rels = set(values.get("rel", "").lower().split())
            if rels & FETCHING_RELS:
                self.resources.append((f"<link rel={values['rel']}>", values["href"]))
        if values.get("style"):
            for url in css_urls(values["style"]):
                self.resources.append((f"<{tag} style>", url))
        if tag == "script" and values.get("src"):
            self.scripts.append(values["src"])
        if "math" in values.get("class", "").split():
            self.has_math = True
        if tag == "style":
            self._in_style = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            for url in css_urls(data):
                self.resources.append(("<style>", url))


def scan_page(path: Path) -> PageScan:
    """Parse one HTML file."""
    scan = PageScan()
    scan.feed(path.read_text(encoding="utf-8"))
    scan.close()
    return scan


def mathjax_problems(page: Path, scan: PageScan) -> list[str]:
    """Problems with MathJax on a page that has math: missing, external, or file absent."""
    mathjax = [src for src in scan.scripts if "mathjax" in src.lower()]
    if not mathjax:
        return ["page has math but loads no MathJax script"]
    problems = []
    for src in mathjax:
        if is_external(src):
            problems.append(f"MathJax is not served locally: {src}")
            continue
        target = page.parent / unquote(urlsplit(src).path)
        if not target.is_file():
            problems.append(f"MathJax script {src} is missing from the site")
    return problems


def html_pages(site: Path) -> list[Path]:
    """Every HTML page of the site (the theme's _static files are not pages)."""
    return sorted(p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


def check_site(site: Path) -> list[str]:
    """Every problem found in the site, as 'relative/page.html: message' lines."""
    problems = []
    for page in html_pages(site):
        scan = scan_page(page)
        found = [f"external {what} {url}" for what, url in scan.resources if is_external(url)]
        if scan.has_math:
            found += mathjax_problems(page, scan)
        name = page.relative_to(site).as_posix()
        problems += [f"{name}: {message}" for message in found]
    return problems


def main(argv: list[str]) -> int:
    site = Path(argv[1] if len(argv) > 1 else "_build/html")
    pages = html_pages(site) if site.is_dir() else []
    if not pages:
        print(f"check_site: no HTML pages under {site}; build the site first (make book)")
        return 2
    problems = check_site(site)
    for line in problems:
        print(line)
    verdict = f"{len(problems)} problem(s)" if problems else "no external resources"
    print(f"check_site: {len(pages)} pages in {site}: {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
