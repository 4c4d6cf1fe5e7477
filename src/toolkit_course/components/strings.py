"""Every word a learner reads in a component or a printed handout, in one place.

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

    # Printed handouts (handout_sheets.py, templates print_*.html.j2, handouts.py). Paper has no
    # script, so a `{name}` here is filled with str.format, never with the `slots` filter. The printed
    # sheets also use the shared "question_number", "why", "source", "debrief", "respects_rights" and
    # "puts_rights_at_risk" above.
    "print_exercise_number": "Exercise {number}",
    # print_quiz, print_cases, print_sorter: a quiz sheet picks one by its kind (s["print_" ~ kind]).
    "print_quiz": "Questions",
    "print_cases": "Case cards",
    "print_sorter": "Sorting exercise",
    "print_checklist": "Checklist",
    "print_scenario": "Scenario",
    "print_classifier": "Legal-elements classifier",
    "print_choose_one": "Tick one box.",
    "print_choose_many": "Tick every box that applies.",
    "print_why": "Why? Write your reasons:",
    "print_scenario_note": "Your facilitator has the rest of the story and will tell you what happens after your choice.",
    "print_classifier_intro": "For each case, tick the elements the facts show. An element you cannot see in the facts "
                              "counts as not shown. Then write your classification: trafficking, smuggling, both, "
                              "neither, or more facts needed.",
    "print_classifier_facts_elsewhere": "The facts of each case are on the case cards in this handout, in the same order.",
    "print_case_column": "Case {number}",
    "print_case_title": "Case {number}: {title}.",
    "print_element": "Element",
    "print_your_case": "Your case",
    "print_your_classification": "Your classification",
    "print_your_rating": "Your rating, and what you would change:",
    "print_answers_title": "Answers and feedback (for the facilitator)",
    "print_answers_intro": "This page holds the answers to the exercises in this handout. Hand it out after the "
                           "learners have answered, or keep it for the discussion.",
    # The facilitator's answer page
    "print_answer": "Answer: {letters}",
    "print_option_right": "Right:",
    "print_option_not_right": "Not right:",
    "print_checklist_scoring": 'Add the points of the boxes ticked (at most {max_points}). The rating is the highest '
                               'level whose minimum the total reaches, but an answer marked "caps the rating" limits '
                               'it to that level, whatever the total.',
    "print_one_point": "{points} point",
    "print_points": "{points} points",
    "print_caps_rating_at": "caps the rating at",
    "print_gap": "Gap:",
    "print_what_to_do": "What to do:",
    "print_levels": "Levels",
    "print_level": "Level",
    "print_level_from": "From",
    "print_level_meaning": "Meaning",
    "print_scenario_read_aloud": "Read the story aloud, one step at a time. Each choice says what happens and which "
                                 "step comes next.",
    "print_step": "Step {number}.",
    "print_last_step": "Step {number} (the end).",
    "print_next_step": "Next: step {number}.",
    "print_element_shown_by_facts": "Element shown by the facts",
    "print_element_shown": "yes",
    "print_element_not_shown": "—",
    "print_model_answer": "Model answer",
    "print_model_answer_is": "Model answer: {classification}.",
    "print_classifier_no_cases": "Learners apply the elements to a case of their own; discuss each ticked element "
                                 "against the facts.",
}


def text(key: str, **values) -> str:
    """A string with its values filled in, as plain text (for widget labels and messages)."""
    return STRINGS[key].format(**values)
