"""Commit-to-delivery latency of single reminders through a running `lunzhi remind`: insert one
due reminder (autocommit), wait for its key to appear in the file channel's output, repeat.
Prints p50 and p99 in milliseconds. Usage: reminder_latency.py N FILE  (PG* variables)"""
import asyncio
import json
import os
import sys
import time

import asyncpg


async def main(n: int, path: str) -> None:
    connection = await asyncpg.connect()
    offset = os.path.getsize(path) if os.path.exists(path) else 0
    samples = []
    for i in range(n):
        key = f"latency:{time.time_ns()}:{i}"
        began = time.perf_counter()
        await connection.execute(
            "INSERT INTO reminder (mechanism_code, recipient_member, kind, entity, entity_id, due_at, idempotency_key) "
            "VALUES ('NW5', 'GS', 'custom', 'bench', $1, now() - interval '1 second', $2)", str(i), key)
        while True:
            if os.path.exists(path) and os.path.getsize(path) > offset:
                with open(path, "rb") as f:
                    f.seek(offset)
                    chunk = f.read()
                if key.encode() in chunk:
                    offset += len(chunk)
                    break
            time.sleep(0.0002)
        samples.append((time.perf_counter() - began) * 1000)
        await asyncio.sleep(0.01)
    samples.sort()
    p50 = samples[len(samples) // 2]
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(f"{p50:.2f} {p99:.2f}")
    await connection.close()


asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
