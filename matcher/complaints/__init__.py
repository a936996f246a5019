"""Citizen complaints as evidence of demand: loading, clustering, draft challenges, evaluation and
the coverage-gap map. Pure library code: nothing here opens a database or reads settings."""

from matcher.complaints.models import Complaint, LineError, LoadResult

__all__ = ["Complaint", "LineError", "LoadResult"]
