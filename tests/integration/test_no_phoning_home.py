"""No network at run time but the sources the user configures. onnxruntime, which runs the
embedding model, ships Microsoft's telemetry client in its Linux wheels: a process that held a
model for about 15 seconds posted usage events to mobile.events.data.microsoft.com (through the
configured proxy; this test caught 3 in 25 seconds before paperfeed turned it off). Every proxy
variable points at a trap here, so any request for another host shows up in it."""

import os
import subprocess
import sys

from tests.proxy_trap import ProxyTrap

EMBED_AND_WAIT = """
import time
from paperfeed.search.embedding_models import load_embedder
embedder = load_embedder()
embedder.embed_query("speculative decoding")
embedder.embed_documents(["Reusing rejected draft tokens. We verify them later."] * 40)
time.sleep(25)
"""


def test_embedding_papers_reaches_no_other_host():
    trap = ProxyTrap()
    try:
        environment = {name: value for name, value in os.environ.items()
                       if not name.lower().endswith("_proxy") and not name.startswith("ORT_")}
        for name in ("http_proxy", "https_proxy", "all_proxy"):
            environment[name] = environment[name.upper()] = trap.url
        subprocess.run([sys.executable, "-c", EMBED_AND_WAIT], env=environment, check=True, timeout=180)
    finally:
        trap.close()
    assert trap.requests == []
