"""Riders pay at trip end: agreements, payments, refunds, arrears (issue 17).

The pure parts (keys, schedule, states, records, webhooks) import nothing of the
database; the provider interface is `payments.provider.Provider`, the sandbox provider
`payments.sandbox.SandboxProvider`.
"""
