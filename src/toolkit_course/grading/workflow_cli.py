"""Subcommands of `toolkit-course`; see register()."""


def register(subparsers) -> None:
    """Add this group's subcommands to the `toolkit-course` parser."""
