"""Load figures for the shared server: `make bench-hub` (python -m toolkit_course.bench_hub [--learners 20 50]).

For each cohort size, on a fresh hub on loopback (as tests/test_hub.py makes it, with
system logins prefixed tkb-, all removed at the end), every learner at once logs in
(a token and a started server), fetches Module 01's assessment, opens a kernel that loads
the lessons' code, answers the assessment and submits.
Then the facilitator collects and autogrades the cohort. Printed:

  * the wall time for the whole cohort to log in, fetch and submit;
  * submissions counted in the exchange and collected (they must equal the cohort);
  * the time to collect and grade the cohort;
  * peak memory: of each learner's server and kernels (their cgroup's high-water mark,
    which includes the file cache they caused), and of the hub and the proxy;
  * a line sizing a server for 200 learners from those figures.

Not a test: the figures depend on the machine and on what else it is doing. Needs root.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import content

PREFIX = "tkb-"
SLUG = "01-trafficking-and-smuggling"
MiB = 1024 * 1024


def answers(rng: random.Random) -> dict[str, str]:
    """A random mix of right, wrong and blank answers, from the assessment's own options."""
    chosen = {}
    for item in content.load(SLUG, "assessment")["items"]:
        if "variable" in item:
            chosen[item["id"]] = rng.choice([item["answer"], rng.choice(list(item["options"])), ""])
    return chosen


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return min(probe.getsockname()[1], 60000)


def peak_rss(pid: int) -> int:
    """A process's peak resident memory (VmHWM), in bytes."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def root_children(pid: int) -> list[int]:
    """The hub's own helpers (proxy, idle culler): its children that run as root, not learners' servers."""
    try:
        found = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return [child for child in found if Path(f"/proc/{child}").exists() and Path(f"/proc/{child}").stat().st_uid == 0]


def run_cohort(size: int, workers: int) -> dict:
    from .assessment_notebook import fill_answers
    from .hub.cohort import Facilitator, Hub, Learner, remove_logins
    from .hub.settings import HubSettings
    from .hub.spawner import cgroup_memory_peak

    base = Path(tempfile.mkdtemp(prefix="toolkit-hub-bench-"))
    base.chmod(0o755)
    settings = HubSettings(state_dir=base / "state", checkout=Path(__file__).resolve().parents[2], port=free_port(),
                           facilitator=f"{PREFIX}facilitator", learner_group=f"{PREFIX}learners",
                           home_base=base / "home", admin_token_file=str(base / "state" / "admin-token"))
    hub = Hub(settings)
    names = [f"{PREFIX}l{number:03d}" for number in range(1, size + 1)]
    rng = random.Random(size)
    plans = {name: answers(rng) for name in names}
    figures: dict = {"learners": size}
    try:
        hub.prepare()
        hub.start()
        facilitator = Facilitator(settings)
        facilitator.nbgrader("release_assignment", SLUG)
        hub.add_users(names)

        def take_part(name: str) -> float:
            started = time.monotonic()
            learner = Learner(hub, name)
            learner.log_in()
            learner.assignment_action("fetch", SLUG)
            # What opening a lesson costs: a kernel that loads the course's lesson code.
            learner.run_code("from toolkit_course import show\nprint('ok')")
            path = f"{SLUG}/{SLUG}-assessment.ipynb"
            learner.write_notebook(path, fill_answers(learner.read_notebook(path), plans[name]))
            learner.assignment_action("submit", SLUG)
            return time.monotonic() - started

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            each = list(pool.map(take_part, names))
        figures["cohort seconds"] = time.monotonic() - started
        figures["slowest learner seconds"] = max(each)
        inbound = settings.exchange_root / settings.course_id / "inbound"
        figures["submissions in exchange"] = sum(1 for _ in inbound.iterdir())

        peaks = [cgroup_memory_peak(name) for name in names]
        figures["learner peak MiB"] = [peak / MiB for peak in peaks if peak]
        hub_pid = hub.process.pid
        figures["hub peak MiB"] = peak_rss(hub_pid) / MiB
        figures["proxy and services peak MiB"] = sum(peak_rss(child) for child in root_children(hub_pid)) / MiB

        started = time.monotonic()
        facilitator.toolkit("roster", str(facilitator.write_roster(names)))
        collect = facilitator.toolkit("collect", "--exchange", SLUG, check=False)
        grade = facilitator.toolkit("autograde", SLUG, "--no-progress", check=False)
        figures["grading seconds"] = time.monotonic() - started
        figures["collected"] = collect.stdout.count(f" / {SLUG}\n")
        figures["graded line"] = grade.stdout.strip().splitlines()[0] if grade.stdout.strip() else grade.stderr[-300:]
        return figures
    finally:
        hub.stop()
        remove_logins(PREFIX, settings.learner_group)
        shutil.rmtree(base, ignore_errors=True)


def report(figures: dict) -> list[str]:
    peaks = figures["learner peak MiB"]
    per_learner = sum(peaks) / len(peaks) if peaks else float("nan")
    lines = [
        f"{figures['learners']} learners at once: log in, fetch, answer and submit in {figures['cohort seconds']:.0f} s "
        f"(slowest learner {figures['slowest learner seconds']:.0f} s)",
        f"  submissions: {figures['submissions in exchange']} in the exchange, {figures['collected']} collected "
        f"(of {figures['learners']})",
        f"  collect + autograde the cohort: {figures['grading seconds']:.0f} s ({figures['graded line']})",
        f"  memory per learner (server + kernel, peak): mean {per_learner:.0f} MiB, "
        f"max {max(peaks) if peaks else float('nan'):.0f} MiB, over {len(peaks)} learners",
        f"  hub peak {figures['hub peak MiB']:.0f} MiB; proxy and idle-culler peak "
        f"{figures['proxy and services peak MiB']:.0f} MiB",
        f"  peak memory of the whole cohort: {sum(peaks) + figures['hub peak MiB'] + figures['proxy and services peak MiB']:.0f} MiB",
    ]
    if peaks:
        for_200 = (200 * per_learner + figures["hub peak MiB"] + figures["proxy and services peak MiB"]) / 1024
        lines.append(f"  sizing: 200 learners with servers running at once need about {for_200:.1f} GiB of memory "
                     "(plus the system's own), if each does what these did; the idle culler stops servers "
                     "unused for an hour, so count the learners active at the same time, not all enrolled")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench-hub", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, nargs="+", default=[20, 50], help="cohort sizes (default 20 50)")
    parser.add_argument("--workers", type=int, default=50, help="learners acting at the same moment (default 50)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("error: the bench makes a system login per learner, so it must run as root", file=sys.stderr)
        return 2
    print(f"machine: {os.cpu_count()} CPU cores; load average now {os.getloadavg()[0]:.1f}")
    for size in args.learners:
        figures = run_cohort(size, min(args.workers, size))
        for line in report(figures):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
