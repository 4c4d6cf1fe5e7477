"""Interactive components. Each is live in Jupyter (ipywidgets) and works in the static book.

A component object carries two views of the same content:
  .widget        the ipywidgets view, for JupyterLab and Notebook 7
  .static_html() a self-contained HTML view driven by toolkit-components.js, for the book
Displaying the object offers both; Jupyter picks the live widget, the book (configured in
_config.yml) picks the HTML. Authors write one call; nothing is written twice.
"""
