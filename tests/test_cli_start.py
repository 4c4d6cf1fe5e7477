"""`toolkit-course --help` must answer at once: no heavy library may load before a command runs."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("nbgrader", "matplotlib", "fpdf", "jsonschema", "ipywidgets", "cryptography", "sqlalchemy")


def test_help_imports_no_heavy_library():
    probe = ("import sys, contextlib, io\n"
             "from toolkit_course import cli\n"
             "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
             "    cli.main(['--help'])\n"
             f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"--help imported: {result.stdout.strip()}"


def test_every_command_is_listed_in_help():
    result = subprocess.run([sys.executable, "-m", "toolkit_course", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("roster", "collect", "autograde", "feedback", "export", "report", "certify", "verify"):
        assert command in result.stdout
