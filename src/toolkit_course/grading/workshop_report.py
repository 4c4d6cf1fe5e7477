"""The workshop report: participation, learning gain, evaluations, certificates and the agenda, for a donor.

Only aggregates leave this module. Every count of people goes through the shared small-group
suppression (suppression.py); every group mean is shown only for groups the suppression lets
through. Charts draw only figures that are shown in the tables, so a chart never gives a hidden
value away. Free-text comments are counted, and quoted only when the facilitator says they have
read and cleared them (and then sorted, so their order does not follow the forms' order).

The report is one HTML file with its charts embedded; workshop_report_cli.py also prints it to PDF.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from ..palette import HATCHES, OKABE_ITO
from . import suppression
from .cohort_report import NOT_RECORDED, group_of
from .learning_gain import CONFIDENCE, Gain, Pair, gain
from .report_charts import Chart, environment, png
from .roster import LEARNER_ROLES, PROFESSIONS, SEX_CATEGORIES, Learner
from .terminal_text import safe_for_terminal
from .workshop_inputs import EVALUATION_QUESTIONS, Agenda, Evaluations, Scores

ALL = "all participants"
TEST_COLUMNS = ("both tests", "pre-test only", "post-test only", "neither test")
BANDS = (("1–2 (low)", (1, 2)), ("3", (3,)), ("4–5 (high)", (4, 5)))
QUESTION_TEXT = {
    "relevance": "How relevant was the workshop to your work?",
    "quality": "How would you rate the quality of the workshop?",
    "confidence": "How confident are you to apply what you learned?",
}


@dataclass
class WorkshopData:
    """Everything the report is made from. Only the roster holds names; the report never reads them."""

    people: list[Learner]  # everyone on the roster
    scores: Scores | None = None
    evaluations: Evaluations | None = None
    agenda: Agenda | None = None
    certified: set[str] | None = None  # None: no certificate register
    title: str = "Workshop report"
    comments_cleared: bool = False
    threshold: int = suppression.DEFAULT_THRESHOLD
    notes: list[str] = field(default_factory=list)


def participants(data: WorkshopData) -> list[Learner]:
    return [person for person in data.people if person.is_learner]


def sex_groups(people: Sequence[Learner]) -> list[str]:
    """The roster's categories in their order, "not recorded" last; only groups someone is in."""
    present = {group_of(p.sex) for p in people}
    return [g for g in (*SEX_CATEGORIES, NOT_RECORDED) if g in present]


def profession_groups(people: Sequence[Learner]) -> list[str]:
    """The roster's professions in their order, "not recorded" last; only groups someone is in."""
    present = {group_of(p.profession) for p in people}
    return [g for g in (*PROFESSIONS, NOT_RECORDED) if g in present]


def professions_recorded(people: Sequence[Learner]) -> bool:
    """Whether the roster gives anyone's profession; if nobody's, the report leaves the breakdown out."""
    return any(p.profession for p in people)


def roles(people: Sequence[Learner]) -> list[str]:
    """Roles as the roster writes them: learners' roles first, then the others, alphabetically."""
    present = {p.role for p in people}
    return sorted(present, key=lambda role: (role not in LEARNER_ROLES, role))


# ---------------------------------------------------------------- participation and who took the tests
#
# Participation by sex and the number who took the tests by sex are margins and cells of ONE table
# (sex x test taking), suppressed together; so are participation by role and test taking by role.
# Suppressing them separately could hide a count in one table that the other gives away by subtraction.


@dataclass(frozen=True)
class CountRow:
    label: str
    count: suppression.Cell
    percent: str


def _status(person: Learner, scores: Scores) -> str:
    pre, post = person.id in scores.pre, person.id in scores.post
    return TEST_COLUMNS[0] if pre and post else TEST_COLUMNS[1] if pre else TEST_COLUMNS[2] if post else TEST_COLUMNS[3]


def breakdown(people: Sequence[Learner], labels: list[str], member: Callable[[Learner, str], bool],
              scores: Scores | None, threshold: int) -> suppression.Table:
    """People by group, and by test taking when there are scores: one suppressed table with its margins."""
    sizes = [sum(member(p, g) for p in people) for g in labels]
    # The group sizes are hidden exactly as in every other report on the same people (suppression.group_sizes).
    pattern = suppression.group_sizes(labels, sizes, threshold)
    if scores is None:
        return suppression.suppress_table(labels, ["people"], [[n] for n in sizes], threshold=threshold,
                                          row_totals_as=pattern)
    counts = [[sum(member(p, g) and _status(p, scores) == column for p in people) for column in TEST_COLUMNS]
              for g in labels]
    return suppression.suppress_table(labels, TEST_COLUMNS, counts, threshold=threshold, row_totals_as=pattern)


def _count_rows(table: suppression.Table, total_label: str) -> tuple[list[CountRow], CountRow]:
    total = table.grand_total
    rows = [CountRow(label, table.row_totals[i], suppression.percent_text(table.row_totals[i], total))
            for i, label in enumerate(table.rows)]
    return rows, CountRow(total_label, total, suppression.percent_text(total, total))


def is_sex(person: Learner, group: str) -> bool:
    return group_of(person.sex) == group


def has_role(person: Learner, role: str) -> bool:
    return person.role == role


def has_profession(person: Learner, group: str) -> bool:
    return group_of(person.profession) == group


def profession_table(data: WorkshopData) -> suppression.Table | None:
    """Participants by profession, or None if the roster records no one's.

    Not crossed with test taking, for the same reason as the role table: it is a second partition
    of the participants, and crossing it with the same test-taking columns as the sex table could
    let one table give away a count the other hides. Learning gain by profession therefore
    publishes no exact group sizes either (see learning()).
    """
    people = participants(data)
    if not professions_recorded(people):
        return None
    return breakdown(people, profession_groups(people), has_profession, None, data.threshold)


def tables(data: WorkshopData) -> tuple[suppression.Table, suppression.Table]:
    """(participants by sex, crossed with test taking if there are scores; everyone on the roster by role).

    The role table is not crossed with test taking: facilitators and observers take no tests, so
    their zeros are known to every reader and would protect nothing. Learning gain by role
    therefore publishes no exact group sizes (see learning()).
    """
    people = participants(data)
    return (breakdown(people, sex_groups(people), is_sex, data.scores, data.threshold),
            breakdown(data.people, roles(data.people), has_role, None, data.threshold))


def participation(data: WorkshopData, by_sex_table: suppression.Table, by_role_table: suppression.Table,
                  by_profession_table: suppression.Table | None = None) -> dict:
    by_sex, sex_total = _count_rows(by_sex_table, ALL)
    by_role, role_total = _count_rows(by_role_table, "everyone on the roster")
    by_profession, profession_total = (_count_rows(by_profession_table, ALL) if by_profession_table
                                       else ([], None))
    return {"by_sex": by_sex, "sex_total": sex_total, "by_role": by_role, "role_total": role_total,
            "by_profession": by_profession, "profession_total": profession_total,
            "chart": participation_chart(by_sex, data.threshold)}


def participation_chart(rows: list[CountRow], threshold: int) -> Chart | None:
    shown = [row for row in rows if row.count.shown]
    if not shown:
        return None
    figure = Figure(figsize=(6, 0.5 * len(shown) + 1.3))
    axes = figure.add_subplot()
    positions = np.arange(len(shown))
    for i, row in enumerate(shown):
        axes.barh(i, row.count.value, color=OKABE_ITO[i % 8], hatch=HATCHES[i % 8], edgecolor="black")
    axes.set_yticks(positions, [row.label for row in shown])
    axes.invert_yaxis()
    axes.set_xlabel("Participants")
    axes.xaxis.get_major_locator().set_params(integer=True)
    hidden = [row.label for row in rows if row.count.suppressed]
    alt = ("Bar chart of participants by sex: " + "; ".join(f"{r.label}: {r.count.value} ({r.percent})" for r in shown)
           + "." + (f" Not drawn, to protect small groups: {', '.join(hidden)}." if hidden else ""))
    return Chart("Participants by sex", alt, png(figure))


# ---------------------------------------------------------------- learning gain


@dataclass(frozen=True)
class GainRow:
    label: str
    n: str
    shown: bool
    pre: str
    post: str
    raw: str
    normalised: str
    gain: Gain | None  # only for shown rows (charts)


def _pairs(scores: Scores, people: Sequence[Learner]) -> list[Pair]:
    return [Pair(scores.pre[p.id], scores.post[p.id]) for p in people if p.id in scores.pre and p.id in scores.post]


def _gain_row(label: str, figures: Gain, n: suppression.Cell, hidden: bool, threshold: int) -> GainRow:
    if hidden:
        # A score or gain is never shown as "<5": in these columns it would read as a value.
        mark = suppression.HIDDEN_BY_SECONDARY
        return GainRow(label, n.text, False, mark, mark, mark, mark, None)
    if figures.normalised.n < threshold:  # those at the maximum before left too few for this one figure
        normalised = suppression.HIDDEN_BY_SECONDARY + " (the others scored the maximum before)"
    else:
        normalised = figures.normalised.text(2)
    return GainRow(label, n.text, True, figures.pre.text(1, "%"), figures.post.text(1, "%"),
                   figures.raw.text(1), normalised, figures)


def gain_rows(data: WorkshopData, table: suppression.Table, member: Callable[[Learner, str], bool],
              population: Sequence[Learner]) -> list[GainRow]:
    """One row per group of the table; a group's figures are shown only if its number of pairs is shown."""
    both = table.columns.index(TEST_COLUMNS[0])
    figures = [gain(_pairs(data.scores, [p for p in population if member(p, g)])) for g in table.rows]
    cells = [table.cells[i][both] for i in range(len(table.rows))]
    hidden = suppression.suppress_statistics([(None, f.pairs) for f in figures],
                                             size_hidden=[c.suppressed for c in cells], threshold=data.threshold)
    return [_gain_row(g, figures[i], cells[i], hidden[i].suppressed, data.threshold) for i, g in enumerate(table.rows)]


def gain_rows_without_sizes(data: WorkshopData, groups: list[str], member: Callable[[Learner, str], bool],
                            population: Sequence[Learner]) -> list[GainRow]:
    """Like gain_rows, for groups whose sizes are not published in any table: the size reads "N or more"."""
    figures = [gain(_pairs(data.scores, [p for p in population if member(p, g)])) for g in groups]
    hidden = suppression.suppress_statistics([(None, f.pairs) for f in figures], threshold=data.threshold)
    rows = []
    for i, group in enumerate(groups):
        size = suppression.Cell(figures[i].pairs, hidden[i].suppressed, figures[i].pairs < data.threshold,
                                data.threshold)
        row = _gain_row(group, figures[i], size, hidden[i].suppressed, data.threshold)
        rows.append(row if not row.shown else GainRow(
            row.label, f"{data.threshold} or more", True, row.pre, row.post, row.raw, row.normalised, row.gain))
    return rows


def learning(data: WorkshopData, by_sex_table: suppression.Table) -> dict | None:
    if data.scores is None:
        return None
    people = participants(data)
    both = by_sex_table.column_totals[0]
    overall_figures = gain(_pairs(data.scores, people))
    overall = _gain_row(ALL, overall_figures, both, both.suppressed, data.threshold)
    by_sex = gain_rows(data, by_sex_table, is_sex, people)
    test_roles = roles([p for p in people if p.id in data.scores.pre or p.id in data.scores.post])
    # One role: the same figures as the overall row. Several: only the roles of people who took a test.
    by_role = gain_rows_without_sizes(data, test_roles, has_role, people) if len(test_roles) > 1 else []
    takers = [p for p in people if p.id in data.scores.pre or p.id in data.scores.post]
    test_professions = profession_groups(takers) if professions_recorded(people) else []
    by_profession = (gain_rows_without_sizes(data, test_professions, has_profession, people)
                     if len(test_professions) > 1 else [])
    taking = [(column, by_sex_table.column_totals[i], suppression.percent_text(by_sex_table.column_totals[i],
                                                                                by_sex_table.grand_total))
              for i, column in enumerate(TEST_COLUMNS)]
    return {"taking": taking, "participants": by_sex_table.grand_total, "overall": overall, "by_sex": by_sex,
            "by_role": by_role, "by_profession": by_profession,
            "single_role": test_roles[0] if len(test_roles) == 1 else None, "source": data.scores.source,
            "at_maximum": overall_figures.at_maximum if overall.shown else None,
            "charts": [c for c in (scores_chart([overall, *by_sex]), gain_chart([overall, *by_sex, *by_role, *by_profession])) if c]}


def scores_chart(rows: list[GainRow]) -> Chart | None:
    shown = [row for row in rows if row.shown and row.gain.pre.low is not None]
    if not shown:
        return None
    figure = Figure(figsize=(7, 3.6))
    axes = figure.add_subplot()
    positions = np.arange(len(shown))
    width = 0.38
    for offset, (name, pick) in enumerate((("pre-test", lambda g: g.pre), ("post-test", lambda g: g.post))):
        estimates = [pick(row.gain) for row in shown]
        means = [e.mean for e in estimates]
        errors = [[e.mean - e.low for e in estimates], [e.high - e.mean for e in estimates]]
        axes.bar(positions + (offset - 0.5) * width, means, width, yerr=errors, capsize=4, label=name,
                 color=OKABE_ITO[offset], hatch=HATCHES[offset], edgecolor="black")
    axes.set_xticks(positions, [f"{row.label}\n(n={row.n})" for row in shown])
    axes.set_ylim(0, 100)
    axes.set_ylabel("Mean score (% of maximum)")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    alt = ("Bar chart of mean pre-test and post-test scores with 95% confidence intervals, for participants who took "
           "both tests. " + "; ".join(f"{row.label} ({row.n} participants): pre-test {row.pre}, post-test {row.post}"
                                      for row in shown) + ".")
    hidden = [row.label for row in rows if not row.shown]
    if hidden:
        alt += f" Not drawn, to protect small groups: {', '.join(hidden)}."
    return Chart("Pre-test and post-test scores", alt, png(figure))


def gain_chart(rows: list[GainRow]) -> Chart | None:
    shown = [row for row in rows if row.shown and row.gain.raw.low is not None]
    if not shown:
        return None
    figure = Figure(figsize=(7, 0.55 * len(shown) + 1.4))
    axes = figure.add_subplot()
    means = [row.gain.raw.mean for row in shown]
    errors = [[row.gain.raw.mean - row.gain.raw.low for row in shown], [row.gain.raw.high - row.gain.raw.mean
                                                                          for row in shown]]
    positions = np.arange(len(shown))
    axes.errorbar(means, positions, xerr=errors, fmt="o", color=OKABE_ITO[5], ecolor="black", capsize=4, markersize=7)
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_yticks(positions, [f"{row.label} (n={row.n})" for row in shown])
    axes.invert_yaxis()
    axes.set_xlabel("Mean raw gain, post-test minus pre-test (percentage points), with 95% confidence interval")
    alt = ("Dot chart of the mean raw learning gain with 95% confidence intervals. "
           + "; ".join(f"{row.label} ({row.n} participants): {row.raw} percentage points" for row in shown) + ".")
    return Chart("Learning gain", alt, png(figure))


# ---------------------------------------------------------------- evaluations


def evaluation(data: WorkshopData) -> dict | None:
    if data.evaluations is None:
        return None
    ev, threshold = data.evaluations, data.threshold
    counts = [[sum(r in values for r in ev.ratings[q]) for _, values in BANDS] for q in EVALUATION_QUESTIONS]
    table = suppression.suppress_table(list(EVALUATION_QUESTIONS), [b for b, _ in BANDS], counts, row_totals=True,
                                       column_totals=False, threshold=threshold)
    means = [suppression.suppress_statistics([(sum(ev.ratings[q]) / len(ev.ratings[q]) if ev.ratings[q] else None,
                                               len(ev.ratings[q]))], overall_shown=False, threshold=threshold)[0]
             for q in EVALUATION_QUESTIONS]
    rows = [{"question": QUESTION_TEXT[q], "answered": table.row_totals[i], "bands": [
        (cell, suppression.percent_text(cell, table.row_totals[i])) for cell in table.cells[i]],
        "mean": means[i].text("{:.1f}".format)} for i, q in enumerate(EVALUATION_QUESTIONS)]
    forms_table = suppression.suppress_table(["forms"], ["with a comment", "without"],
                                             [[len(ev.comments), ev.forms - len(ev.comments)]],
                                             row_totals=True, column_totals=False, threshold=threshold)
    comments = sorted(safe_for_terminal(c, 2000) for c in ev.comments) if data.comments_cleared else []
    return {"rows": rows, "bands": [b for b, _ in BANDS], "forms": forms_table.row_totals[0],
            "with_comment": forms_table.cells[0][0], "comments": comments, "cleared": data.comments_cleared}


# ---------------------------------------------------------------- certificates


def certification(data: WorkshopData) -> dict | None:
    """Participants holding a certificate, overall only.

    Not by sex: certified-by-sex would be a second partition of the participants by sex, and
    suppressed on its own it could give away a count that the participation table hides.
    """
    if data.certified is None:
        return None
    people = participants(data)
    certified = sum(p.id in data.certified for p in people)
    table = suppression.suppress_table([ALL], ["certified", "not certified"], [[certified, len(people) - certified]],
                                       column_totals=False, threshold=data.threshold)
    return {"certified": table.cells[0][0], "of": table.row_totals[0],
            "percent": suppression.percent_text(table.cells[0][0], table.row_totals[0])}


# ---------------------------------------------------------------- the report


def render(data: WorkshopData) -> str:
    by_sex, by_role = tables(data)
    by_profession = profession_table(data)
    return environment().get_template("workshop_report.html.j2").render(
        title=data.title, threshold=data.threshold, below=suppression.below(data.threshold),
        hidden=suppression.HIDDEN_BY_SECONDARY, participation=participation(data, by_sex, by_role, by_profession),
        learning=learning(data, by_sex),
        evaluation=evaluation(data), certification=certification(data), agenda=data.agenda,
        confidence=f"{CONFIDENCE:.0%}", sex_categories=SEX_CATEGORIES, not_recorded=NOT_RECORDED,
        learner_roles=sorted(LEARNER_ROLES), professions=PROFESSIONS,
        notes=data.notes)


def write_html(data: WorkshopData, out: Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(data), encoding="utf-8")
    return out


def write_pdf(html: Path, pdf: Path) -> Path:
    """Print the HTML with Debian's Chromium; fail if the page tried to load anything from elsewhere."""
    from ..print_pdf import html_to_pdf

    blocked: list[str] = []
    html_to_pdf(html, pdf, blocked=blocked)
    if blocked:
        raise RuntimeError(f"{html}: the report tried to load from other hosts: {', '.join(blocked)}")
    return Path(pdf)
