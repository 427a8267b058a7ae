"""`sim explore` in headless Chromium: open the page, move a slider, step to the horizon, see the plots change.

Needs Debian's ``chromium`` (``.ci/run`` installs it where missing) and playwright's Python client,
which drives that browser through ``executable_path`` (no browser download). Outside CI the test is
skipped when either is missing; in CI (``CI`` set) a missing browser fails it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

MINIMAL = str(Path(__file__).resolve().parents[2] / "scenarios" / "minimal.toml")
#: The flags Chromium needs on a machine with no network and as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("headless Chromium is missing: .ci/run should have installed Debian's `chromium`")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def explore_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "explore", MINIMAL, "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _plots(page) -> list[str]:
    return page.locator("img").evaluate_all("els => els.map(e => e.src)")


def _open(browser, url):
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    page = context.new_page()
    page.set_default_timeout(120_000)
    page.goto(url)
    page.get_by_text("Year reached: none yet").wait_for()
    return context, page


def test_slider_step_and_horizon_change_the_plots(browser, explore_url, tmp_path):
    context, page = _open(browser, explore_url)
    try:
        before = _plots(page)
        assert len(before) >= 4  # at least two series, each single-draw and band
        # Move the share-of-cap slider from 100% to 50% with the keyboard: it applies at once.
        page.get_by_text("Share of caps paid, all programmes: 100%").wait_for()
        slider = page.locator(".v-input", has_text="Share of caps paid").get_by_role("slider")
        slider.focus()
        for _ in range(10):
            slider.press("ArrowLeft")
        page.get_by_text("Share of caps paid, all programmes: 50%").wait_for()
        page.wait_for_function("old => [...document.images].map(e => e.src).join() !== old", arg=",".join(before))
        after_slider = _plots(page)
        assert after_slider != before
        # Step one year, then run to the horizon: the message appears and the step button is disabled.
        page.get_by_role("button", name="Step one year").click()
        page.get_by_text("Year reached: 2023").wait_for()
        page.get_by_role("button", name="Run to horizon").click()
        page.get_by_text("Reached the horizon: 2026 is the last year").wait_for()
        assert page.get_by_role("button", name="Step one year").is_disabled()
        assert page.get_by_text("Year reached: 2026").is_visible()
        at_horizon = _plots(page)
        assert at_horizon != after_slider
        page.screenshot(path=str(os.environ.get("SIM_EXPLORE_SCREENSHOT", tmp_path / "explore.png")), full_page=True)
    finally:
        context.close()


def test_two_sessions_see_independent_models(browser, explore_url):
    first_context, first = _open(browser, explore_url)
    second_context, second = _open(browser, explore_url)
    try:
        first.get_by_role("button", name="Run to horizon").click()
        first.get_by_text("Reached the horizon").wait_for()
        # The other session is still before its first year, with its own (untouched) levers.
        second.reload()
        second.get_by_text("Year reached: none yet").wait_for()
        assert second.get_by_text("Reached the horizon").count() == 0
        second.get_by_role("button", name="Step one year").click()
        second.get_by_text("Year reached: 2023").wait_for()
        assert first.get_by_text("Year reached: 2026").is_visible()
    finally:
        first_context.close()
        second_context.close()
