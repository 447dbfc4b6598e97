"""The known-answer set (multimodel/data/known_answers.csv, mm.known_answers) and the Rasch model of who gets what
right (multimodel.sim.knowledge): every generated answer recomputed here independently, the facts' hygiene rules,
the stratified subset, and the skills' spread. The answers as served over HTTP are in test_sim_sampling.py."""

from __future__ import annotations

import ast
import calendar
import datetime as dt
import math
import operator
import random
import re
from fractions import Fraction
from types import SimpleNamespace

import pandas as pd
import pytest

from multimodel.datasets import known_answers
from multimodel.errors import ConfigError
from multimodel.scorers import contains
from multimodel.sim import knowledge
from multimodel.sim import make_known_answers as gen
from multimodel.sim.catalogue import CATALOGUE, SKILLS, price_skill

DEMO = ["openai/gpt-5.4", "anthropic/claude-sonnet-4-6", "gemini/gemini-3-flash-preview", "xai/grok-3-mini",
        "deepseek/deepseek-flash"]
QUESTIONS = list(knowledge.questions().values())
FRAME = known_answers()


def _contains(text: str, expected: str) -> float:
    """The package's own ``contains`` scorer on a bare text."""
    return contains()(SimpleNamespace(content=text, error=None), {"expected": expected})


# ---------------------------------------------------------------- the file
def test_the_committed_csv_is_what_the_generator_writes_and_passes_its_checks():
    rows = gen.build()
    assert gen.to_csv(rows) == knowledge.csv_text()
    assert gen.problems(rows) == []
    assert gen.main(["--check"]) == 0


def test_size_columns_categories_and_difficulties():
    assert len(QUESTIONS) >= 240
    assert list(FRAME.columns) == ["prompt", "expected", "id", "category", "difficulty", "accepted"]
    assert FRAME["id"].is_unique and FRAME["prompt"].is_unique
    assert FRAME["difficulty"].dtype == "int64" and set(FRAME["difficulty"]) == {1, 2, 3}
    cells = FRAME.groupby(["category", "difficulty"]).size().unstack()
    assert set(cells.index) == {"arithmetic", "capitals", "elements", "units", "words", "calendar", "geometry"}
    assert (cells >= 5).all().all(), cells  # every category has easy, medium and hard questions
    assert (FRAME.groupby("difficulty").size() >= 80).all()
    assert all(isinstance(v, str) and v for v in FRAME["expected"])  # text, never a float that lost a digit


def test_every_prompt_ends_with_an_instruction_to_answer_briefly():
    for q in QUESTIONS:
        assert q.instruction in knowledge.INSTRUCTIONS and q.prompt == f"{q.stem} {q.instruction}", q.id
        assert q.instruction.startswith("Answer")


# ---------------------------------------------------------------- every computed answer, recomputed
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _evaluate(expression: str) -> Fraction:
    """A + - × ÷ expression with integers, evaluated exactly (no eval)."""
    def walk(node: ast.AST) -> Fraction:
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return Fraction(node.value)
        raise ValueError(expression)

    return walk(ast.parse(expression, mode="eval").body)


def _exact(text: str) -> Fraction:
    return Fraction(text)


def test_arithmetic_recomputed():
    arithmetic = [q for q in QUESTIONS if q.category == "arithmetic"]
    assert len(arithmetic) == 90
    for q in arithmetic:
        m = re.fullmatch(r"What is (.+)\?", q.stem)
        assert m, q.stem
        expr = m.group(1)
        squared = re.fullmatch(r"(\d+) squared", expr)
        if squared:
            value = Fraction(int(squared.group(1)) ** 2)
        else:
            expr = expr.replace("×", "*").replace(" divided by ", " / ")
            value = _evaluate(expr)
        assert value.denominator == 1 and value >= 0, q
        assert _exact(q.expected) == value, q
        if value >= 1000:
            assert q.accepted == (f"{int(value):,}",), q


FACTORS = {("centimetres", "metres"): 100, ("metres", "kilometres"): 1000, ("grams", "kilograms"): 1000,
           ("millilitres", "litres"): 1000, ("minutes", "hours"): 60, ("seconds", "minutes"): 60,
           ("hours", "days"): 24, ("days", "weeks"): 7, ("inches", "feet"): 12, ("feet", "yards"): 3,
           ("millimetres", "centimetres"): 10, ("kilograms", "tonnes"): 1000, ("seconds", "hours"): 3600,
           ("minutes", "days"): 1440, ("feet", "miles"): 5280, ("yards", "miles"): 1760,
           ("centimetres", "inches"): Fraction("2.54"), ("ounces", "pounds"): 16, ("hours", "weeks"): 168,
           ("centimetres", "kilometres"): 100_000}


def test_unit_conversions_recomputed():
    units = [q for q in QUESTIONS if q.category == "units"]
    assert len(units) >= 30
    for q in units:
        m = re.fullmatch(r"How many (\w+) are in ([\d.]+) (\w+)\?", q.stem)
        assert m, q.stem
        want, amount, given = m.group(1), Fraction(m.group(2)), m.group(3)
        value = amount * FACTORS[want, given] if (want, given) in FACTORS else amount / FACTORS[given, want]
        assert _exact(q.expected) == value, q


def _calendar_value(stem: str) -> str:
    months = list(calendar.month_name)
    if m := re.fullmatch(r"What day of the week was (\d+) (\w+) (\d+)\?", stem):
        return dt.date(int(m[3]), months.index(m[2]), int(m[1])).strftime("%A")
    if m := re.fullmatch(r"If today is (\w+), what day of the week will it be in (\d+) days\?", stem):
        days = list(calendar.day_name)
        return days[(days.index(m[1]) + int(m[2])) % 7]
    if m := re.fullmatch(r"Which month comes (\d+) months? after (\w+)\?", stem):
        return months[(months.index(m[2]) - 1 + int(m[1])) % 12 + 1]
    if m := re.fullmatch(r"What is the (\w+) month of the year\?", stem):
        return months[["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
                       "tenth", "eleventh", "twelfth"].index(m[1]) + 1]
    if m := re.fullmatch(r"How many days are there in February (\d+)\?", stem):
        return str(29 if calendar.isleap(int(m[1])) else 28)
    if m := re.fullmatch(r"How many days are there in (\w+)\?", stem):
        return str(calendar.monthrange(2023, months.index(m[1]))[1])
    if m := re.fullmatch(r"Is (\d+) a leap year\?", stem):
        return "yes" if calendar.isleap(int(m[1])) else "no"
    if m := re.fullmatch(r"Counting 1 January as day 1, which day of the year is (\d+) (\w+) (\d+)\?", stem):
        return str(dt.date(int(m[3]), months.index(m[2]), int(m[1])).timetuple().tm_yday)
    return {"How many days are there in a leap year?": "366",
            "How many days are there in a year that is not a leap year?": "365"}[stem]


def test_calendar_facts_recomputed():
    cal = [q for q in QUESTIONS if q.category == "calendar"]
    assert len(cal) >= 30
    for q in cal:
        assert q.expected == _calendar_value(q.stem), q


POLYGON_SIDES = {"triangle": 3, "quadrilateral": 4, "pentagon": 5, "hexagon": 6, "octagon": 8, "nonagon": 9,
                 "decagon": 10, "dodecagon": 12, "equilateral triangle": 3, "square": 4}


def test_geometry_recomputed():
    solids = {"cube": {"faces": 6, "edges": 12, "vertices": 8}, "octahedron": {"faces": 8, "edges": 12, "vertices": 6},
              "dodecahedron": {"faces": 12, "edges": 30, "vertices": 20},
              "icosahedron": {"faces": 20, "edges": 30, "vertices": 12}}
    angles = {"a right angle": 90, "a full turn": 360, "a straight angle": 180}
    for q in (q for q in QUESTIONS if q.category == "geometry"):
        s = q.stem
        if m := re.fullmatch(r"What is the sum of the interior angles of an? (\w+), in degrees\?", s):
            value = Fraction((POLYGON_SIDES[m[1]] - 2) * 180)
        elif m := re.fullmatch(r"What is each interior angle of an? (?:regular )?([\w ]+), in degrees\?", s):
            n = POLYGON_SIDES[m[1]]
            value = Fraction((n - 2) * 180, n)
        elif m := re.fullmatch(r"How many sides does an? (\w+) have\?", s):
            value = Fraction(POLYGON_SIDES[m[1]])
        elif m := re.fullmatch(r"How many diagonals does an? (\w+) have\?", s):
            n = POLYGON_SIDES[m[1]]
            value = Fraction(n * (n - 3), 2)
        elif m := re.fullmatch(r"How many (faces|edges|vertices) does an? (\w+) have\?", s):
            value = Fraction(solids[m[2]][m[1]])
        else:
            value = Fraction(angles[re.fullmatch(r"How many degrees are in (.+)\?", s)[1]])
        assert _exact(q.expected) == value, q


def test_word_tasks_recomputed():
    ordinals = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh"]
    for q in (q for q in QUESTIONS if q.category == "words"):
        s = q.stem
        if m := re.fullmatch(r'What is the word "(\w+)" spelled backwards\?', s):
            value = m[1][::-1]
        elif m := re.fullmatch(r'What is the (\w+) letter of the word "(\w+)"\?', s):
            value = m[2][ordinals.index(m[1])]
        elif m := re.fullmatch(r'How many letters are in the word "(\w+)"\?', s):
            value = str(len(m[1]))
        elif m := re.fullmatch(r'How many words are in the sentence "([^"]+)"\?', s):
            value = str(len(m[1].split()))
        else:
            listed = re.fullmatch(r"Which of these words comes first in alphabetical order: (.+)\?", s)[1]
            value = sorted(listed.split(", "))[0]
        assert q.expected == value, q


def test_fixed_facts_have_their_accepted_spellings_and_elements_pair_up():
    by_stem = {q.stem: q for q in QUESTIONS}
    assert by_stem["What is the capital of Brazil?"].answers == ("Brasília", "Brasilia")
    assert by_stem["What is the chemical symbol for gold?"].expected == "Au"
    assert by_stem["Which chemical element has the symbol Au?"].expected == "gold"
    for q in (q for q in QUESTIONS if q.stem.startswith("Which chemical element has the symbol ")):
        symbol = q.stem.rsplit(" ", 1)[1].rstrip("?")
        assert by_stem[f"What is the chemical symbol for {q.expected}?"].expected == symbol


# ---------------------------------------------------------------- hygiene: what the answers rely on
def test_no_label_can_make_contains_match_an_expected_answer():
    """Whatever model answers, its "[simulated <model>]" label never contains an expected answer as a whole word
    (model ids carry digits: "4" would match "claude-sonnet-4-6"), so a wrong answer never scores by its label."""
    labels = [f"[simulated {m.id}] something else entirely" for m in CATALOGUE.values()]
    for q in QUESTIONS:
        for answer in q.answers:
            assert not any(_contains(text, answer) for text in labels), (q.id, answer)
    assert _contains("[simulated claude-sonnet-4-6] five", "4") == 1.0  # why digits 2-8 are not answers here


def test_wrong_answers_never_state_the_right_one_and_right_ones_always_do():
    model = CATALOGUE[("xai", "grok-3-mini")]
    for q in QUESTIONS:
        outcomes = set()
        for seed in range(12):
            text, right = knowledge.known_reply(model.id, model, q, seed * 7919, random.Random(seed))
            outcomes.add(right)
            assert text.startswith(f"[simulated {model.id}] ")
            assert q.is_stated_in(text) is right, (q.id, text)
            if right:
                assert _contains(text, q.expected) == 1.0, (q.id, text)
            else:  # no accepted spelling either
                assert all(_contains(text, a) == 0.0 for a in q.answers), (q.id, text)
        assert q.stem.casefold() not in text.casefold()


def test_wrong_answers_are_plausible_near_misses():
    rng = random.Random(3)
    q = knowledge.questions()["arith-081"]  # 247 × 54 = 13338
    misses = {knowledge.wrong_answer(q, rng) for _ in range(40)}
    assert q.expected not in misses and len(misses) >= 4
    assert all(abs(int(m) - 13338) <= 10 or sorted(m) == sorted("13338") for m in misses), misses  # off or swapped
    canberra = next(q for q in QUESTIONS if q.expected == "Canberra")
    assert "Sydney" in {knowledge.wrong_answer(canberra, random.Random(i)) for i in range(5)}
    weekday = next(q for q in QUESTIONS if q.category == "calendar" and q.expected in knowledge.WEEKDAYS)
    assert {knowledge.wrong_answer(weekday, rng) for _ in range(20)} <= set(knowledge.WEEKDAYS) - {weekday.expected}


def test_every_question_is_recognised_as_itself_in_any_wrapping():
    for q in QUESTIONS:
        assert knowledge.find_question(q.prompt) is q
        assert knowledge.find_question("  " + q.prompt.upper().replace(" ", "\n  ")) is q  # case and spacing
        assert knowledge.find_question(f"{q.stem} Reply in one word, please.") is q  # another instruction
        assert knowledge.find_question(f"Question: {q.prompt}\nThink step by step.") is q  # a template
    for text in ("Why is the sky blue?", "What is 2+2?", "", "What is the capital of Atlantis?"):
        assert knowledge.find_question(text) is None
    assert knowledge.find_question("x" * (knowledge.MAX_SCAN_CHARS + 1) + QUESTIONS[0].prompt) is None


# ---------------------------------------------------------------- the subset
def test_known_answers_n_is_stratified_deterministic_and_seeded():
    a, b = known_answers(200), known_answers(200)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 200 and a["id"].is_unique and set(a["id"]) <= set(FRAME["id"])
    assert list(a["id"]) == [i for i in FRAME["id"] if i in set(a["id"])]  # the file's order
    share = FRAME.groupby(["category", "difficulty"]).size() * 200 / len(FRAME)
    got = a.groupby(["category", "difficulty"]).size().reindex(share.index, fill_value=0)
    assert ((got - share).abs() < 1).all(), pd.concat([got, share], axis=1)
    other = known_answers(200, seed=1)
    assert set(other["id"]) != set(a["id"])
    assert (other.groupby(["category", "difficulty"]).size().reindex(share.index, fill_value=0) == got).all()
    assert len(known_answers(len(FRAME))) == len(FRAME)


def test_known_answers_categories_and_bad_arguments():
    caps = known_answers(categories="capitals")
    assert set(caps["category"]) == {"capitals"} and len(caps) == (FRAME["category"] == "capitals").sum()
    two = known_answers(20, categories=["units", "calendar"], seed=5)
    assert len(two) == 20 and set(two["category"]) == {"units", "calendar"}
    for bad in (0, -1, len(FRAME) + 1, 2.5, True, "10"):
        with pytest.raises(ConfigError, match="a whole number from 1 to"):
            known_answers(bad)
    with pytest.raises(ConfigError, match=r"unknown categories.*the categories are arithmetic"):
        known_answers(categories=["capitals", "poetry"])
    with pytest.raises(ConfigError, match="unknown categories"):
        known_answers(categories=[])


# ---------------------------------------------------------------- the Rasch model
def test_p_correct_follows_the_rasch_model():
    q = knowledge.questions()["cap-001"]
    model = CATALOGUE[("openai", "gpt-5.4")]
    assert knowledge.p_correct("openai", "gpt-5.4", "cap-001") == pytest.approx(
        1 / (1 + math.exp(-(model.skill - knowledge.DIFFICULTY_LOGIT[q.difficulty] - knowledge.question_offset(q.id)))))
    offsets = [knowledge.question_offset(q.id) for q in QUESTIONS]
    assert abs(sum(offsets) / len(offsets)) < 0.15 and max(map(abs, offsets)) <= knowledge.OFFSET_CLIP
    assert 0.4 < pd.Series(offsets).std() < 0.8
    by_level = {d: sum(knowledge.p_correct("xai", "grok-3-mini", q.id) for q in QUESTIONS if q.difficulty == d)
                / sum(q.difficulty == d for q in QUESTIONS) for d in (1, 2, 3)}
    assert by_level[1] > by_level[2] + 0.15 > by_level[3] + 0.3
    # an OpenRouter slug is its upstream's model
    assert knowledge.p_correct("openrouter", "openai/gpt-5.4", "cap-001") == knowledge.p_correct(
        "openai", "gpt-5.4", "cap-001")
    with pytest.raises(ValueError, match="no simulated model"):
        knowledge.p_correct("openai", "gpt-0", "cap-001")
    with pytest.raises(ValueError, match="no known question"):
        knowledge.p_correct("openai", "gpt-5.4", "cap-999")


def test_demo_models_expected_accuracies_are_spread():
    full = [knowledge.expected_accuracy(m) for m in DEMO]
    assert full == pytest.approx([0.90, 0.80, 0.75, 0.55, 0.65], abs=0.01)
    subset = known_answers(200)["id"]
    at200 = {m: knowledge.expected_accuracy(m, subset) for m in DEMO}
    assert at200 == pytest.approx(dict(zip(DEMO, full, strict=True)), abs=0.01)
    # best and worst far apart at n=200 (CIs of about ±0.04-0.07 separate), the middle two close (they overlap)
    se = {m: math.sqrt(p * (1 - p) / 200) for m, p in at200.items()}
    best, worst = at200["openai/gpt-5.4"], at200["xai/grok-3-mini"]
    assert best - 1.96 * se["openai/gpt-5.4"] > worst + 1.96 * se["xai/grok-3-mini"] + 0.2
    sonnet, gemini = at200["anthropic/claude-sonnet-4-6"], at200["gemini/gemini-3-flash-preview"]
    assert sonnet - gemini < 1.96 * (se["anthropic/claude-sonnet-4-6"] + se["gemini/gemini-3-flash-preview"])
    with pytest.raises(ValueError, match="at least one question"):
        knowledge.expected_accuracy("openai/gpt-5.4", [])


def test_pricier_models_are_generally_more_skilled():
    base = [m for m in CATALOGUE.values() if m.dialect != "openrouter"]
    prices = pd.Series([m.price[2] for m in base])
    skills = pd.Series([m.skill for m in base])
    assert prices.corr(skills, method="spearman") > 0.8
    for m in base:
        assert m.skill == SKILLS.get((m.dialect, m.id), price_skill(m.price[2])), m.id
    assert price_skill(40) > price_skill(3) > price_skill(0.5)
    assert CATALOGUE[("openrouter", "openai/gpt-5.4")].skill == CATALOGUE[("openai", "gpt-5.4")].skill


def test_a_judge_is_right_more_often_the_more_skilled_it_is():
    strong, weak = CATALOGUE[("openai", "gpt-5.4")], CATALOGUE[("xai", "grok-3-mini")]
    assert knowledge.judge_accuracy(strong) > knowledge.judge_accuracy(weak) > 0.85
