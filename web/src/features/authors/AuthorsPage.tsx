export function AuthorsPage() { return <h1>AuthorsPage</h1>; }
