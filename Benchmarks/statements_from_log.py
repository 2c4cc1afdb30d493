#!/usr/bin/env python3
"""The statements one request ran, from PostgreSQL's log, as a pgbench script.

PostgreSQL logs each statement with `log_min_duration_statement = 0`, and its bound parameters
(`DETAIL:  Parameters: $1 = '…'`). This prints each statement after FROM-LINE of LOG with the
parameters put back in as literals, one per line, each ending in `;` — the same SQL, for pgbench.
Usage: statements_from_log.py LOG FROM-LINE
"""
import re
import sys

log, start = sys.argv[1], int(sys.argv[2])
lines = open(log, encoding="utf-8", errors="replace").read().splitlines()[start:]
entry_start = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \S+ \[\d+\] ")
entries, current = [], None
for line in lines:
    if entry_start.match(line):
        if current is not None:
            entries.append(current)
        current = line
    elif current is not None:
        current += "\n" + line
if current is not None:
    entries.append(current)

# Several backends log at once: a statement's parameters follow it in its own backend's lines.
statements, last_of = [], {}
for entry in entries:
    pid = re.match(r"^\S+ \S+ \S+ \[(\d+)\]", entry).group(1)
    m = re.search(r"LOG:  duration: [\d.]+ ms  (?:execute [^:]*|statement): (.*)", entry, re.S)
    if m:
        statements.append([m.group(1), {}])
        last_of[pid] = statements[-1]
        continue
    if re.search(r"LOG:  duration: [\d.]+ ms  (?:parse|bind) ", entry):
        last_of[pid] = None  # its DETAIL belongs to the bind, not to the last execute
        continue
    m = re.search(r"DETAIL:  [Pp]arameters: (.*)", entry, re.S)
    if m and last_of.get(pid) is not None:
        for number, value in re.findall(r"\$(\d+) = ('(?:[^']|'')*'|NULL)", m.group(1)):
            last_of[pid][1][number] = value

for sql, parameters in statements:
    if re.match(r"\s*(BEGIN|COMMIT|ROLLBACK|SET|RESET|DISCARD)\b", sql, re.I):
        continue
    text = re.sub(r"\$(\d+)", lambda m: parameters.get(m.group(1), "NULL"), sql)
    print(" ".join(text.split()) + ";")
