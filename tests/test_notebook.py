"""The live ipywidgets view (driven from a background thread like the I/O loop does) and the static HTML."""

from __future__ import annotations

import re
import threading
import time

import pytest

import multimodel as mm
from multimodel.comparison import Comparison
from multimodel.notebook import LiveView, start_live_view, widgets_available
from multimodel.notebook import html as H
from multimodel.notebook.markdown import markdown_to_html
from tests.test_plots import EVIL, MODELS, sample_comparison, sample_results


def _stream(view: LiveView, key, pieces: list[tuple[str, str]], *, pause: float = 0.0) -> threading.Thread:
    def run():
        for kind, text in pieces:
            view.on_delta(key, kind, text)
            if pause:
                time.sleep(pause)

    t = threading.Thread(target=run)
    t.start()
    return t


def _wait(cond, timeout: float = 3.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


@pytest.fixture
def view():
    v = LiveView(MODELS, prompt="Why is the sky blue? <b>two sentences</b>", simulated=True, interval=0.05)
    yield v
    v.close()


def test_streamed_text_reaches_the_widgets_from_another_thread(view):
    words = ["The", "sky", "is", "**blue**", "because", "air", "scatters", "short", "wavelengths", "."]
    t1 = _stream(view, MODELS[0], [("content", w + " ") for w in words], pause=0.002)
    t2 = _stream(view, 2, [("reasoning", "think "), ("reasoning", "hard "), ("content", "Because physics.")])
    t1.join()
    t2.join()
    col0, col2 = view.column(MODELS[0]), view.column(2)
    _wait(lambda: "wavelengths" in col0.answer.value and "physics" in col2.answer.value)
    assert "<strong>blue</strong>" in col0.answer.value  # rendered as markdown while streaming
    assert "think hard" in col2.reasoning.value
    assert "streaming" in col0.status.value and "chars" in col0.status.value
    assert "waiting for the first token" in view.column(1).status.value  # nothing streamed there yet


def test_on_delta_is_cheap_and_updates_are_throttled():
    view = LiveView(MODELS[:2], prompt="p", simulated=False, interval=0.1)
    try:
        n = 20_000
        start = time.perf_counter()
        t = _stream(view, 0, [("content", "x")] * n)
        t.join()
        spent = time.perf_counter() - start
        assert spent < 1.0, f"{n} deltas took {spent:.2f}s: on_delta must only buffer"
        time.sleep(0.35)
        view.close()
        # 20k deltas became a handful of widget writes (~10 per second for the one busy column)
        assert 1 <= view.flushes <= int((spent + 0.35) / 0.1) + 3
        assert view.column(0).text == "x" * n
    finally:
        view.close()


def test_finish_fills_answer_reasoning_tools_badges_and_errors(view):
    results = sample_results()
    for i, r in enumerate(results):
        view.finish(i, r)
    c0, c1, c5 = view.column(0), view.column(1), view.column(5)
    # answer as markdown, badges with units, n/a when unknown
    assert "<strong>blue</strong>" in c0.answer.value and "<li>short waves scatter more</li>" in c0.answer.value
    for label in ("TTFT", "total", "tokens", "speed", "cost"):
        assert f"<b>{label}</b>" in c0.badges.value
    assert "400 ms" in c0.badges.value and "2.10 s" in c0.badges.value and "$0.000950" in c0.badges.value
    assert "n/a" in view.column(4).badges.value  # unpriced model: cost n/a, never $0
    # reasoning: collapsible, and says so when the provider returned none
    assert H.NO_REASONING in c0.reasoning.value
    assert c0.reasoning_box.get_title(0) == "reasoning: none returned"
    assert "scattering of sunlight" in c1.reasoning.value
    assert c1.reasoning_box.selected_index is None  # collapsed
    # tool calls as a table: name, arguments (escaped)
    assert "lookup_fact" in c1.tools.value and "<table" in c1.tools.value
    assert "rayleigh &lt;b&gt;" in c1.tools.value
    # the failure: kind, status and message in red, escaped
    assert "rate_limit" in c5.error.value and "HTTP 429" in c5.error.value
    assert "Too many requests &lt;slow down&gt;" in c5.error.value and "#b00020" in c5.error.value
    assert "failed" in c5.status.value
    assert "6/6 finished" in view.header.value and "1 failed" in view.header.value


def test_header_says_simulated_and_escapes_the_prompt(view):
    assert "SIMULATED" in view.header.value
    assert "&lt;b&gt;two sentences&lt;/b&gt;" in view.header.value
    real = LiveView(MODELS[:1], prompt="hi", simulated=False)
    try:
        assert "SIMULATED" not in real.header.value
    finally:
        real.close()


def test_model_output_is_escaped_in_every_widget(view):
    r = sample_results()[1]
    _stream(view, 1, [("content", EVIL), ("reasoning", EVIL)]).join()
    _wait(lambda: "script" in view.column(1).answer.value)
    for value in (view.column(1).answer.value, view.column(1).reasoning.value):
        assert "<script" not in value and "<img" not in value
        assert "&lt;script&gt;" in value
    view.finish(1, r)
    col = view.column(1)
    values = [col.answer.value, col.reasoning.value, col.tools.value, col.title.value, col.badges.value]
    assert not any("<script" in v or "<img" in v for v in values)
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in col.answer.value


def test_diff_toggle_highlights_words_that_differ_from_the_first_column(view):
    results = sample_results()
    for i, r in enumerate(results):
        view.finish(i, r)
    view.toggle.value = True
    first = view.column(0).answer.value
    second = view.column(1).answer.value
    assert "reference for the highlighted differences" in first and "<mark" not in first
    marked = re.findall(r"<mark[^>]*>([^<]*)</mark>", second)
    assert "due" in marked and "to" in marked  # "because of" became "due to"
    assert "sky" not in marked and "The" not in marked  # shared words are not marked
    assert "<mark" not in view.column(5).answer.value  # the failed column has no answer to diff
    view.toggle.value = False
    assert "<mark" not in view.column(1).answer.value and "<strong>blue</strong>" in view.column(0).answer.value


def test_diff_applies_to_columns_still_streaming(view):
    view.finish(0, sample_results()[0])
    view.toggle.value = True
    _stream(view, 3, [("content", "The sky is green because of magic.")]).join()
    _wait(lambda: "<mark" in view.column(3).answer.value)
    marked = re.findall(r"<mark[^>]*>([^<]*)</mark>", view.column(3).answer.value)
    assert "green" in marked and "magic." in marked and "sky" not in marked


def test_close_fills_open_columns_and_marks_the_comparison():
    cmp = sample_comparison()
    view = LiveView([r.model for r in cmp.results], prompt=cmp.prompt, simulated=True, interval=0.05)
    view.finish(0, cmp.results[0])
    _stream(view, 1, [("content", "partial")]).join()
    view.close(cmp)
    assert all(c.done for c in view.columns)
    assert "Rayleigh" in view.column(1).answer.value  # the final answer replaced the partial stream
    assert "finished" in view.header.value and "5 answered" in view.header.value
    assert cmp.live_view is view
    assert not view._thread.is_alive()
    view.close(cmp)  # idempotent


def test_close_without_comparison_marks_unfinished_columns():
    view = LiveView(MODELS[:2], prompt="p", simulated=False)
    view.finish(0, sample_results()[0])
    view.close(None)
    assert "did not complete" in view.column(1).status.value


def test_static_copy_keeps_what_streamed_and_says_what_did_not_finish():
    view = LiveView(MODELS[:3], prompt="Why <b>blue</b>?", simulated=True, interval=0.05)
    view.finish(0, sample_results()[0])
    _stream(view, 1, [("content", "half an **answer**")]).join()
    view.close(None)  # the call failed: column 1 streamed part of an answer, column 2 nothing
    html = view.static_html()
    assert html.count("class='mm-card'") == 3 and "SIMULATED" in html
    assert "Why &lt;b&gt;blue&lt;/b&gt;?" in html  # the prompt, escaped
    assert "half an <strong>answer</strong>" in html  # what streamed, rendered as it was shown
    assert html.count("incomplete") == 2 and "the request did not complete" in html
    text = view.static_text()
    assert text.splitlines()[0].endswith("SIMULATED")
    assert f"{MODELS[1]}: ERROR incomplete" in text and "Rayleigh" in text.splitlines()[1]
    header = view.header.value
    time.sleep(0.15)
    assert view._header_html() == header  # "finished in" is the time at close, however late it is read


def test_repr_mimebundle_carries_the_widget_and_its_content():
    cmp = sample_comparison()
    view = LiveView([r.model for r in cmp.results], prompt=cmp.prompt, simulated=True)
    view.close(cmp)
    bundle = view._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == view.widget.model_id
    for r in cmp.results:
        assert f"data-model='{r.model}'" in bundle["text/html"] and r.model in bundle["text/plain"]


def test_cards_share_the_row_side_by_side_and_keep_their_width_when_wrapped():
    results = sample_results()
    row = H.comparison_html(results)
    wrapped = H.comparison_html(results, wrap=True)
    assert row.count(H.STYLE_CARD_ROW) == len(results) and H.STYLE_CARD not in row
    assert wrapped.count(H.STYLE_CARD) == len(results) and H.STYLE_CARD_ROW not in wrapped
    assert f"min-width:{H.CARD_MIN_WIDTH}" in H.STYLE_CARD_ROW
    calls = H.tool_calls_html([{"name": "get_weather", "arguments": {"city": "Paris"}},
                               {"name": "t", "arguments_raw": "{bad"}])
    assert "2 tool calls" in calls and calls.count("<tr>") == 3 and "{bad" in calls  # one column: name, then arguments


def test_ipython_display_shows_summary_after_live_view(monkeypatch):
    import IPython.display

    shown: list[dict] = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False, **kw: shown.append(obj))
    cmp = sample_comparison()
    cmp._ipython_display_()
    assert "mm-card" in shown[-1]["text/html"]  # full side-by-side columns
    view = LiveView([r.model for r in cmp.results], prompt=cmp.prompt, simulated=True)
    view.close(cmp)
    cmp._ipython_display_()
    html = shown[-1]["text/html"]
    assert "mm-card" not in html and "mm-summary" in html  # not the same columns twice
    for m in MODELS:
        assert m in html
    assert "SIMULATED" in html and shown[-1]["text/plain"].startswith("<Comparison of 6 models")


def test_start_live_view_needs_a_kernel(monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)
    assert not widgets_available()
    assert start_live_view(MODELS, prompt="p", simulated=True) is None

    class Shell:
        kernel = object()

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    assert widgets_available()
    monkeypatch.setenv("MULTIMODEL_LIVE", "0")
    assert not widgets_available()
    monkeypatch.delenv("MULTIMODEL_LIVE")

    import IPython.display

    displayed: list[tuple] = []

    class Handle:
        def update(self, obj, **kw):
            displayed.append(("update", obj, kw))

    def fake_display(obj, **kw):
        displayed.append(("display", obj, kw))
        return Handle()

    monkeypatch.setattr(IPython.display, "display", fake_display)
    view = start_live_view(MODELS[:2], prompt="p", simulated=True)
    assert isinstance(view, LiveView)
    kind, bundle, kw = displayed[0]
    assert kw == {"raw": True, "display_id": True}
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == view.widget.model_id
    assert "SIMULATED" in bundle["text/html"] and "SIMULATED" in bundle["text/plain"]
    cmp = Comparison("p", sample_results()[:2], simulated=True)
    view.close(cmp)
    # the widget's own output keeps its view and says where the answers are for front ends without widgets
    kind, bundle, kw = displayed[-2]
    assert kind == "update" and bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == view.widget.model_id
    assert "follows as static HTML" in bundle["text/html"] and "mm-card" not in bundle["text/html"]
    # then the finished view as static HTML, in an output of its own (nbconvert shows only the widget view of
    # an output that has one), hidden by CSS wherever the widget itself is drawn
    kind, bundle, kw = displayed[-1]
    assert kind == "display" and kw == {"raw": True}
    assert "application/vnd.jupyter.widget-view+json" not in bundle
    html = bundle["text/html"]
    assert f"body:has(.mm-widget-{view.token}) .mm-static-{view.token}{{display:none" in html
    assert f"mm-widget-{view.token}" in view.widget._dom_classes
    for r in cmp.results:
        assert f"data-model='{r.model}'" in html
        assert r.model in bundle["text/plain"]
    assert "SIMULATED" in html and "finished" in html and "SIMULATED" in bundle["text/plain"]
    assert view.static_copy_shown


# ------------------------------------------------------------------------------------------- static HTML
def test_comparison_html_is_escaped_and_complete():
    cmp = sample_comparison()
    html = cmp._repr_html_()
    for m in MODELS:
        assert f"data-model='{m}'" in html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html
    assert H.NO_REASONING in html and "lookup_fact" in html
    assert "rate_limit" in html and "Too many requests &lt;slow down&gt;" in html
    assert "SIMULATED" in html and "&lt;b&gt;two sentences&lt;/b&gt;" in html
    assert "words that differ from openai/gpt-5.4" in html and "<mark" in html


def test_text_repr_is_readable():
    text = repr(sample_comparison())
    lines = text.splitlines()
    assert lines[0] == "<Comparison of 6 models: SIMULATED (multimodel's built-in simulator, not real model output)>"
    assert "openai/gpt-5.4: ttft=0.40s total=2.10s tokens=60 cost=$0.000950" in lines[1]
    assert "xai/grok-3-mini: ERROR rate_limit 429: Too many requests <slow down>" in lines[6]
    assert "tool_calls=1" in lines[2] and "reasoning=" in lines[2]


def test_result_html_and_summary_table():
    r = sample_results()[0]
    html = H.result_html(r)
    assert "gpt-5.4" in html and "SIMULATED" in html and "$0.000950" in html
    summary = H.summary_table_html(sample_comparison().df)
    assert summary.count("<tr data-model=") == len(MODELS)
    assert "n/a" in summary  # unknown cost / failed model


def test_markdown_is_safe():
    out = markdown_to_html('# T\n`<b>` **x** [a](javascript:alert(1)) [b](https://ok.example/?a=1&b=2)\n\n'
                           '```\n<script>\n```')
    assert "<script" not in out and "&lt;script&gt;" in out
    assert "javascript:" not in out.split("href=")[-1] or 'href="javascript' not in out
    assert 'href="https://ok.example/?a=1&amp;b=2"' in out
    assert "<code>&lt;b&gt;</code>" in out and "<strong>x</strong>" in out and "<h3>T</h3>" in out


def test_the_public_module_still_exports():
    assert mm.plot.cost_vs_latency and mm.plot.save and mm.plot.colour and mm.plot.pareto_front


# ------------------------------------------------------------------------------------------- with the real client
def test_live_view_fed_by_the_client_over_a_real_stream():
    """The wiring Client.compare() uses: on_delta from the I/O thread, finish as each model ends, then close."""
    import asyncio
    from functools import partial

    from tests.scripted_server import ScriptedServer, sse_step

    server = ScriptedServer()
    try:
        chunks = [{"choices": [{"index": 0, "delta": {"reasoning": "let me think"}}]}]
        chunks += [{"choices": [{"index": 0, "delta": {"content": w}}]} for w in ("The ", "sky ", "is ", "blue.")]
        chunks += [{"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}}]
        server.default = sse_step(chunks, part_delay_s=0.02)
        client = mm.Client(providers={"loc": {"base_url": server.base_url, "api_key": "k",
                                              "prices": {"m": {"input": 1, "output": 2},
                                                                          "m2": {"input": 1, "output": 2}}}},
                           cache=False)
        models = ["loc/m", "loc/m2"]
        view = LiveView(models, prompt="hi", simulated=False, interval=0.02)
        threads: set[str] = set()
        original = view.on_delta

        def spy(key, kind, text):
            threads.add(threading.current_thread().name)
            original(key, kind, text)

        view.on_delta = spy

        async def run():
            async def one(i, m):
                r = await client.acomplete(m, "hi", stream=True, on_delta=partial(view.on_delta, i))
                view.finish(i, r)
                return r

            return await asyncio.gather(*(one(i, m) for i, m in enumerate(models)))

        results = asyncio.run(run())
        cmp = Comparison("hi", list(results))
        view.close(cmp)
        assert threading.current_thread().name not in threads  # deltas came from the I/O thread
        for i in range(2):
            col = view.column(i)
            assert "The sky is blue." in col.answer.value and "let me think" in col.reasoning.value
            assert "<b>TTFT</b>" in col.badges.value and "done" in col.status.value
        assert cmp.live_view is view and "2 answered" in view.header.value
    finally:
        server.stop()


def test_a_broken_finish_warns_instead_of_raising(view):
    with pytest.warns(RuntimeWarning, match="finish"):
        view.finish("no/such-model", sample_results()[0])
    with pytest.warns(RuntimeWarning, match="finish"):
        view.finish(0, object())


def test_compare_drives_the_live_view_while_streaming(monkeypatch):
    """Client.compare() feeds each column from its stream, finishes it with the Result, then closes the view."""
    import multimodel as mm
    import multimodel.notebook as nb

    created: list[LiveView] = []

    def fake_start(models, *, prompt=None, simulated=False):
        view = LiveView(models, prompt=prompt, simulated=simulated, interval=0.02)
        created.append(view)
        return view

    monkeypatch.setattr(nb, "start_live_view", fake_start)
    client = mm.Client.simulated(latency_scale=0.05)
    seen: list[tuple[str, str]] = []
    models = ["xai/grok-3-mini", "deepseek/deepseek-flash"]
    cmp = client.compare("Why is the sky blue?", models, stream=True, reasoning="low",
                         on_delta=lambda k, t: seen.append((k, t)))
    (view,) = created
    assert cmp.live_view is view and view.models == models
    for i, r in enumerate(cmp.results):
        col = view.column(i)
        assert col.done and r.content[:40] in col.text
    assert "simulated reasoning" in view.column(0).reasoning.value
    assert seen and {k for k, _ in seen} == {"content", "reasoning"}  # the caller's own hook still runs
    quiet = client.compare("hi", models, live=False)
    assert quiet.live_view is None and len(created) == 1  # live=False never starts a view
