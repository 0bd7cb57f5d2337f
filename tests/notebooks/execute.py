"""Execute one notebook headless with a real kernel and save it, plus an HTML report.

    python tests/notebooks/execute.py IN.ipynb OUT.ipynb [OUT.html]

Runs in the notebook's own directory, with the ``python3`` kernel of the Python running this
script (so a world's user gets a kernel of its own). Prints a JSON line: seconds, errors.
Errors do not stop the run: every cell executes and the outputs show what failed.
"""

from __future__ import annotations

import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient


def execute(src: str, out: str, html: str | None = None, timeout: int = 900) -> dict:
    nb = nbformat.read(src, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", allow_errors=True, record_timing=True
    )
    t0 = time.monotonic()
    client.execute(cwd=os.path.dirname(os.path.abspath(src)))
    seconds = time.monotonic() - t0
    nbformat.write(nb, out)
    if html:
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        with open(html, "w", encoding="utf-8") as fh:
            fh.write(body)
    errors = [
        c.source.splitlines()[0] if c.source else ""
        for c in nb.cells
        if any(o.get("output_type") == "error" for o in c.get("outputs", []))
    ]
    return {"seconds": round(seconds, 1), "errors": errors}


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    result = execute(*sys.argv[1:])
    print(json.dumps(result))
    sys.exit(1 if result["errors"] else 0)
