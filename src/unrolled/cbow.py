"""Word vectors from raw text: word2vec's continuous bag of words (CBOW) with negative sampling.

CBOW (Mikolov et al. 2013) reads the c words on each side of a position, averages their
input vectors and asks the average to pick out the word in the middle:

    h_t = 1/|C_t| sum_{j in C_t} U[w_j]                             (D,)   C_t: t-c..t+c but t
    L_t = -log s(V[w_t] . h_t) - sum_{k=1..K} log s(-V[n_k] . h_t)  n_k ~ P_n, s the sigmoid

Negative sampling replaces the softmax over the whole vocabulary by K noise words drawn from
the unigram distribution raised to the power 3/4, P_n(w) ~ count(w)^0.75. U (the input
vectors) are the word embeddings kept; V (the output vectors) are discarded. Kept simple: a
noise word may be the centre word itself (the original code skips such draws), frequent words
are not subsampled, and Adam replaces word2vec's decaying SGD step.

    embeddings, losses = train_cbow(documents, words, dim=64, seed=0)   # (len(words) + 2, D)
    nearest(embeddings, words, "good", k=5)                               # cosine neighbours

Rows follow a vocabulary's ids: 0 is padding (a zero vector), 1 is <unk> (every word of the
text not in `words`, trained like any other word), words[i] is row i + 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from unrolled.validation import check_shape

PAD, UNK = 0, 1  # row ids; words start at 2


class CBOW(torch.nn.Module):
    """Input vectors U (the embeddings) and output vectors V, both (vocab_size, D).

    U starts uniform in +-0.5/D and V at zero, as in the original word2vec code."""

    def __init__(self, vocab_size: int, dim: int) -> None:
        super().__init__()
        self.U = torch.nn.Embedding(vocab_size, dim)
        self.V = torch.nn.Embedding(vocab_size, dim)
        torch.nn.init.uniform_(self.U.weight, -0.5 / dim, 0.5 / dim)
        torch.nn.init.zeros_(self.V.weight)

    def forward(
        self, context: torch.Tensor, centre: torch.Tensor, noise: torch.Tensor
    ) -> torch.Tensor:
        """The mean negative-sampling loss L_t over a batch: context ids (B, 2c) with PAD where
        the window leaves the snippet, centre ids (B,), noise ids (B, K) -> scalar."""
        return cbow_loss(self.U.weight, self.V.weight, context, centre, noise)


def cbow_loss(
    U: torch.Tensor,
    V: torch.Tensor,
    context: torch.Tensor,
    centre: torch.Tensor,
    noise: torch.Tensor,
) -> torch.Tensor:
    """The batch mean of L_t (module docstring) for input vectors U and output vectors V, both
    (vocab_size, D); context (B, 2c), centre (B,), noise (B, K). PAD entries of the context are
    left out of the mean whatever U[PAD] holds (NaN included) and get no gradient; every row
    needs at least one real context word.

    Its gradients: dL_t/dh_t = (s(V[w_t] . h_t) - 1) V[w_t] + sum_k s(V[n_k] . h_t) V[n_k]
    (D,), shared equally by the |C_t| context vectors U[w_j]; dL_t/dV[w_t] = (s(V[w_t] . h_t)
    - 1) h_t and dL_t/dV[n_k] = s(V[n_k] . h_t) h_t."""
    dims = check_shape("U", U, ("S", "D"))
    check_shape("V", V, ("S", "D"), dims)
    check_shape("context", context, ("B", None), dims)
    check_shape("centre", centre, ("B",), dims)
    check_shape("noise", noise, ("B", None), dims)
    real = (context != PAD)[:, :, None]  # (B, 2c, 1)
    if not real.any(dim=1).all():
        raise ValueError("context: expected a real (non-PAD) word in every row, received none")
    h = torch.where(real, U[context], 0.0).sum(dim=1) / real.sum(dim=1)  # (B, D)
    positive = (V[centre] * h).sum(dim=1)  # (B,)
    negative = torch.einsum("bkd,bd->bk", V[noise], h)  # (B, K)
    logsig = torch.nn.functional.logsigmoid
    return -(logsig(positive) + logsig(-negative).sum(dim=1)).mean()


def windows(ids: Sequence[Sequence[int]], window: int) -> tuple[np.ndarray, np.ndarray]:
    """Every position of every document that has a context: its context ids (M, 2c), PAD where
    the window leaves the document, and its centre id (M,). Windows never cross documents."""
    contexts, centres = [], []
    offsets = [j for j in range(-window, window + 1) if j != 0]
    for doc in (d for d in ids if len(d) > 1):
        padded = [PAD] * window + list(doc) + [PAD] * window
        for t in range(len(doc)):
            contexts.append([padded[t + window + j] for j in offsets])
            centres.append(doc[t])
    return (
        np.array(contexts, dtype=np.int64).reshape(-1, 2 * window),
        np.array(centres, dtype=np.int64),
    )


def noise_distribution(ids: Sequence[Sequence[int]], vocab_size: int) -> np.ndarray:
    """P_n(w) ~ count(w)^0.75 over the rows (vocab_size,); padding is never drawn."""
    flat = np.concatenate([np.asarray(d, dtype=np.int64) for d in ids] or [np.zeros(0, int)])
    counts = np.bincount(flat, minlength=vocab_size).astype(np.float64)
    counts[PAD] = 0.0
    weights = counts**0.75
    return weights / weights.sum()


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name}: expected an int, received a {type(value).__name__}")
    if value < low:
        raise ValueError(f"{name}: expected an int >= {low}, received {value!r}")


def _check_words(words: Any) -> None:
    if isinstance(words, str) or not isinstance(words, Sequence):
        raise TypeError(f"words: expected a list of str, received a {type(words).__name__}")
    if len(set(words)) != len(words):
        raise ValueError(f"words: expected distinct words, received {len(words)} with repeats")


def train_cbow(
    documents: Sequence[Sequence[str]],
    words: Sequence[str],
    *,
    dim: int = 64,
    window: int = 2,
    negatives: int = 5,
    epochs: int = 5,
    lr: float = 3e-3,
    batch: int = 256,
    seed: int = 0,
) -> tuple[torch.Tensor, list[float]]:
    """Train CBOW on tokenised documents; return the input vectors U and the loss per epoch.

    Args:
        documents: token lists (each a snippet; windows stop at its ends).
        words: the vocabulary: words[i] gets row i + 2; tokens not in it are <unk> (row 1).
        dim: D, the size of a vector.
        window: c, the number of words read on each side of the centre.
        negatives: K, the noise words per position.
        epochs, lr, batch: passes over every position, Adam's step size, positions per step.
        seed: fixes U's initialisation, the order of the positions and the noise draws.

    Returns:
        U (len(words) + 2, D) float32 aligned to the ids (row 0, padding, is zero), and the
        mean training loss L_t of each epoch.
    """
    if isinstance(documents, str) or not isinstance(documents, Sequence):
        raise TypeError(
            f"documents: expected a list of token lists, received a {type(documents).__name__}"
        )
    bad = next((d for d in documents if isinstance(d, str) or not isinstance(d, Sequence)), None)
    if bad is not None:
        raise TypeError(f"documents: expected a list of token lists, received a {bad!r} inside")
    _check_words(words)
    sizes = {
        "dim": dim,
        "window": window,
        "negatives": negatives,
        "epochs": epochs,
        "batch": batch,
    }
    for name, value in sizes.items():
        _check_int(name, value, 1)
    _check_int("seed", seed, 0)
    if not isinstance(lr, float | int) or not lr > 0:
        raise ValueError(f"lr: expected a positive number, received {lr!r}")
    index = {w: i + 2 for i, w in enumerate(words)}
    ids = [[index.get(t, UNK) for t in d] for d in documents]
    contexts, centres = windows(ids, window)
    if len(centres) == 0:
        raise ValueError("documents: expected at least one document of two or more tokens")
    size = len(words) + 2
    noise = torch.from_numpy(noise_distribution(ids, size))
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = CBOW(size, dim)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    contexts, centres = torch.from_numpy(contexts), torch.from_numpy(centres)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(centres), generator=generator)
        total = 0.0
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            drawn = torch.multinomial(noise, len(rows) * negatives, True, generator=generator)
            loss = model(contexts[rows], centres[rows], drawn.view(len(rows), negatives))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
        losses.append(total / len(centres))
    U = model.U.weight.detach().clone()
    U[PAD] = 0.0
    return U, losses


def nearest(
    embeddings: torch.Tensor | np.ndarray, words: Sequence[str], query: str, k: int = 5
) -> list[tuple[str, float]]:
    """The k words whose vectors have the largest cosine similarity u.v / (|u| |v|) with the
    query's (the query itself, padding and <unk> left out), most similar first.

    embeddings: (len(words) + 2, D), rows aligned as in train_cbow."""
    _check_words(words)
    if not isinstance(query, str):
        raise TypeError(f"query: expected a str, received a {type(query).__name__}")
    _check_int("k", k, 1)
    shape = tuple(getattr(embeddings, "shape", ()))
    if len(shape) != 2 or shape[0] != len(words) + 2:
        raise ValueError(
            f"embeddings: expected shape (len(words) + 2, D) = ({len(words) + 2}, D), "
            f"received {shape}"
        )
    if query not in words:
        raise ValueError(f"query: expected a word of the vocabulary, received {query!r}")
    E = torch.as_tensor(embeddings, dtype=torch.float64)[2:]  # (W, D)
    unit = E / E.norm(dim=1, keepdim=True).clamp_min(1e-12)
    q = words.index(query)
    similarity = unit @ unit[q]  # (W,)
    similarity[q] = -torch.inf
    top = similarity.topk(min(k, len(words) - 1))
    return [(words[i], round(float(s), 4)) for s, i in zip(top.values, top.indices, strict=True)]
