"""Unrolled: the companion package of the open textbook on recurrent neural networks."""
