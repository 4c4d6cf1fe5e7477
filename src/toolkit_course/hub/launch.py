"""Start the course's shared server: `python -m toolkit_course.hub.launch [--lan] [--port N] [--auth native|lti13]`.

Run as root (`sudo make hub`). Prepares the system (system.prepare), writes
deploy/jupyterhub_config.py and starts JupyterHub with it, printing the address.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from .settings import AUTH_CHOICES, HubSettings

CHECKOUT = Path(__file__).resolve().parents[3]


def lan_address() -> str:
    """This machine's address on the local network (the one a route to elsewhere would use; nothing is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def read_lti(path: str | None) -> dict:
    if not path:
        return {}
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise SystemExit(f"error: {path}: expected a mapping of LTI 1.3 settings")
    return data


def settings_from(args: argparse.Namespace) -> HubSettings:
    return HubSettings(
        state_dir=Path(args.state_dir).resolve(), checkout=CHECKOUT, ip="0.0.0.0" if args.lan else "127.0.0.1",
        port=args.port, auth=args.auth, facilitator=args.facilitator, learner_group=args.learner_group,
        mem_limit=args.mem_limit, cpu_limit=args.cpu_limit, idle_timeout=args.idle_timeout,
        lti=read_lti(args.lti_config))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="make hub", description=__doc__)
    p.add_argument("--lan", action="store_true", help="listen on every network interface, not only this machine")
    p.add_argument("--port", type=int, default=8000, help="the address's port (the next two are used inside)")
    p.add_argument("--auth", choices=AUTH_CHOICES, default="native", help="native accounts, or LTI 1.3 from an LMS")
    p.add_argument("--lti-config", help="YAML file of LTI 1.3 settings (see deploy/lti13.example.yaml)")
    p.add_argument("--facilitator", default="facilitator", help="the facilitator's login name (hub admin)")
    p.add_argument("--learner-group", default="toolkit-learners", help="system group of every learner")
    p.add_argument("--mem-limit", default="1G", help="memory per learner, e.g. 1G")
    p.add_argument("--cpu-limit", type=float, default=1.0, help="CPU cores per learner")
    p.add_argument("--idle-timeout", type=int, default=3600, help="stop a server idle this many seconds")
    p.add_argument("--state-dir", default=str(CHECKOUT / "deploy" / "state"),
                   help="hub database, secrets and the exchange (default deploy/state)")
    p.add_argument("--config-only", action="store_true", help="prepare and write the config, do not start")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from . import system
    from .spawner import limits_in_force

    settings = settings_from(args)
    try:
        system.prepare(settings)
    except PermissionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    config = system.write_hub_config(settings, CHECKOUT / "deploy" / "jupyterhub_config.py")
    held = limits_in_force()
    print(f"hub config: {config}")
    print(f"exchange:   {settings.exchange_root / settings.course_id}")
    print("limits:     " + ", ".join(f"{kind} {'enforced' if ok else 'NOT enforced'}" for kind, ok in held.items()))
    where = f"http://{lan_address()}:{settings.port}/" if args.lan else settings.url
    print(f"\nThe hub is starting. Open {where} in a web browser.")
    if settings.auth == "native":
        print(f"If you have not yet, sign up as '{settings.facilitator}' (the facilitator) now, before you give the "
              "address to anyone:")
        print(f"whoever takes that name first is the administrator. Then approve learners at {where}hub/authorize")
    if args.config_only:
        return 0
    os.chdir(settings.state_dir)
    jupyterhub = str(settings.venv_bin / "jupyterhub")
    os.execv(jupyterhub, [jupyterhub, "-f", str(config)])


if __name__ == "__main__":
    sys.exit(main())
