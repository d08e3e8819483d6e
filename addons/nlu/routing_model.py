"""The router's model: one calibrated linear classifier over sparse and dense features.

Every label the bot can route to -- an intent, or ``faq/<key>`` for each curated answer --
is one class. Features are TF-IDF word 1-2 grams and character 2-5 grams (robust to typos
and SMS spelling) beside a MiniLM sentence embedding (meaning across wordings). The
probabilities are calibrated by temperature scaling on out-of-fold predictions, so a
threshold on the chosen answer's own probability means what it says.

No Rasa import: the graph component (``addons.nlu.router``) is a thin shell around this.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

Encoder = Callable[[Sequence[str]], np.ndarray]
MODEL_FILE = "router.joblib"


@dataclass
class RouterSettings:
    """Hyper-parameters (the component's config)."""

    c: float = 8.0  # inverse regularisation of the logistic regression
    dense_weight: float = 1.5  # scale of the embedding block against the TF-IDF blocks
    folds: int = 5  # out-of-fold predictions for the temperature
    seed: int = 7

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> RouterSettings:
        """Pick the known keys from a component config."""
        return cls(
            c=float(config.get("c", cls.c)),
            dense_weight=float(config.get("dense_weight", cls.dense_weight)),
            folds=int(config.get("folds", cls.folds)),
            seed=int(config.get("seed", cls.seed)),
        )


@dataclass
class RouterModel:
    """Fitted vectorisers, classifier and temperature."""

    settings: RouterSettings
    vectorisers: List[Any] = field(default_factory=list)
    classifier: Any = None
    temperature: float = 1.0
    _weights: Optional[Tuple[int, np.ndarray]] = field(default=None, repr=False, compare=False)

    @property
    def labels(self) -> List[str]:
        """Class names, in the order of the probability columns."""
        return [str(label) for label in self.classifier.classes_]

    def _features(self, texts: Sequence[str], dense: np.ndarray) -> Any:
        from scipy.sparse import csr_matrix, hstack

        blocks = [v.transform(texts) for v in self.vectorisers]
        blocks.append(csr_matrix(dense * self.settings.dense_weight))
        return hstack(blocks).tocsr()

    def fit(self, texts: Sequence[str], labels: Sequence[str], encode: Encoder) -> RouterModel:
        """Fit on the training examples; ``encode`` turns texts into sentence vectors."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.vectorisers = [
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        ]
        for vectoriser in self.vectorisers:
            vectoriser.fit(texts)
        dense = encode(texts)
        features = self._features(texts, dense)
        y = np.asarray(labels)
        splits = self._folds(features, y)
        # the fold models (for the temperature) and the final model, fitted side by side
        fitted = _fit_all(self.settings, features, y, [train for train, _ in splits] + [None])
        self.classifier = fitted[-1]
        self.temperature = self._fit_temperature(features, y, splits, fitted[:-1])
        return self

    def _folds(self, features: Any, y: np.ndarray) -> List[Tuple[np.ndarray, np.ndarray]]:
        """Stratified (train, test) index pairs; none when a class is too rare to split."""
        from sklearn.model_selection import StratifiedKFold

        counts = np.unique(y, return_counts=True)[1]
        folds = min(self.settings.folds, int(counts.min()))
        if folds < 2:
            return []
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.settings.seed)
        return list(splitter.split(features, y))

    def _fit_temperature(
        self, features: Any, y: np.ndarray, splits: Sequence[Tuple[np.ndarray, np.ndarray]],
        models: Sequence[Any],
    ) -> float:
        """The temperature that minimises the log loss of out-of-fold predictions."""
        if not splits:
            return 1.0
        classes = np.unique(y)
        logits = np.zeros((len(y), len(classes)))
        for (_, test), fold in zip(splits, models, strict=True):
            columns = np.searchsorted(classes, fold.classes_)
            logits[np.ix_(test, columns)] = fold.decision_function(features[test])
        truth = np.searchsorted(classes, y)
        grid = np.exp(np.linspace(np.log(0.2), np.log(5.0), 61))
        losses = [_log_loss(logits / t, truth) for t in grid]
        return float(grid[int(np.argmin(losses))])

    def predict_proba(self, texts: Sequence[str], encode: Encoder) -> np.ndarray:
        """Calibrated class probabilities, one row per text (columns: :attr:`labels`)."""
        features = self._features(texts, encode(texts))
        return _softmax(self._logits(features) / self.temperature)

    def _logits(self, features: Any) -> np.ndarray:
        """The classifier's decision function with its weights kept row-major.

        sklearn multiplies by ``coef_.T``, which scipy copies into a contiguous array on
        every call (about 3 ms a message with our vocabulary); the copy is made once here.
        """
        if self._weights is None or self._weights[0] != id(self.classifier):
            self._weights = (id(self.classifier), np.ascontiguousarray(self.classifier.coef_.T))
        return np.asarray(features @ self._weights[1]) + self.classifier.intercept_

    def rank(self, text: str, encode: Encoder) -> List[Tuple[str, float]]:
        """All labels for one text, most probable first."""
        probs = self.predict_proba([text], encode)[0]
        order = np.argsort(-probs)
        labels = self.labels
        return [(labels[i], float(probs[i])) for i in order]

    def save(self, directory: Path) -> None:
        """Write the fitted model into ``directory``."""
        import joblib

        joblib.dump(
            {"settings": self.settings, "vectorisers": self.vectorisers,
             "classifier": self.classifier, "temperature": self.temperature},
            directory / MODEL_FILE,
        )

    @classmethod
    def load(cls, directory: Path) -> RouterModel:
        """Read a model written by :meth:`save`."""
        import joblib

        state = joblib.load(directory / MODEL_FILE)
        return cls(
            settings=state["settings"], vectorisers=state["vectorisers"],
            classifier=state["classifier"], temperature=float(state["temperature"]),
        )


def _new_classifier(settings: RouterSettings) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=settings.c, max_iter=2000, random_state=settings.seed)


def _fit_one(settings: RouterSettings, features: Any, y: np.ndarray,
             rows: Optional[np.ndarray]) -> Any:
    if rows is None:
        return _new_classifier(settings).fit(features, y)
    return _new_classifier(settings).fit(features[rows], y[rows])


def _fit_all(settings: RouterSettings, features: Any, y: np.ndarray,
             rows: Sequence[Optional[np.ndarray]]) -> List[Any]:
    """One classifier per row selection (None: all rows), fitted on every core.

    The fits hold the interpreter lock, so they run in processes: on two cores the router
    trains in about 60 % of the time.
    """
    from joblib import Parallel, delayed

    jobs = max(1, min(len(rows), os.cpu_count() or 1))
    return list(Parallel(n_jobs=jobs)(delayed(_fit_one)(settings, features, y, r) for r in rows))


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _log_loss(logits: np.ndarray, truth: np.ndarray) -> float:
    probs = _softmax(logits)
    return float(-np.mean(np.log(np.maximum(probs[np.arange(len(truth)), truth], 1e-12))))
