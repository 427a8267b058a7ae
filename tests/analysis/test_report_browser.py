"""`sim report` in headless Chromium: the run and comparison reports at phone and desktop widths.

At 390 px and 1366 px the page must not scroll sideways (wide tables scroll inside their box,
charts scale to the width), and the browser must log no console error. Needs Debian's
``chromium`` (``.ci/run`` installs it where missing) and playwright's Python client, which drives
that browser through ``executable_path`` (no browser download). Outside CI the test is skipped
when either is missing; in CI (``CI`` set) a missing browser fails it.
"""

from __future__ import annotations

import os
import shutil
import textwrap

import pytest

from sim.cli import main

#: The flags Chromium needs on a machine with no network and as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
WIDTHS = (390, 1366)


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("headless Chromium is missing: .ci/run should have installed Debian's `chromium`")
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    return path


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = _chromium()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def reports(tmp_path_factory, scenarios_dir):
    """Pages to open: the run report in each language, and a comparison report."""
    root = tmp_path_factory.mktemp("browser")
    run = root / "run"
    assert main(["run", str(scenarios_dir / "budget_ceiling_binding.toml"), "--draws", "6", "--out", str(run),
                 "--quiet"]) == 0
    pages = {}
    for lang in ("en", "zh", None):
        assert main(["report", str(run)] + (["--lang", lang] if lang else [])) == 0
        pages[f"run-{lang}"] = root / f"run-{lang}.html"
        pages[f"run-{lang}"].write_bytes((run / "report.html").read_bytes())
    (root / "variant.toml").write_text(textwrap.dedent(f"""
        extends = "{(scenarios_dir / 'minimal.toml').as_posix()}"
        name = "variant_with_a_long_name_to_stretch_the_table"
        [instruments."software.6.data_centre_green_retrofit"]
        enabled = false
    """))
    cmp = root / "cmp"
    assert main(["compare", str(scenarios_dir / "minimal.toml"), str(root / "variant.toml"), "--draws", "4",
                 "--out", str(cmp), "--quiet"]) == 0
    assert main(["report", str(cmp)]) == 0
    pages["compare"] = cmp / "report.html"
    return pages


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["run-en", "run-zh", "run-None", "compare"])
def test_report_fits_the_screen_without_console_errors(browser, reports, name, width, tmp_path):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(reports[name].as_uri())
        page.wait_for_load_state("load")
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert scroll <= inner, f"{name} at {width} px is {scroll} px wide"
        # Charts scale to their column: none is wider than the screen.
        widths = page.locator("figure img").evaluate_all("els => els.map(e => e.getBoundingClientRect().width)")
        assert widths and max(widths) <= inner
        assert errors == []
        if os.environ.get("SIM_REPORT_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["SIM_REPORT_SCREENSHOTS"], f"{name}-{width}.png"),
                            full_page=True)
    finally:
        context.close()


def test_a_flag_opens_its_folded_assumption(browser, reports):
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    try:
        page.goto(reports["run-en"].as_uri())
        flag = page.locator(".summary a.flag").first
        target = flag.get_attribute("href")
        assert not page.locator(target).evaluate("e => e.open")
        flag.click()
        assert page.locator(target).evaluate("e => e.open && e.parentElement.open")
        assert page.locator(target).is_visible()
    finally:
        context.close()
