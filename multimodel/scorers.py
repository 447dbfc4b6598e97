"""Scorers for evaluate(): callables of (result, row) → number or bool.

Built-ins: exact_match, contains, regex, valid_json, json_schema, and llm_judge, which asks a judge
model through the same client; each is a factory (``contains()``, not ``contains``). A scorer that cannot
be called as (result, row) is refused before anything is sent (``check_scorers``); one that raises or
returns something other than a number, a bool or None gives NaN for that row, with a warning, so one bad
row never loses the run. ``expected`` names the column of the prompts DataFrame holding the answer.
"""

from __future__ import annotations

import inspect
import math
import numbers
import re
from collections.abc import Callable
from typing import Any

import orjson

from multimodel.errors import ConfigError
from multimodel.results import Result

Scorer = Callable[[Result, dict[str, Any]], float | bool | None]


def _norm(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def _strip_punct(text: str) -> str:
    return text.strip().strip(".!?;:,\"'`*").strip()


def _named(fn: Scorer, name: str) -> Scorer:
    fn.__name__ = name
    return fn


def exact_match(expected: str = "expected", *, normalize: bool = True) -> Scorer:
    """1.0 when the answer equals the expected column (whitespace- and case-insensitive by default)."""

    def score(result: Result, row: dict[str, Any]) -> float:
        want = row.get(expected)
        if result.error or want is None:
            return math.nan
        got = result.content.strip()
        if normalize:
            return float(_norm(_strip_punct(got)) == _norm(_strip_punct(str(want))))
        return float(got == str(want))

    return _named(score, "exact_match")


def contains(expected: str = "expected", *, case_sensitive: bool = False, whole_word: bool = True) -> Scorer:
    """1.0 when the expected text appears in the answer; by default as a whole word or number, so "4"
    does not match inside "gpt-5.4" or "12" inside "120"."""

    def score(result: Result, row: dict[str, Any]) -> float:
        want = row.get(expected)
        if result.error or want is None:
            return math.nan
        hay, needle = (result.content, str(want)) if case_sensitive else (_norm(result.content), _norm(want))
        if not whole_word:
            return float(needle in hay)
        pattern = r"(?<![\w.])" + re.escape(needle) + r"(?![\w]|\.\d)"
        return float(re.search(pattern, hay) is not None)

    return _named(score, "contains")


def regex(pattern: str, *, flags: int = re.IGNORECASE) -> Scorer:
    """1.0 when the pattern matches anywhere in the answer."""
    compiled = re.compile(pattern, flags)

    def score(result: Result, row: dict[str, Any]) -> float:
        if result.error:
            return math.nan
        return float(compiled.search(result.content) is not None)

    return _named(score, "regex")


def _extract_json(text: str) -> Any:
    text = text.strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL)
    if fence:
        text = fence.group(1).strip()
    return orjson.loads(text)


def valid_json() -> Scorer:
    """1.0 when the answer (or its fenced code block) parses as JSON."""

    def score(result: Result, row: dict[str, Any]) -> float:
        if result.error:
            return math.nan
        try:
            _extract_json(result.content)
        except orjson.JSONDecodeError:
            return 0.0
        return 1.0

    return _named(score, "valid_json")


def json_schema(schema: dict[str, Any]) -> Scorer:
    """1.0 when the answer is JSON valid against the schema (jsonschema library)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)

    def score(result: Result, row: dict[str, Any]) -> float:
        if result.error:
            return math.nan
        try:
            data = _extract_json(result.content)
        except orjson.JSONDecodeError:
            return 0.0
        return float(validator.is_valid(data))

    return _named(score, "json_schema")


JUDGE_PROMPT = """You are grading an answer. Reply with a single integer score from 0 to 10 and nothing else.

Question:
{prompt}

Reference answer (may be empty):
{expected}

Answer to grade:
{answer}
"""


def llm_judge(client: Any, model: str, *, expected: str = "expected", prompt_column: str = "prompt",
              template: str = JUDGE_PROMPT, **params: Any) -> Scorer:
    """Ask a judge model for a 0–10 grade, returned as 0–1; judged through the same client (cached)."""

    def score(result: Result, row: dict[str, Any]) -> float:
        if result.error:
            return math.nan
        text = template.format(prompt=row.get(prompt_column, ""), expected=row.get(expected, "") or "",
                               answer=result.content)
        judged = client.complete(model, text, **params)
        if judged.error:
            return math.nan
        m = re.search(r"\b(10|\d)\b", judged.content)
        return int(m.group(1)) / 10 if m else math.nan

    return _named(score, f"judge_{model.split('/')[-1]}")


#: the functions above that build a scorer, and how to call one: passing the function itself is a common slip
FACTORIES: dict[Callable[..., Scorer], str] = {
    exact_match: "exact_match()", contains: "contains()", regex: "regex(r'pattern')", valid_json: "valid_json()",
    json_schema: "json_schema({'type': 'object', ...})", llm_judge: "llm_judge(client, 'openai/gpt-5.4')",
}


def check_scorers(scorers: Any) -> list[Scorer]:
    """``scorers=``: a list of callables taking (result, row); an uncalled factory (``mm.scorers.contains``) or a
    callable of another shape (``len``) is refused before anything is sent, since it would score every row NaN."""
    example = "scorers=[mm.scorers.contains('expected')]"
    if scorers is None:
        return []
    if callable(scorers) or not isinstance(scorers, list | tuple):
        raise ConfigError(f"scorers must be a list of scorers, e.g. {example}; got {scorers!r}")
    for scorer in scorers:
        if any(scorer is factory for factory in FACTORIES):
            raise ConfigError(f"scorers: mm.scorers.{scorer.__name__} builds a scorer: call it, e.g. "
                              f"mm.scorers.{FACTORIES[scorer]}")
        if not callable(scorer):
            raise ConfigError(f"scorers: {scorer!r} is not callable; a scorer is a function (result, row) -> number, "
                              f"e.g. {example}")
        try:
            signature = inspect.signature(scorer)
        except (TypeError, ValueError):  # some builtins do not say: judged by their first answer
            continue
        try:
            signature.bind(None, None)
        except TypeError:
            name = getattr(scorer, "__name__", repr(scorer))
            raise ConfigError(f"scorers: {name}{signature} cannot be called as scorer(result, row); a scorer takes "
                              f"the Result and the prompt's row and returns a number, a bool or None, e.g. "
                              "lambda result, row: float('4' in result.content)") from None
    return list(scorers)


def score_value(value: Any) -> float:
    """A scorer's answer as a float: a number or a bool, None as NaN; TypeError for anything else (a string would
    otherwise be read as a number when it happens to look like one)."""
    if value is None:
        return math.nan
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"returned {type(value).__name__} {value!r:.40}, not a number")
