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

_SPACES = re.compile(r"[\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_WORDISH = re.compile(r"[0-9A-Za-z\u0E00-\u0E7F]")
_THAI_LETTER = re.compile(r"[\u0E01-\u0E2E\u0E30-\u0E3A\u0E40-\u0E4E]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
MIXED_MIN_SHARE = 0.2
"""A script counts as present when it has at least this share of the letters."""


_IGNORABLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]")
"""Characters that show nothing: Unicode's default-ignorable code points (zero-width, joiners,
bidi marks, variation selectors, Hangul fillers, which Unicode counts as letters) and the braille
blank. Text made only of these (and spaces, symbols, emoji) is blank."""
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
"""NUL, C0/C1 control characters (tab, line feed and carriage return are text), lone surrogates
and the non-characters U+FFFE/U+FFFF: refused in every stored text and every query."""


def has_content(text: str) -> bool:
    """True when the text has at least one letter or digit (any script) after NFKC normalisation,
    ignoring invisible characters: something a person wrote and a matcher can match on."""
    visible = _IGNORABLE.sub("", unicodedata.normalize("NFKC", text))
    return any(unicodedata.category(ch)[0] in "LN" for ch in visible)


def is_blank(text: str) -> bool:
    """The one meaning of "blank" for every text field and query: no letter or digit (whitespace,
    zero-width characters, braille blanks, Hangul fillers, punctuation or emoji only)."""
    return not has_content(text)


class TextProblem(ValueError):
    """Why a text was refused; `type` is the machine code an error message is translated from."""

    def __init__(self, type_: str, message: str):
        super().__init__(message)
        self.type = type_
        self.ctx: dict[str, object] = {}


def check_text(value: str, *, allow_blank: bool = False) -> str:
    """The one text rule of the boundary (records, request bodies, queries, web forms, the CLI):
    no control characters, and (unless `allow_blank`, for optional notes) not blank. The text is
    returned unchanged: storage keeps exactly what was written."""
    if _CONTROL.search(value):
        raise TextProblem("text_control", "contains control characters (NUL, U+0001-U+001F except tab and new line, "
                                          "U+007F-U+009F) or invalid code points")
    if not allow_blank and is_blank(value):
        raise TextProblem("text_blank", "must contain a letter or digit (it is empty, or only spaces, "
                                        "invisible characters, punctuation or emoji)")
    return value


QUERY_WINDOW_CHARS = 2000
"""How much of a free-text query the matcher reads: the encoders see at most 512 tokens (about this
many characters of Thai or English), so more text would cost time (segmentation, BM25 terms,
explanations) without changing the dense match."""


def cut_query(text: str) -> tuple[str, bool]:
    """The part of a query the matcher reads, and whether it was cut (the caller says so)."""
    if len(text) <= QUERY_WINDOW_CHARS:
        return text, False
    cut = text[:QUERY_WINDOW_CHARS]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    return (cut[:space] if space > QUERY_WINDOW_CHARS // 2 else cut), True


def normalize(text: str) -> str:
    """NFC, no zero-width characters, Thai digits as ASCII, single spaces, pythainlp's Thai fixes."""
    from pythainlp.util import normalize as thai_normalize

    text = unicodedata.normalize("NFC", text)
    text = _IGNORABLE.sub("", text).translate(_THAI_DIGITS)
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
