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
    padded_targets,
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
    with pytest.raises(ValueError, match="alpha: expected a finite number >= 0"):
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
    assert teacher_forcing_input(tgt[:, :0]).shape == (2, 0)  # U = 0: no input, not [BOS]


def test_no_target_step_gives_no_prediction():
    model = toy(0)
    out = model(SRC, LENGTHS, torch.zeros(len(SRC), 0, dtype=torch.long))
    assert out.shape == (len(SRC), 0, model.out.out_features)


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


def test_dropout_acts_while_training_only():
    torch.manual_seed(0)
    model = Seq2Seq(7, 5, embed_size=4, hidden_size=8, attention="additive", dropout=0.5)
    tgt_in = torch.tensor([[BOS, 3, 4], [BOS, 4, 4]])
    model.train()
    assert not torch.equal(model(SRC, LENGTHS, tgt_in), model(SRC, LENGTHS, tgt_in))
    model.eval()
    torch.testing.assert_close(model(SRC, LENGTHS, tgt_in), model(SRC, LENGTHS, tgt_in))
    with pytest.raises(ValueError, match=r"dropout: expected a number in \[0, 1\)"):
        Seq2Seq(7, 5, dropout=1.0)


def test_ensemble_step_is_the_log_of_the_members_mean_distribution():
    models = [toy(seed, "additive", scale=1.0) for seed in (0, 1, 2)]
    ensemble = seq2seq.Ensemble(models)
    y = torch.tensor([BOS, BOS])
    memory, state = ensemble.encode(SRC, LENGTHS)
    log_probs, new_state, alpha = ensemble.step(y, state, memory)
    probs, states, alphas = [], [], []
    for model in models:
        member_memory, member_state = model.encode(SRC, LENGTHS)
        lp, s, a = model.step(y, member_state, member_memory)
        probs.append(lp.exp())
        states.append(s)
        alphas.append(a)
    torch.testing.assert_close(log_probs.exp(), sum(probs) / 3)
    torch.testing.assert_close(new_state, torch.cat(states, dim=1))
    torch.testing.assert_close(alpha, sum(alphas) / 3)
    assert alpha.shape == (2, 4) and torch.all(alpha[1, 2:] == 0)  # padding still ignored


def test_an_ensemble_of_copies_decodes_like_its_member():
    model = toy(3, "additive", vocab=6, scale=1.0)
    ensemble = seq2seq.Ensemble([model, model])
    assert greedy_decode(ensemble, SRC, LENGTHS, 6)[0] == greedy_decode(model, SRC, LENGTHS, 6)[0]
    for alpha in (0.0, 1.0):
        assert model_beam_search(ensemble, SRC, LENGTHS, 3, 6, alpha) == model_beam_search(
            model, SRC, LENGTHS, 3, 6, alpha
        )


def test_ensemble_arguments():
    with pytest.raises(TypeError, match="models: expected a non-empty list of Seq2Seq"):
        seq2seq.Ensemble([])
    with pytest.raises(
        ValueError, match=r"models: expected one hidden size, received sizes \[8, 16\]"
    ):
        seq2seq.Ensemble([toy(0), Seq2Seq(7, 5, hidden_size=16)])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m: m.encode(SRC.float(), LENGTHS), ValueError, "src: expected integer token"),
        (
            lambda m: m.encode(SRC + 5, LENGTHS),
            ValueError,
            r"src: expected token indices in \[0, 7\)",
        ),
        (lambda m: m.encode(SRC - 1, LENGTHS), ValueError, r"received values in \[-1, 5\]"),
        (lambda m: m.encode(SRC.tolist(), LENGTHS), TypeError, "src: .*needs an array"),
        (
            lambda m: m.encode(SRC, torch.tensor([5, 2])),
            ValueError,
            r"lengths: expected values in \[1, T = 4\]",
        ),
        (
            lambda m: m.encode(SRC, torch.tensor([4, 0])),
            ValueError,
            "received values in \\[0, 4\\]",
        ),
        (lambda m: m.encode(SRC, torch.tensor([4])), ValueError, "lengths: expected shape"),
        (
            lambda m: m.encode(SRC, torch.tensor([4.0, 2.0])),
            ValueError,
            "lengths: expected integers",
        ),
        (lambda m: m.encode(SRC, [4, 2]), TypeError, "lengths: expected a torch.Tensor"),
        (lambda m: greedy_decode(m, SRC, LENGTHS, 0), ValueError, "max_len: expected an int >= 1"),
        (lambda m: greedy_decode(m, SRC, LENGTHS, 2.5), TypeError, "max_len: expected an int"),
        (
            lambda m: model_beam_search(m, SRC, LENGTHS, 2.5, 4),
            TypeError,
            "beam_width: expected an int",
        ),
        (lambda m: length_normalised(-1.0, 0, 1.0), ValueError, "length: expected an int >= 1"),
        (lambda m: length_normalised(-1.0, 2, -1.0), ValueError, "alpha: expected a finite"),
        (lambda m: length_normalised(-1.0, 2, np.nan), ValueError, "alpha: expected a finite"),
        (
            lambda m: exhaustive_search(lambda y, s: (None, s), None, 5, 0),
            ValueError,
            "max_len: expected an int >= 1",
        ),
        (
            lambda m: exhaustive_search(lambda y, s: (None, s), None, 5, 3, alpha=-1.0),
            ValueError,
            "alpha: expected a finite number >= 0",
        ),
        (
            lambda m: beam_search(lambda y, s: (None, s), None, lambda s, i: s, 2, 3, np.nan),
            ValueError,
            "alpha: expected a finite number >= 0",
        ),
        (lambda m: seq2seq.Encoder(0, 4, 4), ValueError, "vocab_size: expected an int >= 1"),
        (lambda m: seq2seq.Encoder(5, -1, 4), ValueError, "embed_size: expected an int >= 1"),
        (lambda m: m(SRC, LENGTHS, torch.ones(len(SRC), 3)), ValueError, "tgt_in: expected int"),
        (
            lambda m: m(SRC, LENGTHS, torch.full((len(SRC), 3), 99)),
            ValueError,
            r"tgt_in: expected token indices in \[0, ",
        ),
        (
            lambda m: m(SRC, LENGTHS, torch.ones(len(SRC) + 1, 3, dtype=torch.long)),
            ValueError,
            r"tgt_in: expected shape",
        ),
        (
            lambda m: m.step(torch.ones(len(SRC)), *m.encode(SRC, LENGTHS)[::-1]),
            ValueError,
            "y_prev: expected integer token indices",
        ),
        (
            lambda m: m.step(torch.ones(1, dtype=torch.long), *m.encode(SRC, LENGTHS)[::-1]),
            ValueError,
            r"y_prev: expected shape",
        ),
        (
            lambda m: m.step(
                torch.ones(len(SRC), dtype=torch.long),
                torch.zeros(len(SRC), 3),
                m.encode(SRC, LENGTHS)[0],
            ),
            ValueError,
            r"state: expected shape",
        ),
        (
            lambda m: m.encode(SRC[:0], LENGTHS[:0]),
            ValueError,
            r"src: expected at least one source \(N >= 1\)",
        ),
        (lambda m: padded_targets("ab", {"a": 3}), TypeError, "sequences: expected a sequence"),
        (lambda m: padded_targets(["ab"], {"a": 3}), TypeError, r"sequences\[0\]: expected"),
        (lambda m: padded_targets([["z"]], {"a": 3}), ValueError, r"not in the index: \['z'\]"),
        (lambda m: teacher_forcing_input(torch.ones(2, 3)), ValueError, "tgt: expected integer"),
        (lambda m: source_step(m, m.encode(SRC, LENGTHS)[0]), ValueError, "memory: expected one"),
        (lambda m: seq2seq.Attention("dot", 0), ValueError, "hidden_size: expected an int >= 1"),
        (lambda m: Seq2Seq(7, 5, hidden_size=2.5), TypeError, "hidden_size: expected an int"),
        (lambda m: Seq2Seq(0, 5), ValueError, "src_vocab: expected an int >= 1"),
    ],
)
def test_malformed_calls_raise_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(toy(0))
