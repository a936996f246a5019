"""Text processing for Thai, English and mixed text: normalisation, language, tokens.

Nothing here downloads data: pythainlp's newmm dictionary and stop-word list ship with the
package. The original text is never modified in storage; these functions produce the forms
used for indexing and explanations.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Literal

LanguageCode = Literal["th", "en", "mixed"]

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_WORDISH = re.compile(r"[0-9A-Za-z\u0E00-\u0E7F]")
_THAI_LETTER = re.compile(r"[\u0E01-\u0E2E\u0E30-\u0E3A\u0E40-\u0E4E]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
MIXED_MIN_SHARE = 0.2
"""A script counts as present when it has at least this share of the letters."""


def is_blank(text: str) -> bool:
    """True for text with nothing visible: whitespace (any Unicode space) and zero-width characters only."""
    return not _ZERO_WIDTH.sub("", text).strip()


def has_content(text: str) -> bool:
    """True when the text has at least one letter or digit (Thai or Latin): something to match on."""
    return bool(_WORDISH.search(text.translate(_THAI_DIGITS)))


def normalize(text: str) -> str:
    """NFC, no zero-width characters, Thai digits as ASCII, single spaces, pythainlp's Thai fixes."""
    from pythainlp.util import normalize as thai_normalize

    text = unicodedata.normalize("NFC", text)
    text = _ZERO_WIDTH.sub("", text).translate(_THAI_DIGITS)
    text = _SPACES.sub(" ", text).strip()
    return thai_normalize(text) if text else text


def thai_share(text: str) -> float:
    """Share of letters that are Thai (0.0 when the text has no letters)."""
    thai = len(_THAI_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    return thai / (thai + latin) if thai + latin else 0.0


def language_of_share(share: float) -> LanguageCode:
    if share >= 1 - MIXED_MIN_SHARE:
        return "th"
    if share <= MIXED_MIN_SHARE:
        return "en"
    return "mixed"


def detect_language(text: str) -> LanguageCode:
    """Script-based language: 'th', 'en' or 'mixed' (both scripts hold a real share of letters).

    Script counting is reliable for Thai vs English and needs no model; text with no letters
    counts as English, the conservative choice for Latin-script ids and numbers.
    """
    return language_of_share(thai_share(text))


def languages_present(lang: str) -> frozenset[str]:
    return frozenset(("th", "en")) if lang == "mixed" else frozenset((lang,))


def same_language(query_lang: str, doc_lang: str) -> bool:
    """True when lexical overlap is possible: the two texts share a script."""
    return bool(languages_present(query_lang) & languages_present(doc_lang))


@cache
def _stopwords() -> frozenset[str]:
    from bm25s.tokenization import STOPWORDS_EN_PLUS
    from pythainlp.corpus import thai_stopwords

    return frozenset(thai_stopwords()) | frozenset(STOPWORDS_EN_PLUS)


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def analyze(text: str) -> tuple[list[str], dict[str, str]]:
    """One newmm pass: the lexical tokens, and each token's first surface form (for explanations).

    Tokens: newmm segments Thai, English is lower-cased and stemmed, stop words are dropped. A
    regex tokenizer would keep an unspaced Thai sentence as one giant token, so Thai must go
    through a dictionary segmenter to make BM25 meaningful.
    """
    from pythainlp.tokenize import word_tokenize

    text = normalize(text)
    if not text:
        return [], {}
    stops = _stopwords()
    tokens: list[str] = []
    surfaces: dict[str, str] = {}
    for surface in word_tokenize(text, engine="newmm", keep_whitespace=False):
        surface = surface.strip()
        token = surface.lower()
        if not token or token in stops or not _WORDISH.search(token):
            continue
        if token.isascii() and token.isalpha():
            token = _stemmer().stemWord(token)
        tokens.append(token)
        surfaces.setdefault(token, surface)
    return tokens, surfaces


def tokenize(text: str) -> list[str]:
    """Lexical tokens for BM25 (see `analyze`)."""
    return analyze(text)[0]
