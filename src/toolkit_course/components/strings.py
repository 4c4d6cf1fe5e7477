"""Every word a learner reads in a component, in one place.

The Jinja templates use these (as `s.<key>`) for the book page and the Jupyter widget alike, and the
widgets use them for their buttons. The book's script holds no words of its own: whatever it shows
was rendered from here into the page. Change a wording here and both views change together.

A `{name}` in a string marks a value. The `slots` filter (see base.py) renders it as
<span data-slot="name">value</span>, so the script can fill the value in the book with textContent.
"""

from __future__ import annotations

STRINGS: dict[str, str] = {
    # Shared by every component
    "noscript": "This exercise needs JavaScript in your browser. You can also open the lesson notebook in Jupyter.",
    "source": "Source:",
    "device_note": "Your answers are saved only in this browser, on this device, so you can come back to them. "
                   "Nothing is sent anywhere.",
    "clear_answers": "Clear my answers on this device",
    "cleared": "Your answers on this device are cleared.",

    # Quiz, case cards and sorters
    "question_number": "Question {number}.",
    "choose_one": "Choose one answer.",
    "choose_many": "Choose all that apply.",
    "check_answer": "Check answer",
    "choose_first": "Choose an answer first, then press Check answer.",
    "correct": "Correct.",
    "not_quite": "Not quite.",
    "your_answer": "(your answer)",
    "the_right_answer": "the right answer",
    "not_the_right_answer": "not the right answer",
    "why": "Why:",
    "score": "Score: {right} of {total} correct",
    "not_yet_answered": " ({missing} not yet answered)",
    "try_again": "Try again",
    "try_again_tooltip": "Clear all answers and start again",

    # Legal-elements classifier
    "classifier_title": "Legal-elements classifier",
    "classifier_intro": "Tick each element the facts show. An element you cannot see in the facts counts as not shown.",
    "case_to_classify": "Case to classify:",
    "choose_a_case": "Choose a case…",
    "analyse": "Show the legal analysis",
    "on_the_elements": "On the elements you ticked: {classification}.",
    "trafficking": "Trafficking in persons",
    "smuggling": "Smuggling of migrants",
    "established": "established",
    "not_established": "not established",
    "model_answer": "Model answer for this case:",
    "elements_shown": "Elements the facts show: {elements}.",
    "no_elements": "none",

    # Branching scenario
    "your_decision": "Your decision",
    "you_chose": "You chose:",
    "what_happens": "What happens:",
    "debrief": "Debrief",
    "read_more": "Read more:",
    "your_path": "Your path",
    "respects_rights": "respects rights",
    "puts_rights_at_risk": "puts rights at risk",
    "play_again": "Play again",

    # Calibration checklist (the words naming what is rated come from checklist.labels())
    "save_report": "Save the result as a report",
    "answer_every_question": "Answer every question first. Not answered: {missing}.",
    "rating": "Rating: {level} ({score} of {max_score} points).",
    "capped": "The points alone would place it higher, but this answer caps the rating:",
    "gaps_and_mitigations": "Gaps and suggested mitigations:",
    "suggested_mitigation": "Suggested mitigation:",
    "no_gaps": "No gaps found on these questions.",
    "report_saved_downloads": "Report saved to your downloads as {file}.",
    "report_saved_path": "Report saved as {path}.",
    "report_file": "{subject}-rating.html",
    "not_named": "(not named)",
    "date": "Date:",
    "report_rating": "Rating: {level} ({score} of {max_score} points)",
    "report_gaps": "Gaps and suggested mitigations",
    "report_no_gaps": "None found.",
    "report_answers": "Answers",
    "report_question": "Question",
    "report_answer": "Answer",
    "report_scale": "Scale: {source}. The rating is a prompt for discussion, not a verdict.",
}


def text(key: str, **values) -> str:
    """A string with its values filled in, as plain text (for widget labels and messages)."""
    return STRINGS[key].format(**values)
