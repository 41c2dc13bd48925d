from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar.di import Provide

from app.domain.books.imports import ImportService
from app.domain.books.services import BookService
from app.domain.books.views import BookViews
from app.lib.database import get_alchemy_config
from app.lib.deps import create_collection_dependencies, provide_limit_offset

if TYPE_CHECKING:
    from litestar.types import Scope

book_dependencies = create_collection_dependencies(
    BookService,
    key="books_service",
    search="title",
    order_fields={"title": "title", "publishedYear": "published_year", "createdAt": "created_at"},
    default_order=("createdAt", "desc"),
)


def provide_book_views(scope: Scope) -> BookViews:
    return BookViews(scope)


book_dependencies["book_views"] = Provide(provide_book_views, sync_to_thread=False)

import_dependencies: dict[str, Any] = {
    "imports_service": Provide(create_service_provider(ImportService, config=get_alchemy_config())),
    "limit_offset": Provide(provide_limit_offset, sync_to_thread=False),
}
