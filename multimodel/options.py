"""The values that option arguments take, defined once: type hints, run-time checks and CLI choices.

Each option is a ``Literal`` type (for signatures) and the tuple of its values (for checks and
``argparse`` choices), so a new value is added in one place.
"""

from __future__ import annotations

from typing import Literal, get_args

#: what to do when a model would drop or reject part of a request (see ``Client.prepare``)
OnUnsupported = Literal["raise", "warn", "skip", "send"]
ON_UNSUPPORTED: tuple[str, ...] = get_args(OnUnsupported)

#: how a router orders the eligible candidates (a callable sort key is accepted too)
Prefer = Literal["order", "cheapest"]
PREFERENCES: tuple[str, ...] = get_args(Prefer)

#: named reasoning efforts (an int token budget is accepted too)
ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
REASONING_LEVELS: tuple[str, ...] = get_args(ReasoningEffort)

#: where a row's cost_usd came from (DESIGN.md section 1: add a value here before using it)
CostSource = Literal["provider", "price_table", "batch_price_table"]
COST_SOURCES: tuple[str, ...] = get_args(CostSource)

__all__ = [
    "COST_SOURCES",
    "ON_UNSUPPORTED",
    "PREFERENCES",
    "REASONING_LEVELS",
    "CostSource",
    "OnUnsupported",
    "Prefer",
    "ReasoningEffort",
]
