"""`mkdocs serve` notices a saved file within 0.1 s instead of 0.5 s.

MkDocs 1.6 watches with watchdog's PollingObserver every 0.5 s and gives no option for it: on
average a quarter of a second, at worst half a second, of a contributor's save-to-page wait. A
poll of our few folders costs a few hundred stat calls, so polling five times as often is cheap.
The interval lives on private attributes (the observer's, for watches added later, and each
emitter's); where they are missing, serve keeps its own interval.
"""

from __future__ import annotations

POLL_SECONDS = 0.1


def poll_more_often(server, seconds: float = POLL_SECONDS) -> bool:
    """Shorten the polling interval of the serve's observer and its watches; False if it cannot."""
    observer = getattr(server, "observer", None)
    if observer is None or not hasattr(observer, "_timeout"):
        return False
    observer._timeout = seconds
    for emitter in getattr(observer, "emitters", ()):
        if hasattr(emitter, "_timeout"):
            emitter._timeout = seconds
    return True
