"""Where results go: standard output, or a file written whole or not at all.

A file named with ``-o`` (or ``--summary``) is written to a temporary file in the same
folder and renamed over the target only when everything is written, so an interrupted or
failed run leaves the old file as it was and no half file behind. A target that is one of
the run's inputs is refused before anything is read. A target that is not a regular file
(``/dev/null``, a FIFO, a terminal) is written directly: there is nothing to rename over.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from types import FrameType, TracebackType
from typing import TextIO

_interrupted = False


@contextlib.contextmanager
def remembering_interrupts() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt as usual, and is also remembered until the block ends.

    Python drops an exception raised while it runs a finalizer (a ``__del__``, a weakref callback such
    as multiprocessing's), printing "Exception ignored"; a Ctrl-C landing there would be lost and the
    run would go on to write its output. Remembered, it still stops the run: :class:`Output` commits
    nothing and :func:`interrupted` tells the caller."""
    global _interrupted

    def handler(signum: int, frame: FrameType | None) -> None:
        global _interrupted
        _interrupted = True
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():  # only the main thread gets signals
        yield
        return
    _interrupted = False
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        _interrupted = False


def interrupted() -> bool:
    """Whether Ctrl-C was pressed inside :func:`remembering_interrupts`, even if its exception was lost."""
    return _interrupted


class OutputError(Exception):
    """The output cannot be written; the message names the file and the reason, in one line.
    ``status`` is the exit status: 2 for a target refused before any work, 1 for a failed write."""

    def __init__(self, message: str, status: int = 1):
        super().__init__(message)
        self.status = status


class Output:
    """A context manager giving a text stream; on a clean exit the file is in place, else untouched."""

    def __init__(self, path: str | None, inputs: Iterable[str] = ()):
        self.path = path if path not in (None, "-") else None
        self.inputs = [i for i in inputs if i and i != "-"]
        self.file: TextIO | None = None
        self.temp: str | None = None

    def check(self) -> None:
        """Refuse a target that is an input, a folder, or in a folder that does not exist; before any work."""
        if self.path is None:
            return
        for source in self.inputs:
            if _same_file(source, self.path):
                raise OutputError(f"{self.path}: refusing to overwrite an input of this run; name another output", 2)
        if os.path.isdir(self.path):
            raise OutputError(f"{self.path}: cannot write: it is a directory", 2)
        folder = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise OutputError(f"{self.path}: cannot write: the folder {folder} does not exist", 2)

    @property
    def regular(self) -> bool:
        """Whether the target is (or will be) a regular file, written to a temporary file and renamed."""
        try:
            return self.path is None or stat.S_ISREG(os.stat(self.path).st_mode)
        except OSError:
            return True  # nothing there yet

    def __enter__(self) -> Writer:
        self.check()
        if self.path is None:
            return Writer(sys.stdout, "standard output")
        target = os.path.realpath(self.path)
        try:
            if not self.regular:  # a pipe, a terminal, /dev/stdout (whose real path names no file): as it is
                self.file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in __exit__
            else:
                fd, self.temp = tempfile.mkstemp(dir=os.path.dirname(target),
                                                 prefix=f".{os.path.basename(target)}.", suffix=".part")
                os.chmod(self.temp, _mode_for(target))
                self.file = os.fdopen(fd, "w", encoding="utf-8")
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot write: {exc.strerror or exc}") from None
        return Writer(self.file, self.path)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.file is None:
            return
        finished = kind is None and not interrupted()  # a Ctrl-C whose exception Python dropped did not finish
        try:
            self.file.close()
            if finished and self.temp is not None:
                os.replace(self.temp, os.path.realpath(self.path or self.temp))
                self.temp = None
        except BrokenPipeError:
            raise  # the reader of a pipe went away (| head): the run ends quietly
        except OSError as error:
            if finished:
                raise OutputError(f"{self.path}: cannot write: {error.strerror or error}") from None
        finally:
            if self.temp is not None:
                os.unlink(self.temp)
        if kind is None and not finished:
            raise KeyboardInterrupt


class Writer:
    """A text stream whose write errors (a full disk, a closed pipe's reader aside) are
    :class:`OutputError` naming the output, so that they are told apart from read errors."""

    def __init__(self, file: TextIO, name: str):
        self.file, self.name = file, name

    def write(self, text: str) -> int:
        try:
            return self.file.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"{self.name}: cannot write: {exc.strerror or exc}") from None

    def flush(self) -> None:
        try:
            self.file.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"{self.name}: cannot write: {exc.strerror or exc}") from None

    def isatty(self) -> bool:
        return self.file.isatty()

    def fileno(self) -> int:
        return self.file.fileno()

    @property
    def encoding(self) -> str:
        return self.file.encoding


def _same_file(a: str, b: str) -> bool:
    """Whether two paths name one file — also one not made yet (a new register, created after the output is
    checked): then by their real paths."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _mode_for(target: str) -> int:
    """The mode the file would have had if opened plainly: the old file's, or 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
