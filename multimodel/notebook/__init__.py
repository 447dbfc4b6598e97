"""Notebook views: the live ipywidgets side-by-side view and self-contained HTML renderings.

- ``start_live_view(models, prompt=..., simulated=...)`` → ``LiveView`` (None outside a widget kernel)
- ``multimodel.notebook.html``: ``result_html``, ``comparison_html``, ``summary_table_html`` … (escaped,
  inline-styled HTML used by ``_repr_html_``, the live view's final columns and the standalone report)
- ``export_html(notebook, out)``: the notebook as one HTML file whose widgets render with no network
  (``multimodel.notebook.export``, which also gives widget views their static copies)

ipywidgets is imported only when a live view is created.
"""

from __future__ import annotations

from multimodel.notebook.export import export_html
from multimodel.notebook.html import comparison_html, result_html, summary_table_html
from multimodel.notebook.live import LiveView, start_live_view, widgets_available

__all__ = [
    "LiveView",
    "comparison_html",
    "export_html",
    "result_html",
    "start_live_view",
    "summary_table_html",
    "widgets_available",
]
