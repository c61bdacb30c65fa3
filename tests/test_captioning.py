"""Captioning (chapter 7): the emoji data's split, the captioner's interface, the experiment's
metrics and its committed results, tiny re-run and checkpoint."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from results_check import assert_tiny_rerun_close

from unrolled.captioning import Captioner, Words, picture_batch
from unrolled.data import REVIEW_SPLITS, SKIN_TONES, load_emoji_captions
from unrolled.experiments import captioning
from unrolled.experiments.common import dumps, load_results, spread
from unrolled.seq2seq import BOS, EOS, greedy_decode, model_beam_search

RESULTS = Path(__file__).resolve().parent.parent / "notebooks" / "results"

# --- data ----------------------------------------------------------------------------------


def test_every_test_caption_is_a_new_combination_of_seen_parts():
    splits = {s: load_emoji_captions(s) for s in REVIEW_SPLITS}
    train_captions = {e.caption for e in splits["train"]}
    train_tones = {(e.base, e.tone) for e in splits["train"]}
    for split in ("dev", "test"):
        for e in splits[split]:
            assert e.caption not in train_captions and (e.base, e.tone) not in train_tones
            assert any(t.base == e.base for t in splits["train"])  # the base was seen...
            assert any(
                t.tone == e.tone and t.base != e.base for t in splits["train"]
            )  # ...the tone
    bases = {e.base for e in splits["train"]}
    assert len(bases) == len(splits["dev"]) == len(splits["test"]) == 304
    assert len(splits["train"]) == 4 * len(bases)  # the yellow base and three tones


def test_pictures_are_distinct_and_captions_name_their_tone():
    emoji = load_emoji_captions("train", size=16)
    assert all(e.image.shape == (16, 16, 3) and e.image.dtype == np.uint8 for e in emoji)
    assert len({e.image.tobytes() for e in emoji}) == len(emoji)
    for e in emoji:
        assert (f"{e.tone} skin tone" in " ".join(e.caption)) == (e.tone in SKIN_TONES)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"split": "valid"}, ValueError, r"split: expected one of .*, received 'valid'"),
        ({"split": "train", "size": 4}, ValueError, r"size: expected an int >= 8, received 4"),
        ({"split": "train", "size": 8.0}, ValueError, r"size must be a positive int"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        load_emoji_captions(**kwargs)


# --- the captioner -------------------------------------------------------------------------


def tiny_captioner(attention, side=16):
    torch.manual_seed(0)
    return Captioner(9, side, embed_size=4, hidden_size=8, attention=attention, channels=(4, 4))


@pytest.mark.parametrize("attention", ["none", "additive"])
def test_decoding_reads_pictures(attention):
    model = tiny_captioner(attention).eval()
    pictures = torch.rand(3, 3, 16, 16)
    memory, state = model.encode(pictures)
    assert memory.h.shape == (3, 4, 8) and state.shape == (3, 8)  # a 2 x 2 grid of regions
    tokens, alphas = greedy_decode(model, pictures, None, max_len=5)
    assert len(tokens) == 3 and all(len(t) <= 5 and EOS not in t for t in tokens)
    if attention == "additive":
        for alpha in alphas:
            torch.testing.assert_close(torch.from_numpy(alpha).sum(1), torch.ones(len(alpha)))
    wide = model_beam_search(model, pictures, None, beam_width=3, max_len=5)
    assert len(wide) == 3


def test_regions_are_where_they_are_in_the_picture():
    # region r of the 4 x 4 grid sees its 8 x 8 cell and a margin of at most 7 pixels (the
    # receptive field of three 3 x 3 convolutions, each after a 2 x 2 pooling, is 22 x 22):
    # a change in the picture's top-left corner moves the regions near it, never the far ones
    model = tiny_captioner("additive", side=32).eval()
    pictures = torch.rand(1, 3, 32, 32)
    moved = pictures.clone()
    moved[..., :6, :6] = 1.0 - moved[..., :6, :6]
    with torch.no_grad():
        change = (model.encode(moved)[0].h - model.encode(pictures)[0].h).norm(dim=2)[0]
    grid = change.reshape(4, 4)
    assert grid[:2, :2].gt(0).any() and grid[2:, :].eq(0).all() and grid[:, 2:].eq(0).all()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda m: m.encode(torch.rand(2, 3, 24, 24)), ValueError, r"src: expected shape"),
        (lambda m: m.encode(torch.ones(2, 3, 16, 16, dtype=torch.uint8)), TypeError, "src"),
        (lambda m: m.encode(torch.rand(2, 3, 16, 16), torch.tensor([1, 1])), ValueError, "None"),
        (lambda m: Captioner(9, 20), ValueError, r"side: expected a multiple of 8"),
        (lambda m: Captioner(9, 16, attention="cosine"), ValueError, r"attention: expected"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call(tiny_captioner("additive"))


def test_words_and_pictures_convert_both_ways():
    captions = [("man", "cook"), ("thumbs", "up", "dark", "skin", "tone")]
    words = Words(captions)
    tgt = words.targets(captions)
    assert tgt.shape == (2, 6) and tgt[0, 2] == EOS and tgt[0, 3:].eq(0).all()
    assert words.caption(tgt[1, :5].tolist()) == captions[1]
    assert BOS not in tgt.tolist()
    pictures = np.arange(2 * 8 * 8 * 3, dtype=np.uint8).reshape(2, 8, 8, 3)
    batch = picture_batch(pictures)
    assert batch.shape == (2, 3, 8, 8) and batch[1, 2, 3, 4] == pictures[1, 3, 4, 2] / 255


# --- the experiment's parts ----------------------------------------------------------------


def test_parts_split_a_caption_into_base_and_tone():
    parts = captioning.parts
    assert parts(("woman", "farmer", "dark", "skin", "tone")) == (("woman", "farmer"), "dark")
    assert parts(("man", "medium-dark", "skin", "tone", "bald")) == (
        ("man", "bald"),
        "medium-dark",
    )
    assert parts(("thumbs", "up")) == (("thumbs", "up"), "")


def test_scores_count_parts_apart():
    references = [("man", "cook", "dark", "skin", "tone"), ("girl", "light", "skin", "tone")]
    captions = [("man", "cook", "light", "skin", "tone"), ("girl", "light", "skin", "tone")]
    s = captioning.scores(references, captions)
    assert (s["exact"], s["base"], s["tone"]) == (0.5, 1.0, 0.5) and 0 < s["bleu"] < 1


def test_shifts_keep_the_picture_and_fill_white():
    pictures = np.zeros((5, 8, 8, 3), dtype=np.uint8)
    moved = captioning.shifted(pictures, 2, np.random.default_rng(0))
    assert moved.shape == pictures.shape
    assert np.array_equal(captioning.shifted(pictures, 0, np.random.default_rng(0)), pictures)
    black = (moved == 0).all(axis=3).sum(axis=(1, 2))
    assert (black >= 36).all() and (black < 64).any()  # at most 2 rows and 2 columns white


# --- committed results ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def results():
    return load_results(RESULTS / "captioning.json")


def test_tiny_configuration_reproduces_its_committed_results(results):
    assert_tiny_rerun_close("captioning", results["tiny"])


def test_the_checkpoint_reproduces_the_first_seeds_test_captions(results):
    models, words = captioning.load_models(RESULTS / "captioning.pt", results)
    pictures = captioning.load_data(results["settings"])["test"][0]
    for attention, model in models.items():
        test = results["networks"][attention]["test"]
        for name, beam in (("greedy", 1), ("beam", results["settings"]["beam"])):
            captions = captioning.caption(model, words, pictures, beam, 16)
            assert [" ".join(c) for c in captions] == test[name]["captions"][0]


def test_committed_scores_are_those_of_the_committed_captions(results):
    references = [tuple(r.split()) for r in results["test_references"]]
    baseline = results["nearest_neighbour"]
    captions = [tuple(c.split()) for c in baseline["test_captions"]]
    assert baseline["test"] == captioning.scores(references, captions)
    assert baseline["test"]["exact"] == 0.0  # no test caption is in training
    for network in results["networks"].values():
        for decoding in network["test"].values():
            for seed, captions in zip(decoding["seeds"], decoding["captions"], strict=True):
                assert seed == captioning.scores(references, [tuple(c.split()) for c in captions])
            for metric in seed:
                assert decoding[metric] == spread([s[metric] for s in decoding["seeds"]])


def test_results_file_is_canonical_with_the_code_settings_and_every_seed(results):
    assert (RESULTS / "captioning.json").read_text() == dumps(results)
    assert results["settings"] == json.loads(json.dumps(captioning.SETTINGS))
    assert results["tiny"]["settings"] == json.loads(json.dumps(captioning.TINY))
    for network in results["networks"].values():
        assert len(network["test"]["greedy"]["seeds"]) == len(results["settings"]["seeds"]) >= 3
        dev = network["dev_exact"]
        assert float(max(dev, key=lambda k: np.median(dev[k]))) == network["lr"]
