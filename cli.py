"""One error style and one set of exit codes for the four tools (``run_all.py``,
``build_dataset.py``, ``predict.py``, ``build_site.py``).

- ``0``: done;
- ``1``: the work ran and failed (a notebook raised; no image could be predicted);
- ``2``: refused: bad arguments or input, said in one ``error:`` line before anything is written;
- ``130``: interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import sys

OK, FAILED, REFUSED, INTERRUPTED = 0, 1, 2, 130


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments end with one ``error:`` line (and ``--help`` for more), exit code 2."""

    def error(self, message: str):
        self.exit(REFUSED, f"error: {self.prog}: {message} (see --help)\n")


def fail(message: str, code: int = REFUSED) -> int:
    """Print one ``error:`` line to stderr; returns the exit code (a refusal by default)."""
    print(f"error: {message}", file=sys.stderr)
    return code
