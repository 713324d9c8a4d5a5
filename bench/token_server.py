#!/usr/bin/env python3
"""A local GCE/GKE metadata server token endpoint for bench/run (issue 8:
"one token exchange per token lifetime regardless of load").

Answers Google's documented token request
    GET /computeMetadata/v1/instance/service-accounts/default/token[?scopes=A,B]
    Metadata-Flavor: Google
with an OAuth 2.0 token response {"access_token", "expires_in", "token_type"}
whose lifetime is --lifetime seconds, and counts every token request. As the
real server does, it refuses requests without `Metadata-Flavor: Google` and
requests carrying X-Forwarded-For (403). A new token is issued every time, so
a proxy that fetched per request would be counted per request.

    GET /_bench/stats   {"token_requests": N, "refused": N, "lifetime_s": L,
                         "times": [unix seconds of each token request]}

Binds 127.0.0.1 on a free port and writes the port to --port-file once it
listens. Stops on SIGTERM/SIGINT. Python 3 standard library only.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token"


class State:
    def __init__(self, lifetime):
        self.lifetime = lifetime
        self.lock = threading.Lock()
        self.times = []
        self.refused = 0

    def issue(self):
        with self.lock:
            self.times.append(time.time())
            return len(self.times)

    def stats(self):
        with self.lock:
            return {"token_requests": len(self.times), "refused": self.refused,
                    "lifetime_s": self.lifetime, "times": list(self.times)}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Metadata-Server-Bench"

    def log_message(self, *args):  # quiet: the bench reads /_bench/stats
        pass

    def answer(self, status, body, content_type="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Metadata-Flavor", "Google")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        state = self.server.state
        path = urlsplit(self.path).path
        if path == "/_bench/stats":
            return self.answer(200, json.dumps(state.stats()))
        if path != TOKEN_PATH:
            return self.answer(404, "Not Found\n", "text/plain")
        if self.headers.get("Metadata-Flavor") != "Google" or "X-Forwarded-For" in self.headers:
            with state.lock:
                state.refused += 1
            return self.answer(403, "Missing Metadata-Flavor:Google header.\n", "text/plain")
        n = state.issue()
        self.answer(200, json.dumps({"access_token": f"ya29.bench-{n}",
                                     "expires_in": state.lifetime, "token_type": "Bearer"}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifetime", type=int, default=60, help="expires_in of issued tokens (s)")
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.state = State(args.lifetime)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    with open(args.port_file + ".tmp", "w") as f:
        f.write(f"{server.server_address[1]}\n")
    os.replace(args.port_file + ".tmp", args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
