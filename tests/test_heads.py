"""bertcore.analysis.task_heads: WordPiece label alignment, BIO spans, answer spans, centroid summaries."""
import itertools

import pytest
import torch

from bertcore.analysis.task_heads import (
    IGNORE_INDEX,
    align_labels,
    best_span,
    bio_spans,
    centroid_summary,
    gazetteer_tags,
    span_scores,
)


def test_align_labels_with_the_real_tokenizer(pretrained):
    tokenizer, _ = pretrained
    words = ["Quetiapine", "calmed", "my", "bipolar", "disorder", "."]
    labels = [1, 0, 0, 3, 4, 0]
    enc = tokenizer(words, is_split_into_words=True)
    aligned = align_labels(enc.word_ids(), labels)
    pieces = enc.tokens()
    assert len(aligned) == len(pieces)
    assert aligned[0] == aligned[-1] == IGNORE_INDEX  # [CLS] and [SEP]
    assert any(p.startswith("##") for p in pieces)  # the drug name is split into pieces
    for piece, lab in zip(pieces, aligned, strict=True):
        if piece.startswith("##"):
            assert lab == IGNORE_INDEX  # continuation pieces are skipped by the loss
    kept = [lab for lab in aligned if lab != IGNORE_INDEX]
    assert kept == labels  # exactly one labelled piece per word, in order
    every = align_labels(enc.word_ids(), labels, label_all_pieces=True)
    assert sum(lab != IGNORE_INDEX for lab in every) == len(pieces) - 2
    # the loss really ignores the -100 positions
    logits = torch.randn(len(aligned), 5, generator=torch.Generator().manual_seed(0))
    target = torch.tensor(aligned)
    keep = target != IGNORE_INDEX
    assert torch.allclose(torch.nn.functional.cross_entropy(logits, target),
                          torch.nn.functional.cross_entropy(logits[keep], target[keep]))
    with pytest.raises(ValueError, match="is_split_into_words"):
        align_labels([None, 0, 7, None], [1])


def test_gazetteer_longest_match_and_case():
    gaz = {("birth", "control"): "COND", ("birth",): "X", ("celexa",): "DRUG"}
    words = ["My", "Birth", "control", "and", "CELEXA", "birth"]
    assert gazetteer_tags(words, gaz) == ["O", "B-COND", "I-COND", "O", "B-DRUG", "B-X"]
    with pytest.raises(TypeError, match="list of words"):
        gazetteer_tags("birth control", gaz)


def test_bio_spans_conll_convention():
    assert bio_spans(["B-D", "I-D", "O", "B-C"]) == {(0, 2, "D"), (3, 4, "C")}
    assert bio_spans(["O", "I-D", "I-D"]) == {(1, 3, "D")}  # a stray I- opens an entity
    assert bio_spans(["B-D", "I-C"]) == {(0, 1, "D"), (1, 2, "C")}  # a type change closes it
    assert bio_spans(["B-D", "B-D"]) == {(0, 1, "D"), (1, 2, "D")}
    with pytest.raises(ValueError, match="B-TYPE"):
        bio_spans(["DRUG"])


def test_span_scores():
    gold = [{(0, 2, "D")}, {(1, 2, "C"), (3, 4, "D")}]
    pred = [{(0, 2, "D")}, {(1, 2, "D")}]
    s = span_scores(gold, pred)
    assert (s["precision"], s["recall"]) == (0.5, 1 / 3)
    assert s["f1"] == pytest.approx(0.4)
    assert span_scores([set()], [set()])["f1"] == 0.0


def test_best_span_equals_brute_force():
    g = torch.Generator().manual_seed(0)
    for n, max_len in ((1, 1), (7, 3), (12, 12)):
        s, e = torch.randn(n, generator=g), torch.randn(n, generator=g)
        i, j, score = best_span(s, e, max_len)
        candidates = [(float(s[a] + e[b]), a, b) for a, b in itertools.product(range(n), repeat=2)
                      if a <= b < a + max_len]
        best = max(candidates)
        assert (i, j) == (best[1], best[2]) and score == pytest.approx(best[0])


def test_centroid_summary_picks_the_central_sentences():
    v = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [1.0, 0.05]])
    assert centroid_summary(v, 2) == [1, 3]
    assert centroid_summary(v, 10) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="k must"):
        centroid_summary(v, 0)
