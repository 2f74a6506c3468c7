"""The web app in a real headless Chromium (Debian's, driven by Selenium through Debian's
chromedriver) against a real ``voronka serve`` process on loopback over a DuckDB demo store:
every page opens and draws its charts offline; a funnel is built by clicking; the breakdown
and a filter are changed; the language is switched; a shared URL and a saved view reopen the
same view; the drop-off list is shown and exported. The numbers on the page are compared with
``voronka funnel --format json`` run on the same store (a copy: the server holds its file).
Screenshots are written under pytest's ``tmp_path_factory`` (the test's artefacts).

One browser session and one server for the module."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from voronka import demo
from voronka.store import Store

from ._live import VORONKA, free_port, spawn, stop

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None)
DRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if os.access("/usr/bin/chromedriver", os.X_OK)
                                          else None)
if (CHROMIUM is None or DRIVER is None) and os.environ.get("VORONKA_REQUIRE_BROWSER"):
    raise RuntimeError("VORONKA_REQUIRE_BROWSER is set (as in CI) but chromium or chromedriver is missing")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    CHROMIUM is None or DRIVER is None,
    reason="no chromium/chromedriver (apt-get install -y chromium chromium-driver fonts-dejavu-core)")]

PAGES = ("overview", "funnel", "paths", "retention", "attribution", "findings", "money", "plan", "crm")
WAIT = 120


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> tuple[Path, Path]:
    """(the store the CLI reads, the copy the server holds)."""
    folder = tmp_path_factory.mktemp("pages")
    files = demo.write(demo.generate(600, seed=3), folder)
    with Store(folder / "demo.duckdb") as store:
        store.ingest_events([files["events"]])
        store.ingest_spend([files["spend"]])
    served = folder / "served.duckdb"
    served.write_bytes((folder / "demo.duckdb").read_bytes())
    return folder / "demo.duckdb", served


@pytest.fixture(scope="module")
def url(stores) -> Iterator[str]:
    port = free_port()
    process = spawn(stores[1], port, "--public-dashboard")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> Iterator:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1600", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                f"--user-data-dir={tmp_path_factory.mktemp('profile')}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(browser, condition, timeout: float = WAIT):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, timeout, poll_frequency=0.1, ignored_exceptions=(
        NoSuchElementException, StaleElementReferenceException)).until(condition)


def _built(browser, before: str | None = None) -> None:
    """Wait until the builder has drawn an answer newer than ``before``."""
    _wait(browser, lambda b: b.execute_script("return document.body.dataset.built || null") not in (None, before))


def _built_at(browser) -> str | None:
    return browser.execute_script("return document.body.dataset.built || null")


def _cli(store: Path, *args: str) -> list[dict]:
    out = subprocess.run([VORONKA, "funnel", "--store", str(store), "--format", "json", *args],
                         capture_output=True, text=True, check=True, timeout=300, env=os.environ | {"NO_COLOR": "1"})
    return json.loads(out.stdout)


def _shown(browser) -> list[tuple]:
    """(breakdown, step, customers, dropped) of every row of the page's steps table."""
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('#steps-table tbody tr')).map(function (r) {"
        "  return [r.dataset.breakdown, +r.dataset.step, +r.querySelector('.customers').dataset.value,"
        "          +r.querySelector('.dropped').dataset.value]; });")
    return sorted(tuple(r) for r in rows)


def _expected(rows: list[dict]) -> list[tuple]:
    return sorted((r["breakdown"] or "", r["step"], r["customers"], r["dropped"]) for r in rows)


def _query(browser) -> dict[str, list[str]]:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(browser.current_url).query)


def test_every_page_opens_and_draws_its_charts_offline(browser, url, shots):
    from selenium.webdriver.common.by import By

    for page in PAGES:
        browser.get(f"{url}/app/{page}?lang=en")
        _wait(browser, lambda b: b.execute_script("return document.readyState") == "complete")
        _built(browser)  # the builder's funnel, or the page's sections fetched after its shell
        figures = browser.find_elements(By.CSS_SELECTOR, ".plotly-figure, #funnel-chart")
        drawn = len(figures)
        _wait(browser, lambda b, drawn=drawn: len(b.find_elements(By.CSS_SELECTOR, ".main-svg")) >= drawn)
        assert browser.find_element(By.CSS_SELECTOR, f'.menu a[data-page="{page}"]').get_attribute("aria-current")
        text = browser.find_element(By.TAG_NAME, "main").text
        assert "Traceback" not in text and "internal error" not in text
        if page not in ("crm", "plan"):
            assert figures, f"{page}: no chart"
        browser.save_screenshot(str(shots / f"{page}.png"))
        if page == "paths":  # the Sankey: nodes named by step, no "@1"
            sankey = browser.find_element(By.XPATH, "//*[contains(@class, 'sankey')]/ancestor::div[contains("
                                                    "@class, 'plotly-figure')][1]")
            browser.execute_script("arguments[0].scrollIntoView()", sankey)
            sankey.screenshot(str(shots / "sankey.png"))
            labels = [e.get_attribute("textContent") for e in sankey.find_elements(By.CSS_SELECTOR, ".node-label")]
            assert labels and not any("@" in label for label in labels)
    assert browser.execute_script("return typeof Plotly") == "object"  # served by voronka: no CDN resolves


def test_a_funnel_built_by_clicking_shows_the_clis_numbers(browser, url, stores, shots):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(f"{url}/app/funnel?lang=en")
    _built(browser)
    for name in ("ad_view", "site_visit|content_view", "purchase"):
        browser.find_element(By.ID, "add-step").click()
        browser.find_elements(By.CSS_SELECTOR, "#steps input.step")[-1].send_keys(name)
    browser.find_element(By.NAME, "window").send_keys("30d")
    Select(browser.find_element(By.NAME, "cohort")).select_by_value("month")
    before = _built_at(browser)
    browser.find_element(By.ID, "build").click()
    _built(browser, before)
    query = _query(browser)
    assert query["steps"] == ["ad_view,site_visit|content_view,purchase"] and query["window"] == ["30d"]
    assert query["cohort"] == ["month"]
    flags = ("--steps", "ad_view,site_visit|content_view,purchase", "--window", "30d", "--cohort", "month")
    assert _shown(browser) == _expected(_cli(stores[0], *flags))
    assert browser.find_elements(By.CSS_SELECTOR, "#trend-chart .main-svg")  # the trend, with its n below
    assert browser.find_elements(By.CSS_SELECTOR, "#trend-table tbody tr")
    _wait(browser, lambda b: b.execute_script("return document.body.dataset.charts || null"))  # asked for next
    assert browser.execute_script(  # the scan's windows: as many shaded as listed (none in this small demo)
        "return [(document.getElementById('trend-chart').layout.shapes || []).length,"
        " document.querySelectorAll('#flagged-list li').length, document.getElementById('flagged-note').textContent]"
    ) == [0, 0, "The change scan flags no period of this funnel's transitions."]
    assert browser.find_elements(By.CSS_SELECTOR, "#ttc-chart .main-svg")
    browser.save_screenshot(str(shots / "built.png"))

    by = browser.find_element(By.NAME, "by")  # the breakdown
    by.send_keys("channel")
    before = _built_at(browser)
    browser.find_element(By.ID, "build").click()
    _built(browser, before)
    assert _shown(browser) == _expected(_cli(stores[0], *flags, "--by", "channel"))

    where = browser.find_element(By.CSS_SELECTOR, "#source input.where")  # a filter, from the source form
    where.send_keys("channel!=tv")
    before = _built_at(browser)
    browser.find_element(By.ID, "apply").click()
    _built(browser, before)
    assert _query(browser)["where"] == ["channel!=tv"]
    shown = _shown(browser)
    assert shown == _expected(_cli(stores[0], *flags, "--by", "channel", "--where", "channel!=tv"))
    assert "tv" not in {row[0] for row in shown}
    browser.save_screenshot(str(shots / "breakdown-filter.png"))

    by.clear()  # two segments side by side, with the test of their last step's conversion
    Select(browser.find_element(By.NAME, "compare")).select_by_value("segments")
    browser.find_element(By.NAME, "seg_a").send_keys("channel in digital|mobile")
    browser.find_element(By.NAME, "seg_b").send_keys("channel not in digital|mobile")
    before = _built_at(browser)
    browser.find_element(By.ID, "build").click()
    _built(browser, before)
    assert browser.find_element(By.ID, "difference").text.startswith("Conversion to the last step:")
    series = browser.execute_script(
        "return Array.from(document.querySelectorAll('#steps-table tbody tr')).map(function (r) {"
        "  return [r.dataset.series, +r.querySelector('.customers').dataset.value]; });")
    for segment in ("channel in digital|mobile", "channel not in digital|mobile"):
        expected = _cli(stores[0], *flags, "--where", "channel!=tv", "--where", segment)
        assert [n for name, n in series if name == segment] == [r["customers"] for r in expected]
        assert expected[-1]["customers"] > 0
    browser.save_screenshot(str(shots / "segments.png"))


def test_a_click_on_a_bar_lists_who_dropped_there_and_exports_them(browser, url, stores, shots):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    from voronka.engines.duckdb import DuckDBEngine
    from voronka.funnel import compute_funnel
    from voronka.funnel.spec import funnel_definition

    browser.get(f"{url}/app/funnel?lang=en&steps=ad_view,site_visit,purchase&window=30d")
    _built(browser)
    bars = browser.find_elements(By.CSS_SELECTOR, "#funnel-chart .trace.bars .point path")
    assert len(bars) == 3
    ActionChains(browser).move_to_element(bars[1]).click().perform()
    pane = _wait(browser, lambda b: b.find_element(By.ID, "dropped") if b.find_element(By.ID, "dropped").is_displayed()
                 else None)
    assert pane.get_attribute("data-step") == "2"
    store = Store(stores[0], read_only=True)
    try:
        definition = funnel_definition({"steps": "ad_view,site_visit,purchase", "window": "30d"})
        expected = compute_funnel(DuckDBEngine(store.connection), definition).customers(2, "dropped")
    finally:
        store.close()
    assert int(pane.get_attribute("data-count")) == expected.num_rows > 0
    listed = browser.find_elements(By.CSS_SELECTOR, "#dropped-table tbody tr")
    assert len(listed) == min(expected.num_rows, 200)
    browser.save_screenshot(str(shots / "dropped.png"))
    link = browser.find_element(By.ID, "dropped-csv").get_attribute("href")
    with urllib.request.urlopen(link, timeout=WAIT) as answer:
        assert answer.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(answer.read().decode())))
    assert sorted(r["customer_id"] for r in rows) == sorted(expected.column("customer_id").to_pylist())


def test_the_language_switch_keeps_the_view(browser, url, shots):
    from selenium.webdriver.common.by import By

    browser.get(f"{url}/app/funnel?lang=en&steps=ad_view,purchase&by=channel")
    _built(browser)
    english = _shown(browser)
    browser.find_element(By.CSS_SELECTOR, '.langs a[data-lang="kk"]').click()
    _wait(browser, lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "kk")
    _built(browser)
    assert browser.find_element(By.CSS_SELECTOR, '.menu a[data-page="funnel"]').text == "Воронка құрастырушы"
    assert _query(browser)["by"] == ["channel"] and _shown(browser) == english
    percent = browser.find_element(By.CSS_SELECTOR, "#steps-table tbody tr:nth-child(2) .conversion").text
    assert "," in percent and "%" in percent  # 12,3 % in Kazakh
    browser.save_screenshot(str(shots / "funnel-kk.png"))
    browser.find_element(By.CSS_SELECTOR, '.langs a[data-lang="ru"]').click()
    _wait(browser, lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ru")
    assert browser.find_element(By.CSS_SELECTOR, '.menu a[data-page="overview"]').text == "Обзор"


def test_a_shared_url_and_a_saved_view_reopen_the_same_view(browser, url, stores, shots):
    from selenium.webdriver.common.by import By

    shared = (f"{url}/app/funnel?lang=ru&steps=ad_view,consultation|trial,purchase&window=60d&by=channel"
              "&where=channel!%3Dpos")
    browser.get(shared)
    _built(browser)
    expected = _expected(_cli(stores[0], "--steps", "ad_view,consultation|trial,purchase", "--window", "60d",
                              "--by", "channel", "--where", "channel!=pos"))
    assert _shown(browser) == expected
    assert [i.get_attribute("value") for i in browser.find_elements(By.CSS_SELECTOR, "#steps input.step")] == [
        "ad_view", "consultation|trial", "purchase"]
    name = browser.find_element(By.CSS_SELECTOR, "#save-view input[name=name]")
    name.send_keys("Каналы без POS")
    name.submit()
    link = _wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, '#view-list a[data-view="Каналы без POS"]'))
    browser.get(f"{url}/app/overview?lang=en")
    _wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, '#view-list a[data-view="Каналы без POS"]')).click()
    _built(browser)
    assert _query(browser) == urllib.parse.parse_qs(urllib.parse.urlsplit(shared).query)
    assert _shown(browser) == expected
    browser.save_screenshot(str(shots / "saved-view.png"))
    assert link is not None


def test_a_dashboard_of_two_views_shows_the_clis_numbers_and_is_renamed(browser, url, stores, shots):
    """Two views added to a new dashboard from the builder ("Add this view to the dashboard"),
    and a page's view, the dashboard reopened from the list: each builder panel's numbers are
    the CLI's, the page's sections are drawn; then renamed."""
    from selenium.webdriver.common.by import By

    views = {"Реклама → покупка": ("--steps", "ad_view,purchase", "--by", "channel"),
             "Консультация": ("--steps", "ad_view,consultation|trial,purchase", "--window", "60d",
                              "--where", "channel!=pos")}
    for name, flags in views.items():
        query = urllib.parse.urlencode([("lang", "ru"), *[(flags[i][2:], flags[i + 1]) for i in range(0, len(flags), 2)]])
        browser.get(f"{url}/app/funnel?{query}")
        _built(browser)
        browser.find_element(By.CSS_SELECTOR, "#save-view input[name=name]").send_keys(name)
        board = browser.find_element(By.CSS_SELECTOR, "#add-dashboard input[name=dashboard]")
        board.send_keys("Продажи")
        board.submit()
        _wait(browser, lambda b: b.execute_script("return document.body.dataset.added || null"))
        assert browser.find_element(By.ID, "dashboard-status").text == "Добавлено на «Продажи»."
    browser.get(f"{url}/app/money?lang=ru")  # and a server-rendered page's view
    _built(browser)
    browser.find_element(By.CSS_SELECTOR, "#save-view input[name=name]").send_keys("Деньги")
    board = browser.find_element(By.CSS_SELECTOR, "#add-dashboard input[name=dashboard]")
    board.send_keys("Продажи")
    board.submit()
    _wait(browser, lambda b: b.execute_script("return document.body.dataset.added || null"))
    browser.get(f"{url}/app/overview?lang=ru")
    _wait(browser, lambda b: b.find_element(By.CSS_SELECTOR, '#dashboard-list a[data-dashboard="Продажи"]')).click()
    _built(browser)
    assert browser.find_element(By.CSS_SELECTOR, "#dashboard h1").text == "Продажи"
    panels = browser.find_elements(By.CSS_SELECTOR, "#panels .panel")
    assert [p.get_attribute("data-view") for p in panels] == [*views, "Деньги"]
    money = panels[2].find_elements(By.CSS_SELECTOR, "section.report-section")  # the page's sections, ids its own
    assert money and all(s.get_attribute("id").startswith("panel2-section-") for s in money)
    assert len(panels[2].find_elements(By.CSS_SELECTOR, ".plotly-figure")) == len(
        panels[2].find_elements(By.CSS_SELECTOR, ".plotly-figure .main-svg:first-of-type"))
    for panel, flags in zip(panels, views.values()):
        assert panel.find_elements(By.CSS_SELECTOR, ".main-svg")  # the view's chart
        shown = sorted((r.get_attribute("data-breakdown"), int(r.get_attribute("data-step")),
                        int(r.find_element(By.CSS_SELECTOR, ".customers").get_attribute("data-value")))
                       for r in panel.find_elements(By.CSS_SELECTOR, "table.steps tbody tr"))
        assert shown == sorted((r["breakdown"] or "", r["step"], r["customers"]) for r in _cli(stores[0], *flags))
    browser.save_screenshot(str(shots / "dashboard.png"))
    rename = browser.find_element(By.CSS_SELECTOR, "#rename-dashboard input[name=name]")
    rename.clear()
    rename.send_keys("Sales")
    rename.submit()
    _wait(browser, lambda b: urllib.parse.unquote(b.current_url).split("?")[0].endswith("/app/dashboards/Sales"))
    _built(browser)
    assert [p.get_attribute("data-view") for p in browser.find_elements(By.CSS_SELECTOR, "#panels .panel")] == [
        *views, "Деньги"]
