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


def markdown_to_html(text: str | None) -> str:
    """Render markdown to HTML safely: model output is untrusted, so nothing in it becomes live HTML."""
    if not text:
        return ""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    para: list[str] = []
    i = 0

    def flush_para() -> None:
        if para:
            out.append("<p>" + "<br>".join(_inline(p) for p in para) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            flush_para()
            marker, lang = fence.group(1), fence.group(2)
            code: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(marker):
                code.append(lines[i])
                i += 1
            i += 1  # closing fence (or end of text while still streaming)
            cls = f" class='language-{html.escape(lang, quote=True)}'" if lang else ""
            body = html.escape("\n".join(code))
            out.append(f"<pre style='white-space:pre-wrap;overflow-wrap:anywhere'><code{cls}>{body}</code></pre>")
            continue
        if not line.strip():
            flush_para()
            i += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            flush_para()
            level = min(len(heading.group(1)) + 2, 6)
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            i += 1
            continue
        if _RULE.match(line):
            flush_para()
            out.append("<hr>")
            i += 1
            continue
        if "|" in line and i + 1 < len(lines) and _TABLE_SEP.match(lines[i + 1]):
            flush_para()
            rows = [line, lines[i + 1]]
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                rows.append(lines[i])
                i += 1
            out.append(_table(rows))
            continue
        if _BULLET.match(line) or _NUMBERED.match(line):
            flush_para()
            ordered = bool(_NUMBERED.match(line))
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
            out.append(f"<{tag}>{lis}</{tag}>")
            continue
        if _QUOTE.match(line):
            flush_para()
            quoted: list[str] = []
            while i < len(lines) and _QUOTE.match(lines[i]):
                quoted.append(_QUOTE.match(lines[i]).group(1))  # type: ignore[union-attr]
                i += 1
            out.append(f"<blockquote>{markdown_to_html(chr(10).join(quoted))}</blockquote>")
            continue
        para.append(line)
        i += 1
    flush_para()
    return "".join(out)
