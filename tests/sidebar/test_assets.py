"""The page stays small and its templates escape whatever they are given."""

from __future__ import annotations

from sidebar_web.app import SDK_FILE
from sidebar_web.pages import ENV, STATIC
from sidebar_web.session import Session

BUDGET = 100 * 1024


def test_the_pages_own_js_and_css_stay_under_100_kb() -> None:
    own = sum((STATIC / name).stat().st_size for name in ("sidebar.js", "sop.js", "sidebar.css"))
    assert own < BUDGET
    # even with the official SDK (loaded only when no `ww` is on the page) it fits
    assert own + (STATIC / SDK_FILE).stat().st_size < BUDGET
    assert (STATIC / "vendor" / "LICENSE").exists()


def test_templates_escape_names_and_data() -> None:
    evil = '</script><script>alert(1)</script><img src=x onerror="alert(2)">'
    session = Session("zhangsan", evil, "csrf-token-value-0123456789", 0.0)
    page = ENV.get_template("index.html").render(
        session=session, boot={"name": evil}, stub_url="", version="v"
    )
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "\\u003c/script\\u003e" in page  # inside the boot JSON, as JSON escapes
    error = ENV.get_template("error.html").render(title=evil, message=evil, retry_url="/sidebar/")
    assert "<script>alert" not in error and "&lt;/script&gt;" in error
