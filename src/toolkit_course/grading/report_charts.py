"""What the anonymous reports share: embedded chart images and their template environment.

Charts are drawn with matplotlib's object API (no pyplot, so no display or global state) and
embedded as base64 PNG, so a report is one file that opens offline and prints to PDF with
nothing loaded from anywhere. Every chart carries alt text that states its numbers in words.
Only figures that survived small-group suppression may be drawn: a bar for a hidden group
would give its value away.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import jinja2
from matplotlib.figure import Figure


@dataclass(frozen=True)
class Chart:
    title: str
    alt: str
    png_base64: str


def png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def environment() -> jinja2.Environment:
    # autoescape: anything that came from a file (an agenda, a cleared comment) is shown as text, never as HTML.
    return jinja2.Environment(loader=jinja2.PackageLoader("toolkit_course", "templates"), autoescape=True,
                              undefined=jinja2.StrictUndefined)
