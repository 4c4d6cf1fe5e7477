"""Learner text as it may be printed in a facilitator's terminal.

A reflection is whatever the learner typed, and a terminal obeys escape sequences in what it
prints: they can clear the screen, rewrite lines already shown (so a score prompt seems to
say something else), change the window title, or, on some terminals, write to the clipboard
or send keystrokes back. safe_for_terminal() removes every escape sequence whole (so no
"[31m" is left behind), every other control character, and the Unicode marks that reverse
the direction of text, keeping only letters, marks, spaces, tabs and line breaks.
Imports only the standard library.
"""

from __future__ import annotations

import re

# ESC sequences: CSI (ESC [ ... final), OSC / DCS / SOS / PM / APC strings up to BEL or ST,
# and two-character escapes; then their 8-bit forms (0x9b CSI, 0x9d OSC, 0x90 DCS, ...).
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b[\]PX^_][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
    r"|\x9b[0-?]*[ -/]*[@-~]?"
    r"|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
)
# C0 controls but tab and line feed, DEL, C1 controls, and bidirectional overrides and isolates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile("\r\n|\r|[\u2028\u2029\x85]")


def safe_for_terminal(text: str, max_characters: int = 20_000) -> str:
    """The text with nothing a terminal would act on; long texts are cut, and say so."""
    text = _LINE_BREAKS.sub("\n", str(text))
    text = _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))
    if len(text) > max_characters:
        text = text[:max_characters] + f"\n[... cut: only the first {max_characters} characters are shown]"
    return text
