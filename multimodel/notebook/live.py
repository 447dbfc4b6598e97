"""The live side-by-side view: one ipywidgets column per model, filled in as tokens stream.

Wiring (``Client.compare`` does this in a notebook)::

    view = start_live_view(models, prompt=prompt, simulated=client.simulated)   # None outside a kernel
    on_delta = partial(view.on_delta, i)      # per model; a column index (or the model string)
    view.finish(i, result)                    # as each model finishes (any thread)
    view.close(comparison)                    # once; fills columns still open, marks the comparison shown

``on_delta`` runs on the I/O thread many times a second, so it only appends to a buffer under a
lock. A daemon thread pushes the buffered text to the widgets at most every ``interval`` seconds per
column (10 per second by default); ``finish`` and ``close`` write the final state at once. Rendering
therefore never slows the stream, however fast the tokens come.

Exports: when the view closes it shows its final state once more as static HTML, in an output of its own
that hides itself wherever the widget is drawn (``multimodel.notebook.export``). An exported notebook shows
every answer even where no widget JavaScript runs (``jupyter nbconvert`` offline, GitHub, a blocked CDN).
"""

from __future__ import annotations

import contextlib
import functools
import html as _html
import os
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from multimodel.notebook import html as H
from multimodel.notebook.export import link_static_copy, static_copy_bundle, widget_bundle

_STREAM_MARKDOWN_LIMIT = 60_000  # beyond this, streaming text is shown plain (re-rendering is O(n))


def widgets_available() -> bool:
    """True inside an IPython kernel (Jupyter, VS Code, Colab) with ipywidgets importable.

    ``MULTIMODEL_LIVE=0`` turns the live view off (a static rendering is shown instead).
    """
    if os.environ.get("MULTIMODEL_LIVE", "").strip().lower() in ("0", "false", "no", "off"):
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return False
    return True


def start_live_view(models: Sequence[str], *, prompt: Any = None, simulated: bool = False) -> LiveView | None:
    """Create and display a LiveView; None when not in a widget-capable IPython kernel (or it cannot show)."""
    if not widgets_available():
        return None
    try:
        view = LiveView(models, prompt=prompt, simulated=simulated)
        view.display()
    except Exception as exc:  # a view that cannot be shown must not stop the comparison
        warnings.warn(f"the live view could not be shown ({exc!r}); the result is shown when it returns",
                      RuntimeWarning, stacklevel=2)
        return None
    return view


def _guarded(method: Callable[..., None]) -> Callable[..., None]:
    """finish() and close() never raise into the caller: a broken view warns, the comparison goes on."""

    @functools.wraps(method)
    def wrapper(self: LiveView, *args: Any, **kwargs: Any) -> None:
        try:
            method(self, *args, **kwargs)
        except Exception as exc:
            warnings.warn(f"live view {method.__name__}() failed: {exc!r}", RuntimeWarning, stacklevel=2)

    return wrapper


class _Column:
    """Widgets and stream buffers of one model's column."""

    def __init__(self, W: Any, model: str, index: int) -> None:
        self.model = model
        self.index = index
        self.lock = threading.Lock()  # guards the buffers below; held only for appends and snapshots
        self.content_parts: list[str] = []
        self.reasoning_parts: list[str] = []
        self.dirty = False
        self.first_delta_t: float | None = None
        self.done = False
        self.row: dict[str, Any] | None = None  # the finished Result as a dict
        self.text = ""  # the answer as last rendered (streamed so far, or final)

        self.title = W.HTML(value=H.card_title_html({"model": model}))
        self.status = W.HTML(value=f"<span style='{H.STYLE_MUTED}'>waiting for the first token…</span>")
        self.badges = W.HTML(value="")
        self.error = W.HTML(value="")
        self.answer = W.HTML(value="", layout=W.Layout(max_height="460px", overflow="hidden auto"))
        self.reasoning = W.HTML(value="")
        self.reasoning_box = W.Accordion(children=[self.reasoning])
        self.reasoning_box.set_title(0, "reasoning")
        self.reasoning_box.selected_index = None
        self.tools = W.HTML(value="", layout=W.Layout(width="100%"))
        self.box = W.VBox(
            [self.title, self.status, self.badges, self.error, self.answer, self.reasoning_box, self.tools],
            layout=W.Layout(  # columns share the row (five fit at 1400 px); past the minimum the row scrolls
                flex="1 1 0", width="auto", min_width=H.CARD_MIN_WIDTH, max_width=H.CARD_MAX_WIDTH,
                border="1px solid #d0d7de", padding="6px 8px", margin="0 8px 0 0", overflow="hidden",
            ),
        )
        self.box.add_class("mm-live-column")

    def snapshot(self) -> tuple[str, str] | None:
        with self.lock:
            if not self.dirty:
                return None
            content = "".join(self.content_parts)
            reasoning = "".join(self.reasoning_parts)
            self.content_parts = [content] if content else []
            self.reasoning_parts = [reasoning] if reasoning else []
            self.dirty = False
            return content, reasoning


class LiveView:
    """ipywidgets side-by-side view of one comparison, filled in live. See the module docstring."""

    def __init__(
        self,
        models: Sequence[str],
        *,
        prompt: Any = None,
        simulated: bool = False,
        interval: float = 0.1,
    ) -> None:
        import ipywidgets as W

        self.models = list(models)
        self.prompt = prompt
        self.simulated = bool(simulated)
        self.interval = float(interval)
        self.closed = False
        self._closed_at: float | None = None  # the header's "finished in" stays what it was at close
        self.flushes = 0  # widget refreshes done while streaming (for tests and diagnostics)
        self._t0 = time.monotonic()
        self._render_lock = threading.RLock()  # serializes every widget write
        self._stop = threading.Event()
        self._handle: Any = None
        self._cols = [_Column(W, m, i) for i, m in enumerate(self.models)]
        self.header = W.HTML(value=self._header_html())
        self.toggle = W.ToggleButton(
            value=False,
            description="Highlight differences",
            tooltip="show each answer as plain text with the words that differ from the first column highlighted",
            layout=W.Layout(width="220px"),
        )
        self.toggle.observe(self._on_toggle, names="value")
        self.row = W.HBox(
            [c.box for c in self._cols],
            layout=W.Layout(overflow="auto hidden", width="100%", flex_flow="row nowrap", align_items="flex-start",
                            padding="0 0 6px 0"),
        )
        self.widget = W.VBox([self.header, self.toggle, self.row])
        self.widget.add_class("mm-live-view")
        self.token = link_static_copy(self.widget)  # pairs the widget with its static copy (see display)
        self.static_copy_shown = False
        self._thread = threading.Thread(target=self._run, name="multimodel-live-view", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ the four calls
    def on_delta(self, model: str | int, kind: str, text: str) -> None:
        """Buffer streamed text for one column; called on the I/O thread, so it never touches widgets."""
        col = self._col(model)
        if col.done or not text:
            return
        with col.lock:
            if col.first_delta_t is None:
                col.first_delta_t = time.monotonic() - self._t0
            if kind == "reasoning":
                col.reasoning_parts.append(text)
            elif kind == "content":
                col.content_parts.append(text)
            else:
                return
            col.dirty = True

    @_guarded
    def finish(self, model: str | int, result: Any) -> None:
        """Fill one column with the final Result: answer, reasoning, tool calls, badges, error."""
        col = self._col(model)
        row = H.as_row(result)
        with self._render_lock:
            col.done = True
            col.row = row
            col.text = H._text(row.get("content")) or ""
            kind = H._text(row.get("error_kind"))
            col.title.value = H.card_title_html(row)
            if kind:
                col.status.value = "<span style='color:#b00020;font-weight:700'>failed</span>"
                col.error.value = H.error_html(kind, row.get("error_message"), row.get("error_status"))
            else:
                col.status.value = "<span style='color:#1a7f37;font-weight:700'>done</span>"
                col.error.value = ""
            col.badges.value = H.badges_html(row)
            reasoning = H._text(row.get("reasoning"))
            if reasoning is None:
                col.reasoning.value = f"<div style='{H.STYLE_MUTED}'>{_html.escape(H.NO_REASONING)}</div>"
                col.reasoning_box.set_title(0, "reasoning: none returned")
            else:
                col.reasoning.value = _plain(reasoning)
                col.reasoning_box.set_title(0, f"reasoning ({len(reasoning):,} chars)")
            col.tools.value = H.tool_calls_html(H._calls(row.get("tool_calls")))
            if self.toggle.value:
                self._render_answers()
            else:
                col.answer.value = self._answer_markup(col.index, col.text) if (col.text or not kind) else ""
            self.header.value = self._header_html()

    @_guarded
    def close(self, comparison: Any = None) -> None:
        """Stop the refresh thread, fill any column still open, and mark ``comparison`` as shown live.

        Columns without a finish() call are filled from ``comparison.results`` (same order as the models);
        with no comparison (the call failed) they say the request did not complete.
        """
        if self.closed:
            return
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self._flush()
        results = list(getattr(comparison, "results", None) or [])
        for col in self._cols:
            if col.done:
                continue
            if col.index < len(results):
                self.finish(col.index, results[col.index])
            else:
                with self._render_lock:
                    col.done = True
                    col.status.value = "<span style='color:#b00020'>did not complete</span>"
        self.closed = True
        self._closed_at = time.monotonic()
        with self._render_lock:
            self.header.value = self._header_html()
        if comparison is not None:
            with contextlib.suppress(AttributeError):
                comparison.live_view = self
        if self._handle is not None:
            self._show_static_copy()

    # ------------------------------------------------------------------ display
    def display(self) -> None:
        """Show the view in the current cell; front ends without widgets get a note (the answers follow)."""
        from IPython.display import display

        self._handle = display(self._bundle(), raw=True, display_id=True)

    def _show_static_copy(self) -> None:
        """After close: point the widget's fallback at the copy, then show the final state as static HTML.

        The copy is an output of its own because ``jupyter nbconvert`` shows only the widget view of an
        output that has one (when the notebook carries widget state), never its text/html.
        """
        from IPython.display import display

        self._handle.update(self._bundle(), raw=True)
        display(static_copy_bundle(self.static_html(), self.token, self.static_text()), raw=True)
        self.static_copy_shown = True

    def _bundle(self) -> dict[str, Any]:
        """The widget's own output: its view, and a note for front ends without widgets (the copy follows)."""
        n = len(self.models)
        sim = " (SIMULATED)" if self.simulated else ""
        text = f"<multimodel live view of {n} models{sim}; needs a front end with ipywidgets>"
        if self.closed:
            note = (f"multimodel live view of {n} models (drawn with ipywidgets): "
                    "its final state follows as static HTML.")
        else:
            note = (f"multimodel live view of {n} models: this front end does not show ipywidgets; "
                    "the answers are shown when the call returns.")
        banner = H.simulated_banner() if self.simulated and not self.closed else ""
        return widget_bundle(self.widget, f"{banner}<p class='mm-live-note' style='{H.STYLE_MUTED}'>{note}</p>", text)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget, with the view's current state as static HTML for front ends that cannot draw it."""
        return widget_bundle(self.widget, self.static_html(), self.static_text())

    def static_html(self) -> str:
        """The view as it stands, as self-contained HTML: header, prompt, one card per model.

        Cards carry what the columns show: answer, badges, error, reasoning and tool calls, and (collapsed)
        the words that differ from the first answer, which the widget shows with its toggle.
        """
        with self._render_lock:
            rows = [self._static_row(col) for col in self._cols]
            header = self._header_html()
        cards = H.comparison_html(rows, simulated=self.simulated, banner=False)
        return f"<div class='mm-live-static'>{header}{cards}</div>"

    def static_text(self) -> str:
        """The view as plain text: one line per model with the start of its answer or its error."""
        lines = [f"multimodel live view of {len(self._cols)} models" + (": SIMULATED" if self.simulated else "")]
        for col in self._cols:
            row = self._static_row(col)
            kind = H._text(row.get("error_kind"))
            text = " ".join((H._text(row.get("content")) or "").split())
            shown = f"ERROR {kind}: {H._text(row.get('error_message')) or ''}" if kind else text
            lines.append(f"  {col.model}: {shown[:157] + '...' if len(shown) > 160 else shown}")
        return "\n".join(lines)

    def _static_row(self, col: _Column) -> dict[str, Any]:
        """The column as a Result-like row: the finished Result, or what streamed so far and why it stopped."""
        if col.row is not None:
            return col.row
        row: dict[str, Any] = {"model": col.model, "content": col.text, "simulated": self.simulated}
        if col.done or self.closed:
            row.update(error_kind="incomplete", error_message="the request did not complete")
        return row

    # ------------------------------------------------------------------ inspection
    @property
    def columns(self) -> list[_Column]:
        return list(self._cols)

    def column(self, model: str | int) -> _Column:
        return self._col(model)

    # ------------------------------------------------------------------ internals
    def _col(self, key: str | int) -> _Column:
        if isinstance(key, int):
            return self._cols[key]
        for col in self._cols:
            if col.model == key:
                return col
        raise KeyError(f"{key!r} is not a column of this view: {self.models}")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._flush()
            except Exception:  # the view must never take the kernel down; the final state comes from finish()
                continue
            if all(c.done for c in self._cols):
                return  # every column is final: nothing left to refresh

    def _flush(self) -> None:
        """Push buffered text to the widgets of every column that changed (one write per column)."""
        with self._render_lock:
            ref = self._reference_text() if self.toggle.value else None
            for col in self._cols:
                if col.done:
                    continue
                snap = col.snapshot()
                if snap is None:
                    continue
                content, reasoning = snap
                col.text = content
                col.answer.value = self._answer_markup(col.index, content, ref=ref, streaming=True)
                if reasoning:
                    col.reasoning.value = _plain(reasoning)
                    col.reasoning_box.set_title(0, f"reasoning (streaming, {len(reasoning):,} chars)")
                first = f"first text after {col.first_delta_t:.2f} s · " if col.first_delta_t is not None else ""
                col.status.value = (
                    f"<span style='color:#0969da'>streaming… {first}{len(content):,} chars"
                    f"{f' + {len(reasoning):,} reasoning' if reasoning else ''}</span>"
                )
                self.flushes += 1

    def _reference_index(self) -> int:
        """The first column (the diff reference); the first column with an answer if it has none."""
        if self._cols and self._cols[0].text:
            return 0
        for col in self._cols:
            if col.text:
                return col.index
        return 0

    def _reference_text(self) -> str:
        return self._cols[self._reference_index()].text if self._cols else ""

    def _answer_markup(self, index: int, text: str, *, ref: str | None = None, streaming: bool = False) -> str:
        if self.toggle.value:
            ref_index = self._reference_index()
            if index == ref_index:
                return (
                    f"<div style='{H.STYLE_MUTED}'>reference for the highlighted differences</div>" + _plain(text)
                )
            return H.diff_html(self._reference_text() if ref is None else ref, text)
        if streaming and len(text) > _STREAM_MARKDOWN_LIMIT:
            return _plain(text)
        return H.answer_html(text) if (text or not streaming) else ""

    def _render_answers(self) -> None:
        with self._render_lock:
            for col in self._cols:
                if col.done and not col.text and col.row and H._text(col.row.get("error_kind")):
                    col.answer.value = ""
                    continue
                if col.done or col.text:
                    col.answer.value = self._answer_markup(col.index, col.text, streaming=not col.done)

    def _on_toggle(self, change: dict[str, Any]) -> None:
        self._render_answers()

    def _header_html(self) -> str:
        n = len(self._cols)
        done = [c for c in getattr(self, "_cols", []) if c.done]
        failed = sum(1 for c in done if c.row and H._text(c.row.get("error_kind")))
        elapsed = (self._closed_at if self._closed_at is not None else time.monotonic()) - self._t0
        if self.closed:
            costs = [H.num(c.row.get("cost_usd")) for c in done if c.row]
            known = [c for c in costs if c is not None]
            cost = f" · total cost {H.fmt_cost(sum(known))}" if known else ""
            state = f"<b>finished</b> in {elapsed:.1f} s · {len(done) - failed} answered · {failed} failed{cost}"
        else:
            state = f"<b>running</b>: {len(done)}/{n} finished" + (f" · {failed} failed" if failed else "")
        banner = H.simulated_banner() if self.simulated else ""
        return (  # widget HTML keeps ipywidgets' one-line 28 px line height unless told otherwise
            "<style>.mm-live-view .widget-html-content{line-height:1.45}</style>"
            f"<div class='mm-live-header'>{banner}"
            f"<div style='font-size:14px'>Comparing {n} model{'s' if n != 1 else ''} · {state}</div>"
            f"{H.prompt_html(self.prompt)}</div>"
        )


def _plain(text: str) -> str:
    return f"<div style='white-space:pre-wrap'>{_html.escape(text)}</div>"


__all__ = ["LiveView", "start_live_view", "widgets_available"]
