"""In a real browser: the standalone report and the ipywidgets side-by-side view, in headless Chromium.

Needs Debian's ``chromium`` (/usr/bin/chromium) and Playwright (``requirements-browser.txt``), which
drives that binary (no browser download). The widget view is rendered with the ipywidgets HTML embed;
its JavaScript (``@jupyter-widgets/html-manager``'s ``dist/embed.js``) is the copy vendored in
``multimodel/data`` for offline exports (``$MULTIMODEL_WIDGET_EMBED_JS`` points at another), because the
embed's default CDN is not reachable here. Screenshots go to ``tests/artifacts/`` for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")


from tests.chromium import needs_chromium, open_offline
from tests.test_plots import EVIL, MODELS, sample_comparison

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
pytestmark = needs_chromium


def embed_js() -> Path:
    """The ipywidgets HTML-embed bundle as a file: $MULTIMODEL_WIDGET_EMBED_JS, else the vendored copy."""
    override = os.environ.get("MULTIMODEL_WIDGET_EMBED_JS", "")
    if override and Path(override).is_file():
        return Path(override).resolve()
    from multimodel.notebook.export import html_manager_js

    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "embed.js"
    path.write_text(html_manager_js(), encoding="utf-8")
    return path.resolve()




def test_report_shows_every_model_and_chart_without_javascript(browser):
    cmp = sample_comparison()
    ARTIFACTS.mkdir(exist_ok=True)
    path = cmp.to_html(ARTIFACTS / "report.html")
    from multimodel.plots import available_charts

    charts = available_charts(cmp.df)
    context, page, seen = open_offline(browser, path, javascript=False)
    try:
        assert "SIMULATED" in page.title()
        assert page.locator(".mm-simulated").first.is_visible()
        for m in MODELS:
            card = page.locator(f".mm-card[data-model='{m}']")
            assert card.count() == 1 and m in card.inner_text()
            box = card.bounding_box()  # the report wraps the cards: all within the page width, none hidden
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1400, (m, box)
            assert page.locator(f"table.mm-summary tr[data-model='{m}']").is_visible()
        assert "rate_limit" in page.locator(".mm-card[data-model='xai/grok-3-mini']").inner_text()
        for name in charts:
            img = page.locator(f"figure[data-chart='{name}'] img")
            assert img.count() == 1
            img.scroll_into_view_if_needed()
            assert img.is_visible()
            box = img.bounding_box()
            assert box and box["width"] > 400 and box["height"] > 150, (name, box)
        assert page.locator("figure.mm-chart").count() == len(charts)
        assert page.locator("script").count() == 0  # the model's <script> is text, not an element
        assert '<script>alert("pwned")</script>' in page.locator("body").inner_text()
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        for name in charts:  # each chart as the browser drew it
            page.locator(f"figure[data-chart='{name}']").screenshot(path=str(ARTIFACTS / f"report_chart_{name}.png"))
        assert seen["outside"] == [] and seen["dialogs"] == []
    finally:
        context.close()
    # the same file with JavaScript on: every image decoded, still nothing from outside, no alert()
    context, page, seen = open_offline(browser, path, javascript=True)
    try:
        decoded = page.eval_on_selector_all(
            "figure.mm-chart img",
            "imgs => imgs.map(i => [i.closest('figure').dataset.chart, i.complete, i.naturalWidth])",
        )
        assert [d[0] for d in decoded] == charts
        assert all(ok and w > 400 for _, ok, w in decoded), decoded
        assert seen["outside"] == [] and seen["dialogs"] == [] and seen["errors"] == []
    finally:
        context.close()


def _live_view_html(path: Path, js: Path):
    from ipywidgets.embed import embed_minimal_html

    from multimodel.notebook import LiveView

    cmp = sample_comparison()
    view = LiveView([r.model for r in cmp.results], prompt=cmp.prompt, simulated=True, interval=0.05)
    view.on_delta(1, "content", "streamed first")
    view.close(cmp)
    view.toggle.value = True  # highlight differences, as a user would click it
    embed_minimal_html(str(path), views=[view.widget], title="multimodel live view", requirejs=False, cors=False,
                       embed_url=js.as_uri())
    return view


def test_widget_view_renders_one_column_per_model(browser):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "live_view.html"
    js = embed_js()
    view = _live_view_html(path, js)
    html = path.read_text(encoding="utf-8")
    # the embedded widget state carries every column (checked whether or not the JS can render it)
    state = json.loads(re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>',
                                 html, re.S).group(1))
    values = [m["state"].get("value", "") for m in state["state"].values() if m["model_name"] == "HTMLModel"]
    for m in MODELS:
        assert any(f">{m}<" in v for v in values), m
    assert any("SIMULATED" in v for v in values)
    context, page, seen = open_offline(browser, path, javascript=True)
    try:
        page.wait_for_selector(".mm-live-column", timeout=15_000)
        columns = page.locator(".mm-live-column")
        assert columns.count() == len(MODELS)
        for i, m in enumerate(MODELS):
            text = columns.nth(i).inner_text()
            assert m in text
            assert ("failed" if m.startswith("xai/") else "done") in text
        assert "Too many requests <slow down>" in columns.nth(5).inner_text()
        assert "reasoning: none returned" in columns.nth(0).inner_text()
        assert page.locator(".mm-live-view .mm-simulated").is_visible()
        assert page.locator("mark.mm-diff").count() > 0  # the diff toggle is on
        assert page.locator(".mm-live-column script").count() == 0
        assert EVIL.split(">")[0] + ">" in columns.nth(1).inner_text()  # shown as text
        # the columns share the row: six fit side by side in a 1400px page, none narrower than the minimum
        row = ".mm-live-view .widget-hbox"
        scroll = page.eval_on_selector(row, "e => [e.scrollWidth, e.clientWidth]")
        assert scroll[0] <= scroll[1], scroll
        widths = [columns.nth(i).bounding_box()["width"] for i in range(len(MODELS))]
        assert min(widths) >= 180 and max(widths) - min(widths) < 2, widths
        page.screenshot(path=str(ARTIFACTS / "live_view.png"), full_page=True)
        # in a narrow page they keep their minimum width and the row scrolls sideways instead of squeezing them
        page.set_viewport_size({"width": 800, "height": 1000})
        scroll = page.eval_on_selector(row, "e => [e.scrollWidth, e.clientWidth]")
        assert scroll[0] > scroll[1], scroll
        assert min(columns.nth(i).bounding_box()["width"] for i in range(len(MODELS))) >= 180
        page.eval_on_selector(row, "e => { e.scrollLeft = e.scrollWidth; }")
        last = columns.nth(len(MODELS) - 1).bounding_box()
        assert last and last["x"] + last["width"] <= 800 + 1  # scrolled into view
        page.screenshot(path=str(ARTIFACTS / "live_view_scrolled.png"), full_page=True)
        # the tool calls fit their column: nothing cut off on the right
        tools = page.eval_on_selector_all(
            ".mm-live-column table.mm-tools",
            "ts => ts.map(t => [t.scrollWidth, t.closest('.mm-live-column').clientWidth])")
        assert tools and all(w <= c for w, c in tools), tools
        assert seen["outside"] == [] and seen["dialogs"] == [] and seen["errors"] == []
    finally:
        context.close()
        view.close()
