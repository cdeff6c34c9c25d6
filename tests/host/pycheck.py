"""The loop of the host tests written in Python: each test is a function
of a fresh temporary folder that returns None when it passes, or why it
failed; one PASS/FAIL line per test, as the C host tests print."""
import tempfile


def run(tests, prepare=None):
    """Runs tests ({name: function}), prepare(name, folder) before each
    when given; the exit status (1 when any failed)."""
    failed = 0
    for name, test in tests.items():
        with tempfile.TemporaryDirectory() as work:
            try:
                if prepare:
                    prepare(name, work)
                why = test(work)
            except Exception as e:  # a broken test fails, it does not stop
                why = f"{type(e).__name__}: {e}"
        print(f"PASS {name}" if why is None else f"FAIL {name}: {why}")
        failed += why is not None
    return 1 if failed else 0
