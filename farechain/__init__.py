"""farechain: the application wiring, on top of every domain.

Settings (the only reader of them), the app factory (`app.create_app`), the process
supervisor (`farechain up`), the CLI, the witness process and the whole schema
(`tables`, `db`). The domains below (trips, invoicing, gates, ledger, fare) hold the
rules and never import this package; `bench` and `loadtest` stand above it and add
their commands to its CLI as plugins.
"""
