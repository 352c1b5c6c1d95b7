#!/usr/bin/python3
"""Receives avfleet's retro-detection webhook and purges the messages from Dovecot mailboxes.

Python 3 standard library only (Debian 12: python3, dovecot-core for doveadm). See README.md
beside this file. The signature scheme is avfleet's README "Webhook":

  X-Avfleet-Timestamp: <unix seconds>
  X-Avfleet-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>

Dry run is the default: the doveadm commands are printed, not run. --execute runs them.

  serve  --listen 127.0.0.1:8787 [--execute]       the HTTP receiver (POST any path)
  check  --timestamp T --signature S [--execute]   one event from stdin, as the receiver would
                                                   handle it (exit 0 handled, 2 refused)
The secret comes from the environment variable AVFLEET_WEBHOOK_SECRET or --secret-file.
"""

import argparse
import collections
import hashlib
import hmac
import http.server
import json
import os
import shlex
import subprocess
import sys
import threading
import time

MAX_BODY_BYTES = 1024 * 1024
DEFAULT_TOLERANCE_SEC = 300
# Event ids already handled (avfleet retries an event it did not see answered): the newest few thousand.
SEEN_MAX = 4096


def verify(secret, body, timestamp, signature, now=None, tolerance=DEFAULT_TOLERANCE_SEC):
    """'valid', or why not: 'missing', 'malformed', 'stale', 'bad_signature'."""
    if timestamp is None or signature is None:
        return "missing"
    if not (timestamp.isascii() and timestamp.isdigit() and 0 < len(timestamp) <= 12):
        return "malformed"
    if not (signature.startswith("sha256=") and len(signature) == 71):
        return "malformed"
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        return "stale"
    expected = "sha256=" + hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return "valid" if hmac.compare_digest(expected, signature) else "bad_signature"


def message_ids(event):
    """The Message-IDs of the event's carriers: each once, in order; none that is empty, too long or has control characters."""
    ids = []
    for carrier in event.get("carriers", []):
        mid = carrier.get("messageId") if isinstance(carrier, dict) else None
        if not isinstance(mid, str) or not mid or len(mid) > 998 or any(ord(c) < 0x20 or ord(c) == 0x7F for c in mid):
            continue
        if mid not in ids:
            ids.append(mid)
    return ids


def doveadm_commands(doveadm, mid):
    """Search, then expunge, every user's INBOX for the Message-ID (argv lists: nothing goes through a shell)."""
    query = ["mailbox", "INBOX", "header", "message-id", mid]
    return [[doveadm, "search", "-A"] + query, [doveadm, "expunge", "-A"] + query]


class Handler:
    def __init__(self, secret, doveadm, execute, tolerance, out):
        self.secret = secret
        self.doveadm = doveadm
        self.execute = execute
        self.tolerance = tolerance
        self.out = out
        self.seen = collections.OrderedDict()
        self.lock = threading.Lock()

    def log(self, text):
        with self.lock:
            self.out.write(text + "\n")
            self.out.flush()

    def handle(self, body, timestamp, signature):
        """(HTTP status, text). 200 handled, 401 refused signature, 400 not an event, 500 doveadm failed (avfleet retries)."""
        verdict = verify(self.secret, body, timestamp, signature, tolerance=self.tolerance)
        if verdict != "valid":
            self.log("refused: signature %s" % verdict)
            return 401, "signature " + verdict
        try:
            event = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return 400, "not JSON"
        if not isinstance(event, dict) or event.get("type") != "retro_detection" or not isinstance(event.get("id"), str):
            return 400, "not a retro_detection event"
        with self.lock:
            if event["id"] in self.seen:
                return 200, "already handled"
            self.seen[event["id"]] = True
            while len(self.seen) > SEEN_MAX:
                self.seen.popitem(last=False)
        self.log("event %s: rule %s found %s in %d carrier(s)" % (event["id"], event.get("rule"), ", ".join(map(str, event.get("viruses", []))), len(event.get("carriers", []))))
        failed = False
        for mid in message_ids(event):
            for argv in doveadm_commands(self.doveadm, mid):
                if not self.execute:
                    self.log("would run: " + " ".join(shlex.quote(a) for a in argv))
                    continue
                self.log("running: " + " ".join(shlex.quote(a) for a in argv))
                r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
                self.log(r.stdout.rstrip() or "(no output)")
                if r.returncode != 0:
                    failed = True
                    self.log("doveadm exited %d: %s" % (r.returncode, r.stderr.strip()))
        if failed:
            with self.lock:
                self.seen.pop(event["id"], None)  # let avfleet's retry try again
            return 500, "doveadm failed"
        return 200, "handled"


def serve(handler, host, port):
    class Request(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = self.headers.get("Content-Length")
            if length is None or not length.isdigit() or int(length) > MAX_BODY_BYTES:
                self.reply(413, "body missing or over %d bytes" % MAX_BODY_BYTES)
                return
            body = self.rfile.read(int(length))
            status, text = handler.handle(body, self.headers.get("X-Avfleet-Timestamp"), self.headers.get("X-Avfleet-Signature"))
            self.reply(status, text)

        def reply(self, status, text):
            data = (text + "\n").encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *args):
            pass

    server = http.server.ThreadingHTTPServer((host, port), Request)
    handler.log("listening on %s:%d (%s)" % (host, server.server_address[1], "executing doveadm" if handler.execute else "dry run"))
    server.serve_forever()


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["serve", "check"])
    parser.add_argument("--listen", default="127.0.0.1:8787", help="serve: HOST:PORT (port 0: any free one)")
    parser.add_argument("--timestamp", help="check: the X-Avfleet-Timestamp value")
    parser.add_argument("--signature", help="check: the X-Avfleet-Signature value")
    parser.add_argument("--secret-file", help="file holding AVFLEET_WEBHOOK_SECRET (else the environment variable)")
    parser.add_argument("--tolerance", type=int, default=DEFAULT_TOLERANCE_SEC, help="seconds the timestamp may be off (default 300)")
    parser.add_argument("--doveadm", default="doveadm", help="the doveadm command (default: doveadm on PATH)")
    parser.add_argument("--execute", action="store_true", help="run doveadm (default: print the commands only)")
    args = parser.parse_args(argv)
    if args.secret_file:
        with open(args.secret_file, "rb") as f:
            secret = f.read().strip()
    else:
        secret = os.environ.get("AVFLEET_WEBHOOK_SECRET", "").encode("utf-8")
    if not secret:
        parser.error("no secret: set AVFLEET_WEBHOOK_SECRET or --secret-file (the same as avfleet's)")
    handler = Handler(secret, args.doveadm, args.execute, args.tolerance, sys.stdout)
    if args.mode == "check":
        status, text = handler.handle(sys.stdin.buffer.read(MAX_BODY_BYTES + 1), args.timestamp, args.signature)
        handler.log("%d %s" % (status, text))
        return 0 if status == 200 else 2
    host, _, port = args.listen.rpartition(":")
    serve(handler, host or "127.0.0.1", int(port))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
