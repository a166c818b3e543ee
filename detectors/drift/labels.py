"""Readable names for topic clusters: the words that set a cluster's prompts apart (class-based TF-IDF)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

_WORD = re.compile(r"[a-zA-Z][a-zA-Z'+#-]{2,}")
_EXTRA_STOP = frozenset({"please", "can", "could", "would", "write", "give", "tell", "make", "like", "know", "want"})


def tokens(text: str) -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # build time only

    words = (w.lower().strip("'-") for w in _WORD.findall(text))
    return [w for w in words if len(w) > 2 and w not in ENGLISH_STOP_WORDS and w not in _EXTRA_STOP]


def top_words(texts: Sequence[str], assignments: np.ndarray, n_clusters: int, k: int = 5) -> list[list[str]]:
    """Per cluster, the k words with the highest tf(word, cluster) * log(1 + mean words per cluster / f(word))."""
    per_cluster: list[Counter[str]] = [Counter() for _ in range(n_clusters)]
    for text, cluster in zip(texts, assignments, strict=True):
        per_cluster[int(cluster)].update(tokens(text))
    overall: Counter[str] = Counter()
    for counts in per_cluster:
        overall.update(counts)
    mean_words = max(1.0, sum(overall.values()) / max(1, n_clusters))
    labels = []
    for counts in per_cluster:
        total = max(1, sum(counts.values()))
        ranked = sorted(counts, key=lambda w: (-(counts[w] / total) * np.log1p(mean_words / overall[w]), w))
        labels.append(ranked[:k])
    return labels
