"""A self-contained HTML page: inline CSS, figures embedded as base64 PNG, no scripts.

The page needs no network and no other file, so it can be mailed or opened
from a USB stick; it is laid out for a laptop screen (one column, at most
1100 px wide) and prints cleanly.

Examples
--------
>>> page = render_page("My report", [section("Hello", paragraph("A <b>safe</b> text."))])
>>> "&lt;b&gt;safe&lt;/b&gt;" in page and page.startswith("<!DOCTYPE html>")
True
"""

from __future__ import annotations

import base64
import html

import pandas as pd

__all__ = [
    "block",
    "bullet_list",
    "figure",
    "heading",
    "paragraph",
    "render_page",
    "section",
    "table",
]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0;
       background: #fafafa; color: #222; line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 1.5rem 2rem 3rem; background: #fff; }
h1 { font-size: 1.7rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05rem; margin-bottom: 0.3rem; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.9rem; color: #555; }
table.data { border-collapse: collapse; font-size: 0.85rem; margin: 0.5rem 0; }
table.data th, table.data td { padding: 0.2rem 0.55rem; border-bottom: 1px solid #e5e5e5;
                               text-align: right; }
table.data th { background: #f2f2f2; }
table.data td:first-child, table.data th:first-child { text-align: left; }
.note { font-size: 0.9rem; color: #555; }
.answers { display: grid; grid-template-columns: repeat(auto-fill, minmax(470px, 1fr));
           gap: 0.7rem; margin: 0.6rem 0; }
.answer { background: #f6f8fb; border-left: 4px solid #0072B2; padding: 0 0.8rem 0.2rem;
          font-size: 0.9rem; }
.answer h3 { margin: 0.5rem 0 0.2rem; font-size: 1rem; }
.answer h4 { font-size: 0.85rem; margin: 0.3rem 0 0; color: #444; }
.answer ul { margin: 0.1rem 0 0.2rem; padding-left: 1.2rem; }
.answer p { margin: 0.2rem 0 0.4rem; }
.scroll { overflow-x: auto; }
"""


def render_page(title: str, sections: list[str]) -> str:
    """The whole page: ``title`` as heading, then the already-rendered ``sections``."""
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n<main>\n<h1>{html.escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )


def section(heading: str, *parts: str) -> str:
    """A titled section holding already-rendered parts."""
    return f"<section>\n<h2>{html.escape(heading)}</h2>\n" + "\n".join(parts) + "\n</section>"


def block(css_class: str, *parts: str) -> str:
    """Already-rendered parts grouped in a ``<div>`` of one CSS class."""
    return f'<div class="{html.escape(css_class)}">\n' + "\n".join(parts) + "\n</div>"


def heading(text: str, level: int = 3) -> str:
    """A heading of plain (escaped) text."""
    return f"<h{level}>{html.escape(text)}</h{level}>"


def paragraph(text: str, css_class: str | None = None) -> str:
    """A paragraph of plain (escaped) text."""
    attr = f' class="{css_class}"' if css_class else ""
    return f"<p{attr}>{html.escape(text)}</p>"


def bullet_list(items: list[str], heading: str | None = None, level: int = 3) -> str:
    """A bulleted list of plain (escaped) texts, with an optional small heading."""
    head = f"<h{level}>{html.escape(heading)}</h{level}>\n" if heading else ""
    return head + "<ul>\n" + "\n".join(f"<li>{html.escape(i)}</li>" for i in items) + "\n</ul>"


def figure(png: bytes, alt: str, caption: str, figure_id: str | None = None) -> str:
    """A PNG embedded as a base64 data URI, with a caption (and an ``id`` to link to)."""
    data = base64.b64encode(png).decode("ascii")
    attr = f' id="{html.escape(figure_id)}"' if figure_id else ""
    return (
        f'<figure{attr}><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def table(frame: pd.DataFrame, float_format: str = "{:.3g}") -> str:
    """A table (no index) with numbers shown to 3 significant digits; scrolls when wide.

    Missing values (NaN: e.g. an F1 where neither side has the behaviour) read ``n/a``.
    """
    rendered = frame.to_html(
        index=False,
        border=0,
        classes="data",
        na_rep="n/a",
        float_format=float_format.format,
        escape=True,
    )
    return f'<div class="scroll">{rendered}</div>'
