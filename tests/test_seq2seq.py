"""unrolled.seq2seq: shapes, padding, teacher forcing = stepwise decoding, and search."""

import numpy as np
import pytest
import torch

from unrolled import seq2seq
from unrolled.seq2seq import (
    BOS,
    EOS,
    Seq2Seq,
    beam_search,
    exhaustive_search,
    greedy_decode,
    length_normalised,
    model_beam_search,
    source_step,
    teacher_forcing_input,
)

SRC = torch.tensor([[3, 4, 5, 6], [5, 3, 0, 0]])
LENGTHS = torch.tensor([4, 2])


def toy(seed, attention="dot", vocab=5, scale=4.0):
    torch.manual_seed(seed)
    model = Seq2Seq(7, vocab, embed_size=4, hidden_size=8, attention=attention)
    with torch.no_grad():
        for p in model.out.parameters():
            p.mul_(scale)
    return model


@pytest.mark.parametrize("attention", ["none", "dot", "general", "additive"])
def test_teacher_forcing_shapes_and_normalisation(attention):
    model = toy(0, attention)
    tgt_in = torch.tensor([[BOS, 3, 4], [BOS, 4, 4]])
    log_probs = model(SRC, LENGTHS, tgt_in)
    assert log_probs.shape == (2, 3, 5)
    torch.testing.assert_close(log_probs.exp().sum(-1), torch.ones(2, 3))


@pytest.mark.parametrize("attention", ["none", "additive"])
def test_padding_does_not_change_the_output(attention):
    model = toy(1, attention)
    tgt_in = torch.tensor([[BOS, 3, 4]])
    short = model(SRC[1:, :2], LENGTHS[1:], tgt_in)
    padded = model(torch.tensor([[5, 3, 6, 6, 6]]), LENGTHS[1:], tgt_in)
    torch.testing.assert_close(short, padded, rtol=1e-6, atol=1e-6)


def test_attention_weights_ignore_padding_and_sum_to_one():
    model = toy(2, "general")
    _, weights = greedy_decode(model, SRC, LENGTHS, max_len=4)
    assert np.all(weights[1][:, 2:] == 0.0)
    np.testing.assert_allclose(weights[1].sum(axis=1), 1.0, rtol=1e-6)


def test_greedy_equals_beam_of_width_one_without_length_normalisation():
    for seed in range(5):
        model = toy(seed)
        greedy, _ = greedy_decode(model, SRC, LENGTHS, max_len=5)
        assert model_beam_search(model, SRC, LENGTHS, beam_width=1, max_len=5) == greedy


def test_beam_of_width_one_is_not_greedy_with_length_normalisation():
    """Chapter 7's statement: k = 1 beam search is greedy decoding only for beta = 0. Here
    greedy stops at once (EOS has p = 0.5); the beam sets that hypothesis aside, goes on with
    the best other token "a" (p = 0.4), then ends (EOS after "a": p = 0.99). Normalised by
    length (beta = 1) the longer output scores higher, so the beam returns it."""
    a = EOS + 1
    first = np.full(a + 1, 0.05)
    first[[EOS, a]] = 0.5, 0.4  # after BOS: EOS or "a"
    then = np.full(a + 1, 0.0025)
    then[EOS] = 1 - 0.0025 * a  # after "a": almost surely EOS
    table = torch.log(torch.tensor(np.stack([first if t == BOS else then for t in range(a + 1)])))

    def step(y_prev, state):
        return table[y_prev], state  # (B, V): depends only on the previous token

    def select(state, index):
        return state

    stop_now = length_normalised(float(table[BOS, EOS]), 1, 1.0)
    go_on = length_normalised(float(table[BOS, a] + table[a, EOS]), 2, 1.0)
    assert go_on > stop_now  # the longer output wins once normalised ...
    assert beam_search(step, None, select, 1, 4, alpha=1.0) == ([a], pytest.approx(go_on))
    plain = beam_search(step, None, select, 1, 4, alpha=0.0)  # ... but not without it
    assert plain == ([], pytest.approx(float(table[BOS, EOS])))


@pytest.mark.parametrize("beta", [0.0, 0.6, 1.0])
def test_wide_beam_equals_exhaustive_search(beta):
    vocab, max_len = 5, 4
    differs = 0
    with torch.no_grad():
        for seed in range(8):
            model = toy(seed, vocab=vocab)
            memory, state = model.encode(SRC[:1], LENGTHS[:1])
            step = source_step(model, memory)
            best, best_score = exhaustive_search(step, state, vocab, max_len, beta)
            beam, score = beam_search(
                step, state, lambda s, i: s[i], vocab**max_len, max_len, beta
            )
            assert beam == best
            assert score == pytest.approx(best_score, rel=1e-6)  # float32 model, batched vs not
            narrow, _ = beam_search(step, state, lambda s, i: s[i], 1, max_len, beta)
            differs += narrow != best
    assert differs > 0  # the toy problems are hard enough for greedy search to fail


def test_exhaustive_search_score_is_the_model_probability():
    with torch.no_grad():
        model = toy(3)
        memory, state = model.encode(SRC[:1], LENGTHS[:1])
        tokens, score = exhaustive_search(source_step(model, memory), state, 5, 3, alpha=0.0)
        seq = tokens + [EOS] if len(tokens) < 3 else tokens
        tgt_in = torch.tensor([[BOS] + seq[:-1]])
        log_probs = model(SRC[:1], LENGTHS[:1], tgt_in)[0]
        total = sum(float(log_probs[t, y]) for t, y in enumerate(seq))
    assert score == pytest.approx(total, rel=1e-5)


def test_length_normalisation():
    assert length_normalised(-6.0, 3, 0.0) == -6.0
    assert length_normalised(-6.0, 3, 1.0) == -2.0


def test_bad_arguments_raise_value_errors():
    with pytest.raises(ValueError, match="attention: expected one of"):
        Seq2Seq(5, 5, attention="cosine")
    with pytest.raises(ValueError, match=r"src: expected shape \(N, T\)"):
        toy(0).encode(SRC[0], LENGTHS)
    with pytest.raises(ValueError, match="beam_width"):
        beam_search(lambda y, s: (None, s), None, lambda s, i: s, 0, 3)
    with pytest.raises(ValueError, match="alpha >= 0"):
        model_beam_search(toy(0), SRC, LENGTHS, beam_width=2, max_len=3, alpha=-1.0)


@pytest.mark.parametrize("beam_width", [2, 3])
def test_batched_model_beam_search_equals_beam_search_per_example(beam_width):
    """Stacking the hypotheses of many sources into one decoder call changes nothing."""
    gen = torch.Generator().manual_seed(0)
    lengths = torch.randint(1, 7, (12,), generator=gen)
    src = torch.randint(3, 7, (12, 6), generator=gen)
    src[torch.arange(6)[None, :] >= lengths[:, None]] = 0
    for seed, alpha in ((0, 0.0), (1, 1.0)):
        model = toy(seed, "additive", vocab=6, scale=1.0)
        batched = model_beam_search(model, src, lengths, beam_width, max_len=6, alpha=alpha)
        with torch.no_grad():
            for n in range(len(src)):
                memory, state = model.encode(src[n : n + 1], lengths[n : n + 1])
                step = source_step(model, memory)
                alone, _ = beam_search(step, state, lambda s, i: s[i], beam_width, 6, alpha)
                assert batched[n] == alone


def test_bidirectional_encoder_reads_the_whole_source():
    torch.manual_seed(0)
    model = Seq2Seq(7, 5, embed_size=4, hidden_size=8, attention="dot", bidirectional=True)
    h, h_last = model.encoder(SRC, LENGTHS)
    assert h.shape == (2, 4, 8) and h_last.shape == (2, 8)
    torch.testing.assert_close(h_last[:, :4], h[[0, 1], [3, 1], :4])  # forward: after the last
    torch.testing.assert_close(h_last[:, 4:], h[:, 0, 4:])  # backward: after the first token
    assert torch.all(h[1, 2:] == 0)  # padding
    changed = SRC.clone()
    changed[0, 3] = 3  # the last letter reaches the first state through the backward GRU
    assert not torch.allclose(model.encoder(changed, LENGTHS)[0][0, 0], h[0, 0])
    with pytest.raises(ValueError, match="even"):
        Seq2Seq(7, 5, hidden_size=7, bidirectional=True)


def test_teacher_forcing_input_shifts_right():
    tgt = torch.tensor([[4, 5, EOS], [6, EOS, 0]])
    assert teacher_forcing_input(tgt).tolist() == [[BOS, 4, 5], [BOS, 6, EOS]]


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_stopping_early_never_changes_the_answer(monkeypatch, alpha):
    """_settled only skips steps: running every search to max_len gives the same outputs."""
    gen = torch.Generator().manual_seed(1)
    lengths = torch.randint(1, 7, (16,), generator=gen)
    src = torch.randint(3, 7, (16, 6), generator=gen)
    src[torch.arange(6)[None, :] >= lengths[:, None]] = 0
    model = toy(2, "additive", vocab=6, scale=3.0)
    early = model_beam_search(model, src, lengths, beam_width=2, max_len=8, alpha=alpha)
    monkeypatch.setattr(seq2seq, "_settled", lambda alive, *_: not alive)
    assert model_beam_search(model, src, lengths, beam_width=2, max_len=8, alpha=alpha) == early
