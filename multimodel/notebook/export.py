"""Widget outputs that survive export: a static copy beside each widget view, and an offline HTML export.

Why both: ``jupyter nbconvert --to html`` shows only the widget view of an output that has one (whenever
the notebook carries widget state, as every notebook run by nbclient or ``--execute`` does) and loads the
script that draws it from unpkg.com; offline, or wherever that CDN is blocked, the cell is blank. So:

- ``link_static_copy(widget)`` + ``static_copy_bundle(html, token)``: a view shows its finished content a
  second time as plain HTML, in an output of its own, with a CSS rule that hides that copy whenever the
  widget itself is drawn on the page (JupyterLab, an export with working widget JS). Any export, from any
  front end, shows the content even when no widget JavaScript runs.
- ``export_html(notebook, out)``: one self-contained HTML file with the ipywidgets HTML manager inlined
  (vendored in ``multimodel/data``, see JUPYTER_WIDGETS.md), so the widgets themselves render, and with
  no script, font or style loaded from anywhere: it opens offline, from a mail attachment or a file share.
"""

from __future__ import annotations

import gzip
import uuid
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from multimodel.errors import ConfigError

WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
HTML_MANAGER_VERSION = "1.0.15"
_HTML_MANAGER_JS = "jupyter-widgets-html-manager-embed.js.gz"
_HTML_MANAGER_NOTICES = "jupyter-widgets-html-manager-embed.js.LICENSE.txt"
_BSD_NOTICE = (
    f"/*! @jupyter-widgets/html-manager {HTML_MANAGER_VERSION} (dist/embed.js), BSD 3-Clause License, "
    "Copyright (c) 2015 Project Jupyter Contributors. All rights reserved. "
    "https://github.com/jupyter-widgets/ipywidgets/blob/main/LICENSE */\n"
)


# ---------------------------------------------------------------------------------------------- static copies
def link_static_copy(widget: Any) -> str:
    """Tag ``widget`` with a fresh token; a static copy made with the same token hides while it is drawn."""
    token = uuid.uuid4().hex[:12]
    widget.add_class(f"mm-widget-{token}")
    return token


def static_copy_html(html: str, token: str) -> str:
    """``html`` wrapped so that it hides itself on a page where the widget tagged with ``token`` is drawn.

    The rule needs CSS ``:has()`` (Chromium 105, Safari 15.4, Firefox 121); an older browser or a front end
    that strips ``<style>`` shows the copy as well, which repeats the content but never loses it.
    """
    rule = f"body:has(.mm-widget-{token}) .mm-static-{token}{{display:none !important}}"
    return f"<style>{rule}</style><div class='mm-static-copy mm-static-{token}' data-token='{token}'>{html}</div>"


def static_copy_bundle(html: str, token: str, text: str) -> dict[str, str]:
    """The display bundle of a static copy: the HTML above, and ``text`` for plain-text front ends."""
    return {"text/html": static_copy_html(html, token), "text/plain": text}


def widget_bundle(widget: Any, html: str, text: str) -> dict[str, Any]:
    """The widget's own bundle (its view) with ``html`` and ``text`` for front ends that cannot draw it."""
    bundle: dict[str, Any] = {}
    mimebundle = getattr(widget, "_repr_mimebundle_", None)
    if mimebundle is not None:
        bundle.update(mimebundle() or {})
    bundle["text/html"] = html
    bundle["text/plain"] = text
    return bundle


# ---------------------------------------------------------------------------------------------- offline export
def html_manager_js() -> str:
    """The vendored ipywidgets HTML manager (``embed.js``), its licence notices first."""
    data = resources.files("multimodel") / "data"
    js = gzip.decompress((data / _HTML_MANAGER_JS).read_bytes()).decode("utf-8")
    notices = (data / _HTML_MANAGER_NOTICES).read_text(encoding="utf-8")
    return _BSD_NOTICE + notices + "\n" + js


# The lab template without its network: no RequireJS, MathJax or Mermaid from cdnjs, no widget manager from
# unpkg. The first <script> has a src because webpack's bundle looks for one to find its own folder (and
# throws without it); its font icons are drawn as plain characters so no font file is asked for either.
_TEMPLATE_NAME = "multimodel_offline.html.j2"
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}<script src="data:text/javascript,"></script>{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block body_footer -%}
{%- if resources.multimodel_widget_js %}
<style>
.jupyter-widgets { font-family: var(--jp-ui-font-family); font-size: var(--jp-ui-font-size1);
  color: var(--jp-ui-font-color1); }
.jupyter-widgets .fa { font-family: inherit !important; font-weight: normal !important; }
.jupyter-widgets .fa-caret-right::before { content: "\\25B8"; }
.jupyter-widgets .fa-caret-down::before { content: "\\25BE"; }
</style>
<script>
{{ resources.multimodel_widget_js }}
</script>
{%- endif %}
{{ super() }}
{%- endblock body_footer -%}
"""


def _has_widget_state(nb: Mapping[str, Any]) -> bool:
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE_MIME, {})
    return bool(state.get("state"))


def export_html(notebook: str | Path, out: str | Path | None = None, *, execute: bool = False,
                timeout_s: float = 600) -> Path:
    """Write ``notebook`` as one self-contained HTML file whose widgets render with no network; return its path.

    ``out`` defaults to the notebook's name with ``.html``; its folder is created. ``execute=True`` runs the
    notebook first (in its own folder, like ``jupyter nbconvert --execute``) and keeps the widget state that
    run produced; otherwise the outputs and widget state saved in the notebook are used (JupyterLab saves
    widget state only with Settings > Save Widget State Automatically; without it each multimodel view still
    shows its static copy). Needs ``nbconvert`` (``pip install nbconvert``).
    """
    try:
        import nbformat
        from jinja2 import DictLoader
        from nbconvert import HTMLExporter
    except ImportError as exc:
        raise ConfigError(f"export_html needs nbconvert ({exc.name} is missing): pip install nbconvert") from None
    src = Path(notebook)
    if not src.is_file():
        raise ConfigError(f"export_html: no notebook at {src}; pass the path of an .ipynb file")
    target = Path(out) if out is not None else src.with_suffix(".html")
    try:
        nb = nbformat.read(src, as_version=4)
    except Exception as exc:
        raise ConfigError(f"export_html: {src} is not a readable notebook ({exc})") from None
    meta = {"name": src.stem, "path": str(src.resolve().parent)}
    if execute:
        from nbconvert.preprocessors import ExecutePreprocessor

        ExecutePreprocessor(timeout=timeout_s, store_widget_state=True).preprocess(nb, {"metadata": meta})
    exporter = HTMLExporter(template_name="lab", template_file=_TEMPLATE_NAME,
                            extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})])
    js = html_manager_js().replace("</script", "<\\/script") if _has_widget_state(nb) else ""
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": meta, "multimodel_widget_js": js})
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target


__all__ = [
    "HTML_MANAGER_VERSION",
    "export_html",
    "html_manager_js",
    "link_static_copy",
    "static_copy_bundle",
    "static_copy_html",
    "widget_bundle",
]
