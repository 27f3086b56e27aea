"""What of a paper is indexed and embedded, and the hash that says whether it changed."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from paperfeed.formatting import greek_name, plain_math

_WORD = re.compile(r"[^\W_]+", re.UNICODE)  # as tantivy's simple tokenizer splits (Unicode alphanumerics)
# A superscript or subscript written outside a formula: "VILA^2", "Synth^{2}", "x_i".
BARE_SCRIPT = re.compile(r"([^\W_]+)([\^_])\{?([^\W_]+)\}?", re.UNICODE)


def embedding_text(title: str, abstract: str) -> str:
    """``title. abstract``: what the dense index embeds for a paper."""
    return f"{title}. {abstract}" if abstract else title


def text_hash(text: str) -> str:
    """A 64-bit BLAKE2b hash of an embedded text, to skip papers whose text did not change."""
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def plain_words(text: str) -> str:
    """The words a reader types for the formulas and symbols of ``text`` that ``text`` itself does
    not hold, space-separated: "MVD$^2$" gives "mvd2 mvd²", "PanGu-$\\pi$" "pi π", "SOTOPIA-π" "pi",
    "R²" "r2", "VILA^2" (a caret outside a formula) "vila2". The keyword index holds them in a field of their own, so that what people type finds
    the paper while what the page shows is unchanged (:func:`paperfeed.formatting.formula_plain`)."""
    if text.isascii() and "$" not in text and "\\" not in text and "^" not in text:
        return ""
    variants = (plain_math(text, unicode=False), plain_math(text, unicode=True),
                BARE_SCRIPT.sub(r"\1\3", text))
    typed = {word.lower() for word in _WORD.findall(text)}
    found: dict[str, None] = {}
    for variant in variants:
        for word in _WORD.findall(variant):
            for form in {word.lower(), _ascii_form(word).lower()}:
                if form and form not in typed:
                    found[form] = None
    return " ".join(found)


def _ascii_form(word: str) -> str:
    """Greek letters by name and super- and subscripts as plain characters: "π" -> "pi", "x²" -> "x2"."""
    if word.isascii():
        return word
    return "".join(greek_name(character) or unicodedata.normalize("NFKC", character) for character in word)
