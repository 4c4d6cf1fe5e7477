"""Subcommands of `toolkit-course`: feedback, export, report, keygen, certify, verify; see register()."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from . import certificates, cohort_report, export, feedback, results
from .roster import RosterError

DEFAULT_RULES = "certification.yaml"


def _friendly_errors(run):
    """Bad input ends with one line naming the file and the problem, and exit code 2."""
    @functools.wraps(run)
    def wrapper(args) -> int:
        try:
            return run(args)
        except (results.ResultsError, RosterError, certificates.CertificateError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    return wrapper


def _cohort(args) -> results.Cohort:
    return results.load_cohort(args.course, args.workspace, args.roster, args.module or None)


def _workspace(cohort: results.Cohort) -> Path:
    return results.gradebook_path(cohort.coursedir).parent


@_friendly_errors
def _feedback(args) -> int:
    cohort = _cohort(args)
    written = feedback.write_feedback(cohort, args.out, args.learner or None)
    where = args.out or "nbgrader's feedback folder (nbgrader release_feedback hands them out)"
    print(f"wrote {len(written)} feedback page(s) to {where}")
    return 0


@_friendly_errors
def _export(args) -> int:
    cohort = _cohort(args)
    for path in export.write_exports(cohort, args.out or _workspace(cohort) / "exports"):
        print(f"wrote {path}")
    return 0


@_friendly_errors
def _report(args) -> int:
    cohort = _cohort(args)
    path = cohort_report.write_report(cohort, args.out or _workspace(cohort) / "reports" / "cohort-report.html")
    print(f"wrote {path}")
    return 0


@_friendly_errors
def _keygen(args) -> int:
    private, public, print_ = certificates.generate_keypair(args.out, args.public_out)
    print(f"private key: {private} (keep it secret and backed up; never share it)")
    print(f"public key:  {public} (give it to anyone who needs to check certificates)")
    print(f"fingerprint: {print_}")
    return 0


@_friendly_errors
def _certify(args) -> int:
    cohort = _cohort(args)
    rule = certificates.load_rule(args.rules, cohort, args.facilitator)
    key = certificates.load_private_key(args.key)
    out = args.out or _workspace(cohort) / "certificates"
    report = certificates.certify(cohort, rule, key, out)
    for entry in report.issued:
        print(f"issued {entry['certificate_id']} to {entry['learner_id']} ({entry['name']}): {out / entry['file']}")
    if report.already:
        print(f"already hold a certificate (nothing issued again): {', '.join(report.already)}")
    for learner_id, reasons in report.not_qualified.items():
        print(f"not yet: {learner_id}: {'; '.join(reasons)}")
    print(f"{len(report.issued)} issued, {len(report.already)} already issued, "
          f"{len(report.not_qualified)} not qualified; register: {out / certificates.REGISTER_FILE}")
    return 0


@_friendly_errors
def _verify(args) -> int:
    verdict = certificates.verify_file(args.certificate, certificates.load_public_key(args.public_key))
    print(verdict)
    return 0 if verdict.valid else 1


def _grading_options(parser) -> None:
    parser.add_argument("--roster", type=Path, help="roster CSV (id, name, email, role, optional sex); "
                        "default: the roster last registered in the workspace")
    parser.add_argument("--module", action="append", metavar="SLUG",
                        help="only this module (repeatable); default: every assessed module in the gradebook")
    parser.add_argument("--workspace", type=Path, help="grading workspace (default: $TOOLKIT_GRADING_WORKSPACE "
                        "or grading-workspace/)")
    parser.add_argument("--course", type=Path, help="course folder holding nbgrader_config.py (default: this checkout)")


def register(subparsers) -> None:
    """Add this group's subcommands to the `toolkit-course` parser."""
    parser = subparsers.add_parser("feedback", help="write one HTML feedback page per learner and module")
    _grading_options(parser)
    parser.add_argument("--learner", action="append", metavar="ID", help="only this learner (repeatable)")
    parser.add_argument("--out", type=Path, help="folder for the pages (default: nbgrader's feedback folder)")
    parser.set_defaults(run=_feedback)

    parser = subparsers.add_parser("export", help="write grade CSVs: per module, overall, Moodle and Canvas")
    _grading_options(parser)
    parser.add_argument("--out", type=Path, help="folder for the CSV files (default: <workspace>/exports)")
    parser.set_defaults(run=_export)

    parser = subparsers.add_parser("report", help="write the cohort report (HTML with charts)")
    _grading_options(parser)
    parser.add_argument("--out", type=Path, help="report file (default: <workspace>/reports/cohort-report.html)")
    parser.set_defaults(run=_report)

    parser = subparsers.add_parser("keygen", help="make the facilitator's Ed25519 signing key pair")
    parser.add_argument("--out", type=Path, required=True, help="private key file to create, e.g. ~/keys/facilitator.pem")
    parser.add_argument("--public-out", type=Path, help="public key file (default: next to it, ending .pub.pem)")
    parser.set_defaults(run=_keygen)

    parser = subparsers.add_parser("certify", help="issue signed PDF certificates to learners who qualify")
    _grading_options(parser)
    parser.add_argument("--key", type=Path, required=True, help="the facilitator's private key (from keygen)")
    parser.add_argument("--rules", type=Path, default=Path(DEFAULT_RULES),
                        help=f"certification rule file (default: {DEFAULT_RULES})")
    parser.add_argument("--facilitator", help="issuing facilitator's name (default: from the rule file)")
    parser.add_argument("--out", type=Path, help="folder for certificates and register (default: <workspace>/certificates)")
    parser.set_defaults(run=_certify)

    parser = subparsers.add_parser("verify", help='check a certificate: prints "valid" or "not valid" and why')
    parser.add_argument("certificate", type=Path, help="the certificate PDF")
    parser.add_argument("--public-key", type=Path, required=True, help="the issuing facilitator's public key")
    parser.set_defaults(run=_verify)
