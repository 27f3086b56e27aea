"""Small formatting helpers for the templates, counts with their nouns, TeX math as MathML and as
plain text, and a paper as Markdown."""

from __future__ import annotations

import hashlib
import html
import re
import textwrap
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from latex2mathml.converter import convert_to_element
from markupsafe import Markup, escape

from paperfeed.ids import arxiv_abs_url, arxiv_pdf_url
from paperfeed.models import Listing, Paper

MAIL_WIDTH = 78  # RFC 5322 §2.1.1: a line of a mail SHOULD be at most 78 characters


# --- counts ------------------------------------------------------------------------------------

_ES_ENDINGS = ("s", "x", "z", "ch", "sh")


def plural_noun(noun: str) -> str:
    """The regular English plural of ``noun``: ``paper`` -> ``papers``, ``entry`` -> ``entries``
    (a consonant and y), ``match`` -> ``matches`` (after s, x, z, ch, sh)."""
    if noun.endswith("y") and noun[-2:-1] not in ("", *"aeiou"):
        return noun[:-1] + "ies"
    return noun + "es" if noun.endswith(_ES_ENDINGS) else noun + "s"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``1 paper``, ``0 papers``, ``1,234 papers``: the count (with thousands separators) and the noun
    agreeing with it; English takes the singular for exactly one. ``plural`` for an irregular noun."""
    return f"{count:,} {noun if count == 1 else plural or plural_noun(noun)}"


def short_authors(names: list[str], limit: int = 4) -> str:
    """``A, B, C, D and 7 others``: long author lists stay on one line of a card (one more name
    is shown rather than "and 1 other")."""
    if len(names) <= limit + 1:
        return ", ".join(names)
    return f"{', '.join(names[:limit])} and {counted(len(names) - limit, 'other')}"


def thousands(value: int | None) -> str:
    """``12345`` -> ``12,345``; ``1500`` stars read as ``1.5k`` in tight places is not worth the ambiguity."""
    return f"{value or 0:,}"


def long_date(value: date | None) -> str:
    return value.strftime("%d %B %Y").lstrip("0") if value else ""


def github_name(url: str | None) -> str:
    """``https://github.com/org/repo`` -> ``org/repo`` (other hosts: the URL without scheme)."""
    if not url:
        return ""
    text = url.split("://", 1)[-1].rstrip("/")
    return text.removeprefix("github.com/").removeprefix("www.github.com/")


def mail_lines(text: str, *, indent: str = "", first: str = "") -> list[str]:
    """``text`` as the lines of a plain-text mail: at most :data:`MAIL_WIDTH` characters, the first
    starting with ``first`` and the others with ``indent``; a word longer than that (a link) is
    never broken, so it may stand alone on a longer line."""
    return textwrap.wrap(" ".join(text.split()), MAIL_WIDTH, initial_indent=first, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


AVATAR_COLOURS = 12  # .avatar-0 ... .avatar-11 in paperfeed.css, each readable in light and dark
# Where a name's words begin: after a space, hyphen, underscore, dot or digit, and at a capital
# after a small letter (camelCase user names: SteveZeyuZhang -> S, Z, Z).
_NAME_WORD = re.compile(r"[^\W\d_]+")
_CAMEL_CASE = re.compile(r"(?<=[a-z])(?=[A-Z])")


def initials(name: str | None) -> str:
    """What a generated avatar shows: the first letters of a name's first and last words, upper
    case (``Franck-Dernoncourt`` -> ``FD``, ``Tencent Hunyuan`` -> ``TH``, ``akhaliq`` -> ``A``,
    ``SteveZeyuZhang`` -> ``SZ``); ``?`` for a name without letters."""
    words = [part for word in _NAME_WORD.findall(name or "") for part in _CAMEL_CASE.split(word) if part]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def avatar_colour(name: str | None) -> int:
    """The colour of a name's avatar: the first 4 bytes of SHA-256 of the name (case folded) modulo
    :data:`AVATAR_COLOURS`, so a name has the same colour on every page, every run and every node
    (Python's ``hash`` of a string changes from one process to the next)."""
    digest = hashlib.sha256((name or "").casefold().encode()).digest()
    return int.from_bytes(digest[:4], "big") % AVATAR_COLOURS


FILTERS = {"short_authors": short_authors, "thousands": thousands, "long_date": long_date,
           "github_name": github_name, "initials": initials, "avatar_colour": avatar_colour,
           "counted": counted}


# CommonMark's backslash escapes (spec 0.31, section 2.4): the characters that could start
# emphasis, code, a link, raw HTML or an entity, anywhere, and a heading at the start of a line.
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]<>&]|^#", re.MULTILINE)


def markdown_text(text: str) -> str:
    """``text`` escaped so that Markdown shows it as typed: no title or abstract adds markup."""
    return _MARKDOWN_SPECIAL.sub(lambda match: "\\" + match.group(), text)


def _markdown_link(url: str) -> str:
    """A CommonMark autolink; ``<`` and ``>`` (never in a stored URL's path, but possible) percent-encoded."""
    return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"


def paper_markdown(paper: Paper, listing: Listing | None, *, page_url: str) -> str:
    """The paper as one Markdown document, the counterpart of Hugging Face's ``/papers/{id}.md``
    (what ``huggingface_hub``'s ``read_paper`` and ``hf papers read`` return): the title, authors,
    links and abstract, then what this site knows besides (listing, votes, AI summary and keywords,
    categories, organisation, arXiv's comments). Returns CommonMark text ending in a newline."""
    lines = [f"# {markdown_text(paper.title)}", ""]
    if paper.authors:
        lines += [f"**Authors:** {markdown_text(', '.join(paper.authors))}", ""]
    lines += [f"- {name}: {_markdown_link(url)}" for name, url in _paper_links(paper, page_url)]
    lines += ["", " · ".join(_paper_facts(paper, listing)), "", "## Abstract", ""]
    for paragraph in paper.abstract.split("\n\n") if paper.abstract else ["(no abstract)"]:
        lines += [markdown_text(paragraph), ""]
    if paper.ai_summary:
        lines += ["## AI summary", "", markdown_text(paper.ai_summary), ""]
    if paper.ai_keywords:
        lines += [f"**AI keywords:** {markdown_text(', '.join(paper.ai_keywords))}", ""]
    lines += ["## Details", ""] + [f"- {name}: {markdown_text(value)}" for name, value in _paper_details(paper)]
    return "\n".join(lines) + "\n"


def _paper_links(paper: Paper, page_url: str) -> list[tuple[str, str]]:
    links = [("Paper page", page_url), ("arXiv", arxiv_abs_url(paper.id)), ("PDF", arxiv_pdf_url(paper.id)),
             ("Code", paper.github_repo), ("Project page", paper.project_page),
             ("DOI", f"https://doi.org/{paper.doi}" if paper.doi else None)]
    return [(name, url) for name, url in links if url]


def _paper_facts(paper: Paper, listing: Listing | None) -> list[str]:
    facts = []
    if paper.published_on:
        facts.append(f"**Published:** {paper.published_on.isoformat()}")
    if listing:
        by = f" by {markdown_text(listing.submitted_by)}" if listing.submitted_by else ""
        facts.append(f"**Listed:** {listing.listed_on.isoformat()}{by}")
    facts += [f"**Upvotes:** {paper.upvotes}", f"**Comments:** {paper.num_comments}"]
    if paper.hf_comments:
        facts.append(f"**Comments on Hugging Face:** {paper.hf_comments}")
    if paper.github_repo and paper.github_stars is not None:
        facts.append(f"**Code stars:** {thousands(paper.github_stars)}")
    return facts


def _paper_details(paper: Paper) -> list[tuple[str, str]]:
    version = f" (version {paper.version})" if paper.version else ""
    details = [("Id", paper.id + version), ("Categories", ", ".join(paper.categories)),
               ("Organization", paper.organization), ("arXiv comments", paper.comments)]
    return [(name, value) for name, value in details if value]


# --- LaTeX math as MathML ----------------------------------------------------------------------
#
# Titles, abstracts and comments hold TeX math the way arXiv shows it (MathJax on arxiv.org):
# $...$ and \(...\) inline, $$...$$ and \[...\] displayed, \$ a dollar sign. A page gets MathML
# (MathML Core, drawn by the browser: no script, so the Content-Security-Policy stays strict);
# feeds and emails keep the text as typed.

MAX_FORMULA_CHARS = 500  # a longer "formula" is a stray dollar sign pairing with a far one
_OPENING = re.compile(r"\\[$(\[]|\${1,2}")
_CLOSING = {"\\(": "\\)", "\\[": "\\]", "$$": "$$"}
_UNKNOWN_COMMAND = re.compile(r"\\[A-Za-z]")
_TEX_MARKUP = re.compile(r"[\\^_{]")
_TEXT_ESCAPE = re.compile(r"\\([$%#_]|&amp;)")  # on escaped HTML: & is &amp; there

# What latex2mathml writes, as MathML Core names it (https://www.w3.org/TR/mathml-core/): anything
# else in its output (an href from \href, an element it may grow later) is not shown.
MATHML_TAGS = frozenset({
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub",
    "msubsup", "mfrac", "msqrt", "mroot", "mstyle", "mpadded", "mphantom", "mover", "munder", "munderover",
    "mtable", "mtr", "mtd", "menclose", "merror", "mmultiscripts", "mprescripts", "none"})
MATHML_ATTRIBUTES = frozenset({
    "display", "encoding", "mathvariant", "mathsize", "stretchy", "fence", "form", "separator", "lspace",
    "rspace", "minsize", "maxsize", "movablelimits", "accent", "accentunder", "displaystyle", "scriptlevel",
    "width", "height", "depth", "voffset", "linethickness", "columnalign", "columnspacing", "rowspacing",
    "columnlines", "rowlines", "frame", "framespacing", "notation", "symmetric", "largeop", "linebreak",
    "mathcolor", "mathbackground"})
# Attribute values are lengths, colours, keywords and alignments; anything else is dropped.
_SAFE_VALUE = re.compile(r"[\w#.,%+\- ]{0,64}")


@dataclass(frozen=True, slots=True)
class Formula:
    """A formula found in a text: where it starts and ends (delimiters included), its TeX, and
    whether it is displayed ($$...$$, \\[...\\]) rather than inline."""

    start: int
    end: int
    latex: str
    display: bool


def formula_at(text: str, start: int) -> Formula | None:
    """The formula whose opening delimiter is at ``start`` of ``text``, or None.

    A ``$`` pairs with the next one (as MathJax pairs them), and the pair must pass Pandoc's rule
    (its manual, extension ``tex_math_dollars``), so prices stay prices: the opening ``$`` has a
    non-space character right after it, the closing one a non-space character right before it and
    no digit right after it ("$5 and $10", "$5-$10" are no formulas), unless what it closes is TeX
    (a command, ``^``, ``_`` or ``{``: "$\\sim$50%" is one).
    A formula never spans a blank line, is never empty and is at most :data:`MAX_FORMULA_CHARS` long.
    """
    match = _OPENING.match(text, start)
    if match is None or match.group() == "\\$":
        return None
    opening, content_start = match.group(), match.end()
    if opening == "$":
        end = _closing_dollar(text, content_start)
    else:
        end = _closing_delimiter(text, content_start, _CLOSING[opening])
    if end is None:
        return None
    latex = text[content_start:end]
    if not latex.strip() or len(latex) > MAX_FORMULA_CHARS or "\n\n" in latex:
        return None
    return Formula(start, end + len(_CLOSING.get(opening, "$")), latex, display=opening in ("$$", "\\["))


def _closing_dollar(text: str, content_start: int) -> int | None:
    if content_start >= len(text) or text[content_start].isspace():
        return None
    position = text.find("$", content_start + 1)
    while position != -1 and text[position - 1] == "\\":  # an escaped dollar inside the formula
        position = text.find("$", position + 1)
    if position == -1 or text[position - 1].isspace():
        return None
    if text[position + 1:position + 2].isdigit() and not _TEX_MARKUP.search(text, content_start, position):
        return None
    return position


def _closing_delimiter(text: str, content_start: int, closing: str) -> int | None:
    position = content_start - 1
    while (position := text.find(closing, position + 1)) != -1:
        if text[position - 1] != "\\" or closing != "$$":
            return position
    return None


def formulas(text: str, start: int = 0, end: int | None = None, *, rendering: bool = True) -> list[Formula]:
    """The formulas of ``text`` (between ``start`` and ``end``) that render, in order (a ``\\$`` is a
    dollar sign, never a delimiter); with ``rendering=False``, all that look like formulas, without
    the work of converting them."""
    end = len(text) if end is None else end
    found, position = [], start
    while match := _OPENING.search(text, position, end):
        formula = formula_at(text, match.start())
        if (formula is not None and formula.end <= end
                and (not rendering or formula_mathml(formula.latex, display=formula.display))):
            found.append(formula)
            position = formula.end
        else:
            position = match.end()
    return found


@lru_cache(maxsize=8_192)
def formula_mathml(latex: str, *, display: bool = False) -> str:
    """``latex`` as a MathML ``<math>`` element, or "" when it does not render: latex2mathml cannot
    parse it, or it names a command latex2mathml does not know (it would show ``\\foo`` as a variable).

    Built from latex2mathml's element tree, never from its text output (which writes ``\\text{<b>}``
    as markup): only :data:`MATHML_TAGS` and :data:`MATHML_ATTRIBUTES` with plain values, every text
    escaped. The TeX rides along as the annotation (MathML Core, section 3.9: not displayed), as KaTeX does.
    """
    try:
        # A fresh converter each time (the module's function): no \newcommand carries over.
        tree = convert_to_element(latex, display="block" if display else "inline")
        inner = "".join(_mathml(child) for child in tree)
    except Exception:  # latex2mathml raises many kinds (and RecursionError) on odd input
        return ""
    annotation = f'<annotation encoding="application/x-tex">{escape(latex)}</annotation>'
    kind = "block" if display else "inline"
    return f'<math display="{kind}"><semantics>{inner}{annotation}</semantics></math>'


class _Unrenderable(ValueError):
    """latex2mathml made something we do not show."""


def _mathml(element) -> str:
    if element.tag not in MATHML_TAGS:
        raise _Unrenderable(element.tag)
    attributes = "".join(f' {name}="{escape(value)}"' for name, value in element.attrib.items()
                         if name in MATHML_ATTRIBUTES and _SAFE_VALUE.fullmatch(value))
    children = "".join(_mathml(child) + _mathml_text(child.tail) for child in element)
    return f"<{element.tag}{attributes}>{_mathml_text(element.text)}{children}</{element.tag}>"


def _mathml_text(raw: str | None) -> str:
    # latex2mathml keeps characters as references ("&#x003C0;") and everything else as typed.
    text = html.unescape(raw or "")
    if _UNKNOWN_COMMAND.search(text):
        raise _Unrenderable(text)
    return str(escape(text))


def _plain_html(text: str) -> str:
    """Text outside formulas, escaped. TeX's escaped special characters are the characters: ``\\$`` a
    dollar sign (MathJax's processEscapes, as on arXiv), ``\\%``, ``\\&``, ``\\#``, ``\\_`` (abstracts
    write "10\\%"); any other backslash stays."""
    return _TEXT_ESCAPE.sub(r"\1", str(escape(text)))


def math_html(text: str | None) -> Markup:
    """``text`` as HTML with its formulas in MathML; a formula that does not render stays as typed."""
    return marked_math_html([{"type": "text", "text": text or ""}])


def marked_math_html(segments: list[dict], snippet: int | None = None) -> Markup:
    """Highlighted segments (``{type: text|highlight, text}``, as search returns them) as HTML with
    ``<mark>`` and MathML: the formulas are found in the whole text, so a highlight never cuts one;
    a formula holding a highlighted word is marked whole. With ``snippet``, only about that many
    characters around the first highlight (:func:`snippet_window`), "…" where the text was cut."""
    text = "".join(segment["text"] for segment in segments)
    marks, position = [], 0
    for segment in segments:
        if segment["type"] == "highlight":
            marks.append((position, position + len(segment["text"])))
        position += len(segment["text"])
    has_math = "$" in text or "\\" in text
    start, end = 0, len(text)
    if snippet and len(text) > snippet:  # the formulas of the part shown are the only ones converted
        start, end = snippet_window(text, marks, formulas(text, rendering=False) if has_math else [], snippet)
    found = formulas(text, start, end) if has_math else []
    parts, position = ["… " if start > 0 else ""], start
    for formula in found:
        parts.append(_marked_plain(text, position, formula.start, marks))
        mathml = formula_mathml(formula.latex, display=formula.display)
        touched = any(mark_start < formula.end and mark_end > formula.start for mark_start, mark_end in marks)
        parts.append(f"<mark>{mathml}</mark>" if touched else mathml)
        position = formula.end
    parts.append(_marked_plain(text, position, end, marks))
    parts.append(" …" if end < len(text) else "")
    return Markup("".join(parts))


_SENTENCE_START = re.compile(r"(?<=[.!?])\s+(?=\S)")


def snippet_window(text: str, marks: list[tuple[int, int]], found: list[Formula], size: int) -> tuple[int, int]:
    """The part of ``text`` a search result shows: about ``size`` characters from the start of the
    sentence holding the first highlight (from the text's start when that is near enough), ending
    at a word's end; never inside a formula. A text no longer than ``size`` is shown whole."""
    if len(text) <= size:
        return 0, len(text)
    start = 0
    if marks and marks[0][1] > size * 0.6:
        start = max((match.end() for match in _SENTENCE_START.finditer(text, 0, marks[0][0])), default=0)
        if marks[0][1] - start > size * 0.6:  # a long sentence: a few words before the highlight
            start = text.find(" ", max(marks[0][0] - size // 4, start)) + 1
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    for formula in found:
        if formula.start < start < formula.end:
            start = formula.start
        if formula.start < end < formula.end:
            end = formula.start if formula.start > start else formula.end
    return start, end


def _marked_plain(text: str, start: int, end: int, marks: list[tuple[int, int]]) -> str:
    parts, position = [], start
    for mark_start, mark_end in marks:
        mark_start, mark_end = max(mark_start, start), min(mark_end, end)
        if mark_start >= mark_end:
            continue
        parts.append(_plain_html(text[position:mark_start]))
        parts.append(f"<mark>{_plain_html(text[mark_start:mark_end])}</mark>")
        position = mark_end
    parts.append(_plain_html(text[position:end]))
    return "".join(parts)


# --- LaTeX math as plain text ------------------------------------------------------------------
#
# What a reader types for a formula: "MVD$^2$" is MVD2 or MVD², "$\pi$" is pi or π. Search indexes
# both forms (paperfeed.search.documents); the page keeps showing MathML.

_SUPERSCRIPTS = str.maketrans("0123456789+-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ")
_SUBSCRIPTS = str.maketrans("0123456789+-=()aeoxhklmnpstijruv", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ")
_SCRIPTABLE = {"^": set("0123456789+-=()ni"), "_": set("0123456789+-=()aeoxhklmnpstijruv")}
# Commands whose argument is the text (fonts, text inside math): \mathbf{x} is x.
_TEXT_COMMANDS = frozenset("mathrm mathbf mathit mathsf mathtt mathcal mathbb mathfrak mathscr boldsymbol bm "
                           "text textrm textbf textit textsf texttt emph operatorname mbox hat bar tilde vec "
                           "widehat widetilde overline underline dot ddot".split())
# Operators written as words (\log n is "log n"), and symbols with a character of their own.
_WORD_COMMANDS = frozenset("log ln exp sin cos tan max min arg argmax argmin lim sup inf det dim".split())
_SYMBOL_COMMANDS = {"times": "×", "cdot": "·", "sim": "~", "approx": "≈", "infty": "∞", "leq": "≤", "le": "≤",
                    "geq": "≥", "ge": "≥", "neq": "≠", "pm": "±", "to": "→", "rightarrow": "→", "leftarrow": "←",
                    "ell": "ℓ", "partial": "∂", "nabla": "∇", "sqrt": "√", "star": "⋆", "circ": "∘"}
_VARIANT_GREEK = {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi", "varrho": "rho",
                  "varsigma": "sigma", "varpi": "pi"}
_TEX_TOKEN = re.compile(r"\\([A-Za-z]+)\*?|\\(.)|([\^_])|(\{)|(\})|(.)", re.DOTALL)


def _greek(name: str) -> str | None:
    """The Greek letter a command names (\\pi, \\Gamma, \\varepsilon), or None."""
    base = _VARIANT_GREEK.get(name, name)
    case = "CAPITAL" if base[:1].isupper() else "SMALL"
    try:
        return unicodedata.lookup(f"GREEK {case} LETTER {base.upper()}")
    except KeyError:
        return None


def greek_name(character: str) -> str | None:
    """The name of a Greek letter, as TeX spells it: "π" -> "pi", "Δ" -> "Delta"; None for others."""
    name = unicodedata.name(character, "")
    for case, prefix in (("lower", "GREEK SMALL LETTER "), ("title", "GREEK CAPITAL LETTER ")):
        if name.startswith(prefix) and " " not in name[len(prefix):]:
            return getattr(name[len(prefix):], case)()
    return None


def formula_plain(latex: str, *, unicode: bool) -> str:
    """A formula's TeX as plain text: ``^2`` as "2" (``unicode``: "²"), ``\\pi`` as "pi" ("π"), fonts and
    braces dropped (``\\mathbf{x}_i`` -> "xi" / "xᵢ"), other commands dropped. For search, never shown."""
    out: list[str] = []
    script: list[str] = []  # the ^ or _ waiting for its argument, and whether it is in braces
    depth_of_script: list[int] = []
    depth = 0
    for command, escaped, mark, opening, closing, character in _TEX_TOKEN.findall(latex):
        if mark:
            script.append(mark)
            depth_of_script.append(-1)  # its argument is the next token or braced group
            out.append("\x00" + mark)
            continue
        if opening:
            depth += 1
            if depth_of_script and depth_of_script[-1] == -1:
                depth_of_script[-1] = depth
            continue
        if closing:
            if depth_of_script and depth_of_script[-1] == depth:
                _close_script(out, script.pop(), unicode)
                depth_of_script.pop()
            depth = max(0, depth - 1)
            continue
        if command:
            text = _command_plain(command, unicode=unicode)
        else:
            text = escaped or character
        out.append(text)
        if depth_of_script and depth_of_script[-1] == -1 and (text or not command):
            _close_script(out, script.pop(), unicode)
            depth_of_script.pop()
    while script:
        _close_script(out, script.pop(), unicode)
    return "".join(out).replace("\x00^", "").replace("\x00_", "")


def _command_plain(command: str, *, unicode: bool) -> str:
    if command in _TEXT_COMMANDS:
        return ""
    if command in _WORD_COMMANDS:
        return f" {command} "
    letter = _greek(command)
    if letter is not None:
        return letter if unicode else _VARIANT_GREEK.get(command, command)
    return _SYMBOL_COMMANDS.get(command, " ") if unicode else " "


def _close_script(out: list[str], mark: str, unicode: bool) -> None:
    """Turn what followed the last ``\\x00^`` (or ``_``) into super- or subscript characters, when
    ``unicode`` and every character has one; else leave it as plain characters."""
    start = max(index for index, part in enumerate(out) if part == "\x00" + mark)
    argument = "".join(out[start + 1:])
    if unicode and argument and set(argument) <= _SCRIPTABLE[mark]:
        argument = argument.translate(_SUPERSCRIPTS if mark == "^" else _SUBSCRIPTS)
    out[start:] = [argument]


def plain_math(text: str, *, unicode: bool) -> str:
    """``text`` with each of its formulas as :func:`formula_plain` writes it, glued to its
    neighbours as typed ("MVD$^2$:" -> "MVD2:" or "MVD²:")."""
    if "$" not in text and "\\" not in text:
        return text
    parts, position = [], 0
    for formula in formulas(text, rendering=False):
        parts += [text[position:formula.start], formula_plain(formula.latex, unicode=unicode)]
        position = formula.end
    parts.append(text[position:])
    return "".join(parts)
