"""Features the two safety classifiers share: character 2-5 grams beside sentence vectors."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

Encoder = Callable[[Sequence[str]], np.ndarray]


def char_vectoriser(texts: Sequence[str]) -> Any:
    """TF-IDF over character 2-5 grams within words (typos, SMS spelling), fitted."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2
    ).fit(texts)


def char_and_dense(vectoriser: Any, texts: Sequence[str], encode: Encoder,
                   dense_weight: float) -> Any:
    """One sparse row per text: the n-gram block, then the weighted embedding."""
    from scipy.sparse import csr_matrix, hstack

    dense = csr_matrix(np.asarray(encode(texts)) * dense_weight)
    return hstack([vectoriser.transform(texts), dense]).tocsr()
