from __future__ import annotations

from app.domain.tags.services import TagService
from app.lib.deps import create_collection_dependencies

tag_dependencies = create_collection_dependencies(
    TagService,
    key="tags_service",
    search="name",
    order_fields={"name": "name", "bookCount": "book_count"},
    default_order=("name", "asc"),
)
