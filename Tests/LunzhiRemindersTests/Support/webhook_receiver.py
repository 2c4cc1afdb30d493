"""A real HTTP listener for the webhook tests. Verifies each request's signature exactly as
docs/reminders.md tells a receiver to, answers with the next status of a script (then 200), and
appends one JSON line per request to OUTFILE. Usage: webhook_receiver.py PORT OUTFILE SECRET STATUSES [DELAY_MS]
(DELAY_MS: how long each request takes to answer, like a busy receiver; Benchmarks/faults.sh)"""
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

port, outfile, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
script = [int(s) for s in sys.argv[4].split(",") if s]
delay = float(sys.argv[5]) / 1000 if len(sys.argv) > 5 else 0


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        timestamp = self.headers.get("X-Lunzhi-Timestamp", "")
        expected = "v1=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(expected, self.headers.get("X-Lunzhi-Signature", "")) and abs(time.time() - int(timestamp or 0)) < 300
        status = script.pop(0) if script else 200
        if delay:
            time.sleep(delay)
        record = {"key": self.headers.get("Idempotency-Key"), "valid": valid, "status": status, "body": json.loads(body)}
        with open(outfile, "a") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()
