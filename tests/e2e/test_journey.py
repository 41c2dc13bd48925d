"""The whole journey of a new user in a real Chromium, against the real app, database and worker."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
from playwright.async_api import Page, Route, expect

from tests.e2e.conftest import NewContext
from tests.support.images import tiny_png
from tests.support.live_app import LiveApp
from tests.support.mailbox import wait_for_link
from tests.support.processes import app_env, run_app_command

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PASSWORD = "quiet harbour lanterns 42"
NEW_PASSWORD = "seven silver otters sing"


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


async def sign_up(page: Page, email: str, name: str) -> None:
    await page.goto("/signup")
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome to Folio, {name}")


async def sign_in(page: Page, email: str, password: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Password", exact=True).fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/books$"))


def catalogue_csv(rows: int) -> bytes:
    lines = ["title,author,isbn,publishedYear,description,tags"]
    for number in range(rows):
        lines.append(f"Imported Volume {number},Imported Author {number % 7},,{1900 + number % 120},,Imported|Batch")
    lines.insert(10, "No Author Given,,,1999,,")  # line 11
    lines.insert(20, "Bad Year,Someone,,nineteen,,")  # line 21
    return ("\n".join(lines) + "\n").encode()


async def test_a_new_reader_catalogues_imports_and_recovers_the_account(page: Page, live_app: LiveApp) -> None:
    email, name = unique_email("reader"), "Rosa Reader"

    await page.goto("/")
    await expect(page).to_have_url(re.compile(r"/books$"))
    await page.get_by_role("link", name="Sign up").click()
    await expect(page).to_have_url(re.compile(r"/signup$"))
    await sign_up(page, email, name)

    # The verification link from the message the `file` backend wrote.
    await page.goto(await asyncio.to_thread(wait_for_link, live_app.email_dir, email, "verify-email"))
    await expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()

    # An author of their own, then a book for that author picked by type-ahead, with tags and a cover.
    await page.goto("/authors/new")
    await page.get_by_label("Name", exact=True).fill("Ursula K. Le Guin")
    await page.get_by_label("Biography", exact=True).fill("Wrote Earthsea.")
    await page.get_by_role("button", name=re.compile("^(Add|Create|Save)")).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Ursula K. Le Guin")

    await page.goto("/books")
    await page.get_by_role("link", name="Add a book").click()
    await page.get_by_label("Title", exact=True).fill("A Wizard of Earthsea")
    author = page.get_by_role("combobox", name="Author")
    await author.fill("le gui")
    await page.get_by_role("option", name="Ursula K. Le Guin").click()
    await page.get_by_label("Published year", exact=True).fill("1967")
    tags = page.get_by_role("combobox", name="Tags")
    await tags.fill("Fantasy")
    await tags.press("Enter")
    await tags.fill("Classics")
    await tags.press("Enter")
    await page.get_by_label("Cover image (optional)", exact=True).set_input_files(
        {"name": "earthsea.png", "mimeType": "image/png", "buffer": tiny_png(200)}
    )
    await page.get_by_role("button", name="Add book").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("A Wizard of Earthsea")
    await expect(page).to_have_url(re.compile(r"/books/a-wizard-of-earthsea$"))
    cover = page.locator("img[src*='/cover']")
    await expect(cover).to_have_js_property("naturalWidth", 1)

    # A second book whose author is created inline from the picker.
    await page.goto("/books/new")
    await page.get_by_label("Title", exact=True).fill("Kindred")
    author = page.get_by_role("combobox", name="Author")
    await author.fill("Octavia E. Butler")
    await page.get_by_role("option", name="Create author “Octavia E. Butler”").click()
    tags = page.get_by_role("combobox", name="Tags")
    await tags.fill("Time Travel")
    await tags.press("Enter")
    await page.get_by_role("button", name="Add book").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kindred")

    # Search and filters live in the URL.
    await page.goto("/books")
    books = page.get_by_role("main").get_by_role("heading", level=2)
    await expect(books).to_have_count(2)
    await page.get_by_label("Search titles", exact=True).fill("wizard")
    await page.get_by_label("Search titles", exact=True).press("Enter")
    await expect(page).to_have_url(re.compile(r"q=wizard"))
    await expect(books).to_have_text(["A Wizard of Earthsea"])
    await page.goto("/books")
    await page.get_by_label("Tag", exact=True).select_option("time-travel")
    await expect(page).to_have_url(re.compile(r"tag=time-travel"))
    await expect(books).to_have_text(["Kindred"])
    await page.reload()
    await expect(books).to_have_text(["Kindred"])

    # Edit the first book.
    await page.goto("/books/a-wizard-of-earthsea")
    await page.get_by_role("link", name="Edit").click()
    await page.get_by_label("Published year", exact=True).fill("1968")
    await page.get_by_role("button", name="Save changes").click()
    await expect(page).to_have_url(re.compile(r"/books/a-wizard-of-earthsea$"))
    await expect(page.get_by_role("main")).to_contain_text("1968")

    # Import a generated CSV and watch the worker finish it.
    await page.goto("/imports")
    await page.get_by_label("File to import", exact=True).set_input_files(
        {"name": "catalogue.csv", "mimeType": "text/csv", "buffer": catalogue_csv(400)}
    )
    await page.get_by_role("button", name="Upload and import").click()
    await expect(page).to_have_url(re.compile(r"/imports/[0-9a-f-]{36}$"))
    await expect(page.get_by_role("progressbar")).to_be_visible()
    await expect(page.get_by_text(re.compile(r"^Finished: 402 of 402 rows processed"))).to_be_visible(timeout=60_000)
    problems = page.get_by_role("table").filter(has_text="nineteen").or_(page.get_by_role("table").last)
    await expect(problems).to_contain_text("11")
    await expect(problems).to_contain_text("author is required")
    await expect(problems).to_contain_text("publishedYear must be a whole number")

    # Sign out; a password reset from the mailed link; sign in with the new password.
    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/login$"))
    await page.get_by_role("link", name="Forgot your password?").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")
    await page.wait_for_load_state("networkidle")
    await page.get_by_label("Email", exact=True).fill(email)
    await expect(page.get_by_label("Email", exact=True)).to_have_value(email)
    await page.get_by_role("button", name="Send reset link").click()
    await expect(page.get_by_role("status")).to_be_visible()
    await page.goto(await asyncio.to_thread(wait_for_link, live_app.email_dir, email, "reset-password"))
    await page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_label("Confirm new password", exact=True).fill(NEW_PASSWORD)
    await page.get_by_role("button", name="Set new password").click()
    await expect(page.get_by_role("main")).to_contain_text(re.compile("password", re.IGNORECASE))
    await sign_in(page, email, NEW_PASSWORD)
    await expect(page.get_by_role("link", name=f"Account of {name}")).to_be_visible()


async def test_a_deactivated_readers_open_session_stops_working(new_context: NewContext, e2e_database: str) -> None:
    reader = await (await new_context()).new_page()
    admin = await (await new_context()).new_page()
    reader_email, admin_email = unique_email("reader"), unique_email("admin")
    await sign_up(reader, reader_email, "Dora Deactivated")
    await sign_up(admin, admin_email, "Ada Admin")
    promoted = await asyncio.to_thread(
        run_app_command, "users", "promote", admin_email, env=app_env(DATABASE_URL=e2e_database)
    )
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr

    await reader.goto("/account")
    await expect(reader.get_by_role("heading", level=1)).to_have_text("Your account")

    await admin.goto("/admin/users")
    await admin.get_by_label("Search by name or email", exact=True).fill(reader_email)
    await admin.get_by_role("button", name="Search").click()
    row = admin.get_by_role("row").filter(has_text=reader_email)
    await expect(row).to_have_count(1)
    await row.get_by_role("button", name=re.compile("^Deactivate")).click()
    await admin.get_by_role("dialog").get_by_role("button", name="Deactivate").click()
    await expect(row).to_contain_text("Deactivated")

    # The reader's open page: the next request is refused and the app asks them to sign in again.
    await reader.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    await expect(reader).to_have_url(re.compile(r"/login\?next=%2Fimports$"))
    await reader.get_by_label("Email", exact=True).fill(reader_email)
    await reader.get_by_label("Password", exact=True).fill(PASSWORD)
    await reader.get_by_role("button", name="Sign in").click()
    await expect(reader.get_by_role("alert")).to_be_visible()
    await expect(reader).to_have_url(re.compile(r"/login"))


async def test_the_catalogue_fits_a_phone_and_works_with_the_keyboard(page: Page) -> None:
    await page.set_viewport_size({"width": 360, "height": 740})
    await page.goto("/books")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Books")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360

    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    await expect(skip).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    await page.get_by_role("link", name="Authors").focus()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(re.compile(r"/authors$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("Authors")


async def test_an_api_failure_is_shown_and_can_be_retried(page: Page) -> None:
    failing = True

    async def books_api(route: Route) -> None:
        if failing:
            problem = (
                '{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"The database is down."}'
            )
            await route.fulfill(status=503, content_type="application/problem+json", body=problem)
        else:
            await route.continue_()

    await page.route("**/api/books?*", books_api)
    await page.goto("/books")
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("The database is down.")
    failing = False
    await alert.get_by_role("button", name="Try again").click()
    await expect(page.get_by_role("alert")).to_have_count(0)
    await expect(page.get_by_text(re.compile(r"No books"))).to_be_visible()


async def test_a_form_sent_before_the_pages_first_read_came_back_still_goes_through(page: Page) -> None:
    """The CSRF cookie comes with the page's first read of the API; a quick user can submit before."""
    await page.goto("/signup")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    await page.context.clear_cookies()  # as if that first read had not come back yet
    email, name = unique_email("quick"), "Quentin Quick"
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome to Folio, {name}")
