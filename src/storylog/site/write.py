"""Writing a site to a directory, all at once or not at all.

The new site is built in a hidden directory beside OUTDIR, then swapped in with
one rename (on Linux an atomic exchange), so a reader or web server sees either
the whole previous site or the whole new one, and an export that is interrupted
or fails leaves the previous site as it was. A page whose bytes did not change is
carried over as a hard link to the existing file: same inode, same modification
time, so mirrors and caches see it untouched.
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
TEMP_TAG = ".storylog-tmp-"


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.written)} written, {len(self.unchanged)} unchanged, "
                f"{len(self.removed)} removed")


def write_site(files: Mapping[str, bytes], outdir: str | Path) -> WriteReport:
    """Make ``outdir`` hold exactly ``files`` (relative path -> bytes), atomically.

    Refuses a directory that holds files storylog did not write (no marker file),
    so that a mistyped OUTDIR is never replaced.
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
        _remove_stale(parent, target.name)
        temp = Path(tempfile.mkdtemp(prefix=f".{target.name}{TEMP_TAG}", dir=parent))
        try:
            report = _fill(temp, target, paths)
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
            or "\\" in path or "\x00" in path or pure.name == MARKER):
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


def _remove_stale(parent: Path, name: str) -> None:
    """Temporary directories left by an export that was killed (we hold the lock)."""
    for stale in parent.glob(f".{name}{TEMP_TAG}*"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)


def _fill(temp: Path, target: Path, files: dict[str, bytes]) -> WriteReport:
    report = WriteReport()
    for path, data in {**files, MARKER: MARKER_TEXT}.items():
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
        for old in sorted(target.rglob("*")):
            relative = old.relative_to(target).as_posix()
            if old.is_file() and relative != MARKER and relative not in files:
                report.removed.append(relative)
    return report


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
