"""The listener list of grpc_client.py --listen: an on_snapshot listener on an
allowed query receives its first snapshot and a change; with --expect-denied,
one on a query tests/e2e/policy.yaml denies the orders workload is ended by a
Listen target removal with code 7; the allowed listener then still receives
changes.

The SDK has no error callback for on_snapshot: a removed target raises
RuntimeError("Error 7:  <cause>") in the Watch's consumer thread, which
google.api_core.bidi logs (ERROR, with the exception; its __cause__ is the
PermissionDenied) before the thread ends; the snapshot callback is never
called. That log record is how an app, and this program, sees the denial.
"""

import logging
import threading
import time

from google.api_core import exceptions
from google.cloud.firestore_v1.base_query import FieldFilter


class Snapshots:
    """What one on_snapshot callback received: the document count of each snapshot."""

    def __init__(self):
        self.sizes = []
        self._changed = threading.Condition()

    def callback(self, docs, changes, read_time):
        with self._changed:
            self.sizes.append(len(docs))
            self._changed.notify_all()

    def wait_for_size(self, n, seconds=15):
        with self._changed:
            if not self._changed.wait_for(lambda: n in self.sizes, timeout=seconds):
                raise TimeoutError(f"no snapshot of {n} documents in {seconds} s (saw {self.sizes})")


class ListenErrors(logging.Handler):
    """Collects the exceptions google.api_core.bidi logs when a Watch's
    consumer thread ends on one."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.errors = []
        logging.getLogger("google.api_core.bidi").addHandler(self)

    def emit(self, record):
        if record.exc_info and record.exc_info[1] is not None:
            self.errors.append(record.exc_info[1])

    def wait_for_error(self, seconds=15):
        deadline = time.monotonic() + seconds
        while not self.errors:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no Listen error in {seconds} s")
            time.sleep(0.05)
        return self.errors[0]


def listen_operations(db, run, expect_denied):
    """(name, expect, operation) in order."""
    mine = db.collection("orders").where(filter=FieldFilter("run", "==", run))
    live = Snapshots()
    state = {}

    def write(doc_id):
        db.document(f"orders/{run}-{doc_id}").set({"run": run})

    def listen_query():
        write("l1")
        state["watch"] = mine.on_snapshot(live.callback)
        live.wait_for_size(1)
        write("l2")
        live.wait_for_size(2)

    def denied_listen():
        errors = ListenErrors()
        denied = Snapshots()
        watch = db.collection("secrets").where(filter=FieldFilter("run", "==", run)).on_snapshot(denied.callback)
        try:
            error = errors.wait_for_error()
        finally:
            watch.unsubscribe()
            logging.getLogger("google.api_core.bidi").removeHandler(errors)
        if denied.sizes:
            raise AssertionError(f"the denied listener got snapshots {denied.sizes}")
        # RuntimeError("Error 7:  …") from PermissionDenied: report the latter.
        raise error.__cause__ if isinstance(error.__cause__, exceptions.GoogleAPICallError) else error

    def listen_after_denial():
        try:
            write("l3")
            live.wait_for_size(3)
        finally:
            state["watch"].unsubscribe()

    ops = [("listen-query", "ok", listen_query)]
    if expect_denied:
        ops.append(("denied-listen", "denied", denied_listen))
    ops.append(("listen-after-denial", "ok", listen_after_denial))
    return ops
