"""Request plumbing shared by every domain's API, knowing none of them.

`errors` (the one `DomainError` base), `problems` (its RFC 9457 rendering), `deps`
(the session and Redis dependencies), `tokens` (the one bearer-token check).
"""
