"""`make handouts`: one printable PDF per module, from the built book's own module pages.

For each module page in _build/html/notebooks/, a copy of the page is changed before printing (the
book itself is never changed):
- each interactive component is replaced by a question sheet with space to answer (handout_sheets.py);
- every answer and piece of feedback is collected on a last page, for the facilitator;
- the page's scripts are dropped: paper needs no behaviour, and nothing can fetch anything;
- the data tables under figures are opened, and figures keep their alt text;
- the print stylesheet (static/toolkit-print.css) removes the navigation.
The copy is then printed by Debian's Chromium (print_pdf.py), offline.

Usage: python -m toolkit_course.handouts [--book _build/html] [--out _build/handouts] [SLUG ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bs4 import BeautifulSoup

from . import content, handout_sheets
from .components.strings import STRINGS, text
from .print_pdf import html_to_pdf

REPO = Path(__file__).resolve().parents[2]
DEFAULT_BOOK = REPO / "_build" / "html"
DEFAULT_OUT = REPO / "_build" / "handouts"
PRINT_CSS = Path(__file__).resolve().parent / "static" / "toolkit-print.css"


class HandoutError(RuntimeError):
    """A handout could not be made; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Handout:
    slug: str
    title: str
    pdf: Path
    exercises: tuple[handout_sheets.PrintedComponent, ...]


def module_page(book: Path, slug: str) -> Path:
    page = book / "notebooks" / f"{slug}.html"
    if not page.is_file():
        raise HandoutError(f"{page}: the module page is missing. Build the book first with `make book` "
                           f"(it writes {DEFAULT_BOOK.relative_to(REPO)}), then run `make handouts` again.")
    return page


def _print_component(slug: str, section, number_label: str, has_case_cards: bool) -> handout_sheets.PrintedComponent:
    kind = section.get("data-tc-component")
    if kind == "quiz":
        ids = [f["data-question"] for f in section.select("[data-question]")]
        return handout_sheets.quiz(slug, ids, number_label)
    if kind == "checklist":
        return handout_sheets.checklist(slug, number_label)
    if kind == "scenario":
        return handout_sheets.scenario(slug, number_label)
    if kind == "classifier":
        return handout_sheets.classifier(slug, number_label, facts_elsewhere=has_case_cards)
    raise HandoutError(f"{slug}: the page has a component of kind '{kind}' that has no paper version "
                       f"(known: quiz, checklist, scenario, classifier)")


def handout_html(page: Path, slug: str) -> tuple[str, str, list[handout_sheets.PrintedComponent]]:
    """The printable copy of a module page: (html, module title, the exercises in page order)."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article") or soup.body
    if article is None or article.find("h1") is None:
        raise HandoutError(f"{page}: no article with a title (h1) found; is this a page of the built book?")
    heading = article.find("h1")
    for anchor in heading.select("a.headerlink"):
        anchor.decompose()
    title = heading.get_text(" ", strip=True)

    printed = []
    sections = article.select("[data-tc-component]")
    case_ids = {c["id"] for c in content.load(slug, "cases")["cases"]} if content.module_path(slug, "cases").exists() else set()
    has_case_cards = bool(case_ids) and any(case_ids & {q.get("data-question") for q in s.select("[data-question]")}
                                            for s in sections)
    for number, section in enumerate(sections, start=1):
        component = _print_component(slug, section, text("print_exercise_number", number=number), has_case_cards)
        printed.append(component)
        # The whole component goes, with every answer, feedback block and data script it carries.
        section.replace_with(BeautifulSoup(component.sheet_html, "html.parser"))

    answers = soup.new_tag("section", attrs={"class": "tc-print-answers", "aria-labelledby": "tc-print-answers-title"})
    answers.append(BeautifulSoup(
        f'<h2 id="tc-print-answers-title">{STRINGS["print_answers_title"]}</h2>'
        f'<p>{STRINGS["print_answers_intro"]}</p>'
        f'<p><strong>{title}</strong></p>', "html.parser"))
    for component in printed:
        answers.append(BeautifulSoup(component.answers_html, "html.parser"))
    if printed:
        article.append(answers)

    for script in soup.find_all("script"):
        script.decompose()
    for details in article.select("details"):
        details["open"] = ""
    # Resources (styles, images) still load from the book's folder, though the copy is elsewhere.
    head = soup.head or soup
    head.insert(0, soup.new_tag("base", href=page.parent.resolve().as_uri() + "/"))
    head.append(soup.new_tag("link", rel="stylesheet", href=PRINT_CSS.as_uri(), media="print"))
    return str(soup), title, printed


def make_handout(book: Path, slug: str, out: Path, workdir: Path) -> Handout:
    page = module_page(book, slug)
    html, title, printed = handout_html(page, slug)
    copy = workdir / f"{slug}.html"
    copy.write_text(html, encoding="utf-8")
    blocked: list[str] = []
    pdf = html_to_pdf(copy, out / f"{slug}.pdf", media="print", blocked=blocked)
    if blocked:
        raise HandoutError(f"{page}: the page tried to load from other hosts while printing: {blocked[:5]}")
    return Handout(slug, title, pdf, tuple(printed))


def make_handouts(book: Path = DEFAULT_BOOK, out: Path = DEFAULT_OUT, slugs: list[str] | None = None,
                  report=print) -> tuple[list[Handout], list[str]]:
    """Print every module (or the given ones). One bad module never stops the others: its error is listed."""
    slugs = slugs or content.published_slugs()
    if not (book / "index.html").is_file():
        raise HandoutError(f"{book}: the book is not built yet. Run `make book` first, then `make handouts`.")
    made, errors = [], []
    with tempfile.TemporaryDirectory(prefix="toolkit-handouts-") as workdir:
        for slug in slugs:
            try:
                handout = make_handout(book, slug, out, Path(workdir))
            except (HandoutError, handout_sheets.SheetError, content.ContentError, OSError, RuntimeError) as error:
                errors.append(str(error))
                report(f"FAILED {slug}: {error}")
                continue
            made.append(handout)
            report(f"{handout.pdf}  ({len(handout.exercises)} exercises, {handout.pdf.stat().st_size // 1024} KB)")
    return made, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m toolkit_course.handouts",
                                     description="Print one handout PDF per module from the built book.")
    parser.add_argument("slugs", nargs="*", help="modules to print (default: every published module)")
    parser.add_argument("--book", type=Path, default=DEFAULT_BOOK, help="the built book (default: _build/html)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the PDFs go (default: _build/handouts)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.slugs) - set(content.published_slugs()))
    if unknown:
        print(f"Unknown module(s): {', '.join(unknown)}. Known: {', '.join(content.published_slugs())}", file=sys.stderr)
        return 2
    try:
        made, errors = make_handouts(args.book, args.out, args.slugs or None)
    except HandoutError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"{len(made)} handout(s) written to {args.out}" + (f"; {len(errors)} failed (see above)" if errors else ""))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
