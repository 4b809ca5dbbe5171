"""The report as a reader sees it: opened in real headless Chromium (Debian's `chromium`, a
runner's Chrome, or Playwright's own build where the distribution's is a snap), driven by
Playwright, offline and with every non-file request refused.
It must render every section and figure, log no console error, ask the network for nothing,
fit a phone's width without the page itself scrolling sideways, and print to PDF.

A screenshot of each page is saved next to the test's report (or to $ISOBENCH_SCREENSHOT_DIR).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, Route, ViewportSize, sync_playwright

from harness.report import write_report
from tests.conftest import PROJECT_ROOT
from tests.reportdata import write_two_hosts

EXAMPLE_RESULTS = sorted((PROJECT_ROOT / "results" / "example").glob("*.jsonl"))
CHROMIUM_FLAGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--proxy-server=127.0.0.1:9",  # a closed port: anything that slips past the route fails
]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def chromium() -> str | None:
    """The browser's executable; None for Playwright's own build (what `.ci/setup --tests`
    installs on Ubuntu, whose chromium package is a stub for a snap)."""
    for name in ("chromium", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found and not found.startswith("/snap/"):  # a snap's confinement defeats Playwright
            return found
    with sync_playwright() as playwright:
        if Path(playwright.chromium.executable_path).is_file():
            return None
    pytest.skip("no Chromium to open the report in: `bash .ci/setup --tests` installs one")


def two_host_report(tmp_path: Path) -> Path:
    return write_report(list(write_two_hosts(tmp_path)), tmp_path / "two-hosts.html")


def example_report(tmp_path: Path) -> Path:
    assert EXAMPLE_RESULTS, "results/example/ holds the committed example run"
    return write_report(EXAMPLE_RESULTS, tmp_path / "example.html")


def open_offline(page: Page, url: str) -> tuple[list[str], list[str]]:
    """Load `url`; the console errors and page errors, and every request that is not the file."""
    errors: list[str] = []
    requests: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))

    def refuse_all_but_the_file(route: Route, request: Request) -> None:
        if request.url == url:
            route.continue_()
        else:
            requests.append(request.url)
            route.abort()

    page.route("**/*", refuse_all_but_the_file)
    page.goto(url, wait_until="load")
    return errors, requests


@pytest.mark.parametrize(
    "make_report", [two_host_report, example_report], ids=["two-hosts", "example"]
)
def test_the_report_renders_offline_without_errors_or_requests(
    chromium: str | None, tmp_path: Path, make_report: Callable[[Path], Path]
) -> None:
    report = make_report(tmp_path)
    shots = Path(os.environ.get("ISOBENCH_SCREENSHOT_DIR", tmp_path))
    url = report.resolve().as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                context = browser.new_context(offline=True, viewport=viewport)
                page = context.new_page()
                errors, requests = open_offline(page, url)
                assert errors == []
                assert requests == []
                for section in ("verdict", "startup", "throughput", "memory", "environment",
                                "quality", "method", "files"):  # fmt: skip
                    assert page.locator(f"section#{section} h2").is_visible()
                figures = page.locator("figure svg")
                assert figures.count() >= 4
                for index in range(figures.count()):
                    box = figures.nth(index).bounding_box()
                    assert box is not None
                    assert box["width"] > 100
                    assert box["height"] > 50
                    assert box["width"] <= viewport["width"]  # scaled to fit, phone included
                # wide tables scroll inside their own box; the page itself does not
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
                page.screenshot(path=shots / f"{report.stem}-{name}.png", full_page=name == "phone")
                if name == "desktop":  # printable: Chromium's own print path lays it out
                    assert page.pdf(format="A4").startswith(b"%PDF")
                context.close()
        finally:
            browser.close()
