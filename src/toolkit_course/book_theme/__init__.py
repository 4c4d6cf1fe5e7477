"""The course's Sphinx extension: a light, error-free, never-stale book.

Listed in _config.yml under sphinx.extra_extensions. Each part has its own module:

- light_page: leaves out what nobody reads (the widget state, the thebe scripts, the
  icon script) and gives the theme what it needs to log no errors (a favicon, a colour mode);
- icons: cuts the theme's icon fonts down to the glyphs the book shows;
- freshness: rebuilds a lesson whenever a content file, the course package or a component
  template it depends on has changed, not only when the notebook itself changed.
"""

from __future__ import annotations

from . import freshness, icons, light_page


def setup(app):
    light_page.setup(app)
    icons.setup(app)
    freshness.setup(app)
    # Safe in parallel: each handler keeps per-document data keyed by document name.
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True,
            "env_version": freshness.ENV_VERSION}
