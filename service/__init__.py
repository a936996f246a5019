"""FastAPI service: storage, access control, incremental indexing and the bilingual web UI.

Built on the `matcher` library; no matching logic lives here.
"""
