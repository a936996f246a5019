"""Any sentence-transformers model: a local directory (offline) or a hub name (when online)."""

from __future__ import annotations

import numpy as np

from matcher.encoders.base import Encoder

INSTALL_HINT = "pip install torch==2.13.0 'bic-matcher[st]'"


def _load(name_or_path: str):
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:  # optional extra
        raise ImportError(f"st: encoders need sentence-transformers; install it with: {INSTALL_HINT}") from exc
    return SentenceTransformer(name_or_path, device="cpu")


class SentenceTransformerEncoder(Encoder):
    """Uses the model's own prompts when it defines them; e5-style models get query:/passage:."""

    def __init__(self, name_or_path: str):
        self.name_or_path = name_or_path
        self.id = f"st:{name_or_path}"
        self.model = _load(name_or_path)
        dimension = getattr(self.model, "get_embedding_dimension", None) or self.model.get_sentence_embedding_dimension
        self.dimension = int(dimension())
        prompts = dict(getattr(self.model, "prompts", {}) or {})
        if not prompts and "e5" in name_or_path.lower():
            prompts = {"query": "query: ", "document": "passage: "}
        self.query_prompt = prompts.get("query", "")
        self.document_prompt = prompts.get("document", prompts.get("passage", ""))

    def fingerprint_parts(self) -> list[str]:
        """Library version and, for a local model directory, the digest of its weights and config."""
        from pathlib import Path

        from matcher.encoders.base import file_digest, package_fingerprint_parts

        parts = package_fingerprint_parts("sentence-transformers", [])
        root = Path(self.name_or_path)
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and path.suffix in (".safetensors", ".bin", ".json", ".model") :
                    parts.append(f"{path.relative_to(root)}:{file_digest(str(path))}")
        return parts

    def _encode_batch(self, texts: list[str], is_query: bool) -> np.ndarray:
        prompt = self.query_prompt if is_query else self.document_prompt
        vectors = self.model.encode([prompt + t for t in texts], batch_size=len(texts),
                                    convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)
