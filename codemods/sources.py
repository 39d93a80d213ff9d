"""Reading and writing source files without losing anything.

Encodings (PEP 263 cookies), byte-order marks and line endings are carried by libcst itself when
it parses bytes and regenerates ``Module.bytes``; this module checks the bytes can be decoded at
all (for a clear error instead of a parser traceback) and writes atomically.
"""

from __future__ import annotations

import io
import os
import stat
import tempfile
import tokenize
from typing import Sequence, Tuple


class SourceError(Exception):
    """A file that cannot be processed; ``line``/``column`` when known (1-based)."""

    def __init__(self, reason: str, line: int = 0, column: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.column = column


def decode(data: bytes) -> Tuple[str, str]:
    """Return ``(text, encoding)`` or raise ``SourceError`` saying why the bytes are not source."""
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise SourceError("binary file (contains a NUL byte)", line)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise SourceError(f"bad encoding declaration: {exc.msg}", exc.lineno or 1)
    try:
        text = data.decode(encoding)
    except LookupError:
        raise SourceError(f"unknown encoding {encoding!r}", 1)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(f"cannot decode as {encoding}: byte 0x{data[exc.start]:02x} is invalid", line, column)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, encoding


def write_atomic(path: str, data: bytes, roots: Sequence[str] = ()) -> None:
    """Replace ``path`` by ``data`` through a temporary file in the same directory.

    The mode bits of the original are kept; a crash leaves either the old or the new file,
    never a truncated one. A symlink is kept: its target is replaced. With ``roots`` (real
    paths), a file that resolves outside all of them is refused. A file with more than one
    hard link is refused too: the rename would detach this name from the others (they would
    keep the old text), and writing in place would change files under other names and lose
    atomicity.
    """
    from .discover import inside

    real = os.path.realpath(path)
    if roots and not inside(real, roots):
        raise SourceError(f"resolves outside the tree ({real}): not rewritten")
    st = os.stat(real)
    if not stat.S_ISREG(st.st_mode):
        raise SourceError("not a regular file: not rewritten")
    if st.st_nlink > 1:
        raise SourceError(f"file has {st.st_nlink} hard links: not rewritten (replacing it would split them)")
    if not (st.st_mode & 0o222) or not os.access(real, os.W_OK):
        raise SourceError("file is read-only: not rewritten")
    directory = os.path.dirname(real)
    fd, tmp = tempfile.mkstemp(prefix=".http-codemods-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except OSError:
            pass
        os.replace(tmp, real)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def create_atomic(path: str, data: bytes, roots: Sequence[str] = ()) -> None:
    """Create ``path`` with ``data``: written to a temporary file in the same directory, then
    linked to the name, which fails if the name was taken meanwhile (nothing is replaced; a
    crash leaves no partial file under the name). The mode is the umask's, as for any new file."""
    from .discover import inside

    directory = os.path.dirname(os.path.abspath(path))
    real = os.path.join(os.path.realpath(directory), os.path.basename(path))
    if roots and not inside(real, roots):
        raise SourceError(f"resolves outside the tree ({real}): not created")
    if os.path.lexists(real):
        raise SourceError("exists already (created meanwhile?): not replaced")
    fd, tmp = tempfile.mkstemp(prefix=".http-codemods-", suffix=".tmp", dir=os.path.dirname(real))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        try:
            os.link(tmp, real)
        except FileExistsError:
            raise SourceError("exists already (created meanwhile?): not replaced")
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def read_source(path: str, max_size: int = 0) -> bytes:
    """The bytes of a regular file, refusing FIFOs and devices (never blocks on open) and
    files over the size limit (not read at all)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(st.st_mode):
            raise SourceError("not a regular file")
        if max_size and st.st_size > max_size:
            raise SourceError(
                f"{_megabytes(st.st_size)} is over the size limit of {_megabytes(max_size)}"
                " (--file-size-limit): not processed"
            )
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    finally:
        os.close(fd)


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"
