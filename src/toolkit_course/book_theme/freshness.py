"""Rebuild a lesson page whenever anything it shows has changed, not only its notebook.

A lesson's page is the output of running its notebook, and that output comes from files Sphinx
does not know about: the module's content files (quiz.yaml, ...), the shared content files
(legal-elements.yaml, data/, schemas/), and the course package with its component templates.
Sphinx only re-reads a document whose own source changed, so editing a question left the old
question in the book.

This extension records, for each notebook, a digest of the files it depends on when it is read,
and on the next build (Sphinx's env-get-outdated event) reports as outdated every notebook whose
digest differs. With execute_notebooks: force, a notebook Sphinx re-reads is executed again, and
one it does not re-read keeps its page: an unchanged rebuild runs no lesson at all.

A notebook depends on
- the course package's modules it imports, directly or through other course modules (found by
  reading the import statements, so a change to the grading code does not re-run every lesson),
  and every component template,
- every shared content file (files directly in content/, and content/data/ and content/schemas/),
- the content folder of each module whose folder name appears in the notebook
  (show.quiz("01-trafficking-and-smuggling") names content/01-trafficking-and-smuggling/).
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

import toolkit_course
from toolkit_course import content

ENV_VERSION = 1
PACKAGE = Path(toolkit_course.__file__).resolve().parent
# "from toolkit_course import show" or "import toolkit_course.show", as it appears in a notebook's JSON.
NOTEBOOK_IMPORT = re.compile(r"from\s+(toolkit_course(?:\.\w+)*)\s+import\s+([\w\s,]+)|import\s+(toolkit_course(?:\.\w+)*)")
ENV_KEY = "toolkit_dependency_digests"


def _files_under(folder: Path) -> list[Path]:
    # Not caches, hidden files or editors' backups: they come and go without changing a page.
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and not p.name.startswith((".", "#")) and not p.name.endswith(("~", ".swp", ".pyc")))


def _module_file(dotted: str) -> Path | None:
    """The file of a course module ("toolkit_course.components.quiz"), or None if it is not one."""
    parts = dotted.split(".")
    if parts[0] != "toolkit_course":
        return None
    base = PACKAGE.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports_of(path: Path) -> set[str]:
    """Dotted names a course module imports (relative imports resolved); each may be a module or a name in one."""
    package = ".".join(["toolkit_course", *path.relative_to(PACKAGE).with_suffix("").parts])
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return names


def package_files_used(notebook_source: str) -> list[Path]:
    """The course modules a notebook imports, followed through their own imports."""
    wanted = {"toolkit_course"}
    for match in NOTEBOOK_IMPORT.finditer(notebook_source):
        if match.group(1):
            wanted |= {match.group(1)} | {f"{match.group(1)}.{n.strip()}" for n in match.group(2).split(",")}
        else:
            wanted.add(match.group(3))
    found: set[Path] = set()
    while wanted:
        dotted = wanted.pop()
        parts = dotted.split(".")
        # "toolkit_course.components.quiz" also loads each package above it.
        for depth in range(1, len(parts) + 1):
            path = _module_file(".".join(parts[:depth]))
            if path and path not in found:
                found.add(path)
                wanted |= _imports_of(path)
    return sorted(found)


def _module_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name not in {"data", "schemas"})


def dependencies(notebook_source: str) -> list[Path]:
    """Every file whose change must re-run the notebook with this source text."""
    root = content.content_root()
    files = package_files_used(notebook_source) + _files_under(PACKAGE / "templates")
    files += [p for p in _files_under(root) if p.parent == root]
    files += _files_under(root / "data") + _files_under(root / "schemas")
    for module in _module_folders(root):
        if module.name in notebook_source:
            files += _files_under(module)
    return files


def digest(files: list[Path]) -> str:
    """One hash over the files' names and bytes: it changes when any of them is edited, added or removed."""
    total = hashlib.sha256()
    for path in files:
        total.update(str(path).encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return total.hexdigest()


def _notebook_digest(env, docname: str) -> str | None:
    source = Path(env.doc2path(docname))
    if source.suffix != ".ipynb" or not source.exists():
        return None  # only notebooks run code; Sphinx itself tracks what a text page includes
    return digest(dependencies(source.read_text(encoding="utf-8")))


def outdated_notebooks(app, env, added, changed, removed) -> list[str]:
    """Sphinx asks which further documents to re-read: those whose dependencies changed."""
    recorded = getattr(env, ENV_KEY, {})
    current = {}
    for docname in sorted(env.found_docs):
        now = _notebook_digest(env, docname)
        if now is not None:
            current[docname] = now
    app._toolkit_current_digests = current  # recorded per document as it is read, below
    return [docname for docname, now in current.items()
            if docname not in added | changed and recorded.get(docname) != now]


def record_digest(app, doctree) -> None:
    docname = app.env.docname
    now = getattr(app, "_toolkit_current_digests", {}).get(docname)
    if now is not None:
        if not hasattr(app.env, ENV_KEY):
            setattr(app.env, ENV_KEY, {})
        getattr(app.env, ENV_KEY)[docname] = now


def forget(app, env, docname) -> None:
    getattr(env, ENV_KEY, {}).pop(docname, None)


def merge(app, env, docnames, other) -> None:
    if not hasattr(env, ENV_KEY):
        setattr(env, ENV_KEY, {})
    for docname in docnames:
        if docname in getattr(other, ENV_KEY, {}):
            getattr(env, ENV_KEY)[docname] = getattr(other, ENV_KEY)[docname]


def steady_exclude_patterns(app, config) -> None:
    """Exclude whole folders that hold no book page, instead of each of their files by name.

    With only_build_toc_files, jupyter-book's table-of-contents extension adds every .md and .ipynb
    file outside the table of contents to exclude_patterns by name. Sphinx rebuilds everything when
    that setting changes, so a new README anywhere in the checkout (a dependency's, a note) would
    re-run every lesson. A folder pattern stays the same as files come and go.
    """
    site_map = getattr(config, "external_site_map", None)
    if site_map is None:
        return
    book_folders = {docname.split("/")[0] for docname in site_map if "/" in docname}
    steady = []
    for pattern in config.exclude_patterns:
        parts = pattern.split("/")
        is_file = len(parts) > 1 and not any(ch in pattern for ch in "*?[") and (Path(app.srcdir) / pattern).is_file()
        replacement = f"{parts[0]}/**" if is_file and parts[0] not in book_folders else pattern
        if replacement not in steady:
            steady.append(replacement)
    config.exclude_patterns = steady


def setup(app) -> None:
    # After sphinx_external_toc (priority 900), which adds the files outside the table of contents.
    app.connect("config-inited", steady_exclude_patterns, priority=950)
    app.connect("env-get-outdated", outdated_notebooks)
    app.connect("doctree-read", record_digest)
    app.connect("env-purge-doc", forget)
    app.connect("env-merge-info", merge)
