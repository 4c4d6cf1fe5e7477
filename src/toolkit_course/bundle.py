"""`make bundle`: the whole course in one zip for a USB stick, to use with no internet and no server.

The zip holds one folder, toolkit-course-offline/, with:
- the built book at its top: double-click index.html (a file:// address) to read it;
- jupyter/notebooks/   the lesson notebooks, for learners who have Jupyter and the course package;
- jupyter/exercises/   the student versions of the graded assessments (never solutions/);
- START-HERE.html and START-HERE.txt: what to open and how to return an assessment, in plain words.

Two changes are made to the book's copy, never to the book: the search results page does not fetch each
page for a summary (a browser refuses fetch() on file:// addresses, so each result logged an error), and
nothing is packed that carries an answer key, a hidden test or a marking rubric: the bundler refuses to
write a zip if a file it is about to pack contains nbgrader's solution or hidden-test markers.
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import content

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BOOK = REPO / "_build" / "html"
DEFAULT_ZIP = REPO / "_build" / "toolkit-course-offline.zip"
TOP = "toolkit-course-offline"
# nbgrader's markers for what only the instructor version may hold.
INSTRUCTOR_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION", "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS",
                      "BEGIN MARK SCHEME")
TEXT_SUFFIXES = {".html", ".js", ".css", ".ipynb", ".txt", ".json", ".md", ".py", ".yaml", ".yml", ".svg", ".inv"}
SKIPPED_NAMES = {".buildinfo", ".ipynb_checkpoints", ".DS_Store", "__pycache__"}

# The start-here guide, written once; START-HERE.txt and START-HERE.html are both made from it.
# Each section: a heading and its lines; a line that starts with "- " is one step of a list.
TITLE = "Human rights and gender equality in responses to trafficking in persons and smuggling of migrants"
START_HERE = [
    ("", ["An offline course. You do not need the internet to use it."]),
    ("1. Read the course", [
        "Open this folder and double-click the file index.html. The course opens in your web browser "
        "(for example Chrome, Edge or Firefox).",
        "Every exercise works there: questions, case cards, the classifier, checklists and scenarios. "
        "Your answers stay on this computer. Nothing is sent anywhere.",
        'To find a word, use "Search" at the top of any page.']),
    ("2. Open the lesson notebooks (only if Jupyter is installed)", [
        "The same lessons are in the folder jupyter/notebooks, as Jupyter notebooks (.ipynb files). They need "
        "Jupyter and the course's Python package on your computer; your facilitator can set this up.",
        "- Open JupyterLab and go to the folder jupyter/notebooks.",
        "- Open the module you want.",
        "- Press Shift + Enter to run each box, one after the other.",
        "If you do not have Jupyter, read the lessons in the browser (step 1): they are the same."]),
    ("3. Return a graded assessment", [
        "Each module has a graded assessment in the folder jupyter/exercises, one folder per module.",
        "- Copy the assessment file to your own computer and open it in Jupyter.",
        "- Type your answers where the notebook asks, and run each box with Shift + Enter.",
        "- Save the notebook (File > Save, or Ctrl + S). Do not change the file's name.",
        "- Give the saved .ipynb file back to your facilitator, as they tell you: by email, on a USB stick, "
        "or through the Assignments tab in Jupyter.",
        "Self-paced learners who do not need a certificate do not return anything."]),
    ("About this course", [
        "An independent open-source course based on the UNODC Toolkit for Mainstreaming Human Rights and Gender "
        "Equality into Criminal Justice Interventions to Address Trafficking in Persons and Smuggling of Migrants "
        "(GLO.ACT, 2021). It is not a UNODC publication."]),
]


def start_here_txt() -> str:
    import textwrap

    out = [TITLE.upper(), ""]
    for heading, lines in START_HERE:
        if heading:
            out += [heading.upper()]
        for line in lines:
            bullet = line.startswith("- ")
            out += textwrap.wrap(line[2:] if bullet else line, 96, initial_indent="   - " if bullet else "   ",
                                 subsequent_indent="     " if bullet else "   ")
        out.append("")
    return "\n".join(out)


def start_here_html() -> str:
    """The same guide as a small, accessible web page with a link that opens the course."""
    import html

    def text(line: str) -> str:
        return html.escape(line).replace("index.html", '<a href="index.html">index.html</a>', 1)

    body = []
    for heading, lines in START_HERE:
        if heading:
            body.append(f"<h2>{html.escape(heading)}</h2>")
        steps: list[str] = []
        for line in lines + [""]:
            if line.startswith("- "):
                steps.append(f"<li>{text(line[2:])}</li>")
                continue
            if steps:
                body.append("<ol>" + "".join(steps) + "</ol>")
                steps = []
            if line:
                body.append(f"<p>{text(line)}</p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Start here: {html.escape(TITLE)}</title>"
            "<style>body{font-family:sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
            "h2{font-size:1.2rem;margin-top:1.5rem}a{color:#0b5394}</style></head><body>\n"
            f"<h1>Start here</h1>\n<p><strong>{html.escape(TITLE)}</strong></p>\n" + "\n".join(body) + "\n</body></html>\n")


class BundleError(RuntimeError):
    """The bundle could not be made; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Bundle:
    path: Path
    files: int
    size: int


def _files(folder: Path):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not (SKIPPED_NAMES & set(path.relative_to(folder).parts)):
            yield path


def _check_not_instructor(path: Path, data: bytes) -> None:
    if path.suffix.lower() not in TEXT_SUFFIXES:
        return
    text = data.decode("utf-8", errors="replace")
    for marker in INSTRUCTOR_MARKERS:
        if marker in text:
            raise BundleError(f"{path}: contains '{marker}', which only the instructor version may hold; "
                              "it was not packed and no zip was written")


def _book_file(relative: Path, data: bytes) -> bytes:
    """The book's copy of a file, changed only where file:// needs it."""
    if relative.as_posix() == "_static/documentation_options.js":
        # Sphinx's search fetches each result page for a summary; browsers refuse fetch() on file://.
        return data.replace(b"SHOW_SEARCH_SUMMARY: true", b"SHOW_SEARCH_SUMMARY: false")
    return data


def entries(book: Path = DEFAULT_BOOK, repo: Path = REPO):
    """(name inside the zip, bytes) for everything the bundle holds, in a stable order."""
    if not (book / "index.html").is_file() or not (book / "searchindex.js").is_file():
        raise BundleError(f"{book}: the book is not built yet. Run `make book` first, then `make bundle`.")
    yield f"{TOP}/START-HERE.txt", start_here_txt().encode("utf-8")
    yield f"{TOP}/START-HERE.html", start_here_html().encode("utf-8")
    for path in _files(book):
        relative = path.relative_to(book)
        yield f"{TOP}/{relative.as_posix()}", _book_file(relative, path.read_bytes())
    for folder in ("notebooks", "exercises"):
        source = repo / folder
        if not source.is_dir():
            raise BundleError(f"{source}: missing; the bundle needs the lesson notebooks and the student exercises")
        for path in _files(source):
            # The workshop's pre-test and post-test stay out: a learner who had the zip before the
            # post-test could read its questions, and the learning gain would mean nothing.
            if path.suffix == ".ipynb" and path.relative_to(source).parts[0] not in content.WORKSHOP_TESTS:
                yield f"{TOP}/jupyter/{folder}/{path.relative_to(source).as_posix()}", path.read_bytes()


def make_bundle(book: Path = DEFAULT_BOOK, out: Path = DEFAULT_ZIP, repo: Path = REPO) -> Bundle:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".zip.part")
    count = 0
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            for name, data in entries(book, repo):
                if "solutions/" in name or name.endswith("assessment.yaml"):
                    raise BundleError(f"{name}: an instructor file was about to be packed; no zip was written")
                _check_not_instructor(Path(name), data)
                archive.writestr(name, data)
                count += 1
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return Bundle(out, count, out.stat().st_size)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolkit_course.bundle",
                                     description="Write the offline course bundle (one zip) from the built book.")
    parser.add_argument("--book", type=Path, default=DEFAULT_BOOK, help="the built book (default: _build/html)")
    parser.add_argument("--out", type=Path, default=DEFAULT_ZIP, help="the zip to write")
    args = parser.parse_args(argv)
    try:
        bundle = make_bundle(args.book, args.out)
    except BundleError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"{bundle.path}  ({bundle.files} files, {bundle.size / 1_048_576:.1f} MB)")
    print("Copy it to a USB stick. Learners unzip it and double-click index.html (see START-HERE.html inside).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
