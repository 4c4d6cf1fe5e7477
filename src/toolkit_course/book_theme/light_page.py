"""Leave out of every page what nothing in the book reads, and give the theme what it expects.

- The ipywidgets state: myst-nb embeds every widget's state as JSON (with each figure a second
  time, as base64) for the widget embed manager. The book switches that manager off and draws its
  components from their kernel-free HTML, so the state is dead weight: hundreds of KB per lesson.
- The thebe scripts: jupyter-book always loads sphinx-thebe, which adds its configuration script
  to every page (twice, hence "Identifier 'THEBE_JS_URL' has already been declared") and its
  kernel settings into every page body, even with launch_buttons.thebe off. The book runs no code
  in the browser, so all of it goes.
- The colour mode: the theme reads a default mode from the page context and logs "Got invalid
  theme mode" when there is none; "auto" follows the learner's system setting.
- The favicon: without one, every browser asks for /favicon.ico and logs a 404.
- The icon script: see templates/layout.html.
- Styles and scripts of extensions a page does not use (sphinx-design, togglebutton, copybutton):
  jupyter-book loads them on every page; a page is sent only those its markup needs.
"""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
FAVICON = HERE / "static" / "favicon.svg"
WIDGET_STATE_KEY = "ipywidgets_state"  # the key under which myst-nb records the state script


def use_course_theme_files(app, config) -> None:
    config.templates_path = [str(HERE / "templates"), *config.templates_path]
    if not config.html_favicon:
        config.html_favicon = str(FAVICON)
    config.html_context = {"default_mode": "auto", **config.html_context}


def drop_widget_state(app, doctree) -> None:
    """Forget the widget state myst-nb recorded for this page while reading it."""
    metadata = getattr(app.env, "nb_metadata", {}).get(app.env.docname, {})
    metadata.get("js_files", {}).pop(WIDGET_STATE_KEY, None)


def _is_thebe(asset) -> bool:
    name = str(getattr(asset, "filename", None) or "")
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return "sphinx-thebe" in name or "THEBE_JS_URL" in body


def drop_thebe_settings(app, doctree, docname) -> None:
    """sphinx-thebe also writes its kernel settings into every page; nothing reads them."""
    from docutils import nodes

    for raw in list(doctree.findall(nodes.raw)):
        if "text/x-thebe-config" in raw.astext() or raw.astext().startswith("<script>kernelName ="):
            raw.parent.remove(raw)


# Extensions jupyter-book loads on every page, and what a page's body must contain to need them.
# A page without that markup is sent without their scripts and styles.
NEEDED_ONLY_WITH = {
    "sphinx-design": re.compile(r'class="[^"]*\bsd-'),  # grids, cards, tabs: the book uses none
    "design-tabs.js": re.compile(r'class="[^"]*\bsd-'),
    "togglebutton": re.compile(r"toggle|dropdown"),  # collapsible cells and admonitions
    "copybutton": re.compile(r"<pre"),  # the copy button sits on code blocks
    "clipboard.min.js": re.compile(r"<pre"),
}


def _needed(asset, body: str) -> bool:
    if _is_thebe(asset):
        return False
    name = str(getattr(asset, "filename", None) or asset)
    return all(marker.search(body) for part, marker in NEEDED_ONLY_WITH.items() if part in name)


def drop_unused_scripts(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body", "")
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if _needed(asset, body)]


def setup(app) -> None:
    app.connect("config-inited", use_course_theme_files)
    # After myst-nb's own handlers, which record the state while parsing and add it to the page.
    app.connect("doctree-read", drop_widget_state, priority=900)
    app.connect("doctree-resolved", drop_thebe_settings, priority=900)
    app.connect("html-page-context", drop_unused_scripts, priority=900)
