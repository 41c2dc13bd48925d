from __future__ import annotations

from app.domain.authors.services import AuthorService
from app.lib.deps import create_collection_dependencies

author_dependencies = create_collection_dependencies(
    AuthorService,
    key="authors_service",
    search="name",
    order_fields={"name": "name", "createdAt": "created_at"},
    default_order=("createdAt", "desc"),
)
