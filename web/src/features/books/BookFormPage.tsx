export function NewBookPage() { return <h1>New book</h1>; }
export function EditBookPage() { return <h1>Edit book</h1>; }
