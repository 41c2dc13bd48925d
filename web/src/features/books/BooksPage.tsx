export function BooksPage() { return <h1>BooksPage</h1>; }
