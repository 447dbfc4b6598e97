"""The dialect interface and helpers shared by the six simulated providers.

A dialect owns everything provider-specific: request validation and reasoning switches, id formats,
error bodies, the JSON body and the SSE event sequence. ``stream()`` yields ``(tokens, data)`` pairs:
``tokens`` > 0 means "this event carries that many generated tokens" (the server paces it),
0 is framing sent with the next batch, -1 is a comment flushed at once. ``data`` may be ``b""`` for
hidden reasoning time that produces no bytes.
"""

from __future__ import annotations

import base64
import random
import string
import uuid
from collections.abc import Iterator
from datetime import UTC, tzinfo
from typing import Any, ClassVar

import orjson

from ..catalogue import AUDIO, SimModel, models_for
from ..plan import MAX_TOP_LOGPROBS, Ctx, Plan, SimError
from ..ratelimit import LimitView, go_duration
from ..rules import SAMPLING_DEFAULTS, ModelRules
from ..shape import type_name
from ..text import Media

ALNUM = string.ascii_letters + string.digits
JSON_CT = "application/json"
_OBF = tuple("".join(random.Random(i).choices(ALNUM, k=3 + i % 11)) for i in range(16))


def sse(obj: Any) -> bytes:
    return b"data: " + orjson.dumps(obj) + b"\n\n"


DONE = b"data: [DONE]\n\n"


def _article(kind: Any) -> str:
    """A JSON type name with its article as OpenAI's messages put it ("an integer", "one of a string or an array")."""
    if isinstance(kind, tuple):
        return "one of " + " or ".join(_article(k) for k in kind)
    return kind if kind == "null" else ("an " if kind[0] in "aeiou" else "a ") + kind


def x_ratelimit(view: LimitView) -> dict[str, str]:
    """OpenAI's x-ratelimit-{limit,remaining,reset}-{requests,tokens}; resets as Go durations ('6m0s', '250ms')."""
    req, tok = view.dims["requests"], view.tokens()
    return {
        "x-ratelimit-limit-requests": str(req.limit), "x-ratelimit-limit-tokens": str(tok.limit),
        "x-ratelimit-remaining-requests": str(req.remaining), "x-ratelimit-remaining-tokens": str(tok.remaining),
        "x-ratelimit-reset-requests": go_duration(req.reset_s), "x-ratelimit-reset-tokens": go_duration(tok.reset_s),
    }


def obfuscation(i: int) -> str:
    return _OBF[i & 15]


class Dialect:
    name: ClassVar[str] = ""
    request_id_header: ClassVar[str] = "x-request-id"
    ratelimit_headers: ClassVar[bool] = False  # sends its rate-limit headers (limit_headers) on every response
    # how tokens count against a tpm limit (ratelimit.TOKEN_RULES); each dialect says which, with its source
    token_rule: ClassVar[str] = "after"
    day_zone: ClassVar[tzinfo] = UTC  # where a per-day quota's midnight is
    keepalive: ClassVar[bytes | None] = None  # SSE comment sent while waiting for the first token
    nonstream_prefix: ClassVar[bytes] = b""  # bytes sent before a non-stream JSON body
    hoists_system: ClassVar[bool] = False  # all system/developer messages become one leading system prompt
    honours_response_format: ClassVar[bool] = True
    honours_stop: ClassVar[bool] = True
    filter_empties: ClassVar[bool] = False  # a safety block returns no content at all
    cache_rule: ClassVar[tuple[int, int] | None] = None  # (block tokens, minimum prompt tokens)
    models_need_auth: ClassVar[bool] = True
    error_content_type: ClassVar[str] = JSON_CT
    # largest request body the provider takes; every dialect sets its own with the source next to it
    max_request_bytes: ClassVar[int] = 32_000_000
    # request parameters the provider documents as ignored: their JSON types are not checked (shape.py)
    ignored_params: ClassVar[frozenset[str]] = frozenset()
    # the provider's own top-level parameters this dialect reads (shape.EXTENSIONS): their types are checked
    extension_params: ClassVar[frozenset[str]] = frozenset()

    def __init__(self) -> None:
        self._ids = random.Random()  # response/request ids: unique, not seeded

    #: the API this object serves ("chat": OpenAI-compatible Chat Completions; "messages", "responses": the
    #: provider's other APIs, whose objects read a request into chat form and write answers in their own shape)
    api: ClassVar[str] = "chat"
    #: where, after the provider's segment, this API is served (the provider's own URL shape): a request at any
    #: other prefix is a 404, as at the provider (``/openai/responses`` is not OpenAI's address)
    api_paths: ClassVar[tuple[str, ...]] = ("/v1",)

    # ------------------------------------------------------------------ the API's framing
    def api_key_of(self, headers: Any) -> str | None:
        """The API key a request carries (``Authorization: Bearer``), or None; never kept."""
        auth = headers.get("Authorization", "")
        if auth[:7].lower() != "bearer ":
            return None
        return auth[7:].strip() or None

    def to_chat(self, body: dict[str, Any], headers: Any) -> dict[str, Any]:
        """The request in Chat Completions form, for the shared pipeline (limits, faults, the answer's plan). Another
        API's object checks its own body here as its provider does, raising its errors, then translates it."""
        return body

    # ------------------------------------------------------------------ ids
    def alnum(self, k: int, rng: random.Random | None = None) -> str:
        """k random letters/digits (base64 with alphanumeric altchars: cheap and uniform enough for ids)."""
        n = (k * 3 + 3) // 4 + 3
        return base64.b64encode((rng or self._ids).randbytes(n - n % 3), b"xQ").decode()[:k]

    def new_request_id(self) -> str:
        return f"req_{self._ids.getrandbits(128):032x}"

    def new_response_id(self, ctx: Ctx) -> str:
        return "chatcmpl-" + self.alnum(29)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def tool_call_id(self, ctx: Ctx, i: int) -> str:
        return "call_" + self.alnum(24, ctx.rng)

    def dump_args(self, args: dict[str, Any]) -> str:
        return orjson.dumps(args).decode()

    def tool_preamble(self, ctx: Ctx) -> bool:
        return False

    def response_model(self, ctx: Ctx) -> str:
        return ctx.model.response_model or ctx.requested

    def signature(self, ctx: Ctx, plan: Plan, n: int = 48) -> str:
        r = random.Random(plan.signature or ctx.seed_int)
        return base64.b64encode(r.randbytes(n)).decode()

    # ------------------------------------------------------------------ request semantics
    def admit(self, ctx: Ctx) -> None:
        """Apply the model's capability entries (catalogue ``inputs``/``seed``/``logprobs``) to the request.

        Rejected parameters and media raise the dialect's error; media the dialect strips silently are
        moved from ``ctx.info.media`` to ``ctx.dropped``, so the answer and the record show only what
        reached the model. Called before reasoning() and validate().
        """
        m = ctx.model
        body = ctx.req.body
        refused = [k for k, status in (("seed", m.seed), ("logprobs", m.logprobs), ("top_logprobs", m.logprobs))
                   if status == "rejected" and body.get(k) is not None]
        if refused:
            raise self.param_rejected(ctx, refused)
        info = ctx.info
        assert info is not None
        if info.media:
            kept = []
            for item in info.media:
                if item.kind in m.inputs:
                    err = self.check_input(ctx, item)
                else:
                    err = self.unsupported_input(ctx, item)
                    if err is None:
                        ctx.dropped.append(item)
                        continue
                if err is not None:
                    raise err
                kept.append(item)
            info.media = kept
        if m.needs_audio and not any(x.kind == AUDIO for x in info.media):
            raise self.audio_required(ctx)
        if m.logprobs == "supported" and body.get("logprobs") is True:
            top = body.get("top_logprobs")
            ok = isinstance(top, int) and not isinstance(top, bool)
            ctx.logprobs = max(0, min(top, MAX_TOP_LOGPROBS)) if ok else 0

    def param_rejected(self, ctx: Ctx, names: list[str]) -> SimError:
        """The error for parameters the model rejects (``names`` in request order: seed, logprobs, ...)."""
        return self.bad_request(f"Unsupported parameter: '{names[0]}' is not supported with this model.",
                                param=names[0], code="unsupported_parameter")

    def check_input(self, ctx: Ctx, item: Media) -> SimError | None:
        """An error for an input of a kind the model reads but in a form it refuses (type, URL scheme)."""
        return None

    def unsupported_input(self, ctx: Ctx, item: Media) -> SimError | None:
        """The error for an input of a kind the model does not read, or None to drop it silently."""
        return self.bad_request(f"Invalid content type. {item.part_type} is only supported by certain models.",
                                param=f"messages.[{item.msg}].content.[{item.part}].type", code="invalid_value")

    def audio_required(self, ctx: Ctx) -> SimError:
        """The error of an audio-only model (gpt-audio) asked a request without audio."""
        return self.bad_request("This model requires that either input content or output modality contain audio.",
                                param="model", code="invalid_value")

    def validate(self, ctx: Ctx) -> None:
        """Raise SimError for requests the provider rejects. Called after reasoning()."""
        if ctx.req.n != 1:
            raise self.bad_request("The simulator only supports n=1.", param="n")

    def reasoning(self, ctx: Ctx) -> None:
        """Set ctx.reasoning_on / ctx.effort / ctx.visible from the request (may raise SimError)."""
        m = ctx.model
        ctx.effort = m.reasoning_default
        ctx.reasoning_on = m.reasons and ctx.effort not in (None, "none")
        ctx.visible = False

    # ------------------------------------------------------------------ errors (override per dialect)
    def error(self, status: int, message: str, *, type_: str, code: Any = None, param: Any = None,
              outcome: str = "bad_request", headers: dict[str, str] | None = None) -> SimError:
        body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
        return SimError(status, orjson.dumps(body), outcome, headers)

    def bad_request(self, message: str, param: str | None = None, code: str | None = None) -> SimError:
        return self.error(400, message, type_="invalid_request_error", code=code, param=param)

    def auth_missing(self) -> SimError:
        raise NotImplementedError

    def auth_invalid(self) -> SimError:
        raise NotImplementedError

    def model_not_found(self, model: str) -> SimError:
        raise NotImplementedError

    def model_retired(self, rules: ModelRules) -> SimError:
        """The provider's answer to a retired id: the rules table's status and message in this dialect's envelope."""
        raise NotImplementedError

    def sent(self, ctx: Ctx, name: str) -> bool:
        """Whether the request sets ``name``: present and, where the dialect has one, not its default value."""
        v = ctx.req.body.get(name)
        if v is None:
            return False
        default = SAMPLING_DEFAULTS.get(self.name, {}).get(name)
        return default is None or isinstance(v, bool) or v != default

    def refused_sampling(self, ctx: Ctx) -> list[str]:
        """The sampling parameters this request sets that the model refuses now (rules table), in table order."""
        r = ctx.model.rules
        names = r.sampling_rejected_always + (r.sampling_rejected_when_reasoning if ctx.reasoning_on else ())
        return [k for k in dict.fromkeys(names) if self.sent(ctx, k)]

    # ------------------------------------------------------------------ malformed bodies (found by shape.py)
    def invalid_type(self, path: str, expected: Any, value: Any, raw: bytes) -> SimError:
        """A field of the wrong JSON type, in OpenAI's words and code (how the other providers word it is not
        documented; each dialect's own envelope carries it)."""
        return self.bad_request(f"Invalid type for '{path}': expected {_article(expected)}, but got "
                                f"{_article(type_name(value))} instead.", param=path, code="invalid_type")

    def missing_param(self, path: str) -> SimError:
        """A required member left out (a tool's function or its name), in OpenAI's words."""
        return self.bad_request(f"Missing required parameter: '{path}'.", param=path, code="missing_required_parameter")

    def invalid_schema(self, what: str, problem: str, param: str, tool: int | None) -> SimError:
        """A tool's parameters (``tool`` is its index) or a response_format schema that is not valid JSON Schema:
        OpenAI's "Invalid schema for function 'f': 'text' is not of type 'object', 'boolean'." (real bodies)."""
        code = "invalid_function_parameters" if tool is not None else "invalid_json_schema"  # codes [INFERRED]
        return self.bad_request(f"Invalid schema for {what}: {problem}.", param=param, code=code)

    def null_content(self, index: int) -> SimError:
        """Content null on a message other than an assistant's: OpenAI's real body (param with its odd dot)."""
        return self.bad_request("Invalid value for 'content': expected a string, got null.",
                                param=f"messages.[{index}].content")

    def too_large(self) -> SimError:
        """The answer to a body over ``max_request_bytes``: the front end's, before the key is looked at."""
        return self.error(413, "Request Entity Too Large", type_="invalid_request_error", code="request_too_large",
                          outcome="too_large")

    @staticmethod
    def html_413(server: str) -> SimError:
        """A web server's own 413 page (nginx, openresty), as fronts that refuse a body before the API send it."""
        page = (f"<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
                f"<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>{server}</center>\r\n"
                "</body>\r\n</html>\r\n")
        return SimError(413, page.encode(), "too_large", {"Content-Type": "text/html"},
                        reason="Request Entity Too Large")

    def rate_limited(self, model: str, retry_after_s: float, which: str, limit: int | None,
                     fault: bool) -> SimError:
        raise NotImplementedError

    def limit_headers(self, view: LimitView) -> dict[str, str]:
        """The rate-limit headers this provider sends with ``view`` (none by default: not every provider does)."""
        return {}

    def limited(self, model: str, view: LimitView) -> SimError:
        """The 429 for a request a configured limit refused: the provider's body, and only the headers it sends."""
        which = "tokens" if view.which.endswith("tokens") else "requests"
        return self.rate_limited(model, view.retry_after_s, which, view.hit.limit, fault=False)

    def server_error(self, status: int) -> SimError:
        raise NotImplementedError

    def overloaded(self) -> SimError:
        raise NotImplementedError

    def stream_error_event(self, ctx: Ctx) -> bytes:
        return sse({"error": {"message": "The server had an error while processing your request. Sorry about that!",
                              "type": "server_error", "param": None, "code": None}})

    def stream_error_body(self, ctx: Ctx, plan: Plan) -> tuple[int, bytes] | None:
        """Non-stream answer for the stream_error fault; None means 'use server_error(500)'."""
        return None

    # ------------------------------------------------------------------ rendering
    def completion(self, ctx: Ctx, plan: Plan) -> dict[str, Any]:
        raise NotImplementedError

    def stream(self, ctx: Ctx, plan: Plan) -> Iterator[tuple[int, bytes]]:
        raise NotImplementedError

    def success_headers(self, ctx: Ctx) -> dict[str, str]:
        return {}

    def models_list(self) -> dict[str, Any]:
        return {"object": "list", "data": [
            {"id": m.id, "object": "model", "created": m.created, "owned_by": self.name}
            for m in models_for(self.name)]}

    # ------------------------------------------------------------------ shared helpers
    @staticmethod
    def logprobs_of(plan: Plan) -> dict[str, Any] | None:
        """``choices[0].logprobs`` of a non-stream answer: null unless logprobs were asked for and honoured."""
        if plan.logprobs is None:
            return None
        return {"content": plan.logprobs[:len(plan.content)], "refusal": None}

    @staticmethod
    def json_value(v: Any) -> str:
        try:
            return orjson.dumps(v).decode()
        except TypeError:
            return str(v)

    @staticmethod
    def model_of(ctx: Ctx) -> SimModel:
        return ctx.model
