"""The rider's phone: a mobile web client served by farechain at `/` (issue 18)."""

from webclient.api import router

__all__ = ["router"]
