"""JupyterLab, for real: notebook 01 run from the Run menu in headless Chromium against a JupyterLab server.

A throwaway JupyterLab (``tests/throwaway_jupyterlab.py``: 127.0.0.1, a free port, a token, temporary
Jupyter folders, no news or update checks) serves a copy of ``notebooks/01_quickstart.ipynb``. Playwright
drives Debian's ``/usr/bin/chromium`` (no browser download); every request that is not to that server is
blocked and recorded, and any counts as a failure. The kernel runs against the simulator
(``MULTIMODEL_SIMULATE=1``, no provider keys in its environment).

What a user sees is checked, not what the kernel says it sent: a recorder in the page keeps the live
view's text at every DOM change, so the streaming check compares two moments while the models stream;
the highlight-differences button is clicked like a person would; the five columns are measured at a
1400 px wide window in JupyterLab's default layout (file browser open). Screenshots go to
``tests/artifacts/``. Needs ``pip install -r requirements-browser.txt`` (Playwright, JupyterLab).
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.throwaway_jupyterlab import JupyterLab, running_jupyterlab

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "01_quickstart.ipynb"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
from tests.chromium import CHROMIUM  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
WIDTH, HEIGHT = 1400, 1000
MODELS = [  # notebook 01's MODELS, in its order
    "openai/gpt-5.4", "anthropic/claude-sonnet-4-6", "gemini/gemini-3-flash-preview", "xai/grok-4.3",
    "deepseek/deepseek-flash",
]
SETUP = "pip install -r requirements-browser.txt (Playwright and JupyterLab)"
# Every wait is bounded; together they stay far below pytest's 300 s per test.
SERVER_START_S = 60
OPEN_S = 60  # the lab page, the notebook and its kernel
RUN_ALL_S = 90  # notebook 01 runs in ~8 s here
CLICK_S = 15

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium); CI installs it"
)

# Kept in the page from before "Run All" on: the live view's text at every DOM change, with the time.
RECORDER = """() => {
  window.__mmLive = []; let last = null;
  const record = () => {
    const view = document.querySelector('.mm-live-view');
    if (!view) return;
    const text = view.textContent;
    if (text === last) return;
    last = text;
    window.__mmLive.push({t: performance.now(), text,
                          columns: [...view.querySelectorAll('.mm-live-column')].map(c => c.textContent)});
  };
  new MutationObserver(record).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
ALL_CELLS_RAN = """() => {
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')]
    .map(p => p.textContent.trim());
  return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p));
}"""
KERNEL_IDLE = "() => /\\|\\s*Idle/.test(document.querySelector('#jp-main-statusbar')?.textContent || '')"


@dataclass
class Session:
    """The page with notebook 01 run, what the page recorded, and how long each step took."""

    page: Any
    lab: JupyterLab
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    live: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture(scope="module")
def lab():
    try:
        import jupyterlab  # noqa: F401
    except ImportError as exc:
        pytest.fail(f"chromium is installed but JupyterLab cannot be imported ({exc}); set up the browser tests "
                    f"with: {SETUP}")
    env = {"MULTIMODEL_SIMULATE": "1", "MULTIMODEL_LIVE": "1"}
    with running_jupyterlab([NOTEBOOK], extra_env=env, start_timeout_s=SERVER_START_S) as server:
        yield server


def _guard(page, lab: JupyterLab, session: Session) -> None:
    """Block and record every request that is not to the lab server; record page errors and console errors."""
    own = (f"http://127.0.0.1:{lab.port}/", f"ws://127.0.0.1:{lab.port}/")

    def on_route(route):
        url = route.request.url
        if url.startswith(own) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            session.outside.append(url)
            route.abort()

    page.route("**/*", on_route)
    page.on("pageerror", lambda e: session.errors.append(f"page error: {e}"))
    page.on("console", lambda m: session.errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("dialog", lambda d: (session.errors.append(f"dialog: {d.message}"), d.dismiss()))


def _open_and_run_all(page, lab: JupyterLab, session: Session) -> None:
    t0 = time.monotonic()
    page.goto(lab.lab_url(NOTEBOOK.name), timeout=OPEN_S * 1000)
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=OPEN_S * 1000)
    page.wait_for_function(KERNEL_IDLE, timeout=OPEN_S * 1000)
    session.timings["open notebook + kernel idle"] = time.monotonic() - t0
    lab.remember_processes()  # the kernel too: shutdown makes sure it is gone, even if the server dies first
    page.evaluate(RECORDER)
    t0 = time.monotonic()
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click(timeout=CLICK_S * 1000)
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click(timeout=CLICK_S * 1000)
    page.wait_for_function(ALL_CELLS_RAN, timeout=RUN_ALL_S * 1000)
    page.wait_for_function(KERNEL_IDLE, timeout=RUN_ALL_S * 1000)
    session.timings["run all cells"] = time.monotonic() - t0
    session.live = page.evaluate("window.__mmLive")


@pytest.fixture(scope="module")
def session(lab):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"chromium is installed but Playwright is not; set up the browser tests with: {SETUP}")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}).new_page()
            s = Session(page=page, lab=lab)
            _guard(page, lab, s)
            try:
                _open_and_run_all(page, lab, s)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "jupyterlab_failed.png"))
                raise
            yield s
        finally:
            browser.close()


def _streamed(column_text: str) -> int | None:
    """Characters the column says it has streamed so far (answer + reasoning); None when not streaming."""
    m = re.search(r"streaming…[^\n]*?([\d,]+) chars(?: \+ ([\d,]+) reasoning)?", column_text)
    if m is None:
        return None
    return sum(int(g.replace(",", "")) for g in m.groups() if g)


def _columns_fit(page) -> dict[str, Any]:
    """The view's row and columns, measured where they are on screen."""
    return page.evaluate("""() => {
      const cols = [...document.querySelectorAll('.mm-live-view .mm-live-column')];
      const row = cols.length ? cols[0].parentElement : null;
      const output = document.querySelector('.mm-live-view').closest('.jp-OutputArea-output');
      const box = e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, width: r.width}; };
      return {
        n: cols.length, columns: cols.map(box), row: row && box(row), output: output && box(output),
        rowScroll: row && [row.scrollWidth, row.clientWidth],
        viewScroll: [document.querySelector('.mm-live-view').scrollWidth,
                     document.querySelector('.mm-live-view').clientWidth],
        outputScroll: output && [output.scrollWidth, output.clientWidth],
      };
    }""")


def test_notebook_01_runs_every_cell_from_the_run_menu(session):
    page = session.page
    prompts = page.eval_on_selector_all(".jp-Notebook .jp-CodeCell .jp-InputArea-prompt",
                                        "ps => ps.map(p => p.textContent.trim())")
    assert prompts == [f"[{i}]:" for i in range(1, len(prompts) + 1)], prompts  # each once, in order
    assert len(prompts) >= 8
    errors = page.eval_on_selector_all(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                                       "es => es.map(e => e.textContent)")
    assert not [e for e in errors if "Traceback" in e or "Error" in e], errors
    text = page.locator(".jp-Notebook").text_content()
    assert "SIMULATED" in text and "wrote out/01_comparison.html" in text
    assert (session.lab.root / "out" / "01_comparison.html").is_file()
    kernels = session.lab.api("/api/kernels")
    assert len(kernels) == 1 and kernels[0]["execution_state"] == "idle", kernels
    print("JupyterLab started in", f"{session.lab.started_s:.1f} s;",
          "; ".join(f"{k} {v:.1f} s" for k, v in session.timings.items()))


def test_live_view_fills_in_while_the_models_stream(session):
    live = [s for s in session.live if len(s["columns"]) == len(MODELS)]
    assert live, f"the live view never showed {len(MODELS)} columns: {session.live[:3]}"
    first, final = live[0], live[-1]
    # shown before any answer arrived: every column starts empty, waiting
    assert all(_streamed(c) is None and "done" not in c for c in first["columns"]), first["columns"]
    for model, column in zip(MODELS, final["columns"], strict=True):
        assert model in column and "done" in column and "streaming" not in column, (model, column)
        assert f"[simulated {model.split('/', 1)[1]}]" in column, column  # the answer itself is shown
    # two moments while the models stream: the same column shows more streamed text the second time
    growth = []
    for i, model in enumerate(MODELS):
        seen = [(s["t"], n) for s in live if (n := _streamed(s["columns"][i])) is not None]
        growth += [(model, t1, n1, t2, n2) for (t1, n1), (t2, n2) in itertools.pairwise(seen) if n2 > n1]
    assert growth, "no column showed more streamed text at a later moment: " + repr(
        [[_streamed(c) for c in s["columns"]] for s in live])
    model, t1, n1, t2, n2 = max(growth, key=lambda g: g[3] - g[1])
    assert t2 > t1
    streaming = [s for s in live if any(_streamed(c) is not None for c in s["columns"])]
    assert len({s["text"] for s in streaming}) >= 2
    print(f"{len(live)} DOM states of the live view, {len(streaming)} while streaming; e.g. {model}: "
          f"{n1} chars at +{t1 - first['t']:.0f} ms, {n2} chars at +{t2 - first['t']:.0f} ms")


def test_highlight_differences_button_marks_the_differing_words(session):
    page = session.page
    view = page.locator(".mm-live-view")
    view.scroll_into_view_if_needed(timeout=CLICK_S * 1000)
    marks = page.locator(".mm-live-view .mm-live-column mark")
    columns = page.locator(".mm-live-view .mm-live-column")
    assert marks.count() == 0
    before = view.text_content()
    button = page.locator(".mm-live-view button", has_text="Highlight differences")
    button.click(timeout=CLICK_S * 1000)
    marks.first.wait_for(state="visible", timeout=CLICK_S * 1000)
    assert "mod-active" in (button.get_attribute("class") or "")
    assert view.text_content() != before
    assert columns.nth(0).locator("mark").count() == 0  # the first column is the reference
    assert "reference" in columns.nth(0).text_content()
    marked = [columns.nth(i).locator("mark").count() for i in range(len(MODELS))]
    assert all(n > 0 for n in marked[1:]), marked  # every other simulated answer differs from the first
    first_mark = columns.nth(1).locator("mark").first.text_content().strip()
    assert first_mark and first_mark in columns.nth(1).text_content()
    page.screenshot(path=str(ARTIFACTS / "jupyterlab_highlight.png"))
    button.click(timeout=CLICK_S * 1000)  # and back: the plain answers again
    page.wait_for_function("() => document.querySelectorAll('.mm-live-view .mm-live-column mark').length === 0",
                           timeout=CLICK_S * 1000)
    assert "reference" not in columns.nth(0).text_content()


def test_five_columns_fit_without_horizontal_overflow_at_1400px(session):
    page = session.page
    assert page.viewport_size == {"width": WIDTH, "height": HEIGHT}
    page.locator(".mm-live-view").scroll_into_view_if_needed(timeout=CLICK_S * 1000)
    page.screenshot(path=str(ARTIFACTS / "jupyterlab_notebook01.png"))
    page.locator(".mm-live-view").screenshot(path=str(ARTIFACTS / "jupyterlab_live_view.png"))
    m = _columns_fit(page)
    assert m["n"] == len(MODELS), m
    detail = f"output area {m['output']['width']:.0f} px wide; columns {[round(c['width']) for c in m['columns']]}"
    row = m["rowScroll"]
    assert row[0] <= row[1] + 1, f"the row of columns scrolls sideways: {row} (scrollWidth, clientWidth); {detail}"
    assert m["viewScroll"][0] <= m["viewScroll"][1] + 1, f"the view overflows: {m['viewScroll']}; {detail}"
    assert m["outputScroll"][0] <= m["outputScroll"][1] + 1, f"the output overflows: {m['outputScroll']}; {detail}"
    for model, c in zip(MODELS, m["columns"], strict=True):
        assert c["left"] >= 0 and c["right"] <= WIDTH, (model, c, detail)  # inside the window
        assert m["output"]["left"] - 1 <= c["left"] and c["right"] <= m["output"]["right"] + 1, (model, c, detail)
        assert c["width"] >= 150, (model, c, detail)  # side by side, still readable
    rights = [c["right"] for c in m["columns"]]
    lefts = [c["left"] for c in m["columns"]]
    assert all(r <= next_left + 1 for r, next_left in zip(rights, lefts[1:], strict=False)), m["columns"]  # no overlap


def test_the_comparison_cell_shows_each_answer_once(session):
    """Where the widget is drawn, nothing else in its cell repeats the answers (a static copy stays hidden)."""
    page = session.page
    page.locator(".mm-live-view").scroll_into_view_if_needed(timeout=CLICK_S * 1000)
    shown = page.evaluate("() => document.querySelector('.mm-live-view').closest('.jp-OutputArea').innerText")
    for model in MODELS:
        assert shown.count(model) == 1, (model, shown.count(model), shown[:2000])


def test_nothing_left_the_machine_and_the_page_raised_nothing(session):
    assert session.outside == [], f"requests to outside the lab server: {session.outside}"
    assert session.errors == [], session.errors
