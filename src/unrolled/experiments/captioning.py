"""Chapter 7's one-to-many task: caption emoji of people and hands with their Unicode names.

A picture goes in, its name comes out ("woman farmer medium-dark skin tone"); every test
picture shows a combination of a base and a skin tone that training never showed, so a caption
has to be composed from parts, not looked up.

- Data: unrolled.data.load_emoji_captions (332 bases x 6 colours; per base one tone held out
  for dev and one for test). Training pictures are shifted at random by up to `shift` pixels
  (white fill), a new shift every epoch.
- Baseline: nearest-neighbour retrieval (Devlin et al. 2015's baseline for captioning): the
  caption of the closest training picture, by Euclidean distance between the pictures
  average-pooled to `nn_sides` pixels a side, the side chosen on dev. No retrieval method can
  ever be exactly right here: no test caption occurs in training.
- Networks: unrolled.captioning.Captioner, the picture as the initial state ("none") or
  attention over its 6 x 6 regions ("additive"), Adam at each learning rate of `lrs`, 3 seeds,
  `epochs` epochs with teacher forcing, the epoch kept by dev exact match (greedy decoding);
  the learning rate chosen per variant by the median over seeds on dev. Test once, greedy and
  beam (width `beam`) decoding.
- Metrics: exact match (the whole caption), corpus BLEU-4 (unrolled.bleu), and the two parts
  scored apart: base right (the caption without its tone words) and tone right.

    python -m unrolled.experiments captioning          # ~45 min on one idle core
    python -m unrolled.experiments captioning --tiny   # seconds; prints the results as JSON

Writes notebooks/results/captioning.json (with the test captions of every network) and the
first seed's network of each variant, notebooks/results/captioning.pt, which chapter 7 loads.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import numpy as np
import torch

from unrolled.bleu import corpus_bleu
from unrolled.captioning import Captioner, Words, picture_batch
from unrolled.data import SKIN_TONES, load_emoji_captions
from unrolled.experiments.common import provenance, script, spread, teacher_forcing_update
from unrolled.seq2seq import greedy_decode, model_beam_search

NAME = "captioning"
SETTINGS: dict[str, Any] = {
    "size": 48,
    "shift": 3,
    "nn_sides": [6, 12, 24, 48],
    "embed": 32,
    "hidden": 128,
    "channels": [32, 64],
    "dropout": 0.2,
    "batch": 32,
    "epochs": 30,
    "lrs": [1e-3, 3e-3],
    "max_norm": 5.0,
    "attention": ["none", "additive"],
    "seeds": [0, 1, 2],
    "beam": 5,
    "max_len": 16,
    "train_pictures": None,  # None: all
}
TINY = SETTINGS | {
    "train_pictures": 64,
    "nn_sides": [12],
    "embed": 8,
    "hidden": 16,
    "channels": [4, 8],
    "epochs": 2,
    "lrs": [3e-3],
    "seeds": [0, 1],
    "beam": 2,
}
DECIMALS = 4

Data = dict[str, tuple[np.ndarray, list[tuple[str, ...]]]]  # split -> (pictures, captions)


def load_data(settings: dict[str, Any]) -> Data:
    """Pictures (N, S, S, 3) and captions of every split (train cut to `train_pictures`)."""
    data = {}
    for split in ("train", "dev", "test"):
        emoji = load_emoji_captions(split, settings["size"])
        if split == "train" and settings["train_pictures"] is not None:
            keep = np.random.default_rng(0).permutation(len(emoji))[: settings["train_pictures"]]
            emoji = [emoji[i] for i in sorted(keep)]
        data[split] = (np.stack([e.image for e in emoji]), [e.caption for e in emoji])
    return data


def parts(caption: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """A caption's base and tone: (woman, farmer, dark, skin, tone) -> ((woman, farmer), dark);
    the tone is "" when the caption names none."""
    for i in range(len(caption) - 2):
        if caption[i] in SKIN_TONES and caption[i + 1 : i + 3] == ("skin", "tone"):
            return caption[:i] + caption[i + 3 :], caption[i]
    return caption, ""


def scores(references: list[tuple[str, ...]], captions: list[tuple[str, ...]]) -> dict[str, float]:
    """Exact match, BLEU-4, base right and tone right, each a fraction of the pictures."""
    pairs = [(parts(r), parts(c)) for r, c in zip(references, captions, strict=True)]
    metrics = {
        "exact": np.mean([r == c for r, c in zip(references, captions, strict=True)]),
        "bleu": corpus_bleu(references, captions),
        "base": np.mean([r[0] == c[0] for r, c in pairs]),
        "tone": np.mean([r[1] == c[1] for r, c in pairs]),
    }
    return {name: round(float(value), DECIMALS) for name, value in metrics.items()}


def shifted(pictures: np.ndarray, shift: int, rng: np.random.Generator) -> np.ndarray:
    """Each picture (N, S, S, 3) moved by a random offset in [-shift, shift] on each axis, the
    uncovered border white."""
    n, side = pictures.shape[0], pictures.shape[1]
    padded = np.pad(
        pictures, ((0, 0), (shift, shift), (shift, shift), (0, 0)), constant_values=255
    )
    offsets = rng.integers(0, 2 * shift + 1, size=(n, 2))
    return np.stack(
        [p[y : y + side, x : x + side] for p, (y, x) in zip(padded, offsets, strict=True)]
    )


def nearest_neighbour(data: Data, settings: dict[str, Any]) -> dict[str, Any]:
    """Retrieval: each picture gets the caption of its closest training picture, by Euclidean
    distance after average pooling to side x side pixels; the side chosen on dev."""

    def pooled(pictures: np.ndarray, side: int) -> np.ndarray:
        k = pictures.shape[1] // side
        blocks = pictures.reshape(len(pictures), side, k, side, k, 3).astype(np.float64)
        return blocks.mean(axis=(2, 4)).reshape(len(pictures), -1)

    def retrieve(split: str, side: int) -> list[tuple[str, ...]]:
        train, query = pooled(data["train"][0], side), pooled(data[split][0], side)
        distances = (query**2).sum(1)[:, None] - 2 * query @ train.T + (train**2).sum(1)[None]
        return [data["train"][1][i] for i in distances.argmin(axis=1)]

    dev = {
        str(side): scores(data["dev"][1], retrieve("dev", side)) for side in settings["nn_sides"]
    }
    side = max(settings["nn_sides"], key=lambda s: (dev[str(s)]["bleu"], -s))
    captions = retrieve("test", side)
    return {
        "side": side,
        "dev": dev,
        "test": scores(data["test"][1], captions),
        "test_captions": [" ".join(c) for c in captions],
    }


def build_model(words: Words, attention: str, settings: dict[str, Any]) -> Captioner:
    return Captioner(
        len(words.words),
        settings["size"],
        settings["embed"],
        settings["hidden"],
        attention,
        settings["dropout"],
        settings["channels"],
    )


def caption(
    model: Captioner, words: Words, pictures: np.ndarray, beam: int, max_len: int
) -> list[tuple[str, ...]]:
    """The model's captions of the pictures: greedy (beam = 1) or beam search of width beam."""
    model.eval()
    src = picture_batch(pictures)
    if beam == 1:
        indices = greedy_decode(model, src, None, max_len)[0]
    else:
        indices = model_beam_search(model, src, None, beam, max_len)
    return [words.caption(i) for i in indices]


def train(
    attention: str, lr: float, seed: int, words: Words, data: Data, settings: dict[str, Any]
) -> tuple[Captioner, list[dict[str, float]]]:
    """Train one captioner on data["train"]; keep the epoch with the best dev exact match."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    pictures, captions = data["train"]
    model = build_model(words, attention, settings)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    epochs = settings["epochs"]  # the learning rate falls linearly to lr / epochs
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda epoch: 1 - epoch / epochs)
    best, curve = None, []
    for epoch in range(1, settings["epochs"] + 1):
        model.train()
        losses = []
        moved = shifted(pictures, settings["shift"], rng)
        order = rng.permutation(len(captions))
        for start in range(0, len(order), settings["batch"]):
            batch = order[start : start + settings["batch"]]
            tgt = words.targets([captions[i] for i in batch])
            src = picture_batch(moved[batch])
            loss = teacher_forcing_update(model, optimizer, src, None, tgt, settings["max_norm"])
            losses.append(loss)
        schedule.step()
        dev = scores(data["dev"][1], caption(model, words, data["dev"][0], 1, settings["max_len"]))
        curve.append({"epoch": epoch, "train_loss": round(float(np.mean(losses)), DECIMALS)} | dev)
        if best is None or dev["exact"] > best[0]:
            best = (dev["exact"], copy.deepcopy(model.state_dict()))
    model.load_state_dict(best[1])
    return model.eval(), curve


def variant(
    attention: str, words: Words, data: Data, settings: dict[str, Any], log: bool
) -> tuple[dict[str, Any], Captioner]:
    """One variant's learning-rate search on dev, then its chosen networks on test, once."""
    search = {}
    for lr in settings["lrs"]:
        trained = []
        for seed in settings["seeds"]:
            trained.append(train(attention, lr, seed, words, data, settings))
            if log:
                print(attention, lr, seed, trained[-1][1][-1], flush=True)
        search[str(lr)] = trained
    lr = max(search, key=lambda k: np.median([max(p["exact"] for p in c) for _, c in search[k]]))
    models = [m for m, _ in search[lr]]
    test = {}
    for name, beam in (("greedy", 1), ("beam", settings["beam"])):
        captions = [caption(m, words, data["test"][0], beam, settings["max_len"]) for m in models]
        seeds = [scores(data["test"][1], c) for c in captions]
        test[name] = {
            "seeds": seeds,
            **{metric: spread([s[metric] for s in seeds]) for metric in seeds[0]},
            "captions": [[" ".join(c) for c in seed] for seed in captions],
        }
    return {
        "lr": float(lr),
        "parameters": sum(p.numel() for p in models[0].parameters()),
        "curves": {k: [c for _, c in v] for k, v in search.items()},
        "dev_exact": {k: [max(p["exact"] for p in c) for _, c in v] for k, v in search.items()},
        "test": test,
    }, models[0]


def load_models(checkpoint, results: dict[str, Any]) -> tuple[dict[str, Captioner], Words]:
    """The first seed's network of each variant from a full run's checkpoint, and the words."""
    settings = results["settings"]
    words = Words(load_data(settings)["train"][1])
    models = torch.nn.ModuleDict(
        {a: build_model(words, a, settings) for a in settings["attention"]}
    )
    models.load_state_dict(torch.load(checkpoint, weights_only=True))
    return {a: m.eval() for a, m in models.items()}, words


def run(settings: dict[str, Any], log: bool = False) -> tuple[dict[str, Any], torch.nn.Module]:
    """The retrieval baseline and both network variants, each chosen on dev, scored on test."""
    start = time.perf_counter()
    data = load_data(settings)
    words = Words(data["train"][1])
    baseline = nearest_neighbour(data, settings)
    if log:
        print("nearest neighbour", baseline["side"], baseline["test"], flush=True)
    networks, first = {}, torch.nn.ModuleDict()
    for attention in settings["attention"]:
        networks[attention], first[attention] = variant(attention, words, data, settings, log)
    return {
        "description": __doc__.splitlines()[0],
        "settings": settings,
        "sizes": {split: len(data[split][1]) for split in data} | {"words": len(words.words) - 3},
        "test_references": [" ".join(c) for c in data["test"][1]],
        "nearest_neighbour": baseline,
        "networks": networks,
        **provenance(start),
    }, first


def main(argv: list[str] | None = None) -> int:
    return script(NAME, run, SETTINGS, TINY, __doc__, argv)


if __name__ == "__main__":
    raise SystemExit(main())
