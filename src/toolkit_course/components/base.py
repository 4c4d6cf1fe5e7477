"""What every component shares: markdown rendering, templates and the two-view display."""

from __future__ import annotations

import functools
import html
import json
import re
from itertools import count

import jinja2
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False})
_ids = count(1)


def md(text: str) -> str:
    """Render course markdown to HTML. Raw HTML in content is escaped, never trusted."""
    return _markdown.render(text or "").strip()


def md_inline(text: str) -> str:
    rendered = md(text)
    match = re.fullmatch(r"<p>(.*)</p>", rendered, flags=re.S)
    return match.group(1) if match else rendered


def unique_id(prefix: str) -> str:
    """Element ids unique within a page, so several components can share one page."""
    return f"tc-{prefix}-{next(_ids)}"


@functools.cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("toolkit_course", "templates"),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True)


def render(template: str, **context) -> str:
    return _templates().get_template(template).render(**context)


def json_for_script(data) -> str:
    """JSON safe to place inside <script type="application/json">."""
    return json.dumps(data, ensure_ascii=False).replace("</", "<\\/")


class Component:
    """Base class: subclasses build `self.widget` and implement static_html()."""

    widget = None

    def static_html(self) -> str:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget._repr_mimebundle_()
        bundle["text/html"] = self.static_html()
        bundle["text/plain"] = f"<{type(self).__name__}: run this cell in Jupyter to use it>"
        return bundle


def escape(text: str) -> str:
    return html.escape(text or "")
