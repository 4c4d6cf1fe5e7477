"""Disaggregated data explorer: GLOTIP shares of detected victims, by sex and age or by form of exploitation."""

from __future__ import annotations

import base64
import csv
import io
from collections import defaultdict

import ipywidgets as widgets
from matplotlib.figure import Figure  # object API, no pyplot: see figure_png

from .. import content
from ..content import ContentError
from ..palette import HATCHES, OKABE_ITO
from .base import Component, render

VIEWS = {
    "sex-age": ("glotip-victims-by-sex-and-age.csv", "Detected victims of trafficking by sex and age"),
    "forms": ("glotip-forms-of-exploitation.csv", "Detected victims of trafficking by form of exploitation"),
}
COLUMNS = ("edition", "published", "data_year", "group", "percent", "found_in")
CAVEAT = ("These are shares of victims detected and reported by national authorities, not of all victims: "
          "they do not measure how many people are trafficked. A change can reflect detection as much as crime. "
          "Each edition reports data mainly for a year about two years before it was published. "
          "Figures were found in secondary summaries of the reports.")


def load_rows(view: str) -> list[dict]:
    filename, _ = VIEWS[view]
    path = content.content_root() / "data" / filename
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if tuple(reader.fieldnames or ()) != COLUMNS:
                raise ContentError(path, "header", f"columns must be {', '.join(COLUMNS)}; found {reader.fieldnames}")
            rows = list(reader)
    except FileNotFoundError:
        raise ContentError(path, "", "file not found") from None
    for line, row in enumerate(rows, start=2):
        try:
            row["percent"] = float(row["percent"])
        except (TypeError, ValueError):
            raise ContentError(path, f"row {line}", f"percent: '{row['percent']}' is not a number") from None
        if not 0 <= row["percent"] <= 100:
            raise ContentError(path, f"row {line}", f"percent: {row['percent']} is outside 0-100")
        if not row["found_in"]:
            raise ContentError(path, f"row {line}", "found_in: every figure needs its source")
    return rows


def _by_edition(rows: list[dict]) -> tuple[list[str], list[str], dict]:
    editions, groups, values = [], [], defaultdict(dict)
    for row in rows:
        label = f"{row['edition']}\n({row['data_year']} data)"
        if label not in editions:
            editions.append(label)
        if row["group"] not in groups:
            groups.append(row["group"])
        values[label][row["group"]] = row["percent"]
    return editions, groups, values


def alt_text(view: str, rows: list[dict]) -> str:
    editions, groups, values = _by_edition(rows)
    parts = []
    for edition in editions:
        shares = ", ".join(f"{g} {values[edition][g]:.0f}%" for g in groups if g in values[edition])
        parts.append(f"{edition.replace(chr(10), ' ')}: {shares}")
    return f"Bar chart. {VIEWS[view][1]}, share of detected victims in per cent. " + "; ".join(parts) + "."


def figure_png(view: str, rows: list[dict]) -> bytes:
    # matplotlib's object API draws straight to PNG without pyplot, so this module never selects or
    # changes the backend: the learner's own charts in a lesson keep displaying inline.
    editions, groups, values = _by_edition(rows)
    fig = Figure(figsize=(8, 4.2), dpi=100)
    ax = fig.subplots()
    width = 0.8 / len(groups)
    for index, group in enumerate(groups):
        xs = [e + (index - (len(groups) - 1) / 2) * width for e in range(len(editions))]
        heights = [values[ed].get(group, 0) for ed in editions]
        bars = ax.bar(xs, heights, width, label=group, color=OKABE_ITO[index], hatch=HATCHES[index], edgecolor="white")
        ax.bar_label(bars, labels=[f"{h:.0f}%" if h else "" for h in heights], fontsize=8, padding=2)
    ax.set_xticks(range(len(editions)), editions)
    ax.set_ylabel("Share of detected victims (%)")
    ax.set_title(VIEWS[view][1])
    ax.set_ylim(0, max(r["percent"] for r in rows) * 1.2)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, ncols=len(groups), loc="upper center", bbox_to_anchor=(0.5, -0.16))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return compressed_png(buffer.getvalue())


def compressed_png(png: bytes, colours: int = 64) -> bytes:
    """The same chart in a 64-colour palette: a quarter of the bytes for learners on slow links.

    A bar chart has eight flat colours plus the shades anti-aliasing adds at their edges, so 64
    colours keep it looking the same (and the text crisp).
    """
    from PIL import Image  # Pillow comes with matplotlib

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=colours, method=Image.Quantize.MEDIANCUT)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def figure_html(view: str) -> str:
    rows = load_rows(view)
    editions, groups, values = _by_edition(rows)
    return render("data_figure.html.j2", title=VIEWS[view][1], alt=alt_text(view, rows), caveat=CAVEAT,
                  png=base64.b64encode(figure_png(view, rows)).decode("ascii"),
                  editions=editions, groups=groups, values=values,
                  sources=sorted({f"{r['edition']}: {r['found_in']}" for r in rows}))


class DataExplorer(Component):
    def __init__(self, view: str = "sex-age"):
        if view not in VIEWS:
            raise ValueError(f"unknown view '{view}'; choose one of {', '.join(VIEWS)}")
        self.view = view
        self.figure = widgets.HTML(figure_html(view))
        self.picker = widgets.ToggleButtons(
            options=[("By sex and age", "sex-age"), ("By form of exploitation", "forms")], value=view,
            description="Show:")
        self.picker.observe(lambda change: self.show(change["new"]), names="value")
        self.widget = widgets.VBox([self.picker, self.figure])

    def show(self, view: str) -> None:
        self.view = view
        self.picker.value = view
        self.figure.value = figure_html(view)

    def static_html(self) -> str:
        return figure_html(self.view)
