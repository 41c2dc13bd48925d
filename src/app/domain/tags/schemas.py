from __future__ import annotations

from uuid import UUID

from app.db import models as m
from app.lib import validation as v
from app.lib.schema import CamelizedBaseStruct


class Tag(CamelizedBaseStruct):
    id: UUID
    name: str
    slug: str
    book_count: int

    @classmethod
    def from_model(cls, tag: m.Tag) -> Tag:
        return cls(id=tag.id, name=tag.name, slug=tag.slug, book_count=tag.book_count)


class TagRef(CamelizedBaseStruct):
    id: UUID
    name: str
    slug: str


class TagWrite(CamelizedBaseStruct):
    name: str

    def __post_init__(self) -> None:
        self.name = v.clean_tag_name(self.name, "name")
