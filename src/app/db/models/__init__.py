"""Every SQLAlchemy model, importable as `from app.db import models as m`."""

from advanced_alchemy.base import orm_registry

from app.db.models.account_token import AccountToken
from app.db.models.api_token import ApiToken
from app.db.models.author import Author
from app.db.models.book import Book, cover_url, cover_version, versioned_cover_url
from app.db.models.book_import import BookImport
from app.db.models.book_tag import book_tag
from app.db.models.rate_limit import rate_limit_counter
from app.db.models.tag import Tag
from app.db.models.user import User
from app.db.models.user_session import UserSession

metadata = orm_registry.metadata

__all__ = (
    "AccountToken",
    "ApiToken",
    "Author",
    "Book",
    "BookImport",
    "Tag",
    "User",
    "UserSession",
    "book_tag",
    "cover_url",
    "cover_version",
    "metadata",
    "rate_limit_counter",
    "versioned_cover_url",
)
