"""Masking invariants, and its statistics against theory and transformers' collator.

Tolerance: each proportion must lie within 5 binomial standard deviations of its target
(a false alarm has probability below 1e-6 per check; the generators are seeded anyway).
"""
import math
import random

import pytest
import torch

from bertcore.masking import continuation_mask, make_nsp_pairs, mask_tokens, whole_word_mask

V, MASK, SPECIAL = 30522, 103, [0, 100, 101, 102, 103]
SIGMAS = 5


def batch(rows=400, cols=300, pad_from=260, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(1000, V, (rows, cols), generator=g)
    x[:, 0], x[:, pad_from - 1], x[:, pad_from:] = 101, 102, 0  # [CLS] ... [SEP] [PAD]...
    return x


def within(count, n, p):
    sd = math.sqrt(n * p * (1 - p))
    return abs(count - n * p) <= SIGMAS * sd


def proportions(x, masked, labels):
    selected = labels != -100
    n_eligible = int((~torch.isin(x, torch.tensor(SPECIAL))).sum())
    n_sel = int(selected.sum())
    n_mask = int((masked[selected] == MASK).sum())
    n_same = int((masked[selected] == x[selected]).sum())
    return n_eligible, n_sel, n_mask, n_sel - n_mask - n_same, n_same


def test_statistics_match_theory_over_1e5_tokens():
    x = batch()
    masked, labels = mask_tokens(x, vocab_size=V, mask_token_id=MASK, special_token_ids=SPECIAL,
                                 generator=torch.Generator().manual_seed(1))
    n, n_sel, n_mask, n_rand, n_same = proportions(x, masked, labels)
    assert n >= 100_000
    assert within(n_sel, n, 0.15)
    assert within(n_mask, n_sel, 0.8) and within(n_rand, n_sel, 0.1)
    # "unchanged" also catches the rare random draw that equals the original token
    assert within(n_same, n_sel, 0.1 + 0.1 / V)


def chi2_uniform_ok(ids, lo, hi, bins=100):
    """Chi-square of ids against uniform on [lo, hi) over ``bins`` equal bins (hi - lo divisible by bins).

    Under uniformity the statistic has mean bins - 1 and sd sqrt(2 (bins - 1)); accept up to 5 sd.
    """
    counts = torch.bincount((ids - lo) * bins // (hi - lo), minlength=bins).double()
    expected = ids.numel() / bins
    stat = float(((counts - expected) ** 2 / expected).sum())
    return counts.numel() == bins and stat <= bins - 1 + SIGMAS * math.sqrt(2 * (bins - 1))


def test_bertcore_and_the_reference_collator_have_the_same_statistics():
    """Selection 15% of ordinary tokens, then 80% [MASK] / 10% random / 10% unchanged, for both."""
    from transformers import BertTokenizerFast, DataCollatorForLanguageModeling

    import bertcore

    tokenizer = BertTokenizerFast.from_pretrained(str(bertcore.packaged_model_path()))
    assert (len(tokenizer), tokenizer.mask_token_id) == (V, MASK) and set(tokenizer.all_special_ids) == set(SPECIAL)
    x = batch()
    torch.manual_seed(0)  # the collator draws from the global generator
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)
    theirs = collator.torch_mask_tokens(x.clone())
    ours = mask_tokens(x, vocab_size=V, mask_token_id=MASK, special_token_ids=SPECIAL,
                       generator=torch.Generator().manual_seed(0))
    for masked, labels in (theirs, ours):
        n, n_sel, n_mask, n_rand, n_same = proportions(x, masked, labels)
        assert n >= 100_000
        assert within(n_sel, n, 0.15) and within(n_mask, n_sel, 0.8)
        assert within(n_rand, n_sel, 0.1 * (1 - 1 / V)) and within(n_same, n_sel, 0.1 + 0.1 / V)
        special = torch.isin(x, torch.tensor(SPECIAL))
        assert (labels[special] == -100).all() and torch.equal(masked[special], x[special])


def test_random_replacements_are_uniform_over_the_whole_vocabulary_like_the_collator():
    """Every selected token replaced at random (>250k draws): special ids included, as in BERT.

    The share of draws landing on the 5 special ids is binomial(n, 5 / V): about 42 expected,
    sd 6.5, so the 5-sd band [10, 75] excludes the old behaviour (never a special id).
    """
    from transformers import BertTokenizerFast, DataCollatorForLanguageModeling

    import bertcore

    x = batch(rows=1000)
    eligible = ~torch.isin(x, torch.tensor(SPECIAL))
    tokenizer = BertTokenizerFast.from_pretrained(str(bertcore.packaged_model_path()))
    torch.manual_seed(1)
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=1.0, mask_replace_prob=0.0,
                                               random_replace_prob=1.0)
    theirs, _ = collator.torch_mask_tokens(x.clone())
    ours, _ = mask_tokens(x, vocab_size=V, mask_token_id=MASK, special_token_ids=SPECIAL, mlm_probability=1.0,
                          mask_fraction=0.0, random_fraction=1.0, generator=torch.Generator().manual_seed(1))
    for masked in (theirs, ours):
        drawn = masked[eligible]
        assert drawn.numel() > 250_000
        assert within(int(torch.isin(drawn, torch.tensor(SPECIAL)).sum()), drawn.numel(), len(SPECIAL) / V)
        assert chi2_uniform_ok(drawn[drawn < 30500], 0, 30500, bins=100)


def test_random_from_non_special_is_uniform_over_ordinary_ids():
    """Small vocabulary (100 ids, 5 special) so every id gets ~1000 draws: vocab vs non_special."""
    x = torch.randint(5, 100, (500, 200), generator=torch.Generator().manual_seed(0))
    kw = dict(vocab_size=100, mask_token_id=4, special_token_ids=[0, 1, 2, 3], mlm_probability=1.0,
              mask_fraction=0.0, random_fraction=1.0)
    whole, _ = mask_tokens(x, **kw, generator=torch.Generator().manual_seed(1))
    assert within(int((whole < 5).sum()), whole.numel(), 5 / 100)  # specials and [MASK] drawn too
    assert chi2_uniform_ok(whole.flatten(), 0, 100)
    plain, _ = mask_tokens(x, **kw, random_from="non_special", generator=torch.Generator().manual_seed(1))
    assert plain.min() == 5  # never [PAD]/[UNK]/[CLS]/[SEP] (0-3) nor [MASK] (4)
    assert chi2_uniform_ok(plain.flatten(), 5, 100, bins=95)
    words, _ = whole_word_mask(x, torch.zeros_like(x, dtype=torch.bool), **kw, random_from="non_special",
                               generator=torch.Generator().manual_seed(2))
    assert words.min() == 5
    with pytest.raises(ValueError, match="random_from must be one of"):
        mask_tokens(x, **kw, random_from="ordinary")


def test_specials_and_padding_never_selected_and_labels_elsewhere_ignored():
    x = batch(rows=50)
    masked, labels = mask_tokens(x, vocab_size=V, mask_token_id=MASK, special_token_ids=SPECIAL,
                                 mlm_probability=0.9, generator=torch.Generator().manual_seed(2))
    special = torch.isin(x, torch.tensor(SPECIAL))
    assert (labels[special] == -100).all() and torch.equal(masked[special], x[special])
    selected = labels != -100
    assert torch.equal(labels[selected], x[selected])
    assert torch.equal(masked[~selected], x[~selected])


def test_attention_mask_protects_padding_even_without_pad_in_specials():
    x = batch(rows=20)
    attention = (x != 0).long()
    _, labels = mask_tokens(x, vocab_size=V, mask_token_id=MASK, special_token_ids=[101, 102],
                            mlm_probability=1.0, attention_mask=attention, generator=torch.Generator().manual_seed(0))
    assert (labels[attention == 0] == -100).all()


def test_non_special_replacements_are_never_special():
    x = batch(rows=100)
    masked, labels = mask_tokens(x, vocab_size=V, mask_token_id=MASK, special_token_ids=SPECIAL,
                                 mlm_probability=1.0, mask_fraction=0.0, random_fraction=1.0,
                                 random_from="non_special", generator=torch.Generator().manual_seed(3))
    replaced = masked[labels != -100]
    assert replaced.numel() > 10_000
    assert not torch.isin(replaced, torch.tensor(SPECIAL)).any()


def test_same_seed_same_result_different_seed_different_result():
    x = batch(rows=10)
    kw = dict(vocab_size=V, mask_token_id=MASK, special_token_ids=SPECIAL)
    a = mask_tokens(x, **kw, generator=torch.Generator().manual_seed(7))
    b = mask_tokens(x, **kw, generator=torch.Generator().manual_seed(7))
    c = mask_tokens(x, **kw, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])


def test_whole_word_masking_takes_all_pieces_or_none():
    tokens = [["[CLS]", "the", "gu", "##it", "##ar", "play", "##ing", "was", "[SEP]"]] * 3000
    cont = continuation_mask(tokens)
    x = torch.arange(1000, 1009).repeat(3000, 1)
    x[:, 0], x[:, -1] = 101, 102
    masked, labels = whole_word_mask(x, cont, vocab_size=V, mask_token_id=MASK, special_token_ids=SPECIAL,
                                     generator=torch.Generator().manual_seed(0))
    sel = labels != -100
    assert torch.equal(sel[:, 2], sel[:, 3]) and torch.equal(sel[:, 3], sel[:, 4])
    assert torch.equal(sel[:, 5], sel[:, 6])
    assert not sel[:, 0].any() and not sel[:, -1].any()
    words = sel[:, [1, 2, 5, 7]]  # one entry per word
    assert within(int(words.sum()), words.numel(), 0.15)


def test_nsp_pairs_are_half_is_next_and_negatives_come_from_other_documents():
    docs = [[f"d{d}s{s}" for s in range(20)] for d in range(100)]
    pairs = make_nsp_pairs(docs, rng=0)
    assert len(pairs) == 100 * 19  # every consecutive pair gives one example
    labels = [lab for _, _, lab in pairs]
    assert within(labels.count(0), len(labels), 0.5)
    for a, b, lab in pairs:
        da, sa = a[1:].split("s")
        db, sb = b[1:].split("s")
        if lab == 0:
            assert da == db and int(sb) == int(sa) + 1
        else:
            assert da != db
    assert pairs == make_nsp_pairs(docs, rng=random.Random(0))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(mlm_probability=1.5), ValueError, "between 0 and 1"),
        (dict(mask_fraction=-0.1), ValueError, "between 0 and 1"),
        (dict(mask_fraction=0.8, random_fraction=0.3), ValueError, "must be <= 1"),
        (dict(mlm_probability="0.15"), TypeError, "must be a float"),
        (dict(generator=0), TypeError, "torch.Generator"),
        (dict(special_token_ids="[CLS]"), TypeError, "collection of ints"),
        (dict(mask_token_id=V), ValueError, "mask_token_id"),
    ],
)
def test_bad_masking_arguments(kwargs, error, message):
    args = dict(vocab_size=V, mask_token_id=MASK, special_token_ids=SPECIAL) | kwargs
    with pytest.raises(error, match=message):
        mask_tokens(batch(rows=2), **args)


def test_bad_ids_and_nsp_arguments():
    with pytest.raises(TypeError, match="integer torch.Tensor"):
        mask_tokens(torch.rand(2, 3), vocab_size=V, mask_token_id=MASK, special_token_ids=SPECIAL)
    with pytest.raises(ValueError, match=r"lie in \[0, 10\)"):
        mask_tokens(torch.tensor([[11]]), vocab_size=10, mask_token_id=3, special_token_ids=[0])
    with pytest.raises(ValueError, match="at least two"):
        make_nsp_pairs([["a", "b"]])
    with pytest.raises(TypeError, match="list of documents"):
        make_nsp_pairs("not documents")
    with pytest.raises(TypeError, match="rng"):
        make_nsp_pairs([["a"], ["b"]], rng="seed")
    with pytest.raises(ValueError, match="same shape"):
        whole_word_mask(torch.ones(2, 3, dtype=torch.long), torch.ones(2, 2, dtype=torch.bool),
                        vocab_size=V, mask_token_id=MASK, special_token_ids=SPECIAL)
