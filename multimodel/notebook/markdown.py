"""A small, safe markdown → HTML renderer for model answers (untrusted text).

Everything is HTML-escaped first; only a fixed set of constructs is turned into tags: fenced code
blocks, headings, bullet and numbered lists, block quotes, horizontal rules, pipe tables, inline code,
bold, italic, strike-through and http(s) links. Raw HTML in the answer is shown as text, never run.
"""

from __future__ import annotations

import html
import re

_FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+#.-]*)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^(\s*)(\d{1,9})[.)]\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")

_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1", re.S)
_ITALIC = re.compile(r"(?<![\w*])([*_])(?=\S)(.+?)(?<=\S)\1(?![\w*])", re.S)
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~", re.S)
# Runs on escaped text: the URL cannot contain a raw quote or angle bracket.
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^\s)]+)\)")


def _inline(text: str) -> str:
    """Escape, then apply inline markup; code spans are protected from the other rules."""
    out: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_inline_plain(text[pos : m.start()]))
        out.append(f"<code>{html.escape(m.group(2).strip())}</code>")
        pos = m.end()
    out.append(_inline_plain(text[pos:]))
    return "".join(out)


def _inline_plain(text: str) -> str:
    s = html.escape(text)
    s = _LINK.sub(lambda m: f'<a href="{m.group(2)}" rel="noopener noreferrer nofollow">{m.group(1)}</a>', s)
    s = _BOLD.sub(r"<strong>\2</strong>", s)
    s = _ITALIC.sub(r"<em>\2</em>", s)
    s = _STRIKE.sub(r"<del>\1</del>", s)
    return s


def _table(rows: list[str]) -> str:
    def cells(line: str) -> list[str]:
        line = line.strip()
        if line.startswith("|"):
            line = line[1:]
        if line.endswith("|"):
            line = line[:-1]
        return [c.strip() for c in line.split("|")]

    head = cells(rows[0])
    body = [cells(r) for r in rows[2:]]
    th = "".join(f"<th>{_inline(c)}</th>" for c in head)
    trs = "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in body)
    return f"<table class='mm-md-table'><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>"


# A block reader looks at lines[i]: None when no block of its kind starts there, else (html, index after the block).
Block = tuple[str, int] | None


def _fenced_code(lines: list[str], i: int) -> Block:
    """A fenced code block, shown verbatim (escaped); an unclosed fence runs to the end while streaming."""
    fence = _FENCE.match(lines[i])
    if not fence:
        return None
    marker, lang = fence.group(1), fence.group(2)
    code: list[str] = []
    i += 1
    while i < len(lines) and not lines[i].strip().startswith(marker):
        code.append(lines[i])
        i += 1
    i += 1  # closing fence (or end of text while still streaming)
    cls = f" class='language-{html.escape(lang, quote=True)}'" if lang else ""
    body = html.escape("\n".join(code))
    return f"<pre style='white-space:pre-wrap;overflow-wrap:anywhere'><code{cls}>{body}</code></pre>", i


def _heading(lines: list[str], i: int) -> Block:
    """An ATX heading, two levels down (h3 for '#') so it sits under the notebook's own titles."""
    heading = _HEADING.match(lines[i])
    if not heading:
        return None
    level = min(len(heading.group(1)) + 2, 6)
    return f"<h{level}>{_inline(heading.group(2))}</h{level}>", i + 1


def _rule(lines: list[str], i: int) -> Block:
    """A horizontal rule (three or more -, * or _)."""
    return ("<hr>", i + 1) if _RULE.match(lines[i]) else None


def _pipe_table(lines: list[str], i: int) -> Block:
    """A pipe table: a header row, a separator row, then rows until a line without '|'."""
    if "|" not in lines[i] or i + 1 >= len(lines) or not _TABLE_SEP.match(lines[i + 1]):
        return None
    rows = [lines[i], lines[i + 1]]
    i += 2
    while i < len(lines) and "|" in lines[i] and lines[i].strip():
        rows.append(lines[i])
        i += 1
    return _table(rows), i


def _list(lines: list[str], i: int) -> Block:
    """A bullet or numbered list; indented lines continue the item above them."""
    if not (_BULLET.match(lines[i]) or _NUMBERED.match(lines[i])):
        return None
    ordered = bool(_NUMBERED.match(lines[i]))
    items: list[str] = []
    while i < len(lines):
        m = _NUMBERED.match(lines[i]) if ordered else _BULLET.match(lines[i])
        if m:
            items.append(m.group(m.lastindex or 1))
        elif lines[i].strip() and lines[i].startswith((" ", "\t")) and items:
            items[-1] += "\n" + lines[i].strip()  # continuation of the item
        else:
            break
        i += 1
    tag = "ol" if ordered else "ul"
    lis = "".join("<li>" + "<br>".join(_inline(p) for p in it.split("\n")) + "</li>" for it in items)
    return f"<{tag}>{lis}</{tag}>", i


def _quote(lines: list[str], i: int) -> Block:
    """A block quote; its contents are rendered as markdown in turn."""
    if not _QUOTE.match(lines[i]):
        return None
    quoted: list[str] = []
    while i < len(lines) and _QUOTE.match(lines[i]):
        quoted.append(_QUOTE.match(lines[i]).group(1))  # type: ignore[union-attr]
        i += 1
    return f"<blockquote>{markdown_to_html(chr(10).join(quoted))}</blockquote>", i


# tried in this order on each non-blank line; a line none of them takes belongs to a paragraph
_BLOCK_READERS = (_fenced_code, _heading, _rule, _pipe_table, _list, _quote)


def markdown_to_html(text: str | None) -> str:
    """Render markdown to HTML safely: model output is untrusted, so nothing in it becomes live HTML."""
    if not text:
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    para: list[str] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            _flush_paragraph(para, out)
            i += 1
            continue
        block = next((b for b in (read(lines, i) for read in _BLOCK_READERS) if b is not None), None)
        if block is None:
            para.append(lines[i])
            i += 1
            continue
        _flush_paragraph(para, out)
        out.append(block[0])
        i = block[1]
    _flush_paragraph(para, out)
    return "".join(out)


def _flush_paragraph(para: list[str], out: list[str]) -> None:
    """Append the pending paragraph lines to ``out`` as one <p> (lines joined by <br>) and clear them."""
    if para:
        out.append("<p>" + "<br>".join(_inline(p) for p in para) + "</p>")
        para.clear()
