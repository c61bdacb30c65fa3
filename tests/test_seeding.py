"""seed_everything makes Python, NumPy and PyTorch draws repeatable."""

import random

import numpy as np
import pytest
import torch

import unrolled
from unrolled.seeding import seed_everything


def draws(seed: int) -> tuple:
    rng = seed_everything(seed)
    return (
        rng.standard_normal(5),
        np.random.rand(5),  # noqa: NPY002 (the global generator is what is being tested)
        torch.randn(5),
        [random.random() for _ in range(5)],
    )


def test_same_seed_gives_identical_draws():
    first, second = draws(7), draws(7)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert torch.equal(first[2], second[2])
    assert first[3] == second[3]


def test_different_seeds_give_different_draws():
    first, second = draws(0), draws(1)
    assert not np.array_equal(first[0], second[0])
    assert not np.array_equal(first[1], second[1])
    assert not torch.equal(first[2], second[2])
    assert first[3] != second[3]


def test_returns_a_generator_and_is_reexported():
    assert isinstance(seed_everything(), np.random.Generator)
    assert unrolled.seed_everything is seed_everything


def test_rejects_bad_seeds():
    with pytest.raises(ValueError, match="-1"):
        seed_everything(-1)
    with pytest.raises(TypeError, match="float"):
        seed_everything(1.5)
