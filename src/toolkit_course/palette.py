"""Colours and hatches for every course chart.

Okabe-Ito colours stay distinct for the common forms of colour blindness, and each
series also gets a hatch pattern, so colour is never the only cue.
"""

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
HATCHES = ["", "//", "..", "xx", "\\\\", "oo", "--", "++"]
