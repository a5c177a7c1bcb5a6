"""What the browser tests share besides fixtures: logging in, layout checks."""

from __future__ import annotations

PASSWORD = "pass-word-123"  # what tests/factories.py UserFactory gives every user
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def log_in(page, username: str, password: str = PASSWORD, next_url: str = "/") -> None:
    """Sign in through the real login form and wait until the app has let us in."""
    page.goto(f"/accounts/login/?next={next_url}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def has_no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


# The outermost elements that make the page wider than the window, for failure messages. Content
# of a scrolling box (e.g. .table-responsive) only counts when it escapes the box: an absolutely
# positioned element whose containing block lies outside the box is not clipped by it.
_WIDER_THAN_SCREEN = """() => {
  const limit = window.innerWidth + 1;
  const style = el => getComputedStyle(el);
  const clipped = el => {
    const floating = ["absolute", "fixed"].includes(style(el).position);
    let positioned = false;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const s = style(up);
      const boxed = ["auto", "scroll", "hidden", "clip"].includes(s.overflowX);
      if (boxed && (!floating || positioned || s.position !== "static")) return true;
      if (s.position !== "static") positioned = true;
    }
    return false;
  };
  const wide = new Set();
  for (const el of document.body.querySelectorAll("*")) {
    if (el.getBoundingClientRect().right > limit && !clipped(el)) wide.add(el);
  }
  return Array.from(wide).filter(el => !wide.has(el.parentElement)).slice(0, 10).map(el => {
    const names = typeof el.className === "string" ? el.className.trim().split(/\\s+/).filter(Boolean) : [];
    const text = JSON.stringify((el.textContent || "").trim().slice(0, 60));
    return el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + names.map(n => "." + n).join("") +
      " right=" + Math.round(el.getBoundingClientRect().right) + " " + text;
  });
}"""


def wider_than_screen(page) -> list[str]:
    return page.evaluate(_WIDER_THAN_SCREEN)


def set_language(page, base_url: str, language: str) -> None:
    """Make the page's browser context use ``language`` ("en" or "zh-hans"): the cookie the switcher sets."""
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base_url}])
