"""`farechain audit-security`: the system measured from outside, by one command.

cli (the command) -> run (the order of work) -> one module per check group: chaos
(kills under load, with load and system), fuzz (schemathesis), access, corpus
(corpus_http, corpus_edge), tamper; each returns an outcome.GroupResult.
"""
