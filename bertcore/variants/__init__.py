"""BERT's descendants built on the core encoder: RoBERTa's packing, ALBERT, DistilBERT, adapters, ELECTRA, sparse
attention, sentence embeddings, domain adaptation."""
