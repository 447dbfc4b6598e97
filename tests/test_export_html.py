"""Every example notebook, exported to HTML, shows its widget content in Chromium with no network.

Each notebook in notebooks/ is executed against the simulator (as tests/test_notebooks.py does, and once per
test session: both modules use the same executions), then exported:

- with stock nbconvert (``HTMLExporter``, what ``jupyter nbconvert --to html`` writes), which loads the
  widget manager from unpkg.com: offline it draws no widget, so each live view must show its static copy;
- the same, saved without widget state (JupyterLab's default): nbconvert then shows each widget output's
  text/html, the live view's note, then its static copy: every answer once;
- with ``multimodel.notebook.export_html``, which inlines the widget manager: every widget view is drawn
  from the saved widget state, with no request leaving the page.

The pages open in headless Chromium with every non-file request blocked and recorded. What must be seen is
read from the widget state the run saved (the models' answers, tool calls, errors and badges as the live
view showed them), and checked against the *visible* text of the page (``innerText``, which leaves out
what CSS hides), per model. Screenshots go to tests/artifacts/export_*.png.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.chromium import needs_chromium, open_offline
from tests.test_browser import ARTIFACTS

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
try:
    import nbconvert
except ImportError:  # a dev dependency: without it the feature under test cannot work, so fail rather than skip
    pytest.fail("nbconvert is missing: pip install 'nbconvert>=7' (export_html and this test need it)", pytrace=False)

from multimodel.errors import ConfigError  # noqa: E402
from multimodel.notebook import export_html  # noqa: E402
from multimodel.notebook.export import WIDGET_STATE_MIME, WIDGET_VIEW_MIME, html_manager_js  # noqa: E402
from tests.test_notebooks import NOTEBOOKS, executed  # noqa: E402

EMBED_JS_SHA256 = "8f6d2d3f856d8595d1841dec3019d99bbe74d331f2a5178c2a33bfec729e3d6a"  # npm 1.0.15 dist/embed.js
COLUMN = {"title": 0, "badges": 2, "error": 3, "answer": 4, "tools": 6}  # LiveView column children (live.py)




# ---------------------------------------------------------------------------------------------- widget state
class _Text(HTMLParser):
    """The text of an HTML fragment as a browser shows it (the contents of <style> and <script> left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def squash(text: str) -> str:
    """Text without any whitespace: an HTML fragment and a page's innerText differ only in spacing and breaks."""
    return re.sub(r"\s+", "", text)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return squash("".join(parser.parts))


def _ref(value: str) -> str:
    return value.removeprefix("IPY_MODEL_")


@dataclass
class View:
    """One widget view in the outputs, with the texts the widget state says it shows."""

    model_id: str
    texts: list[str]
    token: str | None = None  # a multimodel live view: the token pairing it with its static copy
    columns: dict[str, list[str]] = field(default_factory=dict)  # live view: model -> texts of its column


def shown_texts(state: dict[str, Any], model_id: str) -> list[str]:
    """Texts a widget shows: HTML and Label values, button labels, accordion titles; collapsed sections skipped."""
    model = state[model_id]["state"]
    out = []
    if model.get("_model_name") in ("HTMLModel", "LabelModel", "HTMLMathModel"):
        out.append(html_text(model.get("value") or ""))
    if model.get("_model_name") in ("ToggleButtonModel", "ButtonModel"):
        out.append(squash(model.get("description") or ""))
    if model.get("_model_name") == "AccordionModel":
        out += [squash(t) for t in model.get("titles") or [] if t]
        return [t for t in out if t]  # its contents are collapsed
    for child in model.get("children") or []:
        out += shown_texts(state, _ref(child))
    return [t for t in out if t]


def widget_views(nb: Any) -> list[View]:
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})
    views = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            ref = out.get("data", {}).get(WIDGET_VIEW_MIME)
            if not ref or ref["model_id"] not in state:
                continue
            view = View(ref["model_id"], shown_texts(state, ref["model_id"]))
            classes = state[view.model_id]["state"].get("_dom_classes", [])
            if "mm-live-view" in classes:
                view.token = next(c.removeprefix("mm-widget-") for c in classes if c.startswith("mm-widget-"))
                view.columns = _live_columns(state, view.model_id)
            views.append(view)
    return views


def _live_columns(state: dict[str, Any], model_id: str) -> dict[str, list[str]]:
    """A live view's columns: model -> the texts of its title, badges, error, answer and tool calls."""
    columns: dict[str, list[str]] = {}
    todo = [model_id]
    while todo:
        m = state[todo.pop()]["state"]
        children = [_ref(c) for c in m.get("children") or []]
        if "mm-live-column" in m.get("_dom_classes", []):
            title = state[children[COLUMN["title"]]]["state"]["value"]
            model = re.search(r"class='mm-title'[^>]*>([^<]+)<", title).group(1)
            texts = [html_text(state[children[i]]["state"]["value"]) for i in COLUMN.values()]
            columns[model] = [t for t in texts if t]
        else:
            todo += children
    return columns


def _stock_export(nb: Any, out: Path) -> Path:
    """What ``jupyter nbconvert --to html`` writes."""
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb, resources={"metadata": {"name": out.stem}})
    out.write_text(body, encoding="utf-8")
    return out


def _visible(page: Any, selector: str) -> str:
    """The visible text of the first element matching ``selector`` (innerText leaves out what CSS hides)."""
    return squash(page.eval_on_selector(selector, "e => e.innerText"))


# ---------------------------------------------------------------------------------------------- the notebooks
@needs_chromium
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_exported_notebook_shows_its_widget_content_offline(path: Path, browser: Any,
                                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    nb, nb_dir, _ = executed(path, tmp_path_factory)
    views = widget_views(nb)
    live = [v for v in views if v.token]
    if path.stem in ("01_quickstart", "03_reasoning_and_tools"):
        assert live, f"{path.name}: expected a live side-by-side view in the outputs"
    ARTIFACTS.mkdir(exist_ok=True)
    saved_nb = nb_dir / f"executed_{path.name}"
    nbformat.write(nb, saved_nb)

    # 1. stock nbconvert: the CDN is blocked, no widget is drawn; every live view's static copy shows it all
    stock = _stock_export(nb, ARTIFACTS / f"export_{path.stem}_nbconvert.html")
    context, page, seen = open_offline(browser, stock, javascript=True)
    try:
        page.wait_for_load_state("load")
        for view in live:
            static = f".mm-static-{view.token}"
            assert page.locator(static).is_visible(), f"{path.name}: the static copy of a live view is hidden"
            assert page.locator(f".mm-widget-{view.token}").count() == 0  # nothing drew the widget
            for model, texts in view.columns.items():
                card = f"{static} .mm-card[data-model='{model}']"
                assert page.locator(card).is_visible(), (path.name, model)
                shown = _visible(page, card)
                for text in texts:
                    assert text in shown, f"{path.name}: {model}: {text[:80]!r} not visible in the nbconvert export"
        assert "SIMULATED" in page.locator("body").inner_text()
        if views:  # the widget manager was asked for from the CDN, and refused
            assert any("unpkg.com" in u for u in seen["outside"]), seen["outside"]
        page.screenshot(path=str(ARTIFACTS / f"export_{path.stem}_nbconvert.png"), full_page=True)
        assert seen["dialogs"] == [] and seen["errors"] == []
    finally:
        context.close()

    # 1b. saved as JupyterLab saves by default (no widget state): nbconvert then shows each widget output's
    #     text/html, the live view's note, and its static copy after it: every answer once, never twice
    if live:
        bare = copy.deepcopy(nb)
        bare.metadata.pop("widgets", None)
        saved = _stock_export(bare, ARTIFACTS / f"export_{path.stem}_nbconvert_no_state.html")
        context, page, seen = open_offline(browser, saved, javascript=True)
        try:
            assert page.locator(".mm-live-note").count() == len(live)
            assert all(page.locator(".mm-live-note").nth(i).is_visible() for i in range(len(live)))
            for view in live:
                assert page.locator(f".mm-static-{view.token}").is_visible()
                for model, texts in view.columns.items():
                    cards = page.locator(f".mm-card[data-model='{model}']")
                    visible = sum(cards.nth(i).is_visible() for i in range(cards.count()))
                    assert visible == sum(model in v.columns for v in live), (path.name, model, visible)
                    shown = _visible(page, f".mm-static-{view.token} .mm-card[data-model='{model}']")
                    assert all(text in shown for text in texts), (path.name, model)
            assert seen["errors"] == []
        finally:
            context.close()

    # 2. export_html: the widget manager is inlined; every widget view is drawn, nothing leaves the page
    offline = export_html(saved_nb, ARTIFACTS / f"export_{path.stem}_offline.html")
    context, page, seen = open_offline(browser, offline, javascript=True)
    try:
        if views:
            page.wait_for_function(
                f"document.querySelectorAll('.widget-subarea').length >= {len(views)}", timeout=20_000)
            page.wait_for_timeout(300)  # the last views finish drawing
        drawn = page.evaluate("""() => Object.fromEntries(
            [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')].map(s => {
                const area = s.previousElementSibling;
                const box = area && area.getBoundingClientRect();
                return [JSON.parse(s.textContent).model_id,
                        area && area.classList.contains('widget-subarea') && box.width > 0 && box.height > 0
                            ? area.innerText : null];
            }))""")
        for view in views:
            shown = drawn.get(view.model_id)
            assert shown is not None, f"{path.name}: widget {view.model_id} was not drawn"
            for text in view.texts:
                assert text in squash(shown), f"{path.name}: {text[:80]!r} not visible in the offline export"
        for view in live:
            assert page.locator(f".mm-widget-{view.token}").is_visible()
            assert not page.locator(f".mm-static-{view.token}").is_visible(), "the widget is drawn: hide its copy"
            for model in view.columns:
                assert page.locator(f".mm-widget-{view.token} .mm-live-column", has_text=model).is_visible()
        page.screenshot(path=str(ARTIFACTS / f"export_{path.stem}_offline.png"), full_page=True)
        assert seen["outside"] == [], f"{path.name}: the offline export asked the network for {seen['outside']}"
        assert seen["dialogs"] == [] and seen["errors"] == []
    finally:
        context.close()
    html = offline.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']https?:", html)
    assert ("@jupyter-widgets/html-manager 1.0.15" in html) == bool(views)  # the manager only when needed


# ---------------------------------------------------------------------------------------------- export_html
def test_vendored_widget_manager_is_the_pinned_npm_file() -> None:
    from importlib import resources

    gz = resources.files("multimodel") / "data" / "jupyter-widgets-html-manager-embed.js.gz"
    import gzip

    assert hashlib.sha256(gzip.decompress(gz.read_bytes())).hexdigest() == EMBED_JS_SHA256
    js = html_manager_js()
    assert js.startswith("/*! @jupyter-widgets/html-manager 1.0.15") and "jQuery JavaScript Library" in js


def test_export_html_says_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no notebook at"):
        export_html(tmp_path / "missing.ipynb")
    bad = tmp_path / "bad.ipynb"
    bad.write_text("not json")
    with pytest.raises(ConfigError, match="not a readable notebook"):
        export_html(bad)


def _widget_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "import ipywidgets as w\n"
        "w.VBox([w.HTML('<b>drawn offline</b> &lt;script&gt;'), w.Accordion([w.HTML('inside')], titles=('details',))])"
    )]
    nbformat.write(nb, path)
    return path


@needs_chromium
def test_export_html_can_run_the_notebook_first(tmp_path: Path, browser: Any) -> None:
    src = _widget_notebook(tmp_path / "widgets.ipynb")
    out = export_html(src, tmp_path / "deep" / "folder" / "widgets.html", execute=True, timeout_s=120)
    assert out.is_file() and out.parent.name == "folder"
    assert json.loads(src.read_text())["cells"][0]["outputs"] == []  # the source notebook is left as it was
    context, page, seen = open_offline(browser, out, javascript=True)
    try:
        page.wait_for_selector(".widget-subarea .widget-html", timeout=20_000)
        assert page.locator(".widget-subarea").get_by_text("drawn offline").is_visible()
        assert "<script>" in page.locator(".widget-subarea").inner_text()  # escaped by the kernel, shown as text
        caret = page.locator(".widget-subarea .fa-caret-right")
        assert caret.is_visible()  # the accordion's icon, drawn without the icon font
        assert page.eval_on_selector(".widget-subarea .fa-caret-right",
                                     "e => getComputedStyle(e, '::before').content") == '"▸"'
        assert seen["outside"] == [] and seen["errors"] == []
    finally:
        context.close()


def test_export_html_without_widgets_has_no_script(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# plain"), nbformat.v4.new_code_cell("1 + 1")]
    src = tmp_path / "plain.ipynb"
    nbformat.write(nb, src)
    html = export_html(src).read_text(encoding="utf-8")
    assert (tmp_path / "plain.html").is_file()
    assert "html-manager" not in html and "<script src=\"http" not in html
    assert not re.search(r"https?://(cdnjs|unpkg|cdn\.jsdelivr)", html)
