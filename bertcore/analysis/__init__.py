"""Tools that measure a model or a dataset: contextual vectors, head statistics, positions, sizes and FLOPs,
baselines and scores."""
