"""Learner text is never trusted as HTML: clean the copies of submissions that facilitators open.

Formgrader shows the autograded copy of a submission in the facilitator's browser,
logged in to Jupyter. nbgrader's page renders markdown cells to HTML without
cleaning them (its template skips nbconvert's sanitiser for markdown cells), so an
`<img onerror=...>` written in a reflection would run with the facilitator's session.
SanitizeLearnerContent, an nbgrader preprocessor that runs last in the autograde
pipeline (see nbgrader_config.py), rewrites that copy so that every viewer shows
learner content as text:

- Learner markdown (any markdown or raw cell whose text is not the course's own, as
  recorded in the gradebook) is kept as markdown, but every character that could
  start HTML, an entity, a link, an image, a code fence, math or a heading is
  backslash-escaped. CommonMark renderers (nbconvert's mistune, JupyterLab's marked,
  markdown-it) show an escaped character as itself, so the facilitator reads exactly
  what the learner typed, and nothing in it becomes a tag or a URL. Emphasis, lists
  and quotes still render. unescape_markdown() gives the learner's text back.
- Outputs keep only plain text and PNG/JPEG images (checked to be base64). HTML,
  JavaScript, SVG, markdown, LaTeX, widget views and any other type are dropped; the
  text of dropped HTML (found with nh3, with <script> and <style> content removed)
  is kept as plain text, so the facilitator still sees what the cell printed.
- Everything a template copies into the page that a learner could set is reduced to
  what nbgrader needs: cell metadata other than nbgrader's own, notebook metadata
  other than the kernel's name and language (so no widget state, which would load
  scripts), attachments, output metadata, unexpected stream names and cell ids.

The cell *sources* of code cells are left alone: viewers show code highlighted and
escaped, and grading must see what the learner wrote.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import uuid

import nh3
from nbformat import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Integer

# Characters that could begin HTML (<, &), links and images ([ ] !), code (` ~), math ($ \),
# headings (# and the = or - underline, whose anchors would add ids to the page).
_ESCAPED = "\\`<&[]!$~#=-"
_ESCAPE = re.compile("[" + re.escape(_ESCAPED) + "]")
_UNESCAPE = re.compile(r"\\([" + re.escape(_ESCAPED) + "])")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9 _.+()-]{0,100}$")
_SAFE_GRADE_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
_SAFE_CELL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CHECKSUM = re.compile(r"^[0-9a-f]{0,128}$")
KEPT_OUTPUT_TYPES = ("text/plain", "image/png", "image/jpeg")
MARKER_KEY = "toolkit_course_sanitize"  # set on cells escaped here; a learner's own copy of it is dropped
_NBGRADER_FLAGS = ("grade", "solution", "locked", "task")


def escape_markdown(text: str) -> str:
    """Markdown that renders as exactly this text, with no HTML, link, image, code or math in it."""
    return _ESCAPE.sub(lambda match: "\\" + match.group(0), text)


def unescape_markdown(text: str) -> str:
    """The learner's own text back from escape_markdown()."""
    return _UNESCAPE.sub(r"\1", text)


def html_as_text(value: str) -> str:
    """The readable text of an HTML fragment: tags dropped, script and style content removed."""
    return html.unescape(nh3.clean(value, tags=set(), clean_content_tags={"script", "style"}))


def _text(value) -> str:
    if isinstance(value, list):
        return "".join(part for part in value if isinstance(part, str))
    return value if isinstance(value, str) else ""


def _base64_image(value) -> str | None:
    text = _text(value)
    if not text or not _BASE64.match(text):
        return None
    try:
        base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return text


def clean_output(output, max_characters: int = 20_000) -> NotebookNode:
    """One output reduced to what a learner's output may show; never raises."""
    kind = output.get("output_type") if isinstance(output, dict) else None
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return NotebookNode(output_type="stream", name=name, text=_text(output.get("text"))[:max_characters])
    if kind == "error":
        traceback = output.get("traceback") if isinstance(output.get("traceback"), list) else []
        return NotebookNode(output_type="error", ename=_text(output.get("ename"))[:200],
                            evalue=_text(output.get("evalue"))[:max_characters],
                            traceback=[_text(line)[:max_characters] for line in traceback[:200]])
    if kind in ("display_data", "execute_result"):
        data = output.get("data") if isinstance(output.get("data"), dict) else {}
        kept, dropped = {}, []
        for mimetype, value in data.items():
            if mimetype == "text/plain":
                kept[mimetype] = _text(value)[:max_characters]
            elif mimetype in ("image/png", "image/jpeg") and _base64_image(value) is not None:
                kept[mimetype] = _base64_image(value)
            else:
                dropped.append(str(mimetype)[:60])
        if dropped and "text/plain" not in kept:
            shown = html_as_text(_text(data.get("text/html")))[:max_characters] if "text/html" in data else ""
            kept["text/plain"] = (shown + "\n" if shown.strip() else "") + (
                f"[{', '.join(dropped)} output not shown: only plain text and PNG or JPEG images "
                "from a learner's code are shown to the facilitator]")
        cleaned = NotebookNode(output_type=kind, data=kept, metadata={})
        if kind == "execute_result":
            count = output.get("execution_count")
            cleaned["execution_count"] = count if isinstance(count, int) and not isinstance(count, bool) else None
        return cleaned
    return NotebookNode(output_type="stream", name="stdout", text="[an output of an unknown kind was removed]")


def _clean_nbgrader_metadata(meta) -> dict | None:
    if not isinstance(meta, dict):
        return None
    grade_id = meta.get("grade_id")
    if grade_id is not None and not (isinstance(grade_id, str) and _SAFE_GRADE_ID.match(grade_id)):
        return None
    kept = {flag: meta[flag] for flag in _NBGRADER_FLAGS if isinstance(meta.get(flag), bool)}
    if grade_id is not None:
        kept["grade_id"] = grade_id
    points = meta.get("points")
    if isinstance(points, (int, float)) and not isinstance(points, bool):
        kept["points"] = points
    if isinstance(meta.get("schema_version"), int):
        kept["schema_version"] = meta["schema_version"]
    if isinstance(meta.get("checksum"), str) and _CHECKSUM.match(meta["checksum"]):
        kept["checksum"] = meta["checksum"]
    if meta.get("cell_type") in ("code", "markdown", "raw"):
        kept["cell_type"] = meta["cell_type"]
    return kept


def clean_cell(cell, trusted_markdown: frozenset[str] | set[str] = frozenset(),
               max_characters: int = 20_000) -> NotebookNode:
    """One cell as a facilitator may safely view it."""
    kind = cell.get("cell_type") if isinstance(cell, dict) else None
    raw_metadata = cell.get("metadata") if isinstance(cell, dict) else None
    metadata = {}
    nbgrader = _clean_nbgrader_metadata((raw_metadata or {}).get("nbgrader")) if isinstance(raw_metadata, dict) \
        else None
    if nbgrader is not None:
        metadata["nbgrader"] = nbgrader
    cell_id = cell.get("id") if isinstance(cell, dict) else None
    cell_id = cell_id if isinstance(cell_id, str) and _SAFE_CELL_ID.match(cell_id) else uuid.uuid4().hex[:16]
    source = _text(cell.get("source")) if isinstance(cell, dict) else ""
    if kind == "code":
        count = cell.get("execution_count")
        return NotebookNode(cell_type="code", id=cell_id, metadata=metadata, source=source,
                            execution_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
                            outputs=[clean_output(output, max_characters)
                                     for output in (cell.get("outputs") if isinstance(cell.get("outputs"), list)
                                                    else [])])
    if kind == "markdown" and source in trusted_markdown:
        return NotebookNode(cell_type="markdown", id=cell_id, metadata=metadata, source=source)
    # A learner's markdown, and raw cells (nbconvert copies raw cells into the page as HTML): escaped text.
    metadata[MARKER_KEY] = {"shown_as_text": True}
    return NotebookNode(cell_type="markdown", id=cell_id, metadata=metadata,
                        source=escape_markdown(source.replace("\r\n", "\n")))


def is_shown_as_text(cell) -> bool:
    """True for a cell clean_cell() escaped: unescape_markdown() gives back what the learner wrote."""
    meta = cell.get("metadata", {}).get(MARKER_KEY) if isinstance(cell.get("metadata"), dict) else None
    return isinstance(meta, dict) and meta.get("shown_as_text") is True


def clean_notebook_metadata(metadata) -> dict:
    """Only the kernel's and language's names: widget state and anything else a learner set is dropped."""
    kept = {}
    for key, fields, required in (("kernelspec", ("name", "display_name", "language"), {"name", "display_name"}),
                                  ("language_info", ("name", "version"), {"name"})):
        section = metadata.get(key) if isinstance(metadata, dict) else None
        if isinstance(section, dict):
            safe = {name: section[name] for name in fields
                    if isinstance(section.get(name), str) and _SAFE_NAME.match(section[name])}
            if required <= set(safe):  # nbformat requires these; a section without them is left out
                kept[key] = safe
    return kept


def clean_notebook(notebook, trusted_markdown: frozenset[str] | set[str] = frozenset(),
                   max_characters: int = 20_000) -> NotebookNode:
    notebook.metadata = NotebookNode(clean_notebook_metadata(notebook.get("metadata")))
    notebook.cells = [clean_cell(cell, trusted_markdown, max_characters) for cell in notebook.get("cells", [])]
    return notebook


def course_markdown(resources: dict) -> frozenset[str]:
    """The course's own markdown cells of this notebook, as nbgrader recorded them from the source version.

    A cell whose text is exactly one of these is the course's (OverwriteCells restored
    locked cells before this runs), so it is shown as written, links and code included.
    Without a gradebook, nothing is trusted and every markdown cell is escaped.
    """
    info = (resources or {}).get("nbgrader") or {}
    if not all(info.get(key) for key in ("db_url", "assignment", "notebook")):
        return frozenset()
    try:
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            return frozenset(cell.source for cell in notebook.source_cells if cell.cell_type == "markdown")
    except (MissingEntry, OSError, ValueError):
        return frozenset()


class SanitizeLearnerContent(NbGraderPreprocessor):
    """Make the autograded copy safe to open in Formgrader and Jupyter: learner content shows as text.

    Put it last in Autograde.autograde_preprocessors (after SaveAutoGrades, which needs
    the learner's cells as they were submitted).
    """

    trust_course_markdown = Bool(
        True, help="Show markdown cells that are exactly the course's own (from the gradebook) unescaped"
    ).tag(config=True)
    max_characters = Integer(20_000, help="characters kept per text output").tag(config=True)

    def preprocess(self, nb, resources):
        trusted = course_markdown(resources) if self.trust_course_markdown else frozenset()
        return clean_notebook(nb, trusted, self.max_characters), resources
