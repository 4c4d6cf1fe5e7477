"""Render a module's assessment.yaml as an nbgrader instructor notebook.

The notebook in solutions/<slug>/ is a build product of the YAML file, never
edited by hand: a test regenerates it and fails if the committed copy is stale.
nbgrader then makes the student version in exercises/<slug>/ from it.

Each auto-graded item becomes four cells, one job each:
  prompt (read-only)  ->  answer (learner types "b")  ->  format check (read-only,
  visible)  ->  hidden test (graded, points).
A computed item (the learner writes code that computes values, say from a CSV file) has
the same four cells, its answer box holding starter code; it may add a hand-graded plot.

Every answer box carries, in its metadata, what grading must read from it (see
grading/declarations.py): grading reads literal answers from the text of the box and
runs computed ones in the sandbox, and runs the hidden tests in its own process.

Under the introduction, an "About you" box (grade id ABOUT_YOU_ID) asks for the learner id
or e-mail the facilitator gave out. It is not graded and declares nothing to grading;
`toolkit-course collect` reads it as text (never runs it) to match an e-mailed file to a
learner, and cross-checks it with the file's name.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat

from . import content
from .answer_checks import ANSWER_TYPES, fits_type
from .grading import layout
from .grading.declarations import COMPUTED, LITERAL, METADATA_KEY, PLOT

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
notebook_name = layout.notebook_name
ABOUT_YOU_ID = "about-you"  # grade id of the box grading/collect.py reads
ABOUT_YOU_VARIABLE = "my_learner_id"


def solution_path(root: Path, slug: str) -> Path:
    return Path(root) / layout.SOURCE / slug / notebook_name(slug)


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


def _code(grade_id: str, source: str, *, answer: dict | None = None, **flags) -> nbformat.NotebookNode:
    """A code cell; `answer` declares what grading reads from it (kind, names and types, data files)."""
    cell = nbformat.v4.new_code_cell(source.strip(), metadata=_meta(grade_id, **flags))
    if answer:
        cell.metadata[METADATA_KEY] = answer
    cell.id = grade_id
    return cell


def _introduction(slug: str, spec: dict) -> str:
    computed = spec.get("computed", [])
    total = sum(item["points"] for item in spec["items"] + computed)
    manual = sum(r["points"] for r in spec["reflections"]) + sum(c["plot"]["points"] for c in computed if "plot" in c)
    if slug in content.WORKSHOP_TESTS:  # no reflection and no pass mark: it measures the workshop, not the learner
        heading = f"**Test:** {content.module_title(slug)}\n\n**Points:** {total}, all marked automatically."
    else:
        heading = f"""**Module:** {content.module_title(slug)}

**Points:** {total} points for the questions that are marked automatically, and {manual} points for the
written reflection, which your facilitator marks by hand. **Pass mark: {spec['pass_mark_percent']}%** of all
{total + manual} points."""
    return f"""
# {spec['title']}

{heading}

{spec['introduction'].strip()}

**How to answer.** Each question has a grey answer box like this one:

```python
answer_example = ""
```

Type the letter or word of your answer between the quotes, in this form: `answer_example = "c"`. Then run the box
(press **Shift + Enter**) and run the check box below it. The check tells you if your answer is one of the
allowed options. It does not tell you if your answer is right: that happens when your facilitator grades the
assessment. Do not change the name on the left of the `=` sign.

When your assessment is graded, only that line is read: any other code in an answer box is not run.
{_COMPUTED_HOW if computed else ""}"""


_COMPUTED_HOW = """
**Questions that ask you to compute.** Some questions give you a box of starting code. Write your code in
that box, run it, then run the check box below it: the check tells you if each value you must compute has
been set, and is of the right kind. When your assessment is graded, the code in those boxes is run again,
on its own, away from the rest of the notebook, so put all the code a question needs in its box.
"""


_ABOUT_YOU_PROMPT = f"""
## About you (not graded)

In the grey box below, type **your learner id or your e-mail address, exactly as it is on your facilitator's
list**, between the quotes. For example: `{ABOUT_YOU_VARIABLE} = "learner07"` or
`{ABOUT_YOU_VARIABLE} = "name@example.org"`. Then run the box (press **Shift + Enter**).

This box earns no points. It lets your facilitator match this notebook to you, even if the file's name
changes when you save or send it (for example "Copy of assessment (2).ipynb").
"""


def _about_you_cell() -> str:
    # Like an answer box: the line above BEGIN SOLUTION is what the learner fills in. The
    # solution region must exist (nbgrader would otherwise empty the box) and holds only a note.
    return f"""
# Type your learner id or e-mail between the quotes, then press Shift + Enter.
{ABOUT_YOU_VARIABLE} = ""
### BEGIN SOLUTION
# (Instructor version: each learner types their own id or e-mail above. This box is not graded.)
### END SOLUTION
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
    # The grader runs this on the plain value read from the answer box; normalise_answer is
    # the same rule the learner's check uses, so a slip the check accepts is never marked wrong.
    return f"""
# This cell marks question {item['id']} when the assessment is graded.
### BEGIN HIDDEN TESTS
from toolkit_course.answer_checks import normalise_answer
assert normalise_answer({item['variable']}) == {json.dumps(item['answer'])}
### END HIDDEN TESTS
"""


# ---------------------------------------------------------------- computed items

def _computed_prompt(number: int, item: dict) -> str:
    points = "point" if item["points"] == 1 else "points"
    wanted = "\n".join(f"- `{a['name']}`: {a['description']} ({ANSWER_TYPES[a['type']]})" for a in item["answers"])
    data = (f"\n\nThe data are in the file `{item['data_file']}`, in the same folder as this notebook."
            if item.get("data_file") else "")
    return f"""
## Question {number} ({item['points']} {points})

{item['prompt'].strip()}{data}

Your code in the box below must set:

{wanted}
"""


def _computed_answer_cell(item: dict) -> str:
    return f"""
{item.get('starter_code', '').strip()}
### BEGIN SOLUTION
{item['solution_code'].strip()}
### END SOLUTION
"""


def _computed_check_cell(item: dict) -> str:
    declared = {a["name"]: a["type"] for a in item["answers"]}
    return f"check_values(globals(), {json.dumps(declared)})"


def _computed_test(item: dict) -> str:
    checks = "\n".join(f"assert matches({a['name']}, {json.dumps(a['expected'])}, {a.get('tolerance', 0)})"
                       for a in item["answers"])
    return f"""
# This cell marks question {item['id']} when the assessment is graded.
### BEGIN HIDDEN TESTS
from toolkit_course.answer_checks import matches
{checks}
### END HIDDEN TESTS
"""


def _plot_cell(plot: dict) -> str:
    return f"""
{plot.get('starter_code', '').strip()}
### BEGIN SOLUTION
# Marking rubric (instructor version only):
{_commented(plot['rubric'])}
{plot['solution_code'].strip()}
### END SOLUTION
"""


def _commented(text: str) -> str:
    return "\n".join(f"# {line}".rstrip() for line in text.strip().splitlines())


def _check_computed(slug: str, spec: dict) -> None:
    """What the schema cannot say about computed items; a mistake names the file, the item and the field."""
    path = content.module_path(slug, "assessment")
    taken = {i["id"] for i in spec["items"] + spec["reflections"]} | {i["variable"] for i in spec["items"]}
    for index, item in enumerate(spec.get("computed", [])):
        label = f"computed[{index}] (id '{item['id']}')"
        if item["id"] in taken:
            raise content.ContentError(path, label, f"id: '{item['id']}' is used by another item")
        taken.add(item["id"])
        if item.get("data_file") and not (content.content_root() / "data" / item["data_file"]).is_file():
            raise content.ContentError(path, label, f"data_file: no file content/data/{item['data_file']}")
        for answer in item["answers"]:
            if answer["name"] in taken:
                raise content.ContentError(path, label, f"answers: the name '{answer['name']}' is used twice")
            taken.add(answer["name"])
            if not fits_type(answer["expected"], answer["type"]):
                raise content.ContentError(path, label, f"answers: expected value of '{answer['name']}' is not "
                                                        f"{ANSWER_TYPES[answer['type']]}")


def _computed_cells(number: int, item: dict) -> list[nbformat.NotebookNode]:
    declared = {"answer": COMPUTED, "names": {a["name"]: a["type"] for a in item["answers"]},
                "data_files": [item["data_file"]] if item.get("data_file") else []}
    cells = [
        _markdown(f"{item['id']}-prompt", _computed_prompt(number, item), locked=True),
        _code(f"{item['id']}-answer", _computed_answer_cell(item), solution=True, answer=declared),
        _code(f"{item['id']}-check", _computed_check_cell(item), locked=True),
        _code(item["id"], _computed_test(item), grade=True, locked=True, points=item["points"]),
    ]
    if "plot" in item:
        plot = item["plot"]
        points = "point" if plot["points"] == 1 else "points"
        cells += [
            _markdown(f"{item['id']}-plot-prompt",
                      f"## Chart for question {number} ({plot['points']} {points}, marked by your facilitator)\n\n"
                      f"{plot['prompt'].strip()}\n\nWrite the code that draws the chart in the box below. "
                      "It runs after the box above, so it can use the values you computed there.", locked=True),
            _code(f"{item['id']}-plot", _plot_cell(plot), grade=True, solution=True, points=plot["points"],
                  answer={"answer": PLOT}),
        ]
    return cells


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
    _check_computed(slug, spec)
    computed = spec.get("computed", [])
    checks = "check_answer, check_values" if computed else "check_answer"
    cells = [
        _markdown("introduction", _introduction(slug, spec), locked=True),
        _markdown(f"{ABOUT_YOU_ID}-prompt", _ABOUT_YOU_PROMPT, locked=True),
        _code(ABOUT_YOU_ID, _about_you_cell(), solution=True),
        _code("setup", f"from toolkit_course.answer_checks import {checks}", locked=True),
    ]
    for number, item in enumerate(spec["items"], start=1):
        literal = {"answer": LITERAL, "names": {item["variable"]: "text"}}
        cells += [
            _markdown(f"{item['id']}-prompt", _item_prompt(number, item), locked=True),
            _code(f"{item['id']}-answer", _answer_cell(item), solution=True, answer=literal),
            _code(f"{item['id']}-check", _check_cell(item), locked=True),
            _code(item["id"], _hidden_test(item), grade=True, locked=True, points=item["points"]),
        ]
    for number, item in enumerate(computed, start=len(spec["items"]) + 1):
        cells += _computed_cells(number, item)
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
                 reflections: dict[str, str] | None = None, about_you: str | None = None) -> nbformat.NotebookNode:
    """A copy of a student notebook filled in as a learner would, for tests and benchmarks.

    answers maps an item id to the value typed between the quotes; code maps an item id to
    source that replaces its whole answer cell (say, a renamed variable, or a computed item's
    code), or the grade id of another code box the learner writes in (say "c1-plot") to its
    source; reflections maps a reflection id to its written text. Items left out stay unanswered.
    about_you is what the learner types in the About-you box (None leaves it as released).
    """
    filled = nbformat.from_dict(json.loads(json.dumps(notebook)))
    code, reflections = code or {}, reflections or {}
    for cell in filled.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        item_id = grade_id.removesuffix("-answer")
        if grade_id.endswith("-answer") and item_id in code:
            cell.source = code[item_id]
        elif grade_id.endswith("-answer") and item_id in answers:
            # The assignment under the hint (or alone, in a notebook answered once already).
            variable = next(line.split("=")[0].strip() for line in cell.source.splitlines()
                            if "=" in line and not line.lstrip().startswith("#"))
            cell.source = f"{variable} = {json.dumps(answers[item_id])}"
        elif grade_id == ABOUT_YOU_ID and about_you is not None:
            cell.source = f"{ABOUT_YOU_VARIABLE} = {json.dumps(about_you)}"
        elif grade_id in reflections:
            cell.source = reflections[grade_id]
        elif grade_id in code and cell.metadata["nbgrader"].get("solution") and cell.cell_type == "code":
            cell.source = code[grade_id]  # another box the learner writes in, such as a computed item's plot
    return filled


def render_text(slug: str) -> str:
    return nbformat.writes(build(slug)) + "\n"


def write(root: Path, slug: str) -> Path:
    """Write the instructor notebook, and the data files its computed items read, into solutions/<slug>/.

    nbgrader copies the data files into the student version, and grading hands them to the sandbox.
    """
    path = solution_path(root, slug)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_text(slug), encoding="utf-8")
    for item in content.load(slug, "assessment").get("computed", []):
        if item.get("data_file"):
            shutil.copyfile(content.content_root() / "data" / item["data_file"], path.parent / item["data_file"])
    return path
