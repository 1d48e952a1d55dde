# ISC license.
"""The counts a Python suite keeps, and its one kind of check: shared by
tests/delivery/run.py, tests/mx/run.py and tests/mx/rbl.py, which end
with "N passed, M failed, K skipped" from these counts."""

results = {"passed": 0, "failed": 0, "skipped": 0}


def check(name, got, want):
    """ok when got is want, else FAIL with both."""
    if got == want:
        results["passed"] += 1
        print("ok   " + name)
    else:
        results["failed"] += 1
        print("FAIL %s\n     got:  %r\n     want: %r" % (name, got, want))
