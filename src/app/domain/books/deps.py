from __future__ import annotations

from app.domain.books.services import BookService
from app.lib.deps import create_collection_dependencies

book_dependencies = create_collection_dependencies(
    BookService,
    key="books_service",
    search="title",
    order_fields={"title": "title", "publishedYear": "published_year", "createdAt": "created_at"},
    default_order=("createdAt", "desc"),
)
