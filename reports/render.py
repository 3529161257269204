"""Render a report document (a list of blocks) as Markdown or as standalone HTML.

Blocks (built by document.py, so both outputs carry the very same strings):
  ("h", level, text)            heading
  ("p", text)                   paragraph
  ("ul", [text, ...])           bullet list
  ("table", headers, rows)      rows are lists of strings; column 0 left-aligned, others right
  ("img", filename, caption)    a PNG next to the report
Inline markup in text: **bold** and `code`.
"""
import html
import re

CSS = """
body { font: 15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1f2328; background: #fff; margin: 0; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 1.6em; border-bottom: 2px solid #d0d7de; padding-bottom: .3em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #d8dee4; padding-bottom: .2em; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
code { font: 0.88em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
       background: #f3f4f6; padding: .1em .35em; border-radius: 4px; }
.scroll { overflow-x: auto; margin: .6em 0 1em; }
table { border-collapse: collapse; font-size: 0.9em; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; white-space: nowrap; }
td.wrap { white-space: normal; min-width: 16em; }
th { background: #f6f8fa; text-align: left; }
td.num { text-align: right; }
tr:nth-child(even) td { background: #fafbfc; }
strong.ok { color: #1a7f37; }
strong.bad { color: #cf222e; }
strong.warn { color: #9a6700; }
figure { margin: 1.4em 0; }
figure img { max-width: 100%; border: 1px solid #d8dee4; border-radius: 6px; }
figcaption { color: #57606a; font-size: .9em; margin-top: .3em; }
ul { padding-left: 1.4em; }
li { margin: .25em 0; }
"""

_VERDICT_CLASS = {"PASS": "ok", "WITHIN BUDGET": "ok", "NOT TRIGGERED": "ok",
                  "FAIL": "bad", "OVER BUDGET": "bad", "TRIGGERED": "warn",
                  "UNVERIFIED": "warn"}


# ------------------------------------------------------------------ markdown
def _md_cell(text):
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(blocks):
    out = []
    for block in blocks:
        kind = block[0]
        if kind == "h":
            out.append("#" * block[1] + " " + block[2])
        elif kind == "p":
            out.append(block[1])
        elif kind == "ul":
            out.append("\n".join("- " + item for item in block[1]))
        elif kind == "table":
            headers, rows = block[1], block[2]
            align = [":---"] + ["---:" if _numeric_column(rows, i) else ":---"
                                for i in range(1, len(headers))]
            lines = ["| " + " | ".join(_md_cell(h) for h in headers) + " |",
                     "|" + "|".join(align) + "|"]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("\n".join(lines))
        elif kind == "img":
            out.append(f"![{block[2]}]({block[1]})\n\n*{block[2]}*")
        else:
            raise ValueError(f"unknown block kind {kind!r}")
    return "\n\n".join(out) + "\n"


def _numeric_column(rows, i):
    cells = [r[i] for r in rows if i < len(r) and r[i] not in ("", "—")]
    return bool(cells) and all(_is_numeric_cell(c) for c in cells)


# ---------------------------------------------------------------------- html
def _inline(text):
    s = html.escape(text, quote=False)
    s = re.sub(r"`([^`]+)`", r"<code>\1</code>", s)

    def bold(m):
        cls = _VERDICT_CLASS.get(m.group(1).split(": ")[-1])  # "Event conservation: PASS" too
        return f'<strong class="{cls}">{m.group(1)}</strong>' if cls else f"<strong>{m.group(1)}</strong>"
    return re.sub(r"\*\*(.+?)\*\*", bold, s)


def _is_numeric_cell(text):
    return bool(re.fullmatch(r"[-+−]?[\d,]+(\.\d+)?(e[-+]?\d+)?%?( \(.*\))?( – [\d.,]+%)?|—|max|n/a",
                             text))


def to_html(blocks, title):
    body = []
    for block in blocks:
        kind = block[0]
        if kind == "h":
            body.append(f"<h{block[1]}>{_inline(block[2])}</h{block[1]}>")
        elif kind == "p":
            body.append(f"<p>{_inline(block[1])}</p>")
        elif kind == "ul":
            body.append("<ul>\n" + "\n".join(f"<li>{_inline(i)}</li>" for i in block[1]) + "\n</ul>")
        elif kind == "table":
            headers, rows = block[1], block[2]
            head = "".join(f"<th>{_inline(h)}</th>" for h in headers)
            numeric = [_numeric_column(rows, i) for i in range(len(headers))]
            trs = []
            for row in rows:
                cells = []
                for i, c in enumerate(row):
                    cls = ' class="num"' if i and numeric[i] else (
                        ' class="wrap"' if len(c) > 60 else "")
                    cells.append(f"<td{cls}>{_inline(c)}</td>")
                trs.append("<tr>" + "".join(cells) + "</tr>")
            body.append(f'<div class="scroll"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
                        + "\n".join(trs) + "\n</tbody></table></div>")
        elif kind == "img":
            src = html.escape(block[1])
            cap = _inline(block[2])
            body.append(f'<figure><img src="{src}" alt="{html.escape(block[2])}">'
                        f"<figcaption>{cap}</figcaption></figure>")
        else:
            raise ValueError(f"unknown block kind {kind!r}")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(body) + "\n</main>\n</body>\n</html>\n")
