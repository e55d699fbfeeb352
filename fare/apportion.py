"""Splitting a fare between operators: largest-remainder (Hamilton) rounding, in fen.

Each operator first gets the floor of its exact share; the fen left over go one each
to the largest remainders, ties to the smaller operator id. The shares always add
up to the amount exactly, and none is negative.
"""

from __future__ import annotations

import functools

__all__ = ["apportion"]


# Metro quotes repeat the same few (fare, path split) pairs: remember recent answers.
@functools.lru_cache(maxsize=65_536)
def apportion(amount_fen: int, weights: tuple[tuple[str, int], ...]) -> tuple[tuple[str, int], ...]:
    """Shares of `amount_fen` proportional to the weights (e.g. metres per operator)."""
    if amount_fen < 0:
        raise ValueError(f"expected an amount >= 0 fen, got {amount_fen}")
    total = sum(weight for _, weight in weights)
    if total <= 0 or any(weight < 0 for _, weight in weights):
        raise ValueError(f"expected non-negative weights with a positive sum, got {weights!r}")
    if len(weights) == 1:
        return ((weights[0][0], amount_fen),)
    shares = [amount_fen * weight // total for _, weight in weights]
    left = amount_fen - sum(shares)
    by_remainder = sorted(
        range(len(weights)), key=lambda i: (-(amount_fen * weights[i][1] % total), weights[i][0])
    )
    for i in by_remainder[:left]:
        shares[i] += 1
    return tuple(sorted((op, fen) for (op, _), fen in zip(weights, shares, strict=True)))
