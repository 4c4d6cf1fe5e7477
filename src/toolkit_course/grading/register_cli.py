"""Subcommands of `toolkit-course`: revoke, publish-register (the certificate register); see register()."""

from __future__ import annotations

from pathlib import Path

from .cli_common import WORKSPACE_HELP, friendly_errors

STATIC = Path("src") / "toolkit_course" / "static"  # the book's html_static_path: copied into _build/html/_static


def _workspace_register(args) -> Path:
    from .certificates import REGISTER_FILE
    from .layout import layout

    return layout(workspace=args.workspace).workspace / "certificates" / REGISTER_FILE


@friendly_errors
def _revoke(args) -> int:
    from . import certificates

    register = args.register or _workspace_register(args)
    entry = certificates.revoke(register, args.certificate_id, args.reason)
    print(f"revoked {entry['certificate_id']} in {register}: {entry['revocation_reason']}")
    print("publish it so the book's page shows it: toolkit-course publish-register, then rebuild the book")
    return 0


@friendly_errors
def _publish(args) -> int:
    from . import certificates
    from .layout import course_root

    out = args.out or course_root() / STATIC / certificates.PUBLISHED_FILE
    keys = [certificates.load_public_key(path) for path in args.public_key or []]
    data = certificates.publish(args.register or [_workspace_register(args)], out, keys)
    revoked = sum(entry["revoked"] for entry in data["certificates"])
    print(f"wrote {out}: {len(data['certificates'])} certificate(s), {revoked} revoked, "
          f"{len(data['keys'])} public key(s); no names or e-mails")
    built = course_root() / "_build" / "html" / "_static"
    print(f"the page \"Check a certificate\" reads it once the book is rebuilt (make book), or copy it into {built}")
    return 0


def register(subparsers) -> None:
    """Add this group's subcommands to the `toolkit-course` parser."""
    parser = subparsers.add_parser("revoke", help="withdraw a certificate: mark it revoked in the register")
    parser.add_argument("certificate_id", help="the certificate ID, e.g. TKC-1A2B-3C4D-5E6F")
    parser.add_argument("--reason", required=True, help="why, in a short sentence; the verification page shows it")
    parser.add_argument("--register", type=Path,
                        help="the register (default: <workspace>/certificates/register.jsonl)")
    parser.add_argument("--workspace", help=WORKSPACE_HELP)
    parser.set_defaults(run=_revoke)

    parser = subparsers.add_parser("publish-register", help="write the register without names for the book's page "
                                                            "\"Check a certificate\" (ids, checksums, revocations, keys)")
    parser.add_argument("--register", type=Path, action="append",
                        help="a register to publish (repeatable; default: <workspace>/certificates/register.jsonl)")
    parser.add_argument("--public-key", type=Path, action="append",
                        help="a facilitator's public key to publish (repeatable); the keys that signed the "
                             "register's certificates are added anyway")
    parser.add_argument("--out", type=Path, help=f"file to write (default: {STATIC / 'verification-register.js'} "
                                                 "in the course folder); what it holds already is kept")
    parser.add_argument("--workspace", help=WORKSPACE_HELP)
    parser.set_defaults(run=_publish)
