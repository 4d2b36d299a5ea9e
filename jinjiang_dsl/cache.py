"""The per-user cache folder, shared by the parser's tables and the compiled policies' code.

Both are stored as something Python loads as code (a pickle, marshalled code objects), so a
file planted there runs in our process. The folder is the user's own (``$XDG_CACHE_HOME`` or
``~/.cache``, then ``jinjiang-dsl``), created 0700, and used only while it belongs to this user
and no one else can write to it: never a predictable name in the shared temporary folder."""

from __future__ import annotations

import os
import stat


def private_folder() -> str | None:
    """The cache folder, or None: it cannot be made, or another user could write to it."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "jinjiang-dsl")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        info = os.stat(folder, follow_symlinks=False)
    except OSError:
        return None
    private = stat.S_ISDIR(info.st_mode) and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if not private or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        return None
    return folder
