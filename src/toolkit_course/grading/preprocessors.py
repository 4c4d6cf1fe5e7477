"""The course's nbgrader preprocessors, one job each; nbgrader_config.py puts them in nbgrader's pipeline.

Autograde, in place of nbgrader's Execute (which runs the whole notebook, hidden tests
included, in a kernel the learner's code controls):

  ReadLiteralAnswers  reads each answer typed as a plain value from the text of its box;
  RunComputedCells    runs the code of "computed" items in the sandbox, which hands back
                      only the declared answer names, as plain values, and any figures;
  RunHiddenTests      runs each hidden test, taken from the gradebook, in this process,
                      on those values only, and records the outcome as Execute would,
                      so nbgrader's SaveAutoGrades, Formgrader and feedback work as before.

The values travel between them in resources["toolkit_course"]["values"]. Which box holds
which answer comes from the instructor notebook (see declarations.py), never from the
submission.

Feedback (nbgrader generate_feedback and Formgrader's button):

  HideHiddenTests     replaces each hidden test in the page by a sentence, so no feedback
                      page ever shows a test or the answers it checks.
"""

from __future__ import annotations

import base64
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

from .declarations import COMPUTED, LITERAL, PLOT, AnswerCell, DeclarationError, read_declarations, type_problem
from .hidden_tests import run_hidden_test
from .static_answers import is_plain, read_literal_answer

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SHOWN_OUTPUT_CHARACTERS = 5_000


# ---------------------------------------------------------------- shared helpers

def _values(resources: dict) -> dict[str, object]:
    return resources.setdefault("toolkit_course", {}).setdefault("values", {})


def course_directory_of(configurable) -> CourseDirectory:
    """The converter's CourseDirectory, found up the parent chain of a preprocessor or exporter, or one
    built from the same config (Formgrader's feedback exporter uses it too)."""
    node = configurable
    while node is not None:
        if isinstance(getattr(node, "coursedir", None), CourseDirectory):
            return node.coursedir
        node = node.parent
    return CourseDirectory(config=configurable.config)


def _source_folder(preprocessor: NbGraderPreprocessor, resources: dict) -> Path:
    coursedir = course_directory_of(preprocessor)
    return Path(coursedir.format_path(coursedir.source_directory, ".", resources["nbgrader"]["assignment"]))


def _declared(preprocessor: NbGraderPreprocessor, resources: dict, kinds: tuple[str, ...]) -> list[AnswerCell]:
    notebook = _source_folder(preprocessor, resources) / f"{resources['nbgrader']['notebook']}.ipynb"
    declared = read_declarations(notebook)
    if not declared:  # grading on would give every learner 0 without saying why
        raise DeclarationError(f"{notebook}: no answer cell says what grading reads from it; this instructor "
                               "notebook was made by an older version of the course: run `make release`")
    return [cell for cell in declared if cell.kind in kinds]


def _cells_by_grade_id(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """The learner's code cells by nbgrader grade id (nbgrader's DeduplicateIds has made ids unique)."""
    cells = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id and cell.cell_type == "code":
            cells.setdefault(grade_id, cell)
    return cells


def _say(cell: nbformat.NotebookNode, text: str) -> None:
    cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=text.rstrip() + "\n"))


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


# ---------------------------------------------------------------- autograde

class ReadLiteralAnswers(NbGraderPreprocessor):
    """Read each answer typed as a plain value from the text of its box; never run the box."""

    def preprocess(self, nb, resources):
        values, cells = _values(resources), _cells_by_grade_id(nb)
        for declared in _declared(self, resources, (LITERAL,)):
            (name, kind), = declared.names.items()
            cell = cells.get(declared.grade_id)
            if cell is None:
                continue  # the box was deleted: the hidden test will find no answer
            answer = read_literal_answer(cell.source, name)
            message = answer.message()
            if answer.found:
                problem = type_problem(name, answer.value, kind)
                if problem:
                    message += " " + problem
                else:
                    values[name] = answer.value
            _say(cell, message)
        return nb, resources


def run_in_sandbox(sources: list[str], names: list[str], data_files: dict[str, bytes]):
    """The sandbox's run_cells (sandbox.py), imported only when a notebook has code to run."""
    from .sandbox import run_cells

    return run_cells(sources, names, data_files=data_files)


class RunComputedCells(NbGraderPreprocessor):
    """Run the code of computed items (and hand-graded plots) in the sandbox; keep only the declared values.

    Does nothing, and starts nothing, for a notebook without computed items.
    """

    def preprocess(self, nb, resources):
        declared = _declared(self, resources, (COMPUTED, PLOT))
        if not declared:
            return nb, resources
        cells = _cells_by_grade_id(nb)
        present = [(item, cells[item.grade_id]) for item in declared if item.grade_id in cells]
        names = {name: kind for item in declared for name, kind in item.names.items()}
        folder = _source_folder(self, resources)
        data = {name: (folder / name).read_bytes() for item in declared for name in item.data_files}
        result = run_in_sandbox([cell.source for _, cell in present], list(names), data)
        values = _values(resources)
        for item, cell in present:
            if item.kind == COMPUTED:
                _say(cell, self._report(item, result, values))
        computed = [cell for item, cell in present if item.kind == COMPUTED]
        notes = list(getattr(result, "notes", None) or [])
        if computed and notes:  # the sandbox's own plain sentences: a cell that failed, an answer refused
            _say(computed[0], "When the code was run for grading (cells are counted in the order of the boxes "
                              "that were run):\n" + "\n".join(f"- {note}" for note in notes))
        if computed and result.output:
            shown = result.output[:_SHOWN_OUTPUT_CHARACTERS]
            _say(computed[-1], "What the code printed when it was run for grading:\n" + shown
                 + ("\n... (cut)" if len(result.output) > len(shown) else ""))
        plots = [cell for item, cell in present if item.kind == PLOT]
        if plots:
            self._show_figures(plots[0], result.figures)
        return nb, resources

    @staticmethod
    def _report(item: AnswerCell, result, values: dict) -> str:
        lines = [f"The code did not run to the end: {result.error}"] if result.error else []
        for name, kind in item.names.items():
            if name not in result.values:
                lines.append(f"{name} was not set when the code had run, so it cannot be marked.")
                continue
            value = result.values[name]
            problem = type_problem(name, value, kind) or ("" if is_plain(value) else f"{name} is not a plain value.")
            if problem:
                lines.append(problem)
            else:
                values[name] = value
                lines.append(f"Handed back for grading: {name} = {_shown(value)}.")
        return "\n".join(lines)

    @staticmethod
    def _show_figures(cell: nbformat.NotebookNode, figures: list[bytes]) -> None:
        shown = [png for png in figures if png.startswith(_PNG_SIGNATURE)]
        if not shown:
            _say(cell, "No figure was left open when the code had run, so there is no plot to mark.")
        for png in shown:
            cell.outputs.append(nbformat.v4.new_output(
                "display_data", data={"image/png": base64.b64encode(png).decode("ascii"),
                                      "text/plain": "<the learner's figure>"}))


class RunHiddenTests(NbGraderPreprocessor):
    """Run each hidden test, as recorded in the gradebook, in this process on the plain values.

    A test whose cell the learner deleted is put back at the end of the notebook and run
    too, so deleting a test never changes a mark. (nbgrader's own OverwriteCells option
    for this fails when the cell before the test is not a graded cell, as in this course.)
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            hand_graded = {cell.name for cell in notebook.solution_cells}
            sources = {cell.name: cell for cell in notebook.source_cells}
            tests = {cell.name: (sources[cell.name].source, sources[cell.name].checksum, cell.max_score)
                     for cell in notebook.grade_cells if cell.cell_type == "code" and cell.name not in hand_graded}
        present = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells if cell.cell_type == "code"}
        for grade_id in [name for name in tests if name not in present]:
            nb.cells.append(self._put_back(grade_id, *tests[grade_id]))
        values = resources.get("toolkit_course", {}).get("values", {})
        runs = 0
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.cell_type != "code" or grade_id not in tests:
                continue
            source, _, points = tests[grade_id]
            runs += 1
            # The gradebook, not the submission, says what this cell is and what it runs.
            cell.metadata.nbgrader.update(grade=True, solution=False, points=points)
            cell.source = source
            cell.outputs = run_hidden_test(source, values, grade_id)
            cell.execution_count = runs
        return nb, resources

    @staticmethod
    def _put_back(grade_id: str, source: str, checksum: str, points: float) -> nbformat.NotebookNode:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata = {"deletable": False, "editable": False, "nbgrader": {
            "grade": True, "grade_id": grade_id, "locked": True, "checksum": checksum, "points": points,
            "schema_version": 3, "solution": False, "task": False}}
        return cell


# ---------------------------------------------------------------- feedback

HIDDEN_TEST_NOTE = "This question is marked by a hidden test, which is not shown. Your points for it are shown above."


class HideHiddenTests(NbGraderPreprocessor):
    """In feedback pages, replace every hidden test (its code and its outputs) by one plain sentence."""

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            cell.source = f"# {meta.get('grade_id', 'question')}: hidden test (not shown)"
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=HIDDEN_TEST_NOTE + "\n")]
        return cell, resources
