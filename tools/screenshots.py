"""Take the README's screenshots of a running Folio (`make run`), in Debian's Chromium.

Signs up a demo user, fills the catalogue through the API (tools/seed.py) with generated covers,
starts a large import, and captures the catalogue page and the import's live progress:

    .venv/bin/python tools/screenshots.py [--base-url http://127.0.0.1:8000] [--out docs/screenshots]

Use a fresh DATA_DIR for the app so that the pictures show only the demo data.
"""

from __future__ import annotations

import argparse
import colorsys
import random
import struct
import time
import uuid
import zlib
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

from seed import seed

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
PASSWORD = "demo catalogue lantern 7"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def cover_png(hue: float, width: int = 200, height: int = 300) -> bytes:
    """A vertical two-tone gradient, as a PNG."""
    rows = []
    for y in range(height):
        r, g, b = colorsys.hsv_to_rgb(hue, 0.55, 0.95 - 0.5 * y / height)
        rows.append(b"\x00" + bytes([int(r * 255), int(g * 255), int(b * 255)]) * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _chunk(b"IEND", b"")
    )


def big_csv(rows: int) -> bytes:
    lines = ["title,author,publishedYear,tags"]
    lines += [f"Imported Volume {n},Imported Author {n % 97},{1900 + n % 120},Imported" for n in range(rows)]
    lines.insert(50, "Missing Author,,1999,")
    return ("\n".join(lines) + "\n").encode()


def demo_user(client: httpx.Client) -> str:
    """Signs up a demo user on `client` (session cookie) and returns an API token of theirs."""
    client.get("/api/me")
    csrf = {"X-CSRFToken": client.cookies["csrftoken"]}
    email = f"demo-{uuid.uuid4().hex[:6]}@example.com"
    client.post("/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "Dana Demo"}, headers=csrf)
    created = client.post("/api/me/tokens", json={"name": "screenshots"}, headers=csrf)
    created.raise_for_status()
    return str(created.json()["token"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)

    with httpx.Client(base_url=args.base_url, timeout=30) as client:
        token = demo_user(client)
        bearer = {"Authorization": f"Bearer {token}"}
        seed(args.base_url, token, books=30, seed_value=7)
        books = client.get("/api/books", params={"pageSize": 20}, headers=bearer).json()["items"]
        rng = random.Random(7)
        for book in books[:16]:
            files = {"file": ("cover.png", cover_png(rng.random()), "image/png")}
            client.put(f"/api/books/{book['id']}/cover", files=files, headers=bearer).raise_for_status()
        cookies = [{"name": name, "value": value, "url": args.base_url} for name, value in client.cookies.items()]
        files = {"file": ("library.csv", big_csv(60_000), "text/csv")}
        started = client.post("/api/imports", files=files, headers=bearer)
        started.raise_for_status()
        import_id = started.json()["id"]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=args.base_url)
        context.add_cookies(cookies)  # type: ignore[arg-type]
        page = context.new_page()
        page.goto(f"/imports/{import_id}")
        page.get_by_text("rows processed").wait_for()
        time.sleep(1.5)
        page.screenshot(path=args.out / "import-progress.png")
        page.get_by_text("Finished:").wait_for(timeout=300_000)
        page.goto("/books?sort=title-desc")
        page.get_by_role("heading", name="Books").wait_for()
        page.locator("img[src*='/cover']").first.wait_for()
        time.sleep(1)
        page.screenshot(path=args.out / "catalogue.png")
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        page.locator("img[src*='/cover']").first.wait_for()
        time.sleep(1)
        page.screenshot(path=args.out / "catalogue-phone.png")
        browser.close()
    print(f"screenshots written to {args.out}/")


if __name__ == "__main__":
    main()
