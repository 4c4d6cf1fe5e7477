"""The legal analysis behind the elements classifier.

This is the only place the rules are written. The live widget calls these
functions; the static book version embeds their answers for every combination
of ticked elements, so the page needs no kernel and repeats no logic.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass

from . import content

TRAFFICKING_ELEMENTS = ("act", "means", "purpose")
SMUGGLING_ELEMENTS = ("procurement", "illegal_entry", "benefit")
ALL_FLAGS = TRAFFICKING_ELEMENTS + ("child",) + SMUGGLING_ELEMENTS

_MISSING_ADVICE = {
    "act": "No act is shown: nobody recruited, moved, harboured or received the person. Look for who brought the person into the situation and who keeps them there.",
    "means": "No means is shown. For an adult, trafficking needs a means such as force, threats, deception or abuse of a position of vulnerability (art. 3(a)). Ask how the person came to agree, and whether they could really say no.",
    "purpose": "No exploitative purpose is shown. Ask what the person was brought to do, and on what terms. The exploitation need not have started: the purpose is enough (art. 3(a)).",
    "procurement": "Nobody is shown arranging or enabling the crossing for the person.",
    "illegal_entry": "No illegal entry is shown. Smuggling of migrants needs a crossing into a State without meeting its entry requirements (art. 3(b)). Enabling someone to stay illegally is a separate offence (art. 6(1)(c)).",
    "benefit": "No financial or other material benefit is shown. The Protocol requires criminalisation only where the conduct aims at such a benefit (arts. 3(a), 6(1)); help given purely for family or humanitarian reasons falls outside it.",
}


@dataclass(frozen=True)
class Analysis:
    crime: str
    present: tuple[str, ...]
    missing: tuple[str, ...]
    established: bool
    conclusion: str
    source: str

    def as_dict(self) -> dict:
        return asdict(self)


def _labels() -> dict[str, str]:
    elements = content.legal_elements()
    return {e["id"]: e["label"].split(":")[0] for d in elements.values() for e in d["elements"]}


def analyse_trafficking(act: bool, means: bool, purpose: bool, child: bool) -> Analysis:
    """Apply art. 3(a)-(d) of the Trafficking in Persons Protocol to the ticked elements."""
    flags = {"act": act, "means": means, "purpose": purpose}
    # The child rule (art. 3(c)): for a person under 18 the means element falls away.
    required = ("act", "purpose") if child else TRAFFICKING_ELEMENTS
    present = tuple(e for e in TRAFFICKING_ELEMENTS if flags[e])
    missing = tuple(e for e in required if not flags[e])
    established = not missing
    labels = _labels()
    if established and child:
        conclusion = ("On these facts this is trafficking in persons. The person is a child, so the act and the "
                      "exploitative purpose are enough; no means has to be shown (art. 3(c)).")
    elif established:
        conclusion = ("On these facts this is trafficking in persons: act, means and purpose are all present "
                      "(art. 3(a)). Any consent the person gave does not count once a means was used (art. 3(b)).")
    else:
        names = ", ".join(labels[m].lower() for m in missing)
        conclusion = (f"Not established as trafficking on these facts. Missing: {names}. "
                      + " ".join(_MISSING_ADVICE[m] for m in missing))
    return Analysis("trafficking", present, missing, established, conclusion,
                    "Trafficking in Persons Protocol, art. 3(a)-(d)")


def analyse_smuggling(procurement: bool, illegal_entry: bool, benefit: bool) -> Analysis:
    """Apply arts. 3 and 6(1) of the Smuggling of Migrants Protocol to the ticked elements."""
    flags = {"procurement": procurement, "illegal_entry": illegal_entry, "benefit": benefit}
    present = tuple(e for e in SMUGGLING_ELEMENTS if flags[e])
    missing = tuple(e for e in SMUGGLING_ELEMENTS if not flags[e])
    established = not missing
    labels = _labels()
    if established:
        conclusion = ("On these facts this is smuggling of migrants: someone procured another person's illegal "
                      "entry for a financial or other material benefit (arts. 3(a), 6(1)). The migrant must not be "
                      "prosecuted under the Protocol for having been smuggled (art. 5).")
    else:
        names = ", ".join(labels[m].lower() for m in missing)
        conclusion = (f"Not established as smuggling of migrants on these facts. Missing: {names}. "
                      + " ".join(_MISSING_ADVICE[m] for m in missing))
    return Analysis("smuggling", present, missing, established, conclusion,
                    "Smuggling of Migrants Protocol, arts. 3, 5 and 6(1)")


def classify(elements: dict[str, bool]) -> str:
    """What the shown elements establish: trafficking, smuggling, both or neither."""
    trafficking = analyse_trafficking(*(elements[k] for k in ("act", "means", "purpose", "child"))).established
    smuggling = analyse_smuggling(*(elements[k] for k in SMUGGLING_ELEMENTS)).established
    return {(True, True): "both", (True, False): "trafficking",
            (False, True): "smuggling", (False, False): "neither"}[(trafficking, smuggling)]


def flag_key(elements: dict[str, bool], names: tuple[str, ...]) -> str:
    """A stable key for a combination of ticked elements, shared with the static page's script."""
    return "".join("1" if elements.get(name) else "0" for name in names)


def every_outcome() -> dict[str, dict]:
    """Every possible analysis, keyed by ticked combination, for the kernel-free book page."""
    trafficking_names = TRAFFICKING_ELEMENTS + ("child",)
    outcomes: dict[str, dict] = {"trafficking": {}, "smuggling": {}, "classification": {}}
    for bits in itertools.product((False, True), repeat=len(trafficking_names)):
        flags = dict(zip(trafficking_names, bits))
        outcomes["trafficking"][flag_key(flags, trafficking_names)] = analyse_trafficking(**flags).as_dict()
    for bits in itertools.product((False, True), repeat=len(SMUGGLING_ELEMENTS)):
        flags = dict(zip(SMUGGLING_ELEMENTS, bits))
        outcomes["smuggling"][flag_key(flags, SMUGGLING_ELEMENTS)] = analyse_smuggling(**flags).as_dict()
    for bits in itertools.product((False, True), repeat=len(ALL_FLAGS)):
        flags = dict(zip(ALL_FLAGS, bits))
        outcomes["classification"][flag_key(flags, ALL_FLAGS)] = classify(flags)
    return outcomes
