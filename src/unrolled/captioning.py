"""Image captioning with chapter 7's decoder: a small CNN turns a picture into a grid of region
vectors, and the attentive GRU decoder of unrolled.seq2seq writes the caption word by word.

- attention "none": the decoder starts from the image's summary s_0 (ImageEncoder),
  and reads that same summary at every step: the picture is the initial state, as in
  CS231n's captioning assignment (Vinyals et al.'s Show and Tell feeds it as the first input).
- "additive" (or "dot", "general"): at every step the decoder attends over the R regions v_r,
  Eq. (ch7-alpha) with the regions in place of the encoder's states (Xu et al.'s Show, Attend
  and Tell); the weights alpha (R,) form a map over the picture.

Word conventions are unrolled.seq2seq's: PAD = 0, BOS = 1, EOS = 2, words from 3 on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from unrolled.seq2seq import SPECIALS, Decoder, Memory, padded_targets
from unrolled.validation import check_shape


class ImageEncoder(nn.Module):
    """Three blocks of 3x3 convolution, batch normalisation, ReLU and 2x2 max pooling.

    images (N, 3, S, S) -> regions v (N, R, H), one vector per cell of the final (S/8, S/8)
    grid (R = (S/8)^2, row by row), and the summary tanh(LayerNorm(W [v_1; ...; v_R] + b))
    (N, H): a fully connected layer over the whole grid, so that the summary keeps where things
    are. The layer normalisation matters: without it, Adam's first updates to W, whose R H
    inputs are all positive (after ReLU), push every pre-activation to |.| > 10 within 20
    steps, the tanh saturates, and the summary becomes the same vector for every picture.
    """

    def __init__(self, hidden_size: int, side: int, channels: Sequence[int] = (32, 64)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        size_in = 3
        for size in (*channels, hidden_size):
            layers += [nn.Conv2d(size_in, size, 3, padding=1), nn.BatchNorm2d(size), nn.ReLU()]
            layers.append(nn.MaxPool2d(2))
            size_in = size
        self.conv = nn.Sequential(*layers)
        self.summary = nn.Sequential(
            nn.Linear((side // 8) ** 2 * hidden_size, hidden_size), nn.LayerNorm(hidden_size)
        )

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        grid = self.conv(images)  # (N, H, S/8, S/8)
        regions = grid.flatten(2).transpose(1, 2)  # (N, R, H)
        return regions, torch.tanh(self.summary(regions.flatten(1)))


class Captioner(Decoder):
    """ImageEncoder + the attentive GRU decoder: pictures in, word indices out."""

    def __init__(
        self,
        vocab_size: int,
        side: int = 48,
        embed_size: int = 32,
        hidden_size: int = 128,
        attention: str = "additive",
        dropout: float = 0.0,
        channels: Sequence[int] = (32, 64),
    ) -> None:
        if isinstance(side, bool) or not isinstance(side, int) or side < 8 or side % 8:
            raise ValueError(f"side: expected a multiple of 8 (an int), received {side!r}")
        super().__init__(
            ImageEncoder(hidden_size, side, channels),
            vocab_size,
            embed_size,
            hidden_size,
            attention,
            dropout,
        )
        self.side = side

    def encode(self, src: torch.Tensor, lengths: None = None) -> tuple[Memory, torch.Tensor]:
        """Pictures src (N, 3, S, S), floats in [0, 1] with S the model's side (lengths: None,
        a picture has no length) -> the memory of its regions and s_0 = the summary (N, H)."""
        if lengths is not None:
            raise ValueError(f"lengths: expected None for pictures, received {lengths!r}")
        if not isinstance(src, torch.Tensor) or not src.dtype.is_floating_point:
            raise TypeError(
                f"src: expected a float torch.Tensor of pictures, received {src!r:.60}"
            )
        check_shape("src", src, ("N", 3, self.side, self.side))
        regions, summary = self.encoder(src)
        mask = torch.ones(regions.shape[:2], dtype=torch.bool)  # every region is real
        return self.memory(regions, mask, summary), summary


def picture_batch(images: np.ndarray) -> torch.Tensor:
    """uint8 RGB pictures (N, S, S, 3) -> floats in [0, 1], channels first, (N, 3, S, S)."""
    check_shape("images", images, ("N", "S", "S", 3))
    return torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2))).float() / 255


class Words:
    """Index <-> word maps of the captions: the specials, then the training words, sorted."""

    def __init__(self, captions: Sequence[Sequence[str]]) -> None:
        self.words = SPECIALS + tuple(sorted({w for c in captions for w in c}))
        self.index = {w: i for i, w in enumerate(self.words)}

    def targets(self, captions: Sequence[Sequence[str]]) -> torch.Tensor:
        """Padded targets (N, U): each caption's word indices, then EOS, then PAD."""
        return padded_targets(captions, self.index)

    def caption(self, indices: Sequence[int]) -> tuple[str, ...]:
        """The words of decoded indices (EOS already removed)."""
        return tuple(self.words[i] for i in indices)
