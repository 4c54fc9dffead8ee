"""Browser journeys: Playwright's sync API drives Debian's Chromium against the live server.

Chromium comes from the system (``apt-get install chromium``): Playwright's own browser download
cannot work here. Without ``/usr/bin/chromium`` these tests are skipped, except in CI (``CI`` set),
where a missing browser is a failure. Every page a test visits is saved as a screenshot under
``test-artifacts/`` (git-ignored), and every test can assert that its pages logged no console
errors, failed no request and asked nothing of any host but the live server.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# Violations of these impacts fail a page (WCAG 2.1 AA rules and axe's best practices).
AXE_FAILING_IMPACTS = ("serious", "critical")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Schemes a page may use without any network request leaving the live server.
LOCAL_SCHEMES = ("data:", "blob:", "about:")

# Basic accessibility, without axe-core: a language on <html>, a title, alt on every image, and a
# label (or an ARIA name) on every form control a user fills in.
ACCESSIBILITY_PROBLEMS_JS = """
() => {
  const problems = [];
  if (!document.documentElement.getAttribute("lang")) problems.push("<html> has no lang");
  if (!document.title.trim()) problems.push("the page has no <title>");
  if (!document.querySelector("h1")) problems.push("the page has no <h1>");
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push(`<img src="${img.src}"> has no alt`);
  }
  const skipped = new Set(["hidden", "submit", "button", "reset", "image"]);
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.tagName === "INPUT" && skipped.has(el.type)) continue;
    const labelled =
      (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) ||
      el.closest("label") ||
      (el.getAttribute("aria-label") || "").trim() ||
      el.getAttribute("aria-labelledby") ||
      (el.getAttribute("title") || "").trim();
    if (!labelled) problems.push(`<${el.tagName.toLowerCase()} name="${el.name}"> has no label`);
  }
  return problems;
}
"""


HORIZONTAL_OVERFLOW_JS = """
() => {
  let worst = document.scrollingElement.scrollWidth - window.innerWidth;
  for (const el of document.querySelectorAll("main *")) {
    const overflowX = getComputedStyle(el).overflowX;
    if (overflowX === "auto" || overflowX === "scroll") {
      worst = Math.max(worst, el.scrollWidth - el.clientWidth);
    }
  }
  return worst;
}
"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API keeps an asyncio loop on this thread; Django would refuse ORM calls
    # made from it (factories in the tests) unless told that this is deliberate.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def axe_script() -> str:
    """axe-core (MPL-2.0, Deque Systems) as the dev dependency ``axe-playwright-python`` ships
    it: no network at test time. Missing, it fails under CI and skips elsewhere."""
    spec = importlib.util.find_spec("axe_playwright_python")
    if spec is None or spec.origin is None:
        message = "axe-playwright-python is missing: pip install -e '.[dev]'"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return (Path(spec.origin).parent / "axe.min.js").read_text(encoding="utf-8")


@dataclass
class Browsing:
    """One test's page, with everything it saw recorded."""

    page: Page
    base_url: str
    name: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    error_responses: list[str] = field(default_factory=list)
    screenshots: list[Path] = field(default_factory=list)

    def visit(self, path: str) -> None:
        response = self.page.goto(self.base_url + path)
        assert response is not None and response.ok, f"GET {path}: {response and response.status}"
        self.screenshot()

    def screenshot(self, label: str | None = None) -> Path:
        """Save what the page shows now: ``test-artifacts/<test>-<n>-<label or path>.png``."""
        self.page.wait_for_load_state("load")
        if label is None:
            label = self.page.url.removeprefix(self.base_url).strip("/") or "home"
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-")[:60]
        path = ARTIFACTS / f"{self.name}-{len(self.screenshots) + 1:02d}-{slug}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.screenshots.append(path)
        return path

    def accessibility_problems(self) -> list[str]:
        return self.page.evaluate(ACCESSIBILITY_PROBLEMS_JS)

    def axe_violations(self, impacts: tuple[str, ...] = AXE_FAILING_IMPACTS) -> list[str]:
        """axe-core's violations of the page as it is now, of the given impacts, one line each
        (rule, impact, the first offending elements). The script is evaluated through the
        browser's debugging protocol, so the page's CSP (script-src 'self') does not block it."""
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(axe_script())
        violations = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        return [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(" ".join(node["target"]) for node in v["nodes"][:3])
            for v in violations
            if v["impact"] in impacts
        ]

    def horizontal_overflow(self) -> int:
        """How many CSS pixels the page, or any box in it that scrolls sideways (a
        ``.table-responsive``), is wider than its room: 0 or less means no horizontal scrolling."""
        return self.page.evaluate(HORIZONTAL_OVERFLOW_JS)

    def assert_clean(self) -> None:
        """No console errors, no failed requests, no answer >= 400, no host but ours, an icon."""
        foreign = [
            url
            for url in self.requests
            if not url.startswith(self.base_url + "/") and not url.startswith(LOCAL_SCHEMES)
        ]
        assert foreign == [], f"requests to other hosts than {self.base_url}: {foreign}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"
        assert self.failed_requests == [], f"failed requests: {self.failed_requests}"
        assert self.error_responses == [], f"error responses: {self.error_responses}"
        # Without a declared icon the browser asks for /favicon.ico on its own, sometimes after
        # the test has looked at the console: check it directly so the outcome does not vary.
        icon = self.page.evaluate(
            "() => document.querySelector('link[rel~=icon]')?.href || '/favicon.ico'"
        )
        icon_response = self.page.request.get(urljoin(self.base_url + "/", icon))
        assert icon_response.ok, f"the page icon {icon} answers {icon_response.status}"


@pytest.fixture
def browsing(browser: Browser, live_server, reference_data, request) -> Iterator[Browsing]:
    """A fresh browser context (no cookies) on the live server, Dutch-speaking like our users."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    browsing = Browsing(page=page, base_url=live_server.url, name=name)
    page.on("request", lambda req: browsing.requests.append(req.url))
    page.on(
        "console",
        lambda msg: (
            browsing.console_errors.append(f"{msg.text} ({msg.location.get('url')})")
            if msg.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda exc: browsing.console_errors.append(f"uncaught: {exc}"))

    def request_failed(req) -> None:
        # Leaving a page (a form posted, a link followed) aborts the browser's icon request of
        # the page being left; the icon itself is checked directly in ``assert_clean``.
        icon = req.url.endswith(("/favicon.svg", "/favicon.ico"))
        if icon and req.failure == "net::ERR_ABORTED":
            return
        browsing.failed_requests.append(f"{req.url}: {req.failure}")

    page.on("requestfailed", request_failed)
    page.on(
        "response",
        lambda resp: (
            browsing.error_responses.append(f"{resp.status} {resp.url}")
            if resp.status >= 400
            else None
        ),
    )
    yield browsing
    context.close()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Browser tests run last and together (one xdist worker, one Chromium).

    Playwright's sync API leaves an asyncio loop on the thread until the session ends; running the
    browser tests last keeps every other test free of it.
    """
    e2e_dir = Path(__file__).parent
    browser_items, other_items = [], []
    for item in items:
        if e2e_dir in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("e2e"))
            browser_items.append(item)
        else:
            other_items.append(item)
    items[:] = other_items + browser_items
