"""End to end: the what-if page in a real headless browser (Debian's Chromium driven by Selenium).

Starts ``caresim app`` on a free local port, loads the page, changes a lever, runs a small
comparison, waits for the results table, checks that numbers and charts appear, downloads the
scenario file and validates it, and saves a screenshot of the results (in ``$CARESIM_TEST_ARTEFACTS``
when set, else in the test's temporary folder).  Chromium and its driver come from apt-get
(``.ci/run``); where they are missing the test fails under ``CI=true`` and is skipped elsewhere, with
a line at the end of the test output saying how to install them (``tests/conftest.py``).

Run as a script to refresh the screenshot of the documentation (a full-size run, about a minute)::

    python tests/test_app_browser.py docs/app_screenshot.png
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers import INSTALL, RUN, browser_paths, browser_verdict, free_port

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

CHROMIUM, DRIVER = browser_paths(os.environ)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1900",
)
TINY = "population=4000&reps=2&horizon_days=60&warmup_days=30"


def _need_browser() -> None:
    """Fail (in CI) or skip (elsewhere) the test where Chromium, its driver or Selenium is missing."""
    verdict, why = browser_verdict(os.environ)
    if verdict == "fail":
        pytest.fail(why, pytrace=False)
    if verdict == "skip":
        pytest.skip(why)


@contextmanager
def serve(results: Path, log: Path):
    """``caresim app`` on a free port; yields the page's address."""
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim.app.command", "--port", str(port), "--no-browser", "--results", str(results)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        end = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"the page did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def browser(downloads: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="caresim-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _settle(driver, timeout: float = 60) -> None:
    """Wait until Streamlit has finished re-running the page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    running = '[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]'
    time.sleep(0.5)
    WebDriverWait(driver, timeout).until(
        lambda d: (
            not d.find_elements(By.CSS_SELECTOR, running)
            and not d.find_elements(By.XPATH, "//*[contains(text(), 'Running...')]")
        )
    )


def set_number(driver, label: str, value: str) -> None:
    """Type ``value`` into the number input whose label starts with ``label``, and commit it."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    box = WebDriverWait(driver, 60).until(
        lambda d: d.find_element(By.XPATH, f'//input[starts-with(@aria-label, "{label}")]')
    )
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    box.click()
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(value, Keys.ENTER)
    _settle(driver)


def run_and_wait(driver, timeout: float = 150):
    """Press Run and wait for the results: the headline table and the charts."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    button = driver.find_element(By.XPATH, "//button[.//p[text()='Run']]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()
    WebDriverWait(driver, timeout, poll_frequency=0.5).until(
        lambda d: (
            d.find_elements(By.XPATH, "//h2[contains(., 'Results')]")
            and len(d.find_elements(By.XPATH, "//img[contains(@src, 'media')]")) >= 4
        )
    )
    _settle(driver)
    heading = driver.find_element(By.XPATH, "//h2[contains(., 'Results')]")
    driver.execute_script("arguments[0].scrollIntoView({block: 'start'});", heading)
    time.sleep(1.0)  # let the images paint
    return heading


def test_a_commissioner_runs_a_what_if_in_a_browser(tmp_path):
    _need_browser()
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from sim.cli.main import main as cli_main

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    artefacts = Path(os.environ.get("CARESIM_TEST_ARTEFACTS") or tmp_path)
    artefacts.mkdir(parents=True, exist_ok=True)
    with serve(tmp_path / "results", tmp_path / "server.log") as url, browser(downloads) as driver:
        driver.get(f"{url}/?{TINY}")
        WebDriverWait(driver, 60).until(lambda d: "Move money out of acute beds" in d.page_source)
        _settle(driver)
        # a lever: GBP 20m a year at 250,000 people is GBP 320,000 at 4,000 people: two beds
        set_number(driver, "Money moved a year from acute beds", "20000000")
        WebDriverWait(driver, 30).until(lambda d: "nothing moves" not in d.page_source)
        run_and_wait(driver)
        driver.save_screenshot(str(artefacts / "app_results.png"))

        tables = driver.find_elements(By.TAG_NAME, "table")
        headline = next(t.text for t in tables if "Emergency admissions" in t.text)
        assert "Cost: hospital (GBP)" in headline and "In plain words" in headline
        assert any(ch.isdigit() for ch in headline.split("Emergency admissions", 1)[1])
        widths = [
            driver.execute_script("return arguments[0].naturalWidth", img)
            for img in driver.find_elements(By.XPATH, "//img[contains(@src, 'media')]")
        ]
        assert len(widths) >= 4 and min(widths) > 100

        button = driver.find_element(By.XPATH, "//button[.//p[text()='The scenario (TOML)']]")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
        button.click()
        WebDriverWait(driver, 30).until(lambda _: list(downloads.glob("*.toml")))
    (toml,) = downloads.glob("*.toml")
    assert "amount_gbp_per_year = 20_000_000" in toml.read_text(encoding="utf-8")
    assert cli_main(["validate", str(toml)]) == 0
    assert (artefacts / "app_results.png").stat().st_size > 10_000


# --- where there is no browser ---------------------------------------------------------------------


def _nothing(_: str) -> bool:
    return False


def _everything(_: str) -> bool:
    return True


def test_a_missing_browser_fails_in_ci_and_is_skipped_elsewhere_saying_how_to_install_it():
    assert browser_verdict({"CI": "true"}, exists=_everything, importable=_everything) == ("run", "")
    assert browser_verdict({}, exists=_everything, importable=_everything) == ("run", "")
    verdict, why = browser_verdict({"CI": "true"}, exists=_nothing, importable=_everything)
    assert verdict == "fail" and "/usr/bin/chromium" in why and INSTALL in why
    for env in ({}, {"CI": "false"}, {"CI": ""}):
        verdict, why = browser_verdict(env, exists=_nothing, importable=_everything)
        assert verdict == "skip" and INSTALL in why and RUN in why
    verdict, why = browser_verdict(
        {"CARESIM_CHROMIUM": "elsewhere/chrome"}, exists=lambda p: "driver" in p, importable=_everything
    )
    assert verdict == "skip" and "elsewhere/chrome" in why
    verdict, why = browser_verdict({}, exists=_everything, importable=lambda m: m != "selenium")
    assert verdict == "skip" and "selenium" in why and ".[test]" in why


@pytest.mark.parametrize("ci, status, word", [("", 0, "skipped"), ("true", 1, "failed")])
def test_the_test_run_says_so_in_its_quiet_output(tmp_path, ci, status, word):
    env = {**os.environ, "CI": ci, "CARESIM_CHROMIUM": str(tmp_path / "no-chromium")}
    env.pop("PYTEST_ADDOPTS", None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_app_browser.py",
            "-k",
            "commissioner",
        ],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == status, done.stdout + done.stderr
    assert f"1 {word}" in done.stdout
    lines = [line for line in done.stdout.splitlines() if INSTALL in line]
    assert lines, done.stdout
    if not ci:
        assert lines[0].startswith("caresim: skipped: the browser test needs Chromium") and RUN in lines[0]


def docs_screenshot(target: Path) -> None:
    """The documentation's screenshot: GBP 2m a year from acute beds into a social-care-led MDT, at the page's
    default run settings (50,000 people, 3 replications)."""
    from selenium.webdriver.support.ui import WebDriverWait

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "downloads").mkdir()
        with serve(d / "results", d / "server.log") as url, browser(d / "downloads") as driver:
            driver.get(url)
            WebDriverWait(driver, 60).until(lambda dr: "Move money out of acute beds" in dr.page_source)
            _settle(driver)
            set_number(driver, "Reablement places", "0")
            set_number(driver, "Intermediate care beds", "0")
            set_number(driver, "MDT co-ordinators", "100")
            run_and_wait(driver, timeout=900)
            driver.save_screenshot(str(target))
    print(f"wrote {target}")


if __name__ == "__main__":
    docs_screenshot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/app_screenshot.png"))
