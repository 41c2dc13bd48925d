# mypy: disallow-untyped-calls=False
"""The database, held to what the clients were told: counts and checksums over the very rows.

Each check computes in SQL, over the ids (or ISBNs) the clients know, the same lines the ledger
makes and their md5; when they differ, the rows are compared one by one to say exactly which.
A write that got no answer must be there whole, in one of the states it may have left, or (where
that is possible) not at all; never in part. The import jobs are read through SAQ, so the check
holds for the queue in PostgreSQL and in Redis alike.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import asyncpg

from load.ledger import Ledger, checksum
from load.queue_jobs import import_jobs

MAX_LISTED = 20
"""Ids or rows named in a failed check's detail; the rest are counted."""

TAG_SLUGS = (
    "coalesce((SELECT string_agg(t.slug, ',' ORDER BY t.slug COLLATE \"C\") FROM book_tag bt"
    " JOIN tag t ON t.id = bt.tag_id WHERE bt.book_id = b.id), '')"
)
BOOK_LINES = f"""
    SELECT b.id::text AS key,
           concat_ws(E'\\t', b.id::text, b.title, coalesce(b.isbn, ''), b.author_id::text, {TAG_SLUGS}) AS line
    FROM book b WHERE b.id = ANY($1::uuid[])
"""
IMPORTED_LINES = f"""
    SELECT b.isbn AS key,
           concat_ws(E'\\t', b.isbn, b.title, lower(a.name), {TAG_SLUGS}) AS line
    FROM book b JOIN author a ON a.id = b.author_id WHERE b.isbn = ANY($1::text[])
"""
AUTHOR_LINES = """
    SELECT a.id::text AS key, concat_ws(E'\\t', a.id::text, a.name, coalesce(a.bio, '')) AS line
    FROM author a WHERE a.id = ANY($1::uuid[])
"""
DIGEST = "SELECT count(*), md5(coalesce(string_agg(line, E'\\n' ORDER BY line COLLATE \"C\"), '')) FROM ({lines}) s"
BOOK_CONTENT = (
    f"SELECT {{key}} AS key, concat_ws(E'\\t', b.title, coalesce(b.isbn, ''), b.author_id::text, {TAG_SLUGS})"
    " AS content FROM book b WHERE {key} = ANY($1::text[])"
)
AUTHOR_CONTENT = (
    "SELECT {key} AS key, concat_ws(E'\\t', a.name, coalesce(a.bio, '')) AS content"
    " FROM author a WHERE {key} = ANY($1::text[])"
)
CONTENT_BY = {
    ("book", "id"): BOOK_CONTENT.format(key="b.id::text"),
    ("book", "title"): BOOK_CONTENT.format(key="b.title"),
    ("author", "id"): AUTHOR_CONTENT.format(key="a.id::text"),
    ("author", "name"): AUTHOR_CONTENT.format(key="a.name"),
}
"""A record's content (its line without the id) by the key an unanswered write is found by."""
ISBN_HOLDERS = f"""
    SELECT b.isbn AS key, b.title, concat_ws(E'\\t', b.isbn, b.title, lower(a.name), {TAG_SLUGS}) AS line
    FROM book b JOIN author a ON a.id = b.author_id WHERE b.isbn = ANY($1::text[])
"""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def _listed(values: list[str]) -> str:
    shown = ", ".join(values[:MAX_LISTED])
    return shown + (f" and {len(values) - MAX_LISTED} more" if len(values) > MAX_LISTED else "")


async def _same_rows(connection: asyncpg.Connection, name: str, lines_sql: str, expected: dict[str, str]) -> Check:
    """`expected` maps each key to its line; the database must give exactly those lines for those keys."""
    keys = list(expected)
    count, digest = await connection.fetchrow(DIGEST.format(lines=lines_sql), keys)
    wanted = checksum(list(expected.values()))
    if count == len(keys) and digest == wanted:
        return Check(name, True, f"{count} rows, md5 {digest}")
    found = {row["key"]: row["line"] for row in await connection.fetch(lines_sql, keys)}
    missing = [key for key in keys if key not in found]
    different = [
        f"{key}: expected {expected[key]!r}, found {found[key]!r}"
        for key in keys
        if found.get(key, expected[key]) != expected[key]
    ]
    detail = f"{count} of {len(keys)} rows, md5 {digest} != {wanted}"
    if missing:
        detail += f"; missing {len(missing)}: {_listed(missing)}"
    if different:
        detail += f"; different {len(different)}: {_listed(different)}"
    return Check(name, False, detail)


async def _gone(connection: asyncpg.Connection, name: str, table: str, ids: set[str]) -> Check:
    left = await connection.fetch(f"SELECT id::text FROM {table} WHERE id = ANY($1::uuid[])", list(ids))
    if not left:
        return Check(name, True, f"{len(ids)} deleted, none left")
    return Check(name, False, f"{len(left)} of {len(ids)} still there: {_listed([row['id'] for row in left])}")


def _import_counts(ledger: Ledger) -> list[Check]:
    """Every import finished, succeeded, and counted each row once, as the files and the races demand."""
    wrong: list[str] = []
    for record in ledger.imports:
        final = record.final
        rows = len(record.rows)
        if final is None:
            wrong.append(f"{record.id} ({record.filename}) did not finish in time")
            continue
        won_by_writers = 0 if record.repeat else sum(ledger.contended.get(row.isbn) == "writer" for row in record.rows)
        unknown = sum(ledger.contended.get(row.isbn) == "unknown" for row in record.rows)
        created, skipped, failed, processed = (final[key] for key in ("created", "skipped", "failed", "processed"))
        expected_created = 0 if record.repeat else rows - won_by_writers
        problems = []
        if final["status"] != "succeeded":
            problems.append(f"status {final['status']} ({final.get('message')})")
        if created + skipped + failed != processed:
            problems.append(f"created {created} + skipped {skipped} + failed {failed} != processed {processed}")
        if processed != rows or final["total"] != rows:
            problems.append(f"processed {processed}, total {final['total']} of {rows} rows")
        if failed or final["errors"]:
            problems.append(f"failed {failed}: {final['errors'][:3]}")
        if not unknown and (created, skipped) != (expected_created, rows - expected_created):
            problems.append(
                f"created {created}, skipped {skipped}; expected {expected_created}, {rows - expected_created}"
            )
        if problems:
            wrong.append(f"{record.id} ({record.filename}{', again' if record.repeat else ''}): {'; '.join(problems)}")
    repeats = sum(record.repeat for record in ledger.imports)
    detail = f"{len(ledger.imports)} imports ({repeats} of a file already imported)"
    if wrong:
        return [Check("imports finished and counted", False, f"{detail}; {_listed(wrong)}")]
    return [Check("imports finished and counted", True, f"{detail}, all succeeded with the expected counts")]


async def _import_workers(queue_url: str, ledger: Ledger) -> tuple[Check, dict[str, Any]]:
    """Every import's job complete in the queue, the jobs spread over more than one worker."""
    jobs = await import_jobs(queue_url, [record.id for record in ledger.imports])
    found = [job for job in jobs.values() if job is not None]
    per_worker = Counter(job.worker_id or "none" for job in found)
    statuses = Counter(job.status.value for job in found)
    retried = sorted(import_id for import_id, job in jobs.items() if job is not None and job.attempts > 1)
    missing = sorted(import_id for import_id, job in jobs.items() if job is None)
    detail = f"jobs per worker {dict(per_worker)}, statuses {dict(statuses)}, run more than once {len(retried)}"
    if missing:
        detail += f"; no job for {_listed(missing)}"
    ok = not missing and set(statuses) <= {"complete"} and (len(jobs) < 2 or len(per_worker) >= 2)
    facts = {
        "import_jobs_per_worker": dict(per_worker),
        "import_jobs_run_more_than_once": retried,
        "import_job_attempts": {import_id: job.attempts for import_id, job in jobs.items() if job is not None},
    }
    return Check("import jobs complete, on more than one worker", ok, detail), facts


async def _uncertain(connection: asyncpg.Connection, ledger: Ledger) -> tuple[Check, int]:
    """Each write without an answer, whole in one of its states or (where allowed) absent; and the
    number of books among them that are there."""
    found: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for (table, by), sql in CONTENT_BY.items():
        keys = [write.key for write in ledger.uncertain if (write.table, write.by) == (table, by)]
        if keys:
            for row in await connection.fetch(sql, keys):
                found[table, by, row["key"]].append(row["content"])
    wrong: list[str] = []
    present = Counter[str]()
    for write in ledger.uncertain:
        contents = found.get((write.table, write.by, write.key), [])
        if not contents and write.may_be_absent:
            continue
        if len(contents) == 1 and contents[0] in write.states:
            present[write.table] += 1
            continue
        expected = " or ".join(repr(state) for state in sorted(write.states))
        wrong.append(f"{write.description}: found {contents or 'nothing'}, expected {expected}")
    there = sum(present.values())
    detail = (
        f"{len(ledger.uncertain)} writes without an answer, each in a state it allows:"
        f" {there} records there whole, {len(ledger.uncertain) - there} not there"
    )
    if wrong:
        return Check("writes without an answer whole or absent", False, f"{detail}; {_listed(wrong)}"), present["book"]
    return Check("writes without an answer whole or absent", True, detail), present["book"]


async def _contended_unknown(connection: asyncpg.Connection, ledger: Ledger) -> Check:
    """An import's ISBN a writer's unanswered create also claimed: held once, by the writer's book or the row."""
    rows = {
        row.isbn: row
        for record in ledger.imports
        if not record.repeat
        for row in record.rows
        if ledger.contended.get(row.isbn) == "unknown"
    }
    holders: dict[str, list[asyncpg.Record]] = defaultdict(list)
    for holder in await connection.fetch(ISBN_HOLDERS, list(rows)):
        holders[holder["key"]].append(holder)
    wrong = [
        f"{isbn}: held by {[holder['line'] for holder in holders[isbn]]}"
        for isbn, row in rows.items()
        if len(holders[isbn]) != 1
        or holders[isbn][0]["title"] not in {ledger.contended_titles[isbn], row.title}
        or (holders[isbn][0]["title"] == row.title and holders[isbn][0]["line"] != row.line())
    ]
    detail = f"{len(rows)} isbns"
    return Check(
        "isbns an unanswered create contended held once", not wrong, f"{detail}; {_listed(wrong)}" if wrong else detail
    )


async def check_integrity(
    dsn: str, queue_url: str, ledger: Ledger, dataset_books: int
) -> tuple[list[Check], dict[str, Any]]:
    """Every check, and facts worth reporting (which worker ran which import)."""
    connection = await asyncpg.connect(dsn)
    try:
        checks = [
            await _same_rows(
                connection,
                "books the clients were told exist",
                BOOK_LINES,
                {book.id: book.line() for book in ledger.books.values()},
            ),
            await _gone(connection, "deleted books gone", "book", ledger.deleted_books),
            await _same_rows(
                connection,
                "authors the clients were told exist",
                AUTHOR_LINES,
                {author.id: author.line() for author in ledger.authors.values()},
            ),
            await _gone(connection, "deleted authors gone", "author", ledger.deleted_authors),
            await _same_rows(
                connection,
                "imported rows present",
                IMPORTED_LINES,
                {isbn: row.line() for isbn, row in ledger.imported_rows().items()},
            ),
            *_import_counts(ledger),
        ]
        duplicates = await connection.fetch(
            "SELECT isbn FROM book WHERE isbn IS NOT NULL GROUP BY isbn HAVING count(*) > 1"
        )
        checks.append(
            Check("no duplicate isbn", not duplicates, _listed([row["isbn"] for row in duplicates]) or "none")
        )
        twins = await connection.fetch("SELECT lower(name) AS name FROM author GROUP BY 1 HAVING count(*) > 1")
        checks.append(
            Check("no author twice (imports match names)", not twins, _listed([row["name"] for row in twins]) or "none")
        )
        refused = await connection.fetchval(
            "SELECT count(*) FROM book WHERE title = ANY($1::text[])", ledger.refused_titles
        )
        checks.append(Check("refused writes absent", refused == 0, f"{refused} of {len(ledger.refused_titles)} found"))
        uncertain_check, uncertain_books = await _uncertain(connection, ledger)
        checks.append(uncertain_check)
        checks.append(await _contended_unknown(connection, ledger))
        unlanded = await connection.fetch("SELECT isbn FROM book WHERE isbn = ANY($1::text[])", ledger.unlanded_isbns)
        checks.append(
            Check(
                "rows of unanswered uploads that made no import absent",
                not unlanded,
                f"{len(unlanded)} of {len(ledger.unlanded_isbns)} found"
                + (f": {_listed([r['isbn'] for r in unlanded])}" if unlanded else ""),
            )
        )
        total = await connection.fetchval("SELECT count(*) FROM book")
        imported = sum(record.final["created"] for record in ledger.imports if record.final)
        expected_total = dataset_books + len(ledger.books) + imported + uncertain_books
        checks.append(
            Check(
                "book count",
                total == expected_total,
                f"{total} books; expected {dataset_books} loaded + {len(ledger.books)} created and kept"
                f" + {imported} imported + {uncertain_books} written without an answer = {expected_total}",
            )
        )
    finally:
        await connection.close()
    workers_check, job_facts = await _import_workers(queue_url, ledger)
    checks.append(workers_check)
    facts = {
        **job_facts,
        "contended_isbns": dict(Counter(ledger.contended.values())),
        "unanswered_uploads": dict(ledger.unanswered_uploads),
    }
    return checks, facts


def lines(checks: list[Check]) -> list[str]:
    return [f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}" for check in checks]


def verdict(checks: list[Check]) -> str:
    failed = [check for check in checks if not check.ok]
    summary = "integrity: " + ("CLEAN" if not failed else f"{len(failed)} check(s) FAILED")
    return "\n".join([*lines(checks), summary])


def to_json(checks: list[Check]) -> list[dict[str, Any]]:
    return [{"name": check.name, "ok": check.ok, "detail": check.detail} for check in checks]
