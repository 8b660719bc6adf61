"""data/text.py: reading a text file, its vocabulary, truncated-BPTT windows (issue 17, item 7)."""
import hashlib

import numpy as np
import pytest

from gradwork.data.text import BUNDLED_TEXT, BPTTBatches, CharVocabulary, read_text, split_text
from gradwork.errors import ArgumentError, DataFormatError


def test_the_bundled_text_is_the_documented_file():
    raw = open(BUNDLED_TEXT, "rb").read()
    assert 50_000 <= len(raw) <= 150_000
    assert hashlib.sha256(raw).hexdigest() == \
        "a06f68a962f9a6b77ddce2de04465935b642f725408ee1d46e3fc5671de2ba35"   # texts/README.md
    text = read_text()
    assert text.count("DEVIL'S DICTIONARY") >= 1 and "ABASEMENT, n." in text


def test_any_utf8_file_reads_and_a_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes("\ufeffœuvre — 東京\n".encode())
    assert read_text(path) == "œuvre — 東京\n"


@pytest.mark.parametrize("content, words", [
    (b"", "empty"),
    (b"  \n\t\n", "whitespace only"),
    (b"abc\x00\x01\x02", "NUL byte at offset 3"),
    ("caf\xe9\n".encode("latin-1"), "not UTF-8 (byte 0xe9 at offset 3, line 1"),
])
def test_bad_text_files_are_refused_by_name(tmp_path, content, words):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(DataFormatError, match="bad.txt") as e:
        read_text(path)
    assert words in str(e.value)


def test_a_folder_or_a_missing_file_is_refused(tmp_path):
    with pytest.raises(ArgumentError, match="folder"):
        read_text(tmp_path)
    with pytest.raises(FileNotFoundError, match="no text file"):
        read_text(tmp_path / "missing.txt")


def test_vocabulary_is_sorted_and_round_trips():
    vocab = CharVocabulary.from_text("hello, world")
    assert vocab.chars == sorted(set("hello, world")) and len(vocab) == 9
    ids = vocab.encode("hello")
    assert ids.dtype == np.int64 and vocab.decode(ids) == "hello"
    with pytest.raises(ArgumentError, match="3 characters outside the vocabulary of 9: 'apz'"):
        vocab.encode("zap")
    with pytest.raises(ArgumentError, match="distinct"):
        CharVocabulary(["a", "a"])


def test_windows_walk_contiguous_streams_and_targets_are_the_next_characters():
    ids = np.arange(50)
    batches = BPTTBatches(ids, batch_size=3, bptt=4)        # 3 streams of 16, 15 targets each
    assert len(batches) == 4 and batches.num_tokens == 45
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in batches])
    assert [x.shape for x in xs] == [(3, 4), (3, 4), (3, 4), (3, 3)]
    x, y = np.concatenate(xs, 1), np.concatenate(ys, 1)
    streams = ids[:48].reshape(3, 16)                       # row i: the i-th slice of the text
    np.testing.assert_array_equal(x, streams[:, :-1])
    np.testing.assert_array_equal(y, streams[:, 1:])


@pytest.mark.parametrize("k", [1, 2, 4])
def test_k_ranks_read_their_rows_of_the_global_streams_and_together_one_process_s(k):
    ids = np.arange(103)                                    # 8 streams of 12 (7 dropped)
    whole = list(BPTTBatches(ids, batch_size=8, bptt=5))
    ranks = [BPTTBatches(ids, batch_size=8, bptt=5, num_replicas=k, rank=r) for r in range(k)]
    assert [b.streams_of_rank for b in ranks] == [slice(r * 8 // k, (r + 1) * 8 // k)
                                                  for r in range(k)]
    assert all(len(b) == len(whole) == 3 for b in ranks)
    assert sum(b.num_tokens for b in ranks) == 8 * 11
    for window, shares in zip(whole, zip(*ranks)):          # window k = the ranks' stacked
        for i in (0, 1):
            np.testing.assert_array_equal(np.concatenate([s[i].numpy() for s in shares]),
                                          window[i].numpy())


def test_the_global_batch_must_split_over_the_ranks():
    with pytest.raises(ArgumentError, match="--batch-size 6 is the global batch: it must be a "
                                            "multiple of the 4 ranks"):
        BPTTBatches(np.arange(100), batch_size=6, bptt=4, num_replicas=4, rank=0)
    with pytest.raises(ArgumentError, match=r"rank must be an integer in \[0, 2\).*got 2"):
        BPTTBatches(np.arange(100), batch_size=4, bptt=4, num_replicas=2, rank=2)
    with pytest.raises(ArgumentError, match="num_replicas"):
        BPTTBatches(np.arange(100), batch_size=4, bptt=4, num_replicas=0)


def test_a_text_too_short_for_one_window_is_refused():
    BPTTBatches(np.arange(10), batch_size=2, bptt=4)
    with pytest.raises(ArgumentError, match="too short for one window.*9 characters.*need 10"):
        BPTTBatches(np.arange(9), batch_size=2, bptt=4)


def test_the_position_resumes_mid_epoch_and_an_abandoned_epoch_restarts():
    batches = BPTTBatches(np.arange(41), batch_size=2, bptt=4)        # 5 windows
    it = iter(batches)
    next(it), next(it)
    state = batches.state_dict()
    assert state == {"seed": 0, "epoch": 0, "batch": 2} and len(it) == 3
    other = BPTTBatches(np.arange(41), batch_size=2, bptt=4)
    other.load_state_dict(state)
    rest = list(other)
    assert len(rest) == 3
    np.testing.assert_array_equal(rest[0][0].numpy(), batches.window(2)[0].numpy())
    assert other.state_dict() == {"seed": 0, "epoch": 1, "batch": 0}
    assert len(list(batches)) == 5 and batches.state_dict()["epoch"] == 2   # restarted


def test_validation_is_the_tail_of_the_text():
    train, val = split_text(np.arange(100), 0.1)
    np.testing.assert_array_equal(val, np.arange(90, 100))
    np.testing.assert_array_equal(train, np.arange(90))
    assert len(split_text(np.arange(100), 0.0)[1]) == 0
