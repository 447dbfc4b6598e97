"""multimodel: one prompt to many LLM providers, answers normalized into pandas, compared side by side.

Public names: Client, Result, ToolCall, ResultError, ConfigError (plus the warnings ParamWarning, PriceWarning,
ModelWarning and CacheWarning), the input helpers image/audio/pdf, Router, Timeout and Limits, the prompt
templates template/templates, the known-answer set known_answers, and the ``sim``, ``plot``, ``scorers`` and
``stats`` modules. Everything loads on first use, so ``import multimodel`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Client": "multimodel.client",
    "ParamWarning": "multimodel.errors",
    "ModelWarning": "multimodel.errors",
    "ConfigError": "multimodel.errors",
    "PriceWarning": "multimodel.errors",
    "CacheWarning": "multimodel.errors",
    "Result": "multimodel.results",
    "ResultError": "multimodel.results",
    "ToolCall": "multimodel.results",
    "image": "multimodel.inputs",
    "audio": "multimodel.inputs",
    "pdf": "multimodel.inputs",
    "Router": "multimodel.routing",
    "Timeout": "multimodel.transport",
    "Limits": "multimodel.transport",
    "browse": "multimodel.notebook.browse",
    "compare_runs": "multimodel.notebook.browse",
    "export_html": "multimodel.notebook.export",
    "template": "multimodel.templating",
    "templates": "multimodel.templating",
    "known_answers": "multimodel.datasets",
}
_MODULES = {"sim": "multimodel.sim", "plot": "multimodel.plots", "scorers": "multimodel.scorers",
            "stats": "multimodel.stats"}

__all__ = ["__version__", *_LAZY, *_MODULES]

if TYPE_CHECKING:  # static names for type checkers and IDEs; loaded lazily at run time
    from multimodel import plots as plot  # noqa: F401
    from multimodel import (
        scorers,  # noqa: F401
        sim,  # noqa: F401
        stats,  # noqa: F401
    )
    from multimodel.client import Client  # noqa: F401
    from multimodel.datasets import known_answers  # noqa: F401
    from multimodel.errors import CacheWarning, ConfigError, ModelWarning, ParamWarning, PriceWarning  # noqa: F401
    from multimodel.inputs import audio, image, pdf  # noqa: F401
    from multimodel.notebook.browse import browse, compare_runs  # noqa: F401
    from multimodel.notebook.export import export_html  # noqa: F401
    from multimodel.results import Result, ResultError, ToolCall  # noqa: F401
    from multimodel.routing import Router  # noqa: F401
    from multimodel.templating import template, templates  # noqa: F401
    from multimodel.transport import Limits, Timeout  # noqa: F401


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    else:
        raise AttributeError(f"module 'multimodel' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
