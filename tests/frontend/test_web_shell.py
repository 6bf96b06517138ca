"""The frontend's infrastructure in a real browser: same-origin assets only, strict CSP, offline /docs, sign-in
and sign-out, the phone-sized layout."""

from __future__ import annotations

import re
from typing import Any

from _frontend_support import PHONE, LiveService, no_horizontal_scroll, ready, shot

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


def test_pages_carry_a_strict_csp_and_no_inline_script(web: LiveService) -> None:
    for path in ("/", "/verify", "/signin", "/programmes", "/reports"):
        response = web.get(path)
        assert response.status_code == 200
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.text), "inline script in the page shell"
        assert not EXTERNAL.search(response.text)


def test_static_files_are_cached_and_vendored_files_immutable(web: LiveService) -> None:
    app_js = web.get("/static/js/app.js")
    assert app_js.status_code == 200 and app_js.headers["cache-control"] == "no-cache" and app_js.headers["etag"]
    again = web.http.get("/static/js/app.js", headers={"If-None-Match": app_js.headers["etag"]})
    assert again.status_code == 304
    docs = web.get("/docs").text
    bundle = re.search(r'src="(/static/vendor/swagger-ui-dist@[^"]+/swagger-ui-bundle\.js)"', docs)
    assert bundle, docs
    vendored = web.get(bundle.group(1))
    assert vendored.status_code == 200 and "immutable" in vendored.headers["cache-control"]
    # only the listed files of a vendored package are served, never its folder
    assert web.get(bundle.group(1).replace("swagger-ui-bundle.js", "package.json")).status_code == 404
    assert web.get("/static/../pilotkit_backend/web.py").status_code == 404


def test_docs_work_offline(web: LiveService, page: Any) -> None:
    html = web.get("/docs").text
    assert not EXTERNAL.search(html), html
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{web.url}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=30_000)
    assert "pilotkit API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock", timeout=30_000)
    outside = [u for u in requests if not u.startswith(web.url) and not u.startswith("data:")]
    assert outside == [], outside
    assert not [e for e in errors if "Content Security Policy" in e], errors
    shot(page, "docs")


def test_signin_rejects_a_wrong_key_and_shows_the_scopes_of_a_good_one(web: LiveService, page: Any) -> None:
    page.goto(f"{web.url}/signin")
    ready(page)
    page.get_by_label("API key").fill("pk_wrong_key")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector(".error")
    assert "not valid" in page.inner_text(".error")
    token = web.key("auditor", label="Audit office")
    page.get_by_label("API key").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{web.url}/")
    ready(page)
    assert "Audit office (auditor)" in page.inner_text("#nav")
    shot(page, "start-signed-in")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{web.url}/")
    ready(page)
    assert "Sign in" in page.inner_text("#nav")
    assert page.evaluate("sessionStorage.length") == 0


def test_private_pages_send_an_anonymous_visitor_to_sign_in(web: LiveService, page: Any) -> None:
    page.goto(f"{web.url}/reports")
    page.wait_for_url(re.compile(r"/signin\?next=%2Freports$"))
    ready(page)
    assert page.get_by_label("API key").is_visible()


def test_phone_layout_has_no_horizontal_scroll(web: LiveService, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        for path in ("/", "/verify", "/signin"):
            page.goto(f"{web.url}{path}")
            ready(page)
            assert no_horizontal_scroll(page), path
        shot(page, "phone-signin")
    finally:
        context.close()


def test_keyboard_reaches_the_skip_link_and_the_form(web: LiveService, page: Any) -> None:
    page.goto(f"{web.url}/")
    ready(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
