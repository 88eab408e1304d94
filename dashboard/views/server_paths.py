"""Messages for the browser without the server's folders: a file is named by its own name only.

A server path tells whoever reaches the page how the server is laid out (user names, mounts);
the user needs only which file. The upload's own name replaces the server's copy of it.

Examples
--------
>>> without_server_paths("line 3 of /home/aid/.local/share/impact/uploads/ab12.csv is bad",
...     {"/home/aid/.local/share/impact/uploads/ab12.csv": "cir_sample.csv"})
'line 3 of cir_sample.csv is bad'
>>> without_server_paths("cannot write /srv/impact/quarantine/x.rejected.csv: read-only")
'cannot write x.rejected.csv: read-only'
>>> without_server_paths("see https://example.org/a/b.csv and 3/4 of rows")
'see https://example.org/a/b.csv and 3/4 of rows'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

# An absolute POSIX path of at least one folder: not inside a URL ("//host/..."), a word or a ratio.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])/(?:[\w.\-]+/)+([\w.\-]+)")


def without_server_paths(text: str, names: Mapping[str | Path, str] | None = None) -> str:
    """``text`` with each path in ``names`` replaced by its name, and any other absolute path by its file name.

    Parameters
    ----------
    text
        A message about to be shown in the browser.
    names
        Server paths and the names the user knows them by (an upload's own file name).
    """
    for path, name in sorted((names or {}).items(), key=lambda item: -len(str(item[0]))):
        text = text.replace(str(path), name)
    return _ABSOLUTE_PATH.sub(lambda match: match.group(1), text)


def file_name(path: str | Path) -> str:
    """The last part of a server path: how the page names a file it wrote."""
    return Path(path).name
