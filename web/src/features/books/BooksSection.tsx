import type { ReactNode } from "react";
import { Empty, QueryState } from "../../components/QueryState";
import { Pagination } from "../../components/Pagination";
import { type BooksOfFilter, useBooksOf } from "./api";
import { BookList } from "./BookList";
import { plural } from "../../components/ListControls";

/** The paginated books of one author or one tag, under an <h2> that gives their number. */
export function BooksSection({
  filter,
  page,
  onPage,
  showAuthor = false,
  empty,
}: {
  filter: BooksOfFilter;
  page: number;
  onPage: (page: number) => void;
  showAuthor?: boolean;
  empty: ReactNode;
}) {
  const books = useBooksOf(filter, page);
  return (
    <section aria-labelledby="books-heading">
      <h2 id="books-heading">
        Books{books.data?.total != null ? <span className="meta"> ({books.data.total.toLocaleString()})</span> : null}
      </h2>
      <QueryState query={books}>
        {(data) => {
          const items = data.items ?? [];
          const total = data.total ?? 0;
          if (items.length === 0) {
            return page > 1 && total > 0 ? (
              <Empty>
                There are no books on this page. <button type="button" className="link" onClick={() => onPage(1)}>Go to the first page</button>
              </Empty>
            ) : (
              <Empty>{empty}</Empty>
            );
          }
          return (
            <>
              <p className="visually-hidden" role="status">{plural(total, "book")}, page {page}</p>
              <BookList books={items} showAuthor={showAuthor} />
              <Pagination total={total} limit={data.limit ?? items.length} offset={data.offset ?? 0} onPage={onPage} />
            </>
          );
        }}
      </QueryState>
    </section>
  );
}
