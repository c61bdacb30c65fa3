"""Caches say which forward function made them: every backward function checks its cache first
and rejects, naming both functions, a cache that another forward function made; anything that
is not a cache of unrolled is rejected as such, not with a KeyError half-way through."""

import importlib
import inspect
import itertools
import pkgutil
import re

import numpy as np
import pytest

import unrolled
from unrolled import attention, gru, lstm, rnn
from unrolled.validation import check_cache

N, T, D, H = 2, 3, 4, 5

# Every forward function that returns a cache; its backward function has the same name with
# "_backward" for "_forward".
FORWARDS = [
    "rnn_step_forward",
    "rnn_forward",
    "lstm_step_forward",
    "lstm_forward",
    "gru_step_forward",
    "gru_forward",
    "additive_scores_forward",
    "dot_scores_forward",
    "general_scores_forward",
    "attention_weights_forward",
    "context_forward",
    "attention_forward",
]
PAIRS = list(itertools.permutations(FORWARDS, 2))  # (the right forward, another one)


def backward_of(forward: str) -> str:
    return forward.removesuffix("_forward") + "_backward"


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[tuple[np.ndarray, ...], dict]]:
    """Each forward function run once: its name -> (the upstream gradients its backward
    function takes before the cache, the cache)."""
    rng = np.random.default_rng(0)

    def r(*shape: int) -> np.ndarray:
        return rng.normal(size=shape)

    x, h0, h_enc, s = r(N, T, D), r(N, H), r(N, T, H), r(N, H)  # decoder size S = H
    like = np.ones_like
    out = {}
    h, cache = rnn.rnn_step_forward(x[:, 0], h0, r(H, D), r(H, H), r(H))
    out["rnn_step_forward"] = (like(h),), cache
    hs, cache = rnn.rnn_forward(x, h0, r(H, D), r(H, H), r(H))
    out["rnn_forward"] = (like(hs),), cache
    h, c, cache = lstm.lstm_step_forward(x[:, 0], h0, h0, r(4 * H, D), r(4 * H, H), r(4 * H))
    out["lstm_step_forward"] = (like(h), like(c)), cache
    hs, _, cache = lstm.lstm_forward(x, h0, h0, r(4 * H, D), r(4 * H, H), r(4 * H))
    out["lstm_forward"] = (like(hs),), cache
    gru_params = r(3 * H, D), r(3 * H, H), r(3 * H), r(3 * H)
    h, cache = gru.gru_step_forward(x[:, 0], h0, *gru_params)
    out["gru_step_forward"] = (like(h),), cache
    hs, _, cache = gru.gru_forward(x, h0, *gru_params)
    out["gru_forward"] = (like(hs),), cache
    additive = {"W_s": r(3, H), "W_h": r(3, H), "v": r(3)}  # attention size A = 3
    scores, cache = attention.additive_scores_forward(s, h_enc, **additive)
    out["additive_scores_forward"] = (like(scores),), cache
    scores, cache = attention.dot_scores_forward(s, h_enc)
    out["dot_scores_forward"] = (like(scores),), cache
    scores, cache = attention.general_scores_forward(s, h_enc, r(H, H))
    out["general_scores_forward"] = (like(scores),), cache
    alpha, cache = attention.attention_weights_forward(r(N, T))
    out["attention_weights_forward"] = (like(alpha),), cache
    c, cache = attention.context_forward(alpha, h_enc)
    out["context_forward"] = (like(c),), cache
    (c, _), cache = attention.attention_forward(s, h_enc, score="additive", params=additive)
    out["attention_forward"] = (like(c),), cache
    assert list(out) == FORWARDS
    return out


def backward(forward: str):
    """The backward function of `forward`, from the module that defines both."""
    for module in (rnn, lstm, gru, attention):
        if hasattr(module, forward):
            return getattr(module, backward_of(forward))
    raise LookupError(forward)


def test_every_function_that_takes_a_cache_is_a_backward_function_checked_here():
    found = set()
    for info in pkgutil.iter_modules(unrolled.__path__):
        if info.ispkg:
            continue
        module = importlib.import_module(f"unrolled.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            public = not name.startswith("_") and function.__module__ == module.__name__
            if public and "cache" in inspect.signature(function).parameters:
                found.add(name)
    found.discard("check_cache")
    assert found == {backward_of(forward) for forward in FORWARDS}


@pytest.mark.parametrize("forward", FORWARDS)
def test_a_cache_is_a_dict_tagged_with_its_forward_function_and_accepted_by_its_backward(
    runs, forward
):
    grads, cache = runs[forward]
    assert isinstance(cache, dict) and cache["of"] == forward
    backward(forward)(*grads, cache)  # no error


def test_nested_caches_carry_their_own_tags(runs):
    assert [c["of"] for c in runs["attention_forward"][1]["caches"]] == [
        "additive_scores_forward",
        "attention_weights_forward",
        "context_forward",
    ]
    assert runs["general_scores_forward"][1]["dot"]["of"] == "dot_scores_forward"


@pytest.mark.parametrize(
    ("forward", "other"),
    PAIRS,
    ids=[f"{backward_of(forward)}-given-{other}" for forward, other in PAIRS],
)
def test_a_backward_function_rejects_the_cache_of_another_forward_function(runs, forward, other):
    grads, _ = runs[forward]
    with pytest.raises(ValueError) as info:
        backward(forward)(*grads, runs[other][1])
    assert str(info.value) == (
        f"cache: expected the cache of {forward}, received the cache of {other}"
    )


@pytest.mark.parametrize("forward", FORWARDS)
def test_a_dict_without_the_tag_is_not_taken_for_a_cache(runs, forward):
    grads, cache = runs[forward]
    untagged = {key: value for key, value in cache.items() if key != "of"}  # the right keys
    message = f'cache: expected the cache of {forward}, received a dict without "of"'
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        backward(forward)(*grads, untagged)


@pytest.mark.parametrize("forward", FORWARDS)
def test_something_that_is_not_a_dict_is_a_type_error(runs, forward):
    grads, cache = runs[forward]
    with pytest.raises(
        TypeError, match=f"^cache: expected the cache of {forward}, received tuple$"
    ):
        backward(forward)(*grads, tuple(cache.values()))


def test_check_cache_accepts_the_right_cache_and_returns_nothing():
    assert check_cache({"of": "rnn_forward"}, "rnn_forward") is None
    with pytest.raises(ValueError, match="received the cache of None$"):
        check_cache({"of": None}, "rnn_forward")
