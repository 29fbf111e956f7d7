"""Files that appear complete or not at all: written to a temporary file in
the destination folder, checked complete (flushed to disk, every byte
written), then renamed into place (never over an existing file unless
asked); stale temporary files of dead processes removed."""

from __future__ import annotations

import errno
import os
import re
import signal
import stat
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

#: How the names of temporary files being written begin (they are renamed when complete).
TEMPORARY_PREFIX = ".histeq-"

#: The whole name of a temporary file: the prefix, the writing process's id, 8
#: random hex digits and the suffix of the file it becomes.
_TEMPORARY_NAME = re.compile(re.escape(TEMPORARY_PREFIX) + r"(?P<pid>[0-9]{1,10})-[0-9a-f]{8}(?:\.[A-Za-z0-9]{1,8})?")


_Error = TypeVar("_Error", bound=OSError)


class WriteError(OSError):
    """A file could not be written completely (a full disk, a file size limit,
    an I/O error); nothing was left in its place."""


def write_safely(path: Path, write: Callable[[BinaryIO], None], *, overwrite: bool = False) -> None:
    """Create ``path`` with ``write(file)``, so that it appears complete or not at all.

    ``write`` fills a temporary file ``.histeq-PID-XXXXXXXX.SUFFIX`` in the
    same folder (PID: this process). The file is then flushed to disk
    (``fsync``) and its size checked against the bytes written to it, and
    only then renamed to ``path``; on any error (or interruption) it is
    removed. The file gets the permissions a plain ``open(path, "wb")`` would
    give.

    ``write`` is given a file object that counts the bytes it writes, where
    they go (``seek``) included. A writer that writes to its descriptor
    (``fileno()``) must check its own writes and seek to where it stopped, as
    numpy's ``tofile`` does; encoders that do not (Pillow's) must be given a
    file without a descriptor.

    Parameters
    ----------
    path : Path
        The file to create; its folder must exist.
    write : callable
        Writes the contents to the binary file it is given.
    overwrite : bool, default False
        Replace ``path`` if it exists; without it an existing file is never
        replaced, even one created meanwhile.

    Raises
    ------
    FileExistsError
        When ``path`` exists and ``overwrite`` is False.
    FileNotFoundError
        When the folder of ``path`` does not exist.
    WriteError
        When the file could not be written completely (its message names
        ``path`` and the reason, such as "File too large"); ``errno`` is the
        system's error number when there is one.
    OSError
        When the temporary file cannot be created or renamed.
    """
    path = Path(path)
    if not overwrite and os.path.lexists(path):
        raise _exists_error(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    temporary: Path | None = None
    try:
        with signals_held():  # an interrupt lands once the file is named here, never before
            temporary, descriptor = _create_temporary(folder, path.suffix)
            file = open(descriptor, "wb")  # noqa: SIM115  (closed by the with below, or by its finalizer)
        with file:
            counted = _CountedFile(file, str(temporary))
            try:
                write(cast(BinaryIO, counted))
                _check_complete(file, counted.end)
            except OSError as exc:
                raise _write_error(path, exc) from exc
        os.chmod(temporary, 0o666 & ~_umask())  # the mode a plain open() would give
        if overwrite:
            os.replace(temporary, path)
        else:
            _move_no_clobber(temporary, path)
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def check_writable(path: Path, *, overwrite: bool = False) -> None:
    """Raise the error that would stop :func:`write_safely` from creating
    ``path`` before anything is written: the file exists (or is a folder), its
    folder does not, is not writable, or its name is too long for the file system.

    Parameters
    ----------
    path : Path
        The file to create.
    overwrite : bool, default False
        Whether an existing ``path`` may be replaced.

    Raises
    ------
    FileExistsError
        When ``path`` exists and ``overwrite`` is False.
    FileNotFoundError
        When the folder of ``path`` does not exist.
    IsADirectoryError
        When ``path`` is a folder.
    PermissionError
        When the folder is not writable.
    OSError
        With ``errno.ENAMETOOLONG`` when the name (or the whole path) is
        longer than the file system allows.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    name, whole = len(os.fsencode(path.name)), len(os.fsencode(os.path.abspath(path)))
    name_max, path_max = _limit(folder, "PC_NAME_MAX", 255), _limit(folder, "PC_PATH_MAX", 4096)
    if name > name_max or whole >= path_max:
        limit = f"{name} bytes long, more than the {name_max} a file name may have here"
        if name <= name_max:
            limit = f"a path {whole} bytes long, more than the {path_max - 1} a path may have here"
        raise _error(OSError, errno.ENAMETOOLONG, f"cannot write {str(path)!r}: its name is {limit}")
    if not overwrite and os.path.lexists(path):
        raise _exists_error(path)
    if path.is_dir():
        raise _error(IsADirectoryError, errno.EISDIR, f"cannot write {str(path)!r}: it is a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        message = f"cannot write {str(path)!r}: folder {str(folder)!r} is not writable"
        raise _error(PermissionError, errno.EACCES, message)


def remove_stale_temporaries(folders: Iterable[Path], *, before: float) -> list[Path]:
    """Remove the temporary files that processes which died left in ``folders``.

    Only files of :func:`write_safely`'s exact naming
    (``.histeq-PID-XXXXXXXX.SUFFIX``) that are regular files, and Zarr stores
    of :func:`temporary_path`'s naming (``.histeq-PID-XXXXXXXX.zarr``
    folders, written by :mod:`.zarr`), that were last modified before
    ``before``, and whose process ``PID`` is no longer running (or is this
    process, which has written none yet) are removed: never a file another
    running histeq is writing, nor any other file. Folders below ``folders``
    are not searched.

    Parameters
    ----------
    folders : iterable of Path
        The folders the run writes to; missing ones are passed over.
    before : float
        The start of the run, as ``time.time()``.

    Returns
    -------
    list of Path
        The files removed.
    """
    removed = []
    for folder in dict.fromkeys(folders):  # each folder once, in order
        try:
            entries = list(os.scandir(folder))
        except OSError:  # missing, or not readable: nothing of ours there
            continue
        for entry in entries:
            match = _TEMPORARY_NAME.fullmatch(entry.name)
            if match is None:
                continue
            try:
                info = entry.stat(follow_symlinks=False)
                store = stat.S_ISDIR(info.st_mode) and entry.name.endswith(".zarr")
                if not (stat.S_ISREG(info.st_mode) or store) or info.st_mtime >= before:
                    continue
                if _is_dead(int(match["pid"])):
                    _remove(entry.path, store)
                    removed.append(Path(entry.path))
            except OSError:  # gone meanwhile, or not ours to remove
                continue
    return removed


def temporary_path(folder: Path, suffix: str) -> Path:
    """A name for a temporary file or folder in ``folder`` that
    :func:`remove_stale_temporaries` recognizes once its process has died:
    ``.histeq-PID-XXXXXXXX`` and ``suffix`` (``""`` or ``.`` and up to 8
    letters and digits; folders: ``.zarr``)."""
    return folder / f"{TEMPORARY_PREFIX}{os.getpid()}-{os.urandom(4).hex()}{suffix}"


def _remove(path: str, tree: bool) -> None:
    if tree:
        import shutil  # only here: a run that finds no stale store does not load it

        shutil.rmtree(path)
    else:
        os.unlink(path)


class _CountedFile:
    """A binary file that counts what is written to it: ``end`` is the highest
    position a write reached (or a writer working on the descriptor reported
    by seeking there after ``fileno()``)."""

    def __init__(self, file: BinaryIO, name: str) -> None:
        self._file = file
        self.name = name
        self._position = file.tell()
        self.end = self._position
        self._direct = False  # fileno() was handed out: the next seek says where those writes ended

    def write(self, data: Any) -> int:
        size = memoryview(data).nbytes
        self._position += size  # counted before writing: a write that fails still shows as missing
        self.end = max(self.end, self._position)
        written = self._file.write(data)
        if written is not None and written != size:
            raise OSError(errno.EIO, f"{written} of {size} bytes written")
        return size

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._position = self._file.seek(offset, whence)
        if self._direct:  # numpy's tofile seeks to where its own writes ended
            self.end = max(self.end, self._position)
            self._direct = False
        return self._position

    def tell(self) -> int:
        return self._position

    def fileno(self) -> int:
        self._file.flush()
        self._direct = True
        return self._file.fileno()

    def flush(self) -> None:
        self._file.flush()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return self._file.closed

    @property
    def mode(self) -> str:
        return "wb"


def _check_complete(file: BinaryIO, expected: int) -> None:
    """Flush ``file`` to disk and check that it holds the ``expected`` bytes."""
    file.flush()
    os.fsync(file.fileno())
    size = os.fstat(file.fileno()).st_size
    if size < expected:
        raise OSError(errno.EIO, f"the file is incomplete ({size} of {expected} bytes written)")


def _write_error(path: Path, exc: OSError) -> WriteError:
    """The error of an incomplete write, in the command line's words."""
    reason = exc.strerror or str(exc)
    if exc.errno is None:  # numpy's tofile: "N requested and M written"
        reason = f"the write was cut short ({reason})"
    return _error(WriteError, exc.errno, f"cannot write {str(path)!r}: {reason}")


def _error(kind: type[_Error], number: int | None, message: str) -> _Error:
    """An OSError of ``kind`` whose text is ``message`` alone (no "[Errno N]"), with ``errno`` ``number``."""
    error = kind(message)
    error.errno = number  # None: no system error number
    return error


@contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM held back in this block: their handlers are
    replaced by one that notes them, and the first noted is raised again as
    the block ends (its own handler then runs: KeyboardInterrupt, histeq's
    Terminated, or the default action). In the main thread, where Python
    runs signal handlers; elsewhere nothing changes, as for a handler set
    outside Python. A signal the process ignores stays ignored.

    For what must not be cut in two (a temporary file created and named for
    its clean-up) and for waits on threads that must end before anything goes
    on (files written whole, containers closed after their reader): an
    interrupted ``Thread.join`` can even mark a running thread as ended
    (Python 3.11). Masking the signals would not do: they then go to another
    thread, and the handler still runs in this one.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) not in (None, signal.SIG_IGN):  # an ignored signal stays ignored
            previous[signum] = signal.signal(signum, lambda number, frame: noted.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if noted:
            signal.raise_signal(noted[0])


def _create_temporary(folder: Path, suffix: str) -> tuple[Path, int]:
    """A new temporary file in ``folder`` (mode 0600), named after this process, and its descriptor."""
    for _ in range(100):
        temporary = temporary_path(folder, suffix)
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o600)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, f"no free temporary file name in {str(folder)!r}")


#: Windows opens files in text mode unless told.
_O_BINARY = getattr(os, "O_BINARY", 0)


def _is_dead(pid: int) -> bool:
    """Whether no process ``pid`` runs (this process counts as dead: it has
    made no temporary file yet when stale ones are removed)."""
    if pid == os.getpid():
        return True
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: it runs, as another user
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    """Whether ``pid`` has ended and waits for its parent to collect it (Linux's /proc)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as status:
            fields = status.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return False
    return bool(fields) and fields[0] in (b"Z", b"X")


def _limit(folder: Path, name: str, default: int) -> int:
    """A file system limit (``os.pathconf``), or ``default`` where it is not known."""
    try:
        value = os.pathconf(folder, name)
    except (OSError, ValueError, AttributeError):
        return default
    return value if value > 0 else default


def _move_no_clobber(source: Path, target: Path) -> None:
    """Move ``source`` to ``target`` unless ``target`` exists.

    A hard link fails atomically if ``target`` exists. Where the file system
    has no hard links, the existence check and the move are two steps.
    """
    try:
        os.link(source, target)
    except FileExistsError:
        raise _exists_error(target) from None
    except OSError:  # no hard links here (FAT, some network shares, ...)
        if os.path.lexists(target):
            raise _exists_error(target) from None
        os.replace(source, target)
    else:
        source.unlink()


def _exists_error(path: Path) -> FileExistsError:
    return FileExistsError(f"{str(path)!r} already exists; pass overwrite=True to replace it")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
