"""Sends N random and mutated request lines to a Lunzhi console, pipelined in chunks, signed in as a
clerk; checks that every reply is well formed and samples the server's resident memory.

Usage: fuzz_console.py PORT USER SECRET SERVER_PID N
Prints one line per memory sample and a summary; exits 1 on a malformed reply or a server that
stopped answering. A connection the server closes (QUIT, a line over the limit, a first word like
GET) is opened again; the lines after the closing one in that chunk are counted as unanswered.
"""
import json
import os
import random
import re
import socket
import sys
import time

port, user, secret, server_pid, total = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rng = random.Random(20261123)
CHUNK = 500

SEEDS = [
    "PING", "HELP", "HELP ITEM FILE", "WHOAMI", "STATUS", "CHAIR", "CHAIR on=2027-01-01", "CHAIR SCHEDULE from=2026 years=3",
    "ITEM FILE category=direction track=regular title=甘肃新能源 body=\"消纳 协作\"",
    "ITEM FILE category=major_project track=special title=x justification=\"特事特办\"",
    "ITEM SHOW 1", "ITEM LIST", "ITEM LIST state=submitted limit=5", "ITEM SUBMIT 1", "ITEM WITHDRAW 1 reason=r",
    "ITEM REVISE 1 title=新", "CONSULT SHOW 1", "CONSULT LIST", "CONSULT POSITION 1 item=1 stance=support note=同意",
    "PROJECT LIST", "PROJECT SHOW 1", "APPROVAL LIST", "HISTORY item 1", "REMINDERS", "MEMBER LIST", "MEMBER CONTACT LIST",
    "FORMAT text", "@tag-1 PING", "@x:y.z_ CHAIR",
]
ALPHABET = [b" ", b"=", b"\"", b"\\", b"@", b"\t", b"\r", b"\x00", b"\xff", b"\xc3", b"\xe4\xb8", "中".encode(), b"'", b";",
            b"--", b"$1", b"%s", b"\x1b[2J", b"A" * 300, "甘肃".encode() * 50]
REPLY_LINE = re.compile(rb"^(\d{3})([- ])")
# Extreme numbers in every argument position (security finding 1: arithmetic on parsed input
# trapped the process). Each template's N is replaced by one of EXTREMES.
EXTREMES = ["9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999999999999", "0",
            "-1", "0000-01-01", "1000000000000-01-01", "9223372036854775807-01-01", "9999999-12-31", "3000-01-01",
            "5874897-12-31", "9999-12-31T23:59:59Z", "1000000-01-01T00:00", "1e308", "NaN",
            "9999999999999999999999亿", "2026-13-01"]
NUMBER_TEMPLATES = ["CHAIR N", "CHAIR SCHEDULE N N", "CHAIR SWAP N N reason=x", "CHAIR SKIP N reason=x",
                    "CHAIR ACTING QH from=N to=N reason=x", "CHAIR REVOKE N reason=x", "ITEM LIST year=N limit=N",
                    "ITEM SHOW N", "CONSULT CONVENE kind=written deadline=N respond_by=N", "CONSULT POSITION N N agree",
                    "APPROVAL SHOW N", "PROJECT ADD name=x amount=N industry=other source=west", "PROJECT LIST limit=N",
                    "AUDIT LOG since=N until=N after=N limit=N", "AUDIT ASOF N", "AUDIT DECISIONS year=N", "MEMBERS N",
                    "REMINDERS limit=N", "AUDIT VERIFY from=N"]


def mutate(line: bytes) -> bytes:
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(8)
        pos = rng.randint(0, len(line))
        if kind == 0 and line:  # flip a byte
            i = rng.randrange(len(line))
            line = line[:i] + bytes([line[i] ^ (1 << rng.randrange(8))]) + line[i + 1:]
        elif kind == 1:  # insert a token
            line = line[:pos] + rng.choice(ALPHABET) + line[pos:]
        elif kind == 2:  # cut
            line = line[:pos]
        elif kind == 3:  # duplicate a piece
            line = line[:pos] + line[pos // 2:pos] + line[pos:]
        elif kind == 4:  # random bytes
            line = line[:pos] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))) + line[pos:]
        elif kind == 5:  # splice another seed
            line = line[:pos] + rng.choice(SEEDS).encode()[pos:]
        elif kind == 6:  # a long value; rarely over the 16 KiB limit (which closes the connection)
            line += b" title=" + b"x" * (17000 if rng.random() < 0.001 else rng.choice([100, 5000]))
        else:  # unbalanced quote
            line = line[:pos] + b"\"" + line[pos:]
    return line


def next_line() -> bytes:
    if rng.random() < 0.15:
        return rng.choice(NUMBER_TEMPLATES).replace("N", rng.choice(EXTREMES)).encode()
    if rng.random() < 0.1:
        return bytes(rng.randrange(1, 256) for _ in range(rng.randint(0, 60))).replace(b"\n", b" ")
    line = rng.choice(SEEDS).encode()
    line = line if rng.random() < 0.2 else mutate(line)
    # One line per request: a line break inside would split it.
    line = line.replace(b"\n", b" ")
    return line


def rss_kib() -> int:
    with open(f"/proc/{server_pid}/status") as f:
        for entry in f:
            if entry.startswith("VmRSS:"):
                return int(entry.split()[1])
    return -1


class Connection:
    def __init__(self):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        greeting = self.line()
        if not greeting.startswith(b"220 "):
            raise SystemExit(f"unexpected greeting {greeting!r}")
        self.sock.sendall(f"AUTH {user} {secret}\r\n".encode())
        if not self.line().startswith(b"200 "):
            raise SystemExit("AUTH failed")

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(1 << 16)
            if not data:
                return None
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r")

    def reply(self):
        """One whole reply: (code, lines), or None at end of stream. Raises on a malformed one."""
        first = self.line()
        if first is None:
            return None
        if first.startswith(b"{"):
            obj = json.loads(first)
            if not isinstance(obj.get("code"), int):
                raise ValueError(f"JSON reply without a code: {first[:200]!r}")
            return obj["code"], [first]
        lines = [first]
        while True:
            m = REPLY_LINE.match(lines[-1])
            if not m or (len(lines) > 1 and m.group(1) != lines[0][:3]):
                raise ValueError(f"malformed reply line {lines[-1][:200]!r}")
            if m.group(2) == b" ":
                return int(m.group(1)), lines
            nxt = self.line()
            if nxt is None:
                raise ValueError(f"reply cut off after {lines[-1][:200]!r}")
            lines.append(nxt)


sent = answered = unanswered = reconnects = 0
codes = {}
samples = []
conn = Connection()
started = time.time()
next_sample = 0
while sent < total:
    if sent >= next_sample:
        samples.append((sent, rss_kib()))
        print(f"after {sent:>9,} lines: server RSS {samples[-1][1] / 1024:.1f} MiB", flush=True)
        next_sample += total // 10
    chunk = [next_line() for _ in range(min(CHUNK, total - sent))]
    try:
        conn.sock.sendall(b"".join(line + b"\r\n" for line in chunk))
    except (BrokenPipeError, ConnectionResetError):
        pass  # closed by an earlier reply; counted below
    got = 0
    while got < len(chunk):
        try:
            reply = conn.reply()
        except (ConnectionResetError, socket.timeout) as e:
            reply = None
        if reply is None:
            break
        got += 1
        codes[reply[0]] = codes.get(reply[0], 0) + 1
    if not os.path.exists(f"/proc/{server_pid}"):
        raise SystemExit(f"the server process died after {sent + got:,} lines")
    answered += got
    unanswered += len(chunk) - got
    sent += len(chunk)
    if got < len(chunk):
        conn.sock.close()
        conn = Connection()
        reconnects += 1
elapsed = time.time() - started
samples.append((sent, rss_kib()))
print(f"after {sent:>9,} lines: server RSS {samples[-1][1] / 1024:.1f} MiB")
warm = samples[1][1] if len(samples) > 2 else samples[0][1]
growth = samples[-1][1] / warm
print(f"{sent:,} lines in {elapsed:.1f} s ({sent / elapsed:,.0f}/s): {answered:,} replies, all well formed; "
      f"{unanswered:,} unanswered after the server closed ({reconnects:,} reconnects); codes "
      + ", ".join(f"{c}×{n:,}" for c, n in sorted(codes.items())))
print(f"memory: {warm / 1024:.1f} MiB after the first tenth, {samples[-1][1] / 1024:.1f} MiB at the end (×{growth:.2f})")
if conn.sock.fileno() >= 0:
    conn.sock.sendall(b"PING\r\n")
    if conn.reply() is None:
        raise SystemExit("the server stopped answering")
if codes.get(500, 0):
    print(f"{codes[500]:,} replies were 500 INTERNAL: a parsed value reached the service unchecked")
sys.exit(0 if growth < 1.5 and not codes.get(500, 0) else 1)
