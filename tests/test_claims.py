"""bc.claim: a sentence about a result is shown only when the result supports it."""
import numpy as np
import pytest
import torch

import bertcore as bc
from bertcore.support import claims


@pytest.fixture
def shown(monkeypatch):
    import IPython.display

    out = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: out.append(obj.data))
    return out


def test_a_true_claim_is_shown(shown, monkeypatch):
    monkeypatch.delenv("BERTCORE_MODEL", raising=False)
    assert bc.claim(0.8 > 0.7, "Fine-tuning wins: **0.800** vs 0.700.") is None  # a cell shows only the sentence
    bc.claim(np.float64(2.0) > 1, "numpy comparison")
    bc.claim(torch.tensor(3) > 1, "torch comparison")
    assert shown == ["Fine-tuning wins: **0.800** vs 0.700.", "numpy comparison", "torch comparison"]


def test_a_false_claim_fails_with_the_packaged_model(shown, monkeypatch):
    monkeypatch.delenv("BERTCORE_MODEL", raising=False)
    with pytest.raises(claims.ClaimError, match="contradicts it"):
        bc.claim(0.7 > 0.8, "Fine-tuning wins.")
    assert shown == []


def test_a_false_claim_is_flagged_with_another_model(shown, monkeypatch):
    monkeypatch.setenv("BERTCORE_MODEL", "bert-base-uncased")
    bc.claim(False, "Fine-tuning wins.")
    assert shown[0].startswith("Fine-tuning wins.") and "does not hold" in shown[0]
    assert "bert-base-uncased" in shown[0]


@pytest.mark.parametrize("holds, fragment", [
    (torch.tensor([True, False]), r"\.all\(\)"), (0.5, "must be a bool"), ("yes", "must be a bool"),
])
def test_the_condition_must_be_a_bool(holds, fragment):
    with pytest.raises(TypeError, match=fragment):
        bc.claim(holds, "text")


def test_the_text_must_be_a_string():
    with pytest.raises(TypeError, match="f-string"):
        bc.claim(True, 0.8)
