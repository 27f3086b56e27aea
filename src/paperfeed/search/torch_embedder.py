"""Bulk embedding on a GPU with PyTorch, producing the same vectors as the ONNX path.

``paperfeed index --device cuda`` re-indexes a large corpus (all of arXiv) in
minutes instead of days. The weights are read from the very ONNX file the CPU
path runs (same package, same SHA-256), so the vectors are interchangeable
and the store keeps one model identity; they agree with the CPU path to a
cosine above 0.999 (bench/gpu_embed.py measures it).

The encoder is BERT (Devlin et al. 2019), written out here in a few lines:
embeddings → LayerNorm → N × [self-attention, Add & LayerNorm, GELU
feed-forward, Add & LayerNorm] → mean pooling over real tokens → L2
normalisation, as sentence-transformers' all-MiniLM-L6-v2. It runs in fp16.

Throughput comes from keeping the GPU busy: a thread tokenises the next chunk
of texts (the Rust tokenizer uses every host core and releases the GIL)
while the GPU encodes the current one; each chunk is sorted by length and
packed into padded batches by a token budget, so almost no work is spent on
padding (3% of tokens on arXiv abstracts). On the H200 machine measured
(bench/gpu_embed.py) the model alone runs at about 38,000 abstracts/s and
tokenising on its 16 host cores is the limit.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from paperfeed.errors import ConfigError
from paperfeed.search.embedder import ModelSpec, file_sha256
from paperfeed.search.vectors import ModelIdentity

TOKENS_PER_BATCH = 65_536  # padded tokens per forward pass
TOKENIZE_CHUNK = 4_096  # texts tokenised, sorted and batched together
LAYER_NORM_EPS = 1e-12
ROLES = ("query", "key", "value", "attention_output", "intermediate", "output")
# The bias each projection's MatMul output is added to, by role (Hugging Face BERT names).
BIAS_SUFFIXES = {
    "attention.self.query.bias": "query", "attention.self.key.bias": "key",
    "attention.self.value.bias": "value", "attention.output.dense.bias": "attention_output",
    "intermediate.dense.bias": "intermediate", "output.dense.bias": "output",
}


def import_torch():
    """PyTorch, or a clear error saying how to get it."""
    try:
        import torch
    except ImportError:
        raise ConfigError("--device cuda needs PyTorch with CUDA: pip install torch onnx "
                          "(or index on the CPU, without --device)") from None
    return torch


class TorchEmbedder:
    """Embeds documents with PyTorch on ``device`` ("cuda", "cuda:1" or "cpu")."""

    chunk_size = 65_536  # papers the indexer hands over at a time: large, to keep the GPU fed

    def __init__(self, spec: ModelSpec, *, directory: Path | None = None, device: str = "cuda",
                 attention_heads: int = 12) -> None:
        from tokenizers import Tokenizer

        from paperfeed.search.embedder import package_directory

        torch = import_torch()
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ConfigError(f"--device {device}: PyTorch {torch.__version__} sees no CUDA GPU")
        base = directory or package_directory(spec)
        model_path, tokenizer_path = base / spec.model_file, base / spec.tokenizer_file
        if not model_path.is_file() or not tokenizer_path.is_file():
            raise ConfigError(f"embedding model files not found: {model_path} and {tokenizer_path}")
        digest = file_sha256(model_path)
        if spec.sha256 and digest != spec.sha256:
            raise ConfigError(f"the embedding model {model_path} has SHA-256 {digest}, expected {spec.sha256}")
        self.spec = spec
        self.identity = ModelIdentity(spec.name, digest, spec.dimension)
        self.device = torch.device(device)
        self.dtype = torch.float16 if self.device.type == "cuda" else torch.float32
        self.model = _Bert(bert_weights_from_onnx(model_path), attention_heads, self.device, self.dtype)
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(spec.max_tokens)
        self.tokens_per_batch = TOKENS_PER_BATCH

    def embed_documents(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        """Unit vectors for documents, shape (len(texts), dimension), float32 on the host."""
        torch = import_torch()
        texts = [self.spec.document_prefix + text for text in texts]
        results, rows = [], []
        with torch.inference_mode():
            for batch_rows, token_ids in self._tokenized_batches(texts):
                results.append(self.model(torch.from_numpy(token_ids).to(self.device)))
                rows.append(batch_rows)
            if not results:
                return np.zeros((0, self.spec.dimension), dtype=np.float32)
            computed = torch.cat(results).float().cpu().numpy()
        vectors = np.empty_like(computed)
        vectors[np.concatenate(rows)] = computed
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        ids = self.tokenizer.encode(self.spec.query_prefix + text).ids
        torch = import_torch()
        with torch.inference_mode():
            tokens = torch.tensor([ids], dtype=torch.int32, device=self.device)
            return self.model(tokens).float().cpu().numpy()[0]

    def _tokenized_batches(self, texts: list[str]) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(rows, padded token ids)`` batches, tokenised by a thread one chunk ahead of the GPU."""
        chunks = (_tokenize_chunk(self.tokenizer, texts[start : start + TOKENIZE_CHUNK], start, self.tokens_per_batch)
                  for start in range(0, len(texts), TOKENIZE_CHUNK))
        for chunk_batches in _prefetched(chunks):
            yield from chunk_batches


def _prefetched(items: Iterator, depth: int = 2) -> Iterator:
    """Iterate ``items``, computed ahead in a thread (the tokenizer releases the GIL)."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    done = object()

    def produce() -> None:
        try:
            for item in items:
                buffer.put(item)
        except BaseException as error:  # handed to the consumer, raised there
            buffer.put(error)
        buffer.put(done)

    threading.Thread(target=produce, daemon=True).start()
    while (item := buffer.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


def _tokenize_chunk(tokenizer, texts: list[str], first_row: int, budget: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Tokenise ``texts``, sort them by length and cut them into padded batches of at most
    ``budget`` tokens: ``[(rows, int32 ids of shape (n, width))]``; padding is id 0."""
    encodings = tokenizer.encode_batch_fast(texts)  # on all host cores; releases the GIL
    ids = [encoding.ids for encoding in encodings]
    lengths = np.fromiter((len(item) for item in ids), dtype=np.int64, count=len(ids))
    order = np.argsort(lengths, kind="stable")
    batches = []
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and (end - start + 1) * lengths[order[end]] <= budget:
            end += 1
        chosen = order[start:end]
        width = max(int(lengths[chosen[-1]]), 1)
        padded = np.zeros((len(chosen), width), dtype=np.int32)
        for row, i in enumerate(chosen):
            padded[row, : lengths[i]] = ids[i]
        batches.append((chosen + first_row, padded))
        start = end
    return batches


class _Bert:
    """A BERT encoder with mean pooling, from a dict of numpy weights (see :func:`bert_weights_from_onnx`)."""

    def __init__(self, weights: dict, heads: int, device, dtype) -> None:
        torch = import_torch()

        def tensor(array: np.ndarray):
            return torch.from_numpy(np.array(array, dtype=np.float32)).to(device, dtype)

        self.torch, self.heads = torch, heads
        self.embeddings = {name: tensor(weights[name]) for name in ("word", "position", "token_type", "ln_weight", "ln_bias")}
        # Projections as (out, in) matrices for ``linear``, which adds the bias inside the matrix product.
        self.layers = [{name: tensor(array.T if name.endswith("_w") else array) for name, array in layer.items()}
                       for layer in weights["layers"]]

    def __call__(self, tokens):
        """Unit vectors for a batch of token ids (int, padded with 0, BERT's [PAD])."""
        torch, functional = self.torch, self.torch.nn.functional
        e = self.embeddings
        width = tokens.shape[1]
        mask = tokens != 0
        x = e["word"][tokens.long()] + e["position"][:width] + e["token_type"][0]
        x = functional.layer_norm(x, x.shape[-1:], e["ln_weight"], e["ln_bias"], LAYER_NORM_EPS)
        attention_mask = mask[:, None, None, :]
        for w in self.layers:
            x = self._layer(x, w, attention_mask, functional)
        weights = mask.unsqueeze(-1).to(torch.float32)
        pooled = (x.float() * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
        return functional.normalize(pooled, dim=-1)

    def _layer(self, x, w, attention_mask, functional):
        batch, width, hidden = x.shape

        def heads(t):
            return t.view(batch, width, self.heads, hidden // self.heads).transpose(1, 2)

        def linear(t, role):
            return functional.linear(t, w[f"{role}_w"], w[f"{role}_b"])

        q, k, v = (heads(linear(x, role)) for role in ("query", "key", "value"))
        context = functional.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask)
        context = context.transpose(1, 2).reshape(batch, width, hidden)
        x = functional.layer_norm(x + linear(context, "attention_output"), (hidden,),
                                  w["attention_ln_weight"], w["attention_ln_bias"], LAYER_NORM_EPS)
        inner = functional.gelu(linear(x, "intermediate"))  # erf GELU, as BERT
        return functional.layer_norm(x + linear(inner, "output"), (hidden,),
                                     w["output_ln_weight"], w["output_ln_bias"], LAYER_NORM_EPS)


def bert_weights_from_onnx(path: Path) -> dict:
    """The weights of a BERT encoder exported to ONNX (plain or weight-only int8), as numpy arrays.

    Weight-only quantised exports store ``W = cast(W_q) * scale``; those
    constant Cast/Mul nodes are evaluated here. Each projection is recognised
    by the bias its MatMul output is added to (``...layer.3.attention.self.query.bias``).
    """
    try:
        import onnx
        from onnx import numpy_helper
    except ImportError:
        raise ConfigError("--device cuda needs the onnx package to read the model's weights: pip install onnx") from None
    graph = onnx.load(str(path)).graph
    values = {item.name: numpy_helper.to_array(item) for item in graph.initializer}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
        if node.op_type in ("Cast", "Mul") and node.input and all(name in values for name in node.input):
            inputs = [values[name] for name in node.input]
            values[node.output[0]] = (inputs[0].astype(np.float32) if node.op_type == "Cast"
                                      else inputs[0] * inputs[1])
    layers: dict[int, dict[str, np.ndarray]] = {}
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in values:
            continue
        for add in consumers.get(node.output[0], []):
            bias = next((name for name in add.input if name in values and name != node.output[0]), None)
            role, layer = _role_of_bias(bias) if add.op_type == "Add" and bias else (None, None)
            if role:
                layers.setdefault(layer, {})[f"{role}_w"] = values[node.input[1]]
                layers[layer][f"{role}_b"] = values[bias]

    def find(suffix: str) -> np.ndarray:
        found = [name for name in values if name.endswith(suffix)]
        if len(found) != 1:
            raise ConfigError(f"{path}: not a BERT encoder this GPU path can read (no single '{suffix}')")
        return values[found[0]]

    for number, layer in layers.items():
        prefix = f"encoder.layer.{number}."
        for norm, suffix in (("attention_ln", "attention.output.LayerNorm"), ("output_ln", "output.LayerNorm")):
            layer[f"{norm}_weight"] = find(f"{prefix}{suffix}.weight")
            layer[f"{norm}_bias"] = find(f"{prefix}{suffix}.bias")
    if not layers or any(len(layers[n]) != 2 * len(ROLES) + 4 for n in layers) or sorted(layers) != list(range(len(layers))):
        raise ConfigError(f"{path}: not a BERT encoder this GPU path can read (projections not found)")
    return {
        "word": find("embeddings.word_embeddings.weight"), "position": find("embeddings.position_embeddings.weight"),
        "token_type": find("embeddings.token_type_embeddings.weight"),
        "ln_weight": find("embeddings.LayerNorm.weight"), "ln_bias": find("embeddings.LayerNorm.bias"),
        "layers": [layers[n] for n in sorted(layers)],
    }


def _role_of_bias(name: str) -> tuple[str | None, int | None]:
    marker = "encoder.layer."
    if marker not in name:
        return None, None
    number, _, rest = name.split(marker, 1)[1].partition(".")
    role = BIAS_SUFFIXES.get(rest)
    return (role, int(number)) if role and number.isdigit() else (None, None)
