#!/usr/bin/env python3
"""Writes the gRPC benchmark's messages into DIR/grpc (bench/grpc calls it),
each as a gRPC length-prefixed message, protobuf encoded by hand (field
numbers from googleapis google/firestore/v1/*.proto):

  get.req        GetDocumentRequest for orders/o1
  batchget.req   BatchGetDocumentsRequest naming orders/o1
  commit.req     CommitRequest with 10 update writes (~5 KB)
  get.res        the ~1 KB Document (GetDocument's response)
  batchget.res   BatchGetDocumentsResponse{found: that Document, read_time}
  commit.res     CommitResponse{10 write_results, commit_time}

The canned responses are what the static upstream answers; firewarden reads
them as it reads Firestore's (so they must be valid messages).

Usage: make_grpc_fixtures.py DIR PROJECT
"""
import os
import struct
import sys

out, project = sys.argv[1], sys.argv[2]
db = f"projects/{project}/databases/(default)"
docs = f"{db}/documents"
os.makedirs(os.path.join(out, "grpc"), exist_ok=True)


def varint(n):
    b = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            b.append(byte | 0x80)
        else:
            b.append(byte)
            return bytes(b)


def field(number, payload):  # length-delimited
    if isinstance(payload, str):
        payload = payload.encode()
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def int_field(number, n):
    return varint(number << 3) + varint(n)


def timestamp():
    return int_field(1, 1795694400) + int_field(2, 123000)


def value_string(s):
    return field(17, s)


def value_integer(n):
    return int_field(2, n)


def fields(i, size):
    entries = [
        ("customer", value_string(f"customer-{i:06d}")),
        ("total", value_integer(1000 + i)),
        ("status", value_string("shipped")),
        ("created", field(10, timestamp())),
    ]
    body = b"".join(field(2, field(1, k) + field(2, v)) for k, v in entries)
    pad = size - len(body)
    if pad > 40:
        body += field(2, field(1, "notes") + field(2, value_string("x" * (pad - 30))))
    return body


def document(i, size, times=True):
    doc = field(1, f"{docs}/orders/o{i}") + fields(i, size)
    if times:
        doc += field(3, timestamp()) + field(4, timestamp())
    return doc


def grpc(message):
    return b"\0" + struct.pack(">I", len(message)) + message


def write(name, message):
    with open(os.path.join(out, "grpc", name), "wb") as f:
        f.write(grpc(message))


write("get.req", field(1, f"{docs}/orders/o1"))
write("batchget.req", field(1, db) + field(2, f"{docs}/orders/o1"))
write("commit.req", field(1, db) + b"".join(field(2, field(1, document(i, 480, False))) for i in range(10)))
write("get.res", document(1, 900))
write("batchget.res", field(1, document(1, 900)) + field(4, timestamp()))
write("commit.res", b"".join(field(1, field(1, timestamp())) for _ in range(10)) + field(2, timestamp()))
