"""CBOW word vectors (unrolled.cbow): the loss against a hand computation, its gradients against
finite differences and the docstring's formulas, the windows, the noise distribution, the rows'
alignment with the vocabulary, nearest neighbours and named argument errors."""

import numpy as np
import pytest
import torch

from unrolled.cbow import (
    CBOW,
    PAD,
    UNK,
    cbow_loss,
    nearest,
    noise_distribution,
    train_cbow,
    windows,
)

# --- the loss and its gradients ------------------------------------------------------------


def tiny_problem():
    """Five rows (PAD, UNK, three words), D = 3; two positions, c = 1, K = 2."""
    rng = np.random.default_rng(0)
    U = torch.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    V = torch.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    context = torch.tensor([[2, 3], [PAD, 4]])  # the second position is a snippet's first
    centre = torch.tensor([4, 2])
    noise = torch.tensor([[1, 3], [3, 3]])
    return U, V, context, centre, noise


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def test_the_loss_is_the_hand_computed_mean_of_L_t():
    U, V, context, centre, noise = tiny_problem()
    u, v = U.detach().numpy(), V.detach().numpy()
    h = [(u[2] + u[3]) / 2, u[4]]  # the PAD slot is left out of the second mean
    expected = np.mean(
        [
            -np.log(sigmoid(v[centre[b]] @ h[b]))
            - sum(np.log(sigmoid(-v[n] @ h[b])) for n in noise[b].tolist())
            for b in range(2)
        ]
    )
    assert cbow_loss(U, V, context, centre, noise).item() == pytest.approx(expected, rel=1e-12)


def test_gradients_match_finite_differences_in_float64():
    U, V, context, centre, noise = tiny_problem()
    assert torch.autograd.gradcheck(
        lambda U, V: cbow_loss(U, V, context, centre, noise), (U, V), eps=1e-6, atol=1e-8
    )


def test_gradients_match_the_docstrings_formulas():
    U, V, context, centre, noise = tiny_problem()
    cbow_loss(U, V, context, centre, noise).backward()
    u, v = U.detach().numpy(), V.detach().numpy()
    dU, dV = np.zeros_like(u), np.zeros_like(v)
    for b, words in enumerate([[2, 3], [4]]):
        h = u[words].mean(axis=0)
        w = int(centre[b])
        dh = (sigmoid(v[w] @ h) - 1) * v[w]
        dV[w] += (sigmoid(v[w] @ h) - 1) * h / 2  # / 2: the mean over the batch
        for n in noise[b].tolist():
            dh += sigmoid(v[n] @ h) * v[n]
            dV[n] += sigmoid(v[n] @ h) * h / 2
        for j in words:
            dU[j] += dh / len(words) / 2
    np.testing.assert_allclose(U.grad.numpy(), dU, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(V.grad.numpy(), dV, rtol=1e-12, atol=1e-14)
    assert not U.grad[PAD].any()


def test_padding_never_influences_the_loss_or_a_gradient_nan_included():
    U, V, context, centre, noise = tiny_problem()
    clean = cbow_loss(U, V, context, centre, noise)
    (clean_grad,) = torch.autograd.grad(clean, U)
    with torch.no_grad():
        U[PAD] = torch.nan
    poisoned = cbow_loss(U, V, context, centre, noise)
    (poisoned_grad,) = torch.autograd.grad(poisoned, U)
    assert poisoned.item() == clean.item()
    assert torch.equal(poisoned_grad, clean_grad)


# --- the training text ---------------------------------------------------------------------


def test_windows_stop_at_each_documents_ends():
    contexts, centres = windows([[5, 6, 7], [8], [9, 10]], window=1)
    assert contexts.tolist() == [[PAD, 6], [5, 7], [6, PAD], [PAD, 10], [9, PAD]]
    assert centres.tolist() == [5, 6, 7, 9, 10]  # [8] has no context and is skipped
    contexts, _ = windows([[5, 6, 7]], window=2)
    assert contexts.tolist()[1] == [PAD, 5, 7, PAD]


def test_noise_is_the_unigram_distribution_to_the_power_three_quarters():
    p = noise_distribution([[2, 2, 3, UNK], [2, 3, PAD]], vocab_size=5)
    weights = np.array([0, 1, 3**0.75, 2**0.75, 0])
    np.testing.assert_allclose(p, weights / weights.sum())


# --- training ------------------------------------------------------------------------------

WORDS = ["cat", "dog", "runs", "sleeps", "car", "van", "drives", "stops", "never"]
TEXT = [[animal, verb] for animal in ("cat", "dog") for verb in ("runs", "sleeps")] * 20 + [
    [vehicle, verb] for vehicle in ("car", "van") for verb in ("drives", "stops")
] * 20


@pytest.fixture(scope="module")
def trained():
    text = TEXT + [["a", "cat", "rare"]]
    return train_cbow(text, WORDS, dim=8, window=1, epochs=20, lr=0.03, batch=8, seed=0)


def test_rows_follow_the_vocabularys_ids(trained):
    vectors, losses = trained
    assert vectors.shape == (len(WORDS) + 2, 8) and vectors.dtype == torch.float32
    assert not vectors[PAD].any()
    torch.manual_seed(0)
    init = CBOW(len(WORDS) + 2, 8).U.weight.detach()
    never = WORDS.index("never") + 2  # in the vocabulary, never in the text: never updated
    assert torch.equal(vectors[never], init[never])
    assert not torch.equal(vectors[UNK], init[UNK])  # "a" and "rare" are <unk>
    assert losses[-1] < losses[0] / 2


def test_words_in_the_same_contexts_are_nearest(trained):
    vectors, _ = trained
    assert nearest(vectors, WORDS, "cat", 1)[0][0] == "dog"
    assert nearest(vectors, WORDS, "drives", 1)[0][0] == "stops"


def test_a_seed_fixes_the_vectors():
    again = train_cbow(TEXT, WORDS, dim=4, window=1, epochs=2, seed=3)[0]
    assert torch.equal(again, train_cbow(TEXT, WORDS, dim=4, window=1, epochs=2, seed=3)[0])
    assert not torch.equal(again, train_cbow(TEXT, WORDS, dim=4, window=1, epochs=2, seed=4)[0])


# --- nearest neighbours --------------------------------------------------------------------


def test_nearest_ranks_by_cosine_and_leaves_out_the_query_padding_and_unk():
    words = ["a", "b", "c", "d"]
    vectors = np.array([[9, 9], [1, 0], [1, 0], [10, 1], [0, 1], [-1, 0.5]])  # PAD, UNK, a..d
    neighbours = nearest(vectors, words, "a", k=10)
    assert [w for w, _ in neighbours] == ["b", "c", "d"]  # k larger than the vocabulary
    expected = [10 / np.sqrt(101), 0.0, -1 / np.sqrt(1.25)]
    np.testing.assert_allclose([s for _, s in neighbours], expected, atol=1e-4)
    assert nearest(torch.tensor(vectors), words, "c", k=1) == [("d", round(0.5 / 1.25**0.5, 4))]


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"documents": "a cat"}, TypeError, "documents: expected a list of token lists, .* a str"),
        ({"documents": [["a"], "cat"]}, TypeError, "documents: .*, received a 'cat' inside"),
        ({"documents": [["a"]]}, ValueError, "documents: expected at least one document of two"),
        ({"words": "cat"}, TypeError, "words: expected a list of str, received a str"),
        ({"words": ["cat", "cat"]}, ValueError, "words: expected distinct words, received 2 with"),
        ({"dim": 0}, ValueError, "dim: expected an int >= 1, received 0"),
        ({"window": 1.5}, TypeError, "window: expected an int, received a float"),
        ({"negatives": True}, TypeError, "negatives: expected an int, received a bool"),
        ({"seed": -1}, ValueError, "seed: expected an int >= 0, received -1"),
        ({"lr": 0.0}, ValueError, "lr: expected a positive number, received 0.0"),
    ],
)  # fmt: skip
def test_bad_training_arguments_are_named(kwargs, error, message):
    arguments = {"documents": [["cat", "runs"]], "words": ["cat", "runs"], "epochs": 1} | kwargs
    with pytest.raises(error, match=message):
        train_cbow(**arguments)


def test_bad_nearest_arguments_are_named():
    vectors = torch.zeros(4, 3)
    with pytest.raises(ValueError, match=r"embeddings: expected shape \(len\(words\) \+ 2, D\)"):
        nearest(vectors, ["a", "b", "c"], "a")
    with pytest.raises(ValueError, match="query: expected a word of the vocabulary, received 'z'"):
        nearest(vectors, ["a", "b"], "z")
    with pytest.raises(TypeError, match="query: expected a str, received a int"):
        nearest(vectors, ["a", "b"], 3)
    with pytest.raises(ValueError, match="k: expected an int >= 1, received 0"):
        nearest(vectors, ["a", "b"], "a", k=0)


def test_bad_loss_arguments_are_named():
    U, V, context, centre, noise = tiny_problem()
    with pytest.raises(
        ValueError, match=r"centre: expected shape \(B,\) = \(2,\), received \(3,\)"
    ):
        cbow_loss(U, V, context, torch.tensor([1, 2, 3]), noise)
    with pytest.raises(ValueError, match="context: expected a real .* in every row"):
        cbow_loss(U, V, torch.tensor([[2, 3], [PAD, PAD]]), centre, noise)
