"""Parsing speed and memory of the fetchers' parsers (issue 4).

- OAI-PMH: a ~100 MB ``ListRecords`` answer in the arXivRaw format, made by
  repeating the records of the recorded answer in tests/fixtures with
  new ids (replicated data), parsed by ``OaiReader`` streaming from the file;
  baseline in the same run: ElementTree parsing the whole file into a tree.
  Each parse runs in a fresh process so its peak memory (VmHWM) is its own.
- Hugging Face: the recorded ``/api/daily_papers`` answers, items parsed by
  ``parse_daily_papers_item``; baseline: ``json.loads`` alone.

    .venv/bin/python bench/parse_speed.py [--megabytes 100] [--write-doc]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchlib  # noqa: E402

FIXTURES = benchlib.FIXTURES_DIR
RAW_PAGE = FIXTURES / "arxiv-oai-pmh" / "ListRecords_arXivRaw_from-2014-10-01_with-resumptionToken_TRIMMED_2015.xml"
HF_DAYS = sorted((FIXTURES / "hf_daily_papers_api").glob("*.json"))


def make_oai_file(path: Path, megabytes: int) -> int:
    """Write a ListRecords answer of about ``megabytes`` MB; returns how many records it holds."""
    text = RAW_PAGE.read_text()
    head, rest = text.split("<record>", 1)
    records = ["<record>" + part.split("</record>", 1)[0] + "</record>\n" for part in ("<record>" + rest).split("<record>")[1:]]
    tail = text[text.rindex("</record>") + len("</record>"):]
    count = 0
    with path.open("w") as file:
        file.write(head)
        while file.tell() < megabytes * 10**6:
            for record in records:
                count += 1
                new_id = f"{1000 + count // 100000:04d}.{count % 100000:05d}"
                file.write(re.sub(r"<id>[^<]+</id>", f"<id>{new_id}</id>", record, count=1))
        file.write(tail)
    return count


def child(kind: str, path: str) -> None:
    """Runs in a fresh process: parse, then print seconds, items and peak memory."""
    started = time.perf_counter()
    if kind == "oai-stream":
        from paperfeed.sources.arxiv_oai import OaiReader

        with open(path, "rb") as file:
            reader = OaiReader(file)
            items = sum(1 for _ in reader)
            assert reader.broken is None and not reader.problems, (reader.broken, reader.problems[:3])
    elif kind == "oai-tree":
        import xml.etree.ElementTree as ElementTree

        items = len(ElementTree.parse(path).getroot().findall(".//{http://www.openarchives.org/OAI/2.0/}record"))
    else:
        from paperfeed.sources.hf import parse_daily_papers_item

        items = 0
        for _ in range(int(kind.split(":")[1])):
            for day in HF_DAYS:
                data = json.loads(day.read_bytes())
                if kind.startswith("hf-parse"):
                    for item in data:
                        parse_daily_papers_item(item)
                items += len(data)
    seconds = time.perf_counter() - started
    peak = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines()
                if line.startswith("VmHWM:")) / 1024
    print(json.dumps({"seconds": seconds, "items": items, "peak_mib": peak}))


def run(kind: str, path: str = "") -> dict:
    output = subprocess.run([sys.executable, __file__, "--child", kind, path], capture_output=True, text=True,
                            check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--megabytes", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write-doc", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.child:
        child(*arguments.child)
        return
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "listrecords.xml"
        records = make_oai_file(path, arguments.megabytes)
        size_mb = path.stat().st_size / 10**6
        results = {kind: [run(kind, str(path)) for _ in range(arguments.runs)] for kind in ("oai-stream", "oai-tree")}
    repeat = 200
    results["hf-json:" + str(repeat)] = [run(f"hf-json:{repeat}") for _ in range(arguments.runs)]
    results["hf-parse:" + str(repeat)] = [run(f"hf-parse:{repeat}") for _ in range(arguments.runs)]

    def row(name: str, kind: str, unit: str) -> list:
        runs = results[kind]
        seconds = benchlib.median([r["seconds"] for r in runs])
        return [name, f"{runs[0]['items']:,} {unit}", f"{seconds:.2f}", f"{runs[0]['items'] / seconds:,.0f}",
                f"{max(r['peak_mib'] for r in runs):,.0f}"]

    rows = [
        row("OAI-PMH, paperfeed's streaming parser (records into papers)", "oai-stream", "records"),
        row("baseline: ElementTree builds the whole tree (no record parsing)", "oai-tree", "records"),
        row("Hugging Face items, paperfeed's parser (json.loads included)", f"hf-parse:{repeat}", "items"),
        row("baseline: json.loads alone", f"hf-json:{repeat}", "items"),
    ]
    section = "\n\n".join([
        f"### Parsing fetched data\n\n`{benchlib.shown_command('bench/parse_speed.py', argv)}`",
        f"Machine: {benchlib.machine_line()}",
        f"OAI-PMH: one {size_mb:,.0f} MB ListRecords answer of {records:,} arXivRaw records (the recorded answer's "
        f"records repeated with new ids: replicated data), read from disk. Hugging Face: the {len(HF_DAYS)} recorded "
        f"daily answers, {repeat} times. Median of {arguments.runs} runs, each in a fresh process; memory is that "
        "process's peak RSS.",
        benchlib.markdown_table(["parse", "items", "median s", "items/s", "peak RSS MiB"], rows),
    ])
    print(section)
    if arguments.write_doc:
        benchlib.write_doc_section("parse-speed", section)


if __name__ == "__main__":
    main()
