"""The insight page in a real browser: Debian's headless Chromium driven by Selenium.

The browser and its driver are the system's (/usr/bin/chromium, /usr/bin/chromedriver, put
there by .ci/ensure-chromium); nothing is downloaded, and the browser is told not to reach
any network of its own. The test fails, never skips, when they are missing: CI must notice.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bench.insight import SCRIPT_QUESTION, Seeded
from tests.insight.conftest import TOKEN, Web
from tests.insight.test_web import expected

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
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
)
WAIT_SECONDS = 60


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            pytest.fail(f"{path} is missing: run bash .ci/ensure-chromium", pytrace=False)
    profile = tempfile.mkdtemp(prefix="careerbot-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    try:
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    except WebDriverException as exc:
        shutil.rmtree(profile, ignore_errors=True)
        pytest.fail(f"Chromium did not start: {exc.msg}", pytrace=False)
    driver.set_page_load_timeout(WAIT_SECONDS)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def sign_in(browser: webdriver.Chrome, web: Web, token: str = TOKEN) -> None:
    browser.get(web.url + "/insight")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.find_elements(By.ID, "token"))
    browser.find_element(By.ID, "token").send_keys(token)
    browser.find_element(By.CSS_SELECTOR, "#login button[type=submit]").click()


def test_the_page_in_a_browser(browser: webdriver.Chrome, web: Web, seeded: Seeded) -> None:
    want = expected(seeded)
    # The token is required: the page is the login form until it is given.
    browser.get(web.url + "/insight")
    assert browser.find_elements(By.ID, "login") and not browser.find_elements(By.ID, "asked")
    sign_in(browser, web, token="wrong-token-wrong-token")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.find_elements(By.ID, "login-error"))
    assert not browser.find_elements(By.ID, "asked")

    sign_in(browser, web)
    WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.find_elements(By.ID, "asked"))
    assert browser.find_element(By.ID, "asked").text.startswith(f"{want['asked']:,}")
    assert browser.find_element(By.ID, "votes-down").text.startswith(str(want["down"]))
    assert browser.find_element(By.ID, "handoffs-resolved").text == str(want["resolved"])
    assert browser.find_element(By.ID, "answered-rate").text.startswith(
        f"{want['answered'] / want['asked']:.0%}"
    )

    # The charts are there, drawn (they have a size) and add up to the figures.
    for chart in ("chart-per-day", "chart-answered", "chart-reasons"):
        element = browser.find_element(By.ID, chart)
        assert element.tag_name == "svg" and element.size["width"] > 100 and element.size["height"] > 20, (
            chart
        )
    bars = browser.find_elements(By.CSS_SELECTOR, "#chart-per-day rect.bar")
    assert sum(int(b.get_attribute("data-count")) for b in bars) == want["asked"]
    assert browser.find_elements(By.CSS_SELECTOR, "#legend-per-day li")
    assert browser.find_elements(By.CSS_SELECTOR, "#chart-answered circle.point")

    # The seeded <script> question is text on the page, and nothing of it ran.
    assert want["script_asks"] > 0
    examples = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#unanswered .q")]
    assert SCRIPT_QUESTION[:QUESTION_PREFIX] in " ".join(examples)
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert browser.title != "pwned"
    assert browser.execute_script("return window.pwned === undefined") is True

    # A group's link opens its explanation; the cookie from the form carries over.
    browser.find_elements(By.CSS_SELECTOR, "a.explain")[0].click()
    WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.find_elements(By.ID, "explain-steps"))
    assert "not answered" in browser.find_element(By.ID, "explain-verdict").text
    # The engine's own explanation: the whole question's concepts and its gate verdict.
    assert browser.find_elements(By.CSS_SELECTOR, "#explain-whole tr.concept td.label")
    assert browser.find_element(By.CSS_SELECTOR, "#explain-whole .part-verdict").text.startswith(
        "verdict: no answer ("
    )

    # Another period through the form.
    browser.get(web.url + "/insight")
    WebDriverWait(browser, WAIT_SECONDS).until(lambda b: b.find_elements(By.ID, "period"))
    browser.find_element(By.CSS_SELECTOR, "#period select[name=days] option[value='7']").click()
    browser.find_element(By.CSS_SELECTOR, "#period button:not([name])").click()
    WebDriverWait(browser, WAIT_SECONDS).until(lambda b: "days=7" in b.current_url)
    assert browser.find_element(By.ID, "asked").text.startswith(f"{expected(seeded, 7)['asked']:,}")


QUESTION_PREFIX = 40
