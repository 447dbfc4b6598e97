"""Scorers for evaluate(): plain scorers, callables of (result, row) → number, bool or None, and judges.

Plain scorers: exact_match, contains, regex, numeric, valid_json, json_schema. Each is a factory (``contains()``,
not ``contains``) whose scorer carries ``__name__`` (its column in ``ev.df``) and ``columns`` (the prompt-row
columns it reads), so evaluate() names a missing column before anything is sent (``missing_columns``). An error
row scores NaN (nothing to score, not a failure); a scorer that raises or returns something other than a number,
a bool or None gives NaN for that row, and ``describe_failures`` says which scorer, how often, where first and why.

Judges (``llm_judge``, ``pairwise_judge``) never call a client: they say what to ask (``asks``) and read the
replies (``score``); evaluate() sends the requests through its own runner, cached, paced and costed like any row.
"""

from __future__ import annotations

import inspect
import json
import math
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from multimodel.errors import ConfigError, warn_user
from multimodel.results import Result

Scorer = Callable[[Result, dict[str, Any]], float | bool | None]
#: how a failing row is named: (prompt_index, model), (prompt_index, model, repeat), or text of the caller's own
RowLabel = tuple[Any, ...] | str

EXPECTED_HELP = "the column of the prompts holding the answer"


# ---------------------------------------------------------------------------------------------- shared reading
def _absent(value: Any) -> bool:
    """None or an empty DataFrame cell (NaN, pd.NA, NaT): the row has no value there."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def _as_text(value: Any) -> str:
    """A cell as text; a whole float (an int column that held a NaN comes back as 4.0) reads as "4"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _items(value: Any) -> list[Any]:
    """A cell holding several values (a list, tuple, set or array) as a list; any other cell as a list of one."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _alternatives(row: Mapping[str, Any], expected: str, accepted: str | None) -> list[str] | None:
    """Every accepted answer of a row: the expected cell (one value or a list) and the ``accepted`` column's
    "|"-separated alternatives; None when the row has no expected value (the score is NaN, not 0)."""
    want = row.get(expected)
    if _absent(want):
        return None
    found = [_as_text(w) for w in _items(want) if not _absent(w)]
    others = row.get(accepted) if accepted else None
    if isinstance(others, str):
        found += others.split("|")
    elif others is not None and not _absent(others):
        found += [_as_text(o) for o in _items(others) if not _absent(o)]
    found = [f.strip() for f in found if f.strip()]
    return found or None


def _norm(text: Any) -> str:
    return " ".join(str(text).split()).casefold()


def _strip_punct(text: str) -> str:
    return text.strip().strip(".!?;:,\"'`*_").strip()


def _named(fn: Scorer, name: str, columns: Iterable[str | None] = (),
           fixes: Mapping[str, str] | None = None) -> Scorer:
    """Give a built scorer its column name and the prompt columns it reads (with how to point it elsewhere)."""
    fn.__name__ = fn.__qualname__ = name
    fn.columns = tuple(c for c in columns if c)  # type: ignore[attr-defined]
    fn.column_fixes = dict(fixes or {})  # type: ignore[attr-defined]
    return fn


def _check_column(value: Any, name: str, factory: str, *, optional: bool = False) -> None:
    if (value is None and optional) or (isinstance(value, str) and value):
        return
    none = " (or None)" if optional else ""
    raise ConfigError(f"{factory}: {name}= names a column of the prompts{none}, e.g. {name}='expected'; got {value!r}")


# ---------------------------------------------------------------------------------------------- plain scorers
def exact_match(expected: str = "expected", *, normalize: bool = True, accepted: str | None = "accepted") -> Scorer:
    """1.0 when the answer equals the expected column, or one of the row's ``accepted`` alternatives ("|"-separated)
    or any item of a list; by default case- and whitespace-insensitive, ignoring surrounding punctuation and
    markdown emphasis ("**Paris.**" equals "paris")."""
    _check_column(expected, "expected", "exact_match")
    _check_column(accepted, "accepted", "exact_match", optional=True)

    def score(result: Result, row: dict[str, Any]) -> float:
        wants = _alternatives(row, expected, accepted)
        if result.error or wants is None:
            return math.nan
        got = answer(result).strip()
        if normalize:
            got = _norm(_strip_punct(got))
            return float(any(got == _norm(_strip_punct(w)) for w in wants))
        return float(any(got == w for w in wants))

    return _named(score, "exact_match", [expected], {expected: "exact_match(expected='<your column>')"})


#: the label every simulated answer starts with ("[simulated gpt-5.4] ..."): not part of the answer
_SIM_LABEL = re.compile(r"\A\s*\[simulated [^\]\n]*\]\s*")


def answer(result: Result) -> str:
    """The answer text the scorers read: the content, less the ``[simulated <model>]`` label a simulated answer
    starts with (a model id's digits, "4" in claude-sonnet-4-6, would otherwise match an expected "4", and
    exact_match would never hold). A real answer is read as it is."""
    if getattr(result, "simulated", False):  # scorers also take duck-typed results (content, error, ...)
        return _SIM_LABEL.sub("", result.content, count=1)
    return result.content


def _whole_word_pattern(needle: str) -> str:
    """The needle standing alone: not inside a word or a number ("4" not in "gpt-5.4" nor "42", "12" not in "120"
    nor "12,000"), and a number not as the tail of a negative one ("4" not in "-4"; "gpt-4" still holds "4")."""
    before = r"(?<![\w.])"
    after = r"(?![\w]|\.\d)"
    if needle[:1].isdigit():
        before += r"(?<!\d,)(?<!(?<!\w)[-\u2212])"
    if needle[-1:].isdigit():
        after += r"(?!,\d{3}(?!\d))"
    return before + re.escape(needle) + after


def contains(expected: str = "expected", *, case_sensitive: bool = False, whole_word: bool = True,
             accepted: str | None = "accepted") -> Scorer:
    """1.0 when the expected text (or one of the row's ``accepted`` alternatives, "|"-separated, or any item of a
    list) appears in the answer; by default as a whole word or number, so "4" does not match inside "gpt-5.4" and
    "12" not inside "120"."""
    _check_column(expected, "expected", "contains")
    _check_column(accepted, "accepted", "contains", optional=True)

    def found(needle: str, hay: str) -> bool:
        if not whole_word:
            return needle in hay
        return re.search(_whole_word_pattern(needle), hay) is not None

    def score(result: Result, row: dict[str, Any]) -> float:
        wants = _alternatives(row, expected, accepted)
        if result.error or wants is None:
            return math.nan
        hay = answer(result) if case_sensitive else _norm(answer(result))
        return float(any(found(w if case_sensitive else _norm(w), hay) for w in wants))

    return _named(score, "contains", [expected], {expected: "contains(expected='<your column>')"})


def regex(pattern: str, *, flags: int = re.IGNORECASE) -> Scorer:
    """1.0 when the pattern matches anywhere in the answer (case-insensitive by default)."""
    if not isinstance(pattern, str):
        raise ConfigError(f"regex: the pattern is a string, e.g. regex(r'\\bParis\\b'); got {pattern!r}")
    try:
        compiled = re.compile(pattern, flags)
    except re.error as exc:
        raise ConfigError(f"regex: {pattern!r} is not a valid regular expression ({exc})") from None

    def score(result: Result, row: dict[str, Any]) -> float:
        if result.error:
            return math.nan
        return float(compiled.search(answer(result)) is not None)

    return _named(score, "regex")


#: a number as answers write them: "-3.5", "1,234", ".5", "1.2e3"; not inside a word ("CO2", "v2") nor after a
#: decimal point; a "-" counts as a sign only when no word or digit comes right before it ("1-2" is 1 and 2)
NUMBER = re.compile(r"(?<![\w.])([-+\u2212]?)((?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?|\.\d+)"
                    r"(?:[eE]([-+]?\d+))?")


def last_number(text: str) -> float | None:
    """The last number in a text, as a float: "**42**", "42.", "1,234 km", "-3.5", "1.2e3"; None if there is none."""
    matches = list(NUMBER.finditer(text))
    if not matches:
        return None
    sign, digits, exponent = matches[-1].groups()
    value = float(digits.replace(",", "") + (f"e{exponent}" if exponent else ""))
    return -value if sign in ("-", "\u2212") else value


def _check_tolerance(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0 or math.isinf(value):
        raise ConfigError(f"numeric: {name} is a finite number >= 0, e.g. numeric({name}=0.01); got {value!r}")
    return float(value)


def numeric(expected: str = "expected", *, abs_tol: float = 1e-9, rel_tol: float = 1e-6,
            accepted: str | None = "accepted") -> Scorer:
    """1.0 when the last number in the answer equals the expected one within the tolerances (``math.isclose``:
    |a - b| <= max(rel_tol * max(|a|, |b|), abs_tol)); "The total is **1,234** km." reads as 1234. An answer
    without a number scores 0; an expected value without one is a failure that names the value."""
    _check_column(expected, "expected", "numeric")
    _check_column(accepted, "accepted", "numeric", optional=True)
    abs_tol, rel_tol = _check_tolerance(abs_tol, "abs_tol"), _check_tolerance(rel_tol, "rel_tol")

    def score(result: Result, row: dict[str, Any]) -> float:
        wants = _alternatives(row, expected, accepted)
        if result.error or wants is None:
            return math.nan
        targets = [n for n in map(last_number, wants) if n is not None]
        if not targets:
            raise ValueError(f"the expected value {str(row[expected])[:60]!r} (column {expected!r}) holds no number")
        got = last_number(answer(result))
        if got is None:
            return 0.0
        return float(any(math.isclose(got, t, rel_tol=rel_tol, abs_tol=abs_tol) for t in targets))

    return _named(score, "numeric", [expected], {expected: "numeric(expected='<your column>')"})


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _extract_json(text: str) -> Any:
    """The answer as JSON: the whole text, or its first fenced code block (```json … ```); strict JSON (NaN and
    Infinity are refused; integers of any size are fine)."""
    text = text.strip()
    fence = re.search(r"```[\w-]*[ \t]*\n?(.*?)```", text, re.DOTALL)
    if fence:
        text = fence.group(1).strip()
    return json.loads(text, parse_constant=_reject_constant)


def valid_json() -> Scorer:
    """1.0 when the answer (or its fenced code block) parses as JSON, else 0."""

    def score(result: Result, row: dict[str, Any]) -> float:
        if result.error:
            return math.nan
        try:
            _extract_json(answer(result))
        except ValueError:
            return 0.0
        return 1.0

    return _named(score, "valid_json")


def json_schema(schema: dict[str, Any]) -> Scorer:
    """1.0 when the answer (or its fenced code block) is JSON valid against the schema (JSON Schema 2020-12, the
    jsonschema library); invalid JSON scores 0. A schema that is itself invalid is refused at once."""
    import jsonschema

    if not isinstance(schema, Mapping):
        raise ConfigError(f"json_schema: the schema is a dict, e.g. json_schema({{'type': 'object'}}); got {schema!r}")
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise ConfigError(f"json_schema: the schema is not valid JSON Schema: {exc.message}") from None
    validator = jsonschema.Draft202012Validator(schema)

    def score(result: Result, row: dict[str, Any]) -> float:
        if result.error:
            return math.nan
        try:
            data = _extract_json(answer(result))
        except ValueError:
            return 0.0
        return float(validator.is_valid(data))

    return _named(score, "json_schema")


# ---------------------------------------------------------------------------------------------- judges
DEFAULT_RUBRIC = ("Correctness against the reference answer comes first: an answer that contradicts it is wrong "
                  "however well written. Then completeness, then clarity.")

SINGLE_HEADER = "You are grading an answer to a question."
PAIRWISE_HEADER = "You are comparing two answers to a question."
SINGLE_LAST_LINE = ('Reply with a short justification, then a last line "GRADE: n" where n is an integer from 0 to '
                    '{scale}.')
PAIRWISE_LAST_LINE = ('Reply with a short justification, then a last line "WINNER: A", "WINNER: B" or '
                      '"WINNER: TIE".')

GRADE_LINE = re.compile(r"\bGRADE\s*:\s*[*_`]*\s*([-+]?\d+(?:\.\d+)?)", re.IGNORECASE)
WINNER_LINE = re.compile(r"\bWINNER\s*:\s*[*_`]*\s*(?:answer\s+)?(TIE|A|B)\b", re.IGNORECASE)


class JudgeReplyError(ValueError):
    """A judge's reply that cannot be read as a grade or a winner; the message quotes what the judge said."""


def escape_block(text: str) -> str:
    """Text to put between a "<<<" line and a ">>>" line: a line of its own that reads ">>>" becomes "> > >", so
    an answer cannot close its block early and write instructions of its own (whatever its line breaks)."""
    return "".join(line.replace(">>>", "> > >") if line.strip() == ">>>" else line
                   for line in text.splitlines(keepends=True))


def _block(title: str, text: str) -> str:
    return f"{title}\n<<<\n{escape_block(text)}\n>>>"


def _clip(text: str, limit: int = 120) -> str:
    """A reply on one line, at most ``limit`` characters: its start and its end when longer."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    head = (limit - 3) * 2 // 3
    return flat[:head] + " … " + flat[len(flat) - (limit - 3 - head):]


def _message_text(content: Any) -> str:
    """A message's content as text: a string, or the text parts of a list (other parts as [image], [file], …)."""
    if isinstance(content, str):
        return content
    parts = []
    for part in _items(content) if content is not None else []:
        if isinstance(part, Mapping) and part.get("type") == "text":
            parts.append(str(part.get("text", "")))
        elif isinstance(part, Mapping):
            parts.append(f"[{str(part.get('type', 'part')).split('_')[0]}]")
    return "\n".join(parts)


def _question_text(row: Mapping[str, Any], column: str) -> str:
    """The question a judge sees: the row's ``column`` (by default its prompt), else its prompt or messages; a
    conversation becomes one "role: text" paragraph per message."""
    for key in (column, "prompt", "messages"):
        value = row.get(key)
        if _absent(value):
            continue
        if isinstance(value, str):
            return value
        messages = [m for m in _items(value) if isinstance(m, Mapping)]
        return "\n\n".join(f"{m.get('role', 'user')}: {_message_text(m.get('content'))}" for m in messages)
    return ""


def _answer_text(result: Result) -> str:
    """What a judge grades: the answer's text, or the tool calls it made when it wrote none."""
    if result.content or not result.tool_calls:
        return result.content
    return "\n".join(f"[tool call] {call.name}({call.arguments_raw})" for call in result.tool_calls)


def _model_name(value: Any, what: str, example: str) -> str:
    if not isinstance(value, str) or value.count("/") < 1 or not all(value.split("/", 1)):
        raise ConfigError(f"{what} is a 'provider/model-id' string, e.g. {example}; got {value!r}")
    return value


class JudgeBase:
    """What evaluate() needs from a judge: its name, its model and request params, the prompt columns it reads, the
    prompts to send for a row (``asks``) and the score read from their replies (``score``). It sends nothing."""

    kind = "judge"

    def __init__(self, model: str, *, rubric: str, expected: str | None, prompt_column: str,
                 params: dict[str, Any], factory: str) -> None:
        self.model = _model_name(model, f"{factory}'s judge model", f"{factory}('openai/gpt-5.4')")
        if not isinstance(rubric, str) or not rubric.strip():
            raise ConfigError(f"{factory}: rubric= is the grading criteria as text, e.g. rubric='Correct and "
                              f"concise.'; got {rubric!r}")
        _check_column(expected, "expected", factory, optional=True)
        _check_column(prompt_column, "prompt_column", factory)
        self.rubric, self.expected, self.prompt_column = rubric.strip(), expected, prompt_column
        # a judge answers the same way each time unless asked otherwise; temperature=None sends none
        self.params = {k: v for k, v in {"temperature": 0, **params}.items() if v is not None}
        # temperature 0 is only our default: a judge model that refuses it (a reasoning model) is asked without it
        self.default_temperature = "temperature" not in params
        # "prompt" is always there in evaluate() (or "messages", which the judge reads instead)
        self.columns: tuple[str, ...] = tuple(c for c in (prompt_column, expected) if c and c != "prompt")
        self.column_fixes = {c: f"{factory}({self.model!r}, {'prompt_column' if c == prompt_column else 'expected'}"
                                f"='<your column>')" for c in self.columns}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{self.__name__} is a judge: it runs inside evaluate(), which sends its requests through "
                        f"its own runner; pass it as evaluate(..., scorers=[{self!r}]) rather than calling it")

    def _reference(self, row: Mapping[str, Any]) -> str:
        if self.expected is None:
            return ""
        wants = _alternatives(row, self.expected, "accepted")  # the accepted spellings too, as contains() takes
        return " or ".join(wants or [])

    def _header(self, header: str, row: Mapping[str, Any]) -> list[str]:
        return [header, f"Rubric: {escape_block(self.rubric)}",
                _block("Question:", _question_text(row, self.prompt_column)),
                _block("Reference answer:", self._reference(row))]

    def asks(self, result: Result, row: Mapping[str, Any], peers: Mapping[str, Result]) -> list[str]:
        raise NotImplementedError

    def score(self, result: Result, row: Mapping[str, Any], replies: Sequence[str | None]) -> float:
        raise NotImplementedError


class Judge(JudgeBase):
    """``llm_judge``: one prompt per answer; the grade from the reply's last "GRADE: n" line, as n / scale."""

    def __init__(self, model: str, *, rubric: str = DEFAULT_RUBRIC, expected: str | None = "expected",
                 prompt_column: str = "prompt", scale: int = 10, **params: Any) -> None:
        super().__init__(model, rubric=rubric, expected=expected, prompt_column=prompt_column, params=params,
                         factory="llm_judge")
        if isinstance(scale, bool) or not isinstance(scale, numbers.Integral) or scale < 1:
            raise ConfigError(f"llm_judge: scale is the top grade, a whole number >= 1 (10: grades 0..10); "
                              f"got {scale!r}")
        self.scale = int(scale)
        self.__name__ = f"judge_{self.model.split('/')[-1]}"

    def __repr__(self) -> str:
        scale = f", scale={self.scale}" if self.scale != 10 else ""
        return f"llm_judge({self.model!r}{scale})"

    def prompt(self, result: Result, row: Mapping[str, Any]) -> str:
        """The judge's prompt for one answer (the format the simulator recognises)."""
        return "\n".join([*self._header(SINGLE_HEADER, row), _block("Answer to grade:", _answer_text(result)),
                          SINGLE_LAST_LINE.format(scale=self.scale)])

    def asks(self, result: Result, row: Mapping[str, Any], peers: Mapping[str, Result]) -> list[str]:
        """One prompt for an answer; none for an error row (nothing to grade)."""
        return [] if result.error else [self.prompt(result, row)]

    def score(self, result: Result, row: Mapping[str, Any], replies: Sequence[str | None]) -> float:
        """The grade / scale; NaN for an error row or a failed judge call; JudgeReplyError for a reply without a
        readable grade, quoting it."""
        if result.error or not replies or replies[0] is None:
            return math.nan
        reply = replies[0]
        grades = [m for line in reply.splitlines() for m in GRADE_LINE.finditer(line)]
        if not grades:
            raise JudgeReplyError(f"the judge's reply has no 'GRADE: n' line: {_clip(reply)!r}")
        grade = float(grades[-1].group(1))
        if not 0 <= grade <= self.scale:
            raise JudgeReplyError(f"the judge's grade {grades[-1].group(1)} is outside 0..{self.scale}: "
                                  f"{_clip(reply)!r}")
        return grade / self.scale


class PairwiseJudge(JudgeBase):
    """``pairwise_judge``: each answer against the baseline model's answer to the same prompt (and repeat), asked
    twice with the positions swapped; win 1, tie 0.5, loss 0 per order, averaged, so position bias cancels."""

    def __init__(self, model: str, *, baseline: str, rubric: str = DEFAULT_RUBRIC, expected: str | None = "expected",
                 prompt_column: str = "prompt", **params: Any) -> None:
        super().__init__(model, rubric=rubric, expected=expected, prompt_column=prompt_column, params=params,
                         factory="pairwise_judge")
        self.baseline = _model_name(baseline, "pairwise_judge's baseline",
                                    "pairwise_judge('openai/gpt-5.4', baseline='anthropic/claude-sonnet-4-6')")
        self.__name__ = f"pairwise_vs_{self.baseline.split('/')[-1]}"

    def __repr__(self) -> str:
        return f"pairwise_judge({self.model!r}, baseline={self.baseline!r})"

    def prompt(self, first: Result, second: Result, row: Mapping[str, Any]) -> str:
        """The judge's prompt with ``first`` as answer A and ``second`` as answer B."""
        return "\n".join([*self._header(PAIRWISE_HEADER, row), _block("Answer A:", _answer_text(first)),
                          _block("Answer B:", _answer_text(second)), PAIRWISE_LAST_LINE])

    def asks(self, result: Result, row: Mapping[str, Any], peers: Mapping[str, Result]) -> list[str]:
        """Two prompts, the row's answer as A then as B; none for the baseline's own rows, error rows, or when the
        baseline has no answer for this prompt and repeat."""
        other = peers.get(self.baseline)
        if result.error or result.model == self.baseline or other is None or other.error:
            return []
        return [self.prompt(result, other, row), self.prompt(other, result, row)]

    def score(self, result: Result, row: Mapping[str, Any], replies: Sequence[str | None]) -> float:
        """The row's model's mean result over both orders (1 win, 0.5 tie, 0 loss); NaN when nothing was asked or
        either call failed (one order alone would keep the position bias)."""
        if result.error or len(replies) != 2 or any(reply is None for reply in replies):
            return math.nan
        points = []
        for mine, reply in zip("AB", replies, strict=True):
            assert reply is not None
            verdicts = [m for line in reply.splitlines() for m in WINNER_LINE.finditer(line)]
            if not verdicts:
                raise JudgeReplyError(f"the judge's reply has no 'WINNER: A', 'WINNER: B' or 'WINNER: TIE' line: "
                                      f"{_clip(reply)!r}")
            verdict = verdicts[-1].group(1).upper()
            points.append(0.5 if verdict == "TIE" else float(verdict == mine))
        return sum(points) / 2


def is_judge(obj: Any) -> bool:
    """Whether a scorer is a judge (evaluate() runs its requests) rather than a plain (result, row) scorer."""
    return isinstance(obj, JudgeBase)


def llm_judge(model: Any, *args: Any, rubric: str = DEFAULT_RUBRIC, expected: str | None = "expected",
              prompt_column: str = "prompt", scale: int = 10, **params: Any) -> Judge:
    """A judge model grades each answer against the rubric and the reference (``expected``) from 0 to ``scale``;
    the score is grade / scale. ``params`` go with each judge request (temperature=0 unless given). The old form
    llm_judge(client, model) still works, with a FutureWarning: the client is not used."""
    if "template" in params:
        raise ConfigError("llm_judge: template= is gone: the judge prompt has a fixed format the grade is read "
                          "from; put your grading criteria in rubric='...'")
    client = params.pop("client", None)
    if not isinstance(model, str):
        if not args:
            raise ConfigError(f"llm_judge's judge model is a 'provider/model-id' string, e.g. "
                              f"llm_judge('openai/gpt-5.4'); got {model!r}")
        client, model, args = model, args[0], args[1:]
    if args:
        raise ConfigError(f"llm_judge takes the judge model and keyword options, e.g. llm_judge('openai/gpt-5.4', "
                          f"rubric='...'); got extra arguments {args!r}")
    if client is not None:
        warn_user(f"llm_judge(client, {model!r}): the judge now runs through evaluate()'s own runner (cached, paced, "
                  f"its rows in ev.judge_df), so the client argument is ignored; write llm_judge({model!r})",
                  FutureWarning)
    return Judge(model, rubric=rubric, expected=expected, prompt_column=prompt_column, scale=scale, **params)


def pairwise_judge(model: str, *, baseline: str, rubric: str = DEFAULT_RUBRIC, expected: str | None = "expected",
                   prompt_column: str = "prompt", **params: Any) -> PairwiseJudge:
    """A judge model compares each answer with the ``baseline`` model's answer to the same prompt, once in each
    position; the score is the row's model's mean result (win 1, tie 0.5, loss 0), so a judge that always prefers
    the first answer scores 0.5. The baseline's own rows score NaN."""
    return PairwiseJudge(model, baseline=baseline, rubric=rubric, expected=expected, prompt_column=prompt_column,
                         **params)


# ---------------------------------------------------------------------------------------------- checks and messages
#: the functions above that build a scorer, and how to call one: passing the function itself is a common slip
FACTORIES: dict[Callable[..., Any], str] = {
    exact_match: "exact_match()", contains: "contains()", regex: "regex(r'pattern')", numeric: "numeric()",
    valid_json: "valid_json()", json_schema: "json_schema({'type': 'object', ...})",
    llm_judge: "llm_judge('openai/gpt-5.4')",
    pairwise_judge: "pairwise_judge('openai/gpt-5.4', baseline='anthropic/claude-sonnet-4-6')",
}


def check_scorers(scorers: Any) -> list[Any]:
    """``scorers=``: a list of callables taking (result, row), and judges; an uncalled factory
    (``mm.scorers.contains``) or a callable of another shape (``len``) is refused before anything is sent, since
    it would score every row NaN."""
    example = "scorers=[mm.scorers.contains('expected')]"
    if scorers is None:
        return []
    if callable(scorers) or not isinstance(scorers, list | tuple):
        raise ConfigError(f"scorers must be a list of scorers, e.g. {example}; got {scorers!r}")
    for scorer in scorers:
        if is_judge(scorer):
            continue
        if any(scorer is factory for factory in FACTORIES):
            raise ConfigError(f"scorers: mm.scorers.{scorer.__name__} builds a scorer: call it, e.g. "
                              f"mm.scorers.{FACTORIES[scorer]}")
        if isinstance(scorer, type) and issubclass(scorer, JudgeBase):
            raise ConfigError(f"scorers: {scorer.__name__} is the class of a judge: build one with "
                              f"mm.scorers.{FACTORIES[llm_judge if scorer is Judge else pairwise_judge]}")
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
                              "lambda result, row: float('4' in mm.scorers.answer(result))") from None
    return list(scorers)


def scorer_name(scorer: Any) -> str:
    """The name a scorer's column takes: its ``__name__``, else its class's name."""
    return getattr(scorer, "__name__", None) or type(scorer).__name__


def missing_columns(scorers: Iterable[Any], columns: Iterable[str]) -> list[str]:
    """One warning per (scorer, column) the scorer reads that the prompts lack, said before anything is sent: a
    plain scorer would score every row NaN; a judge would grade without that text. Scorers without a ``columns``
    attribute are not checked."""
    present = set(columns)
    messages = []
    for scorer in scorers:
        name = scorer_name(scorer)
        fixes = getattr(scorer, "column_fixes", {}) or {}
        for column in getattr(scorer, "columns", ()) or ():
            if column in present:
                continue
            judge = is_judge(scorer)
            if judge and column == getattr(scorer, "expected", None):
                effect, alone = "so the judge would grade without a reference answer", " (or expected=None)"
            elif judge:
                effect, alone = "so the judge would read the prompt itself as the question", ""
            else:
                effect, alone = "so its scores would all be NaN", ""
            fix = f" or pass {fixes[column]}{alone}" if column in fixes else alone
            article = "an" if column[:1].lower() in "aeiou" else "a"
            messages.append(f"scorer {name!r} reads column {column!r}, which the prompts do not have, {effect}: add "
                            f"{article} {column!r} column{fix}")
    return messages


def _row_label(label: RowLabel) -> str:
    if isinstance(label, tuple) and len(label) >= 2:
        repeat = f", repeat {label[2]}" if len(label) > 2 and label[2] else ""
        return f"prompt_index {label[0]}, model {label[1]!r}{repeat}"
    return str(label)


def describe_failures(name: str, failures: Sequence[tuple[RowLabel, BaseException]]) -> str:
    """One message for a scorer's failed rows: the scorer, how many, the first row and its exception (type and
    text), and what a scorer must return. Empty when nothing failed."""
    if not failures:
        return ""
    label, exc = failures[0]
    text = " ".join(str(exc).split())
    text = text if len(text) <= 300 else text[:297] + "…"
    first = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if isinstance(exc, JudgeReplyError):
        tail = "The judge's full replies are in ev.judge_df"
    else:
        tail = "A scorer returns a number, a bool or None (NaN: no score)"
    return (f"scorer {name!r} failed on {len(failures)} row(s) (first: {first}), first at {_row_label(label)}; "
            f"those scores are NaN. {tail}")


def score_value(value: Any) -> float:
    """A scorer's answer as a float: a number or a bool (numpy's too), None as NaN; TypeError for anything else (a
    string would otherwise be read as a number when it happens to look like one)."""
    if value is None:
        return math.nan
    if isinstance(value, numbers.Real):
        return float(value)
    if getattr(getattr(value, "dtype", None), "kind", None) == "b" and getattr(value, "ndim", 1) == 0:
        return float(bool(value))
    raise TypeError(f"returned {type(value).__name__} {value!r:.40}, not a number")


def score_row(score: Callable[..., Any], *args: Any) -> tuple[float, Exception | None]:
    """Run one scoring call (``scorer(result, row)`` or ``judge.score(result, row, replies)``) and read its value:
    (score, None), or (NaN, the exception) when it raised or returned something that is not a number, so one bad
    row never loses the run and ``describe_failures`` can say why."""
    try:
        return score_value(score(*args)), None
    except Exception as exc:  # a scorer bug must not lose the run
        return math.nan, exc
