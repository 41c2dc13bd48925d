export function NewAuthorPage() { return <h1>New author</h1>; }
export function EditAuthorPage() { return <h1>Edit author</h1>; }
