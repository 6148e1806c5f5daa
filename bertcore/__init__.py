"""bertcore: small, readable reference implementations behind the BERT book.

Every implementation here is tested against transformers / tokenizers / PyTorch
(see tests/). Chapters import from here and never redefine these pieces.

Names are loaded on first use (PEP 562), so ``import bertcore`` stays fast and a chapter
about tokenization does not pay for importing bertviz or ipywidgets.
"""
import os
from importlib import import_module

# On a busy machine, OpenMP threads that spin while waiting for each other slow PyTorch down
# many times over (measured: 20x for one short sequence on a loaded 2-core box); sleeping
# instead costs little. Takes effect only if set before torch is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# public name -> module that defines it
_EXPORTS = {
    "scaled_dot_product_attention": "attention", "MultiHeadAttention": "attention",
    "LABELS": "data", "load_reviews": "data", "load_topics": "data", "top_conditions": "data",
    "check": "exercises",
    "word_token_span": "contextual", "word_vectors": "contextual", "static_vector": "contextual",
    "batch_word_vectors": "contextual", "sense_separation": "contextual",
    "hidden_states": "contextual",
    "sinusoidal_positions": "positions", "cosine_similarity_matrix": "positions", "pca_2d": "positions",
    "mask_tokens": "masking", "whole_word_mask": "masking", "continuation_mask": "masking",
    "make_nsp_pairs": "masking",
    "BertForPreTraining": "pretraining", "pretrain": "pretraining", "evaluate_pretraining": "pretraining",
    "mlm_fill": "pretraining", "make_sop_pairs": "pretraining", "encode_pairs": "pretraining",
    "split_sentences": "pretraining", "review_documents": "pretraining", "domain_adapt": "domain",
    "BertConfig": "model", "BertModel": "model",
    "load_pretrained": "models", "describe": "models", "packaged_model_path": "models",
    "vocab_path": "models",
    "window_spans": "long_documents", "sliding_windows": "long_documents", "truncate_ids": "long_documents",
    "stitch_windows": "long_documents",
    "sliding_window_mask": "long_attention", "longformer_mask": "long_attention",
    "bigbird_mask": "long_attention", "local_attention": "long_attention", "attention_flops": "long_attention",
    "head_statistics": "head_stats", "attention_norms": "head_stats",
    "bucket_batches": "batching", "collate": "batching", "padded_tokens": "batching",
    "classification_scores": "metrics",
    "SequenceClassifier": "finetune", "fine_tune": "finetune", "predict": "finetune",
    "predict_proba": "finetune", "evaluate_classifier": "finetune", "linear_schedule": "finetune",
    "init_head_from_probe": "finetune",
    "fine_tuned": "finetuned", "tfidf_baseline": "baselines", "logistic_regression": "baselines",
    "sample_per_class": "fewshot", "init_bert_weights": "initialization",
    "Adapter": "adapters", "add_adapters": "adapters", "freeze_for_adapters": "adapters",
    "trainable_parameters": "adapters",
    "student_from_teacher": "distill", "soft_target_loss": "distill", "cosine_hidden_loss": "distill",
    "teacher_outputs": "distill", "distil": "distill",
    "quiz": "quiz",
    "BasicTokenizer": "tokenization", "WordPieceTokenizer": "tokenization",
    "head_view": "viz", "model_view": "viz", "neuron_view": "viz", "interact": "viz",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value  # cache: later lookups skip this function
        return value
    raise AttributeError(f"module 'bertcore' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
