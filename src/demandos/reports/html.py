"""A pack as one self-contained HTML file: inline CSS, charts inline as SVG, no external reference.

The same HTML is what the PDF renderer prints, so the CSS carries the print rules (A4 pages,
no table row or figure split across pages).
"""

from __future__ import annotations

import re
from html import escape

from demandos.reports.charts import to_svg
from demandos.reports.model import (
    Agenda,
    Block,
    Bullets,
    Cell,
    Chart,
    Group,
    Pack,
    Paragraph,
    Table,
)

CSS = """
@page { size: A4; margin: 14mm 12mm 16mm 12mm; font-family: Helvetica, Arial, sans-serif;
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #666;
    width: 15mm; white-space: nowrap; }
  @bottom-left { content: var(--running); font-size: 7.5pt; color: #666; width: 160mm; } }
* { box-sizing: border-box; }
body { font-family: Helvetica, Arial, sans-serif; font-size: 10pt; line-height: 1.4;
  color: #1d2330; margin: 0 auto; max-width: 60rem; padding: 1.2rem; }
@media print { body { padding: 0; max-width: none; } footer { display: none; } }
header { border-bottom: 3px solid #1f4e79; margin-bottom: 1rem; padding-bottom: .4rem; }
header .workspace { color: #555; font-size: 9pt; text-transform: uppercase; letter-spacing: .06em; }
h1 { font-size: 18pt; margin: .1rem 0; color: #1f4e79; }
header .subtitle { color: #333; font-size: 10pt; }
h2 { font-size: 12.5pt; color: #1f4e79; border-bottom: 1px solid #c9d3e0; padding-bottom: .15rem;
  margin: 1.3rem 0 .5rem; break-after: avoid; page-break-after: avoid; }
section { break-inside: auto; }
p { margin: .35rem 0; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 .8rem; font-size: 8.6pt;
  page-break-inside: auto; }
caption { caption-side: top; text-align: left; color: #555; font-size: 8.4pt;
  padding-bottom: .2rem; }
th { background: #eef2f7; text-align: left; font-weight: 600; padding: .25rem .4rem;
  border-bottom: 1px solid #b8c4d4; }
td { padding: .22rem .4rem; border-bottom: 1px solid #e3e8ef; vertical-align: top; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.good { color: #1b6e20; } .warn { color: #9a5b00; } .bad { color: #b71c1c; } .muted { color: #777; }
td.good, td.warn, td.bad { font-weight: 600; }
p.warn, p.bad, p.good, p.muted { border-left: 3px solid currentColor; padding-left: .5rem; }
.sub { color: #6b7686; font-size: 7.6pt; white-space: nowrap; }
.keep { break-inside: avoid; page-break-inside: avoid; }
figure { margin: .5rem 0 .9rem; break-inside: avoid; page-break-inside: avoid; }
svg, img { display: block; max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 8.4pt; margin-top: .2rem; }
ul { margin: .3rem 0 .6rem; padding-left: 1.2rem; } li { margin: .15rem 0; }
table.agenda td.time { width: 4.2rem; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.agenda td.box { width: 4.5rem; text-align: right; white-space: nowrap; }
footer { margin-top: 1.5rem; border-top: 1px solid #c9d3e0; padding-top: .4rem; color: #666;
  font-size: 8pt; }
"""


def _cls(tone: str | None, *more: str) -> str:
    names = [n for n in (*more, tone) if n]
    return f' class="{" ".join(names)}"' if names else ""


def _cell(cell: Cell, tag: str = "td") -> str:
    style = f' style="padding-left:{0.4 + 0.9 * cell.indent:.1f}rem"' if cell.indent else ""
    sub = f' <span class="sub">{escape(cell.sub)}</span>' if cell.sub else ""
    classes = _cls(cell.tone, "num" if cell.numeric else "")
    return f"<{tag}{classes}{style}>{escape(cell.text)}{sub}</{tag}>"


def _table(block: Table) -> str:
    numeric = [any(r[i].numeric for r in block.rows) for i in range(len(block.columns))]
    head = "".join(
        f"<th{_cls(None, 'num' if numeric[i] else '')}>{escape(c)}</th>"
        for i, c in enumerate(block.columns)
    )
    body = "".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in block.rows)
    caption = f"<caption>{escape(block.caption)}</caption>" if block.caption else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _agenda(block: Agenda) -> str:
    rows = "".join(
        f'<tr><td class="time">{escape(s.start)}</td><td>{escape(s.item)}</td>'
        f'<td>{escape(s.owner or "")}</td><td class="box">{s.minutes} min</td></tr>'
        for s in block.slots
    )
    head = '<tr><th>start</th><th>item</th><th>leads</th><th class="num">time box</th></tr>'
    return (
        f'<table class="agenda"><caption>{block.minutes} minutes in all</caption>'
        f"<thead>{head}</thead><tbody>{rows}</tbody></table>"
    )


def block_html(block: Block) -> str:
    if isinstance(block, Paragraph):
        return f"<p{_cls(block.tone)}>{escape(block.text)}</p>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Chart):
        caption = f"<figcaption>{escape(block.caption)}</figcaption>" if block.caption else ""
        label = escape(block.title)
        return f'<figure role="img" aria-label="{label}">{to_svg(block.spec)}{caption}</figure>'
    if isinstance(block, Bullets):
        items = "".join(f"<li{_cls(p.tone)}>{escape(p.text)}</li>" for p in block.items)
        return f"<ul>{items}</ul>"
    if isinstance(block, Group):
        return '<div class="keep">' + "".join(block_html(b) for b in block.blocks) + "</div>"
    return _agenda(block)


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal that cannot close the style element."""
    safe = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return f'"{safe}"'


def render_html(pack: Pack) -> str:
    """The pack as one HTML document with everything inline."""
    sections = "\n".join(
        f'<section id="{escape(s.id)}"><h2>{escape(s.title)}</h2>'
        + "".join(block_html(b) for b in s.blocks)
        + "</section>"
        for s in pack.sections
    )
    notes = "".join(f"<p>{escape(n)}</p>" for n in pack.notes)
    footer = (
        f"<footer>{notes}<p>Generated by demandos on {pack.generated_at:%Y-%m-%d %H:%M} "
        f"for {escape(pack.instance or pack.ritual_id)}. {_code(escape(pack.provenance))}</p>"
        "</footer>"
    )
    running = (
        f"{pack.workspace} · {pack.title} · {pack.period} · "
        f"generated by demandos {pack.generated_at:%Y-%m-%d %H:%M}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(pack.title)} · {escape(pack.period)}</title>"
        f"<style>{CSS.replace('var(--running)', _css_string(running))}</style></head><body>"
        f'<header><div class="workspace">{escape(pack.workspace)}</div>'
        f"<h1>{escape(pack.title)}</h1>"
        f'<div class="subtitle">{escape(pack.subtitle)}</div></header>\n'
        f"{sections}\n{footer}</body></html>\n"
    )


def _code(text: str) -> str:
    """Markdown-style `code` spans as <code> elements (text already escaped)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
