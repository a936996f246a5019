"""Shared CLI helpers: error reporting with conventional exit codes, output, options."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])

EXIT_ERROR = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_ERROR) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def handle_errors(func: F) -> F:
    """Turn the library's expected errors into one-line messages and exit codes, not tracebacks."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from pydantic import ValidationError

        from matcher.corpora import CorpusError
        from matcher.engine import UnknownRecordError
        from matcher.index.manifest import IndexError_
        from matcher.validation import field_errors, summary

        try:
            return func(*args, **kwargs)
        except UnknownRecordError as exc:
            fail(str(exc))
        except (CorpusError, IndexError_, FileNotFoundError) as exc:
            fail(str(exc))
        except ValidationError as exc:
            fail(summary(field_errors(exc.errors())), EXIT_USAGE)
        except ValueError as exc:  # matcher.validation.InvalidInput too: every bad option, as the API names them
            fail(str(exc), EXIT_USAGE)
        except ImportError as exc:  # an optional extra is missing: the message says what to install
            fail(str(exc))

    return wrapper  # type: ignore[return-value]


def data_dir_option() -> Any:
    return typer.Option(None, "--data-dir", help="Data directory (default: $MATCHER_DATA_DIR or ./data)")


def resolve_settings(data_dir: Path | None):
    from matcher.settings import get_settings

    from matcher.index.dense import set_search_threads

    settings = get_settings()
    set_search_threads(settings.search_threads)
    return settings.model_copy(update={"data_dir": data_dir}) if data_dir else settings


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")
