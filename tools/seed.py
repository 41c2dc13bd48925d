"""Fill a running Folio with a small sample catalogue through its public API, as the user of an API token.

Make a token on the account page (or `POST /api/me/tokens`) and pass it with `--token` or `FOLIO_TOKEN`.
"""

from __future__ import annotations

import argparse
import os
import random

import httpx

FIRST = ["Ada", "Bram", "Clara", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas"]
LAST = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Quispe", "Novak", "Haddad", "Oduya", "Ferreira", "Kowalski"]
WORDS = ["River", "Glass", "Winter", "Garden", "Machine", "Silence", "Harbour", "Letters", "Orbit", "Ember"]
TAGS = ["Fiction", "History", "Science", "Poetry", "Travel", "Mystery", "Biography", "Essays"]


def isbn13(rng: random.Random) -> str:
    digits = "978" + "".join(str(rng.randint(0, 9)) for _ in range(9))
    check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)) % 10) % 10
    return digits + str(check)


def seed(base_url: str, token: str, books: int, seed_value: int) -> None:
    rng = random.Random(seed_value)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as client:
        authors = []
        for _ in range(max(1, books // 5)):
            response = client.post("/api/authors", json={"name": f"{rng.choice(FIRST)} {rng.choice(LAST)}"})
            response.raise_for_status()
            authors.append(response.json()["id"])
        created = 0
        for _ in range(books):
            body = {
                "title": f"The {rng.choice(WORDS)} of {rng.choice(WORDS)}",
                "authorId": rng.choice(authors),
                "isbn": isbn13(rng),
                "publishedYear": rng.randint(1850, 2025),
                "tags": rng.sample(TAGS, k=rng.randint(1, 3)),
            }
            response = client.post("/api/books", json=body)
            if response.status_code == httpx.codes.CREATED:
                created += 1
            elif response.status_code != httpx.codes.CONFLICT:
                response.raise_for_status()
        print(f"created {len(authors)} authors and {created} books")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--books", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token", default=os.environ.get("FOLIO_TOKEN"), help="an API token (default: $FOLIO_TOKEN)")
    args = parser.parse_args()
    if not args.token:
        parser.error("an API token is needed: --token or FOLIO_TOKEN")
    seed(args.base_url, args.token, args.books, args.seed)


if __name__ == "__main__":
    main()
