"""Repairs of a request a provider rejected: what to change in the body, read off the provider's own 400.

A :class:`Repair` is data (so it can be remembered for a model and written to the cache file): drop a
field, rename it, or set it to another value. Each dialect's ``repair(message, body)`` turns the messages
its provider really sends into one; this module holds the type and the patterns of OpenAI's messages,
which compatible servers copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_MISSING = object()


@dataclass(frozen=True, slots=True)
class Repair:
    """One change to a request body: ``drop`` the field at ``path``, ``rename`` it to ``to``, or ``set`` it to
    ``value`` (``path`` is a tuple of keys into nested objects; ``why`` quotes the provider's message)."""

    op: str
    path: tuple[str, ...]
    value: Any = None
    to: tuple[str, ...] = ()
    why: str = ""

    def applies_to(self, body: dict[str, Any]) -> bool:
        """Whether the body has the field this repair changes (and it does not already hold the new value)."""
        current = _get(body, self.path)
        if current is _MISSING:
            return False
        return not (self.op == "set" and current == self.value)

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        """A copy of the body with the change made (the body given is left as it is)."""
        out = _copy_path(body, self.path)
        parent = _get(out, self.path[:-1]) if len(self.path) > 1 else out
        last = self.path[-1]
        if self.op == "drop":
            parent.pop(last, None)
        elif self.op == "rename":
            value = parent.pop(last)
            _set(out, self.to, value)
        else:
            parent[last] = self.value
        return out

    def describe(self) -> str:
        field = ".".join(self.path)
        if self.op == "drop":
            return f"dropped {field}"
        if self.op == "rename":
            return f"renamed {field} to {'.'.join(self.to)}"
        return f"set {field} to {self.value!r}"

    def to_dict(self) -> dict[str, Any]:
        return {"op": self.op, "path": list(self.path), "value": self.value, "to": list(self.to), "why": self.why}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Repair:
        return cls(op=d["op"], path=tuple(d["path"]), value=d.get("value"), to=tuple(d.get("to") or ()),
                   why=d.get("why", ""))


def _get(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(body, dict) or key not in body:
            return _MISSING
        body = body[key]
    return body


def _copy_path(body: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """A shallow copy of the body and of every object along ``path`` (the caller's body is not changed)."""
    out = dict(body)
    node = out
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            break
        node[key] = dict(child)
        node = node[key]
    return out


def _set(body: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        body = body.setdefault(key, {})
    body[path[-1]] = value


# ---------------------------------------------------------------------------------- OpenAI's messages
# Verbatim texts (status 400, type invalid_request_error), from provider-quirks.md section 1.2 and recorded
# responses: 'Unsupported parameter: 'max_tokens' is not supported with this model. Use
# 'max_completion_tokens' instead.'; 'Unsupported value: 'temperature' does not support 0.5 with this model.
# Only the default (1) value is supported.'; 'Unsupported value: 'reasoning_effort' does not support 'none'
# with this model. Supported values are: 'low', 'medium', 'high', and 'xhigh'.'; 'Unsupported parameter:
# 'stop' is not supported with this model.'; 'Function tools with reasoning_effort are not supported for
# gpt-5.6-sol in /v1/chat/completions. To use function tools, use /v1/responses or set reasoning_effort to
# 'none'.'
_RENAME = re.compile(r"Unsupported parameter: '([\w.]+)' is not supported with this model\. Use '([\w.]+)' instead")
_UNSUPPORTED = re.compile(r"Unsupported parameter: '([\w.]+)' is not supported with this model")
_ONLY_DEFAULT = re.compile(r"Unsupported value: '(\w+)' does not support .+? with this model\. Only the default")
_VALUES = re.compile(r"Unsupported value: '(\w+)' does not support '(\w+)' with this model\. "
                     r"Supported values are: (.+?)\.?$")
_EFFORT_VALUES = re.compile(r"Unsupported value: '(\w+)' is not supported with the '[^']+' model\. "
                            r"Supported values are: (.+?)\.?$")
_TOOLS_NONE = re.compile(r"Function tools with reasoning_effort are not supported .* set reasoning_effort to 'none'")
#: an effort the model does not take → the supported one to try, nearest first
_NEAREST = {"none": ("minimal", "low"), "minimal": ("low", "none"), "low": ("medium", "minimal"),
            "medium": ("high", "low"), "high": ("medium", "xhigh"), "xhigh": ("high", "max"), "max": ("xhigh", "high")}


def openai_repair(message: str, body: dict[str, Any]) -> Repair | None:
    """The repair an OpenAI-style 400 asks for, or None when the message names nothing to change."""
    if m := _RENAME.search(message):
        return Repair("rename", (m.group(1),), to=(m.group(2),), why=message)
    if (m := _UNSUPPORTED.search(message)) or (m := _ONLY_DEFAULT.search(message)):
        return Repair("drop", (m.group(1),), why=message)
    if m := _VALUES.search(message):
        return _nearest(m.group(1), m.group(2), m.group(3), message)
    if (m := _EFFORT_VALUES.search(message)) and body.get("reasoning_effort") == m.group(1):
        return _nearest("reasoning_effort", m.group(1), m.group(2), message)
    if _TOOLS_NONE.search(message):
        return Repair("set", ("reasoning_effort",), "none", why=message)
    return None


def _nearest(param: str, rejected: str, supported: str, message: str) -> Repair | None:
    """Set ``param`` to the supported value nearest the rejected one (for efforts), else the first supported."""
    values = re.findall(r"'([^']+)'", supported)
    if not values:
        return None
    pick = next((v for v in _NEAREST.get(rejected, ()) if v in values), values[0])
    return Repair("set", (param,), pick, why=message)


def camel_to_snake(name: str) -> str:
    """``presencePenalty`` → ``presence_penalty`` (xAI names parameters in camelCase in its errors)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


__all__ = ["Repair", "camel_to_snake", "openai_repair"]
