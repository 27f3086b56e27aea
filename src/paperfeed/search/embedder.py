"""Text embeddings with a transformer encoder in ONNX, run by onnxruntime (no PyTorch).

The model's files come from an installed Python package (never a model hub)
or from a local directory named in settings; the weights' SHA-256 is checked
when the model loads, so the vectors on disk always match the model in use.
Pooling follows the model card (mean over tokens, or the [CLS] token), and
vectors are L2-normalised so cosine similarity is a dot product.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from paperfeed.errors import ConfigError
from paperfeed.search.onnxruntime_setup import quiet_onnxruntime
from paperfeed.search.vectors import ModelIdentity


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Where a model's files are and how to use them."""

    name: str
    package: str | None  # the Python package holding the files, or None for a local directory
    model_file: str  # relative to the package (or directory)
    tokenizer_file: str
    sha256: str | None  # expected SHA-256 of model_file; None: computed and trusted (local models)
    dimension: int
    pooling: str = "mean"  # "mean" or "cls"
    query_prefix: str = ""
    document_prefix: str = ""
    max_tokens: int = 256


class Embedder:
    """Turns texts into unit vectors with one ONNX model."""

    chunk_size = 256  # papers the indexer hands over at a time

    def __init__(self, spec: ModelSpec, *, directory: Path | None = None, threads: int = 2,
                 providers: Sequence[str] = ("CPUExecutionProvider",)) -> None:
        onnxruntime = quiet_onnxruntime()
        from tokenizers import Tokenizer

        base = directory or package_directory(spec)
        model_path, tokenizer_path = base / spec.model_file, base / spec.tokenizer_file  # absolute stays absolute
        if not model_path.is_file() or not tokenizer_path.is_file():
            raise ConfigError(f"embedding model files not found: {model_path} and {tokenizer_path}")
        digest = file_sha256(model_path)
        if spec.sha256 and digest != spec.sha256:
            raise ConfigError(f"the embedding model {model_path} has SHA-256 {digest}, expected {spec.sha256}; "
                              "reinstall the package or point PAPERFEED_EMBEDDING_MODEL_DIR elsewhere")
        self.spec = spec
        self.identity = ModelIdentity(spec.name, digest, spec.dimension)
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(model_path), options, providers=list(providers))
        self.input_names = {item.name for item in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(spec.max_tokens)
        self.tokenizer.enable_padding()

    def embed_documents(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        """Vectors for documents (title + abstract), shape (len(texts), dimension)."""
        return self._embed([self.spec.document_prefix + text for text in texts], batch_size)

    def embed_query(self, text: str) -> np.ndarray:
        """The vector of one search query."""
        return self._embed([self.spec.query_prefix + text], 1)[0]

    def _embed(self, texts: list[str], batch_size: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.spec.dimension), dtype=np.float32)
        # Sorting by length keeps padding (wasted work) small; the order is restored at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), self.spec.dimension), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            vectors[chosen] = self._embed_batch([texts[i] for i in chosen])
        return vectors

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = self.session.run(None, feed)[0]
        if self.spec.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


def package_directory(spec: ModelSpec) -> Path:
    found = importlib.util.find_spec(spec.package) if spec.package else None
    if found is None or not found.submodule_search_locations:
        raise ConfigError(f"the embedding model package {spec.package!r} is not installed")
    return Path(next(iter(found.submodule_search_locations)))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(2**20), b""):
            digest.update(chunk)
    return digest.hexdigest()
