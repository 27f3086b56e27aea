"""`paperfeed index --device cuda`: the PyTorch path gives the ONNX path's vectors; without
PyTorch or a GPU the command says what is missing. (Its speed is measured on a GPU machine
by bench/gpu_embed.py; CI has no GPU.)"""

import importlib.util

import numpy as np
import pytest

from tests.conftest import write_jsonl
from tests.integration.test_cli import run_cli
from tests.integration.test_semantic_search import PAPERS

HAS_TORCH = importlib.util.find_spec("torch") is not None and importlib.util.find_spec("onnx") is not None


@pytest.mark.skipif(HAS_TORCH, reason="PyTorch is installed: the missing-PyTorch message cannot be shown")
def test_index_on_cuda_without_pytorch_says_how_to_get_it(tmp_path):
    run_cli("ingest", str(write_jsonl(tmp_path / "p.jsonl", PAPERS)), data_dir=tmp_path, check_rc=0)
    result = run_cli("index", "--device", "cuda", data_dir=tmp_path, check_rc=1)
    assert "needs PyTorch with CUDA: pip install torch onnx" in result.stderr and "Traceback" not in result.stderr
    result = run_cli("index", "--device", "tpu", data_dir=tmp_path, check_rc=1)
    assert "unknown device 'tpu'" in result.stderr


@pytest.mark.skipif(not HAS_TORCH, reason="needs PyTorch and onnx (pip install torch onnx)")
def test_pytorch_encoder_matches_the_onnx_model():
    from paperfeed.search.documents import embedding_text
    from paperfeed.search.embedding_models import MINILM, load_embedder
    from paperfeed.search.torch_embedder import TorchEmbedder

    texts = [embedding_text(p["title"], p["abstract"]) for p in PAPERS] + ["", "x " * 600]
    reference = load_embedder().embed_documents(texts)
    vectors = TorchEmbedder(MINILM, device="cpu").embed_documents(texts)
    assert np.min(np.sum(reference * vectors, axis=1)) > 0.999
