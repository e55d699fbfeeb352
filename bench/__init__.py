"""Benchmarks of each stage alone (`farechain bench ...`): pricing, Merkle and proofs,
invoices, the batcher, the databases, ingest.

They print figures, never assert them. The package stands above the wiring (it seeds
and starts what the wiring builds), beside `loadtest`; domain packages ship none.
"""
