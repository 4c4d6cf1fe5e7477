"""Every figure a lesson draws appears in the built book.

`--nbval-lax` only checks that a lesson runs; a chart can silently vanish (for example when some
import switches matplotlib to a non-displaying backend) and the text under it then describes a
figure that is not there. So each lesson is run in a real kernel in which every matplotlib Figure
that gets created is counted, cell by cell, whatever the backend; then each cell that drew a
figure is found in the built HTML page of the lesson and must show an image there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbclient import NotebookClient

from toolkit_course import content

REPO = Path(__file__).resolve().parents[1]
PUBLISHED = content.published_slugs()
PACKAGE = REPO / "src" / "toolkit_course"

# Runs first in the lesson's kernel. Counting in Figure.__init__ catches pyplot and the object API
# alike, and does not depend on the backend, so a figure that is never displayed is still counted.
COUNT_FIGURES = """
import matplotlib.figure as _tc_figure
_tc_new_figures = [0]
_tc_original_init = _tc_figure.Figure.__init__
def _tc_counting_init(self, *args, **kwargs):
    _tc_new_figures[0] += 1
    _tc_original_init(self, *args, **kwargs)
_tc_figure.Figure.__init__ = _tc_counting_init
def _tc_take():
    count, _tc_new_figures[0] = _tc_new_figures[0], 0
    return count
"""
# Runs after every lesson code cell: prints how many figures that cell created.
TAKE_COUNT = "print(_tc_take())"


def _shown(cell) -> bool:
    """Whether myst-nb puts the code cell on the page at all (remove-cell drops it)."""
    return cell.cell_type == "code" and "remove-cell" not in cell.metadata.get("tags", [])


def figures_drawn(slug: str) -> dict[int, int]:
    """Lesson cell index -> number of matplotlib figures that cell created, for cells that created any."""
    lesson = nbformat.read(REPO / "notebooks" / f"{slug}.ipynb", as_version=4)
    run = nbformat.v4.new_notebook(metadata=lesson.metadata)
    run.cells = [nbformat.v4.new_code_cell(COUNT_FIGURES)]
    probes: dict[int, int] = {}  # lesson cell index -> index of the probe cell that follows it
    for index, cell in enumerate(lesson.cells):
        run.cells.append(nbformat.from_dict(json.loads(json.dumps(cell))))
        if cell.cell_type == "code":
            probes[index] = len(run.cells)
            run.cells.append(nbformat.v4.new_code_cell(TAKE_COUNT))
    NotebookClient(run, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(REPO / "notebooks")}}).execute()
    counts = {index: int(next(o.text for o in run.cells[probe].outputs if o.get("name") == "stdout"))
              for index, probe in probes.items()}
    return {index: count for index, count in counts.items() if count}


def page_cells(built_book: Path, slug: str) -> list:
    """The code cells of the lesson's built page, in order (myst-nb renders each as div.cell)."""
    page = built_book / "notebooks" / f"{slug}.html"
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").select("div.cell")


def test_no_module_of_the_package_changes_the_matplotlib_backend():
    """The learner's kernel owns the backend; the package draws with the object API (Figure) only."""
    changes = re.compile(r"matplotlib\.use\(|switch_backend\(|rcParams\[[\"']backend[\"']\]\s*=|rc\([\"']backend")
    found = [f"{path.relative_to(REPO)}:{number}: {line.strip()}"
             for path in sorted(PACKAGE.rglob("*.py"))
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             if changes.search(line)]
    assert not found, "the package changes matplotlib's backend:\n" + "\n".join(found)


def test_showing_the_data_explorer_leaves_the_backend_to_the_learner():
    script = ("import sys, matplotlib\n"
              "from toolkit_course import show\n"
              "show.data_explorer('sex-age').show('forms')\n"
              "print('matplotlib.pyplot' in sys.modules, matplotlib.rcParams._get_backend_or_none())\n")
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "None"], "importing or drawing the explorer chose a backend"


@pytest.mark.slow
@pytest.mark.parametrize("slug", PUBLISHED)
def test_every_figure_a_lesson_draws_is_in_the_built_book(built_book, slug):
    lesson = nbformat.read(REPO / "notebooks" / f"{slug}.ipynb", as_version=4)
    shown = [index for index, cell in enumerate(lesson.cells) if _shown(cell)]
    on_page = page_cells(built_book, slug)
    assert len(on_page) == len(shown), (
        f"{slug}: the built page has {len(on_page)} code cells, the lesson shows {len(shown)}; "
        "cannot match cells to the page")
    drawn = figures_drawn(slug)
    missing = []
    for index, figures in drawn.items():
        assert index in shown, f"{slug}: cell {index} draws a figure but is removed from the page (remove-cell)"
        html = on_page[shown.index(index)]
        images = html.select(".cell_output img")
        first_line = lesson.cells[index].source.strip().splitlines()[0]
        if not images:
            missing.append(f"cell {index} ({first_line!r}) draws {figures} figure(s) but shows no image")
        for image in images:
            # A screen-reader user hears the alt text; myst-nb falls back to the image's file path, which says nothing.
            alt = (image.get("alt") or "").strip()
            if not alt or alt == image.get("src") or alt.endswith((".png", ".svg", ".jpg")):
                missing.append(f"cell {index} ({first_line!r}) shows an image without alt text "
                               '(set the cell metadata "mystnb": {"image": {"alt": "..."}})')
    assert not missing, f"{slug}: " + "; ".join(missing)


@pytest.mark.slow
def test_the_figure_counter_sees_the_lesson_charts():
    """Guards the check itself: lesson 03 draws its participation chart, and the data explorer's figures."""
    slug = "03-gender-equality"
    if slug not in PUBLISHED:
        pytest.skip(f"{slug} is not published")
    lesson = nbformat.read(REPO / "notebooks" / f"{slug}.ipynb", as_version=4)
    drawn = figures_drawn(slug)
    sources = [lesson.cells[index].source for index in drawn]
    assert any("participants" in source for source in sources), drawn
    assert any("show.data_explorer" in source for source in sources), drawn
