"""The web workbench in a real browser (Debian's Chromium driven by Playwright) over a real socket.

Every page loads with no console error and no request leaving 127.0.0.1; a user's path from the
search box to a state, to an incident and its norm assessment works with the mouse and with the
keyboard; the alignment explorer answers a real query on the real UN vote history; axe-core finds
no serious or critical accessibility violation on any page, and at a phone's 390 px nothing scrolls
sideways. A screenshot of each page is saved under artifacts/screenshots/.
"""

from __future__ import annotations

import importlib.resources
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from cyberdip.interfaces.asgi import create_app
from cyberdip.model.sharing import TLP
from cyberdip.services import sharing
from cyberdip.services.workbench import Workbench
from tests.support import serving

CHROMIUM = os.environ.get("CYBERDIP_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]

pytestmark = pytest.mark.parametrize("voted_url", ["sqlite"], indirect=True)  # one backend is enough here


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium not found at {CHROMIUM}: .ci/run installs it with apt-get install chromium")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def site(voted: Workbench) -> Iterator[tuple[str, str]]:
    """The workbench served on loopback, with a partner, a grant and an operator for the sharing pages."""
    with voted.writing() as connection:
        if not any(p["id"] == "partner:ind-cert-in" for p in sharing.list_partners(connection)):
            sharing.add_partner(connection, "CERT-In")
            sharing.add_collection(connection, "cert-exchange", "CERT exchange")
            sharing.grant(connection, "partner:ind-cert-in", "cert-exchange", read=True, write=False,
                          max_tlp=TLP.GREEN)
        token = sharing.add_operator(connection, f"Browser test {uuid.uuid4().hex}")  # a new one per use
    with serving(create_app(voted)) as port:
        yield f"http://127.0.0.1:{port}", token


class Watch:
    """Console errors, uncaught exceptions and any request to a host other than 127.0.0.1."""

    def __init__(self, page: Any, expected_missing: tuple[str, ...] = ("/r/no-such-record",)) -> None:
        self.problems: list[str] = []
        self.expected_missing = expected_missing
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("request", self._request)
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        # a failed load is reported with its address by _response; the not-found page is meant to 404
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(f"console: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400 and not urlparse(response.url).path.startswith(self.expected_missing):
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def _request(self, request: Any) -> None:
        host = urlparse(request.url).hostname
        if request.url.startswith(("data:", "about:")):
            return
        if host != "127.0.0.1":
            self.problems.append(f"request left the machine: {request.url}")


def open_page(browser: Any, width: int = 1280, height: int = 900) -> tuple[Any, Any, Watch]:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    return context, page, Watch(page)


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


ALIGNMENT = "/alignment?states=United+States%2C+United+Kingdom%2C+France%2C+Russia%2C+China&sessions=73"
PAGES = {
    "home": "/",
    "search": "/search?q=cert",
    "state-germany": "/r/state:DEU",
    "organisation-nato": "/r/org:nato",
    "instrument-gge-2015": "/r/instrument:un-gge-2015-report",
    "incident-estonia-2007": "/r/incident:estonia-ddos-2007",
    "incidents": "/incidents",
    "norms": "/norms",
    "timeline": "/timeline?from=2013&to=2016",
    "alignment": ALIGNMENT,
    "alignment-blocs": ALIGNMENT + "&section=blocs",
    "alignment-partners": ALIGNMENT + "&section=partners",
    "alignment-coalition": ALIGNMENT + "&section=coalition&resolution=A%2FRES%2F73%2F27",
    "record-agency": "/r/agency:deu-bsi",
    "sources": "/sources",
    "sharing-login": "/sharing",
    "not-found": "/r/no-such-record",
}


def test_every_page_loads_cleanly(browser: Any, site: tuple[str, str]) -> None:
    base, _ = site
    context, page, watch = open_page(browser)
    failures = []
    for name, path in PAGES.items():
        response = page.goto(base + path, wait_until="networkidle")
        expected = 404 if name == "not-found" else 200
        if response is None or response.status != expected:
            failures.append(f"{path}: HTTP {response.status if response else 'none'}")
        if not page.locator("h1").first.inner_text().strip():
            failures.append(f"{path}: no heading")
        shoot(page, name)
    context.close()
    assert not failures and not watch.problems, failures + watch.problems


def test_search_to_state_to_incident_and_its_assessment(browser: Any, site: tuple[str, str]) -> None:
    base, _ = site
    context, page, watch = open_page(browser)
    page.goto(base + "/", wait_until="networkidle")
    page.fill("#q", "Estonia")
    page.wait_for_function("document.querySelectorAll('#suggestions option').length > 0")
    assert "Estonia" in page.locator("#suggestions option").first.get_attribute("value")
    page.press("#q", "Enter")
    page.wait_for_url("**/search?q=Estonia")
    page.get_by_role("link", name="Estonia", exact=True).first.click()
    page.wait_for_url("**/r/state:EST")
    assert "Estonia" in page.locator("h1").inner_text()
    shoot(page, "flow-1-state")
    page.locator("a[href*='incident:estonia-ddos-2007']").first.click()
    page.wait_for_url("**/r/incident:estonia-ddos-2007")
    text = page.locator("main").inner_text()
    assert "Assessment" in text or "assessment" in text
    assert any(word in text for word in ("violation alleged", "contested", "undetermined", "not engaged"))
    shoot(page, "flow-2-incident")
    context.close()
    assert not watch.problems, watch.problems


def test_keyboard_reaches_search_and_content(browser: Any, site: tuple[str, str]) -> None:
    base, _ = site
    context, page, watch = open_page(browser)
    page.goto(base + "/r/state:DEU", wait_until="networkidle")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.tagName")
    assert focused in ("A", "BUTTON", "INPUT", "SELECT", "DIV", "SVG", "svg")  # the first control in the content
    page.goto(base + "/", wait_until="networkidle")
    for _ in range(3):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("NATO")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=NATO")
    context.close()
    assert not watch.problems, watch.problems


def test_alignment_explorer_answers_a_real_query(browser: Any, site: tuple[str, str]) -> None:
    base, _ = site
    context, page, watch = open_page(browser)
    page.goto(base + PAGES["alignment"], wait_until="networkidle")
    main = page.locator("main").inner_text()
    assert "United Kingdom" in main and "Russia" in main
    assert page.locator("svg").count() >= 1
    shoot(page, "alignment-query")
    context.close()
    assert not watch.problems, watch.problems


def test_operator_signs_in_to_the_sharing_pages(browser: Any, site: tuple[str, str]) -> None:
    base, token = site
    context, page, watch = open_page(browser)
    page.goto(base + "/sharing", wait_until="networkidle")
    page.fill("input[name=token]", token)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    text = page.locator("main").inner_text()
    assert "Signed in as" in text and "partner:ind-cert-in" in text and "Audit chain intact" in text
    shoot(page, "sharing")
    context.close()
    assert not watch.problems, watch.problems


def test_pages_fit_a_tablet_screen(browser: Any, site: tuple[str, str]) -> None:
    """At 768 px wide nothing makes the page scroll sideways (wide tables scroll inside their box)."""
    base, _ = site
    context, page, watch = open_page(browser, 768, 1024)
    overflowing = []
    for name, path in PAGES.items():
        page.goto(base + path, wait_until="networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 768:
            overflowing.append(f"{path}: {width} px wide")
        if name in ("state-germany", "alignment", "incident-estonia-2007"):
            shoot(page, f"tablet-{name}")
    context.close()
    assert not overflowing and not watch.problems, overflowing + watch.problems


#: the impacts a page may not have: axe-core's "serious" and "critical" (it also reports minor and moderate)
BLOCKING = ("serious", "critical")


def axe_script() -> str:
    """axe-core's axe.min.js as shipped in the axe-playwright-python wheel (a dev dependency): no CDN."""
    try:
        return importlib.resources.files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        reason = "axe-core not installed: pip install -e '.[dev]' (axe-playwright-python ships axe.min.js)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def axe_violations(page: Any, script: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it stands (every rule it runs by default: WCAG 2.x A/AA and
    best practice), serious and critical first."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(script)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    for v in results["violations"]:
        v["engine"] = results["testEngine"]["version"]
    return sorted(results["violations"], key=lambda v: v.get("impact") not in BLOCKING)


def describe(path: str, violations: list[dict[str, Any]]) -> list[str]:
    """One line per violation (rule id, impact, help) and one per offending node (its selector and why)."""
    lines = []
    for v in violations:
        lines.append(f"{path}: {v['id']} [{v['impact']}] {v['help']} ({len(v['nodes'])} nodes, axe-core "
                     f"{v['engine']}) {v['helpUrl']}")
        for node in v["nodes"][:8]:
            why = (node.get("failureSummary") or "").replace("\n", " ")[:300]
            lines.append(f"    {' > '.join(map(str, node['target']))}: {why}")
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    return lines


def test_no_serious_accessibility_violations(browser: Any, site: tuple[str, str]) -> None:
    """axe-core on every page type, and on the sharing hub once signed in: no serious or critical violation."""
    base, token = site
    script = axe_script()
    context, page, watch = open_page(browser)
    report, minor = [], []

    def check(path: str) -> None:
        found = axe_violations(page, script)
        report.extend(describe(path, [v for v in found if v.get("impact") in BLOCKING]))
        minor.extend(f"{path}: {v['id']} [{v['impact']}] {v['help']}: {[n['target'] for n in v['nodes']][:4]}"
                     for v in found if v.get("impact") not in BLOCKING)
        # axe-core 4.12 no longer checks ids on its own (only those ARIA refers to): no id may repeat
        repeated = page.evaluate("""() => { const seen = {};
            document.querySelectorAll('[id]').forEach(e => { seen[e.id] = (seen[e.id] || 0) + 1; });
            return Object.keys(seen).filter(k => seen[k] > 1); }""")
        if repeated:
            report.append(f"{path}: duplicate ids {repeated}")

    for path in PAGES.values():
        page.goto(base + path, wait_until="networkidle")
        check(path)
    page.goto(base + "/sharing", wait_until="networkidle")
    page.fill("input[name=token]", token)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    check("/sharing (signed in)")
    context.close()
    print("\n".join([*report, "moderate and minor (not failing):", *minor]))  # shown with -rP or on failure
    assert not report and not watch.problems, "\n" + "\n".join(report + watch.problems)


def test_map_countries_are_links_a_keyboard_and_a_screen_reader_reach(browser: Any, site: tuple[str, str]) -> None:
    """A world map is a named figure, not an image holding links: each shaded country is a link named by
    its tooltip, the Tab key reaches it and Enter opens the state's page."""
    base, _ = site
    context, page, watch = open_page(browser)
    page.goto(base + PAGES["organisation-nato"], wait_until="networkidle")
    figure = page.get_by_role("figure", name=re.compile(r"^Members of North Atlantic Treaty Organization"))
    assert figure.count() == 1
    germany = figure.get_by_role("link", name=re.compile(r"^Germany: member"))
    assert germany.count() == 1 and germany.get_attribute("href") == "/r/state:DEU"
    assert figure.get_by_role("link").count() == 32  # one per member state shown
    assert page.locator("[role=img] a[href], [role=img] [tabindex]").count() == 0  # no image holds a control
    page.locator("form.query button").focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.closest('figure.world-map') !== null, "
                            "document.activeElement.getAttribute('href')]")
    assert focused[0] and focused[1].startswith("/r/state:"), focused
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{focused[1]}")
    assert page.locator("h1").inner_text().strip()
    context.close()
    assert not watch.problems, watch.problems


def test_every_page_fits_a_phone_screen(browser: Any, site: tuple[str, str]) -> None:
    """At 390 px wide (a phone held upright) nothing makes the page scroll sideways: wide tables, maps and
    charts scroll or shrink inside their own box."""
    base, _ = site
    context, page, watch = open_page(browser, 390, 844)
    overflowing = []
    for name, path in PAGES.items():
        page.goto(base + path, wait_until="networkidle")
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width > inner + 1:
            culprits = page.evaluate("""() => {
                const limit = window.innerWidth;
                const scrolls = e => { for (let a = e.parentElement; a; a = a.parentElement) {
                    if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) { return true; } }
                    return false; };
                return [...document.querySelectorAll('main *, header *, footer *')]
                  .filter(e => e.getBoundingClientRect().right > limit + 1 && !scrolls(e))
                  .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= limit + 1)
                  .slice(0, 5)
                  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                       (e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : '') +
                       ' ' + Math.round(e.getBoundingClientRect().right) + ' px');
            }""")
            overflowing.append(f"{path}: {width} px wide at {inner} px ({', '.join(culprits)})")
        if name in ("home", "state-germany", "incident-estonia-2007", "incidents", "alignment"):
            shoot(page, f"phone-{name}")
    context.close()
    assert not overflowing and not watch.problems, overflowing + watch.problems
