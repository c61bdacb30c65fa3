"""unrolled.bptt: truncated BPTT, clipping, optimisers and the training loop (chapter 4)."""

import numpy as np
import pytest
import torch

from unrolled.bptt import (
    Adagrad,
    Adam,
    bits_per_char,
    clip_grad_norm,
    init_params,
    loss_and_gradients,
    sample,
    text_streams,
    train_char_lm,
    truncated_bptt,
)
from unrolled.data import one_hot

N, T, H, K = 3, 12, 6, 5  # one-hot inputs: D = K


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.fixture
def params(rng):
    shapes = {"U": (H, K), "W": (H, H), "b": (H,), "V": (K, H), "c": (K,)}
    return {name: rng.uniform(-0.9, 0.9, size=shape) for name, shape in shapes.items()}


@pytest.fixture
def batch(rng):
    ids = rng.integers(0, K, size=(N, T + 1))
    return one_hot(ids[:, :-1], K), ids[:, 1:], rng.uniform(-1, 1, size=(N, H))


def torch_truncated_gradients(params, x, y, h0, k, mask=None):
    """Reference: autograd through the whole sequence, the state detached every k steps."""
    t = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    h, total = torch.from_numpy(h0), 0
    weights = np.ones(y.shape) if mask is None else mask
    for step in range(x.shape[1]):
        if step % k == 0:
            h = h.detach()  # the chunk boundary: no gradient flows into earlier steps
        h_new = torch.tanh(t["b"] + h @ t["W"].T + torch.from_numpy(x[:, step]) @ t["U"].T)
        real = torch.from_numpy(weights[:, step, None] == 1)
        h = torch.where(real, h_new, h)
        per_example = torch.nn.functional.cross_entropy(
            t["c"] + h @ t["V"].T, torch.from_numpy(y[:, step]), reduction="none"
        )
        total = total + (per_example * torch.from_numpy(weights[:, step])).sum() / len(h0)
    total.backward()
    return total.item(), {name: tensor.grad.numpy() for name, tensor in t.items()}


@pytest.mark.parametrize("k", [T, T + 1, 100])
@pytest.mark.parametrize("masked", [False, True])
def test_truncation_at_or_beyond_the_length_is_exactly_full_bptt(params, batch, k, masked):
    x, y, h0 = batch
    mask = (np.arange(T) < np.array([[T], [7], [3]])).astype(np.float64) if masked else None
    loss, grads, h_last = loss_and_gradients(params, x, y, h0, mask)
    loss_k, grads_k, h_k = truncated_bptt(params, x, y, h0, k, mask)
    assert loss_k == loss and np.array_equal(h_k, h_last)
    for name in grads:
        assert np.array_equal(grads_k[name], grads[name]), name


@pytest.mark.parametrize("k", [1, 2, 5, T - 1])
def test_truncation_below_the_length_changes_only_the_recurrent_gradients(params, batch, k):
    x, y, h0 = batch
    loss, grads, h_last = loss_and_gradients(params, x, y, h0)
    loss_k, grads_k, h_k = truncated_bptt(params, x, y, h0, k)
    assert loss_k == pytest.approx(loss, rel=1e-13) and np.allclose(h_k, h_last, atol=1e-15)
    for name in ("V", "c"):  # the forward pass is unchanged, so is the output layer's gradient
        np.testing.assert_allclose(grads_k[name], grads[name], rtol=1e-12, atol=1e-14)
    for name in ("U", "W", "b"):
        assert np.abs(grads_k[name] - grads[name]).max() > 1e-6 * np.abs(grads[name]).max()


@pytest.mark.parametrize("k", [1, 3, 5, T])
def test_truncated_gradients_match_autograd_with_detached_chunks(params, batch, k):
    x, y, h0 = batch
    mask = (np.arange(T) < np.array([[T], [8], [4]])).astype(np.float64)
    loss, grads, _ = truncated_bptt(params, x, y, h0, k, mask)
    expected_loss, expected = torch_truncated_gradients(params, x, y, h0, k, mask)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    for name in params:
        np.testing.assert_allclose(grads[name], expected[name], rtol=1e-10, atol=1e-13)


def test_truncated_bptt_rejects_bad_arguments(params, batch):
    x, y, h0 = batch
    for k in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="k must be a positive int"):
            truncated_bptt(params, x, y, h0, k)
    with pytest.raises(ValueError, match=r"^y: expected shape"):
        truncated_bptt(params, x, y[:, :-1], h0, 3)
    with pytest.raises(ValueError, match=r"^mask: expected shape"):
        truncated_bptt(params, x, y, h0, 3, np.ones((N, T + 1)))


def random_grads(rng, scale=1.0):
    shapes = {"U": (H, K), "W": (H, H), "b": (H,), "V": (K, H), "c": (K,)}
    return {name: rng.normal(scale=scale, size=shape) for name, shape in shapes.items()}


@pytest.mark.parametrize("max_norm", [0.5, 1.0, 1e6])
def test_clipping_caps_the_global_norm_like_torch(rng, max_norm):
    grads = random_grads(rng, scale=3.0)
    original = {name: g.copy() for name, g in grads.items()}
    tensors = [torch.zeros(g.shape, dtype=torch.float64) for g in grads.values()]
    for tensor, g in zip(tensors, grads.values(), strict=True):
        tensor.grad = torch.from_numpy(g.copy())
    norm_before = clip_grad_norm(grads, max_norm)
    torch_norm = torch.nn.utils.clip_grad_norm_(tensors, max_norm)
    expected_norm = np.sqrt(sum(np.sum(g**2) for g in original.values()))
    norm_after = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    assert norm_before == pytest.approx(expected_norm, rel=1e-14)
    assert norm_before == pytest.approx(torch_norm.item(), rel=1e-14)
    assert norm_after == pytest.approx(min(max_norm, expected_norm), rel=1e-5)
    for g, tensor, g0 in zip(grads.values(), tensors, original.values(), strict=True):
        np.testing.assert_allclose(g, tensor.grad.numpy(), rtol=1e-14)
        cosine = np.sum(g * g0) / (np.linalg.norm(g) * np.linalg.norm(g0))
        assert cosine == pytest.approx(1.0, abs=1e-12)  # the direction is kept
    if max_norm > expected_norm:
        assert all(np.array_equal(grads[n], original[n]) for n in grads)  # nothing to clip
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm(grads, 0.0)


@pytest.mark.parametrize(
    ("ours", "theirs", "settings"),
    [
        (Adagrad, torch.optim.Adagrad, {"lr": 0.1}),
        (Adagrad, torch.optim.Adagrad, {"lr": 0.5, "eps": 1e-6}),
        (Adam, torch.optim.Adam, {"lr": 0.01}),
        (Adam, torch.optim.Adam, {"lr": 0.003, "betas": (0.5, 0.9), "eps": 1e-6}),
    ],
)
def test_optimiser_steps_match_torch_optim(rng, params, ours, theirs, settings):
    gradient_list = [random_grads(rng, scale=10.0 ** rng.uniform(-3, 1)) for _ in range(20)]
    tensors = {name: torch.tensor(value, requires_grad=True) for name, value in params.items()}
    torch_optimizer = theirs(tensors.values(), **settings)
    mine = {name: value.copy() for name, value in params.items()}
    optimizer = ours(mine, **settings)
    for grads in gradient_list:
        optimizer.step(grads)
        for name, tensor in tensors.items():
            tensor.grad = torch.from_numpy(grads[name].copy())
        torch_optimizer.step()
    for name, tensor in tensors.items():
        np.testing.assert_allclose(mine[name], tensor.detach().numpy(), rtol=1e-12, atol=1e-14)
        assert not np.allclose(mine[name], params[name])  # the parameters did move


def test_optimisers_update_the_given_arrays_in_place_and_check_shapes(params, rng):
    arrays = {name: value.copy() for name, value in params.items()}
    identities = {name: id(value) for name, value in arrays.items()}
    for optimizer in (Adam(arrays, lr=0.1), Adagrad(arrays, lr=0.1)):
        optimizer.step(random_grads(rng))
        with pytest.raises(ValueError, match=r"^grads\['U'\]: expected shape"):
            optimizer.step(random_grads(rng) | {"U": np.zeros((H, K + 1))})
    assert {name: id(value) for name, value in arrays.items()} == identities
    assert not np.allclose(arrays["W"], params["W"])


def test_text_streams_cut_the_text_into_contiguous_rows():
    ids = np.arange(23)
    streams = text_streams(ids, 4)
    assert streams.shape == (4, 5)
    assert np.array_equal(streams[1], np.arange(5, 10))
    with pytest.raises(ValueError, match="too few"):
        text_streams(ids, 20)
    with pytest.raises(ValueError, match=r"^ids: expected shape"):
        text_streams(ids.reshape(1, -1), 2)


@pytest.fixture
def toy_text(rng):
    """A text a small RNN can learn quickly: a repeated pattern with some noise."""
    ids = np.tile(np.array([0, 1, 2, 3, 4, 3, 2, 1]), 300)
    noise = rng.random(ids.shape) < 0.05
    ids[noise] = rng.integers(0, K, size=noise.sum())
    return ids


@pytest.mark.parametrize("optimizer_class", [Adam, Adagrad])
def test_a_short_training_run_lowers_the_loss(toy_text, optimizer_class):
    params = init_params(K, 16, K, np.random.default_rng(0))
    before = bits_per_char(params, toy_text)
    lr = 0.02 if optimizer_class is Adam else 0.2
    history = train_char_lm(
        params, toy_text, optimizer_class(params, lr=lr), steps=150, batch_size=4, chunk=10
    )
    after = bits_per_char(params, toy_text)
    assert history.shape == (150,)
    assert history[-20:].mean() < 0.6 * history[:20].mean()
    assert after < 0.6 * before
    assert before == pytest.approx(np.log2(K), abs=0.2)  # an untrained model guesses


def test_training_resets_the_state_at_the_end_of_the_streams(toy_text):
    # 4 streams of 600 ids, chunks of 100: 5 updates per pass, so 12 updates read it twice.
    params = init_params(K, 8, K, np.random.default_rng(0))
    history = train_char_lm(
        params, toy_text[:2400], Adam(params, lr=0.0), steps=12, batch_size=4, chunk=100
    )
    np.testing.assert_allclose(history[5:10], history[:5], rtol=1e-13)  # lr 0: same losses


def test_learning_rate_decay_reaches_the_final_value(toy_text):
    params = init_params(K, 8, K, np.random.default_rng(0))
    optimizer = Adam(params, lr=1e-2)
    train_char_lm(params, toy_text, optimizer, steps=10, batch_size=2, chunk=5, lr_decay=0.1)
    assert optimizer.lr == pytest.approx(1e-2 * 0.1 ** (9 / 10))  # the lr of the last update


def test_bits_per_char_matches_the_loss_of_one_long_sequence(params, rng):
    ids = rng.integers(0, K, size=50)
    loss, _, _ = loss_and_gradients(
        params, one_hot(ids[None, :-1], K), ids[None, 1:], np.zeros((1, H))
    )
    expected = loss / 49 / np.log(2)
    for chunk in (1, 7, 49, 100):  # chunks carry the state: the same computation
        assert bits_per_char(params, ids, n_streams=1, chunk=chunk) == pytest.approx(
            expected, rel=1e-12
        )
    assert bits_per_char(params, ids, n_streams=3) != pytest.approx(expected, rel=1e-6)


def test_sample_is_reproducible_and_follows_the_temperature(params):
    prefix = np.array([0, 1, 2])
    first = sample(params, prefix, 40, np.random.default_rng(3))
    again = sample(params, prefix, 40, np.random.default_rng(3))
    assert first.shape == (40,) and np.array_equal(first, again)
    assert first.min() >= 0 and first.max() < K
    cold = sample(params, prefix, 40, np.random.default_rng(3), temperature=1e-3)
    one_id = sample(params, prefix[:1], 5, np.random.default_rng(3))  # a one-id prefix works
    assert one_id.shape == (5,)
    # nearly greedy: each id is the most likely one given the ids before it
    ids = np.concatenate([prefix, cold])
    for i in range(len(prefix), len(ids)):
        h = np.zeros((1, H))
        for j in range(i):
            h = np.tanh(params["b"] + h @ params["W"].T + params["U"][:, ids[j]])
        assert ids[i] == np.argmax(params["c"] + h[0] @ params["V"].T)
    for bad in ({"temperature": 0.0}, {"n": 0}):
        with pytest.raises(ValueError):
            sample(params, prefix, **({"n": 5} | bad), rng=np.random.default_rng(0))


def test_init_params_shapes_and_bounds():
    params = init_params(3, 16, 4, np.random.default_rng(0))
    shapes = {name: value.shape for name, value in params.items()}
    assert shapes == {"U": (16, 3), "W": (16, 16), "b": (16,), "V": (4, 16), "c": (4,)}
    assert all(np.abs(value).max() <= 0.25 for value in params.values())  # 1 / sqrt(16)
    with pytest.raises(ValueError, match="H must be a positive int"):
        init_params(3, 0, 4, np.random.default_rng(0))
