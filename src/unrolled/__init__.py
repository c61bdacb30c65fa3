"""Unrolled: the companion package of the open textbook on recurrent neural networks."""

from unrolled.seeding import seed_everything

__all__ = ["seed_everything"]
