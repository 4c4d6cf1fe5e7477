"""Render a module's assessment.yaml as an nbgrader instructor notebook.

The notebook in solutions/<slug>/ is a build product of the YAML file, never
edited by hand: a test regenerates it and fails if the committed copy is stale.
nbgrader then makes the student version in exercises/<slug>/ from it.

Each auto-graded item becomes four cells, one job each:
  prompt (read-only)  ->  answer (learner types "b")  ->  format check (read-only,
  visible)  ->  hidden test (graded, points).
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from . import content

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def notebook_name(slug: str) -> str:
    return f"{slug}-assessment.ipynb"


def solution_path(root: Path, slug: str) -> Path:
    return Path(root) / "solutions" / slug / notebook_name(slug)


def _meta(grade_id: str, *, grade=False, solution=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _markdown(grade_id: str, text: str, **flags) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_markdown_cell(text.strip(), metadata=_meta(grade_id, **flags))
    cell.id = grade_id  # stable ids keep regeneration byte-identical
    return cell


def _code(grade_id: str, source: str, **flags) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source.strip(), metadata=_meta(grade_id, **flags))
    cell.id = grade_id
    return cell


def _introduction(slug: str, spec: dict) -> str:
    total = sum(item["points"] for item in spec["items"])
    manual = sum(r["points"] for r in spec["reflections"])
    return f"""
# {spec['title']}

**Module:** {content.module_title(slug)}

**Points:** {total} points for the questions that are marked automatically, and {manual} points for the
written reflection, which your facilitator marks by hand. **Pass mark: {spec['pass_mark_percent']}%** of all
{total + manual} points.

{spec['introduction'].strip()}

**How to answer.** Each question has a grey answer box like this one:

```python
answer_example = ""
```

Type the letter or word of your answer between the quotes, in this form: `answer_example = "c"`. Then run the box
(press **Shift + Enter**) and run the check box below it. The check tells you if your answer is one of the
allowed options. It does not tell you if your answer is right: that happens when your facilitator grades the
assessment. Do not change the name on the left of the `=` sign.
"""


def _item_prompt(number: int, item: dict) -> str:
    options = "\n".join(f'- `"{value}"`: {meaning}' for value, meaning in item["options"].items())
    points = "point" if item["points"] == 1 else "points"
    return f"""
## Question {number} ({item['points']} {points})

{item['prompt'].strip()}

Allowed answers for `{item['variable']}`:

{options}
"""


def _answer_cell(item: dict) -> str:
    # The line above BEGIN SOLUTION survives in the student version, so learners
    # start from an empty answer they only have to fill in. The hint names no
    # option, so it cannot be mistaken for the answer.
    return f"""
# Type one of the allowed answers listed above between the quotes, then press Shift + Enter.
{item['variable']} = ""
### BEGIN SOLUTION
{item['variable']} = {json.dumps(item['answer'])}
### END SOLUTION
"""


def _check_cell(item: dict) -> str:
    return f"check_answer({json.dumps(item['variable'])}, {item['variable']}, {json.dumps(list(item['options']))})"


def _hidden_test(item: dict) -> str:
    # "".__class__ is str itself and cannot be rebound by the learner, and str's
    # methods reject non-strings, so an object that merely claims equality fails.
    return f"""
# This cell marks question {item['id']} when the assessment is graded.
### BEGIN HIDDEN TESTS
assert "".__class__.lower("".__class__.strip({item['variable']})) == {json.dumps(item['answer'])}
### END HIDDEN TESTS
"""


def _reflection_cell(reflection: dict) -> str:
    return f"""
### BEGIN SOLUTION
**Marking rubric (instructor version only).**

{reflection['rubric'].strip()}
### END SOLUTION
"""


def build(slug: str) -> nbformat.NotebookNode:
    spec = content.load(slug, "assessment")
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": KERNELSPEC, "language_info": {"name": "python"}})
    cells = [
        _markdown("introduction", _introduction(slug, spec), locked=True),
        _code("setup", "from toolkit_course.answer_checks import check_answer", locked=True),
    ]
    for number, item in enumerate(spec["items"], start=1):
        cells += [
            _markdown(f"{item['id']}-prompt", _item_prompt(number, item), locked=True),
            _code(f"{item['id']}-answer", _answer_cell(item), solution=True),
            _code(f"{item['id']}-check", _check_cell(item), locked=True),
            _code(item["id"], _hidden_test(item), grade=True, locked=True, points=item["points"]),
        ]
    for reflection in spec["reflections"]:
        points = "point" if reflection["points"] == 1 else "points"
        cells += [
            _markdown(f"{reflection['id']}-prompt",
                      f"## Reflection ({reflection['points']} {points}, marked by your facilitator)\n\n"
                      f"{reflection['prompt'].strip()}\n\nWrite your answer in the box below. Double-click it to edit.",
                      locked=True),
            _markdown(reflection["id"], _reflection_cell(reflection), grade=True, solution=True,
                      points=reflection["points"]),
        ]
    nb.cells = cells
    return nb


def fill_answers(notebook: nbformat.NotebookNode, answers: dict[str, str], *, code: dict[str, str] | None = None,
                 reflections: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """A copy of a student notebook filled in as a learner would, for tests and benchmarks.

    answers maps an item id to the value typed between the quotes; code maps an item id to
    source that replaces its whole answer cell (say, a renamed variable); reflections maps a
    reflection id to its written text. Items left out stay unanswered.
    """
    filled = nbformat.from_dict(json.loads(json.dumps(notebook)))
    code, reflections = code or {}, reflections or {}
    for cell in filled.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        item_id = grade_id.removesuffix("-answer")
        if grade_id.endswith("-answer") and item_id in code:
            cell.source = code[item_id]
        elif grade_id.endswith("-answer") and item_id in answers:
            variable = cell.source.split("\n")[1].split("=")[0].strip()  # the line under the hint
            cell.source = f"{variable} = {json.dumps(answers[item_id])}"
        elif grade_id in reflections:
            cell.source = reflections[grade_id]
    return filled


def render_text(slug: str) -> str:
    return nbformat.writes(build(slug)) + "\n"


def write(root: Path, slug: str) -> Path:
    path = solution_path(root, slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_text(slug), encoding="utf-8")
    return path
