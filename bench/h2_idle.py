#!/usr/bin/env python3
"""Idle HTTP/2 connections for bench/grpc's RSS step (Python 3 standard
library only).

Opens --connections HTTP/2 connections (h2c prior knowledge, or TLS with
ALPN h2 and the bench client certificate with --tls CERTS_DIR), makes one
unary gRPC call --rpc with the framed message in --body on each (so every
proxy has seen a request and holds the connection as a keep-alive one), then
keeps them all open and idle, writes how many it opened to --hold-file, and
waits for SIGTERM. Requests are HPACK literals without indexing or Huffman
coding; the answers are read to their END_STREAM, not decoded.
"""
import argparse
import os
import signal
import socket
import ssl
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 4, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_int(first, bits, value):
    limit = (1 << bits) - 1
    if value < limit:
        return bytes([first | value])
    out = bytearray([first | limit])
    value -= limit
    while value >= 128:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)
    return bytes(out)


def literal(name, value):
    name, value = name.encode(), value.encode()
    return b"\0" + hpack_int(0, 7, len(name)) + name + hpack_int(0, 7, len(value)) + value


def request(rpc, body, scheme):
    block = b"".join(
        literal(n, v)
        for n, v in [
            (":method", "POST"),
            (":scheme", scheme),
            (":path", f"/google.firestore.v1.Firestore/{rpc}"),
            (":authority", "firestore.bench"),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
        ]
    )
    return frame(HEADERS, END_HEADERS, 1, block) + frame(DATA, END_STREAM, 1, body)


def read_frame(sock, buffer):
    while len(buffer) < 9 or len(buffer) < 9 + int.from_bytes(buffer[:3], "big"):
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed by the server")
        buffer += chunk
    length = int.from_bytes(buffer[:3], "big")
    kind, flags = buffer[3], buffer[4]
    stream = int.from_bytes(buffer[5:9], "big") & 0x7FFFFFFF
    payload = bytes(buffer[9 : 9 + length])
    del buffer[: 9 + length]
    return kind, flags, stream, payload


def call(sock, rpc, body, scheme):
    """One call on a new connection, read to its end."""
    sock.sendall(PREFACE + frame(SETTINGS, 0, 0) + request(rpc, body, scheme))
    buffer = bytearray()
    while True:
        kind, flags, stream, payload = read_frame(sock, buffer)
        if kind == SETTINGS and not flags & ACK:
            sock.sendall(frame(SETTINGS, ACK, 0))
        elif kind == GOAWAY:
            raise ConnectionError("GOAWAY")
        elif kind == DATA and stream == 1 and payload:
            sock.sendall(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", len(payload))))
        if stream == 1 and kind in (HEADERS, DATA) and flags & END_STREAM:
            return


def connect(port, certs):
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if not certs:
        return sock, "http"
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(os.path.join(certs, "ca.pem"))
    context.load_cert_chain(os.path.join(certs, "orders.pem"), os.path.join(certs, "orders.key"))
    context.set_alpn_protocols(["h2"])
    context.check_hostname = False
    tls = context.wrap_socket(sock)
    if tls.selected_alpn_protocol() != "h2":
        raise ConnectionError(f"ALPN selected {tls.selected_alpn_protocol()!r}")
    return tls, "https"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--rpc", required=True)
    parser.add_argument("--body", required=True)
    parser.add_argument("--tls", metavar="CERTS_DIR")
    parser.add_argument("--hold-file", required=True)
    args = parser.parse_args()
    body = open(args.body, "rb").read()
    held = []
    for _ in range(args.connections):
        sock, scheme = connect(args.port, args.tls)
        call(sock, args.rpc, body, scheme)
        held.append(sock)
    with open(args.hold_file + ".tmp", "w") as f:
        f.write(str(len(held)))
    os.rename(args.hold_file + ".tmp", args.hold_file)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(60)


if __name__ == "__main__":
    sys.exit(main())
