"""What every component shares: markdown rendering, templates and the two-view display."""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
from collections import Counter

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup
from markupsafe import escape as _escape

from .strings import STRINGS

_markdown = MarkdownIt("commonmark", {"html": False})
_ids_given: Counter[str] = Counter()


def md(text: str) -> str:
    """Render course markdown to HTML. Raw HTML in content is escaped, never trusted."""
    return _markdown.render(text or "").strip()


def md_inline(text: str) -> str:
    rendered = md(text)
    match = re.fullmatch(r"<p>(.*)</p>", rendered, flags=re.S)
    return match.group(1) if match else rendered


def component_id(kind: str, item_ids: list[str], item_id: str | None = None) -> str:
    """The component's element id, which the book also uses to key the answers saved on a learner's device.

    It comes from the content, never from a running count, so rebuilding the book gives the same id and
    a learner's saved answers still find their component. `item_id` names the content item when the
    caller knows it; otherwise the ids of the item's own questions, steps or cases stand for it. A second
    identical component in the same page (one kernel) gets a suffix, so ids stay unique on the page.
    """
    if item_id:
        base = f"tc-{kind}-" + re.sub(r"[^a-z0-9-]+", "-", item_id.lower()).strip("-")
    else:
        digest = hashlib.sha256("\n".join([kind, *item_ids]).encode("utf-8")).hexdigest()[:10]
        base = f"tc-{kind}-{digest}"
    _ids_given[base] += 1
    return base if _ids_given[base] == 1 else f"{base}-{_ids_given[base]}"


def slots(template: str, **values) -> Markup:
    """Fill a string's {name} placeholders, each wrapped in <span data-slot="name"> for the book's script.

    Values are escaped unless they are already Markup (rendered course markdown)."""
    parts = re.split(r"\{(\w+)\}", template)
    out = [_escape(parts[0])]
    for name, after in zip(parts[1::2], parts[2::2]):
        out.append(Markup('<span data-slot="{}">{}</span>').format(name, values.get(name, "")))
        out.append(_escape(after))
    return Markup("").join(out)


@functools.cache
def _templates() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.PackageLoader("toolkit_course", "templates"),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True)
    environment.globals.update(s=STRINGS, md=md, md_inline=md_inline)
    environment.filters["slots"] = slots
    return environment


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
