"""A rebuild is never stale: editing a content file rebuilds the lesson that shows it, and only that.

The book is built in a scratch copy of the course holding one lesson (the real notebook, the real
content folder, the real _config.yml with its extension), with TOOLKIT_COURSE_CONTENT pointing
the lesson's kernel and the extension at the copy's content.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from toolkit_course.book_theme import freshness

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SLUG = "01-trafficking-and-smuggling"
OTHER_SLUG = "02-human-rights-based-approach"
pytestmark = pytest.mark.slow

TOC = f"""format: jb-book
root: index
chapters:
  - file: notebooks/{SLUG}
"""


@pytest.fixture(scope="module")
def scratch_book(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("rebuild") / "course"
    (root / "notebooks").mkdir(parents=True)
    shutil.copy(REPO / "_config.yml", root)
    (root / "_toc.yml").write_text(TOC, encoding="utf-8")
    (root / "index.md").write_text("# Scratch book\n\nOne lesson, to test rebuilds.\n", encoding="utf-8")
    # A folder of notes outside the table of contents, like a dependency's READMEs in a checkout.
    (root / "notes").mkdir()
    (root / "notes" / "first.md").write_text("# Notes\n", encoding="utf-8")
    shutil.copy(REPO / "notebooks" / f"{SLUG}.ipynb", root / "notebooks")
    shutil.copytree(REPO / "content", root / "content")
    # The course package too, so that the build and the lesson's kernel run this copy (PYTHONPATH,
    # below): the test can edit it, and edits others make in the checkout meanwhile cannot reach it.
    shutil.copytree(REPO / "src" / "toolkit_course", root / "src" / "toolkit_course",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root


def scratch_env(root: Path) -> dict[str, str]:
    return {**os.environ, "TOOLKIT_COURSE_CONTENT": str(root / "content"),
            "PYTHONPATH": os.pathsep.join([str(root / "src"), os.environ.get("PYTHONPATH", "")])}


def test_the_scratch_book_runs_its_own_copy_of_the_course(scratch_book):
    result = subprocess.run([sys.executable, "-c", "import toolkit_course; print(toolkit_course.__file__)"],
                            capture_output=True, text=True, env=scratch_env(scratch_book), check=True)
    assert result.stdout.strip().startswith(str(scratch_book))


def build(root: Path) -> str:
    env = scratch_env(root)
    # Warnings are errors, as in `make book`: a lesson that fails to run must fail the build, not
    # leave a page without its outputs.
    result = subprocess.run([str(BIN / "jupyter-book"), "build", str(root), "--warningiserror", "--nitpick",
                             "--keep-going", "--builder", "html"],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, f"build failed:\n{result.stdout[-4000:]}\n{result.stderr[-3000:]}"
    return result.stdout + result.stderr


def lesson_html(root: Path) -> str:
    return (root / "_build" / "html" / "notebooks" / f"{SLUG}.html").read_text(encoding="utf-8")


def question_on_page(root: Path, question_id: str) -> str:
    """The text of one quiz question as the built page shows it: its fieldset, without markup."""
    match = re.search(rf'<fieldset[^>]*data-question="{re.escape(question_id)}"[^>]*>(.*?)</fieldset>',
                      lesson_html(root), flags=re.S)
    assert match, f"question {question_id} is not on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def edit_first_question(quiz: Path, new_prompt: str) -> tuple[str, str]:
    """Give the first question new wording; return its id and its old wording."""
    data = yaml.safe_load(quiz.read_text(encoding="utf-8"))
    question = data["questions"][0]
    old_prompt, question["prompt"] = question["prompt"], new_prompt
    quiz.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8")
    return question["id"], old_prompt


def lesson_ran(root: Path) -> bool:
    return "Executing notebook" in build(root)


def test_an_edited_question_reaches_the_page_and_nothing_else_reruns(scratch_book):
    assert lesson_ran(scratch_book)
    quiz = scratch_book / "content" / SLUG / "quiz.yaml"
    marker = "Which of these facts shows the means element (edited for the rebuild test)?"
    question_id, old_prompt = edit_first_question(quiz, marker)
    assert old_prompt in question_on_page(scratch_book, question_id)

    assert lesson_ran(scratch_book), "the lesson whose quiz.yaml changed was not run again"
    shown = question_on_page(scratch_book, question_id)
    assert marker in shown and old_prompt not in shown, f"the old question is still on the page: {shown[:300]}"

    # Nothing changed: nothing runs.
    assert not lesson_ran(scratch_book)
    # A file outside the book appears (it used to change exclude_patterns, which rebuilt everything).
    (scratch_book / "notes" / "second.md").write_text("# More notes\n", encoding="utf-8")
    assert not lesson_ran(scratch_book)
    # Another module's content is not this lesson's business.
    edit_first_question(scratch_book / "content" / OTHER_SLUG / "quiz.yaml", "Another module's edited question?")
    assert not lesson_ran(scratch_book)
    # A shared content file, a component template and the course code are.
    package = scratch_book / "src" / "toolkit_course"
    for shared in (scratch_book / "content" / "legal-elements.yaml", package / "templates" / "quiz.html.j2",
                   package / "components" / "quiz.py"):
        comment = "\n{# edited #}\n" if shared.suffix == ".j2" else "\n# edited\n"
        shared.write_text(shared.read_text(encoding="utf-8") + comment, encoding="utf-8")
        assert lesson_ran(scratch_book), f"editing {shared.relative_to(scratch_book)} did not run the lesson again"


def test_a_lesson_depends_on_the_course_code_it_runs_and_its_own_module():
    source = (REPO / "notebooks" / f"{SLUG}.ipynb").read_text(encoding="utf-8")
    files = {str(p.relative_to(REPO)) for p in freshness.dependencies(source)}
    for needed in ("src/toolkit_course/show.py", "src/toolkit_course/content.py",
                   "src/toolkit_course/legal_analysis.py", "src/toolkit_course/components/quiz.py",
                   "src/toolkit_course/templates/quiz.html.j2", f"content/{SLUG}/quiz.yaml",
                   "content/legal-elements.yaml", "content/schemas/quiz.schema.yaml"):
        assert needed in files, needed
    assert not any(f.startswith(("src/toolkit_course/grading/", f"content/{OTHER_SLUG}/")) for f in files)


def test_the_digest_changes_with_any_byte(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("a: 1\n")
    second.write_text("b: 2\n")
    before = freshness.digest([first, second])
    assert freshness.digest([first, second]) == before
    second.write_text("b: 3\n")
    assert freshness.digest([first, second]) != before
    assert freshness.digest([first]) != freshness.digest([first, second])
