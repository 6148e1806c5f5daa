"""bertcore.analysis.long_documents: windows equal Hugging Face's overflowing tokens; truncation."""
import pytest
import torch

from bertcore.analysis.long_documents import sliding_windows, truncate_ids, window_spans


def test_spans_cover_every_token_with_the_requested_overlap():
    spans = window_spans(23, 8, 5)
    assert spans == [(0, 8), (5, 13), (10, 18), (15, 23)]
    assert window_spans(0, 8, 8) == [(0, 0)]
    covered = set()
    for s, e in window_spans(1000, 126, 63):
        covered |= set(range(s, e))
    assert covered == set(range(1000))


@pytest.mark.parametrize("n, window, step", [(23, 8, 5), (24, 8, 5), (40, 10, 10), (7, 10, 4), (57, 12, 1)])
def test_windows_equal_huggingface_overflowing_tokens(pretrained, n, window, step):
    tok, _ = pretrained
    text = " ".join(str(i) for i in range(200))
    ids = tok(text, add_special_tokens=False)["input_ids"][:n]
    assert len(ids) == n
    ours = sliding_windows(ids, window, step, cls_id=tok.cls_token_id, sep_id=tok.sep_token_id)
    ref = tok(tok.decode(ids), max_length=window + 2, truncation=True, stride=window - step,
              return_overflowing_tokens=True)["input_ids"]
    assert len(ref) == len(ours["spans"])
    for row, mask, r in zip(ours["input_ids"], ours["attention_mask"], ref, strict=True):
        assert row[mask.bool()].tolist() == r


def test_short_last_window_is_padded_and_masked():
    out = sliding_windows(list(range(5, 15)), 4, 4, cls_id=1, sep_id=2, pad_id=0)
    assert out["input_ids"].shape == (3, 6)
    assert out["input_ids"][2].tolist() == [1, 13, 14, 2, 0, 0]
    assert out["attention_mask"][2].tolist() == [1, 1, 1, 1, 0, 0]


def test_truncate_sides():
    ids = list(range(10))
    assert truncate_ids(ids, 4) == [0, 1, 2, 3]
    assert truncate_ids(ids, 4, "tail") == [6, 7, 8, 9]
    assert truncate_ids(ids, 4, "head+tail", 1) == [0, 7, 8, 9]
    assert truncate_ids(ids, 8, "head+tail") == [0, 1, 4, 5, 6, 7, 8, 9]  # default: a quarter from the head
    assert truncate_ids(ids, 20, "tail") == ids
    assert truncate_ids(torch.arange(10), 3) == [0, 1, 2]


@pytest.mark.parametrize("call, error, message", [
    (lambda: window_spans(10, 4, 5), ValueError, "skip tokens"),
    (lambda: window_spans(10, 0, 1), ValueError, "window must be an int"),
    (lambda: truncate_ids([1, 2], 1, "middle"), ValueError, "keep must be one of"),
    (lambda: truncate_ids("abc", 2), TypeError, "list of token ids"),
    (lambda: truncate_ids([1, 2, 3], 2, "head+tail", 3), ValueError, "cannot exceed"),
    (lambda: sliding_windows(torch.zeros(2, 3, dtype=torch.long), 2, 1, cls_id=1, sep_id=2), ValueError, "1-D"),
])
def test_bad_arguments_name_the_fix(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_stitch_picks_the_most_central_window():
    from bertcore.analysis.long_documents import stitch_windows

    spans = window_spans(10, 6, 3)                       # (0,6), (3,9), (6,10)
    states = torch.zeros(len(spans), 8, 1)
    for r, (s, e) in enumerate(spans):
        states[r, 1:1 + e - s, 0] = 100 * r + torch.arange(s, e).float()   # value = 100*window + token
    got = stitch_windows(states, spans)[:, 0]
    owner = (got // 100).long().tolist()
    assert (got % 100).long().tolist() == list(range(10))  # every token from its own position
    # token 4: 4 left/1 right in window 0, 1 left/4 right in window 1 -> tie (1), earlier window
    assert owner == [0, 0, 0, 0, 0, 1, 1, 1, 2, 2]


def test_stitch_of_chunks_is_concatenation_and_one_window_is_the_full_input(pretrained):
    from bertcore.analysis.long_documents import stitch_windows

    spans = window_spans(7, 3, 3)
    states = torch.randn(len(spans), 5, 4, generator=torch.Generator().manual_seed(0))
    want = torch.cat([states[r, 1:1 + e - s] for r, (s, e) in enumerate(spans)])
    assert torch.equal(stitch_windows(states, spans), want)
    tok, model = pretrained
    ids = tok("The tablets helped a lot with my sleep.", add_special_tokens=False)["input_ids"]
    w = sliding_windows(ids, len(ids), 1, cls_id=tok.cls_token_id, sep_id=tok.sep_token_id)
    with torch.no_grad():
        h = model(input_ids=w["input_ids"], attention_mask=w["attention_mask"]).last_hidden_state
        full = model(**tok("The tablets helped a lot with my sleep.", return_tensors="pt")).last_hidden_state[0, 1:-1]
    torch.testing.assert_close(stitch_windows(h, w["spans"]), full)


def test_stitch_rejects_mismatched_inputs():
    from bertcore.analysis.long_documents import stitch_windows

    with pytest.raises(ValueError, match="spans but"):
        stitch_windows(torch.zeros(2, 5, 3), [(0, 3)])
    with pytest.raises(ValueError, match="longer than its window"):
        stitch_windows(torch.zeros(1, 4, 3), [(0, 3)])
    with pytest.raises(ValueError, match="uncovered"):
        stitch_windows(torch.zeros(2, 5, 3), [(0, 2), (3, 5)])
