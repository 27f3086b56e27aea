"""GPU bulk embedding: throughput and agreement with the CPU path (issue 3, `paperfeed index --device cuda`).

Runs where a CUDA GPU and PyTorch are (the device machine); reads papers as
JSON Lines (``{"id", "title", "abstract"}`` or ``[id, text]`` pairs; gzip or xz),
embeds them with :class:`paperfeed.search.torch_embedder.TorchEmbedder`
(the code `paperfeed index --device cuda` runs) and reports:

- end-to-end throughput (texts in memory -> unit vectors in host memory,
  tokenisation included), median of ``--runs`` runs after a warm-up;
- tokenisation alone on all host cores, for comparison;
- cosine similarity with the CPU path (onnxruntime, the same ONNX file) on a
  random sample: the acceptance check is a minimum above 0.999.

With ``--vectors-out DIR`` it also writes the vectors, int8-quantised per row
(``scale = max|v| / 127``), in files small enough to bring back, for the
search-speed benchmark at 264k and 1M papers.

    python bench/gpu_embed.py --model-dir DIR --corpus part0.jsonl.xz --out OUT

``--write-parts DIR`` (run here) writes the three corpora as ``--parts`` xz
files of ``[id, text]`` pairs, each small enough to carry to the GPU machine.
(The parts measured in docs/benchmarks.md held ``title + "\n" + abstract``
with abstracts cut at 1,600 characters, not yet ``embedding_text``; the model
reads at most 256 tokens either way.)

``--summarize FILE...`` (run anywhere) adds up the per-part results of a
corpus split into parts (the device machine takes 64 MiB of data per call)
and, with ``--write-doc``, writes them to docs/benchmarks.md.

``--compare-index DATA_DIR`` instead checks an index built by
``paperfeed index --rebuild --device cuda`` over the bundled sample against
the sample's precomputed vectors (made on the CPU).
"""

from __future__ import annotations

import argparse
import gzip
import json
import lzma
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from paperfeed.search import torch_embedder  # noqa: E402
from paperfeed.search.documents import embedding_text  # noqa: E402
from paperfeed.search.embedder import Embedder  # noqa: E402
from paperfeed.search.embedding_models import MINILM  # noqa: E402
from paperfeed.search.torch_embedder import TorchEmbedder  # noqa: E402

ROWS_PER_FILE = 40_000  # 40,000 x 384 int8 = 15 MB, under the 16 MiB a returned file may have


def read_papers(path: Path) -> tuple[list[str], list[str]]:
    opener = lzma.open if path.suffix == ".xz" else gzip.open if path.suffix == ".gz" else open
    ids, texts = [], []
    with opener(path, "rt", encoding="utf-8") as file:
        for line in file:
            record = json.loads(line)
            if isinstance(record, list):
                paper_id, text = record
            else:
                paper_id, text = record["id"], embedding_text(record.get("title") or "", record.get("abstract") or "")
            ids.append(paper_id)
            texts.append(text)
    return ids, texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, nargs="+")
    parser.add_argument("--compare-index", type=Path, default=None, metavar="DATA_DIR")
    parser.add_argument("--summarize", type=Path, nargs="+", metavar="RESULT_JSON")
    parser.add_argument("--index-check", type=Path, default=None, help="with --summarize: --compare-index's output")
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--write-parts", type=Path, default=None, metavar="DIR")
    parser.add_argument("--parts", type=int, default=4)
    parser.add_argument("--model-dir", type=Path, default=None, help="directory holding model.onnx (default: the package)")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--check", type=int, default=512, help="texts compared with the CPU path")
    parser.add_argument("--tokens-per-batch", type=int, nargs="+", default=[torch_embedder.TOKENS_PER_BATCH])
    parser.add_argument("--vectors-out", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args()
    if args.compare_index:
        compare_index_with_sample(args.compare_index)
        return
    if args.write_parts:
        write_parts(args.write_parts, args.parts)
        return
    if args.summarize:
        summarize(args.summarize, args.index_check, write_doc=args.write_doc)
        return
    if not args.corpus:
        parser.error("--corpus is required")

    import torch

    ids, texts = [], []
    for path in args.corpus:
        more_ids, more_texts = read_papers(path)
        ids += more_ids
        texts += more_texts
    result: dict = {"papers": len(texts), "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu",
                    "torch": torch.__version__, "host_cores": os.cpu_count()}
    started = time.perf_counter()
    gpu = TorchEmbedder(MINILM, directory=args.model_dir, device=args.device)
    result["load_seconds"] = round(time.perf_counter() - started, 2)
    gpu.embed_documents(texts[:20_000])  # warm-up: CUDA context, kernels, allocator, tokenizer processes

    started = time.perf_counter()
    encodings = gpu.tokenizer.encode_batch_fast(texts)  # all host cores (Rust threads)
    result["tokenize_per_second"] = round(len(texts) / (time.perf_counter() - started))
    lengths = np.array([len(encoding.ids) for encoding in encodings])
    result["tokens_mean"] = round(float(lengths.mean()), 1)
    del encodings

    by_budget = {}
    vectors = None
    for budget in args.tokens_per_batch:
        gpu.tokens_per_batch = budget
        seconds = []
        for _ in range(args.runs):
            torch.cuda.synchronize() if args.device.startswith("cuda") else None
            started = time.perf_counter()
            vectors = gpu.embed_documents(texts)
            seconds.append(time.perf_counter() - started)
        by_budget[budget] = {"median_seconds": round(statistics.median(seconds), 3),
                             "per_second": round(len(texts) / statistics.median(seconds)),
                             "runs": [round(s, 3) for s in seconds]}
        print(f"{budget} tokens/batch: {by_budget[budget]}", flush=True)
    result["end_to_end"] = by_budget
    result["breakdown"] = breakdown(gpu, texts, torch)
    result["peak_gpu_memory_mib"] = (round(torch.cuda.max_memory_allocated() / 2**20)
                                     if args.device.startswith("cuda") else None)

    rng = np.random.default_rng(0)
    sample = rng.choice(len(texts), size=min(args.check, len(texts)), replace=False)
    cpu = Embedder(MINILM, directory=args.model_dir, threads=os.cpu_count() or 2)
    reference = cpu.embed_documents([texts[i] for i in sample])
    cosines = (reference * vectors[sample]).sum(axis=1)
    result["cosine_vs_cpu"] = {"sample": len(sample), "min": round(float(cosines.min()), 6),
                               "mean": round(float(cosines.mean()), 6)}
    print(json.dumps(result, indent=2), flush=True)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "gpu_embed.json").write_text(json.dumps(result, indent=2))
    if args.vectors_out:
        write_quantized(args.vectors_out, ids, vectors)


def breakdown(gpu: TorchEmbedder, texts: list[str], torch) -> dict:
    """The two halves of the pipeline timed alone: tokenising into padded batches (host),
    and the model on pre-made batches (GPU)."""
    started = time.perf_counter()
    batches = list(gpu._tokenized_batches(texts))
    tokenize_seconds = time.perf_counter() - started
    host = [torch.from_numpy(ids) for _, ids in batches]
    synchronize = torch.cuda.synchronize if gpu.device.type == "cuda" else (lambda: None)
    synchronize()
    started = time.perf_counter()
    with torch.inference_mode():
        for tokens in host:
            gpu.model(tokens.to(gpu.device))
    synchronize()
    model_seconds = time.perf_counter() - started
    padded = sum(ids.size for _, ids in batches)
    return {"tokenize_per_second": round(len(texts) / tokenize_seconds), "model_per_second": round(len(texts) / model_seconds),
            "batches": len(batches), "padding_share": round(1 - sum(int((ids != 0).sum()) for _, ids in batches) / padded, 4)}


def write_parts(directory: Path, parts: int) -> None:
    """The corpora as ``parts`` xz files of ``[id, embedding text]`` lines."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import benchlib

    lines = []
    for path in benchlib.CORPORA:
        ids, texts = read_papers(path)
        lines += [json.dumps([paper_id, text]) for paper_id, text in zip(ids, texts, strict=True)]
    directory.mkdir(parents=True, exist_ok=True)
    for part in range(parts):
        chunk = lines[part * len(lines) // parts : (part + 1) * len(lines) // parts]
        with lzma.open(directory / f"corpus{part}.jsonl.xz", "wt", preset=9) as file:
            file.write("\n".join(chunk) + "\n")


def summarize(paths: list[Path], index_check: Path | None, *, write_doc: bool) -> None:
    """One table for a corpus measured in parts: throughput = papers / sum of median seconds."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import benchlib

    parts = [json.loads(path.read_text()) for path in paths]
    rows, papers, seconds = [], 0, 0.0
    for path, part in zip(paths, parts, strict=True):
        (budget, timing), = list(part["end_to_end"].items())[-1:]
        papers += part["papers"]
        seconds += timing["median_seconds"]
        rows.append([path.stem, f"{part['papers']:,}", f"{timing['per_second']:,}",
                     f"{part['breakdown']['model_per_second']:,}", f"{part['breakdown']['tokenize_per_second']:,}",
                     f"{part['tokenize_per_second']:,}", f"{part['cosine_vs_cpu']['min']:.6f}"])
    rows.append(["all", f"{papers:,}", f"**{papers / seconds:,.0f}**", "", "", "", ""])
    first = parts[0]
    check = json.loads(index_check.read_text()) if index_check else None
    section = "\n\n".join(filter(None, [
        "### GPU bulk embedding (`paperfeed index --device cuda`)",
        "`python3 bench/gpu_embed.py --model-dir DIR --corpus partN.jsonl.xz --runs 3 --check 256 --out OUT` on the "
        f"device machine ({first['device']}, {first['host_cores']} host cores, PyTorch {first['torch']}), once per "
        "quarter of the 263,901 corpus papers (64 MiB of data travel per call); summed with "
        f"`{benchlib.shown_command('bench/gpu_embed.py', sys.argv[1:])}`.",
        "End to end = texts in memory to unit vectors in host memory, tokenisation included, median of 3 runs after a "
        "warm-up. *Model alone* = the forward passes on pre-tokenised batches; *tokenise + batch* = the host half "
        "alone; *tokenizer alone* = the Rust tokenizer's `encode_batch_fast` on all host cores, nothing else.",
        benchlib.markdown_table(["part", "papers", "end to end /s", "model alone /s", "tokenise + batch /s",
                                 "tokenizer alone /s", "min cosine vs CPU (256 papers)"], rows),
        f"Mean tokens per abstract {first['tokens_mean']} (cut at 256); padding {first['breakdown']['padding_share']:.1%} "
        f"of the tokens; peak GPU memory {first['peak_gpu_memory_mib']:,} MiB.",
        (f"`paperfeed index --rebuild --device cuda` over the bundled sample on the same machine: "
         f"{check['compared']:,} vectors, cosine with the shipped CPU vectors min {check['min']}, mean {check['mean']}, "
         f"{check['below_0.999']} below 0.999.") if check else "",
        "Target 20,000 abstracts/s end to end: **not met** (about 12,700/s). The GPU is not the limit (model alone "
        "35,000–38,600/s); the host is: the tokenizer manages about 2,100 abstracts/s per core on that machine's "
        "CPUs (the issue's 8,100/s per core was not reproduced there) and turning its output into arrays holds "
        "Python's lock. A process pool of 15 tokenizer workers measured no better (12,500/s on the same quarter).",
    ]))
    print(section)
    if write_doc:
        benchlib.write_doc_section("gpu-embed", section)


def compare_index_with_sample(data_dir: Path) -> None:
    """Cosine between the vectors in ``data_dir``'s index and the sample's CPU-made vectors."""
    from paperfeed.sample import precomputed_vectors
    from paperfeed.search.embedder import package_directory, file_sha256

    reference = precomputed_vectors(MINILM.name, file_sha256(package_directory(MINILM) / MINILM.model_file))
    directory = data_dir / "index" / "vectors"
    papers = json.loads((directory / "papers.json").read_text())
    matrix = np.load(directory / "vectors.npy").astype(np.float32)
    cosines = np.array([float(matrix[row] @ reference[key]) for row, key in
                        enumerate(zip(papers["ids"], papers["text_hashes"])) if key in reference])
    print(json.dumps({"compared": len(cosines), "of": len(papers["ids"]), "min": round(float(cosines.min()), 6),
                      "mean": round(float(cosines.mean()), 6),
                      "below_0.999": int((cosines <= 0.999).sum())}))


def write_quantized(directory: Path, ids: list[str], vectors: np.ndarray) -> None:
    """Row-wise symmetric int8: ``v ≈ q * scale`` with ``scale = max|v| / 127``."""
    directory.mkdir(parents=True, exist_ok=True)
    scales = np.abs(vectors).max(axis=1, keepdims=True) / 127.0
    quantized = np.round(vectors / np.maximum(scales, 1e-12)).astype(np.int8)
    for part, start in enumerate(range(0, len(ids), ROWS_PER_FILE)):
        np.save(directory / f"q{part}.npy", quantized[start : start + ROWS_PER_FILE])
    np.save(directory / "scales.npy", scales.astype(np.float32))
    (directory / "ids.json").write_text(json.dumps(ids))


if __name__ == "__main__":
    main()
