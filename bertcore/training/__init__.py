"""Training BERT: batches, the one training loop, initialisation, pre-training heads, fine-tuning, vocabulary
learning."""
