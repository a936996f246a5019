"""Estimate the language means used by '+center' encoders, from bundled parallel text.

The parallel text is the demo corpus's source material (corpora/problems.py: every pain point and
solution written in both Thai and English) plus the bilingual taxonomy labels, so Thai and English
means describe the same content and differ only by language.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from matcher import taxonomy
from matcher.corpora import CORPORA_DIR
from matcher.encoders import get_encoder
from matcher.encoders.centering import LanguageMeans, estimate_language_means, means_path


def parallel_texts(corpora_dir: Path = CORPORA_DIR) -> tuple[list[str], list[str]]:
    """(Thai texts, English texts), aligned line by line."""
    spec = importlib.util.spec_from_file_location("bic_problems", corpora_dir / "problems.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(f"{corpora_dir / 'problems.py'} not found")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    thai: list[str] = []
    english: list[str] = []
    for _key, _theme, _sectors, pain_th, pain_en, approaches in module.PROBLEMS:
        thai.append(pain_th)
        english.append(pain_en)
        for title_th, title_en, desc_th, desc_en in approaches:
            thai += [title_th, desc_th]
            english += [title_en, desc_en]
    for vocabulary in taxonomy.VOCABULARIES.values():
        for term in vocabulary:
            thai.append(term.th)
            english.append(term.en)
    return thai, english


def calibrate(encoder_id: str, cache_dir: Path | None = None, show_progress: bool | None = None) -> Path:
    """Estimate and save the language means of one base encoder; returns the file written."""
    encoder = get_encoder(encoder_id, cache_dir)
    thai, english = parallel_texts()
    means: LanguageMeans = estimate_language_means(encoder, thai, english, show_progress)
    path = means_path(encoder_id)
    means.save(path)
    return path
