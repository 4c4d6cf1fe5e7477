"""Run nbgrader's own converters in this process, with the course's nbgrader_config.py.

Grading needs no kernel any more (see preprocessors.py), so starting an nbgrader process
per learner, which costs seconds, would dominate. This runs nbgrader's Autograde
converter, configured exactly as `nbgrader autograde` would be, for one learner at a
time, and keeps each learner's log apart, so an error is reported for the learner it
belongs to.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import re
import subprocess
import sys
import warnings
from dataclasses import dataclass

import fastjsonschema
import jsonschema
import nbgrader.api
import nbgrader.nbgraderformat.common
from nbconvert.exporters.exporter import Exporter
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import capture_log
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from .layout import WORKSPACE_VARIABLE, Layout

NBGRADER = [sys.executable, "-m", "nbgrader"]
CONFIG_FILE = "nbgrader_config.py"


def course_config(layout: Layout) -> Config:
    """The course's nbgrader_config.py as nbgrader loads it, for this layout's workspace."""
    saved = os.environ.get(WORKSPACE_VARIABLE)
    os.environ[WORKSPACE_VARIABLE] = str(layout.workspace)  # the config file reads it while it loads
    try:
        return PyFileConfigLoader(CONFIG_FILE, path=str(layout.root)).load_config()
    finally:
        if saved is None:
            del os.environ[WORKSPACE_VARIABLE]
        else:
            os.environ[WORKSPACE_VARIABLE] = saved


def ensure_assignment(layout: Layout, slug: str) -> None:
    """nbgrader needs the module's cells in the gradebook; generate_assignment records them."""
    with Gradebook(layout.db_url) as gradebook:
        try:
            if gradebook.find_assignment(slug).notebooks:
                return
        except MissingEntry:
            pass
    scratch_release = layout.state / "release-for-gradebook"
    result = subprocess.run(NBGRADER + ["generate_assignment", slug, "--force", "--log-level=WARN",
                                        f"--CourseDirectory.release_directory={scratch_release}"],
                            cwd=layout.root, env=layout.env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment {slug} failed:\n{result.stdout}{result.stderr}")


@dataclass(frozen=True)
class Outcome:
    ok: bool
    log: str  # this learner's nbgrader log (warnings and errors) and traceback, if any

    def last_error(self) -> str:
        """The last specific error in this learner's own log, for the report."""
        lines = [line.strip() for line in self.log.splitlines() if line.strip()]
        reasons = [line.removeprefix("[ERROR] ") for line in lines if _ERROR_LINE.match(line)
                   and not any(generic in line for generic in _GENERIC_ERRORS)]
        return (reasons or lines or ["no message"])[-1][:500]


# An error logged by nbgrader, or the last line of a traceback ("ValueError: ...").
_ERROR_LINE = re.compile(r"^(\[ERROR\] |[\w.]*(Error|Exception|Unavailable)\b:)")
# nbgrader's wrappers around the real reason.
_GENERIC_ERRORS = ("Please see", "There was an error processing")


class _CompiledSchemas:
    """jsonschema.validate, with each schema compiled once (nbgrader loads its schema afresh per notebook).

    fastjsonschema (which nbformat already uses) checks a valid cell; a cell it rejects is
    checked again by jsonschema, so nbgrader gets jsonschema's ValidationError, as before.
    """

    def __init__(self):
        self.last_schema, self.last, self.by_text = None, None, {}

    def validate(self, instance, schema) -> None:
        if schema is not self.last_schema:
            text = json.dumps(schema, sort_keys=True)
            if text not in self.by_text:
                self.by_text[text] = (fastjsonschema.compile(schema),
                                      jsonschema.validators.validator_for(schema)(schema))
            self.last_schema, self.last = schema, self.by_text[text]
        quick, thorough = self.last
        try:
            quick(instance)
        except fastjsonschema.JsonSchemaException:
            thorough.validate(instance)


@contextlib.contextmanager
def reused_across_learners():
    """Let nbgrader reuse, while many learners are graded in this process, what it rebuilds each time.

    For every Gradebook (about ten per notebook) nbgrader opens a new database engine, so
    SQLAlchemy compiles every query afresh, and asks the database whether each table
    exists; it checks every cell's metadata with jsonschema.validate, which checks the
    schema itself first, every time; and nbconvert validates the whole notebook again after
    each of the fifteen preprocessors. Here one engine per database serves every learner,
    the tables are checked once per database, each schema is compiled once, and a notebook
    is validated when it is read and when it is written (by nbformat), not in between.
    What nbgrader reads, writes and records for a learner is unchanged.
    """
    create_engine, checker = nbgrader.api.create_engine, nbgrader.nbgraderformat.common.jsonschema
    validate_between = Exporter._validate_preprocessor
    metadata = nbgrader.api.Base.metadata
    checked = set()

    def create_tables_once(bind, **kwargs):
        if bind not in checked:
            type(metadata).create_all(metadata, bind=bind, **kwargs)
            checked.add(bind)

    nbgrader.api.create_engine = functools.cache(create_engine)
    nbgrader.nbgraderformat.common.jsonschema = _CompiledSchemas()
    metadata.create_all = create_tables_once
    Exporter._validate_preprocessor = lambda self, nb, preprocessor: None
    try:
        yield
    finally:
        nbgrader.api.create_engine, nbgrader.nbgraderformat.common.jsonschema = create_engine, checker
        Exporter._validate_preprocessor = validate_between
        del metadata.create_all


class Grader:
    """nbgrader's Autograde for one learner at a time, all with one loaded configuration.

    Use it inside reused_across_learners() when grading many learners.
    """

    def __init__(self, layout: Layout):
        self.config = course_config(layout)
        self.log = logging.getLogger("toolkit_course.autograde")
        self.log.propagate = False  # each learner's log is captured by capture_log below, not printed
        self.log.setLevel(logging.WARNING)

    def autograde(self, slug: str, learner: str) -> Outcome:
        coursedir = CourseDirectory(config=self.config)
        coursedir.assignment_id, coursedir.student_id = slug, learner
        converter = Autograde(coursedir=coursedir, config=self.config, log=self.log)
        converter.force = True
        with warnings.catch_warnings():
            # nbgrader's own update_or_create_submission triggers harmless SQLAlchemy autoflush warnings.
            warnings.simplefilter("ignore", category=Warning)
            result = capture_log(converter)
        return Outcome(result["success"], result.get("log", "") + result.get("error", ""))
