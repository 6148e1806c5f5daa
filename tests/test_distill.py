"""bertcore.variants.distilbert: student initialisation, losses against hand-written references, the training loop."""
import pytest
import torch
import torch.nn.functional as F

import bertcore as bc
from bertcore.training.batching import collate, encode_ids
from bertcore.training.finetune import SequenceClassifier
from bertcore.variants.distilbert import (
    cosine_hidden_loss,
    distil,
    soft_target_loss,
    student_from_teacher,
    teacher_outputs,
)

TEXTS = ["good pills", "bad pills made me sick", "great", "awful nausea", "fine", "terrible"]
LABELS = ["pos", "neg", "pos", "neg", "pos", "neg"]


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def test_student_copies_every_other_layer(pretrained):
    tok, hf = pretrained
    student = student_from_teacher(hf)
    n = hf.config.num_hidden_layers
    assert student.config.num_hidden_layers == len(range(0, n, 2))
    full = bc.BertModel.from_pretrained(hf)
    for new, old in enumerate(range(0, n, 2)):
        for a, b in zip(student.layers[new].parameters(), full.layers[old].parameters(), strict=True):
            assert torch.equal(a, b)
    # a "student" with all the layers is the teacher itself
    same = student_from_teacher(hf, layers=list(range(n)))
    batch = collate(encode_ids(tok, TEXTS[:2]), tok.pad_token_id)
    with torch.no_grad():
        torch.testing.assert_close(same(**batch).pooler_output, hf(**batch).pooler_output, atol=1e-5, rtol=1e-4)
    with pytest.raises(ValueError):
        student_from_teacher(hf, layers=[n])


def test_soft_target_loss_matches_cross_entropy_form():
    g = torch.Generator().manual_seed(0)
    s, t = torch.randn(4, 5, generator=g), torch.randn(4, 5, generator=g)
    T = 3.0
    p = F.softmax(t / T, -1)
    # KL = cross-entropy(p, q) - entropy(p), times T^2
    ce = -(p * F.log_softmax(s / T, -1)).sum(-1).mean()
    ent = -(p * p.log()).sum(-1).mean()
    assert soft_target_loss(s, t, T).item() == pytest.approx(((ce - ent) * T * T).item(), rel=1e-5)
    assert soft_target_loss(t, t, T).item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError):
        soft_target_loss(s, t, 0.0)


def test_cosine_loss_ignores_padding():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(2, 4, 8, generator=g)
    b = a.clone()
    b[1, 3] = -a[1, 3]  # only a padded position differs
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
    assert cosine_hidden_loss(a, b, mask).item() == pytest.approx(0.0, abs=1e-6)
    mask[1, 3] = 1  # now it counts: one of 8 tokens has cosine -1 -> loss 2 / 8
    assert cosine_hidden_loss(a, b, mask).item() == pytest.approx(0.25, abs=1e-6)


def test_distil_moves_student_toward_teacher(pretrained):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(bc.packaged_model_path()))
    torch.manual_seed(0)
    teacher = SequenceClassifier(bc.BertModel(bc.BertConfig.tiny(num_hidden_layers=4)), ["neg", "pos"]).eval()
    logits, hidden = teacher_outputs(teacher, tok, TEXTS, max_len=16)
    assert logits.shape == (6, 2) and hidden[0].shape == (len(encode_ids(tok, TEXTS[:1], 16)[0]), 128)
    student = SequenceClassifier(student_from_teacher(teacher.encoder), ["neg", "pos"])
    student.encoder.embeddings.word_embeddings.weight.requires_grad_(False)  # faster: the big table
    hist = distil(student, tok, TEXTS, LABELS, logits, hidden, alpha=1.0, beta=1.0,
                  epochs=30, batch_size=3, lr=3e-3, max_len=16)
    assert hist["soft"].tail(4).mean() < hist["soft"].head(4).mean()
    assert hist["cosine"].tail(4).mean() < hist["cosine"].head(4).mean()
    with pytest.raises(ValueError, match="teacher_hidden"):
        distil(student, tok, TEXTS, LABELS, logits, None, beta=1.0)


def test_cached_distil_matches_distil_and_is_cached(tmp_path, monkeypatch, pretrained):
    from bertcore.variants.distilbert import cached_distil

    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path))
    tok = pretrained[0]
    torch.manual_seed(0)
    teacher = SequenceClassifier(bc.BertModel(bc.BertConfig.tiny(num_hidden_layers=4)), ["neg", "pos"]).eval()
    student = SequenceClassifier(student_from_teacher(teacher.encoder), ["neg", "pos"], seed=0)
    before = {k: v.clone() for k, v in student.state_dict().items()}
    kw = dict(temperature=2.0, alpha=0.5, beta=1.0, epochs=2, batch_size=3, lr=3e-3, max_len=16, probe_head=False)
    runs = cached_distil(student, teacher, tok, TEXTS, LABELS, TEXTS[:4], seeds=(0, 1), **kw)
    assert all(torch.equal(v, student.state_dict()[k]) for k, v in before.items())  # trains copies
    assert [r["seed"] for r in runs] == [0, 1] and not any(r["cached"] for r in runs)
    # the reference: distil by hand with seed 1
    import copy

    ref = copy.deepcopy(student)
    settings = {k: v for k, v in kw.items() if k != "probe_head"}
    hist = distil(ref, tok, TEXTS, LABELS, *teacher_outputs(teacher, tok, TEXTS, max_len=16), seed=1, **settings)
    torch.testing.assert_close(torch.tensor(runs[1]["history"]["soft"].to_numpy()),
                               torch.tensor(hist["soft"].to_numpy(), dtype=torch.float64))
    assert runs[1]["test_predictions"] == bc.predict(ref, tok, TEXTS[:4], max_len=16)
    assert runs[0]["seconds_per_step"] > 0
    again = cached_distil(student, teacher, tok, TEXTS, LABELS, TEXTS[:4], seeds=(1,), **kw)
    assert again[0]["cached"] and again[0]["test_predictions"] == runs[1]["test_predictions"]
    control = cached_distil(student, teacher, tok, TEXTS, LABELS, TEXTS[:4], seeds=(1,), **{**kw, "alpha": 0.0,
                                                                                           "beta": 0.0})
    ref = copy.deepcopy(student)
    hist = distil(ref, tok, TEXTS, LABELS, torch.zeros(len(TEXTS), 2), None, seed=1,
                  **{**settings, "alpha": 0.0, "beta": 0.0})
    torch.testing.assert_close(torch.tensor(control[0]["history"]["hard"].to_numpy()),
                               torch.tensor(hist["hard"].to_numpy(), dtype=torch.float64))
    assert len(list(tmp_path.glob("distil-*.json"))) == 3
    probed = cached_distil(student, teacher, tok, TEXTS, LABELS, TEXTS[:4], seeds=(1,), **{**kw, "probe_head": True})
    assert not probed[0]["cached"]  # another starting point, another entry
    with pytest.raises(ValueError, match="seeds"):
        cached_distil(student, teacher, tok, TEXTS, LABELS, TEXTS, seeds=(0, 0))
    with pytest.raises(TypeError, match="SequenceClassifier"):
        cached_distil(student.encoder, teacher, tok, TEXTS, LABELS, TEXTS)
