import { Link } from "react-router";
import type { Book } from "./api";

/** A book's tags as links to their pages. */
export function TagLinks({ tags, label }: { tags: Book["tags"]; label?: string }) {
  return (
    <ul className="tag-list" aria-label={label}>
      {tags.map((tag) => (
        <li key={tag.id}>
          <Link className="tag" to={`/tags/${tag.id}`}>
            {tag.name}
          </Link>
        </li>
      ))}
    </ul>
  );
}
