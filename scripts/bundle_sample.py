#!/usr/bin/env python3
"""Copy the demo sample (Hugging Face Daily Papers archive) into the package.

Source: hf_daily_papers.jsonl.gz in the folder of the data corpora, PAPERFEED_BENCH_DATA
(default bench/data; see that folder's README for provenance), or the file given as argument.
Target: src/paperfeed/sample/hf_daily_papers.jsonl.gz, with its SHA-256 in
src/paperfeed/sample/hf_daily_papers.jsonl.gz.sha256 so the loader can tell
whether an instance already holds this exact sample.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path(os.environ.get("PAPERFEED_BENCH_DATA") or ROOT / "bench" / "data") / "hf_daily_papers.jsonl.gz"
TARGET = ROOT / "src" / "paperfeed" / "sample" / "hf_daily_papers.jsonl.gz"


def main() -> int:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    if not source.is_file():
        print(f"sample source not found: {source}", file=sys.stderr)
        return 1
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, TARGET)
    digest = hashlib.sha256(TARGET.read_bytes()).hexdigest()
    TARGET.with_name(TARGET.name + ".sha256").write_text(f"{digest}  {TARGET.name}\n")
    print(f"copied {source} -> {TARGET.relative_to(ROOT)} ({TARGET.stat().st_size:,} bytes, sha256 {digest[:12]}…)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
