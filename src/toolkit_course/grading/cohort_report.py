"""The cohort report: one self-contained HTML file with charts, for the facilitator only.

It names learners. The version that may leave the facilitator's hands (for a donor) is
summary_report.py, which shows only aggregates with small groups suppressed.

Charts are drawn with matplotlib's object API (no pyplot, so no display or global
state is needed) and embedded as base64 PNG, each with alt text that states the
same numbers in words. Colours are the Okabe-Ito palette, which stays distinct for
the common kinds of colour blindness, and groups are also told apart by hatching.
"""

from __future__ import annotations

import base64
import io
import statistics
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np
from matplotlib.figure import Figure

from ..palette import HATCHES, OKABE_ITO
from .results import PASSED, Cohort, Module
from .roster import SEX_CATEGORIES
from .suppression import DEFAULT_THRESHOLD

NOT_RECORDED = "not recorded"
# This report names learners and stays with the facilitator, so small groups are only marked, not
# hidden; the same size is the one the anonymous reports hide (suppression.py).
SMALL_GROUP = DEFAULT_THRESHOLD


@dataclass(frozen=True)
class Chart:
    title: str
    alt: str
    png_base64: str


@dataclass(frozen=True)
class ItemStats:
    item_id: str
    label: str
    answered: int
    difficulty: float | None  # proportion correct (share of points for hand-graded items)
    discrimination: float | None  # corrected point-biserial correlation

    @property
    def advice(self) -> str:
        notes = []
        if self.difficulty is not None and self.difficulty >= 0.9:
            notes.append("very easy")
        if self.difficulty is not None and self.difficulty <= 0.3:
            notes.append("very hard")
        if self.discrimination is None:
            notes.append("separation not measurable (everyone scored the same)")
        elif self.discrimination < 0:
            notes.append("stronger learners did worse on it: check the item and its answer")
        elif self.discrimination < 0.2:
            notes.append("separates stronger from weaker learners poorly")
        return "; ".join(notes) or "fine"


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def group_of(sex: str) -> str:
    """The learner's group: a roster category ("prefers not to say" is one), or "not recorded"."""
    return sex or NOT_RECORDED


def groups(cohort: Cohort) -> list[str]:
    """The groups present, in the roster's order of categories, "not recorded" last."""
    present = {group_of(learner.sex) for learner in cohort.learners}
    return [group for group in (*SEX_CATEGORIES, NOT_RECORDED) if group in present] + sorted(
        present - {*SEX_CATEGORIES, NOT_RECORDED})


def module_percents(cohort: Cohort, module: Module, group: str | None = None) -> list[float]:
    return [result.percent for learner in cohort.learners
            if (result := cohort.result(learner.id, module.slug)) is not None
            and (group is None or group_of(learner.sex) == group)]


# ---------------------------------------------------------------- item analysis


def _correlation(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 3 or np.std(xs) == 0 or np.std(ys) == 0:
        return None
    return float(np.corrcoef(xs, ys)[0, 1])


def item_statistics(cohort: Cohort, module: Module) -> list[ItemStats]:
    """Difficulty and discrimination of every item, from the learners who submitted.

    Discrimination correlates each learner's item score with their score on the
    *rest* of the assessment, so an item is not credited for agreeing with itself.
    """
    results = [r for learner in cohort.learners if (r := cohort.result(learner.id, module.slug))]
    labels = {item["id"]: f"Q{n}" for n, item in enumerate(module.spec["items"], start=1)}
    labels.update({r["id"]: "Reflection" for r in module.spec["reflections"]})
    stats = []
    for item_id in module.item_ids:
        shares, rests = [], []
        for result in results:
            item = result.item(item_id)
            if item is None or item.waiting or not item.max_score:
                continue
            shares.append(item.score / item.max_score)
            rests.append(result.score - item.score)
        stats.append(ItemStats(item_id, labels[item_id], len(shares),
                               statistics.fmean(shares) if shares else None, _correlation(shares, rests)))
    return stats


# ---------------------------------------------------------------- charts


def distribution_chart(cohort: Cohort, module: Module) -> Chart:
    figure = Figure(figsize=(7, 3.4))
    axes = figure.add_subplot()
    bins = np.arange(0, 110, 10)
    chosen = groups(cohort) if cohort.breakdown_available else [None]
    data = [module_percents(cohort, module, group) for group in chosen]
    axes.hist(data, bins=bins, stacked=True, edgecolor="black",
              color=OKABE_ITO[:len(chosen)], hatch=None, label=[g or "all learners" for g in chosen])
    for patches, hatch in zip(axes.containers, HATCHES):
        for patch in patches:
            patch.set_hatch(hatch)
    axes.axvline(module.pass_mark_percent, color="black", linestyle="--", linewidth=1.5)
    axes.set_title(f"Dashed line: pass mark {module.pass_mark_percent:g}%", fontsize=10)
    axes.set_xlabel("Score (% of all points)")
    axes.set_ylabel("Learners")
    axes.set_xlim(0, 100)
    axes.yaxis.get_major_locator().set_params(integer=True)
    if cohort.breakdown_available:
        axes.legend(title="Sex", loc="upper left", bbox_to_anchor=(1.01, 1))
    everyone = module_percents(cohort, module)
    passed = sum(cohort.status(learner.id, module.slug) == PASSED for learner in cohort.learners)
    alt = (f"Histogram of scores in {module.title}: {len(everyone)} learners graded"
           + (f", median {statistics.median(everyone):.0f}%, lowest {min(everyone):.0f}%, highest {max(everyone):.0f}%"
              if everyone else "")
           + f"; {passed} passed the pass mark of {module.pass_mark_percent:g}%.")
    if cohort.breakdown_available:
        alt += " By sex: " + "; ".join(
            f"{g}: {len(p)} learners" + (f", median {statistics.median(p):.0f}%" if p else "")
            for g, p in zip(chosen, data)) + "."
    return Chart(f"Score distribution: {module.title}", alt, _png(figure))


def item_chart(module: Module, stats: list[ItemStats]) -> Chart:
    figure = Figure(figsize=(7, 5), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True)
    labels = [s.label for s in stats]
    positions = np.arange(len(stats))
    top.bar(positions, [s.difficulty or 0 for s in stats], color=OKABE_ITO[0], edgecolor="black")
    top.set_ylim(0, 1)
    top.set_ylabel("Proportion correct")
    top.set_title("How hard each item was (higher = easier)")
    bottom.bar(positions, [s.discrimination or 0 for s in stats], color=OKABE_ITO[1], edgecolor="black", hatch="//")
    bottom.axhline(0.2, color="black", linestyle="--", linewidth=1)
    bottom.axhline(0, color="black", linewidth=0.8)
    bottom.set_ylim(-1, 1)
    bottom.set_ylabel("Discrimination")
    bottom.set_title("How well each item separates stronger from weaker learners (dashed line: 0.2)")
    bottom.set_xticks(positions, labels)

    def words(value: float | None) -> str:
        return "not measurable" if value is None else f"{value:.2f}"
    alt = (f"Item analysis for {module.title}. " + "; ".join(
        f"{s.label}: proportion correct {words(s.difficulty)}, discrimination {words(s.discrimination)}"
        for s in stats) + ".")
    return Chart(f"Item analysis: {module.title}", alt, _png(figure))


def pass_rate_chart(cohort: Cohort) -> Chart:
    chosen = groups(cohort)
    figure = Figure(figsize=(7, 3.4))
    axes = figure.add_subplot()
    width = 0.8 / max(len(chosen), 1)
    descriptions = []
    for index, group in enumerate(chosen):
        members = [learner for learner in cohort.learners if group_of(learner.sex) == group]
        rates = [100 * sum(cohort.status(m.id, module.slug) == PASSED for m in members) / len(members)
                 for module in cohort.modules]
        positions = np.arange(len(cohort.modules)) + index * width
        axes.bar(positions, rates, width, color=OKABE_ITO[index % 8], hatch=HATCHES[index % 8],
                 edgecolor="black", label=f"{group} (n={len(members)})")
        descriptions.append(f"{group} ({len(members)} learners): "
                            + ", ".join(f"{rate:.0f}% in {m.slug}" for rate, m in zip(rates, cohort.modules)))
    axes.set_xticks(np.arange(len(cohort.modules)) + width * (len(chosen) - 1) / 2,
                    [module.slug.split("-")[0] for module in cohort.modules])
    axes.set_xlabel("Module")
    axes.set_ylabel("Passed (% of group)")
    axes.set_ylim(0, 100)
    axes.legend(title="Sex", loc="upper left", bbox_to_anchor=(1.01, 1))
    alt = "Share of each group who passed, per module. " + "; ".join(descriptions) + "."
    return Chart("Pass rate by sex", alt, _png(figure))


# ---------------------------------------------------------------- the report


def not_passed(cohort: Cohort) -> list[dict]:
    rows = []
    for learner in cohort.learners:
        for module in cohort.modules:
            status = cohort.status(learner.id, module.slug)
            if status != PASSED:
                result = cohort.result(learner.id, module.slug)
                rows.append({"learner": learner, "module": module, "status": status,
                             "percent": f"{result.percent:.0f}%" if result else "",
                             "group": group_of(learner.sex)})
    return rows


def group_summary(cohort: Cohort, module: Module) -> list[dict]:
    rows = []
    for group in groups(cohort):
        members = [learner for learner in cohort.learners if group_of(learner.sex) == group]
        percents = module_percents(cohort, module, group)
        rows.append({"group": group, "members": len(members), "graded": len(percents),
                     "mean": f"{statistics.fmean(percents):.0f}%" if percents else "",
                     "passed": sum(cohort.status(m.id, module.slug) == PASSED for m in members),
                     "small": len(members) < SMALL_GROUP})
    return rows


def item_difficulty_by_group(cohort: Cohort, module: Module) -> list[dict]:
    table = []
    for group in groups(cohort):
        subset = Cohort([lr for lr in cohort.learners if group_of(lr.sex) == group], cohort.modules, cohort.results)
        table.append({"group": group, "values": [
            "" if s.difficulty is None else f"{s.difficulty:.2f}" for s in item_statistics(subset, module)]})
    return table


def render_report(cohort: Cohort, title: str = "Cohort report") -> str:
    sections = []
    for module in cohort.modules:
        stats = item_statistics(cohort, module)
        sections.append({
            "module": module,
            "charts": [distribution_chart(cohort, module), item_chart(module, stats)],
            "item_stats": stats,
            "groups": group_summary(cohort, module) if cohort.breakdown_available else [],
            "item_groups": item_difficulty_by_group(cohort, module) if cohort.breakdown_available else [],
        })
    env = jinja2.Environment(loader=jinja2.PackageLoader("toolkit_course", "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template("cohort_report.html.j2").render(
        title=title, cohort=cohort, sections=sections, not_passed=not_passed(cohort),
        pass_rate=pass_rate_chart(cohort) if cohort.breakdown_available else None,
        off_roster=[learner for learner in cohort.learners if not learner.on_roster], small_group=SMALL_GROUP)


def write_report(cohort: Cohort, out: Path) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(cohort), encoding="utf-8")
    return out
