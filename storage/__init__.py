"""Storage infrastructure shared by every domain, knowing none of them.

`engine` (SQLite or PostgreSQL), `types` (UTC timestamps, long key lists), `bulk`
(COPY and executemany writes, row subtraction), `redis_server` (the embedded Redis).
"""
