"""Request and response bodies of the JSON API, as schema families derived from the records.

The records (matcher.records: Challenge, Innovator, Solution, Contact) own the fields and their
rules; this module only says which of them a client may write and what it reads back:

- `XCreate`: the record's fields minus those the service sets (created_at, updated_at, version);
  those are read-only: sent back (a record read and posted again), they are ignored.
- `XUpdate`: the same fields, every one optional (a PATCH names only what changes).
- `XPublic`: what a read returns (the record's fields, output types only, no input checks).
- `Items[T]` (`data` + `count`) and `Page[T]` (+ `skip`, `limit`) for lists.
- `ErrorResponse`: the one error shape (service.errors.ServiceError.payload), documented for 4xx.

Query models (`ChallengeQuery`, `InnovatorQuery`) type the list filters with the records' own
taxonomy types, so an unknown sector or status is a 422 naming the parameter and listing the keys.
"""

from __future__ import annotations

from datetime import date, datetime
import types
from typing import Annotated, Any, Generic, Literal, TypeVar, Union, get_args, get_origin

from functools import partial

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, StrictBool, StrictInt, create_model, model_validator
from pydantic.fields import FieldInfo

from matcher.filters import Filters
from matcher.records import (Challenge, Contact, District, Innovator, InnovatorKind, NoteText, QueryText, RecordId,
                             SectorKey, Status, ThemeKey, Title)
from matcher.text import check_text
from matcher.validation import FieldError

T = TypeVar("T")

READ_ONLY = ("created_at", "updated_at", "version")
"""Set by the service on every write; ignored when a client sends them."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=True)


class _Writable(_Body):
    """A record body: unknown fields are refused, read-only ones (READ_ONLY, and the class's
    `_ignored`) are dropped before validation."""

    _ignored: tuple[str, ...] = READ_ONLY

    @model_validator(mode="before")
    @classmethod
    def _drop_read_only(cls, data: Any) -> Any:
        ignored = cls.__private_attributes__["_ignored"].default
        return {k: v for k, v in data.items() if k not in ignored} if isinstance(data, dict) else data


_SCALARS = (bool, int, float)
_strict_models: dict[type[BaseModel], type[BaseModel]] = {}


def strict(annotation: Any) -> Any:
    """`annotation` as a request body must meet it: booleans, integers and numbers only as JSON
    booleans and numbers ("yes" is not true, true is not 1, "5" is not 5), nested records likewise.
    The records stay lax for files (CSV cells are strings); the API boundary is strict."""
    if annotation in _SCALARS:
        return Annotated[annotation, Strict()]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation.model_fields:
        if annotation not in _strict_models:
            _strict_models[annotation] = derive(annotation.__name__ + "Input", annotation, base=_Body, mode="create")
        return _strict_models[annotation]
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return Annotated[(strict(args[0]), *annotation.__metadata__)]
    if origin in (Union, types.UnionType):
        return Union[tuple(strict(a) for a in args)]
    if origin is list:
        return list[strict(args[0])]
    return annotation


def _input(info: FieldInfo) -> tuple[Any, FieldInfo]:
    return strict(info.annotation), info


def _optional(info: FieldInfo) -> tuple[Any, FieldInfo]:
    """The field's type with its constraints and validators, or null; not required, default None."""
    annotation = Annotated[(strict(info.annotation), *info.metadata)] if info.metadata else strict(info.annotation)
    return annotation | None, Field(default=None, description=info.description, title=info.title)


def _output(info: FieldInfo) -> tuple[Any, FieldInfo]:
    """The field's type for a response: no input checks (a stored record is not validated again).
    A field with a generated default (id, timestamps) is always stored, so it is required here."""
    if info.default_factory in (list, dict):
        default: dict[str, Any] = {"default_factory": info.default_factory}
    elif info.default_factory is not None or info.is_required():
        default = {}
    else:
        default = {"default": info.default}
    return info.annotation, Field(description=info.description, **default)


def derive(name: str, record: type[BaseModel], *, base: type[BaseModel], exclude: tuple[str, ...] = (),
           mode: Literal["create", "update", "public"] = "create", doc: str | None = None,
           **extra_fields: Any) -> type[BaseModel]:
    """A schema of the family from `record`'s own fields: as they are ("create"), all optional
    ("update") or output-only ("public"), minus `exclude`, plus `extra_fields`."""
    shape = {"create": _input, "update": _optional, "public": _output}[mode]
    fields = {field: shape(info) for field, info in record.model_fields.items() if field not in exclude}
    return create_model(name, __base__=base, __doc__=doc or record.__doc__, __module__=__name__,
                        **fields, **extra_fields)


# --- records ---------------------------------------------------------------------------------

class _ChallengeWritable(_Writable):
    pass


class _ChallengeUpdatable(_Writable):
    _ignored: tuple[str, ...] = (*READ_ONLY, "agency_id")


class _Public(BaseModel):
    model_config = ConfigDict(extra="ignore", use_enum_values=True)


ChallengeCreate = derive(
    "ChallengeCreate", Challenge, base=_ChallengeWritable, exclude=READ_ONLY,
    doc="A new pain point. `agency_id`: an agency key always posts for its own agency (another id is a 403); "
        "an administrator names the agency. Omit `id` to get a generated one.")
ChallengeUpdate = derive(
    "ChallengeUpdate", Challenge, base=_ChallengeUpdatable, exclude=(*READ_ONLY, "agency_id"), mode="update",
    doc="A partial update: only the fields given change (null clears an optional field). `id` cannot change; "
        "the owning agency, `created_at` and `updated_at` are set by the service.")
VERSION_FIELD = (int | None, Field(default=None, description="The stored version (also the ETag); send it back "
                                                             "as If-Match to make a write conditional"))
ChallengePublic = derive("ChallengePublic", Challenge, base=_Public, mode="public", version=VERSION_FIELD)

InnovatorCreate = derive(
    "InnovatorCreate", Innovator, base=_Writable, exclude=READ_ONLY,
    doc="A new innovator profile (public registration). Omit `id` to get a generated one.")
InnovatorUpdate = derive(
    "InnovatorUpdate", Innovator, base=_Writable, exclude=READ_ONLY, mode="update",
    doc="A partial update of a profile: only the fields given change. `id` cannot change.")
InnovatorPublic = derive("InnovatorPublic", Innovator, base=_Public, mode="public", version=VERSION_FIELD)


class InnovatorRegistered(InnovatorPublic):  # type: ignore[misc, valid-type]
    api_key: str | None = Field(description="The innovator's API key, shown once")


# --- lists -----------------------------------------------------------------------------------

class Items(BaseModel, Generic[T]):
    data: list[T]
    count: int = Field(description="Number of items")


class Page(Items[T], Generic[T]):
    count: int = Field(description="Number of matching items over all pages")
    skip: int = 0
    limit: int = 50


class _Query(BaseModel):
    model_config = ConfigDict(extra="ignore", use_enum_values=True)

    q: Annotated[str, AfterValidator(partial(check_text, allow_blank=True))] | None = Field(
        default=None, max_length=200, description="Substring of the title / name")
    skip: int = Field(default=0, ge=0, le=2**63 - 1)  # an OFFSET must fit the databases' 64-bit integers
    limit: int = Field(default=50, ge=1, le=500)


SpokenLanguage = get_args(Innovator.model_fields["languages"].annotation)[0]
"""The languages an innovator works in (the record's `languages` items)."""


class ChallengeQuery(_Query):
    """Filters of the challenge list (keys or Thai/English labels for sector, theme, district)."""

    status: Status | None = None
    agency_id: str | None = Field(default=None, max_length=128)
    sector: SectorKey | None = None
    theme: ThemeKey | None = None
    district: District = None
    deadline_before: date | None = Field(default=None, description="Deadline on or before this day")
    deadline_after: date | None = Field(default=None, description="Deadline on or after this day")


class InnovatorQuery(_Query):
    """Filters of the innovator list (keys or Thai/English labels for sector, theme, district)."""

    kind: InnovatorKind | None = None
    sector: SectorKey | None = None
    theme: ThemeKey | None = None
    district: District = None
    language: SpokenLanguage | None = Field(default=None, description="Works in this language")  # type: ignore[valid-type]


# --- matching --------------------------------------------------------------------------------

class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Explanation(_Open):
    """Why a hit was suggested: per-component scores, shared words, cross-language word pairs, shared
    sectors and themes, and one sentence in each language."""

    components: dict[str, dict[str, float]] = Field(default_factory=dict)
    query_language: str | None = None
    document_language: str | None = None
    cross_lingual: bool = False
    shared_terms: list[str] = Field(default_factory=list)
    term_pairs: list[list[str]] = Field(default_factory=list)
    shared_sectors: list[dict[str, str]] = Field(default_factory=list)
    shared_themes: list[dict[str, str]] = Field(default_factory=list)
    summary: dict[str, str] = Field(default_factory=dict, description="{'th': ..., 'en': ...}")


class MatchedSolution(_Open):
    """The innovator's solution that answers the query best."""

    title: str
    trl: int | None = None
    snippet: str | None = None


class Hit(_Open):
    """One ranked suggestion (matcher.collection.Hit.to_dict), with what the service adds."""

    rank: int
    id: str
    title: str
    fit: int | None = Field(default=None, description="Calibrated fit, 0-100")
    band: str | None = Field(default=None, description="strong / possible / weak")
    score: float
    language: str
    state: str | None = Field(default=None, description="The pair's engagement state, if any")
    kind: str | None = None
    district: str | None = None
    languages: list[str] | None = None
    solution: MatchedSolution | None = None
    contact: Contact | None = None
    explanation: Explanation


class Matches(Items[Hit]):
    nothing_fits: bool = Field(description="True when nothing is above the relevance floor")
    query_cut: bool = Field(default=False, description="True when the query was longer than the matcher reads "
                                                       "and only its beginning was used")
    message: dict[str, str] | None = Field(default=None, description="Why the list is empty (or the query was cut), "
                                                                     "in th and en")


class SavedSearchPublic(BaseModel):
    id: int
    innovator_id: str
    text: str
    filters: Filters
    last_seen_at: datetime
    created_at: datetime


class NewForSavedSearch(Items[Hit]):
    saved_search: SavedSearchPublic


# --- requests --------------------------------------------------------------------------------

class SearchRequest(_Body):
    text: QueryText
    target: Literal["challenges", "innovators"] = "innovators"
    k: StrictInt = Field(default=10, ge=1, le=200)
    mode: Literal["dense", "lexical", "hybrid"] | None = None
    filters: Filters = Field(default_factory=Filters)


class SimilarRequest(_Body):
    text: QueryText
    k: StrictInt = Field(default=5, ge=1, le=50)


class FeedbackRequest(_Body):
    innovator_id: RecordId
    decision: Literal["shortlist", "accept", "reject"]
    note: NoteText = ""


class EngagementRequest(_Body):
    innovator_id: RecordId | None = None
    state: Literal["invited", "interested", "shortlisted", "accepted", "declined"]
    note: NoteText = Field(default="", description="A note, or the proposal with an interest")


class SavedSearchRequest(_Body):
    text: QueryText
    filters: Filters = Field(default_factory=Filters)


class AgencyCreate(_Body):
    id: RecordId
    name_th: Title
    name_en: Title


class AgencyPublic(BaseModel):
    id: str
    name_th: str
    name_en: str


class KeyRequest(_Body):
    role: Literal["admin", "agency", "innovator"]
    agency_id: RecordId | None = None
    innovator_id: RecordId | None = None
    label: NoteText = Field(default="", max_length=200)


class KeyIssued(BaseModel):
    api_key: str = Field(description="The new key, shown once")
    role: str
    agency_id: str | None = None
    innovator_id: str | None = None


# --- engagements -----------------------------------------------------------------------------

class EngagementEvent(BaseModel):
    """One step of a challenge-innovator pair (service.engagements.event_public)."""

    id: int
    challenge_id: str
    innovator_id: str
    state: str
    note: str = ""
    by: str | None = Field(default=None, description="Who made the step")
    by_side: Literal["agency", "innovator"]
    created_at: datetime
    undone_at: datetime | None = None


class Undone(BaseModel):
    undone: EngagementEvent
    state: str | None = Field(description="The pair's state after the undo (None: no step left)")


# --- health ----------------------------------------------------------------------------------

class Health(BaseModel):
    status: str


class Ready(BaseModel):
    status: str
    progress: dict[str, Any]
    index: dict[str, int]
    last_seq: int | None = None
    startup: dict[str, str] = Field(default_factory=dict)


class Reindexed(BaseModel):
    reindexed: dict[str, int]


# --- notifications ---------------------------------------------------------------------------

class NotificationText(BaseModel):
    subject: str
    body: str


class NotificationPublic(BaseModel):
    """One notification of the person's inbox, with its text in both languages."""

    id: int
    kind: str = Field(description="invited | interested | saved_search | new_suggestion")
    challenge_id: str | None
    innovator_id: str | None
    params: dict[str, Any] = Field(description="What the texts are rendered from (a value or a {th, en} pair)")
    created_at: str
    read_at: str | None = Field(description="When the person first marked it read; null while unread")
    link: str = Field(description="The page it is about")
    texts: dict[str, NotificationText] = Field(description="Subject and body by language (th, en)")


class Inbox(Page[NotificationPublic]):
    unread: int = Field(description="Unread notifications of this person (all pages)")


class MarkedRead(BaseModel):
    marked: int = Field(description="Notifications newly marked read")


# --- errors ----------------------------------------------------------------------------------

class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="Stable machine code: invalid, not_found, forbidden, unauthorized, conflict, ...")
    message: str = Field(description="English message naming every invalid field")
    field: str | None = Field(description="The first invalid field (dotted path; '' for the whole body)")
    errors: list[FieldError] = Field(description="Every invalid field: field, type, message, ctx")


class ErrorResponse(BaseModel):
    """Every error of the API: `{"error": {"code", "message", "field", "errors": [...]}}`."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description} for status, description in (
        (400, "Malformed body: invalid JSON (line and column named) or not UTF-8"),
        (401, "No or unknown API key"),
        (403, "Another party's record, or a role that may not do this"),
        (404, "Unknown id (also a confidential record the caller may not see)"),
        (409, "The id is not available (in use, deleted, or hidden), or a state that does not allow this"),
        (413, "Body over the size limit"),
        (422, "Invalid fields: every one is listed in `errors`"),
        (429, "Too many searches or writes from this address or credential: retry after `Retry-After` seconds"),
        (503, "The database is unreachable, or this process is still preparing its index: retry after `Retry-After` seconds"),
    )}
for _status in (429, 503):
    ERROR_RESPONSES[_status]["headers"] = {"Retry-After": {"description": "Seconds to wait before retrying",
                                                           "schema": {"type": "integer"}}}
"""The error responses OpenAPI shows for every route (replacing FastAPI's HTTPValidationError)."""
