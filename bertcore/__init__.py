"""bertcore: small, readable reference implementations behind the BERT book.

The core sits at the top of the package, one idea per file:

- ``tokenization``: BERT's basic tokenizer and greedy longest-match-first WordPiece;
- ``masking``: 15% selection with 80/10/10 replacement, whole-word masking, NSP pairs;
- ``attention``: scaled dot-product and multi-head self-attention;
- ``config`` and ``encoder``: the BERT encoder and its hyper-parameters.

Everything else sits in a subpackage named by its role: ``training`` (batches, the one
training loop, pre-training and fine-tuning), ``variants`` (RoBERTa, ALBERT, DistilBERT,
adapters, ELECTRA, sparse attention, sentence embeddings, domain adaptation), ``analysis``
(tools that measure a model) and ``support`` (the book's model, data, caches, quizzes,
exercises and views). Every implementation is tested against transformers / tokenizers /
PyTorch (see tests/). Chapters use ``import bertcore as bc`` and never redefine these pieces.
"""
import os

# On a busy machine, OpenMP threads that spin while waiting for each other slow PyTorch down
# many times over (measured: 20x for one short sequence on a loaded 2-core box); sleeping
# instead costs little. Takes effect only if set before torch is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


# The core: BERT itself.
from bertcore.attention import MultiHeadAttention, scaled_dot_product_attention
from bertcore.config import BertConfig
from bertcore.encoder import BertModel
from bertcore.masking import continuation_mask, IGNORE_INDEX, make_nsp_pairs, mask_tokens, whole_word_mask
from bertcore.tokenization import BasicTokenizer, WordPieceTokenizer

# Training.
from bertcore.training.batching import bucket_batches, collate, encode_ids, padded_tokens
from bertcore.training.finetune import (
    class_weights, encode_truncated, evaluate_classifier, fine_tune, init_head_from_probe, predict, predict_proba,
    SequenceClassifier, TRUNCATIONS,
)
from bertcore.training.hf_trainer import train_with_trainer, trainer_fine_tuned
from bertcore.training.initialization import init_bert_weights
from bertcore.training.loop import decay_groups, linear_schedule, train_loop
from bertcore.training.pretraining import (
    BertForPreTraining, cached_pretrain, encode_pairs, evaluate_pretraining, make_sop_pairs, mlm_fill,
    pack_segments, pretrain, review_documents, split_sentences,
)
from bertcore.training.vocab import (
    byte_bpe_tokenizer, byte_level_words, learn_merges, to_fast_tokenizer, train_wordpiece, word_counts,
)

# Variants.
from bertcore.variants.adapters import (
    Adapter, add_adapters, few_shot_adapters, freeze_for_adapters, trainable_parameters,
)
from bertcore.variants.albert import albert_parameters, AlbertModel, config_from_hf_albert, SHARING
from bertcore.variants.distilbert import (
    cached_distil, cosine_hidden_loss, distil, soft_target_loss, student_from_teacher, teacher_outputs,
)
from bertcore.variants.domain import domain_adapt
from bertcore.variants.electra import (
    cached_pretrain_small, compact_vocabulary, pretrain_small, replaced_token_scores,
)
from bertcore.variants.full_sentences import pack_full_sentences, recipe_run
from bertcore.variants.sentence_embeddings import (
    cached_encode_pooled, cosine_top_k, embed, encode_pooled, multiple_negatives_ranking_loss, pool, POOLINGS,
)
from bertcore.variants.sparse_attention import (
    attention_flops, bigbird_mask, local_attention, longformer_mask, sliding_window_mask,
)

# Analysis.
from bertcore.analysis.attention_stats import attention_norms, head_statistics
from bertcore.analysis.baselines import logistic_regression, tfidf_baseline
from bertcore.analysis.contextual import (
    batch_word_vectors, hidden_states, sense_separation, static_vector, word_token_span, word_vectors,
)
from bertcore.analysis.fewshot import few_shot_fine_tune, sample_per_class
from bertcore.analysis.long_documents import sliding_windows, stitch_windows, truncate_ids, window_spans
from bertcore.analysis.metrics import classification_scores, gap_verdict, paired_bootstrap
from bertcore.analysis.positions import cosine_similarity_matrix, pca_2d, sinusoidal_positions
from bertcore.analysis.sizing import COMPONENTS, count_parameters, forward_flops, parameter_breakdown
from bertcore.analysis.task_heads import (
    align_labels, best_span, bio_spans, centroid_summary, gazetteer_tags, span_scores,
)
from bertcore.analysis.typos import edit_distance, misspell

# The book's support.
from bertcore.support.claims import claim
from bertcore.support.data import LABELS, load_docstrings, load_reviews, load_topics, top_conditions
from bertcore.support.drawing import draw_arrow, draw_box, draw_grid, draw_text, draw_tokens, new_diagram
from bertcore.support.exercises import check
from bertcore.support.figures import show_figure
from bertcore.support.finetuned_models import (
    EXTRA_DEFAULTS, FINE_TUNE_DEFAULTS, fine_tuned, fine_tuned_proba, SENTIMENT_SETTINGS,
)
from bertcore.support.loading import describe, load_pretrained, model_name_or_path, packaged_model_path, vocab_path
from bertcore.support.quiz import quiz
from bertcore.support.timing import compare_times, time_call
from bertcore.support.viz import head_view, interact, model_view, neuron_view

__all__ = [name for name in dir() if not name.startswith("_") and name != "os"]
