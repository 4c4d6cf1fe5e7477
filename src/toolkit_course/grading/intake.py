"""Take in returned files without trusting them: copy each one, within limits, never following a link.

collect reads three kinds of source: a folder, a zip file, and nbgrader's exchange
(its inbound folder, which every learner can write to). Any of them may hold a
symbolic link to someone else's notebook, a pipe that never ends, a zip bomb, a zip
entry named "../../x" or with an impossible date, or thousands of files. So here:

- folders are walked through directory descriptors, opening every entry with
  O_NOFOLLOW: a link is reported and never read, even if it is swapped in while
  collect runs; anything that is not a regular file is reported;
- every file is streamed to a kept copy under a name collect chooses, stopping at
  MAX_FILE_BYTES, and a batch stops taking files at MAX_TOTAL_BYTES or MAX_FILES;
- zip entries are checked before reading (path, declared size, compression ratio,
  link, count) and while reading (actual size and ratio); a bad date is not fatal.

Each refused file becomes a Returned with a problem that names it; nothing here
raises for one bad file.
"""

from __future__ import annotations

import datetime as dt
import errno
import itertools
import os
import pwd
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from nbgrader.utils import parse_utc

MiB = 2 ** 20
MAX_FILE_BYTES = 20 * MiB       # an assessment notebook is a few dozen kB; outputs are cleared before grading
MAX_TOTAL_BYTES = 512 * MiB     # everything one collect copies
MAX_FILES = 2000                # files (or zip entries) one collect looks at
MAX_DEPTH = 12                  # folder levels below the source
MAX_EXCHANGE_ENTRIES = 100_000  # submission folders in the exchange's inbound/, all modules and learners together
MAX_RATIO = 100                 # uncompressed / compressed, for zip entries ...
RATIO_CHECKED_FROM = 1 * MiB    # ... bigger than this (small entries cannot do harm)
_CHUNK = 1 * MiB
_IGNORED = {"__MACOSX", ".DS_Store", "Thumbs.db", ".ipynb_checkpoints", "desktop.ini"}
# Control characters (which can rewrite a terminal) and the invisible marks that reorder or hide text.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
LINK_REFUSED = "is a symbolic link; collect never follows links (put the notebook itself there instead)"


@dataclass
class Returned:
    """One returned file and what collect made of it."""

    label: str                      # the name the facilitator knows it by (path inside the folder or zip)
    original: Path | None = None    # the kept copy under returned/<batch>/originals/; None if refused
    modified: dt.datetime | None = None  # None: unknown, counted as the oldest
    sender: str | None = None       # exchange: the login name in the submission folder's name
    owner: str | None = None        # exchange: the login that owns the submission folder
    owner_uid: int | None = None    # exchange: its numeric owner
    learner: str | None = None
    slug: str | None = None
    problem: str | None = None
    notes: list[str] = field(default_factory=list)
    by_metadata_only: bool = False  # only a claim inside the notebook (its metadata or About-you box) named the learner
    claimed_by: str = "its metadata"  # which claim, in words, when by_metadata_only
    candidates: list[str] = field(default_factory=list)  # set aside to decide: "id (Name)" of each likely learner
    decide_copy: Path | None = None  # set aside to decide: the copy to confirm with `collect --as`
    how: str = ""  # how its learner was found, when the report should say so (say, only by its About-you box)
    secret: str | None = None  # exchange: nbgrader's submission secret, which release_feedback addresses pages by

    @property
    def sort_time(self) -> dt.datetime:
        return self.modified or dt.datetime.min.replace(tzinfo=dt.UTC)


def printable(text: str) -> str:
    """Text as it may be printed: control characters (which can rewrite a terminal) and invisible
    direction marks shown as '?'."""
    return _UNPRINTABLE.sub("?", text)


def ignored(label: str) -> bool:
    """Files that operating systems and mail programs add; never a learner's work."""
    return any(part in _IGNORED or part.startswith("._") for part in PurePosixPath(label).parts)


class Intake:
    """Copies files into `keep`, counting files and bytes against the limits of one collect."""

    def __init__(self, keep: Path):
        self.keep = Path(keep)
        self.files = 0
        self.bytes = 0
        self.items: list[Returned] = []
        self._stopped = False

    # ------------------------------------------------------------ shared

    @property
    def full(self) -> bool:
        """True once MAX_FILES files were taken in; the first file turned away is reported once."""
        return self.files >= MAX_FILES

    def _turn_away(self, label: str) -> None:
        if not self._stopped:
            self._stopped = True
            self.items.append(Returned(printable(label), problem=f"collect looks at {MAX_FILES} files at most; this "
                                       "file and the ones after it were not looked at (collect them in smaller "
                                       "batches)"))

    def _refusal(self, size_hint: int = 0) -> str | None:
        """Why a file cannot be copied (the batch's byte limit is reached), or None."""
        if self.bytes + size_hint > MAX_TOTAL_BYTES:
            return (f"was not copied: this collect has already taken in {self.bytes // MiB} MiB, and one "
                    f"collect takes at most {MAX_TOTAL_BYTES // MiB} MiB (collect the rest in another batch)")
        return None

    def _target(self, label: str) -> Path:
        name = printable(PurePosixPath(label.replace("\\", "/")).name).replace("/", "_")[:120] or "file"
        if name in (".", ".."):
            name = "file"
        folder = self.keep / f"{self.files:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name

    def _stream(self, read, target: Path, limit: int) -> str | None:
        """Copy chunks from read(size) into target; stop past the limits. Returns a problem or None."""
        written = 0
        with open(target, "wb") as out:
            while True:
                chunk = read(_CHUNK)
                if not chunk:
                    self.bytes += written
                    return None
                written += len(chunk)
                if written > limit:
                    problem = f"is larger than {limit // MiB} MiB, too large for a notebook; not taken in"
                elif self.bytes + written > MAX_TOTAL_BYTES:
                    problem = (f"was not copied: one collect takes at most {MAX_TOTAL_BYTES // MiB} MiB "
                               "(collect the rest in another batch)")
                else:
                    out.write(chunk)
                    continue
                break
        target.unlink()
        return problem

    # ------------------------------------------------------------ a single file or a folder

    def take_path(self, source: Path) -> None:
        """A folder (walked), a zip file (opened) or one file. The source itself may be a link the
        facilitator chose; nothing inside it is followed."""
        source = Path(os.path.realpath(source))
        if source.is_dir():
            descriptor = os.open(source, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                self._walk(descriptor, "", 0, lambda name: True)
            finally:
                os.close(descriptor)
        elif source.is_file() and zipfile.is_zipfile(source):
            self.take_zip(source)
        else:
            parent = os.open(source.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                self._take_entry(parent, source.name, source.name, 0, lambda name: True)
            finally:
                os.close(parent)

    def _walk(self, dir_fd: int, prefix: str, depth: int, wanted, extra: dict | None = None) -> None:
        names, complete = _names(dir_fd, MAX_FILES)
        if not complete:
            self.items.append(Returned(printable(prefix) or ".", problem=f"holds more than {MAX_FILES} entries; "
                                       f"only {MAX_FILES} of them were looked at", **(extra or {})))
        for name in names:
            self._take_entry(dir_fd, name, f"{prefix}{name}", depth, wanted, extra)

    def _take_entry(self, dir_fd: int, name: str, label: str, depth: int, wanted, extra: dict | None = None) -> None:
        if ignored(label):
            return
        extra = extra or {}
        try:
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError as exc:
            self.items.append(Returned(printable(label), problem=f"could not be read ({exc.strerror})", **extra))
            return
        if self.full:
            self._turn_away(label)
            return
        if stat.S_ISREG(info.st_mode) and not wanted(name):
            return
        self.files += 1  # everything looked at counts, so a folder of a million links or folders is bounded too
        if stat.S_ISLNK(info.st_mode):
            self.items.append(Returned(printable(label), problem=LINK_REFUSED, **extra))
            return
        if stat.S_ISDIR(info.st_mode):
            if depth >= MAX_DEPTH:
                self.items.append(Returned(printable(label) + "/", problem=f"is more than {MAX_DEPTH} folders deep; "
                                           "not looked at", **extra))
                return
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
            except OSError as exc:
                self.items.append(Returned(printable(label) + "/", problem=f"could not be opened ({exc.strerror})",
                                           **extra))
                return
            try:
                self._walk(child, f"{label}/", depth + 1, wanted, extra)
            finally:
                os.close(child)
            return
        if not stat.S_ISREG(info.st_mode):
            self.items.append(Returned(printable(label), problem="is not a regular file (a pipe, socket or device); "
                                       "not read", **extra))
            return
        self._take_regular(dir_fd, name, label, extra)

    def _take_regular(self, dir_fd: int, name: str, label: str, extra: dict) -> None:
        item = Returned(printable(label), **extra)
        self.items.append(item)
        item.problem = self._refusal()
        if item.problem:
            return
        try:
            descriptor = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
        except OSError as exc:  # ELOOP: it became a link after we looked
            item.problem = LINK_REFUSED if exc.errno == errno.ELOOP else f"could not be read ({exc.strerror})"
            return
        with os.fdopen(descriptor, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                item.problem = "is not a regular file (a pipe, socket or device); not read"
                return
            if info.st_size > MAX_FILE_BYTES:
                item.problem = (f"is {info.st_size // MiB} MiB, larger than {MAX_FILE_BYTES // MiB} MiB, too large "
                                "for a notebook; not taken in")
                return
            target = self._target(label)
            item.problem = self._stream(handle.read, target, MAX_FILE_BYTES)
            if not item.problem:
                item.original = target
                if item.modified is None:
                    item.modified = dt.datetime.fromtimestamp(info.st_mtime, dt.UTC)

    # ------------------------------------------------------------ zip files

    def take_zip(self, source: Path) -> None:
        label_of = lambda name: f"{source.name}:{printable(name)}"  # noqa: E731
        try:
            with open(source, "rb") as handle:
                end = zipfile._EndRecData(handle)  # the entry count, read before zipfile lists every entry
            declared = end[zipfile._ECD_ENTRIES_TOTAL] if end else 0
            if declared > MAX_FILES:
                self.items.append(Returned(source.name, problem=f"is a zip of {declared} entries, more than the "
                                           f"{MAX_FILES} collect looks at; not opened"))
                return
            archive = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            self.items.append(Returned(source.name, problem=f"is a damaged zip file ({exc})"))
            return
        fallback_time = dt.datetime.fromtimestamp(source.stat().st_mtime, dt.UTC)
        with archive:
            for info in archive.infolist():
                if info.is_dir() or ignored(info.filename.replace("\\", "/")):
                    continue
                label = label_of(info.filename)
                if self.full:
                    self._turn_away(label)
                    return
                self.files += 1
                item = Returned(label)
                self.items.append(item)
                item.problem = zip_entry_problem(info) or self._refusal(info.file_size)
                if item.problem:
                    continue
                item.modified = zip_entry_time(info)
                if item.modified is None:
                    item.modified = fallback_time
                    item.notes.append(f"its date in the zip ({info.date_time}) is not a valid date; "
                                      f"the zip file's own date was used")
                target = self._target(info.filename)
                try:
                    with archive.open(info) as entry:
                        limit = MAX_FILE_BYTES
                        if info.compress_size and MAX_RATIO * info.compress_size < limit:
                            limit = max(RATIO_CHECKED_FROM, MAX_RATIO * info.compress_size)
                        item.problem = self._stream(entry.read, target, limit)
                        if item.problem and limit < MAX_FILE_BYTES:
                            item.problem = (f"expands more than {MAX_RATIO} times (a zip bomb, or a damaged zip); "
                                            "not taken in")
                except Exception as exc:  # BadZipFile, zlib.error, encrypted, ...: one bad entry never stops the rest
                    target.unlink(missing_ok=True)
                    item.problem = f"could not be unpacked ({type(exc).__name__}: {str(exc)[:200]})"
                if not item.problem:
                    item.original = target

    # ------------------------------------------------------------ nbgrader's exchange

    def take_exchange(self, inbound: Path, slug: str) -> None:
        """Every notebook in every submission folder `<login>+<slug>+<timestamp>[+<random>]` of inbound/."""
        descriptor = os.open(inbound, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            names, complete = _names(descriptor, MAX_EXCHANGE_ENTRIES)
            if not complete:
                self.items.append(Returned(str(inbound), problem=f"holds more than {MAX_EXCHANGE_ENTRIES} entries; "
                                           f"only {MAX_EXCHANGE_ENTRIES} were looked at (clear out old submissions)"))
            for name in names:
                parts = name.rsplit("+", 3)
                if len(parts) < 3 or parts[1] != slug:
                    continue
                sender, label = parts[0], f"exchange:{printable(name)}"
                if self.full:
                    self._turn_away(label)
                    return
                self.files += 1
                try:
                    info = os.stat(name, dir_fd=descriptor, follow_symlinks=False)
                except OSError as exc:
                    self.items.append(Returned(label, sender=sender, problem=f"could not be read ({exc.strerror})"))
                    continue
                if stat.S_ISLNK(info.st_mode):
                    self.items.append(Returned(label, sender=sender, problem=LINK_REFUSED))
                    continue
                if not stat.S_ISDIR(info.st_mode):
                    self.items.append(Returned(label, sender=sender, problem="is not a submission folder"))
                    continue
                try:
                    submitted = parse_utc(parts[2]).replace(tzinfo=dt.UTC)
                except Exception:  # dateutil raises several kinds for text that is not a date
                    self.items.append(Returned(label, sender=sender, problem=f"its time '{printable(parts[2])}' is "
                                               "not a date, so it cannot be ordered; not collected"))
                    continue
                extra = {"sender": sender, "owner": _login_of(info.st_uid), "owner_uid": info.st_uid,
                         "modified": submitted}
                try:
                    folder = os.open(name, _DIR_FLAGS, dir_fd=descriptor)
                except OSError as exc:
                    self.items.append(Returned(label, sender=sender, problem=f"could not be opened ({exc.strerror})"))
                    continue
                before = len(self.items)
                try:
                    self._walk(folder, f"{label}/", 1, lambda entry: entry.endswith(".ipynb"), extra)
                    secret = _submission_secret(folder)
                finally:
                    os.close(folder)
                for item in self.items[before:]:
                    item.secret = secret
                if len(self.items) == before and not self.full:
                    self.items.append(Returned(label, problem="holds no notebook", **extra))
        finally:
            os.close(descriptor)


SUBMISSION_SECRET = "submission_secret.txt"  # nbgrader's name for it
_SECRET_PATTERN = re.compile(r"[0-9A-Za-z+/=_-]{1,256}")


def _submission_secret(folder_fd: int) -> str | None:
    """The secret nbgrader's submit left in a submission folder, or None (absent, a link, or not a plain token).

    `nbgrader release_feedback` names each learner's page by a hash of it, so without it an
    exchange learner could never fetch their feedback. Read like everything else here: no link
    followed, and only a short token accepted.
    """
    try:
        descriptor = os.open(SUBMISSION_SECRET, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder_fd)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        text = os.read(descriptor, 512).decode("ascii", errors="replace").strip()
    finally:
        os.close(descriptor)
    return text if _SECRET_PATTERN.fullmatch(text) else None


def _names(dir_fd: int, most: int) -> tuple[list[str], bool]:
    """Up to `most` names in a folder, sorted, and whether that is all of them (a folder may hold millions)."""
    with os.scandir(dir_fd) as entries:
        names = [entry.name for entry in itertools.islice(entries, most + 1)]
    return sorted(names[:most]), len(names) <= most


def login_uid(name: str) -> int | None:
    """The uid of a login on this machine, or None if there is no such login."""
    try:
        return pwd.getpwnam(name).pw_uid
    except (KeyError, ValueError):
        return None


def _login_of(uid: int) -> str | None:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def zip_entry_problem(info: zipfile.ZipInfo) -> str | None:
    """Why a zip entry is refused before reading it, or None."""
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if "\x00" in name or len(name) > 1024:
        return "its name in the zip is not a usable file name; not unpacked"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "its path in the zip is absolute (it would be written outside the folder); not unpacked"
    if ".." in parts:
        return "its path in the zip goes up a folder with '..' (it would be written elsewhere); not unpacked"
    if stat.S_ISLNK(info.external_attr >> 16):
        return LINK_REFUSED
    if info.file_size > MAX_FILE_BYTES:
        return (f"would unpack to {info.file_size // MiB} MiB, larger than {MAX_FILE_BYTES // MiB} MiB, too large "
                "for a notebook; not unpacked")
    if info.file_size > RATIO_CHECKED_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return f"expands more than {MAX_RATIO} times (a zip bomb, or a damaged zip); not unpacked"
    return None


def zip_entry_time(info: zipfile.ZipInfo) -> dt.datetime | None:
    """The entry's date, or None when the zip stores an impossible one (all zeros, month 13, ...)."""
    try:
        return dt.datetime(*info.date_time, tzinfo=dt.UTC)
    except (ValueError, TypeError):
        return None
