"""bertcore.analysis.positions against transformers' DistilBERT sinusoids, numpy PCA and torch cosine."""
import numpy as np
import pytest
import torch
from transformers.models.distilbert.modeling_distilbert import create_sinusoidal_embeddings

from bertcore.analysis.positions import cosine_similarity_matrix, pca_2d, sinusoidal_positions


@pytest.mark.parametrize("P,d", [(1, 2), (50, 16), (512, 384)])
def test_sinusoids_match_distilbert(P, d):
    ref = torch.empty(P, d)
    create_sinusoidal_embeddings(P, d, ref)
    got = sinusoidal_positions(P, d)
    assert got.shape == (P, d)
    torch.testing.assert_close(got, ref, atol=1e-6, rtol=0)


def test_sinusoid_properties():
    pe = sinusoidal_positions(64, 32)
    # every row has norm sqrt(dim/2): sin^2 + cos^2 = 1 per pair
    torch.testing.assert_close(pe.norm(dim=1), torch.full((64,), 4.0), atol=1e-5, rtol=0)
    # the dot product depends only on the offset: <PE[p], PE[p+k]> is the same for every p
    dots = torch.stack([pe[p] @ pe[p + 5] for p in range(50)])
    torch.testing.assert_close(dots, dots[0].expand(50), atol=1e-4, rtol=0)


def test_argument_errors():
    with pytest.raises(ValueError, match="even"):
        sinusoidal_positions(10, 7)
    with pytest.raises(ValueError, match="positive"):
        sinusoidal_positions(0, 8)
    with pytest.raises(ValueError, match="base"):
        sinusoidal_positions(10, 8, base=1)
    with pytest.raises(TypeError):
        cosine_similarity_matrix(torch.ones(3))
    with pytest.raises(TypeError):
        pca_2d(torch.ones(1, 4))


def test_cosine_matrix():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(7, 5, generator=gen)
    want = torch.nn.functional.cosine_similarity(x[:, None], x[None, :], dim=-1)
    torch.testing.assert_close(cosine_similarity_matrix(x), want, atol=1e-6, rtol=1e-5)


def test_pca_matches_numpy_up_to_sign():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(40, 6, generator=gen) * torch.tensor([5.0, 3.0, 1.0, 0.5, 0.2, 0.1])
    got = pca_2d(x).double().numpy()
    c = x.double().numpy() - x.double().numpy().mean(0)
    _, vecs = np.linalg.eigh(np.cov(c, rowvar=False))
    want = c @ vecs[:, ::-1][:, :2]  # the two largest-variance directions
    for k in range(2):
        assert min(np.abs(got[:, k] - want[:, k]).max(), np.abs(got[:, k] + want[:, k]).max()) < 1e-5  # float32 output
    assert got[:, 0].var() >= got[:, 1].var()
