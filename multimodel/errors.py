"""The bottom layer: the caller-mistake error and the warning classes, and one way to raise a warning.

Every module may import this one; it imports nothing from multimodel.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings


class ConfigError(ValueError):
    """A mistake in how multimodel was called or configured; the message says how to fix it."""


class ParamWarning(UserWarning):
    """A parameter was dropped, renamed or capped because the provider or model would reject it."""


class ModelWarning(UserWarning):
    """A model is deprecated, a legacy name, or not in the catalogue (sent with its family's rules or none)."""


class CacheWarning(RuntimeWarning):
    """The cache file could not be read or written, or was set aside; the results themselves are not affected."""


class PriceWarning(UserWarning):
    """A model has no known price, so its cost_usd is NaN."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
#: contextlib's own frames: a warning given as a ``with`` block of ours ends (a run's summary) is the caller's too
_CONTEXTLIB = os.path.splitext(contextlib.__file__)[0]


def _ours(filename: str) -> bool:
    return filename.startswith(_PACKAGE_DIR) or os.path.splitext(filename)[0] == _CONTEXTLIB


def user_stacklevel() -> int:
    """The stacklevel that points a warning at the caller's own code (a notebook cell), not at ours."""
    frame = sys._getframe(2)  # the function that called the one warning
    level = 2
    while frame is not None and _ours(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    return level


def warn_user(message: str, category: type[Warning]) -> None:
    """Warn, attributing the warning to the first frame outside the package (the user's line)."""
    warnings.warn(message, category, stacklevel=user_stacklevel())


__all__ = [
    "CacheWarning", "ConfigError", "ModelWarning", "ParamWarning", "PriceWarning", "user_stacklevel", "warn_user",
]
