import { Link } from "react-router";
import type { Book } from "./api";
import "../../components/lists.css";

/** Book cards: cover thumbnail (or a placeholder), title linking to the book, year, and optionally the author. */
export function BookList({ books, showAuthor = false }: { books: Book[]; showAuthor?: boolean }) {
  return (
    <ul className="card-list">
      {books.map((book) => (
        <li key={book.id} className="card">
          {book.coverUrl ? (
            <img className="cover" src={book.coverUrl} alt="" loading="lazy" width={72} height={108} />
          ) : (
            <div className="cover cover-placeholder" aria-hidden="true">No cover</div>
          )}
          <div className="card-body">
            <h3>
              <Link to={`/books/${book.slug}`}>{book.title}</Link>
            </h3>
            {showAuthor ? (
              <p className="meta">
                by <Link to={`/authors/${book.author.slug}`}>{book.author.name}</Link>
              </p>
            ) : null}
            <p className="meta">{book.publishedYear != null ? formatYear(book.publishedYear) : "Year unknown"}</p>
          </div>
        </li>
      ))}
    </ul>
  );
}

function formatYear(year: number): string {
  return year < 0 ? `${-year} BCE` : String(year);
}
