"""The anonymous summary report: what a donor may receive about a cohort.

Only aggregate figures: how many learners, how many submitted and passed, the mean score,
how hard each item was, and the same counts by sex. No name, id, e-mail or text written by a
learner is read into it. Every count and every group mean goes through the shared
small-group suppression (suppression.py), so no one can be singled out.

How each figure is protected:
- Outcomes (passed / submitted but not passed / did not submit) form one table by sex with
  its totals; the headline counts are that table's totals, so the headline and the breakdown
  are protected together and cannot be played off against each other.
- Mean scores are shown for groups of at least `threshold` learners who submitted, with the
  complementary rule for group means.
- Item difficulty is about items, not people: it is given for the whole cohort only (never
  by sex), as a whole percentage, and only when at least `threshold` learners answered.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..palette import HATCHES, OKABE_ITO
from . import suppression
from .cohort_report import group_of, groups, item_statistics
from .report_charts import Chart, environment, png
from .results import BELOW, MISSING, PASSED, WAITING, Cohort, Module

ALL_LEARNERS = "all learners"
OUTCOMES = ("passed", "submitted, not passed", "did not submit")
_OUTCOME_OF = {PASSED: OUTCOMES[0], BELOW: OUTCOMES[1], WAITING: OUTCOMES[1], MISSING: OUTCOMES[2]}


@dataclass(frozen=True)
class GroupRow:
    group: str
    learners: suppression.Cell
    outcomes: tuple[suppression.Cell, ...]
    submitted: str
    passed_percent: str
    mean: str


@dataclass(frozen=True)
class ItemRow:
    label: str
    share_correct: str


@dataclass(frozen=True)
class ModuleSummary:
    module: Module
    learners: str
    submitted: str
    passed: str
    passed_percent: str
    mean: str
    by_group: list[GroupRow]
    items: list[ItemRow]
    item_chart: Chart | None


def _groups(cohort: Cohort) -> list[str]:
    return groups(cohort) if cohort.breakdown_available else [ALL_LEARNERS]


def _members(cohort: Cohort, group: str):
    return [lr for lr in cohort.learners if group == ALL_LEARNERS or group_of(lr.sex) == group]


def submitted_text(passed: suppression.Cell, not_passed: suppression.Cell,
                   learners: suppression.Cell | None, not_submitted: suppression.Cell) -> str:
    """Submitted = passed + not passed; shown only if it follows from shown cells (else it would reveal them).

    A small result is still shown as "<5", like every other small count, even though it could be
    worked out from the shown cells: the reader should not meet a small number anywhere.
    """
    if passed.shown and not_passed.shown:
        value = passed.value + not_passed.value
    elif learners is not None and learners.shown and not_submitted.shown:
        value = learners.value - not_submitted.value
    else:
        return suppression.HIDDEN_BY_SECONDARY
    return suppression.below(passed.threshold) if value < passed.threshold else str(value)


def summarise_module(cohort: Cohort, module: Module, threshold: int) -> ModuleSummary:
    chosen = _groups(cohort)
    counts, scores = [], []
    for group in chosen:
        members = _members(cohort, group)
        outcome = [_OUTCOME_OF[cohort.status(m.id, module.slug)] for m in members]
        counts.append([outcome.count(name) for name in OUTCOMES])
        scores.append([r.percent for m in members if (r := cohort.result(m.id, module.slug)) is not None])
    # Group sizes hidden exactly as in every other report on these people (the workshop report too).
    sizes = suppression.group_sizes(chosen, [sum(row) for row in counts], threshold)
    table = suppression.suppress_table(chosen, OUTCOMES, counts, threshold=threshold, row_totals_as=sizes)
    means = suppression.suppress_statistics(
        [(statistics.fmean(s) if s else None, len(s)) for s in scores],
        size_hidden=[cell.suppressed for cell in table.row_totals], threshold=threshold)
    everyone = [p for s in scores for p in s]
    overall_mean = suppression.suppress_statistics([(statistics.fmean(everyone) if everyone else None,
                                                     len(everyone))], overall_shown=False, threshold=threshold)[0]
    rows = []
    for index, group in enumerate(chosen):
        cells = table.cells[index]
        rows.append(GroupRow(group, table.row_totals[index], cells,
                             submitted_text(cells[0], cells[1], table.row_totals[index], cells[2]),
                             suppression.percent_text(cells[0], table.row_totals[index]),
                             means[index].text("{:.0f}%".format)))
    totals = table.column_totals
    items = _items(cohort, module, threshold)
    return ModuleSummary(
        module, table.grand_total.text, submitted_text(totals[0], totals[1], table.grand_total, totals[2]),
        totals[0].text, suppression.percent_text(totals[0], table.grand_total), overall_mean.text("{:.0f}%".format),
        rows if cohort.breakdown_available else [], items, _item_chart(module, items))


def _items(cohort: Cohort, module: Module, threshold: int) -> list[ItemRow]:
    rows = []
    for stats in item_statistics(cohort, module):
        if stats.difficulty is None or stats.answered < threshold:
            share = f"fewer than {threshold} answered"
        else:
            share = f"{100 * stats.difficulty:.0f}%"
        rows.append(ItemRow(stats.label, share))
    return rows


def _item_chart(module: Module, items: list[ItemRow]) -> Chart | None:
    shown = [(row.label, float(row.share_correct.rstrip("%"))) for row in items if row.share_correct.endswith("%")]
    if not shown:
        return None
    figure = Figure(figsize=(7, 0.45 * len(shown) + 1.2))
    axes = figure.add_subplot()
    positions = np.arange(len(shown))
    axes.barh(positions, [share for _, share in shown], color=OKABE_ITO[0], hatch=HATCHES[0], edgecolor="black")
    axes.set_yticks(positions, [label for label, _ in shown])
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("Share of learners who got the item right (%)")
    alt = (f"Bar chart of item difficulty in {module.title}: "
           + "; ".join(f"{label}: {share:.0f}% right" for label, share in shown) + ".")
    return Chart(f"Item difficulty: {module.title}", alt, png(figure))


def render_summary(cohort: Cohort, threshold: int = suppression.DEFAULT_THRESHOLD,
                   title: str = "Course results: anonymous summary") -> str:
    summaries = [summarise_module(cohort, module, threshold) for module in cohort.modules]
    return environment().get_template("summary_report.html.j2").render(
        title=title, summaries=summaries, threshold=threshold, by_sex=cohort.breakdown_available,
        below=suppression.below(threshold), hidden=suppression.HIDDEN_BY_SECONDARY, outcomes=OUTCOMES)


def write_summary(cohort: Cohort, out: Path, threshold: int = suppression.DEFAULT_THRESHOLD) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_summary(cohort, threshold), encoding="utf-8")
    return out
