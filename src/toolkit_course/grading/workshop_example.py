"""An example workshop report from synthetic data, so a donor or a new facilitator can see one.

Everything here is invented: the people (their names are "Example Person 01" and so on), their
scores, their evaluation forms and their certificates. The inputs are written as the files a
facilitator would have (roster, scores CSV, evaluations CSV, agenda YAML, certificate register)
and read back through the same code as a real workshop's, so the example shows what the
command really produces. scripts/example-workshop-report.py calls write_example().
"""

from __future__ import annotations

import csv
import json
import random
import tempfile
from pathlib import Path

import yaml

from .. import content
from . import roster as roster_file
from . import workshop_inputs as inputs
from .workshop_report import WorkshopData, write_html, write_pdf

SEED = 2026
SEXES = ["female"] * 13 + ["male"] * 8 + ["prefers not to say"] * 2 + [""]
OTHERS = [("facilitator", "female"), ("facilitator", "male"), ("observer", "")]
# The participants' professions (roster column "profession"), in the same order as SEXES; "" = not recorded.
PROFESSIONS = (["police"] * 8 + ["prosecutor"] * 5 + ["service provider or NGO staff"] * 6 + ["judge"] * 2
               + ["prefers not to say", "", ""])
AGENDA_MODULES = ("00-orientation", "01-trafficking-and-smuggling", "02-human-rights-based-approach",
                  "03-gender-equality", "06-identification-and-referral")
COMMENTS = ["More time for the group exercise, please.", "The printed handouts helped.",
            "Start later on the first day.", "Useful examples from the region."]
NOTE = ("This is an example: the workshop, its participants and every figure in it are invented (synthetic data), "
        "to show what the report contains.")


def _clip(value: float) -> int:
    return int(round(min(100.0, max(0.0, value))))


def write_inputs(folder: Path, seed: int = SEED) -> dict[str, Path]:
    """The synthetic workshop's input files, as a facilitator would have them."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    people = [(f"p{n:02d}", "participant", sex) for n, sex in enumerate(SEXES, start=1)]
    people += [(f"s{n:02d}", role, sex) for n, (role, sex) in enumerate(OTHERS, start=1)]
    profession = {f"p{n:02d}": value for n, value in enumerate(PROFESSIONS, start=1)}
    roster = folder / "roster.csv"
    with roster.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "email", "sex", "role", "profession"])
        for pid, role, sex in people:
            writer.writerow([pid, f"Example Person {pid}", f"{pid}@example.org", sex, role, profession.get(pid, "")])
    scores = folder / "scores.csv"
    pre_only, post_only = {"p05", "p17"}, {"p11"}
    certified = []
    with scores.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["learner", "pre", "post"])
        for pid, role, _ in people:
            if role != "participant":
                continue
            pre = _clip(rng.gauss(48, 14))
            post = _clip(pre + rng.gauss(22, 11))
            writer.writerow([pid, "" if pid in post_only else pre, "" if pid in pre_only else post])
            if pid not in pre_only and post >= 70:
                certified.append(pid)
    evaluations = folder / "evaluations.csv"
    with evaluations.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["relevance", "quality", "confidence", "comment"])
        for n in range(21):
            writer.writerow([rng.choices([2, 3, 4, 5], [1, 2, 8, 10])[0], rng.choices([3, 4, 5], [2, 9, 10])[0],
                             rng.choices([2, 3, 4, 5], [1, 5, 10, 5])[0], COMMENTS[n] if n < len(COMMENTS) else ""])
    agenda = folder / "agenda.yaml"
    sessions, start = [], 9 * 60
    for index, slug in enumerate(AGENDA_MODULES):
        sessions.append({"start": f"{start // 60:02d}:{start % 60:02d}", "minutes": 75,
                         "title": content.module_title(slug), "modules": [slug]})
        start += 75 + (60 if index == 1 else 15)  # lunch after the second session, else a break
    agenda.write_text(yaml.safe_dump({"title": "One-day practitioners' workshop (example)", "duration": "one day",
                                      "audience": "practitioners from several agencies", "sessions": sessions},
                                     sort_keys=False, allow_unicode=True), encoding="utf-8")
    register = folder / "register.jsonl"
    register.write_text("".join(json.dumps({"learner_id": pid, "certificate_id": f"EXAMPLE-{pid}"}) + "\n"
                                for pid in certified), encoding="utf-8")
    return {"roster": roster, "scores": scores, "evaluations": evaluations, "agenda": agenda, "register": register}


def write_example(out: Path, pdf: bool = False, seed: int = SEED) -> list[Path]:
    """Write the example report to `out` (HTML), and its PDF next to it if asked."""
    with tempfile.TemporaryDirectory(prefix="toolkit-example-workshop-") as scratch:
        files = write_inputs(Path(scratch), seed)
        people = roster_file.read_roster(files["roster"])
        data = WorkshopData(
            people, title="Example workshop report (synthetic data)", notes=[NOTE],
            scores=inputs.read_scores_csv(files["scores"], {p.id for p in people if p.is_learner}),
            evaluations=inputs.read_evaluations(files["evaluations"]), agenda=inputs.read_agenda(str(files["agenda"])),
            certified=inputs.certified_ids(files["register"]))
        written = [write_html(data, out)]
    if pdf:
        written.append(write_pdf(out, Path(out).with_suffix(".pdf")))
    return written
