"""Multiple-choice quiz: feedback on every option, an explanation with its source, a score and a retry.

Case cards and sorters are quizzes too: they are converted to the quiz shape by
`from_cases` and `from_sorter`, so one engine, one widget and one script serve all three.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets

from .base import Component, component_id, json_for_script, md, md_inline, render
from .strings import STRINGS, text

CLASSIFICATIONS = {
    "trafficking": "Trafficking in persons",
    "smuggling": "Smuggling of migrants",
    "both": "Both",
    "neither": "Neither",
    "more-facts-needed": "More facts needed",
}


@dataclass(frozen=True)
class OptionFeedback:
    option_id: str
    text: str
    correct: bool
    feedback: str
    selected: bool


@dataclass(frozen=True)
class CheckResult:
    question_id: str
    correct: bool
    options: tuple[OptionFeedback, ...]
    explanation: str
    source: str


class QuizSession:
    """The quiz's rules, with no display: used by the widget and by tests."""

    def __init__(self, data: dict):
        self.data = data
        self.questions = {q["id"]: q for q in data["questions"]}
        self.selected: dict[str, set[str]] = {}
        self.results: dict[str, CheckResult] = {}

    def select(self, question_id: str, *option_ids: str) -> None:
        question = self._question(question_id)
        valid = {o["id"] for o in question["options"]}
        unknown = set(option_ids) - valid
        if unknown:
            raise ValueError(f"question {question_id} has no option {sorted(unknown)}; options are {sorted(valid)}")
        if not question.get("multiple") and len(option_ids) > 1:
            raise ValueError(f"question {question_id} takes one answer")
        self.selected[question_id] = set(option_ids)

    def check(self, question_id: str) -> CheckResult:
        question = self._question(question_id)
        chosen = self.selected.get(question_id, set())
        if not chosen:
            raise ValueError(f"choose an answer to question {question_id} first")
        correct_ids = {o["id"] for o in question["options"] if o.get("correct")}
        result = CheckResult(
            question_id=question_id,
            correct=chosen == correct_ids,
            options=tuple(OptionFeedback(o["id"], o["text"], bool(o.get("correct")), o["feedback"], o["id"] in chosen)
                          for o in question["options"]),
            explanation=question["explanation"],
            source=question["source"],
        )
        self.results[question_id] = result
        return result

    @property
    def score(self) -> tuple[int, int]:
        """(questions answered correctly, questions in the quiz), counting each question's latest check."""
        return sum(r.correct for r in self.results.values()), len(self.questions)

    def reset(self) -> None:
        self.selected.clear()
        self.results.clear()

    def _question(self, question_id: str) -> dict:
        try:
            return self.questions[question_id]
        except KeyError:
            raise ValueError(f"no question '{question_id}'; questions are {list(self.questions)}") from None


def feedback_html(result: CheckResult) -> str:
    return render("quiz_feedback.html.j2", result=result)


def unchecked_result(question: dict) -> CheckResult:
    """A question's feedback with nothing chosen yet: what the book pre-renders, for its script to mark up."""
    return CheckResult(question_id=question["id"], correct=False,
                       options=tuple(OptionFeedback(o["id"], o["text"], bool(o.get("correct")), o["feedback"], False)
                                     for o in question["options"]),
                       explanation=question["explanation"], source=question["source"])


def status_html(message: str) -> str:
    return render("status.html.j2", message=message)


class Quiz(Component):
    def __init__(self, data: dict, kind: str = "quiz", item_id: str | None = None):
        self.data = data
        self.kind = kind
        self.component_id = component_id(kind, [q["id"] for q in data["questions"]], item_id)
        self.session = QuizSession(data)
        self._choices: dict[str, widgets.Widget] = {}
        self._feedback: dict[str, widgets.HTML] = {}
        self._buttons: dict[str, widgets.Button] = {}
        self.summary = widgets.HTML()
        self.retry_button = widgets.Button(description=STRINGS["try_again"], icon="refresh",
                                           tooltip=STRINGS["try_again_tooltip"])
        self.retry_button.on_click(lambda _: self.retry())
        boxes = [widgets.HTML(f"<h3>{md_inline(data['title'])}</h3>" + md(data.get("intro", "")))]
        boxes += [self._question_box(n, q) for n, q in enumerate(data["questions"], start=1)]
        boxes += [self.summary, self.retry_button]
        self.widget = widgets.VBox(boxes)
        self._update_summary()

    def _question_box(self, number: int, question: dict) -> widgets.VBox:
        qid = question["id"]
        if question.get("multiple"):
            choices = widgets.VBox([widgets.Checkbox(description=o["text"], indent=False,
                                                     layout=widgets.Layout(width="auto"))
                                    for o in question["options"]])
        else:
            choices = widgets.RadioButtons(options=[(o["text"], o["id"]) for o in question["options"]],
                                           value=None, layout=widgets.Layout(width="auto"))
        button = widgets.Button(description=STRINGS["check_answer"], button_style="primary")
        button.on_click(lambda _, qid=qid: self.check(qid))
        self._choices[qid], self._buttons[qid] = choices, button
        self._feedback[qid] = widgets.HTML()
        prompt = widgets.HTML(f"<strong>{text('question_number', number=number)}</strong> {md(question['prompt'])}")
        hint = STRINGS["choose_many"] if question.get("multiple") else STRINGS["choose_one"]
        return widgets.VBox([prompt, widgets.Label(hint), choices, button, self._feedback[qid]])

    # The methods below are the component's API: the widget's buttons call them,
    # and so can tests or a facilitator's notebook.
    def choose(self, question_id: str, *option_ids: str) -> None:
        question = self.session.questions[question_id]
        choices = self._choices[question_id]
        if question.get("multiple"):
            for box, option in zip(choices.children, question["options"]):
                box.value = option["id"] in option_ids
        else:
            choices.value = option_ids[0] if option_ids else None

    def check(self, question_id: str) -> CheckResult | None:
        question = self.session.questions[question_id]
        choices = self._choices[question_id]
        if question.get("multiple"):
            chosen = [o["id"] for box, o in zip(choices.children, question["options"]) if box.value]
        else:
            chosen = [choices.value] if choices.value else []
        if not chosen:
            self._feedback[question_id].value = status_html(STRINGS["choose_first"])
            return None
        self.session.select(question_id, *chosen)
        result = self.session.check(question_id)
        self._feedback[question_id].value = feedback_html(result)
        self._update_summary()
        return result

    def retry(self) -> None:
        self.session.reset()
        for qid in self.session.questions:
            self.choose(qid)
            self._feedback[qid].value = ""
        self._update_summary()

    @property
    def feedback_text(self) -> dict[str, str]:
        return {qid: box.value for qid, box in self._feedback.items()}

    def _update_summary(self) -> None:
        right, total = self.session.score
        checked = len(self.session.results)
        self.summary.value = render("quiz_summary.html.j2", right=right, total=total, checked=checked)

    def static_html(self) -> str:
        questions = []
        for question in self.data["questions"]:
            questions.append({
                "id": question["id"],
                "prompt": md(question["prompt"]),
                "multiple": bool(question.get("multiple")),
                "options": [{"id": o["id"], "text": md_inline(o["text"])} for o in question["options"]],
                # The widget's own feedback template, rendered with nothing chosen: the page's script
                # only reveals the verdict and marks the options the learner chose.
                "feedback_html": feedback_html(unchecked_result(question)),
            })
        # The script needs only which options are right; every word it shows is already in the page.
        answers = [{"id": q["id"], "answer": sorted(o["id"] for o in q["options"] if o.get("correct"))}
                   for q in self.data["questions"]]
        total = len(questions)
        return render("quiz.html.j2", quiz_id=self.component_id, kind=self.kind,
                      title=md_inline(self.data["title"]), intro=md(self.data.get("intro", "")),
                      questions=questions, right=0, total=total, checked=0,
                      data_json=json_for_script({"questions": answers}))


# What each classification needs, said when a learner picks it and the model answer differs.
WHAT_IT_NEEDS = {
    "trafficking": "Trafficking needs an act, a means and an exploitative purpose; for a child, the act and the "
                   "purpose are enough (Trafficking in Persons Protocol, art. 3(a), 3(c)). Check which of these the facts show.",
    "smuggling": "Smuggling needs someone to procure another person's illegal entry into a State for a financial or "
                 "other material benefit (Smuggling of Migrants Protocol, art. 3(a)). Check all three are in the facts.",
    "both": "'Both' needs every element of each crime. Check the facts against each definition separately.",
    # Shown on every card whose answer is not "neither", including cards whose answer is "more facts
    # needed", so it must not claim that the facts prove a crime.
    "neither": "'Neither' fits only when the facts rule out at least one element of each crime. Look again, "
               "element by element: is each missing element really ruled out, or only not yet known?",
    "more-facts-needed": "The facts given are enough to decide. Save 'more facts needed' for cases where an element "
                         "can be neither seen nor ruled out.",
}


def from_cases(cases: dict) -> dict:
    """Case cards as a quiz whose options are the five classifications."""
    questions = []
    for card in cases["cases"]:
        options = []
        for value, label in CLASSIFICATIONS.items():
            right = value == card["classification"]
            options.append({"id": value, "text": label, "correct": right,
                            "feedback": "Yes, that matches the model answer." if right else WHAT_IT_NEEDS[value]})
        questions.append({"id": card["id"], "prompt": f"**{card['title']}.** {card['facts']}",
                          "options": options, "explanation": card["reasoning"], "source": card["source"]})
    return {"title": cases["title"], "intro": cases.get("intro", ""), "questions": questions}


def from_sorter(sorter: dict) -> dict:
    """A sorter as a quiz whose options are its categories."""
    labels = {c["id"]: c["label"] for c in sorter["categories"]}
    questions = []
    for item in sorter["items"]:
        options = [{"id": cid, "text": label, "correct": cid == item["category"],
                    "feedback": "Yes." if cid == item["category"] else f"No: this belongs under **{labels[item['category']]}**."}
                   for cid, label in labels.items()]
        questions.append({"id": item["id"], "prompt": item["text"], "options": options,
                          "explanation": item["feedback"], "source": item["source"]})
    return {"title": sorter["title"], "intro": sorter["intro"], "questions": questions}
