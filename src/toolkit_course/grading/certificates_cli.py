"""Subcommands of `toolkit-course`: keygen, certify, verify; see register() (revoke and publish-register: register_cli.py)."""

from __future__ import annotations

from pathlib import Path

from .cli_common import friendly_errors, grading_options, load_cohort, workspace_of

DEFAULT_RULES = "certification.yaml"


def rules_file(course: Path | None) -> Path:
    """The rule file at the top of the course folder, wherever the command is run from."""
    from .layout import course_root

    return Path(course or course_root()) / DEFAULT_RULES


@friendly_errors
def _keygen(args) -> int:
    from . import certificates

    private, public, print_ = certificates.generate_keypair(args.out, args.public_out)
    print(f"private key: {private} (keep it secret and backed up; never share it)")
    print(f"public key:  {public} (give it to anyone who needs to check certificates)")
    print(f"fingerprint: {print_}")
    return 0


@friendly_errors
def _certify(args) -> int:
    from . import certificates

    cohort = load_cohort(args)
    rule = certificates.load_rule(args.rules or rules_file(args.course), cohort, args.facilitator)
    key = certificates.load_private_key(args.key)
    out = args.out or workspace_of(cohort) / "certificates"
    report = certificates.certify(cohort, rule, key, out, reissue=tuple(args.reissue or ()))
    for entry in report.issued:
        print(f"issued {entry['certificate_id']} to {entry['learner_id']} ({entry['name']}): {out / entry['file']}")
    if report.already:
        print(f"already hold a certificate (nothing issued again): {', '.join(report.already)}")
    for learner_id in report.revoked:
        print(f"revoked: {learner_id}'s certificate was withdrawn; to issue a corrected one, run this command "
              f"again with --reissue {learner_id}")
    for learner_id, reasons in report.not_qualified.items():
        print(f"not yet: {learner_id}: {'; '.join(reasons)}")
    print(f"{len(report.issued)} issued, {len(report.already)} already issued, "
          f"{len(report.not_qualified)} not qualified; register: {out / certificates.REGISTER_FILE}")
    return 0


@friendly_errors
def _verify(args) -> int:
    from . import certificates

    verdict = certificates.verify_file(args.certificate, certificates.load_public_key(args.public_key))
    if args.register:
        verdict = certificates.check_register(verdict, Path(args.certificate).read_bytes(),
                                              certificates.public_entries(args.register))
    print(verdict)
    return 0 if verdict.valid else 1


def register(subparsers) -> None:
    """Add this group's subcommands to the `toolkit-course` parser."""
    parser = subparsers.add_parser("keygen", help="make the facilitator's Ed25519 signing key pair")
    parser.add_argument("--out", type=Path, required=True, help="private key file to create, e.g. ~/keys/facilitator.pem")
    parser.add_argument("--public-out", type=Path, help="public key file (default: next to it, ending .pub.pem)")
    parser.set_defaults(run=_keygen)

    parser = subparsers.add_parser("certify", help="issue signed PDF certificates to learners who qualify")
    grading_options(parser)
    parser.add_argument("--key", type=Path, required=True, help="the facilitator's private key (from keygen)")
    parser.add_argument("--rules", type=Path,
                        help=f"certification rule file (default: {DEFAULT_RULES} in the course folder)")
    parser.add_argument("--facilitator", help="issuing facilitator's name (default: from the rule file)")
    parser.add_argument("--reissue", action="append", metavar="ID",
                        help="issue a new certificate to this learner, whose certificate was revoked (repeatable)")
    parser.add_argument("--out", type=Path, help="folder for certificates and register (default: <workspace>/certificates)")
    parser.set_defaults(run=_certify)

    parser = subparsers.add_parser("verify", help='check a certificate: prints "valid", "not valid" or "revoked" and why')
    parser.add_argument("certificate", type=Path, help="the certificate PDF")
    parser.add_argument("--public-key", type=Path, required=True, help="the issuing facilitator's public key")
    parser.add_argument("--register", type=Path, help="also check the register: the workspace's register.jsonl or "
                        "the published verification-register.js; a revoked certificate is reported as revoked")
    parser.set_defaults(run=_verify)
