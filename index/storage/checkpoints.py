"""Named moments of an index update, for the crash tests only.

TEST-ONLY: with ``LINTAS_TEST_STOP_AT=NAME`` in its environment, `lintas index` writes
``lintas-test-checkpoint NAME`` to stderr when it reaches NAME and then waits, so that
tests/test_crash.py can SIGKILL it at exactly that moment of the real code path. Nobody else
should set this variable; unset, a checkpoint costs one dictionary lookup.

Checkpoints, in order: read, embedded, vectors, keyword, staged, renamed, switched.
"""
from __future__ import annotations

import os
import sys
import time

ENV = "LINTAS_TEST_STOP_AT"


def checkpoint(name: str) -> None:
    if os.environ.get(ENV) != name:
        return
    sys.stderr.write(f"lintas-test-checkpoint {name}\n")
    sys.stderr.flush()
    while True:  # wait for the test's SIGKILL
        time.sleep(60)
