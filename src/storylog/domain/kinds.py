"""Kinds of source: a plain enum, kept apart from the pydantic values so that read
commands (source timelines) can name kinds without loading pydantic."""

from __future__ import annotations

from enum import StrEnum


class SourceKind(StrEnum):
    OUTLET = "outlet"
    PERSON = "person"
    OFFICIAL = "official"
    ANALYST = "analyst"
    OSINT = "osint"
    SOCIAL_MEDIA = "social-media"
    ANONYMOUS = "anonymous"
    AGENCY = "agency"
    OTHER = "other"
