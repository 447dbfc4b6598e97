"""The types shared by the server, the engine and the dialects: request, context, plan, error.

They sit below both :mod:`.engine` and :mod:`.dialects`, so each imports them and neither imports the other
at run time (the engine names ``Dialect`` only in type hints).
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from .catalogue import SimModel
from .sampling import temperature_of
from .text import Media, PromptInfo

MAX_TOP_LOGPROBS = 20


class NamedDialect(Protocol):
    """What a :class:`Ctx` needs of its dialect: the name that salts the request's seed."""

    @property
    def name(self) -> str: ...


class SimError(Exception):
    """An HTTP error response in a dialect's shape."""

    def __init__(self, status: int, body: bytes, outcome: str, headers: dict[str, str] | None = None,
                 reason: str | None = None) -> None:
        super().__init__(f"{status} {outcome}")
        self.status = status
        self.body = body
        self.outcome = outcome
        self.headers = headers or {}
        self.reason = reason


class Req:
    """The parsed request body (only what the simulator looks at)."""

    __slots__ = ("answer_tokens", "body", "cap", "cap_param", "include_usage", "messages", "model_name", "n",
                 "parallel", "raw", "response_format", "stop", "stream", "tool_choice", "tools")

    def __init__(self, body: dict[str, Any], raw: bytes) -> None:
        self.body = body
        self.raw = raw
        self.model_name = body.get("model")
        self.messages = body.get("messages")
        self.stream = body.get("stream") is True
        so = body.get("stream_options")
        self.include_usage = isinstance(so, dict) and so.get("include_usage") is True
        mct = body.get("max_completion_tokens")
        mt = body.get("max_tokens")
        self.cap_param = "max_completion_tokens" if mct is not None else ("max_tokens" if mt is not None else None)
        cap = mct if mct is not None else mt
        self.cap = cap if isinstance(cap, int) and not isinstance(cap, bool) and cap > 0 else None
        tools = body.get("tools")
        self.tools = tools if isinstance(tools, list) and tools else None
        self.tool_choice = body.get("tool_choice")
        self.parallel = body.get("parallel_tool_calls") is not False
        n = body.get("n")
        self.n = n if isinstance(n, int) else 1
        stop = body.get("stop")
        self.stop = [stop] if isinstance(stop, str) else (stop if isinstance(stop, list) else None)
        self.response_format = body.get("response_format")
        self.answer_tokens: int | None = None


@dataclass(slots=True)
class ToolCallPlan:
    id: str
    name: str
    arguments: str
    fragments: list[str]  # argument pieces for dialects that stream fragments

    @property
    def tokens(self) -> int:
        return len(self.fragments) + 1


@dataclass(slots=True)
class Plan:
    prompt_tokens: int
    cached_tokens: int = 0
    reasoning: list[str] = field(default_factory=list)  # visible reasoning pieces ([] when hidden)
    reasoning_tokens: int = 0
    content: list[str] = field(default_factory=list)
    tool_calls: list[ToolCallPlan] = field(default_factory=list)
    finish: str = "stop"  # stop | length | tool_calls | content_filter | insufficient_system_resource
    signature: str = ""  # opaque reasoning signature / encrypted blob seed
    logprobs: list[dict[str, Any]] | None = None  # one entry per content piece when logprobs were asked for

    @property
    def tool_tokens(self) -> int:
        return sum(tc.tokens for tc in self.tool_calls)

    @property
    def output_tokens(self) -> int:
        """All generated tokens: reasoning + answer + tool calls."""
        return self.reasoning_tokens + len(self.content) + self.tool_tokens

    @property
    def text(self) -> str:
        return "".join(self.content)

    @property
    def reasoning_text(self) -> str:
        return "".join(self.reasoning)

    def cost_usd(self, model: SimModel) -> tuple[float, float]:
        """(prompt cost, completion cost) in USD at the model's prices."""
        p_in, p_cached, p_out = model.prices_per_token
        prompt = (self.prompt_tokens - self.cached_tokens) * p_in + self.cached_tokens * p_cached
        return prompt, self.output_tokens * p_out


class Ctx:
    """Per-request context handed to the dialect."""

    __slots__ = ("created", "dialect", "draw", "dropped", "effort", "fault", "info", "key", "label", "logprobs",
                 "model", "reasoning_on", "req", "requested", "rid", "rng", "seed", "seed_int", "visible")

    def __init__(self, dialect: NamedDialect, model: SimModel, req: Req, seed: int) -> None:
        self.dialect = dialect
        self.model = model
        self.req = req
        self.requested: str = req.model_name
        self.label = model.id
        h = hashlib.blake2b(digest_size=8)
        h.update(f"{seed}|{dialect.name}|{model.id}|".encode())
        h.update(orjson.dumps(req.messages, option=orjson.OPT_SORT_KEYS))
        if req.tools:
            h.update(orjson.dumps(req.tools, option=orjson.OPT_SORT_KEYS))
        seed = req.body.get("seed")
        # a seed the model honours changes the sampling; elsewhere it is ignored (or rejected by the dialect)
        self.seed: int | None = (seed if model.seed == "supported" and isinstance(seed, int)
                                 and not isinstance(seed, bool) else None)
        if self.seed is not None:
            h.update(b"|seed=%d" % self.seed)
        self.key = int.from_bytes(h.digest(), "big")  # what repeats of one request share (sampling.Draws counts it)
        self.draw = 0
        self.seed_int = self.key
        self.rng = random.Random(self.seed_int)
        self.created = 0
        self.rid = ""
        self.fault: str | None = None
        self.info: PromptInfo | None = None
        self.effort: str | None = None
        self.reasoning_on = False
        self.visible = False
        self.logprobs: int | None = None  # top_logprobs to return per token; None: no logprobs
        self.dropped: list[Media] = []  # media the dialect stripped silently

    @property
    def temperature(self) -> float:
        """The temperature the model samples at: the request's, 1.0 (the providers' default) when absent."""
        return temperature_of(self.req.body)

    def set_draw(self, draw: int) -> None:
        """Sample ``draw`` of this request (sampling.py): draw 0 keeps the request's own seed, so a greedy answer
        is the first sample; any other draw reseeds everything the answer is made from."""
        self.draw = draw
        if draw:
            h = hashlib.blake2b(b"%d|draw=%d" % (self.key, draw), digest_size=8)
            self.seed_int = int.from_bytes(h.digest(), "big")
            self.rng = random.Random(self.seed_int)
