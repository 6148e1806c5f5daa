"""The book's own support: the pretrained model and the reviews, caches, quizzes, auto-checked exercises and
attention views."""
