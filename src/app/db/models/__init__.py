"""Every SQLAlchemy model, importable as `from app.db import models as m`."""

from advanced_alchemy.base import orm_registry

from app.db.models.author import Author
from app.db.models.book import Book
from app.db.models.book_tag import book_tag
from app.db.models.tag import Tag

metadata = orm_registry.metadata

__all__ = ("Author", "Book", "Tag", "book_tag", "metadata")
