"""Prompt templates expanded over variables, and the system prompts evaluate() compares (module named templating so
``mm.templates``, the function, is not shadowed by its own module).

``template("Translate {word} into {lang}.", {"word": [...], "lang": [...]})`` gives the prompts DataFrame
evaluate() takes, one row per prompt, with the template id and each variable kept as columns so a summary can be
split by them. ``check_systems`` and ``with_system`` serve evaluate()'s ``systems=`` argument.

Placeholders use Python's ``str.format`` syntax (``{{`` and ``}}`` are literal braces) but only plain names: the
expansion is one pass of plain text substitution, so a ``{name}`` inside a value is never expanded again.
"""

from __future__ import annotations

import difflib
import itertools
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from multimodel.errors import ConfigError, warn_user

#: columns the result writes itself, or that evaluate() would send instead of the prompt
_RESERVED = {
    "prompt": "the result's own 'prompt' column (the expanded text) would overwrite it",
    "template": "the result's own 'template' column (the template id) would overwrite it",
    "variables_row": "the result's own 'variables_row' column (which variables row a prompt came from) would "
                     "overwrite it",
    "messages": "evaluate() sends a row's 'messages' instead of its 'prompt', so the template would be ignored",
}
_LITERAL_BRACES = "a literal brace is written twice: {{ or }}"
_SYSTEMS_EXAMPLE = "e.g. systems={'terse': 'Answer in one word.', 'plain': None} (None: no system message)"


@dataclass(frozen=True)
class _Template:
    """One parsed template: (literal text, placeholder name or None) pieces, as string.Formatter reads them."""

    id: str
    what: str  # how an error names it: "template 'greet'" or "expected= (template 'greet')"
    pieces: tuple[tuple[str, str | None], ...]

    @property
    def fields(self) -> list[str]:
        """The placeholder names, each once, in order of first appearance."""
        return list(dict.fromkeys(name for _, name in self.pieces if name is not None))


@dataclass
class _Variables:
    """The variables as rows of values (used to expand) and a frame of the columns to carry into the result."""

    rows: list[dict[Any, Any]]
    frame: pd.DataFrame
    labels: list[str]  # how an error names each row
    kind: str  # "none", "product" (a dict of value lists), "frame" (a DataFrame or a list of dicts)


def _parse(text: Any, template_id: str, what: str) -> _Template:
    """Split a template into literal text and plain-name placeholders; anything fancier is a ConfigError."""
    if not isinstance(text, str):
        raise ConfigError(f"{what} must be a string with {{placeholders}}, got {type(text).__name__}")
    if not text.strip():
        raise ConfigError(f"{what} is empty: write the prompt text, e.g. 'Translate {{word}} into French.'")
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ConfigError(f"{what} is not a valid template ({exc}); {_LITERAL_BRACES}") from None
    pieces: list[tuple[str, str | None]] = []
    for literal, name, spec, conversion in parsed:
        if name is None:
            pieces.append((literal, None))
            continue
        shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        if not name.strip() or name.strip().isdigit():
            raise ConfigError(f"{what} has the positional placeholder {shown}: name it after a variable, e.g. "
                              f"{{question}}; {_LITERAL_BRACES}")
        if "." in name or "[" in name or conversion or spec:
            raise ConfigError(f"{what} has the placeholder {shown}: use a plain {{name}} (no attributes, indexing, "
                              f"!conversions or :format specs; prepare the value as a variable instead); "
                              f"{_LITERAL_BRACES}, e.g. for JSON in the prompt")
        pieces.append((literal, name))
    return _Template(template_id, what, tuple(pieces))


def _product(variables: Mapping[Any, Any]) -> _Variables:
    """A dict of value lists → every combination, the first variable varying slowest (like itertools.product)."""
    names, values = [], []
    for name, given in variables.items():
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"variables keys must be non-empty strings naming a placeholder, got {name!r}")
        if isinstance(given, str | bytes | int | float | bool) or given is None:
            given = [given]  # one fixed value
        elif isinstance(given, set | frozenset | Mapping):
            kind = "a set" if isinstance(given, set | frozenset) else "a dict"
            raise ConfigError(f"variables[{name!r}] is {kind}, which has no reliable order; pass a list, e.g. "
                              f"sorted(...)")
        elif not isinstance(given, Iterable):
            raise ConfigError(f"variables[{name!r}] must be a list of values, got {type(given).__name__}")
        given = list(given)
        if not given:
            raise ConfigError(f"variables[{name!r}] is an empty list, so the product has no rows; give it at least "
                              f"one value or leave it out")
        names.append(name)
        values.append(given)
    combos = list(itertools.product(*values))
    rows = [dict(zip(names, combo, strict=True)) for combo in combos]
    frame = pd.DataFrame({name: [combo[i] for combo in combos] for i, name in enumerate(names)},
                         index=pd.RangeIndex(len(combos)))
    labels = [f"row {i} ({', '.join(f'{k}={v!r}' for k, v in row.items())})" for i, row in enumerate(rows)]
    return _Variables(rows, frame, labels, "product")


def _table(frame: pd.DataFrame) -> _Variables:
    """A DataFrame of variables, one prompt per row; a named index is carried as a column too."""
    if frame.columns.duplicated().any():
        dup = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise ConfigError(f"the variables DataFrame has duplicate columns {dup}; rename or drop them")
    if len(frame) == 0:
        raise ConfigError("the variables DataFrame has no rows: each row gives one prompt")
    named = [n for n in frame.index.names if n is not None and n not in frame.columns]
    labels = [f"row {pos}" if label == pos else f"row {pos} (index {label!r})"
              for pos, label in enumerate(frame.index)]
    frame = frame.reset_index(level=named) if named else frame
    frame = frame.reset_index(drop=True)
    return _Variables(frame.to_dict(orient="records"), frame, labels, "frame")


def _variables(variables: Any) -> _Variables:
    """Accept None, a DataFrame, a dict of value lists or a list of dicts; anything else is a ConfigError."""
    if variables is None or (isinstance(variables, Mapping) and not variables):
        return _Variables([{}], pd.DataFrame(index=pd.RangeIndex(1)), ["row 0"], "none")
    if isinstance(variables, pd.DataFrame):
        out = _table(variables)
    elif isinstance(variables, Mapping):
        out = _product(variables)
    elif isinstance(variables, list | tuple) and variables and all(isinstance(r, Mapping) for r in variables):
        out = _table(pd.DataFrame([dict(r) for r in variables]))
        out.labels = [f"variables[{i}]" for i in range(len(variables))]
    else:
        raise ConfigError(
            f"variables must be a DataFrame (one prompt per row), a dict of value lists (their product, e.g. "
            f"{{'word': ['cat', 'dog'], 'lang': ['French', 'German']}}), a non-empty list of dicts, or None; "
            f"got {type(variables).__name__}")
    for column, why in _RESERVED.items():
        if column in out.frame.columns:
            raise ConfigError(f"the variables have a column {column!r}: {why}; rename it, e.g. "
                              f"variables.rename(columns={{{column!r}: 'question'}}), and write {{question}}")
    return out


def _check_fields(tpl: _Template, variables: _Variables) -> None:
    """Every placeholder names a variable; if not, say which, where, what there is, and the nearest name."""
    available = [c for c in variables.frame.columns if isinstance(c, str)]
    for name in tpl.fields:
        if name in available:
            continue
        if variables.kind == "none":
            raise ConfigError(f"{tpl.what} has the placeholder {{{name}}} but no variables were given: pass "
                              f"variables={{{name!r}: [...]}}, or, for a literal brace, write it twice: {{{{ }}}}")
        close = difflib.get_close_matches(name.strip(), available, n=1)
        hint = f"; did you mean {{{close[0]}}}?" if close else ""
        raise ConfigError(f"{tpl.what} has the placeholder {{{name}}} but there is no variable {name!r}; the "
                          f"variables are {available}{hint}")


def _expand(tpl: _Template, variables: _Variables, *, blank_ok: bool = False) -> list[str]:
    """One pass of substitution per variables row (values through str(); a missing value is a ConfigError).
    A blank prompt is a ConfigError here, named by its row, rather than later in evaluate(); ``blank_ok`` is for
    the expected column, where an empty reference can be meant."""
    out = []
    for row, label in zip(variables.rows, variables.labels, strict=True):
        parts = []
        for literal, name in tpl.pieces:
            parts.append(literal)
            if name is None:
                continue
            value = row[name]
            if _is_missing(value):
                raise ConfigError(f"{tpl.what}: variable {name!r} is empty ({value!r}) on {label}; fill it in or "
                                  f"drop the row (e.g. variables.dropna(subset=[{name!r}]))")
            parts.append(str(value))
        text = "".join(parts)
        if not blank_ok and not text.strip():
            raise ConfigError(f"{tpl.what} gives an empty prompt on {label}: the variables it uses are blank there")
        out.append(text)
    return out


def _is_missing(value: Any) -> bool:
    """None, NaN, pd.NA or NaT: a cell with nothing in it."""
    if value is None:
        return True
    try:
        return pd.api.types.is_scalar(value) and bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _build(parsed: list[tuple[_Template, _Template | None]], variables: Any) -> pd.DataFrame:
    """Check, expand every template over every variables row (template-major), and warn about wasted rows."""
    table = _variables(variables)
    if any(exp is not None for _, exp in parsed) and "expected" in table.frame.columns:
        raise ConfigError("the variables already have an 'expected' column and expected= was given too: pick one "
                          "(drop the column, or leave out expected=)")
    used: set[str] = set()
    for tpl, exp in parsed:
        for one in (tpl, exp):
            if one is not None:
                _check_fields(one, table)
                used.update(one.fields)
    unused = [c for c in table.frame.columns if c not in used] if table.kind == "product" else []
    blocks = []
    for tpl, exp in parsed:
        block = table.frame.copy()
        block.insert(0, "prompt", _expand(tpl, table))
        block.insert(1, "template", tpl.id)
        if len(parsed) > 1:  # one question under several wordings: what pairs them (ev.paired(by="template"))
            block["variables_row"] = range(len(block))
        if exp is not None:
            block["expected"] = _expand(exp, table, blank_ok=True)
        blocks.append(block)
    out = pd.concat(blocks, ignore_index=True)  # every row expanded: only now is a warning worth giving
    if unused:
        n_rows = len(table.rows)
        warn_user(f"variables {unused} are not used by any template: their values only repeat each prompt "
                  f"({n_rows} rows per template where {len(_product_without(table, unused))} would do), and "
                  f"evaluate() would count the copies as separate questions; drop them or add "
                  f"{', '.join('{' + str(c) + '}' for c in unused)} to a template", UserWarning)
    else:
        _warn_duplicates(out)
    variables_first = [c for c in table.frame.columns if c in used or table.kind == "product"]
    expected = ["expected"] if any(exp is not None for _, exp in parsed) else []
    rest = [c for c in table.frame.columns if c not in variables_first]  # a DataFrame's own order
    pairing = ["variables_row"] if len(parsed) > 1 else []
    return out[["prompt", "template", *variables_first, *expected, *rest, *pairing]]


def _product_without(table: _Variables, unused: list[Any]) -> set[tuple[Any, ...]]:
    """The distinct combinations of the variables that are used."""
    return {tuple((k, repr(v)) for k, v in row.items() if k not in unused) for row in table.rows}


def _warn_duplicates(out: pd.DataFrame) -> None:
    """A template that gives the same prompt on several rows inflates n: say which, and how to fix it."""
    counts = out.groupby("template", sort=False)["prompt"].agg(["size", "nunique"])
    repeated = counts[counts["size"] > counts["nunique"]]
    if len(repeated):
        which = ", ".join(f"{t!r} ({r['size']} prompts, {r['nunique']} distinct)" for t, r in repeated.iterrows())
        warn_user(f"template(s) {which} give the same prompt on several variables rows; evaluate() counts each "
                  f"copy as its own question, which narrows confidence intervals: use every variable in each "
                  f"template, or drop the copies (df.drop_duplicates(['template', 'prompt']))", UserWarning)


def template(text: str, variables: Any = None, *, id: str | None = None, expected: str | None = None) -> pd.DataFrame:
    """Expand one ``{placeholder}`` template over variables into evaluate()'s prompts DataFrame.

    ``variables``: a DataFrame (one prompt per row; its other columns, such as ``expected`` or ``id``, are carried
    along), a dict of value lists (their product, first key varying slowest), a list of dicts, or None.
    ``expected``: a second template over the same variables giving the ``expected`` column that scorers compare
    against, for known-answer sweeps: ``template("Reply with only the word {word}.", {"word": ["apple", "river"]},
    expected="{word}")``, or ``template("What is the capital of {country}?", capitals_df, expected="{capital}")``.
    It substitutes text and computes nothing: an answer that is not a substitution (a sum, say) belongs in a
    column of a variables DataFrame. Columns: prompt, template (``id``, default "t0"), the variables, expected,
    then the other columns of a variables DataFrame, whose index is carried too when it is named.
    """
    if id is None:
        id = "t0"
    if not isinstance(id, str) or not id.strip():
        raise ConfigError(f"id must be a non-empty string naming the template, e.g. id='direct'; got {id!r}")
    return templates({id: text}, variables, expected=expected)


def templates(texts: Mapping[str, str] | Sequence[str], variables: Any = None, *,
              expected: str | None = None) -> pd.DataFrame:
    """Expand several templates over the same variables: every template × every variables row, template-major.

    ``texts``: a dict id → template text (the ids fill the ``template`` column), or a list of texts (ids "t0",
    "t1", ...). ``variables`` and ``expected`` as in :func:`template`; ``expected`` applies to every template.
    """
    items = _named_items(
        texts, "t", one="templates() takes several templates (a dict id → text, or a list); for one, use "
                        "mm.template(text, variables)",
        wrong=f"templates() takes a dict id → template text, e.g. {{'direct': 'What is {{x}}?'}}, or a list of "
              f"texts; got {type(texts).__name__}",
        empty="no templates given: pass at least one, e.g. {'direct': 'What is {x}?'}")
    seen: dict[str, str] = {}
    parsed = []
    for template_id, text in items:
        if not isinstance(template_id, str) or not template_id.strip():
            raise ConfigError(f"template ids must be non-empty strings, got {template_id!r}")
        if isinstance(text, str) and text in seen:
            raise ConfigError(f"templates {seen[text]!r} and {template_id!r} are the same text; keep one")
        seen[text] = template_id
        tpl = _parse(text, template_id, f"template {template_id!r}")
        exp = None if expected is None else _parse(expected, template_id, f"expected= (template {template_id!r})")
        parsed.append((tpl, exp))
    return _build(parsed, variables)


def _named_items(value: Any, prefix: str, *, one: str, wrong: str, empty: str) -> list[tuple[Any, Any]]:
    """(name, text) pairs of a dict in its order, or of a list named prefix0, prefix1, ...; ConfigError with the
    caller's message for a single string (``one``), another type (``wrong``) or nothing (``empty``)."""
    if isinstance(value, str):
        raise ConfigError(one)
    if isinstance(value, Mapping):
        items = list(value.items())
    elif isinstance(value, list | tuple):
        items = [(f"{prefix}{i}", text) for i, text in enumerate(value)]
    else:
        raise ConfigError(wrong)
    if not items:
        raise ConfigError(empty)
    return items


def check_systems(systems: Any) -> dict[str, str | None]:
    """Validate evaluate()'s ``systems=``: a dict name → system prompt (None: no system message), or a list of
    texts named "s0", "s1", ...; returns the dict, in the order given."""
    items = _named_items(
        systems, "s", one=f"systems takes several system prompts to compare, not one string; {_SYSTEMS_EXAMPLE}",
        wrong=f"systems must be a dict name → system prompt or a list of system prompts, got "
              f"{type(systems).__name__}; {_SYSTEMS_EXAMPLE}",
        empty=f"systems is empty: give at least one, {_SYSTEMS_EXAMPLE}")
    seen: dict[str | None, str] = {}
    for name, text in items:
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"system names must be non-empty strings (they fill the 'system' column), got "
                              f"{name!r}; {_SYSTEMS_EXAMPLE}")
        if text is not None and (not isinstance(text, str) or not text.strip()):
            raise ConfigError(f"system {name!r} must be the system prompt text, or None for no system message; "
                              f"got {text!r}")
        if text in seen:
            raise ConfigError(f"systems {seen[text]!r} and {name!r} are the same "
                              f"{'(None)' if text is None else 'text'}: they would send identical requests; "
                              f"keep one")
        seen[text] = name
    return dict(items)


def with_system(prompt: Any, system_text: str | None, *, name: str | None = None) -> Any:
    """The prompt to send under a system prompt: a string or text-and-parts list becomes [system, user] messages,
    a messages list gets the system message first; ``system_text`` None returns ``prompt`` unchanged.
    ``name`` (the system's name in ``systems=``) only makes an error message clearer."""
    if system_text is None:
        return prompt
    called = f"system {name!r}" if name else "the system prompt"
    if not isinstance(system_text, str) or not system_text.strip():
        raise ConfigError(f"{called} must be non-empty text, or None for no system message; got {system_text!r}")
    system = {"role": "system", "content": system_text}
    if isinstance(prompt, str):
        return [system, {"role": "user", "content": prompt}]
    if isinstance(prompt, Mapping) and "role" not in prompt:  # one content part, e.g. mm.image(...)
        return [system, {"role": "user", "content": [dict(prompt)]}]
    if not isinstance(prompt, list | tuple) or not prompt:
        raise ConfigError(f"cannot add {called} to a prompt of type {type(prompt).__name__}: pass a string, a list "
                          f"of messages, or a list of text and parts")
    is_message = [isinstance(m, Mapping) and "role" in m for m in prompt]
    if all(is_message):
        for i, message in enumerate(prompt):
            if message["role"] in ("system", "developer"):
                raise ConfigError(f"this prompt already has a {message['role']} message (messages[{i}]) and "
                                  f"systems= adds {called}: pick one or the other (drop it from the messages, or "
                                  f"leave this prompt out of the systems comparison)")
        return [system, *(dict(m) for m in prompt)]
    if any(is_message):
        raise ConfigError("the prompt mixes messages ({'role': ...}) with bare text or parts; pass either a list of "
                          "messages or a list of text and parts")
    content = [{"type": "text", "text": p} if isinstance(p, str) else dict(p) for p in prompt]
    return [system, {"role": "user", "content": content}]


__all__ = ["check_systems", "template", "templates", "with_system"]
