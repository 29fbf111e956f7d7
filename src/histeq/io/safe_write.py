"""Files that appear complete or not at all: written to a temporary file in
the destination folder, then renamed into place (never over an existing file
unless asked)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

#: How the names of temporary files being written begin (they are renamed when complete).
TEMPORARY_PREFIX = ".histeq-"


def write_safely(path: Path, write: Callable[[BinaryIO], None], *, overwrite: bool = False) -> None:
    """Create ``path`` with ``write(file)``, so that it appears complete or not at all.

    ``write`` fills a temporary file ``.histeq-*`` in the same folder, which
    is then renamed to ``path``; on any error (or interruption) it is removed.
    The file gets the permissions a plain ``open(path, "wb")`` would give.

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
    OSError
        When the file cannot be written.
    """
    path = Path(path)
    if not overwrite and os.path.lexists(path):
        raise _exists_error(path)
    folder = path.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    with tempfile.NamedTemporaryFile(dir=folder, prefix=TEMPORARY_PREFIX, suffix=path.suffix, delete=False) as tmp:
        temporary = Path(tmp.name)
    try:
        with open(temporary, "wb") as file:
            write(file)
        os.chmod(temporary, 0o666 & ~_umask())  # the mode a plain open() would give
        if overwrite:
            os.replace(temporary, path)
        else:
            _move_no_clobber(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


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
    return FileExistsError(f"{str(path)!r} already exists; use --force (overwrite=True) to replace it")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
