"""bertcore: small, readable reference implementations behind the BERT book.

Every implementation here is tested against transformers / tokenizers / PyTorch
(see tests/). Chapters import from here and never redefine these pieces.
"""
from .attention import MultiHeadAttention, scaled_dot_product_attention
from .data import LABELS, load_reviews, load_topics, top_conditions
from .exercises import check
from .masking import make_nsp_pairs, mask_tokens, whole_word_mask
from .model import BertConfig, BertModel
from .models import describe, load_pretrained, packaged_model_path, vocab_path
from .quiz import quiz
from .tokenization import BasicTokenizer, WordPieceTokenizer
from .viz import head_view, interact, model_view, neuron_view

__all__ = [
    "BasicTokenizer", "BertConfig", "BertModel", "LABELS", "MultiHeadAttention",
    "WordPieceTokenizer", "check", "describe", "head_view", "interact", "load_pretrained",
    "load_reviews", "load_topics", "make_nsp_pairs", "mask_tokens", "model_view",
    "neuron_view", "packaged_model_path", "quiz", "scaled_dot_product_attention",
    "top_conditions", "vocab_path", "whole_word_mask",
]
