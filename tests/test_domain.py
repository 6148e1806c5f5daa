"""bertcore.domain_adapt on another corpus: the control run of chapter 22."""
import pytest
import torch

from bertcore.variants import domain

DOCS = [["The parser reads the file line by line.", "Each line becomes one record of the table."],
        ["Return the number of open handles.", "The count includes closed handles that are still cached."]]
KW = dict(steps=2, batch_size=2, max_len=16, seed=0)


def test_documents_replace_the_reviews_and_enter_the_key(tmp_path, monkeypatch, one_thread):
    monkeypatch.setenv("BERTCORE_CACHE", str(tmp_path))
    reviews, _ = domain.domain_adapt(**KW)
    other, hist = domain.domain_adapt(**KW, documents=DOCS)
    assert len(hist) == 2 and len(list(tmp_path.glob("domain-adapt-*"))) == 2  # one entry per corpus
    changed = [k for k, v in reviews.state_dict().items() if not torch.equal(v, other.state_dict()[k])]
    assert changed  # same settings and seed, other text: other weights
    again, _ = domain.domain_adapt(**KW, documents=[list(d) for d in DOCS])  # equal text: the same entry
    assert all(torch.equal(v, again.state_dict()[k]) for k, v in other.state_dict().items())
    assert len(list(tmp_path.glob("domain-adapt-*"))) == 2


@pytest.mark.parametrize("documents", ["one string", [["ok."], "not a list"], [[1, 2]]])
def test_bad_documents_are_refused(documents):
    with pytest.raises(TypeError, match="documents must be a list of documents"):
        domain.domain_adapt(steps=1, documents=documents)
