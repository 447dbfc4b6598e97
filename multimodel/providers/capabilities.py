"""What each provider accepts (image, audio, PDF, response formats, tools, n, seed, logprobs) and the check
that stops a request from losing part of its input without a word.

Each provider module declares a :class:`CapabilityTable` (a default row per feature plus per-model
overrides, every entry with its source). ``Client.capabilities(model)`` returns the resolved
:class:`Capabilities`; ``Client.prepare`` asks :func:`find_losses` what the target would drop or reject
before anything is sent, and acts on ``on_unsupported``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from multimodel.errors import ConfigError
from multimodel.inputs import AUDIO, FILE, IMAGE_DATA, IMAGE_HTTP, InputItem, human_bytes, scan_inputs

FEATURES: dict[str, str] = {
    IMAGE_DATA: "image input as a base64 data: URL",
    IMAGE_HTTP: "image input by http(s) URL, fetched by the provider",
    AUDIO: "audio input (input_audio parts)",
    FILE: "PDF input (file parts)",
    "json_mode": "response_format {'type': 'json_object'}",
    "structured_outputs": "response_format {'type': 'json_schema'}",
    "tool_calling": "tools (function calling)",
    "streamed_tool_calls": "tool calls while streaming",
    "n_gt_1": "n > 1 (several choices per request)",
    "seed": "seed (reproducible sampling)",
    "logprobs": "logprobs / top_logprobs",
}
STATUSES = ("supported", "ignored", "rejected", "unknown")
#: statuses that lose the input: "ignored" silently, "rejected" with an HTTP error
LOST = ("ignored", "rejected")
LIMITS: dict[str, str] = {
    "max_image_bytes": "largest image (decoded bytes)",
    "max_images": "most images in one request",
    "max_audio_bytes": "largest audio clip (decoded bytes)",
    "max_file_bytes": "largest PDF (decoded bytes)",
    "max_request_bytes": "largest request body",
    "max_total_image_bytes": "most image bytes in one request, all images together",
    "media_roles": "message roles that may carry images, audio or files",
    "image_types": "image MIME types accepted",
    "audio_formats": "input_audio formats accepted",
}
#: which request parameters each feature is carried by (stripped together when on_unsupported="warn")
PARAMS: dict[str, tuple[str, ...]] = {
    "json_mode": ("response_format",),
    "structured_outputs": ("response_format",),
    "seed": ("seed",),
    "logprobs": ("logprobs", "top_logprobs"),
    "tool_calling": ("tools", "tool_choice", "parallel_tool_calls"),
    "streamed_tool_calls": ("tools", "tool_choice", "parallel_tool_calls"),
}
ON_UNSUPPORTED = ("raise", "warn", "skip", "send")


@dataclass(frozen=True, slots=True)
class Support:
    """One table entry: the status, where it comes from, and anything a user should know."""

    status: str
    source: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown capability status {self.status!r}")


@dataclass(frozen=True, slots=True)
class Limit:
    value: Any
    source: str


def supported(source: str, note: str = "") -> Support:
    return Support("supported", source, note)


def ignored(source: str, note: str = "") -> Support:
    return Support("ignored", source, note)


def rejected(source: str, note: str = "") -> Support:
    return Support("rejected", source, note)


def unknown(source: str, note: str = "") -> Support:
    return Support("unknown", source, note)


@dataclass(frozen=True)
class ModelRule:
    """Overrides for the model ids matching any of ``patterns`` (shell-style, case-sensitive)."""

    patterns: tuple[str, ...]
    features: dict[str, Support] = field(default_factory=dict)
    limits: dict[str, Limit] = field(default_factory=dict)
    label: str = ""


@dataclass(frozen=True)
class CapabilityTable:
    """A provider's defaults plus per-model rules (later rules win), each entry sourced."""

    provider: str
    features: dict[str, Support]
    limits: dict[str, Limit] = field(default_factory=dict)
    rules: tuple[ModelRule, ...] = ()

    def __post_init__(self) -> None:
        missing = set(FEATURES) - set(self.features)
        if missing:
            raise ValueError(f"capability table {self.provider!r} misses {sorted(missing)}")
        for rule in self.rules:
            extra = (set(rule.features) - set(FEATURES)) | (set(rule.limits) - set(LIMITS))
            if extra:
                raise ValueError(f"capability table {self.provider!r}: unknown names {sorted(extra)}")

    def resolve(self, model_id: str, overrides: dict[str, Any] | None = None) -> Capabilities:
        """The entries that apply to one model id; ``overrides`` come from the provider's settings."""
        features = dict(self.features)
        limits = dict(self.limits)
        matched = []
        for rule in self.rules:
            if any(fnmatchcase(model_id, p) for p in rule.patterns):
                features.update(rule.features)
                limits.update(rule.limits)
                matched.append(rule.label or rule.patterns[0])
        for name, value in (overrides or {}).items():
            if name in LIMITS:
                limits[name] = Limit(value, "provider settings")
            else:
                status, note = (value, "") if isinstance(value, str) else value
                features[name] = Support(status, "provider settings", note)
        return Capabilities(self.provider, model_id, features, limits, tuple(matched))


@dataclass(frozen=True)
class Capabilities:
    """What one model accepts, with sources: ``client.capabilities("anthropic/claude-sonnet-4-6")``."""

    provider: str
    model_id: str
    features: dict[str, Support]
    limits: dict[str, Limit]
    rules: tuple[str, ...] = ()

    def status(self, feature: str) -> str:
        return self.features[feature].status

    def accepts(self, feature: str) -> bool:
        return self.features[feature].status == "supported"

    def limit(self, name: str) -> Any:
        entry = self.limits.get(name)
        return entry.value if entry is not None else None

    @property
    def df(self) -> Any:
        """One row per feature and limit: status or value, source, note."""
        import pandas as pd

        rows = [{"feature": k, "description": FEATURES[k], "status": s.status, "source": s.source, "note": s.note}
                for k, s in self.features.items()]
        rows += [{"feature": k, "description": LIMITS[k], "status": _limit_text(k, lim.value), "source": lim.source,
                  "note": ""} for k, lim in self.limits.items()]
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        ok = [k for k, s in self.features.items() if s.status == "supported"]
        lost = [f"{k}={s.status}" for k, s in self.features.items() if s.status != "supported"]
        return f"<Capabilities {self.provider}/{self.model_id} supported={ok} other={lost}>"

    def _repr_html_(self) -> str:
        from html import escape

        colour = {"supported": "#1a7f37", "ignored": "#b35900", "rejected": "#c62828", "unknown": "#666"}
        rows = "".join(
            f"<tr><td><code>{escape(k)}</code></td><td style='color:{colour[s.status]}'><b>{s.status}</b></td>"
            f"<td>{escape(s.note)}</td><td style='font-size:85%'>{_link(s.source)}</td></tr>"
            for k, s in self.features.items())
        rows += "".join(
            f"<tr><td><code>{escape(k)}</code></td><td>{escape(_limit_text(k, lim.value))}</td><td></td>"
            f"<td style='font-size:85%'>{_link(lim.source)}</td></tr>" for k, lim in self.limits.items())
        head = f"<b>{escape(self.provider)}/{escape(self.model_id)}</b>"
        return (f"<div>{head}<table><tr><th>feature</th><th>status</th><th>note</th><th>source</th></tr>"
                f"{rows}</table></div>")


def _link(source: str) -> str:
    from html import escape

    if source.startswith("http"):
        return f"<a href='{escape(source)}' target='_blank'>{escape(source)}</a>"
    return escape(source)


def _limit_text(name: str, value: Any) -> str:
    if name.endswith("_bytes") and isinstance(value, int | float):
        return human_bytes(value)
    if isinstance(value, tuple | list | frozenset | set):
        return ", ".join(map(str, value))
    return str(value)


# ------------------------------------------------------------------ what a request needs
@dataclass(frozen=True, slots=True)
class Need:
    """One thing a request asks of the target: a feature, described for messages."""

    feature: str
    what: str
    item: InputItem | None = None


@dataclass(frozen=True, slots=True)
class Loss:
    """A need the target would not meet: the feature, what would be lost, and why."""

    need: Need
    reason: str
    strippable: bool = True  # False when removing the input cannot save the request (request too large)

    @property
    def feature(self) -> str:
        return self.need.feature


#: request parameters that rely on a capability, and the feature each one needs
PARAM_FEATURES = {"seed": "seed", "logprobs": "logprobs", "top_logprobs": "logprobs", "response_format": None}


def response_format_feature(rf: Any) -> str | None:
    """json_mode or structured_outputs for a response_format value (None for text or no format)."""
    kind = rf.get("type") if isinstance(rf, dict) else None
    return {"json_object": "json_mode", "json_schema": "structured_outputs"}.get(kind)


def param_feature(param: str, params: dict[str, Any]) -> str | None:
    """The feature a request parameter relies on (response_format: by its type)."""
    feature = PARAM_FEATURES.get(param)
    return response_format_feature(params.get(param)) if param == "response_format" else feature


def needs_of(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, stream: bool,
             params: dict[str, Any], items: list[InputItem] | None = None) -> list[Need]:
    """Every capability the request relies on, in the order a reader would list them."""
    items = scan_inputs(messages) if items is None else items
    needs = [Need(it.feature, it.summary(), it) for it in items]
    rf = params.get("response_format")
    feature = response_format_feature(rf)
    if feature is not None:
        needs.append(Need(feature, f"response_format {rf['type']}"))
    if tools:
        needs.append(Need("tool_calling", f"{len(tools)} tool definition(s)"))
        if stream:
            needs.append(Need("streamed_tool_calls", "tool calls in a stream"))
    if params.get("seed") is not None:
        needs.append(Need("seed", f"seed={params['seed']}"))
    if params.get("logprobs") or params.get("top_logprobs"):
        needs.append(Need("logprobs", "logprobs"))
    return needs


def find_losses(caps: Capabilities, needs: list[Need]) -> tuple[list[Loss], list[Need]]:
    """(what the target would drop or reject, what its documentation does not settle)."""
    losses: list[Loss] = []
    unclear: list[Need] = []
    images = image_bytes = 0
    roles = caps.limit("media_roles")
    for need in needs:
        if need.feature == "other":
            unclear.append(need)
            continue
        entry = caps.features[need.feature]
        if entry.status in LOST:
            how = "silently drops it" if entry.status == "ignored" else "rejects it (HTTP error)"
            losses.append(Loss(need, f"{caps.provider} {how}{_because(entry)}"))
            continue
        if entry.status == "unknown":
            unclear.append(need)
        item = need.item
        if item is None:
            continue
        reason = _over_limit(caps, item)
        if reason is None and roles and item.role not in roles:
            reason = (f"{caps.provider} takes attachments only in {'/'.join(roles)} messages, not in a {item.role}"
                      f" message ({caps.limits['media_roles'].source})")
        if reason is None and item.feature in (IMAGE_DATA, IMAGE_HTTP):
            images += 1
            image_bytes += item.nbytes or 0
            most, total = caps.limit("max_images"), caps.limit("max_total_image_bytes")
            if most is not None and images > most:
                reason = f"{caps.provider} takes at most {most} images per request ({caps.limits['max_images'].source})"
            elif total is not None and image_bytes > total:
                reason = (f"the images add up to {human_bytes(image_bytes)}, over {caps.provider}'s limit of "
                          f"{human_bytes(total)} per request ({caps.limits['max_total_image_bytes'].source})")
        if reason:
            losses.append(Loss(need, reason))
    return losses, unclear


def request_size_loss(caps: Capabilities, payload_bytes: int) -> Loss | None:
    """The whole request is over the provider's body limit: nothing can be removed to save it."""
    largest = caps.limit("max_request_bytes")
    if largest is None or payload_bytes <= largest:
        return None
    return Loss(Need("request_size", f"a {human_bytes(payload_bytes)} request"),
                f"{caps.provider} accepts requests up to {human_bytes(largest)}"
                f" ({caps.limits['max_request_bytes'].source})", strippable=False)


def _because(entry: Support) -> str:
    note = f": {entry.note}" if entry.note else ""
    return f"{note} [{entry.source}]"


def _over_limit(caps: Capabilities, item: InputItem) -> str | None:
    key = {IMAGE_DATA: "max_image_bytes", IMAGE_HTTP: None, AUDIO: "max_audio_bytes", FILE: "max_file_bytes"}.get(
        item.feature)
    if item.feature == IMAGE_DATA:
        types = caps.limit("image_types")
        if types and item.mime not in types:
            return (f"{caps.provider} accepts images of type {', '.join(types)}, not {item.mime}"
                    f" ({caps.limits['image_types'].source})")
    if item.feature == AUDIO:
        formats = caps.limit("audio_formats")
        fmt = (item.mime or "").removeprefix("audio/")
        if formats and fmt not in formats:
            return (f"{caps.provider} accepts audio as {', '.join(formats)}, not {fmt}"
                    f" ({caps.limits['audio_formats'].source})")
    most = caps.limit(key) if key else None
    if most is not None and item.nbytes is not None and item.nbytes > most:
        return (f"{human_bytes(item.nbytes)} is over {caps.provider}'s limit of {human_bytes(most)}"
                f" ({caps.limits[key].source})")
    return None


def describe_losses(model: str, losses: Iterable[Loss]) -> str:
    """'model would not receive audio clip (...) (Anthropic silently drops it [...]); seed=7 (...)'."""
    return f"{model} would not receive " + _lost_items(losses)


def _lost_items(losses: Iterable[Loss]) -> str:
    return "; ".join(f"{loss.need.what} ({loss.reason})" for loss in losses)


_HOW = ("Pass on_unsupported='warn' to send without it (the row lists it in dropped_inputs), 'skip' to skip "
        "the model with an error row (its fallbacks still answer), or route(...)/models='auto:N' to pick models "
        "that accept everything.")


class UnsupportedInputError(ConfigError):
    """A model would drop or reject part of the request: what, why (with the source), and who would not."""

    def __init__(self, lost: list[tuple[str, list[Loss]]], takers: list[str] | None = None, of: int = 1) -> None:
        self.lost = lost  # (model, its losses) for each model that cannot take the request
        self.takers = takers or []
        self.of = of
        alt = f"\nModels that accept the whole request: {', '.join(self.takers)}." if self.takers else ""
        if len(lost) == 1:
            head = describe_losses(*lost[0]) + "."
        else:
            lines = "".join(f"\n  - {model}: {_lost_items(losses)}" for model, losses in lost)
            head = f"{len(lost)} of {of} models would not receive the whole request:{lines}"
        super().__init__(f"{head}{alt}\n{_HOW}")

    def with_takers(self, takers: list[str]) -> UnsupportedInputError:
        """The same error, naming the models that would take the whole request."""
        return UnsupportedInputError(self.lost, takers, self.of)

    @classmethod
    def combine(cls, errors: list[UnsupportedInputError], of: int) -> UnsupportedInputError:
        """One error for a fan-out: every model that cannot take the request."""
        return cls([item for e in errors for item in e.lost], None, of)


__all__ = [
    "FEATURES",
    "LIMITS",
    "ON_UNSUPPORTED",
    "STATUSES",
    "Capabilities",
    "CapabilityTable",
    "Limit",
    "Loss",
    "ModelRule",
    "Need",
    "Support",
    "UnsupportedInputError",
    "describe_losses",
    "find_losses",
    "needs_of",
    "param_feature",
    "request_size_loss",
]
