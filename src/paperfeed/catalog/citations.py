"""A paper as a reference: BibTeX, CSL-JSON and RIS, for one paper or a list. Pure: papers in, text out.

The one place that writes citations: the paper page's "Cite" control (:func:`citations`),
the exports of collections and of a member's upvotes (:data:`FORMATS`) all use the three
writers below.

What each entry holds, and where:

- Titles come from arXiv or Hugging Face and are LaTeX-ish: ``Prefill \\& Decode``, ``PanGu-$π$``,
  ``MVD$^2$``, but also plain ``Q&A`` or ``Earn $1 Million``. BibTeX keeps the math and the LaTeX
  escapes as they are and escapes only what is not LaTeX (:func:`bibtex_text`); CSL-JSON and RIS,
  which are plain text, undo the escapes and keep the math (:func:`plain_text`).
- The key is Google Scholar's ``family`` + ``year`` + ``first word of the title``, in ASCII
  (``stanic2024towards``; transliterated with anyascii), with ``_`` before a title word that
  starts with a digit (``jin2026_4danyone``), so the year stays readable.
- Zotero's (and biblatex's) conventions for arXiv: ``eprint`` = the arXiv id without version,
  ``archivePrefix = {arXiv}``, ``primaryClass`` = the primary category; Zotero reads these
  back as an arXiv preprint.
- One DOI per entry: the published version's, when arXiv's metadata gives one (the version of
  record, what a reader should follow; the arXiv version stays named by ``eprint``), otherwise
  arXiv's own DataCite DOI ``10.48550/arXiv.ID`` (https://info.arxiv.org/help/doi.html).

Formats: BibTeX as read by BibTeX, biber and pybtex (a ``@misc`` entry, fields in braces;
BibTeX counts every brace, escaped or not, so an unmatched one is written
``\\textbraceleft{}``); CSL-JSON per the CSL 1.0.2 schema (``csl-data.json``: an array of items
with ``type``, ``id``, ``title``, ``author`` ``[{family, given}]``, ``issued`` ``{date-parts}``,
``DOI``, ``URL``); RIS per the RIS format specification (``TAG  - value`` lines, CRLF, each record
from ``TY`` to ``ER``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from anyascii import anyascii

from paperfeed.ids import arxiv_abs_url
from paperfeed.models import Paper

ARXIV_DOI_PREFIX = "10.48550/arXiv."

# --- LaTeX-ish text ----------------------------------------------------------------------------

# One token of a title: math (pandoc's rule for $...$: the opening $ has a non-space on its right,
# the closing one a non-space on its left and no digit after it, so "$5 and $10" is no math), a
# LaTeX command (\alpha, \&, \", "\ "), a run of characters that mean nothing to LaTeX, or one
# character that may (a run per token, not a character: an abstract is a few dozen tokens).
_TOKEN = re.compile(r"""
    (?P<math>\$\$.+?\$\$ | \\\(.+?\\\) | \\\[.+?\\\] | \$(?=\S)(?:\\.|[^$\\])+?(?<=\S)\$(?!\d))
  | (?P<command>\\(?:[A-Za-z]+|[^A-Za-z]))
  | (?P<char>[^$\\{}~&%\#_^]+|.)
""", re.VERBOSE | re.DOTALL)

# Characters that LaTeX would read as markup outside math: escaped in BibTeX.
_BIBTEX_ESCAPES = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_", "$": r"\$", "^": r"\textasciicircum{}",
                   "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}"}
# LaTeX escapes of single characters, read back as the characters in plain text.
_PLAIN_ESCAPES = {r"\&": "&", r"\%": "%", r"\$": "$", r"\#": "#", r"\_": "_", r"\{": "{", r"\}": "}",
                  r"\ ": " ", "\\\\": " ", r"\textbackslash": "\\"}
# LaTeX accent commands and the Unicode combining mark each one stands for.
_ACCENTS = {'"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
            ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "r": "\u030a", "k": "\u0328"}
_ACCENTED = re.compile(r"""\{\\(?P<a1>["'`^~=.])(?P<l1>[A-Za-z])\}
                         | \\(?P<a2>["'`^~=.])\{(?P<l2>[A-Za-z])\}
                         | \\(?P<a3>["'`^~=.])(?P<l3>[A-Za-z])
                         | \\(?P<a4>[cvuHrk])\{(?P<l4>[A-Za-z])\}""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str]]:
    """``(kind, text)`` pairs, kind ``math``, ``command`` or ``char``; white space collapsed."""
    return [(match.lastgroup, match.group()) for match in _TOKEN.finditer(" ".join(text.split()))]


def _brace_balance(text: str) -> int:
    """Opening minus closing braces, counted as BibTeX counts them: escaped ones too."""
    return text.count("{") - text.count("}")


def _unmatched_braces(tokens: list[tuple[str, str]]) -> set[int]:
    """Indexes of the brace tokens (``{``, ``}``, ``\\{``, ``\\}``) that have no partner."""
    opened, unmatched = [], set()
    for index, (_, token) in enumerate(tokens):
        if token in ("{", "\\{"):
            opened.append(index)
        elif token in ("}", "\\}"):
            if opened:
                opened.pop()
            else:
                unmatched.add(index)
    return unmatched | set(opened)


def bibtex_text(text: str) -> str:
    """``text`` for a BibTeX field: math (``$π$``, ``$$x$$``, ``\\(x\\)``) and LaTeX commands and
    escapes (``\\&``, ``\\"o``, ``\\textbf``) kept as written, matched braces kept (LaTeX groups);
    everything else that LaTeX would read as markup escaped: ``&`` ``%`` ``#`` ``_`` -> ``\\&``...,
    a lone ``$`` -> ``\\$``, ``^`` -> ``\\textasciicircum{}``, an unmatched brace ->
    ``\\textbraceleft{}``, a lone backslash -> ``\\textbackslash{}``, and a ``~`` that is no tie
    (next to a space) -> ``\\textasciitilde{}``."""
    tokens = _tokens(text)
    unmatched = _unmatched_braces(tokens)
    out = []
    for index, (kind, token) in enumerate(tokens):
        if kind == "math" and _brace_balance(token) != 0:
            out.append(bibtex_text_without_math(token))
        elif index in unmatched:
            out.append(_BIBTEX_ESCAPES[token[-1]])
        elif kind == "char" and token == "~":
            tie = (0 < index < len(tokens) - 1 and tokens[index - 1][1][-1:] != " "
                   and tokens[index + 1][1][:1] != " ")
            out.append("~" if tie else r"\textasciitilde{}")
        elif kind == "char" and len(token) == 1 and token in "&%#_$^\\":
            out.append(_BIBTEX_ESCAPES[token])
        else:
            out.append(token)
    return "".join(out)


def bibtex_text_without_math(text: str) -> str:
    """``text`` for a BibTeX field with every character taken literally (for math whose braces
    do not balance, and for names of things that are not LaTeX)."""
    return "".join(_BIBTEX_ESCAPES.get(char, char) for char in " ".join(text.split()))


def plain_text(text: str) -> str:
    """``text`` as plain text (CSL-JSON, RIS): LaTeX's escapes of single characters read back
    (``\\&`` -> ``&``), accents made Unicode (``\\"o`` -> ``ö``), math kept as written."""
    def accent(match: re.Match) -> str:
        mark = next(match[f"a{n}"] for n in range(1, 5) if match[f"a{n}"])
        letter = next(match[f"l{n}"] for n in range(1, 5) if match[f"l{n}"])
        return unicodedata.normalize("NFC", letter + _ACCENTS[mark])

    text = _ACCENTED.sub(accent, text)
    joined = "".join(_PLAIN_ESCAPES.get(token, token) if kind == "command" else token for kind, token in _tokens(text))
    return " ".join(joined.split())


# --- names and keys ----------------------------------------------------------------------------

_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "le", "la", "ter", "ten", "dos",
              "das", "bin", "al"}
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}


@dataclass(frozen=True, slots=True)
class Name:
    """An author's name split as citation formats want it (``given`` may be empty)."""

    family: str
    given: str = ""
    suffix: str = ""


def split_name(name: str) -> Name:
    """``Ada Lovelace`` -> family ``Lovelace``, given ``Ada``; ``Vincent van Gogh`` -> family
    ``van Gogh``; ``Martin Luther King Jr.`` -> suffix ``Jr.``; ``Lovelace, Ada`` as written;
    a one-word name (``Plato``, ``张三``) is all family."""
    name = " ".join(name.split())
    if "," in name:
        family, _, given = (part.strip() for part in name.partition(","))
        return Name(family, given)
    words = name.split(" ")
    suffix = words.pop() if len(words) > 2 and words[-1].lower() in _SUFFIXES else ""
    if len(words) == 1:
        return Name(words[0], "", suffix)
    start = len(words) - 1
    while start > 1 and words[start - 1] in _PARTICLES:
        start -= 1
    return Name(" ".join(words[start:]), " ".join(words[:start]), suffix)


# Small words a key never takes from a title (Google Scholar skips them too).
_KEY_STOP_WORDS = {"a", "an", "the", "on", "of", "in", "for", "to", "and", "with", "via", "from", "at", "by", "is",
                   "are", "do", "does"}


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", anyascii(text).lower())


def citation_key(paper: Paper) -> str:
    """``family + year + first word of the title``, lower-case ASCII: ``stanic2024towards``
    (Aleksandar Stanić, 2024, "Towards Truly Zero-shot..."), ``jin2026_4danyone`` (a word that starts
    with a digit is set off by ``_``). Math and LaTeX commands in the title are skipped; small words
    too. Without authors the key starts ``anon``; two papers may share a key (see :func:`_unique_keys`)."""
    family = split_name(paper.authors[0]).family.split(" ")[-1] if paper.authors else ""
    title = "".join(token for kind, token in _tokens(plain_text(paper.title)) if kind == "char")
    words = (_ascii_word(piece) for piece in re.split(r"[\W_]+", title))
    first = next((word for word in words if word and word not in _KEY_STOP_WORDS), "paper")
    year = str(paper.published_on.year) if paper.published_on else ""
    return f"{_ascii_word(family) or 'anon'}{year}{'_' if first[0].isdigit() else ''}{first}"


def _unique_keys(papers: Sequence[Paper]) -> list[str]:
    """One key per paper; the second paper with the same key gets ``b`` after it, the third ``c``..."""
    keys, seen = [], set()
    for paper in papers:
        base = key = citation_key(paper)
        n = 2
        while key in seen:
            key, n = base + (chr(ord("a") + n - 1) if n <= 26 else str(n)), n + 1
        seen.add(key)
        keys.append(key)
    return keys


# --- what every format says --------------------------------------------------------------------


def arxiv_doi(paper_id: str) -> str | None:
    """arXiv's DataCite DOI of an arXiv paper (``10.48550/arXiv.2401.01974``); None for other sources."""
    return f"{ARXIV_DOI_PREFIX}{paper_id}" if arxiv_abs_url(paper_id) else None


def doi_of(paper: Paper) -> str | None:
    """The entry's one DOI: the published version's when the record has one, else arXiv's."""
    return (paper.doi or "").strip() or arxiv_doi(paper.id)


def primary_category(paper: Paper) -> str | None:
    """arXiv's primary category (BibTeX's ``primaryClass``), else the first category listed."""
    return paper.primary_category or (paper.categories[0] if paper.categories else None)


# --- BibTeX --------------------------------------------------------------------------------------


def _bibtex_name(name: str) -> str:
    """``Family, Given`` (BibTeX's unambiguous form); a name holding the word "and" (a team, a lab)
    in braces, as written, so BibTeX neither splits it nor reorders it."""
    if re.search(r"\band\b", name, re.IGNORECASE):
        return "{" + bibtex_text(name) + "}"
    parts = split_name(name)
    return bibtex_text(", ".join(part for part in (parts.family, parts.suffix, parts.given) if part))


def _verbatim(value: str) -> str | None:
    """A DOI or URL as biblatex's verbatim fields take it: as written, unless its braces do not balance."""
    return value if _brace_balance(value) == 0 and "\\" not in value else None


def bibtex_entry(paper: Paper, key: str) -> str:
    """One ``@misc`` entry (arXiv's own export style, with Zotero's eprint fields and a DOI)."""
    fields = [("title", "{" + bibtex_text(paper.title) + "}"),
              ("author", " and ".join(_bibtex_name(a) for a in paper.authors) or "Anonymous")]
    if paper.published_on:
        fields.append(("year", str(paper.published_on.year)))
    if arxiv_abs_url(paper.id):
        fields += [("eprint", paper.id), ("archivePrefix", "arXiv")]
        if primary_category(paper):
            fields.append(("primaryClass", primary_category(paper)))
    doi = _verbatim(doi_of(paper) or "")
    if doi:
        fields.append(("doi", doi))
    if arxiv_abs_url(paper.id):
        fields.append(("url", arxiv_abs_url(paper.id)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key},\n{body}\n}}\n"


def bibtex(papers: Sequence[Paper]) -> str:
    """BibTeX ``@misc`` entries, one per paper, keys unique within the file."""
    return "\n".join(bibtex_entry(paper, key) for paper, key in zip(papers, _unique_keys(papers), strict=True))


# --- CSL-JSON ------------------------------------------------------------------------------------


def csl_item(paper: Paper, key: str) -> dict:
    """One CSL-JSON item (CSL 1.0.2): a preprint is ``type: article``; ``number`` is the arXiv id
    as Zotero writes it (``arXiv:2401.01974``)."""
    item: dict = {"id": paper.id, "type": "article", "citation-key": key, "title": plain_text(paper.title),
                  "author": [_csl_name(name) for name in paper.authors]}
    if paper.published_on:
        day = paper.published_on
        item["issued"] = {"date-parts": [[day.year, day.month, day.day]]}
    if arxiv_abs_url(paper.id):
        item |= {"publisher": "arXiv", "number": f"arXiv:{paper.id}", "URL": arxiv_abs_url(paper.id)}
    if doi_of(paper):
        item["DOI"] = doi_of(paper)
    if paper.abstract:
        item["abstract"] = plain_text(paper.abstract)
    return item


def _csl_name(name: str) -> dict:
    parts = split_name(plain_text(name))
    written = {"family": parts.family, "given": parts.given, "suffix": parts.suffix}
    return {field: value for field, value in written.items() if value}


def csl_json(papers: Sequence[Paper]) -> str:
    """CSL-JSON: an array of items, read by Zotero, pandoc (``--citeproc``) and citeproc-js."""
    items = [csl_item(paper, key) for paper, key in zip(papers, _unique_keys(papers), strict=True)]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


# --- RIS -----------------------------------------------------------------------------------------


def _ris_line(tag: str, value: str) -> str:
    return f"{tag}  - {' '.join(value.split())}"


def ris_record(paper: Paper, key: str) -> str:
    """One RIS record. ``TY  - GEN``: RIS has no preprint type, and GEN is what Zotero exports a
    preprint as; ``AU`` is ``Family, Given[, Suffix]``; ``DA`` is ``YYYY/MM/DD``."""
    lines = [_ris_line("TY", "GEN"), _ris_line("ID", key)]
    for name in paper.authors:
        parts = split_name(plain_text(name))
        lines.append(_ris_line("AU", ", ".join(p for p in (parts.family, parts.given, parts.suffix) if p)))
    lines.append(_ris_line("TI", plain_text(paper.title)))
    if paper.published_on:
        lines += [_ris_line("PY", str(paper.published_on.year)), _ris_line("DA", paper.published_on.strftime("%Y/%m/%d"))]
    if doi_of(paper):
        lines.append(_ris_line("DO", doi_of(paper)))
    if arxiv_abs_url(paper.id):
        lines += [_ris_line("UR", arxiv_abs_url(paper.id)), _ris_line("PB", "arXiv"),
                  _ris_line("M1", f"arXiv:{paper.id}")]
    lines += [_ris_line("KW", category) for category in paper.categories]
    if paper.abstract:
        lines.append(_ris_line("AB", plain_text(paper.abstract)))
    lines.append("ER  - ")
    return "\r\n".join(lines) + "\r\n"


def ris(papers: Sequence[Paper]) -> str:
    """RIS records, one per paper, separated by a blank line."""
    return "\r\n".join(ris_record(paper, key) for paper, key in zip(papers, _unique_keys(papers), strict=True))


# --- the formats, for the web layer --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CitationFormat:
    """A format: its name on the page, its file suffix, its media type and its writer."""

    name: str
    label: str
    suffix: str
    media_type: str
    write: Callable[[Sequence[Paper]], str]


FORMATS = {
    "bibtex": CitationFormat("bibtex", "BibTeX", ".bib", "application/x-bibtex; charset=utf-8", bibtex),
    "csl-json": CitationFormat("csl-json", "CSL-JSON", ".csl.json", "application/vnd.citationstyles.csl+json",
                               csl_json),
    "ris": CitationFormat("ris", "RIS", ".ris", "application/x-research-info-systems; charset=utf-8", ris),
}


def format_of_path(path: str) -> CitationFormat:
    """The format a URL asks for by its suffix (``.bib``, ``.csl.json``, ``.json``, ``.ris``)."""
    if path.endswith(".json"):
        return FORMATS["csl-json"]
    return next(spec for spec in FORMATS.values() if path.endswith(spec.suffix))


@dataclass(frozen=True, slots=True)
class Citation:
    """The paper written in one format, and the name its download takes."""

    format: CitationFormat
    text: str
    file_name: str


def citations(paper: Paper) -> list[Citation]:
    """The paper in every format (what the paper page's "Cite" shows), BibTeX first."""
    return [Citation(spec, spec.write([paper]), file_name(paper, spec)) for spec in FORMATS.values()]


def file_name(paper: Paper, spec: CitationFormat) -> str:
    """The download's file name: the citation key and the format's suffix (``stanic2024towards.bib``)."""
    return citation_key(paper) + spec.suffix
