from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import msgspec

from app.db import models as m
from app.lib import validation as v
from app.lib.schema import CamelizedBaseStruct, PatchStruct


class Author(CamelizedBaseStruct):
    id: UUID
    name: str
    slug: str
    bio: str | None
    dob: date | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, author: m.Author) -> Author:
        return cls(
            id=author.id,
            name=author.name,
            slug=author.slug,
            bio=author.bio,
            dob=author.dob,
            created_by=author.created_by,
            created_at=author.created_at,
            updated_at=author.updated_at,
        )


class AuthorCreate(CamelizedBaseStruct):
    name: str
    bio: str | None = None
    dob: date | None = None

    def __post_init__(self) -> None:
        self.name = v.clean_name(v.clean_text_without_nul(self.name, "name"), "name")
        self.bio = v.clean_long_text(self.bio and v.clean_text_without_nul(self.bio, "bio"), "bio")
        if self.dob is not None:
            self.dob = v.clean_dob(self.dob)


class AuthorUpdate(PatchStruct):
    name: str | msgspec.UnsetType = msgspec.UNSET
    bio: str | msgspec.UnsetType | None = msgspec.UNSET
    dob: date | msgspec.UnsetType | None = msgspec.UNSET

    def __post_init__(self) -> None:
        if isinstance(self.name, str):
            self.name = v.clean_name(v.clean_text_without_nul(self.name, "name"), "name")
        if isinstance(self.bio, str):
            self.bio = v.clean_long_text(v.clean_text_without_nul(self.bio, "bio"), "bio")
        if isinstance(self.dob, date):
            self.dob = v.clean_dob(self.dob)
