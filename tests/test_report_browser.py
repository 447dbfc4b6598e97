"""The standalone report of a 192-row evaluation in headless Chromium: summary and charts first, answers
collapsed per prompt, so the page stays short; opening a prompt shows its answers. Offline: every request
that is not a file is blocked and recorded (the pattern of tests/test_browser.py)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pytest

from multimodel.report import write_report
from multimodel.results import Result, results_to_frame
from tests.chromium import CHROMIUM

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ANSWER = ("[simulated] You asked the question, and here is a simulated answer. A good answer starts with the basic "
          "facts and then looks at the details. People often overlook how much the context changes the answer. "
          "Experts usually describe it with a few simple rules and some well known exceptions. ") * 2

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium); CI installs it"
)


def evaluation_frame(prompts: int = 32, repeats: int = 3):
    """The shape of the README's evaluation: 32 prompts x 2 models x 3 repeats = 192 rows, not streamed,
    one score column, answers about as long as the simulator's."""
    models = [("openai/gpt-5.4-mini", "openai", 0.00045, 1.3), ("xai/grok-3-mini", "xai", 0.00008, 1.9)]
    results, ident = [], []
    for p in range(prompts):
        for model, provider, cost, e2e in models:
            for k in range(repeats):
                results.append(Result(model=model, provider=provider, content=f"{ANSWER} ({p}.{k})",
                                      finish_reason="stop", prompt_tokens=18, completion_tokens=120, cost_usd=cost,
                                      e2e_s=e2e + 0.01 * (p % 7) + 0.02 * k, simulated=True, stream=False))
                ident.append((p, k, f"Question number {p}: what is {p} times {p}? Reply with just the number."))
    df = results_to_frame(results)
    df.insert(0, "prompt_index", [i for i, _, _ in ident])
    df.insert(1, "repeat", [k for _, k, _ in ident])
    df.insert(2, "prompt", [t for _, _, t in ident])
    df["contains"] = [float((i // repeats) % 3 == 0) for i in range(len(df))]
    return df


@pytest.fixture(scope="module")
def page():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("chromium is installed but Playwright is not: pip install -r requirements-browser.txt")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.outside = []

        def on_route(route):
            if route.request.url.startswith(("file:", "data:")):
                route.continue_()
            else:
                page.outside.append(route.request.url)
                route.abort()

        page.route("**/*", on_route)
        yield page
        browser.close()


def test_report_of_192_rows_leads_with_charts_and_stays_short(page):
    ARTIFACTS.mkdir(exist_ok=True)
    df = evaluation_frame()
    assert len(df) == 192
    path = write_report(df, ARTIFACTS / "report_192_rows.html")
    page.goto(path.as_uri())
    height = page.evaluate("document.documentElement.scrollHeight")
    # before answers were collapsed this report was about 21,600 px tall, the charts after all 192 answers
    assert height < 4000, height
    tops = page.evaluate("""() => {
        const top = e => Math.round(e.getBoundingClientRect().top + window.scrollY);
        return {summary: top(document.querySelector('table.mm-summary')),
                charts: [...document.querySelectorAll('figure.mm-chart')].map(top),
                groups: [...document.querySelectorAll('details.mm-group')].map(top),
                open: document.querySelectorAll('details[open]').length};
    }""")
    assert len(tops["groups"]) == 32 and tops["open"] == 0
    assert tops["summary"] < min(tops["charts"]) and max(tops["charts"]) < min(tops["groups"])
    assert len(tops["charts"]) == 4  # cost vs latency, latency, cost breakdown, score vs cost: no empty tokens/s
    assert page.locator("[data-chart-left-out='tokens_per_second']").is_visible()
    assert not page.locator("details.mm-group table.mm-rows").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "report_192_rows.png"), full_page=True)
    # a click on a prompt opens its six answers
    page.locator("details.mm-group[data-group='5'] > summary").click()
    rows = page.locator("details.mm-group[data-group='5'] table.mm-rows tbody tr")
    assert rows.count() == 6 and rows.first.is_visible()
    assert "Question number 4" in page.locator("details.mm-group[data-group='5']").inner_text()
    assert page.evaluate("document.documentElement.scrollHeight") > height + 300
    assert page.locator("script").count() == 0 and page.outside == []
