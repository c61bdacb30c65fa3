"""Every page of the built site, opened in a real headless Chromium, offline.

The site (built once per session by tests/site_build.py) is served from 127.0.0.1 and every
request to any other host is blocked and recorded. Each page is visited once; the tests then
check what was recorded: no console errors, no blocked requests, every image decoded, the
mathematics typeset by the site's own MathJax, and every internal link (and its #fragment)
leading somewhere.

Needs Chromium at /usr/bin/chromium (Debian: apt-get install chromium); Playwright drives it
and never downloads a browser of its own.
"""

from __future__ import annotations

import functools
import re
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest
from site_build import SiteBuild, check_site

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.is_file():
    pytest.skip(
        "headless browser tests need Chromium: install Chromium: apt-get install chromium",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM_ARGS = check_site.CHROMIUM_ARGS
TIMEOUT_MS = 20_000
# jupyter-book writes index.html as nothing but a redirect to the root page.
REDIRECT = re.compile(r'<meta http-equiv="Refresh" content="0; url=([^"]+)"', re.IGNORECASE)

# After the load event: wait for MathJax (if the page loads it) to finish typesetting, and for
# every image to load or fail, then report what the page shows.
INSPECT_PAGE = (
    "async () => {\n"
    + check_site.PAGE_READY_JS
    + """  return {
    mathjax: Boolean(window.MathJax && MathJax.startup && MathJax.startup.promise),
    typeset: document.querySelectorAll("mjx-container").length,
    untypeset: Array.from(document.querySelectorAll("span.math, div.math"))
                    .filter((e) => !e.querySelector("mjx-container"))
                    .map((e) => e.textContent.trim().slice(0, 80)),
    math_errors: Array.from(document.querySelectorAll("mjx-merror"),
                            (e) => e.getAttribute("data-mjx-error") || e.textContent),
    broken_images: images.filter((img) => !img.complete || img.naturalWidth === 0)
                         .map((img) => img.getAttribute("src")),
    links: Array.from(document.querySelectorAll("a[href]"), (a) => a.href),
  };
}"""
)


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves the site's files without logging every request to stderr."""

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class PageVisit:
    """What one page did in the browser."""

    console_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # requests to other hosts
    has_math: bool = False  # the page's HTML contains Sphinx math markup
    report: dict = field(default_factory=dict)  # the result of INSPECT_PAGE
    final_url: str = ""  # where the browser ended up (differs for a redirect)


class Ids(HTMLParser):
    """Every id attribute of a page: the targets a #fragment can point to."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("id", "name") and value:
                self.ids.add(value)


@functools.cache
def page_ids(path: Path) -> frozenset[str]:
    parser = Ids()
    parser.feed(path.read_text(encoding="utf-8"))
    return frozenset(parser.ids)


@pytest.fixture(scope="module")
def server(site: SiteBuild) -> Iterator[str]:
    """The built site over http on a free port of 127.0.0.1; yields the base URL."""
    handler = functools.partial(QuietHandler, directory=str(site.html))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture(scope="module")
def visits(site: SiteBuild, server: str) -> dict[str, PageVisit]:
    """Open every HTML page once; map its path (relative to the site) to what happened."""
    pages = check_site.html_pages(site.html)
    assert pages, "the build produced no pages"
    origin = urlsplit(server).netloc
    results: dict[str, PageVisit] = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        context = browser.new_context(service_workers="block")
        current: list[PageVisit] = []

        def only_local(route, request) -> None:
            if urlsplit(request.url).netloc == origin or request.url.startswith(
                ("data:", "blob:")
            ):
                route.continue_()
            else:
                current[-1].blocked.append(request.url)
                route.abort()

        context.route("**/*", only_local)
        for path in pages:
            name = path.relative_to(site.html).as_posix()
            visit = PageVisit(has_math=check_site.scan_page(path).has_math)
            current.append(visit)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.on(
                "console",
                lambda message, v=visit: (
                    v.console_errors.append(message.text) if message.type == "error" else None
                ),
            )
            page.on("pageerror", lambda error, v=visit: v.console_errors.append(str(error)))
            page.goto(server + name, wait_until="load")
            redirect = REDIRECT.search(path.read_text(encoding="utf-8"))
            if redirect:
                target = urljoin(server + name, redirect.group(1))
                page.wait_for_url(target, wait_until="load")
                visit.has_math = check_site.scan_page(
                    site.html / unquote(urlsplit(target).path).lstrip("/")
                ).has_math
            visit.report = page.evaluate(INSPECT_PAGE)
            visit.final_url = page.url
            page.close()
            results[name] = visit
        context.close()
        browser.close()
    return results


def failures(visits: dict[str, PageVisit], problem) -> str:
    """'page: problem' lines for every page where problem(visit) is not empty."""
    lines = [f"{name}: {problem(visit)}" for name, visit in visits.items() if problem(visit)]
    return "\n".join(lines)


def test_every_page_was_visited(server: str, visits: dict[str, PageVisit]) -> None:
    assert "book/intro.html" in visits and "book/notation.html" in visits
    assert len(visits) >= 12
    assert visits["index.html"].final_url == server + "book/intro.html"


def test_no_request_leaves_the_machine(visits: dict[str, PageVisit]) -> None:
    report = failures(visits, lambda visit: visit.blocked)
    assert not report, f"requests to other hosts were attempted:\n{report}"


def test_no_console_errors(visits: dict[str, PageVisit]) -> None:
    report = failures(visits, lambda visit: visit.console_errors)
    assert not report, f"console errors:\n{report}"


def test_every_image_loads(visits: dict[str, PageVisit]) -> None:
    report = failures(visits, lambda visit: visit.report["broken_images"])
    assert not report, f"images that did not load:\n{report}"


def test_math_is_typeset_by_local_mathjax(visits: dict[str, PageVisit]) -> None:
    math_pages = {name: visit for name, visit in visits.items() if visit.has_math}
    assert "book/notation.html" in math_pages
    no_mathjax = failures(
        math_pages,
        lambda visit: "" if visit.report["mathjax"] and visit.report["typeset"] else "no math",
    )
    assert not no_mathjax, f"pages whose math MathJax did not typeset:\n{no_mathjax}"
    untypeset = failures(math_pages, lambda visit: visit.report["untypeset"])
    assert not untypeset, f"math left as source text:\n{untypeset}"
    errors = failures(math_pages, lambda visit: visit.report["math_errors"])
    assert not errors, f"MathJax could not parse:\n{errors}"


def test_internal_links_resolve(
    site: SiteBuild, server: str, visits: dict[str, PageVisit]
) -> None:
    """Every same-site link returns 200, and its #fragment is an id on the target page."""
    targets: dict[str, set[str]] = {}  # url without fragment -> fragments used
    for visit in visits.values():
        for link in visit.report["links"]:
            if link.startswith(server):
                url, fragment = urldefrag(link)
                targets.setdefault(url, set()).add(unquote(fragment))
    assert len(targets) >= len(visits)
    broken = []
    for url, fragments in sorted(targets.items()):
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                status = response.status
        except OSError as error:  # HTTPError (404) is an OSError
            status = getattr(error, "code", error)
        if status != 200:
            broken.append(f"{url}: {status}")
            continue
        path = site.html / unquote(urlsplit(url).path).lstrip("/")
        if path.is_dir():
            path = path / "index.html"
        if path.suffix == ".html":
            missing = sorted(f for f in fragments if f and f not in page_ids(path))
            broken += [f"{url}#{fragment}: no such id" for fragment in missing]
    assert not broken, "broken internal links:\n" + "\n".join(broken)
