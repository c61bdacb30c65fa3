"""unrolled.validation: shapes that match bind names, shapes that do not give readable messages;
the optimisers and clipping functions reject malformed arguments by name."""

import doctest
import re

import numpy as np
import pytest
import torch

from unrolled import attention, bptt, designs, lstm, validation
from unrolled.bptt import Adagrad, Adam, clip_grad_norm
from unrolled.rnn import rnn_forward
from unrolled.validation import check_class_indices, check_shape
from unrolled.vanishing import clip_grad_value


def test_binds_named_dims_and_shares_them_through_dims():
    dims = check_shape("x", np.zeros((4, 7, 3)), ("N", "T", "D"))
    assert dims == {"N": 4, "T": 7, "D": 3}
    same = check_shape("h0", np.zeros((4, 5)), ("N", "H"), dims)
    assert same is dims
    assert dims == {"N": 4, "T": 7, "D": 3, "H": 5}


def test_none_matches_any_size_and_ints_match_exactly():
    check_shape("x", np.zeros((2, 9, 3)), (2, None, 3))
    check_shape("s", np.zeros(()), ())
    with pytest.raises(ValueError):
        check_shape("x", np.zeros((2, 9, 4)), (2, None, 3))


def test_message_names_array_symbolic_and_bound_shape_and_received_shape():
    dims = {"N": 4}
    with pytest.raises(ValueError) as info:
        check_shape("h0", np.zeros((5, 8)), ("N", "H"), dims)
    assert str(info.value) == (
        "h0: expected shape (N, H) = (4, ?), received (5, 8); N is 4, received 5"
    )


def test_message_for_wrong_number_of_dimensions():
    with pytest.raises(ValueError) as info:
        check_shape("x", np.zeros((4, 7)), ("N", "T", "D"), {"N": 4, "D": 3})
    assert str(info.value) == (
        "x: expected shape (N, T, D) = (4, ?, 3), received (4, 7); "
        "3 dimensions expected, 2 received"
    )


def test_message_for_repeated_name_and_exact_sizes():
    with pytest.raises(ValueError, match=re.escape("(N, N) = (3, 3), received (3, 4)")):
        check_shape("A", np.zeros((3, 4)), ("N", "N"))
    with pytest.raises(ValueError) as info:
        check_shape("b", np.zeros(3), (4,))
    assert str(info.value) == "b: expected shape (4,), received (3,); dimension 0 is 4, received 3"
    with pytest.raises(ValueError, match=re.escape("(N, *) = (?, *), received (2, 3, 4)")):
        check_shape("y", np.zeros((2, 3, 4)), ("N", None))


def test_failed_check_leaves_dims_unchanged():
    dims = {"N": 4}
    with pytest.raises(ValueError):
        check_shape("x", np.zeros((3, 2, 5)), ("T", "D", "N"), dims)
    assert dims == {"N": 4}


def test_rejects_non_arrays_clearly():
    with pytest.raises(TypeError, match=r"^x: expected shape \(N, D\) = \(\?, \?\): .* list$"):
        check_shape("x", [[1.0, 2.0]], ("N", "D"))
    with pytest.raises(TypeError, match="received NoneType"):
        check_shape("x", None, ())


def test_rejects_malformed_expected_shapes():
    with pytest.raises(TypeError, match="tuple"):
        check_shape("x", np.zeros(3), [3])
    with pytest.raises(TypeError, match="entries"):
        check_shape("x", np.zeros(3), (3.0,))


def test_accepts_torch_tensors():
    assert check_shape("x", torch.zeros(2, 3), ("N", 3)) == {"N": 2}


def test_module_docstring_example_is_true():
    result = doctest.testmod(validation)
    assert result.attempted > 0 and result.failed == 0


def test_class_indices_accept_integers_in_range():
    check_class_indices("y", np.array([[0, 2], [1, 0]]), 3)


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.array([0.0, 1.0]), "y: expected integer class indices, received dtype float64"),
        (np.array([0, 3]), r"y: expected class indices in \[0, 3\), received values in \[0, 3\]"),
        (np.array([-1, 2]), r"received values in \[-1, 2\]"),
    ],
)
def test_class_indices_name_what_is_wrong(y, message):
    with pytest.raises(ValueError, match=message):
        check_class_indices("y", y, 3)


def _params():
    return {"W": np.ones((2, 2)), "b": np.zeros(2)}


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Adam([np.ones(2)]), TypeError, "params: expected a dict of name -> float array"),
        (lambda: Adam({"W": [1.0]}), TypeError, r"params\['W'\]: expected a NumPy array"),
        (
            lambda: Adam({"W": np.ones(2, int)}),
            ValueError,
            r"params\['W'\]: expected a float array",
        ),
        (
            lambda: Adam(_params(), lr=float("inf")),
            ValueError,
            "lr: expected a finite number >= 0",
        ),
        (lambda: Adam(_params(), lr="0.1"), TypeError, "lr: expected a number >= 0"),
        (
            lambda: Adam(_params(), betas=(1.0, 0.999)),
            ValueError,
            r"betas\[0\]: expected a number in \[0, 1\), received 1.0",
        ),
        (lambda: Adam(_params(), betas=0.9), TypeError, "betas: expected tuple or list"),
        (lambda: Adam(_params(), betas=(0.9,)), ValueError, "betas: expected two numbers"),
        (lambda: Adam(_params(), betas=(0.9, "a")), TypeError, r"betas\[1\]: expected a number"),
        (lambda: Adagrad(_params(), lr=-1.0), ValueError, "lr: expected a finite number >= 0"),
        (lambda: Adagrad(_params(), eps=-1.0), ValueError, "eps: expected a finite number >= 0"),
        (
            lambda: clip_grad_norm({"W": np.ones(2, int)}, 1.0),
            ValueError,
            "expected a float array",
        ),
        (
            lambda: clip_grad_norm(_params(), float("nan")),
            ValueError,
            "max_norm: expected a finite",
        ),
        (lambda: clip_grad_value([np.ones(2)], 1.0), TypeError, "grads: expected a dict"),
        (lambda: clip_grad_value(_params(), -1.0), ValueError, "clip_value: expected a finite"),
    ],
)
def test_optimisers_and_clipping_reject_malformed_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_read_only_gradients_are_rejected_and_empty_ones_accepted_alike():
    frozen = np.ones(3)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match=r"grads\['W'\]: expected a writeable array"):
        clip_grad_norm({"W": frozen}, 1.0)
    assert clip_grad_norm({}, 1.0) == 0.0 and clip_grad_value({}, 1.0) == 0.0


def test_the_helpers_name_the_argument_and_what_was_expected():
    cases = [
        (lambda: validation.check_int("k", 2.0), TypeError, "k: expected an int >= 1"),
        (lambda: validation.check_int("k", True), TypeError, "k: expected an int >= 1"),
        (lambda: validation.check_int("axis", 2, -2, 1), ValueError, r"axis: .* in \[-2, 1\]"),
        (lambda: validation.check_fraction("p", 1.0), ValueError, r"p: expected a number in"),
        (lambda: validation.check_fraction("p", "0.5"), TypeError, "p: expected a number"),
        (lambda: validation.check_float(W=np.ones(2, int)), ValueError, "W: expected a float"),
        (lambda: validation.check_float(W=[1.0]), TypeError, "W: expected a float array"),
        (
            lambda: validation.check_mask("mask", np.full((1, 2), 0.5), {"N": 1, "T": 2}),
            ValueError,
            r"mask: expected only 0 and 1",
        ),
        (
            lambda: validation.check_keys("params", {"U": 1, "X": 2}, ("U", "W")),
            ValueError,
            r"params: expected the keys \['U', 'W'\], missing \['W'\], unexpected \['X'\]",
        ),
        (
            lambda: validation.check_keys("params", [1], ("U",)),
            TypeError,
            "params: expected a dict",
        ),
        (lambda: validation.check_type("flag", "yes", bool), TypeError, "flag: expected bool"),
        (lambda: validation.check_words("words", "ab"), TypeError, "words: expected a sequence"),
        (
            lambda: validation.check_words("docs", [["a"], "bc"], nested=True),
            TypeError,
            r"docs\[1\]: expected a sequence",
        ),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=f"^{message}"):
            call()
    assert validation.check_int("seed", np.int64(3), low=0) == 3
    assert validation.check_mask("mask", None, {"N": 2, "T": 3}).shape == (2, 3)
    validation.check_keys("params", {"U": 1, "X": 2}, ("U",), allow_extra=True)
    validation.check_words("docs", [("a", "b"), []], nested=True)


def _layer(D=3, H=4, dtype=float):
    return {"U": np.ones((H, D), dtype), "W": np.ones((H, H), dtype), "b": np.ones(H, dtype)}


_X, _H0 = np.ones((2, 5, 3)), np.zeros((2, 4))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [  # issue 17: calls that were accepted silently or failed obscurely
        (lambda: rnn_forward(_X, _H0, **_layer(dtype=int)), ValueError, "U: expected a float"),
        (lambda: lstm.sigmoid_(np.zeros(3, int)), ValueError, "a: expected a float array"),
        (
            lambda: designs.deep_rnn_forward(_X, np.zeros((2, 2, 4)), [_layer()] * 2, "yes"),
            TypeError,
            "bidirectional: expected bool",
        ),
        (
            lambda: designs.deep_rnn_forward(_X, np.zeros((1, 2, 4)), _layer()),
            TypeError,
            "params: expected list or tuple",
        ),
        (
            lambda: designs.bidirectional_rnn_forward(_X, np.zeros((2, 2, 4)), [1, 2]),
            TypeError,
            r"params\[0\]: expected dict",
        ),
        (
            lambda: bptt.loss_and_gradients(_layer(), _X, np.zeros((2, 5), int), _H0),
            ValueError,
            r"params: expected the keys .* missing \['V', 'c'\]",
        ),
        (
            lambda: attention.attention_forward(_H0, np.ones((2, 5, 4)), params={"W_a": 1}),
            ValueError,
            r"params: .* unexpected \['W_a'\]",
        ),
        (
            lambda: attention.attention_forward(_H0, np.ones((2, 5, 4)), score="general"),
            ValueError,
            r"params: .* missing \['W_a'\]",
        ),
        (lambda: bptt.init_params(2, 2, 2, 0), TypeError, "rng: expected Generator"),
        (
            lambda: bptt.sample(
                bptt.init_params(3, 2, 3, np.random.default_rng(0)),
                np.array([0]),
                2,
                np.random.default_rng(0),
                float("inf"),
            ),
            ValueError,
            "temperature: expected a finite number > 0",
        ),
    ],
)
def test_issue_17_silent_acceptances_now_raise(call, error, message):
    with pytest.raises(error, match=f"^{message}"):
        call()


@pytest.mark.parametrize(("name", "value"), [("lr_decay", -1.0), ("log_every", -1)])
def test_training_rejects_a_bad_schedule(name, value):
    params = bptt.init_params(3, 2, 3, np.random.default_rng(0))
    ids = np.zeros(40, dtype=np.int64)
    with pytest.raises(ValueError, match=f"^{name}: expected"):
        bptt.train_char_lm(
            params, ids, Adam(params), steps=1, batch_size=2, chunk=3, **{name: value}
        )
