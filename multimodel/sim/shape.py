"""The JSON types of a chat request, checked before any of it is used: a client's mistake is a 400, never a 500.

Providers validate a body against their schema before anything else and answer a field of the wrong type with a
400 naming it (OpenAI: ``Invalid type for 'temperature': expected a decimal, but got a string instead.``, code
``invalid_type``). The simulator checks the standard fields it reads, and a dialect's own extensions only for that
dialect (``Dialect.extension_params``: Anthropic's ``thinking``, OpenRouter's ``reasoning``...); what it never reads
it leaves alone, as it did before, rather than invent a strictness nobody documented. It hands each problem to the
dialect, which words it in the provider's own envelope (:meth:`Dialect.invalid_type`,
:meth:`Dialect.missing_param`, :meth:`Dialect.invalid_schema`). JSON Schemas (tool parameters, response_format)
are checked against the metaschema's types, in the words of the ``jsonschema`` validator OpenAI's texts use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .dialects.base import Dialect

# a kind is one JSON type name, or a tuple of them (any of)
STR, INT, NUM, BOOL, OBJ, ARR = "string", "integer", "decimal", "boolean", "object", "array"
STANDARD: dict[str, Any] = {  # Chat Completions parameters the simulator reads
    "stream": BOOL, "stream_options": OBJ, "max_tokens": INT, "max_completion_tokens": INT, "n": INT, "seed": INT,
    "logprobs": BOOL, "top_logprobs": INT, "temperature": NUM, "top_p": NUM, "stop": (STR, ARR), "tools": ARR,
    "tool_choice": (STR, OBJ), "parallel_tool_calls": BOOL, "response_format": OBJ, "reasoning_effort": STR,
}
EXTENSIONS: dict[str, Any] = {"reasoning": OBJ, "include_reasoning": BOOL, "thinking": OBJ, "output_config": OBJ}
NESTED: dict[str, dict[str, Any]] = {  # the members of those objects the simulator reads
    "stream_options": {"include_usage": BOOL},
    "tool_choice": {"type": STR, "function": OBJ},
    "response_format": {"type": STR, "json_schema": OBJ},
    "reasoning": {"effort": STR, "max_tokens": INT, "exclude": BOOL, "enabled": BOOL},
    "thinking": {"type": STR, "budget_tokens": INT},
    "output_config": {"effort": STR},
}
MESSAGE: dict[str, Any] = {"name": STR, "tool_calls": ARR, "tool_call_id": STR}
PARTS: dict[str, dict[str, Any]] = {  # content part type -> its members
    "text": {"text": STR},
    "image_url": {"image_url": (OBJ, STR)},
    "input_audio": {"input_audio": OBJ},
    "file": {"file": OBJ, "file_data": STR, "file_id": STR, "filename": STR},
}
INNER: dict[str, dict[str, Any]] = {  # objects inside parts
    "image_url": {"url": STR, "detail": STR},
    "input_audio": {"data": STR, "format": STR},
    "file": {"file_data": STR, "file_id": STR, "filename": STR},
}
MAX_SCHEMA_DEPTH = 64  # nesting checked in a JSON Schema (deeper levels are not looked at, nor used)


class Problem(Exception):
    """A field of the wrong type (raised inside the walk, turned into the dialect's 400 by check_body)."""

    def __init__(self, path: str, expected: Any, value: Any) -> None:
        super().__init__(path)
        self.path, self.expected, self.value = path, expected, value


def type_name(value: Any) -> str:
    """The JSON type of a parsed value, in the kinds' words (a bool is not an integer, an int is a decimal too)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return NUM
    if isinstance(value, str):
        return STR
    return ARR if isinstance(value, list) else OBJ


def fits(value: Any, kind: Any) -> bool:
    """Whether ``value`` is of ``kind`` (a type name or a tuple of them); a decimal takes an integer too."""
    kinds = kind if isinstance(kind, tuple) else (kind,)
    got = type_name(value)
    return got in kinds or (got == INT and NUM in kinds)


def _members(obj: dict[str, Any], spec: dict[str, Any], prefix: str, nullable: bool = True) -> None:
    """Check the members of ``obj`` that ``spec`` names (absent, or null when ``nullable``, is fine)."""
    for key, kind in spec.items():
        if key in obj and not (nullable and obj[key] is None) and not fits(obj[key], kind):
            raise Problem(f"{prefix}{key}", kind, obj[key])


def check_body(d: Dialect, body: dict[str, Any], raw: bytes) -> None:
    """Raise the dialect's 400 for the first field of the wrong type, a missing tool name or an invalid schema.

    Parameters the dialect documents as ignored (``Dialect.ignored_params``) are not looked at."""
    if d.ignored_params:
        body = {k: v for k, v in body.items() if k not in d.ignored_params}
    try:
        _check_params(body, {**STANDARD, **{k: EXTENSIONS[k] for k in d.extension_params}})
        for i, m in enumerate(body["messages"]):
            _check_message(d, m, i)
        _check_tools(d, body.get("tools"))
    except Problem as p:
        raise d.invalid_type(p.path, p.expected, p.value, raw) from None
    _check_response_schema(d, body.get("response_format"))


def _check_params(body: dict[str, Any], top: dict[str, Any]) -> None:
    """The top-level parameters in ``top`` and the members the simulator reads of those that are objects or lists."""
    _members(body, top, "")
    for key, spec in NESTED.items():
        if key in top and isinstance(body.get(key), dict):
            _members(body[key], spec, f"{key}.")
    rf, choice, stop = body.get("response_format"), body.get("tool_choice"), body.get("stop")
    if isinstance(rf, dict) and isinstance(rf.get("json_schema"), dict):
        _members(rf["json_schema"], {"name": STR, "schema": OBJ, "strict": BOOL, "description": STR},
                 "response_format.json_schema.")
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        _members(choice["function"], {"name": STR}, "tool_choice.function.")
    for i, s in enumerate(stop if isinstance(stop, list) else ()):
        if not isinstance(s, str):
            raise Problem(f"stop[{i}]", STR, s)


def _check_message(d: Dialect, m: dict[str, Any], i: int) -> None:
    """One message: content (a string, parts, or null where the provider takes it), tool calls, ids."""
    prefix = f"messages[{i}]."
    content = m.get("content")
    if content is None and m.get("role") not in ("assistant", "function"):
        raise d.null_content(i)
    if content is not None and not fits(content, (STR, ARR)):
        raise Problem(f"{prefix}content", (STR, ARR), content)
    if isinstance(content, list):
        for j, part in enumerate(content):
            _check_part(part, f"{prefix}content[{j}]")
    _members(m, MESSAGE, prefix)
    for j, call in enumerate(m.get("tool_calls") or ()):
        where = f"{prefix}tool_calls[{j}]"
        if not isinstance(call, dict):
            raise Problem(where, OBJ, call)
        _members(call, {"id": STR, "type": STR, "function": OBJ}, f"{where}.")
        if isinstance(call.get("function"), dict):
            _members(call["function"], {"name": STR, "arguments": STR}, f"{where}.function.")


def _check_part(part: Any, where: str) -> None:
    """One content part: an object with a string ``type`` and, for the kinds the simulator reads, their members."""
    if not isinstance(part, dict):
        raise Problem(where, OBJ, part)
    kind = part.get("type")
    if not isinstance(kind, str):
        raise Problem(f"{where}.type", STR, kind)
    spec = PARTS.get(kind)
    if spec is None:
        return  # a part type the dialect judges (accepts, drops or refuses by its own rules)
    _members(part, spec, f"{where}.")
    inner = part.get(kind)
    if isinstance(inner, dict) and kind in INNER:
        _members(inner, INNER[kind], f"{where}.{kind}.")


def _check_tools(d: Dialect, tools: Any) -> None:
    """Function tools: objects with a ``function`` object that has a string name, and a valid parameters schema."""
    for i, tool in enumerate(tools or ()):
        where = f"tools[{i}]"
        if not isinstance(tool, dict):
            raise Problem(where, OBJ, tool)
        _members(tool, {"type": STR, "function": OBJ}, f"{where}.")
        fn = tool.get("function")
        if fn is None:
            if tool.get("type", "function") != "function":
                continue  # another kind of tool (OpenAI's "custom"): not the simulator's to judge
            raise d.missing_param(f"{where}.function")
        _members(fn, {"name": STR, "description": STR, "parameters": OBJ, "strict": BOOL}, f"{where}.function.")
        if fn.get("name") is None:
            raise d.missing_param(f"{where}.function.name")
        problem = schema_problem(fn.get("parameters"))
        if problem is not None:
            raise d.invalid_schema(f"function '{fn['name']}'", problem, f"{where}.function.parameters", i)


def _check_response_schema(d: Dialect, rf: Any) -> None:
    """``response_format.json_schema.schema`` must be a valid JSON Schema (its members' types are checked before)."""
    js = rf.get("json_schema") if isinstance(rf, dict) else None
    if not isinstance(js, dict):
        return
    problem = schema_problem(js.get("schema"))
    if problem is not None:
        raise d.invalid_schema(f"response_format '{js.get('name')}'", problem, "response_format", None)


# ---------------------------------------------------------------------------------------------- JSON Schema
_SIMPLE_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else")
_NUMBERS = ("minimum", "maximum", "multipleOf")  # not exclusiveMinimum/Maximum: booleans in draft 4
_COUNTS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")


def _py(value: Any) -> str:
    """A value as the jsonschema validator shows it (Python's repr), cut short."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def schema_problem(schema: Any, depth: int = 0) -> str | None:
    """Why ``schema`` is not a valid JSON Schema, in jsonschema's words (``5 is not of type 'object'``), or None.

    Only the keywords' types are checked (what the simulator reads to build arguments); None (absent) is valid."""
    if schema is None or isinstance(schema, bool) or depth > MAX_SCHEMA_DEPTH:
        return None
    if not isinstance(schema, dict):
        return f"{_py(schema)} is not of type 'object', 'boolean'"
    for key in _SCHEMA_MAPS:
        if key in schema:
            sub = schema[key]
            if not isinstance(sub, dict):
                return f"{_py(sub)} is not of type 'object'"
            found = next((p for p in (_schema_item(v, depth) for v in sub.values()) if p), None)
            if found:
                return found
    for key in _SCHEMA_LISTS:
        if key in schema:
            sub = schema[key]
            if not isinstance(sub, list) or not sub:
                return f"{_py(sub)} is not of type 'array'" if not isinstance(sub, list) else f"{_py(sub)} is too short"
            found = next((p for p in (_schema_item(v, depth) for v in sub) if p), None)
            if found:
                return found
    for key in _SCHEMA_ONE:
        if key in schema:
            sub = schema[key]
            items = sub if key == "items" and isinstance(sub, list) else [sub]  # draft 4 tuple form
            found = next((p for p in (_schema_item(v, depth) for v in items) if p), None)
            if found:
                return found
    return _keyword_problem(schema)


def _schema_item(value: Any, depth: int) -> str | None:
    """A subschema (an object or a boolean) inside a list or under a keyword."""
    if value is None:
        return "None is not of type 'object', 'boolean'"
    return schema_problem(value, depth + 1)


def _keyword_problem(schema: dict[str, Any]) -> str | None:
    """The type of the non-schema keywords: type, required, enum, the numbers and counts."""
    t = schema.get("type")
    if "type" in schema and not (t in _SIMPLE_TYPES if isinstance(t, str) else
                                 isinstance(t, list) and all(isinstance(x, str) and x in _SIMPLE_TYPES for x in t)):
        return f"{_py(t)} is not valid under any of the given schemas"
    if "required" in schema:
        req = schema["required"]
        if not isinstance(req, list):
            return f"{_py(req)} is not of type 'array'"
        odd = [r for r in req if not isinstance(r, str)]
        if odd:
            return f"{_py(odd[0])} is not of type 'string'"
    if "enum" in schema and not isinstance(schema["enum"], list):
        return f"{_py(schema['enum'])} is not of type 'array'"
    for key in _NUMBERS:
        v = schema.get(key)
        if key in schema and (isinstance(v, bool) or not isinstance(v, int | float)):
            return f"{_py(v)} is not of type 'number'"
    for key in _COUNTS:
        v = schema.get(key)
        if key in schema and (isinstance(v, bool) or not isinstance(v, int)):
            return f"{_py(v)} is not of type 'integer'"
        if key in schema and v < 0:
            return f"{_py(v)} is less than the minimum of 0"
    return None
