"""`sim explore` in headless Chromium: levers, steps and plots; a phone and a desktop screen without
sideways scrolling or console errors; the Chinese page; a link that reopens the settings.

Needs Debian's ``chromium`` (``.ci/run`` installs it where missing) and playwright's Python client
(a test extra), which drives that browser through ``executable_path`` (no browser download).
Outside CI the tests are skipped when either is missing; in CI (``CI`` set) a missing one fails them.
``SIM_EXPLORE_SCREENSHOTS=folder`` keeps the screenshots (en and zh at 390 and 1366 px).
"""

from __future__ import annotations

import importlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

MINIMAL = Path(__file__).resolve().parents[2] / "scenarios" / "minimal.toml"
#: The flags Chromium needs on a machine with no network and as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
#: Console warnings that are Solara's own notices, not faults of the page: its router widget
#: (solara/widgets/vue/navigator.vue) is written in the old Vue-template style.
KNOWN_WARNINGS = {"Failed to evaluate Vue script and find module.exports, falling back to old method, "
                  "please use module.exports = { ... }"}
#: The screen widths the page must read at: a phone and a laptop.
WIDTHS = (390, 1366)


def _needed(what: str, why: str):
    """Skip without ``what`` outside CI; fail under CI, where .ci/run and the test extras provide it."""
    if os.environ.get("CI"):
        pytest.fail(f"{why} is missing under CI: {what}")
    pytest.skip(f"{why} is missing: {what}")


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        _needed("apt-get install chromium (.ci/run installs Debian's chromium)", "headless Chromium")
    assert path is not None
    return path


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Path:
    """minimal with its hydrogen section on: station programmes and supply routes, four years."""
    path = tmp_path_factory.mktemp("explore") / "with_stations.toml"
    path.write_text(f'extends = "{MINIMAL.as_posix()}"\nname = "with_stations"\n[hydrogen]\n', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(scenario, tmp_path_factory):
    """The page served by `sim explore`; yields its address and the file its output goes to."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.mktemp("explore_log") / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "explore", str(scenario), "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the explore server did not start within two minutes")
        yield url, log
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def explore_url(server) -> str:
    return server[0]


@pytest.fixture(scope="module")
def browser():
    try:
        sync_api = importlib.import_module("playwright.sync_api")
    except ImportError:
        _needed("pip install -e '.[test]' (playwright)", "playwright's Python client")
    executable = _chromium()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Opened:
    """A page in its own browser context, with every console message, page error and failed request."""

    def __init__(self, browser, url: str, width: int = 1400, height: int = 1000):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.pending: set[str] = set()
        self.page.on("request", lambda r: self.pending.add(r.url))
        self.page.on("requestfinished", lambda r: self.pending.discard(r.url))
        self.page.on("requestfailed", lambda r: self.pending.discard(r.url))
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url}"))
        self.page.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400
                     else None)
        self.page.set_default_timeout(120_000)
        self.page.goto(url)
        self.page.locator(".solara-echarts canvas").first.wait_for()

    def _console(self, message) -> None:
        if message.type == "error" or (message.type == "warning" and message.text not in KNOWN_WARNINGS):
            self.problems.append(f"console {message.type}: {message.text}")

    def settle(self, seconds: float = 30.0) -> None:
        """Wait until no request is open (an asset the server lacks hangs while it tries the internet)."""
        deadline = time.monotonic() + seconds
        while self.pending and time.monotonic() < deadline:
            self.page.wait_for_timeout(250)
        self.problems += [f"request still open after {seconds:g} s: {url}" for url in sorted(self.pending)]

    def charts(self) -> str:
        """What the charts draw (their pixels), to see them change."""
        return self.page.evaluate("[...document.querySelectorAll('.solara-echarts canvas')]"
                                  ".map(c => c.toDataURL()).join('|')")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def opened(browser):
    pages: list[Opened] = []

    def open_page(url: str, **kwargs) -> Opened:
        pages.append(Opened(browser, url, **kwargs))
        return pages[-1]

    yield open_page
    for p in pages:
        p.close()


def _slider(page, name: str):
    return page.locator(f".lever-{name.replace('.', '-')} [role=slider]")


def _move(page, name: str, key: str, times: int) -> None:
    slider = _slider(page, name)
    slider.focus()
    for _ in range(times):
        slider.press(key)


def test_slider_step_and_horizon_change_the_plots(opened, explore_url):
    view = opened(explore_url)
    page = view.page
    page.get_by_text("Year reached: none yet").wait_for()
    assert page.locator(".solara-echarts").count() >= 4  # at least two series, each single-draw and band
    page.wait_for_timeout(500)
    before = view.charts()
    # Move the share-of-cap slider from 100% to 50% with the keyboard: it applies at once.
    page.get_by_text("Share of caps paid, all programmes: 100%").wait_for()
    _move(page, "share_of_cap_paid", "ArrowLeft", 10)
    page.get_by_text("Share of caps paid, all programmes: 50%").wait_for()
    page.wait_for_function("old => [...document.querySelectorAll('.solara-echarts canvas')]"
                           ".map(c => c.toDataURL()).join('|') !== old", arg=before)
    after_slider = view.charts()
    # Step one year, then run to the horizon: the message appears and the step button is disabled.
    page.get_by_role("button", name="Step one year").click()
    page.get_by_text("Year reached: 2023").wait_for()
    page.get_by_role("button", name="Run to horizon").click()
    page.get_by_text("Reached the horizon: 2026 is the last year").wait_for()
    assert page.get_by_role("button", name="Step one year").is_disabled()
    assert page.get_by_text("Year reached: 2026").is_visible()
    page.wait_for_function("old => [...document.querySelectorAll('.solara-echarts canvas')]"
                           ".map(c => c.toDataURL()).join('|') !== old", arg=after_slider)
    assert not view.problems


def test_two_sessions_see_independent_models(opened, explore_url):
    first, second = opened(explore_url).page, opened(explore_url).page
    first.get_by_role("button", name="Run to horizon").click()
    first.get_by_text("Reached the horizon").wait_for()
    # The other session is still before its first year, with its own (untouched) levers.
    second.reload()
    second.get_by_text("Year reached: none yet").wait_for()
    assert second.get_by_text("Reached the horizon").count() == 0
    second.get_by_role("button", name="Step one year").click()
    second.get_by_text("Year reached: 2023").wait_for()
    assert first.get_by_text("Year reached: 2026").is_visible()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", WIDTHS)
def test_the_page_fits_the_screen_without_console_errors(opened, server, width, lang, tmp_path):
    url, log = server
    view = opened(f"{url}?lang={lang}", width=width, height=900)
    page = view.page
    page.get_by_text("Policy levers" if lang == "en" else "政策杠杆").wait_for()
    view.settle()  # every script, style and font the page asked for has arrived (or failed)
    # No sideways scrolling: the document is no wider than the screen.
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client == width
    # The levers are on the screen (no drawer cut off at its edge) and every chart fits it.
    for box in page.locator(".sim-lever, .solara-echarts").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect()).map(r => [r.left, r.right, r.width])"):
        assert 0 <= box[0] and box[1] <= width and box[2] > 0.6 * min(width, 400), box
    # A lever moves with the keyboard at this width too.
    _move(page, "draw", "ArrowRight", 2)
    page.get_by_text("Draw shown: 2" if lang == "en" else "显示的抽样：2").wait_for()
    folder = Path(os.environ.get("SIM_EXPLORE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"explore_{lang}_{width}.png"), full_page=True)
    assert not view.problems
    # Nor does the server complain per session (Solara's SameSite cookie warning over http).
    assert "samesite" not in log.read_text(encoding="utf-8", errors="replace").lower()


def test_the_chinese_page_has_chinese_labels(opened, explore_url):
    page = opened(f"{explore_url}?lang=zh").page
    for caption in ("政策杠杆", "氢气供应成本", "加氢站运营补贴：", "出厂氢价：炼厂及工业副产氢：按情景抽样", "年份",
                    "已模拟到：尚未开始", "当前设置的链接"):
        page.get_by_text(caption).first.wait_for()
    assert page.get_by_role("button", name="前进一年").is_visible()
    assert page.get_by_text("Policy levers").count() == 0 and page.get_by_text("Step one year").count() == 0
    # The switch goes back to English on the same session.
    page.get_by_role("button", name="English").click()
    page.get_by_text("Policy levers").wait_for()


def test_a_link_opens_with_its_lever_settings_and_the_address_follows_the_levers(opened, explore_url):
    link = (f"{explore_url}?share_of_cap_paid=0.5&draw=2&ex_works_cny_per_kg.refinery_byproduct=20"
            "&band=6&lang=en&nonsense=1")
    view = opened(link)
    page = view.page
    for caption in ("Share of caps paid, all programmes: 50%", "Draw shown: 2", "Draws in the band: 6",
                    "Ex-works price, refinery and by-product: 20 CNY/kg",
                    "Ignored from the link: nonsense=1 (not a setting of this page)"):
        page.get_by_text(caption).wait_for()
    assert _slider(page, "share_of_cap_paid").get_attribute("aria-valuenow") == "0.5"
    # Moving a lever rewrites the address: that address reopens the page as it is now.
    _move(page, "operating_subsidy_cny_per_kg", "ArrowRight", 3)
    page.get_by_text("Operating subsidy: 13 CNY/kg").wait_for()
    page.wait_for_function("() => location.search.includes('operating_subsidy_cny_per_kg=13')")
    address = page.url
    assert "nonsense" not in address and "share_of_cap_paid=0.5" in address
    again = opened(address).page
    for caption in ("Operating subsidy: 13 CNY/kg", "Share of caps paid, all programmes: 50%", "Draw shown: 2",
                    "Ex-works price, refinery and by-product: 20 CNY/kg", "Draws in the band: 6"):
        again.get_by_text(caption).wait_for()
    assert again.get_by_text("Ignored from the link").count() == 0
    assert not view.problems
