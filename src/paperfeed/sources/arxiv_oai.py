"""arXiv's OAI-PMH interface: ListRecords pages in the ``arXivRaw`` (preferred) or ``arXiv`` format.

OAI-PMH 2.0 (https://www.openarchives.org/OAI/openarchivesprotocol.html): a
ListRecords answer holds up to ~1,000 ``<record>`` elements and, when more
remain, a ``<resumptionToken>`` to ask for the next page (§3.5); an empty
token ends the list. Errors are ``<error code="...">`` elements (§3.6), e.g.
``noRecordsMatch`` (nothing changed in the range: not a failure),
``badResumptionToken`` (the token expired: restart from the stored date),
``badArgument``.

``arXivRaw`` is the format for backfills: it lists every version with its
date, so a new version updates the paper and keeps its history. Parsing is a
pure function over a byte stream; it streams (``iterparse``, each record
cleared once read), so a 100 MB answer never sits in memory as a tree, and
a cut-off or malformed answer keeps the records read before the break.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml.common import DefusedXmlException
from defusedxml.ElementTree import iterparse

from paperfeed.errors import PaperfeedError
from paperfeed.formatting import counted
from paperfeed.models import ParsedRecord
from paperfeed.sources import fields
from paperfeed.sources.jsonl import parse_kaggle_record

OAI = "{http://www.openarchives.org/OAI/2.0/}"
RAW = "{http://arxiv.org/OAI/arXivRaw/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
FORMATS = ("arXivRaw", "arXiv")


@dataclass(slots=True)
class OaiPage:
    """What one ListRecords (or GetRecord) answer said."""

    records: list[ParsedRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # one line per record that could not be read
    deleted: int = 0
    resumption_token: str | None = None
    complete_list_size: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    broken: str | None = None  # why the XML stopped parsing (cut off, not well-formed)

    @property
    def is_last(self) -> bool:
        return not self.resumption_token


def parse_oai_page(source: bytes | BinaryIO) -> OaiPage:
    """Read a whole OAI-PMH answer; never raises for bad content (see ``problems`` and ``broken``)."""
    reader = OaiReader(source)
    records = list(reader)
    return OaiPage(records, reader.problems, reader.deleted, reader.resumption_token, reader.complete_list_size,
                   reader.error_code, reader.error_message, reader.broken)


class OaiReader:
    """Iterates the records of an OAI-PMH answer as they are parsed; the answer's other parts
    (token, error, problems, ``broken``) are attributes, complete once iteration ends.

    Memory stays flat however large the answer: each record element is dropped once read."""

    def __init__(self, source: bytes | BinaryIO) -> None:
        self.stream = io.BytesIO(source) if isinstance(source, bytes) else source
        page = OaiPage()
        self.problems, self.deleted = page.problems, 0
        self.resumption_token = self.error_code = self.error_message = self.broken = None
        self.complete_list_size: int | None = None

    def __iter__(self) -> Iterator[ParsedRecord]:
        position = 0
        parents: list[Element] = []
        try:
            for event, element in iterparse(self.stream, events=("start", "end"), forbid_dtd=True):
                if event == "start":
                    parents.append(element)
                    continue
                parents.pop()
                tag = element.tag
                if tag == f"{OAI}record":
                    position += 1
                    record = self._read_record(element, position)
                    if parents:
                        parents[-1].remove(element)  # forget it: the tree never grows
                    if record is not None:
                        yield record
                elif tag == f"{OAI}resumptionToken":
                    self.resumption_token = (element.text or "").strip() or None
                    size = element.get("completeListSize")
                    self.complete_list_size = int(size) if size and size.isdigit() else None
                elif tag == f"{OAI}error":
                    self.error_code = element.get("code") or "unknown"
                    self.error_message = fields.collapse_whitespace(element.text or "")
        except ParseError as error:
            self.broken = f"the XML breaks after {counted(position, 'record')} ({error})"
        except DefusedXmlException as error:
            self.broken = f"refused XML: {type(error).__name__}"

    def _read_record(self, element: Element, position: int) -> ParsedRecord | None:
        header = element.find(f"{OAI}header")
        identifier = _text(header, f"{OAI}identifier") if header is not None else None
        if header is not None and header.get("status") == "deleted":
            self.deleted += 1
            return None
        where = f"record {position}" + (f" ({identifier})" if identifier else "")
        metadata = element.find(f"{OAI}metadata")
        raw = metadata.find(f"{RAW}arXivRaw") if metadata is not None else None
        plain = metadata.find(f"{ARXIV}arXiv") if metadata is not None else None
        try:
            if raw is not None:
                return parse_arxiv_raw(raw)
            if plain is not None:
                return parse_arxiv_format(plain)
            self.problems.append(f"{where}: no arXivRaw or arXiv metadata (ask with metadataPrefix=arXivRaw)")
        except PaperfeedError as error:
            self.problems.append(f"{where}: {error}")
        return None


def parse_arxiv_raw(element: Element) -> ParsedRecord:
    """One ``<arXivRaw>`` element: every version with its date, authors as one string."""
    versions = [{"version": v.get("version"), "created": _text(v, f"{RAW}date")}
                for v in element.findall(f"{RAW}version")]
    record = {
        "id": _text(element, f"{RAW}id"), "title": _text(element, f"{RAW}title"),
        "abstract": _text(element, f"{RAW}abstract"), "authors": _text(element, f"{RAW}authors") or None,
        "categories": _text(element, f"{RAW}categories"), "comments": _text(element, f"{RAW}comments"),
        "doi": _first_word(_text(element, f"{RAW}doi")), "versions": versions or None,
    }
    return parse_kaggle_record({key: value for key, value in record.items() if value is not None})


def parse_arxiv_format(element: Element) -> ParsedRecord:
    """One ``<arXiv>`` element: first and last dates only, authors split into names."""
    authors = [[_text(a, f"{ARXIV}keyname") or "", _text(a, f"{ARXIV}forenames") or "",
                _text(a, f"{ARXIV}suffix") or ""] for a in element.iter(f"{ARXIV}author")]
    record = {
        "id": _text(element, f"{ARXIV}id"), "title": _text(element, f"{ARXIV}title"),
        "abstract": _text(element, f"{ARXIV}abstract"), "authors_parsed": authors or None,
        "categories": _text(element, f"{ARXIV}categories"), "comments": _text(element, f"{ARXIV}comments"),
        "doi": _first_word(_text(element, f"{ARXIV}doi")),
        "update_date": _text(element, f"{ARXIV}created"),  # the first version's day: the paper's date
    }
    return parse_kaggle_record({key: value for key, value in record.items() if value is not None})


def _text(parent: Element | None, tag: str) -> str | None:
    found = parent.find(tag) if parent is not None else None
    return found.text if found is not None and found.text is not None else None


def _first_word(text: str | None) -> str | None:
    words = text.split() if text else []
    return words[0] if words else None
