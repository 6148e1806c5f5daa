"""Shared fixtures: the packaged model is loaded once per test session (offline)."""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def pretrained():
    """(tokenizer, Hugging Face BertModel) of the packaged all-MiniLM-L6-v2."""
    import bertcore

    return bertcore.load_pretrained()


@pytest.fixture(scope="module")
def tiny(pretrained):
    """The real tokenizer with a tiny randomly initialised bertcore encoder (seeded, fast to train);
    one per test module, so a module that trains it cannot change another's."""
    import torch

    import bertcore

    torch.manual_seed(0)
    return pretrained[0], bertcore.BertModel(bertcore.BertConfig.tiny()).eval()


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models are fastest on one thread, and a shared CPU makes extra threads wait."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)
