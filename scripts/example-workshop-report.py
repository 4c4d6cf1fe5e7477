"""Write the example workshop report (synthetic data) that the facilitator's guide links to.

Usage: .venv/bin/python scripts/example-workshop-report.py [--out FILE] [--pdf]
Default: book/facilitator/examples/workshop-report-example.html
"""

from __future__ import annotations

import argparse
from pathlib import Path

from toolkit_course.grading.workshop_example import write_example

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "book" / "facilitator" / "examples" / "workshop-report-example.html"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"HTML file (default: {DEFAULT_OUT})")
    parser.add_argument("--pdf", action="store_true", help="also print it to PDF next to the HTML")
    args = parser.parse_args()
    for path in write_example(args.out, pdf=args.pdf):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
