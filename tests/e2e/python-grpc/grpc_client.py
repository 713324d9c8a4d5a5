"""The Python Firestore SDK (google-cloud-firestore, gRPC) running the operation
list every gRPC SDK client of the end-to-end tests runs (tests/e2e/node/
grpc_sdk.test.js drives them; docs/clients.md shows the settings). One JSON
line per operation on stdout:
  {"sdk":"python","op":"set","expect":"ok","outcome":"ok","code":0}
and exit status 1 when any outcome is not the expected one.

  .venv/bin/python grpc_client.py --target 127.0.0.1:PORT --project ID [--run ID]
                                  [--expect-denied] [--ca ca.pem --cert svid.pem --key svid.key]
                                  [--pause-ms N] [--listen]

--target defaults to $FIRESTORE_EMULATOR_HOST. Without --ca the SDK is pointed at
the target with FIRESTORE_EMULATOR_HOST (plaintext HTTP/2, as to the emulator or
a sidecar). With it, TLS with the client certificate (mtls): the SDK has no
setting for a client certificate (BaseClient builds its channel from
client_options.api_endpoint and credentials only), so MtlsClient below gives it
a gRPC channel made with grpc.ssl_channel_credentials, through the one method
that builds the channel. --expect-denied adds the operations that
tests/e2e/policy.yaml denies to spiffe://cluster.local/ns/orders/sa/orders-api,
each of which must fail with gRPC code 7 (PERMISSION_DENIED). --pause-ms waits
after each result line (tests/e2e/node/capture-grpc.js attributes messages by them).
--listen runs the real-time listener list instead (grpc_listen.py).
"""

import argparse
import json
import os
import secrets
import sys
import threading
import time

import grpc
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from grpc_listen import listen_operations


class MtlsClient(firestore.Client):
    """A Client whose gRPC channel is TLS with a client certificate.

    Overrides BaseClient._firestore_api_helper (google-cloud-firestore 2.34),
    the one place the SDK creates its channel; everything else is the SDK's.
    """

    def __init__(self, project, target, ssl_credentials):
        self._ssl_credentials = ssl_credentials
        # No Google credentials: the certificate is the caller's identity.
        super().__init__(project=project, credentials=AnonymousCredentials(),
                         client_options={"api_endpoint": target})

    def _firestore_api_helper(self, transport, client_class, client_module):
        if self._firestore_api_internal is None:
            channel = grpc.secure_channel(self._target, self._ssl_credentials)
            self._transport = transport(host=self._target, channel=channel)
            self._firestore_api_internal = client_class(
                transport=self._transport, client_options=self._client_options)
        return self._firestore_api_internal


def make_client(args):
    if not args.ca:
        os.environ["FIRESTORE_EMULATOR_HOST"] = args.target
        return firestore.Client(project=args.project)
    os.environ.pop("FIRESTORE_EMULATOR_HOST", None)
    with open(args.ca, "rb") as ca, open(args.key, "rb") as key, open(args.cert, "rb") as cert:
        credentials = grpc.ssl_channel_credentials(ca.read(), key.read(), cert.read())
    return MtlsClient(args.project, args.target, credentials)


def check(condition, what):
    if not condition:
        raise AssertionError(f"unexpected result: {what}")


def operations(db, run):
    """The operation list, in order; every SDK's client runs the same one."""
    order = db.document(f"orders/{run}-1")
    item = db.document(f"orders/{run}-1/items/i1")
    mine = db.collection("orders").where(filter=FieldFilter("run", "==", run))
    state = {}

    def do_set():
        state["set_time"] = order.set({"status": "open", "total": 10, "run": run}).update_time

    def do_get():
        data = order.get().to_dict()
        check(data and data["status"] == "paid" and data["total"] == 15, data)

    def do_get_all():
        found = {s.id: s.exists for s in db.get_all([order, db.document(f"orders/{run}-missing")])}
        check(found == {f"{run}-1": True, f"{run}-missing": False}, found)

    def do_query():
        ids = [d.id for d in mine.where(filter=FieldFilter("status", "==", "paid")).get()]
        check(ids == [f"{run}-1"], ids)

    def do_collection_group():
        paths = [d.reference.path for d in
                 db.collection_group("items").where(filter=FieldFilter("run", "==", run)).get()]
        check(paths == [item.path], paths)

    def do_aggregate():
        rows = mine.count(alias="n").sum("total", alias="total").get()
        values = {r.alias: r.value for r in rows[0]}
        check(values == {"n": 1, "total": 15}, values)

    def do_list_collections():
        ids = [c.id for c in order.collections()]
        check(ids == ["items"], ids)

    def do_list_documents():
        ids = [d.id for d in db.collection(f"orders/{run}-1/items").list_documents()]
        check(ids == ["i1"], ids)

    @firestore.transactional
    def increment_in_transaction(transaction):
        total = order.get(transaction=transaction).get("total")
        transaction.update(order, {"total": total + 1})
        transaction.create(db.document(f"orders/{run}-t"), {"from": f"{run}-1"})

    return [
        ("set", do_set),
        ("create", lambda: item.create({"price": 3, "run": run})),
        ("update-precondition", lambda: order.update(
            {"status": "paid"}, option=db.write_option(last_update_time=state["set_time"]))),
        ("increment", lambda: order.update({"total": firestore.Increment(5)})),
        ("get", do_get),
        ("getAll", do_get_all),
        ("query", do_query),
        ("collectionGroup", do_collection_group),
        ("aggregate", do_aggregate),
        ("listCollections", do_list_collections),
        ("listDocuments", do_list_documents),
        ("runTransaction", lambda: increment_in_transaction(db.transaction())),
        ("delete", lambda: db.document(f"orders/{run}-t").delete(option=db.write_option(exists=True))),
    ]


def denied_operations(db, run):
    """What tests/e2e/policy.yaml denies the orders workload."""
    return [
        ("denied-write", lambda: db.document(f"secrets/{run}-w").set({"leak": True})),
        ("denied-read", lambda: db.document(f"secrets/{run}-seed").get()),
        ("denied-query", lambda: db.collection("secrets").where(
            filter=FieldFilter("run", "==", run)).get()),
    ]


def grpc_code(error):
    """The google.rpc.Code of an SDK error, -1 when it carries none."""
    status = getattr(error, "grpc_status_code", None)
    return status.value[0] if status is not None else -1


def bounded(operation, seconds=20):
    """Runs operation, raising TimeoutError after `seconds`, so that an
    unreachable target ends the run in minutes, not hours (the SDK's own
    retries last 60 s per call). A call still running is left to its daemon
    thread."""
    outcome = {}

    def call():
        try:
            operation()
        except Exception as error:  # handed to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(f"no answer in {seconds} s")
    if "error" in outcome:
        raise outcome["error"]


def run_one(name, expect, operation, pause_ms):
    result = {"sdk": "python", "op": name, "expect": expect, "outcome": "ok", "code": 0}
    try:
        bounded(operation)
    except Exception as error:  # every failure is reported, none is fatal
        result["code"] = grpc_code(error)
        result["outcome"] = "denied" if isinstance(error, exceptions.PermissionDenied) else "error"
        result["message"] = str(error).splitlines()[0] if str(error) else type(error).__name__
    print(json.dumps(result), flush=True)
    time.sleep(pause_ms / 1000)
    return result["outcome"] == expect


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default=os.environ.get("FIRESTORE_EMULATOR_HOST"))
    parser.add_argument("--project", required=True)
    parser.add_argument("--run", default=secrets.token_hex(4))
    parser.add_argument("--expect-denied", action="store_true")
    parser.add_argument("--ca")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--pause-ms", type=int, default=0)
    parser.add_argument("--listen", action="store_true")
    args = parser.parse_args()
    if not args.target:
        parser.error("--target (or FIRESTORE_EMULATOR_HOST) is required")
    if len({bool(args.ca), bool(args.cert), bool(args.key)}) != 1:
        parser.error("mtls needs all of --ca, --cert and --key")

    db = make_client(args)
    if args.listen:
        surprises = sum(not run_one(name, expect, operation, args.pause_ms)
                        for name, expect, operation in listen_operations(db, args.run, args.expect_denied))
        print(json.dumps({"sdk": "python", "run": args.run, "surprises": surprises}), flush=True)
        return 0 if surprises == 0 else 1
    surprises = 0
    unreachable = False
    for name, operation in operations(db, args.run):
        if run_one(name, "ok", operation, args.pause_ms):
            continue
        surprises += 1
        # A failed first operation means an unreachable or misconfigured
        # target: stop instead of waiting out every operation's bound.
        unreachable = name == "set"
        if unreachable:
            break
    if args.expect_denied and not unreachable:
        for name, operation in denied_operations(db, args.run):
            surprises += not run_one(name, "denied", operation, args.pause_ms)
    if not unreachable:
        db.close()  # would wait for the calls still retrying
    print(json.dumps({"sdk": "python", "run": args.run, "surprises": surprises}), flush=True)
    return 0 if surprises == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
