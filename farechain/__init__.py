"""farechain: the application wiring (settings, storage, app factory, batcher, CLI).

The business packages (fare, ledger, invoicing, gates) hold the rules; this package
connects them to Redis, the database and HTTP.
"""
