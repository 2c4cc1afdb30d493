"""PgQueuer reference: enqueue N no-op jobs, then time one QueueManager draining them.
Prints the drain time in seconds. Usage: pgqueuer_drain.py N  (connection from PG* variables)"""
import asyncio
import sys
import time

import asyncpg
from pgqueuer import AsyncpgDriver, QueueManager
from pgqueuer.queries import Queries
from pgqueuer.types import QueueExecutionMode


async def main(n: int) -> None:
    connection = await asyncpg.connect()
    driver = AsyncpgDriver(connection)
    queries = Queries(driver)
    for start in range(0, n, 1000):
        count = min(1000, n - start)
        await queries.enqueue(["noop"] * count, [None] * count, [0] * count)
    manager = QueueManager(queries)
    done = 0

    @manager.entrypoint("noop")
    async def noop(job) -> None:
        nonlocal done
        done += 1

    began = time.perf_counter()
    await manager.run(mode=QueueExecutionMode.drain, batch_size=64)
    elapsed = time.perf_counter() - began
    assert done == n, f"drained {done} of {n}"
    print(f"{elapsed:.3f}")
    await connection.close()


asyncio.run(main(int(sys.argv[1])))
