"""A small PyTorch encoder-decoder with attention, and greedy and beam-search decoding.

The encoder is an embedding and a GRU over the padded source (batch first). The decoder is
a GRU that, at every step, reads the previous output token and a context vector:

- attention "none": the context is the encoder's last real state, the same at every step
  (Cho et al.'s fixed-length summary, the bottleneck of chapter 7);
- "dot", "general" or "additive": the context is c_t = sum_i alpha_{t,i} h_i with the
  weights of Eq. (ch7-alpha), recomputed from the decoder's previous state at every step
  (Bahdanau et al.'s order: attend, then update the state).

Token conventions: index PAD = 0 pads source and target, BOS = 1 starts the decoder's
input, EOS = 2 ends every target. Decoding works on any `step` function, so the beam search
can be checked against exhaustive search on a toy model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from unrolled.validation import check_fraction, check_int, check_positive, check_shape, check_words

PAD, BOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<bos>", "<eos>")  # the symbols of indices PAD, BOS, EOS
ATTENTION = ("none", "dot", "general", "additive")


def _check_tokens(name: str, ids: object, vocab_size: int | None) -> None:
    """Token indices: an integer tensor with every value in [0, vocab_size) (vocab_size None:
    any value >= 0)."""
    if not isinstance(ids, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, received {type(ids).__name__}")
    if ids.dtype.is_floating_point or ids.dtype.is_complex or ids.dtype == torch.bool:
        raise ValueError(f"{name}: expected integer token indices, received dtype {ids.dtype}")
    vocab_size = torch.iinfo(torch.long).max if vocab_size is None else vocab_size
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= vocab_size):
        raise ValueError(
            f"{name}: expected token indices in [0, {vocab_size}), received values in "
            f"[{int(ids.min())}, {int(ids.max())}]"
        )


def _check_lengths(lengths: object, n: int, t: int) -> None:
    """Source lengths: (N,) integers in [1, T] (each source has a real token; none overflows)."""
    if not isinstance(lengths, torch.Tensor):
        raise TypeError(f"lengths: expected a torch.Tensor, received {type(lengths).__name__}")
    check_shape("lengths", lengths, (n,))
    if n == 0:  # PyTorch's packed sequences cannot hold an empty batch
        raise ValueError("src: expected at least one source (N >= 1), received an empty batch")
    if lengths.dtype.is_floating_point or lengths.dtype == torch.bool:
        raise ValueError(f"lengths: expected integers, received dtype {lengths.dtype}")
    if n and (int(lengths.min()) < 1 or int(lengths.max()) > t):
        raise ValueError(
            f"lengths: expected values in [1, T = {t}], received values in "
            f"[{int(lengths.min())}, {int(lengths.max())}]"
        )


def _check_step(decoder: Decoder, y_prev: object, state: object, memory: Memory) -> None:
    """The inputs of one decoder step: y_prev (N,) token indices of the decoder's vocabulary,
    state (N, H), for the N examples of the memory."""
    n = memory.h.shape[0]
    check_shape("state", state, (n, decoder.cell.hidden_size))
    check_shape("y_prev", y_prev, (n,))
    _check_tokens("y_prev", y_prev, decoder.embed.num_embeddings)


class Encoder(nn.Module):
    """Embedding + one-layer GRU; returns all states (N, T, H) and the last real state (N, H).

    With `bidirectional`, a forward and a backward GRU of H/2 units each read the source, so
    that h_i = [h_i(forward); h_i(backward)] (Schuster & Paliwal's bidirectional RNN, chapter 3)
    knows the whole source and still has H units; the summary state is
    [forward state after the last token; backward state after the first].
    """

    def __init__(
        self, vocab_size: int, embed_size: int, hidden_size: int, bidirectional: bool = False
    ) -> None:
        super().__init__()
        for name, size in (
            ("vocab_size", vocab_size),
            ("embed_size", embed_size),
            ("hidden_size", hidden_size),
        ):
            check_int(name, size)
        if bidirectional and hidden_size % 2:
            raise ValueError(
                f"hidden_size must be even when bidirectional, received {hidden_size}"
            )
        self.embed = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
        size = hidden_size // 2 if bidirectional else hidden_size
        self.rnn = nn.GRU(embed_size, size, batch_first=True, bidirectional=bidirectional)

    def forward(self, src: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """src: (N, T) token indices, lengths: (N,) real lengths -> (h (N, T, H), h_last (N, H)).

        Packing makes the GRU stop at each example's last real token, so h_last is the
        state after the whole source and the padded states are zeros.
        """
        check_shape("src", src, ("N", "T"))
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embed(src), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        out, h_last = self.rnn(packed)  # h_last: (directions, N, H / directions)
        h, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        return h, torch.cat(list(h_last), dim=1)  # (N, T, H), (N, H)


class Attention(nn.Module):
    """Scores (ch7-score-additive / -dot / -general), masked softmax (ch7-alpha), context."""

    def __init__(self, score: str, hidden_size: int, attention_size: int | None = None) -> None:
        super().__init__()
        if score not in ATTENTION[1:]:
            raise ValueError(f"score: expected one of {ATTENTION[1:]}, received {score!r}")
        check_int("hidden_size", hidden_size)
        if attention_size is not None:
            check_int("attention_size", attention_size)
        self.score = score
        if score == "general":
            self.W_a = nn.Linear(hidden_size, hidden_size, bias=False)
        if score == "additive":
            attention_size = attention_size or hidden_size
            self.W_s = nn.Linear(hidden_size, attention_size, bias=False)
            self.W_h = nn.Linear(hidden_size, attention_size, bias=False)
            self.v = nn.Linear(attention_size, 1, bias=False)

    def keys(self, h: torch.Tensor) -> torch.Tensor:
        """What the scores compare the query with, computed once per source, not once per step.

        The additive score's W_h h_i (N, T, A) does not depend on the decoder state, so it is
        precomputed (as Bahdanau et al. do); the dot and general scores use h (N, T, H) itself.
        """
        return self.W_h(h) if self.score == "additive" else h

    def forward(
        self, s: torch.Tensor, h: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """s: (N, H) query, h: (N, T, H), keys = self.keys(h), mask: (N, T) True at real
        positions -> (c (N, H), alpha (N, T))."""
        if self.score == "dot":
            e = torch.einsum("nh,nth->nt", s, keys)
        elif self.score == "general":
            e = torch.einsum("nh,nth->nt", self.W_a(s), keys)  # W_a(s) = s W_a^T
        else:
            e = self.v(torch.tanh(self.W_s(s)[:, None, :] + keys)).squeeze(-1)
        alpha = torch.softmax(e.masked_fill(~mask, float("-inf")), dim=1)  # (N, T)
        return torch.einsum("nt,nth->nh", alpha, h), alpha


@dataclass
class Memory:
    """What the decoder reads from the encoder: states h (N, T, H), the attention's keys
    (Attention.keys), mask (N, T), h_last (N, H)."""

    h: torch.Tensor
    keys: torch.Tensor
    mask: torch.Tensor
    h_last: torch.Tensor

    def select(self, index: torch.Tensor) -> Memory:
        """The memory of the examples at `index` (used to repeat one source for a beam)."""
        return Memory(self.h[index], self.keys[index], self.mask[index], self.h_last[index])


class Decoder(nn.Module):
    """The attentive GRU decoder that Seq2Seq and the image captioner share.

    A subclass passes its encoder (a module, kept as self.encoder) and defines
    `encode(src, lengths) -> (Memory, s_0)`; the decoder reads the memory's states h (N, T, H),
    whatever produced them (a source's tokens, an image's regions), through the attention of
    the module docstring.
    """

    def __init__(
        self,
        encoder: nn.Module,
        tgt_vocab: int,
        embed_size: int = 32,
        hidden_size: int = 64,
        attention: str = "dot",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if attention not in ATTENTION:
            raise ValueError(f"attention: expected one of {ATTENTION}, received {attention!r}")
        check_fraction("dropout", dropout)
        for name, size in (
            ("tgt_vocab", tgt_vocab),
            ("embed_size", embed_size),
            ("hidden_size", hidden_size),
        ):
            check_int(name, size)
        self.encoder = encoder  # created first: its parameters are drawn first from the seed
        self.embed = nn.Embedding(tgt_vocab, embed_size, padding_idx=PAD)
        self.attention = None if attention == "none" else Attention(attention, hidden_size)
        self.cell = nn.GRUCell(embed_size + hidden_size, hidden_size)
        self.drop = nn.Dropout(dropout)  # on the output layer's input, while training
        self.out = nn.Linear(2 * hidden_size, tgt_vocab)

    def memory(self, h: torch.Tensor, mask: torch.Tensor, h_last: torch.Tensor) -> Memory:
        """The memory of encoded states h (N, T, H), with the attention's keys precomputed."""
        keys = h if self.attention is None else self.attention.keys(h)
        return Memory(h, keys, mask, h_last)

    def encode(
        self, src: torch.Tensor, lengths: torch.Tensor | None
    ) -> tuple[Memory, torch.Tensor]:
        raise NotImplementedError  # the encoder is the subclass's

    def step(
        self, y_prev: torch.Tensor, state: torch.Tensor, memory: Memory
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One decoder step: y_prev (N,) tokens, state (N, H) -> log-probs (N, V), state, alpha.

        c_t attends with the previous state; s_t = GRU([embed(y_{t-1}); c_t], s_{t-1});
        the output layer reads [s_t; c_t] (through dropout, while training).
        """
        _check_step(self, y_prev, state, memory)  # y_prev: (N,) token ids, state: (N, H)
        if self.attention is None:
            c, alpha = memory.h_last, None
        else:
            c, alpha = self.attention(state, memory.h, memory.keys, memory.mask)  # (N, H), (N, T)
        state = self.cell(torch.cat([self.embed(y_prev), c], dim=1), state)  # (N, H)
        logits = self.out(self.drop(torch.cat([state, c], dim=1)))  # (N, V)
        return torch.log_softmax(logits, dim=1), state, alpha

    def forward(
        self, src: torch.Tensor, lengths: torch.Tensor | None, tgt_in: torch.Tensor
    ) -> torch.Tensor:
        """Teacher forcing: log-probs (N, U, V) of the next tokens given tgt_in = [BOS, y...]."""
        memory, state = self.encode(src, lengths)
        check_shape("tgt_in", tgt_in, (state.shape[0], "U"))
        _check_tokens("tgt_in", tgt_in, self.embed.num_embeddings)
        out = []
        for t in range(tgt_in.shape[1]):
            log_probs, state, _ = self.step(tgt_in[:, t], state, memory)
            out.append(log_probs)
        if not out:  # U = 0: no step, no prediction
            return state.new_zeros(len(state), 0, self.out.out_features)
        return torch.stack(out, dim=1)


class Seq2Seq(Decoder):
    """GRU encoder-decoder with optional attention, as in the module docstring."""

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        embed_size: int = 32,
        hidden_size: int = 64,
        attention: str = "dot",
        bidirectional: bool = False,
        dropout: float = 0.0,
    ) -> None:
        for name, size in (
            ("src_vocab", src_vocab),
            ("embed_size", embed_size),
            ("hidden_size", hidden_size),
        ):
            check_int(name, size)
        encoder = Encoder(src_vocab, embed_size, hidden_size, bidirectional)
        super().__init__(encoder, tgt_vocab, embed_size, hidden_size, attention, dropout)

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> tuple[Memory, torch.Tensor]:
        """Encode a padded batch: the memory and the decoder's initial state s_0 = h_last.

        src: (N, T) token indices in [0, src_vocab); lengths: (N,) real lengths in [1, T].
        """
        check_shape("src", src, ("N", "T"))
        _check_tokens("src", src, self.encoder.embed.num_embeddings)
        _check_lengths(lengths, src.shape[0], src.shape[1])
        h, h_last = self.encoder(src, lengths)
        mask = torch.arange(src.shape[1])[None, :] < lengths[:, None]  # (N, T)
        return self.memory(h, mask, h_last), h_last


class Ensemble(nn.Module):
    """Several trained Seq2Seq models decoding as one: at every step the next-token
    distribution is the mean of the members' distributions,
    log p(y_t | ...) = log (1/K) sum_k p_k(y_t | ...),
    each member reading its own state. Greedy and beam decoding accept it in place of a model.

    The members must share the hidden size: the ensemble's state is theirs side by side,
    (N, K H), so that the beam search can reorder it like one model's state.
    """

    def __init__(self, models: list[Seq2Seq]) -> None:
        super().__init__()
        if not models or not all(isinstance(m, Seq2Seq) for m in models):
            raise TypeError(f"models: expected a non-empty list of Seq2Seq, received {models!r}")
        sizes = {m.cell.hidden_size for m in models}
        if len(sizes) != 1:
            raise ValueError(f"models: expected one hidden size, received sizes {sorted(sizes)}")
        self.members = nn.ModuleList(models)
        self.hidden_size = sizes.pop()

    def encode(
        self, src: torch.Tensor, lengths: torch.Tensor
    ) -> tuple[EnsembleMemory, torch.Tensor]:
        """Every member's memory, and their initial states side by side (N, K H)."""
        encoded = [m.encode(src, lengths) for m in self.members]
        return EnsembleMemory([mem for mem, _ in encoded]), torch.cat([s for _, s in encoded], 1)

    def step(
        self, y_prev: torch.Tensor, state: torch.Tensor, memory: EnsembleMemory
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One step of every member: the log of their mean distribution (N, V), their new
        states (N, K H), and their mean attention weights (N, T) (None without attention)."""
        outputs = [
            m.step(y_prev, s, mem)
            for m, s, mem in zip(
                self.members, state.split(self.hidden_size, dim=1), memory.members, strict=True
            )
        ]
        log_probs = torch.stack([lp for lp, _, _ in outputs])  # (K, N, V)
        mean = torch.logsumexp(log_probs, dim=0) - np.log(len(outputs))
        alphas = [a for _, _, a in outputs]
        alpha = None if alphas[0] is None else torch.stack(alphas).mean(dim=0)
        return mean, torch.cat([s for _, s, _ in outputs], dim=1), alpha


@dataclass
class EnsembleMemory:
    """The members' memories; select() selects the same examples in each."""

    members: list[Memory]

    def select(self, index: torch.Tensor) -> EnsembleMemory:
        return EnsembleMemory([m.select(index) for m in self.members])


def padded_targets(sequences: Sequence[Sequence[str]], index: dict[str, int]) -> torch.Tensor:
    """Targets (N, U) of symbol sequences: each one's indices, then EOS, then PAD."""
    check_words("sequences", sequences, nested=True)
    if not sequences:
        raise ValueError("sequences: expected at least one sequence, received none")
    unknown = sorted({x for symbols in sequences for x in symbols} - set(index))
    if unknown:
        raise ValueError(f"sequences: symbols not in the index: {unknown[:10]}")
    tgt = torch.full((len(sequences), max(len(s) for s in sequences) + 1), PAD)
    for n, symbols in enumerate(sequences):
        tgt[n, : len(symbols) + 1] = torch.tensor([index[x] for x in symbols] + [EOS])
    return tgt


def teacher_forcing_input(tgt: torch.Tensor) -> torch.Tensor:
    """[BOS, y_1, ..., y_{U-1}]: the decoder's inputs under teacher forcing, (N, U) from (N, U)."""
    check_shape("tgt", tgt, ("N", "U"))
    _check_tokens("tgt", tgt, None)
    bos = torch.full((tgt.shape[0], 1), BOS, dtype=tgt.dtype)
    return torch.cat([bos, tgt[:, :-1]], dim=1)[:, : tgt.shape[1]]  # (N, U), also for U = 0


@torch.no_grad()
def greedy_decode(
    model: Decoder | Ensemble, src: torch.Tensor, lengths: torch.Tensor, max_len: int
) -> tuple[list[list[int]], list[np.ndarray]]:
    """Free-running greedy decoding: feed back the most likely token until EOS or max_len.

    src and lengths are what model.encode reads (lengths None for a captioner's images).

    Returns each example's tokens (without EOS) and its attention weights (steps, T) (empty
    arrays without attention).
    """
    check_int("max_len", max_len)
    memory, state = model.encode(src, lengths)
    y = torch.full((src.shape[0],), BOS, dtype=torch.long)
    tokens, alphas, done = [], [], torch.zeros(src.shape[0], dtype=torch.bool)
    for _ in range(max_len):
        log_probs, state, alpha = model.step(y, state, memory)
        y = log_probs.argmax(dim=1)
        tokens.append(y)
        alphas.append(alpha)
        done |= y == EOS
        if done.all():
            break
    tokens_nt = torch.stack(tokens, dim=1).tolist()
    results, weights = [], []
    for n, row in enumerate(tokens_nt):
        steps = row.index(EOS) + 1 if EOS in row else len(row)
        results.append(row[: steps - 1] if EOS in row else row)
        weights.append(
            np.empty((0, 0))
            if alphas[0] is None
            else torch.stack([a[n] for a in alphas[:steps]]).numpy()
        )
    return results, weights


StepFn = Callable[[torch.Tensor, object], tuple[torch.Tensor, object]]


def length_normalised(log_prob: float, length: int, alpha: float) -> float:
    """The beam's ranking score log p(y) / len(y)^alpha, Eq. (ch7-length-norm); len(y) counts
    EOS."""
    check_int("length", length)
    check_positive("alpha", alpha, allow_zero=True)
    return log_prob / length**alpha


Hypothesis = tuple[list[int], float]  # (tokens so far, log-probability)


def _prune(
    alive: list[Hypothesis],
    log_probs: np.ndarray,
    t: int,
    beam_width: int,
    max_len: int,
    finished: list[Hypothesis],
) -> tuple[list[Hypothesis], list[int]]:
    """One step of beam search: extend every alive hypothesis by every token, keep the best k.

    Args:
        alive: the B hypotheses alive before step t, all of length t - 1.
        log_probs: (B, V) next-token log-probabilities of each, float64 (NumPy: this runs once
            per source and step, where NumPy's per-call overhead is far below PyTorch's).
        t: the step, 1 for the first token.
        beam_width: k.
        max_len: the longest output, EOS included.
        finished: hypotheses that end here (EOS, or step max_len) are appended to it, in rank
            order, as long as they rank above the k-th new alive hypothesis.

    Returns:
        the new alive hypotheses, best first, and the index of the parent of each.

    The B V candidates are ranked by total log-probability (ties keep the order parent, then
    token).
    """
    previous = np.array([lp for _, lp in alive])  # (B,)
    flat = (previous[:, None] + log_probs).ravel()  # (B V,)
    order = np.argsort(-flat, kind="stable")  # best first
    vocab = log_probs.shape[1]
    next_alive, parents = [], []
    for index in order.tolist():
        parent, token = divmod(index, vocab)
        hypothesis = (alive[parent][0] + [token], float(flat[index]))
        if token == EOS or t == max_len:
            finished.append(hypothesis)
        else:
            next_alive.append(hypothesis)
            parents.append(parent)
            if len(next_alive) == beam_width:
                break
    return next_alive, parents


def _best(finished: list[Hypothesis], alpha: float) -> tuple[list[int], float]:
    """The finished hypothesis with the highest score (ch7-length-norm), without its EOS."""
    scored = [(length_normalised(lp, len(tokens), alpha), tokens) for tokens, lp in finished]
    score, tokens = max(scored, key=lambda pair: pair[0])  # the first of equal scores
    return (tokens[:-1] if tokens[-1] == EOS else tokens), score


def _settled(
    alive: list[Hypothesis], finished: list[Hypothesis], max_len: int, alpha: float
) -> bool:
    """True when no alive hypothesis can end with a higher score than the best finished one.

    Further tokens only lower a log-probability lp <= 0, and the score divides it by
    |y|^alpha <= max_len^alpha, so an alive hypothesis ends with a score of at most
    lp / max_len^alpha. Stopping then returns what running to max_len would: it saves steps,
    and never changes the answer.
    """
    if not finished:
        return not alive
    best = max(length_normalised(lp, len(tokens), alpha) for tokens, lp in finished)
    return all(best >= lp / max_len**alpha for _, lp in alive)


def _check_beam(beam_width: int, max_len: int, alpha: float) -> None:
    check_int("beam_width", beam_width)
    check_int("max_len", max_len)
    check_positive("alpha", alpha, allow_zero=True)


def beam_search(
    step: StepFn,
    state: object,
    select: Callable[[object, torch.Tensor], object],
    beam_width: int,
    max_len: int,
    alpha: float = 0.0,
) -> tuple[list[int], float]:
    """Beam search for one source, with length normalisation.

    Args:
        step: (y_prev (B,), state) -> (log-probs (B, V), new state) for B hypotheses at once.
        state: the initial decoder state of one hypothesis.
        select: (state, index (B',)) -> the states of the hypotheses at `index`.
        beam_width: k, the number of hypotheses kept alive after each step.
        max_len: the longest output, EOS included; hypotheses still alive then are finished.
        alpha: length-normalisation exponent (0: plain log-probability).

    Returns:
        the best finished hypothesis (tokens without EOS) and its normalised score.

    Alive hypotheses are ranked by log-probability (they all have the same length); finished
    ones, whose lengths differ, by log p / len(y)^alpha. With k at least V^max_len nothing is
    ever pruned and the result is the exhaustive search's. The search stops early once no
    alive hypothesis can beat the best finished one (_settled).
    """
    _check_beam(beam_width, max_len, alpha)
    alive: list[Hypothesis] = [([], 0.0)]
    finished: list[Hypothesis] = []
    y_prev = torch.tensor([BOS])
    for t in range(1, max_len + 1):
        log_probs, state = step(y_prev, state)  # (B, V)
        alive, parents = _prune(
            alive, log_probs.double().numpy(), t, beam_width, max_len, finished
        )
        if _settled(alive, finished, max_len, alpha):
            break
        state = select(state, torch.tensor(parents))
        y_prev = torch.tensor([tokens[-1] for tokens, _ in alive])
    return _best(finished, alpha)


def source_step(model: Seq2Seq, memory: Memory) -> StepFn:
    """The step function of beam_search and exhaustive_search for one encoded source.

    memory holds one source (batch of 1); every hypothesis of the search reads it.
    """
    if memory.h.shape[0] != 1:
        raise ValueError(f"memory: expected one encoded source, received {memory.h.shape[0]}")

    def step(y_prev: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        index = torch.zeros(len(y_prev), dtype=torch.long)
        log_probs, state, _ = model.step(y_prev, state, memory.select(index))
        return log_probs, state

    return step


def exhaustive_search(
    step: StepFn, state: object, vocab_size: int, max_len: int, alpha: float = 0.0
) -> tuple[list[int], float]:
    """The exact best output under the beam's score, by scoring every sequence.

    Every sequence of at most max_len tokens that ends at its first EOS, or reaches max_len,
    is scored with log p / len(y)^alpha. Feasible only for tiny vocabularies: V^max_len calls.
    """
    check_int("vocab_size", vocab_size)
    _check_beam(1, max_len, alpha)
    best: tuple[float, list[int]] = (-np.inf, [])

    def extend(tokens: list[int], log_prob: float, state: object) -> None:
        nonlocal best
        y_prev = torch.tensor([tokens[-1] if tokens else BOS])
        log_probs, new_state = step(y_prev, state)
        for token in range(vocab_size):
            lp = log_prob + float(log_probs[0, token])
            seq = tokens + [token]
            if token == EOS or len(seq) == max_len:
                score = length_normalised(lp, len(seq), alpha)
                if score > best[0]:
                    best = (score, seq)
            else:
                extend(seq, lp, new_state)

    extend([], 0.0, state)
    score, tokens = best
    return (tokens[:-1] if tokens[-1] == EOS else tokens), score


@torch.no_grad()
def model_beam_search(
    model: Decoder | Ensemble,
    src: torch.Tensor,
    lengths: torch.Tensor | None,
    beam_width: int,
    max_len: int,
    alpha: float = 0.0,
) -> list[list[int]]:
    """Beam search with a decoder (Seq2Seq, Captioner) for every example of a batch at once.

    src and lengths are what model.encode reads (lengths None for a captioner's images).

    Each example runs the search of beam_search (the same _prune step), but one decoder call
    per step serves the alive hypotheses of all examples, stacked in rows: row r belongs to
    example owner[r]. An example leaves the batch when its search is settled (_settled).
    """
    _check_beam(beam_width, max_len, alpha)
    memory, state = model.encode(src, lengths)  # the model checks its sources
    n_examples = src.shape[0]
    alive: list[list[Hypothesis]] = [[([], 0.0)] for _ in range(n_examples)]
    finished: list[list[Hypothesis]] = [[] for _ in range(n_examples)]
    owner = torch.arange(n_examples)  # (R,) the example of each row
    y_prev = torch.full((n_examples,), BOS, dtype=torch.long)
    for t in range(1, max_len + 1):
        log_probs, state, _ = model.step(y_prev, state, memory.select(owner))  # (R, V)
        log_probs_64 = log_probs.double().numpy()
        rows, tokens, first_row = [], [], 0
        for n in owner.unique_consecutive().tolist():
            count = len(alive[n])
            alive[n], parents = _prune(
                alive[n],
                log_probs_64[first_row : first_row + count],
                t,
                beam_width,
                max_len,
                finished[n],
            )
            if _settled(alive[n], finished[n], max_len, alpha):
                alive[n], parents = [], []
            rows += [first_row + parent for parent in parents]
            tokens += [hypothesis[0][-1] for hypothesis in alive[n]]
            first_row += count
        if not rows:
            break
        rows_t = torch.tensor(rows)
        owner, state, y_prev = owner[rows_t], state[rows_t], torch.tensor(tokens)
    return [_best(hypotheses, alpha)[0] for hypotheses in finished]
