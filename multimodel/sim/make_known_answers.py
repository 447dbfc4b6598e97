"""Write ``multimodel/data/known_answers.csv``, the known-answer set, deterministically.

    python -m multimodel.sim.make_known_answers          # rewrite the CSV
    python -m multimodel.sim.make_known_answers --check  # exit 1 if the committed CSV differs

Arithmetic, unit conversions, word tasks, calendar and geometry questions are generated and their answers
computed here (a seeded generator, exact arithmetic with ``fractions``, ``datetime`` for the calendar);
capitals and chemical elements are fixed lists of facts that are not in dispute. Every answer is checked
against the rules the simulator's answers rely on (:func:`problems`): no expected answer appears as a whole word
in any simulated model's ``[simulated <model>]`` label (so the label cannot make a ``contains`` scorer match),
none is hidden in the fixed wording of an answer, every question has a wrong answer that does not contain the
right one, and every question is recognised as itself. A generated question that breaks a rule is drawn again.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import random
import sys
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

from . import knowledge
from .catalogue import CATALOGUE
from .knowledge import ANSWER_FORMS, DEFAULT_WORKING, MONTHS, WEEKDAYS, WORKING, Question, whole_word

NUM = "Answer with the number only."
CITY = "Answer with the city name only."
SYMBOL = "Answer with the symbol only."
ELEMENT = "Answer with the element name only."
WORD = "Answer with the word only."
LETTER = "Answer with the letter only."
WEEKDAY = "Answer with the day of the week only."
MONTH = "Answer with the month name only."
YESNO = "Answer yes or no."
SEED = 17
PATH = Path(__file__).resolve().parent.parent / "data" / "known_answers.csv"
COLUMNS = ("id", "category", "difficulty", "prompt", "expected", "accepted")

Row = tuple[int, str, str, tuple[str, ...]]  # difficulty, prompt, expected, accepted

# (country as written in the question, capital, other accepted spellings, difficulty)
CAPITALS: tuple[tuple[str, str, tuple[str, ...], int], ...] = (
    ("France", "Paris", (), 1), ("Japan", "Tokyo", (), 1), ("Italy", "Rome", (), 1), ("Germany", "Berlin", (), 1),
    ("Spain", "Madrid", (), 1), ("the United Kingdom", "London", (), 1), ("Russia", "Moscow", (), 1),
    ("China", "Beijing", ("Peking",), 1), ("Egypt", "Cairo", (), 1), ("Greece", "Athens", (), 1),
    ("Ireland", "Dublin", (), 1), ("Portugal", "Lisbon", (), 1), ("Austria", "Vienna", (), 1),
    ("Norway", "Oslo", (), 1), ("Sweden", "Stockholm", (), 1), ("Thailand", "Bangkok", (), 1),
    ("Mexico", "Mexico City", (), 1), ("Cuba", "Havana", (), 1),
    ("Canada", "Ottawa", (), 2), ("Australia", "Canberra", (), 2), ("Turkey", "Ankara", (), 2),
    ("Brazil", "Brasília", ("Brasilia",), 2), ("Argentina", "Buenos Aires", (), 2), ("Kenya", "Nairobi", (), 2),
    ("Poland", "Warsaw", (), 2), ("Hungary", "Budapest", (), 2), ("Finland", "Helsinki", (), 2),
    ("Denmark", "Copenhagen", (), 2), ("South Korea", "Seoul", (), 2), ("Vietnam", "Hanoi", (), 2),
    ("Peru", "Lima", (), 2), ("Chile", "Santiago", (), 2), ("Morocco", "Rabat", (), 2),
    ("New Zealand", "Wellington", (), 2), ("the Czech Republic", "Prague", (), 2),
    ("Colombia", "Bogotá", ("Bogota",), 2), ("India", "New Delhi", (), 2), ("Pakistan", "Islamabad", (), 2),
    ("Switzerland", "Bern", ("Berne",), 2), ("Belgium", "Brussels", (), 2), ("Romania", "Bucharest", (), 2),
    ("Venezuela", "Caracas", (), 2),
    ("Mongolia", "Ulaanbaatar", ("Ulan Bator",), 3), ("Bhutan", "Thimphu", (), 3),
    ("Burkina Faso", "Ouagadougou", (), 3), ("Nigeria", "Abuja", (), 3), ("Tanzania", "Dodoma", (), 3),
    ("Kyrgyzstan", "Bishkek", (), 3), ("Tajikistan", "Dushanbe", (), 3), ("Uzbekistan", "Tashkent", (), 3),
    ("Slovenia", "Ljubljana", (), 3), ("Latvia", "Riga", (), 3), ("Lithuania", "Vilnius", (), 3),
    ("Estonia", "Tallinn", (), 3), ("Madagascar", "Antananarivo", (), 3), ("Laos", "Vientiane", (), 3),
    ("Paraguay", "Asunción", ("Asuncion",), 3), ("Uruguay", "Montevideo", (), 3),
    ("Iceland", "Reykjavík", ("Reykjavik",), 3), ("Malta", "Valletta", (), 3), ("Azerbaijan", "Baku", (), 3),
    ("Armenia", "Yerevan", (), 3), ("Ethiopia", "Addis Ababa", (), 3), ("Ghana", "Accra", (), 3),
    ("Senegal", "Dakar", (), 3), ("Nepal", "Kathmandu", (), 3), ("Cambodia", "Phnom Penh", (), 3),
    ("Zambia", "Lusaka", (), 3), ("Zimbabwe", "Harare", (), 3), ("Mozambique", "Maputo", (), 3),
    ("Namibia", "Windhoek", (), 3), ("Botswana", "Gaborone", (), 3), ("Rwanda", "Kigali", (), 3),
    ("Uganda", "Kampala", (), 3), ("Honduras", "Tegucigalpa", (), 3), ("Ecuador", "Quito", (), 3),
)
# (element, symbol, difficulty of "what is the symbol", difficulty of "which element has the symbol" or 0)
ELEMENTS: tuple[tuple[str, str, int, int], ...] = (
    ("hydrogen", "H", 1, 0), ("oxygen", "O", 1, 0), ("carbon", "C", 1, 0), ("nitrogen", "N", 1, 0),
    ("neon", "Ne", 1, 0), ("lithium", "Li", 1, 0), ("silicon", "Si", 1, 0), ("chlorine", "Cl", 1, 0),
    ("argon", "Ar", 1, 0), ("calcium", "Ca", 1, 0), ("zinc", "Zn", 1, 0), ("uranium", "U", 1, 0),
    ("titanium", "Ti", 1, 0), ("nickel", "Ni", 1, 0), ("magnesium", "Mg", 2, 0), ("aluminium", "Al", 2, 0),
    ("phosphorus", "P", 2, 0), ("sulfur", "S", 2, 0), ("manganese", "Mn", 2, 0), ("chromium", "Cr", 2, 0),
    ("platinum", "Pt", 2, 0), ("cobalt", "Co", 2, 0), ("sodium", "Na", 2, 3), ("potassium", "K", 2, 3),
    ("iron", "Fe", 2, 3), ("silver", "Ag", 2, 3), ("gold", "Au", 2, 3), ("copper", "Cu", 2, 3),
    ("lead", "Pb", 3, 3), ("mercury", "Hg", 3, 3), ("tin", "Sn", 3, 3), ("tungsten", "W", 3, 3),
    ("antimony", "Sb", 3, 3), ("strontium", "Sr", 3, 0),
)
# (element, atomic number, difficulty)
ATOMIC_NUMBERS = (("hydrogen", 1, 1), ("neon", 10, 2), ("sodium", 11, 3), ("calcium", 20, 3), ("iron", 26, 3),
                  ("gold", 79, 3), ("uranium", 92, 3), ("silver", 47, 3))
WORDS = ("planet", "garden", "window", "orange", "silver", "market", "candle", "forest", "button", "rabbit",
         "pencil", "bridge", "castle", "dragon", "jacket", "ladder", "magnet", "pepper", "rocket", "saddle",
         "tunnel", "violin", "wallet", "yellow", "basket", "camera", "flower", "guitar", "helmet", "island",
         "kitten", "lemon", "mirror", "napkin", "palace", "quartz", "ribbon", "spider", "tomato", "walrus")
LONG_WORDS = ("encyclopedia", "mathematics", "photography", "architecture", "thunderstorm", "refrigerator",
              "independence", "grasshopper", "kindergarten", "international", "astronomical", "championship",
              "extraordinary", "strawberries", "constellation", "communication", "unbelievable", "wonderland")
SENTENCES = (
    "The quick brown fox jumps over the lazy dog near the river bank",
    "She sold sea shells by the sea shore every single summer morning",
    "A journey of a thousand miles begins with a single step",
    "All that glitters is not gold and all who wander are not lost",
    "Early to bed and early to rise makes a man healthy and wise",
    "The rain in Spain stays mainly in the plain during the long wet winter",
)
ALPHA_SETS = (  # (difficulty, words): easy differ in the first letter, medium in the second, hard later
    (1, ("pear", "apple", "plum")), (1, ("zebra", "horse", "camel")), (1, ("violet", "red", "blue")),
    (1, ("table", "chair", "sofa")), (1, ("winter", "autumn", "spring")),
    (2, ("bread", "butter", "bacon")), (2, ("march", "mirror", "melon")), (2, ("stone", "sand", "silk")),
    (2, ("river", "rabbit", "robin")), (2, ("candle", "copper", "circle")),
    (3, ("stack", "stamp", "stair")), (3, ("planet", "plank", "plain")), (3, ("bring", "bright", "brick")),
    (3, ("chart", "charm", "chapel")), (3, ("trace", "track", "tract")),
)
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh",
            8: "eighth", 9: "ninth", 10: "tenth", 11: "eleventh", 12: "twelfth"}


def _number(x: Fraction | int) -> str:
    """An exact number written plainly: 42, 25.4 (the generator only makes terminating decimals)."""
    x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    text = f"{float(x):.6f}".rstrip("0").rstrip(".")
    assert Fraction(text) == x, x
    return text


def _accepted(value: str) -> tuple[str, ...]:
    """Other spellings of a number: thousands separators (25,200)."""
    if value.isdigit() and int(value) >= 1000:
        return (f"{int(value):,}",)
    return ()


def _num(difficulty: int, prompt: str, value: Fraction | int) -> Row:
    text = _number(value)
    return difficulty, f"{prompt} {NUM}", text, _accepted(text)


# ---------------------------------------------------------------- generated categories
# Each category yields makers: a maker returns a row, and a generated one draws new numbers each call, so a row
# whose answer a rule refuses is drawn again (build); a fixed row returns the same row and so must pass.
Maker = Callable[[], Row]


def arithmetic(rng: random.Random) -> Iterator[Maker]:
    """30 easy, 30 medium and 30 hard arithmetic questions."""
    r = rng.randint
    easy: list[Maker] = [lambda: _sum(1, r(11, 59), r(11, 39)), lambda: _diff(1, r(50, 99), r(11, 39)),
                         lambda: _prod(1, r(3, 9), r(11, 19))]
    medium: list[Maker] = [lambda: _prod(2, r(12, 49), r(12, 49)), lambda: _sum(2, r(150, 799), r(150, 799)),
                           lambda: _quot(2, r(12, 39), r(3, 19)), lambda: _square(2, r(11, 25))]
    hard: list[Maker] = [lambda: _prod(3, r(101, 899), r(13, 97)), lambda: _diff(3, r(2001, 9876), r(1001, 1999)),
                         lambda: _quot(3, r(13, 97), r(23, 99)), lambda: _mixed(3, r(12, 49), r(12, 49), r(101, 499)),
                         lambda: _square(3, r(31, 99))]
    for makers in (easy, medium, hard):
        for i in range(30):
            yield makers[i % len(makers)]


def _sum(d: int, a: int, b: int) -> Row:
    return _num(d, f"What is {a} + {b}?", a + b)


def _diff(d: int, a: int, b: int) -> Row:
    return _num(d, f"What is {a} - {b}?", a - b)


def _prod(d: int, a: int, b: int) -> Row:
    return _num(d, f"What is {a} × {b}?", a * b)


def _quot(d: int, divisor: int, quotient: int) -> Row:
    return _num(d, f"What is {divisor * quotient} divided by {divisor}?", quotient)


def _square(d: int, a: int) -> Row:
    return _num(d, f"What is {a} squared?", a * a)


def _mixed(d: int, a: int, b: int, c: int) -> Row:
    return _num(d, f"What is {a} × {b} + {c}?", a * b + c)


def _fixed(row: Row) -> Maker:
    return lambda: row


# (larger unit, smaller unit, how many smaller in one larger, difficulty)
UNITS: tuple[tuple[str, str, int | Fraction, int], ...] = (
    ("metres", "centimetres", 100, 1), ("kilometres", "metres", 1000, 1), ("kilograms", "grams", 1000, 1),
    ("litres", "millilitres", 1000, 1), ("hours", "minutes", 60, 1), ("minutes", "seconds", 60, 1),
    ("days", "hours", 24, 1), ("weeks", "days", 7, 1), ("feet", "inches", 12, 2), ("yards", "feet", 3, 2),
    ("centimetres", "millimetres", 10, 1), ("tonnes", "kilograms", 1000, 1),
    ("hours", "seconds", 3600, 3), ("days", "minutes", 1440, 3), ("miles", "feet", 5280, 3),
    ("miles", "yards", 1760, 3), ("inches", "centimetres", Fraction("2.54"), 3), ("pounds", "ounces", 16, 2),
    ("weeks", "hours", 168, 3), ("kilometres", "centimetres", 100_000, 3),
)
BACKWARD_AMOUNTS = (Fraction(3, 2), Fraction(5, 2), Fraction(15, 4), 12, 15, 20, 36)


def units(rng: random.Random) -> Iterator[Maker]:
    """Each conversion forwards (at its level) and backwards from a round amount (one level harder, at most hard)."""
    for big, small, factor, level in UNITS:
        def forward(big: str = big, small: str = small, factor: int | Fraction = factor, level: int = level) -> Row:
            n = rng.randint(2, 9) * (5 if isinstance(factor, Fraction) else 1)
            return _num(level, f"How many {small} are in {n} {big}?", n * factor)

        def backward(big: str = big, small: str = small, factor: int | Fraction = factor, level: int = level) -> Row:
            m = rng.choice(BACKWARD_AMOUNTS)
            return _num(min(3, level + 1), f"How many {big} are in {_number(m * factor)} {small}?", m)

        yield forward
        yield backward


def words(rng: random.Random) -> Iterator[Maker]:
    """Spelling backwards, letters by position, letter counts, word counts and alphabetical order."""
    pool = list(WORDS)
    rng.shuffle(pool)
    for w in pool[:12]:
        yield _fixed(((1 if len(w) <= 5 else 2), f'What is the word "{w}" spelled backwards? {WORD}', w[::-1], ()))
    for w in LONG_WORDS[:6]:
        yield _fixed((3, f'What is the word "{w}" spelled backwards? {WORD}', w[::-1], ()))
    for i, w in enumerate(pool[12:30]):
        pos = (1, 3, 5)[i % 3]
        if w[pos - 1] not in "aio":  # not a letter that is also a word of an answer's wording
            yield _fixed(((1 if pos == 1 else 2 if pos == 3 else 3),
                          f'What is the {ORDINALS[pos]} letter of the word "{w}"? {LETTER}', w[pos - 1], ()))
    for w in LONG_WORDS:
        yield _fixed(((2 if len(w) <= 11 else 3), f'How many letters are in the word "{w}"? {NUM}', str(len(w)), ()))
    for s in SENTENCES:
        yield _fixed((3, f'How many words are in the sentence "{s}"? {NUM}', str(len(s.split())), ()))
    for level, group in ALPHA_SETS:
        listed = ", ".join(group)
        yield _fixed((level, f"Which of these words comes first in alphabetical order: {listed}? {WORD}",
                      min(group), ()))


def calendar_facts(rng: random.Random) -> Iterator[Maker]:
    """Weekdays of dates, weekday and month arithmetic, month lengths, leap years, day of the year."""
    def weekday_of() -> Row:
        day = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(80 * 365))
        return 3, f"What day of the week was {day.day} {MONTHS[day.month - 1]} {day.year}? {WEEKDAY}", \
            WEEKDAYS[day.weekday()], ()

    def days_later(level: int, lo: int, hi: int) -> Maker:
        def make() -> Row:
            start, n = rng.randrange(7), rng.randint(lo, hi)
            return level, f"If today is {WEEKDAYS[start]}, what day of the week will it be in {n} days? {WEEKDAY}", \
                WEEKDAYS[(start + n) % 7], ()
        return make

    def months_later(level: int, lo: int, hi: int) -> Maker:
        def make() -> Row:
            start, n = rng.randrange(12), rng.randint(lo, hi)
            plural = "month" if n == 1 else "months"
            return level, f"Which month comes {n} {plural} after {MONTHS[start]}? {MONTH}", MONTHS[(start + n) % 12], ()
        return make

    def day_of_year() -> Row:
        day = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(31, 365))
        return 3, (f"Counting 1 January as day 1, which day of the year is {day.day} {MONTHS[day.month - 1]} "
                   f"{day.year}? {NUM}"), str(day.timetuple().tm_yday), ()

    yield from [weekday_of] * 8
    for level, lo, hi in ((1, 3, 6), (2, 10, 30), (3, 100, 400)):
        yield from [days_later(level, lo, hi)] * 3
    for level, lo, hi in ((1, 1, 1), (2, 3, 5), (3, 7, 11)):
        yield from [months_later(level, lo, hi)] * 3
    for n in (9, 11, 12):
        yield _fixed((1, f"What is the {ORDINALS[n]} month of the year? {MONTH}", MONTHS[n - 1], ()))
    for month in (4, 7, 9, 12):
        yield _fixed((1, f"How many days are there in {MONTHS[month - 1]}? {NUM}",
                      str(calendar.monthrange(2023, month)[1]), ()))
    for year, level in ((2024, 2), (2023, 2), (1900, 3), (2000, 3)):
        yield _fixed((level, f"How many days are there in February {year}? {NUM}",
                      str(calendar.monthrange(year, 2)[1]), ()))
    for year, level in ((2024, 2), (2023, 2), (1996, 2), (1900, 3), (2000, 3), (2100, 3)):
        yield _fixed((level, f"Is {year} a leap year? {YESNO}", "yes" if calendar.isleap(year) else "no", ()))
    yield _fixed((1, f"How many days are there in a leap year? {NUM}", "366", ()))
    yield _fixed((1, f"How many days are there in a year that is not a leap year? {NUM}", "365", ()))
    yield from [day_of_year] * 4


POLYGONS = {3: "triangle", 4: "quadrilateral", 5: "pentagon", 6: "hexagon", 8: "octagon", 9: "nonagon",
            10: "decagon", 12: "dodecagon"}


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def geometry(rng: random.Random) -> Iterator[Maker]:
    """Angle sums, regular polygons' angles, sides and diagonals, and the Platonic solids' counts."""
    for n, level in ((3, 1), (4, 1), (5, 2), (6, 2), (8, 3), (10, 3), (12, 3)):
        yield _fixed(_num(level, f"What is the sum of the interior angles of {_a(POLYGONS[n])}, in degrees?",
                          (n - 2) * 180))
    for n, level in ((3, 1), (4, 1), (5, 2), (6, 2), (8, 3), (9, 3), (10, 3), (12, 3)):
        name = "an equilateral triangle" if n == 3 else "a square" if n == 4 else f"a regular {POLYGONS[n]}"
        yield _fixed(_num(level, f"What is each interior angle of {name}, in degrees?", Fraction((n - 2) * 180, n)))
    for n, level in ((9, 2), (10, 2), (12, 3)):
        yield _fixed(_num(level, f"How many sides does {_a(POLYGONS[n])} have?", n))
    for n, level in ((6, 3), (8, 3), (10, 3)):
        yield _fixed(_num(level, f"How many diagonals does {_a(POLYGONS[n])} have?", n * (n - 3) // 2))
    for q, value, level in (("degrees are in a right angle", 90, 1), ("degrees are in a full turn", 360, 1),
                            ("degrees are in a straight angle", 180, 1), ("edges does a cube have", 12, 2),
                            ("faces does an icosahedron have", 20, 3), ("faces does a dodecahedron have", 12, 3),
                            ("edges does an octahedron have", 12, 3), ("vertices does a dodecahedron have", 20, 3),
                            ("edges does an icosahedron have", 30, 3)):
        yield _fixed(_num(level, f"How many {q}?", value))


# ---------------------------------------------------------------- fixed facts
def capitals(rng: random.Random) -> Iterator[Maker]:
    for country, capital, accepted, level in CAPITALS:
        yield _fixed((level, f"What is the capital of {country}? {CITY}", capital, accepted))


def elements(rng: random.Random) -> Iterator[Maker]:
    for name, symbol, level, reverse in ELEMENTS:
        yield _fixed((level, f"What is the chemical symbol for {name}? {SYMBOL}", symbol, ()))
        if reverse:
            yield _fixed((reverse, f"Which chemical element has the symbol {symbol}? {ELEMENT}", name, ()))
    for name, z, level in ATOMIC_NUMBERS:
        yield _fixed(_num(level, f"What is the atomic number of {name}?", z))


# ---------------------------------------------------------------- checks and output
LABELS = tuple(f"[simulated {m.id}]" for m in CATALOGUE.values())
FIXED_WORDING = tuple(f.format(v="", w=w) for f in ANSWER_FORMS for w in (*WORKING.values(), DEFAULT_WORKING))


def clashes(answer: str) -> str | None:
    """Why ``answer`` cannot be an expected answer (a label or the fixed wording would state it), or None."""
    for text in LABELS:
        if whole_word(answer, text):
            return f"it appears in the label {text}"
    for text in FIXED_WORDING:
        if whole_word(answer, text):
            return f"it appears in the wording {text!r}"
    return None


CATEGORIES: tuple[tuple[str, str, Callable[[random.Random], Iterator[Maker]]], ...] = (
    ("arithmetic", "arith", arithmetic), ("capitals", "cap", capitals), ("elements", "elem", elements),
    ("units", "unit", units), ("words", "word", words), ("calendar", "cal", calendar_facts),
    ("geometry", "geo", geometry),
)
MAX_DRAWS = 100


def build(seed: int = SEED) -> list[Question]:
    """Every question, generated from ``seed`` (each category its own stream) and numbered within its category."""
    out: list[Question] = []
    for category, prefix, make in CATEGORIES:
        rng = random.Random(f"{seed}|{category}")
        seen: set[str] = set()
        for maker in make(rng):
            level, prompt, expected, accepted = _draw(maker, seen)
            seen.add(prompt)
            out.append(Question(f"{prefix}-{len(seen):03d}", category, level, prompt, expected, accepted))
    return out


def _draw(maker: Maker, seen: set[str]) -> Row:
    """The first row ``maker`` gives that no rule refuses and that is not a repeat; an error after MAX_DRAWS."""
    why = ""
    for _ in range(MAX_DRAWS):
        row = maker()
        why = next((w for w in map(clashes, (row[2], *row[3])) if w), "") or ("a repeat" if row[1] in seen else "")
        if not why:
            return row
    raise ValueError(f"{row[1]!r} -> {row[2]!r}: {why}")


def to_csv(rows: list[Question]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for q in rows:
        w.writerow((q.id, q.category, q.difficulty, q.prompt, q.expected, "|".join(q.accepted)))
    return buf.getvalue()


def problems(rows: list[Question]) -> list[str]:
    """What is wrong with a set of questions (empty when it is fit to ship)."""
    out = []
    stems = [q.stem for q in rows]
    if len(set(stems)) != len(stems):
        out.append("two questions share a stem")
    text = to_csv(rows)
    parsed = knowledge.parse_rows(text)
    by_id = {q.id: q for q in parsed}
    for q in parsed:
        if q.instruction == "":
            out.append(f"{q.id}: the prompt does not end with a known instruction")
        for a in q.answers:
            why = clashes(a)
            if why:
                out.append(f"{q.id}: {a!r}: {why}")
        others = [o.id for o in parsed if o.id != q.id and knowledge.norm(o.stem) in knowledge.norm(q.stem)]
        if others:
            out.append(f"{q.id}: its stem contains the stem of {others}")
    if len(by_id) != len(parsed):
        out.append("duplicate ids")
    return out


def main(argv: list[str]) -> int:
    rows = build()
    found = problems(rows)
    if found:
        print("\n".join(found), file=sys.stderr)
        return 1
    text = to_csv(rows)
    if "--check" in argv:
        same = PATH.exists() and PATH.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{PATH} differs from what the generator writes", file=sys.stderr)
        return 0 if same else 1
    PATH.write_text(text, encoding="utf-8")
    print(f"wrote {len(rows)} questions to {PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
