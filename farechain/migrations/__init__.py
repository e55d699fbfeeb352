"""Alembic's environment for farechain's schema: `env.py`, the revision template and
`versions/` (one module per revision, the first being the baseline of the schema the
release before migrations made). `farechain.migrate` runs them; nothing here is imported
by the application.
"""
