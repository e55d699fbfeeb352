"""Trips and rider accounts: who rides, what each trip cost, and sealing it on the ledger.

- `models`: the Operator, Rider, Device, Trip and Charge tables (trip and charge rows
  are projections of ledger records; the records are the truth).
- `sealer`: price, charge and invoice each trip-end, as ledger records in one block;
  `batcher`: the loop that reads the gates' stream and commits those blocks.
- `projections` (records <-> rows), `history` (what later pricing needs of past
  trips), `audit` (rows against records), `documents` (the invoice line of a trip).
- `api` and `invoice_api`: the rider's routes under `/v1/me`; `deps` signs the rider in.
- `seed`: the demo world of operators, devices and riders.
"""
