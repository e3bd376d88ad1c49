"""Writing a site to a directory, all at once or not at all.

The new site is built in a hidden directory beside OUTDIR, then swapped in with
one rename (on Linux an atomic exchange), so a reader or web server sees either
the whole previous site or the whole new one, and an export that is interrupted
or fails leaves the previous site as it was. A page whose bytes did not change is
carried over as a hard link to the existing file: same inode, same modification
time, so mirrors and caches see it untouched.

The marker file lists the files the last export wrote. Any other file in OUTDIR
(a signed checkpoint log, a public key, a page of the newsroom's own) is not
storylog's to delete: it is carried over as it is (a hard link, or the same
symlink), and an export that would overwrite one is refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from storylog.errors import RefusedInput

MARKER = ".storylog-site"
MARKER_TEXT = b"This directory is written by `storylog export`; it is replaced on every export.\n"
MANIFEST_HEAD = ("This directory is written by `storylog export`. The files listed below are "
                 "its own and are replaced on every export; any other file is kept.\n")
# What an export wrote before the marker listed its files: its pages, feed and stylesheet.
OLD_SITE_SUFFIXES = (".html", ".atom", ".css")
TEMP_TAG = ".storylog-tmp-"


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def summary(self) -> str:
        kept = f", {len(self.kept)} not storylog's kept" if self.kept else ""
        return (f"{len(self.written)} written, {len(self.unchanged)} unchanged, "
                f"{len(self.removed)} removed{kept}")


def write_site(files: Mapping[str, bytes], outdir: str | Path) -> WriteReport:
    """Make ``outdir`` hold exactly ``files`` (relative path -> bytes), atomically.

    Refuses a directory that holds files storylog did not write (no marker file),
    so that a mistyped OUTDIR is never replaced. In a directory it did write, files
    it did not write are kept.
    """
    target = Path(os.path.abspath(outdir))
    if target.is_symlink():
        target = target.resolve()
    parent = target.parent
    if not parent.is_dir():
        raise RefusedInput(f"{parent} does not exist; create it first")
    paths = {_checked(path): data for path, data in files.items()}
    with _locked(parent):
        _refuse_foreign(target)
        foreign = _not_ours(target, paths)
        _remove_stale(parent, target.name)
        temp = Path(tempfile.mkdtemp(prefix=f".{target.name}{TEMP_TAG}", dir=parent))
        try:
            report = _fill(temp, target, paths, foreign)
            _set_mode(temp, target)
            _fsync_dir(temp)
            _swap(temp, target)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        shutil.rmtree(temp, ignore_errors=True)  # after the swap: the previous site
        _fsync_dir(parent)
    return report


def _checked(path: str) -> str:
    pure = PurePosixPath(path)
    if (pure.is_absolute() or not pure.parts or any(p in ("", ".", "..") for p in pure.parts)
            or any(c in path for c in "\\\x00\n\r") or pure.name == MARKER):
        raise ValueError(f"not a relative file path for a site: {path!r}")
    return str(pure)


def _refuse_foreign(target: Path) -> None:
    if not target.exists():
        return
    if not target.is_dir():
        raise RefusedInput(f"{target} is a file, not a directory; choose another OUTDIR")
    if any(target.iterdir()) and not (target / MARKER).is_file():
        raise RefusedInput(
            f"{target} holds files that `storylog export` did not write; export replaces "
            "its output directory, so choose an empty or new directory"
        )


def _ours(target: Path) -> set[str] | None:
    """The files the last export wrote, as its marker lists them (None: an old marker
    that lists none)."""
    try:
        lines = (target / MARKER).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return set(lines[1:]) if len(lines) > 1 else None


def _not_ours(target: Path, files: Mapping[str, bytes]) -> list[str]:
    """The files (and symlinks) in ``target`` that no export wrote, to carry over;
    refuses if the new site would overwrite one of them."""
    if not target.is_dir() or not (target / MARKER).is_file():
        return []
    ours = _ours(target)
    found = []
    for root, dirs, names in os.walk(target):
        here = Path(root)
        links = [d for d in dirs if (here / d).is_symlink()]
        for name in [*names, *links]:
            relative = (here / name).relative_to(target).as_posix()
            mine = (relative in ours) if ours is not None else name.endswith(OLD_SITE_SUFFIXES)
            if relative != MARKER and not mine:
                found.append(relative)
    needed = set(files) | {p.as_posix() for f in files for p in PurePosixPath(f).parents}
    clash = sorted(p for p in found if p in needed)
    if clash:
        raise RefusedInput(
            f"{target / clash[0]} was not written by `storylog export`, and the site needs "
            "that name; move it, then export again"
        )
    return sorted(found)


def _remove_stale(parent: Path, name: str) -> None:
    """Temporary directories left by an export that was killed (we hold the lock)."""
    for stale in parent.glob(f".{name}{TEMP_TAG}*"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)


def _fill(temp: Path, target: Path, files: dict[str, bytes], foreign: list[str]) -> WriteReport:
    report = WriteReport(kept=foreign)
    manifest = (MANIFEST_HEAD + "".join(f"{p}\n" for p in sorted(files))).encode("utf-8")
    for path in foreign:
        _carry_over(target / path, temp / path)
    for path, data in {**files, MARKER: manifest}.items():
        new = temp / path
        new.parent.mkdir(parents=True, exist_ok=True)
        old = target / path
        if _same(old, data):
            try:
                os.link(old, new)
            except OSError:
                shutil.copy2(old, new)
            if path != MARKER:
                report.unchanged.append(path)
            continue
        with open(new, "xb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path != MARKER:
            report.written.append(path)
    if target.is_dir():
        kept = set(foreign)
        for old in sorted(target.rglob("*")):
            relative = old.relative_to(target).as_posix()
            if (old.is_file() and relative != MARKER and relative not in files
                    and relative not in kept):
                report.removed.append(relative)
    return report


def _carry_over(old: Path, new: Path) -> None:
    """A file storylog did not write, into the new site as it is."""
    new.parent.mkdir(parents=True, exist_ok=True)
    if old.is_symlink():
        os.symlink(os.readlink(old), new)
        return
    try:
        os.link(old, new)
    except OSError:
        shutil.copy2(old, new)


def _same(path: Path, data: bytes) -> bool:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def _set_mode(temp: Path, target: Path) -> None:
    """mkdtemp makes a private directory; the site must be as readable as before."""
    if target.is_dir():
        mode = target.stat().st_mode & 0o7777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o777 & ~umask
    os.chmod(temp, mode)


def _swap(temp: Path, target: Path) -> None:
    """Put ``temp`` in ``target``'s place; ``temp`` then holds the previous site, if any."""
    if not target.exists():
        os.rename(temp, target)
        return
    if _exchange(temp, target):
        return
    # No atomic exchange here: two renames, undoing the first if the second fails.
    backup = temp.with_name(temp.name + "-previous")
    os.rename(target, backup)
    try:
        os.rename(temp, target)
    except BaseException:
        os.rename(backup, target)
        raise
    os.rename(backup, temp)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One export at a time into a directory's children (an advisory lock on it)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
