"""Public pages in a real browser, on real data issued through the API on Anvil: certificate verification (valid,
revoked with its reason, superseded with a link, unknown; by pasted hash, dropped file, QR payload) and the
eco-credit registry with its shareable retirement certificates."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import pytest
from _certs_support import act, issue
from _credits_support import VINTAGE_2022, Credits, setup_credits
from _domain_support import register_contract
from _frontend_support import PHONE, LiveService, no_horizontal_scroll, ready, shot

DIPLOMA = b"%PDF-1.7 diploma of Amina, BSc Agriculture, 2025\n"
REVOKED = b"%PDF-1.7 training certificate, first aid, 2024\n"
OLD = b"%PDF-1.7 land title v1\n"
NEW = b"%PDF-1.7 land title v2\n"


def sha(data: bytes) -> str:
    return "0x" + hashlib.sha256(data).hexdigest()


@dataclass
class World:
    certs: str
    credits: Credits
    retirement_id: int
    auditor: str


@pytest.fixture(scope="module")
def world(web: LiveService) -> World:
    admin = web.key("admin")
    certs = register_contract(web, "certificates", "CertificateRegistry", "Diplomas", admin)
    issuer = web.key("issuer")
    for data in (DIPLOMA, REVOKED, OLD, NEW):
        issue(web, issuer, certs, sha(data))  # type: ignore[arg-type]
    act(web, issuer, certs, sha(REVOKED), "revoke", {"reason_code": 1})  # type: ignore[arg-type]
    act(web, issuer, certs, sha(OLD), "supersede", {"replacement": sha(NEW)})  # type: ignore[arg-type]

    credits = setup_credits(web)  # type: ignore[arg-type]
    project = credits.project(external_id="VCS-1234")
    first = credits.issue(project, 1, 1000)
    credits.issue(project, 1001, 1500, vintage=VINTAGE_2022)
    retired = credits.confirm("/retirements", credits.admin,
                              {"batch_id": first, "amount": 120, "beneficiary_name": "Nairobi Water Co-op",
                               "reason": "Offsetting 2024 pumping emissions"})
    web.wait_indexed()
    retirement_id = int(retired.get("retirement_id") or credits.contract.retirementCount())
    return World(certs, credits, retirement_id, web.key("auditor", label="Audit office"))


def check_hash(page: Any, web: LiveService, doc_hash: str) -> Any:
    page.goto(f"{web.url}/verify")
    ready(page)
    page.get_by_role("button", name="Paste a fingerprint").click()
    page.get_by_label("Document fingerprint").fill(doc_hash)
    page.get_by_role("button", name="Check", exact=True).click()
    return page.wait_for_selector(".verdict")


@pytest.mark.parametrize(("data", "status", "word"), [
    (DIPLOMA, "valid", "Valid"),
    (REVOKED, "revoked", "Revoked"),
    (OLD, "superseded", "Superseded"),
    (b"never issued", "unknown", "Unknown"),
])
def test_verify_shows_each_state(web: LiveService, world: World, page: Any, data: bytes, status: str,
                                 word: str) -> None:
    verdict = check_hash(page, web, sha(data))
    assert verdict.get_attribute("data-status") == status
    assert word in (page.text_content("#verdict-word") or "")
    text = page.inner_text(".verdict")
    if status == "revoked":
        assert "Reason" in text and "code 1" in text  # the reason is shown, with its code
        assert "Revoked on" in text
    if status == "superseded":
        link = page.get_by_role("link", name=sha(NEW))
        assert link.get_attribute("href") == f"/verify/{world.certs}/{sha(NEW)}"
        link.click()
        page.wait_for_selector(".verdict[data-status=valid]")
    if status in ("valid", "revoked"):
        assert "Issuer" in text and "Issued" in text
    assert page.url.endswith(sha(data)) or status == "superseded"  # a shareable address
    shot(page, f"verify-{status}")


def test_verify_a_dropped_file_is_hashed_in_the_browser(web: LiveService, world: World, page: Any) -> None:
    sent: list[tuple[str, str, Any]] = []
    page.on("request", lambda r: sent.append((r.method, r.url, r.post_data_buffer)))
    page.goto(f"{web.url}/verify")
    ready(page)
    page.set_input_files("#doc-file", files=[{"name": "revoked.pdf", "mimeType": "application/pdf", "buffer": REVOKED}])
    page.wait_for_selector(".verdict[data-status=revoked]")
    assert [s for s in sent if s[0] != "GET"] == [], "the file must not leave the browser"
    assert not any(s[2] and REVOKED in s[2] for s in sent)


def test_verify_reads_a_qr_payload(web: LiveService, world: World, page: Any) -> None:
    page.goto(f"{web.url}/verify")
    ready(page)
    page.get_by_role("button", name="QR code").click()
    page.get_by_label("QR code content").fill(f"https://certs.example.org/verify/{world.certs}/{sha(DIPLOMA)}")
    page.get_by_role("button", name="Check", exact=True).click()
    page.wait_for_selector(".verdict[data-status=valid]")


def test_verify_on_a_phone(web: LiveService, world: World, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{web.url}/verify/{world.certs}/{sha(REVOKED)}")
        page.wait_for_selector(".verdict[data-status=revoked]")
        assert no_horizontal_scroll(page)
        shot(page, "phone-verify-revoked")
    finally:
        context.close()


def test_credit_registry_page(web: LiveService, world: World, page: Any) -> None:
    registry = world.credits.registry
    page.goto(f"{web.url}/signin?next=/credits/{registry}")
    page.get_by_label("API key").fill(world.auditor)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{web.url}/credits/{registry}")
    ready(page)
    cards = page.inner_text(".cards")
    assert "1,500" in cards and "120" in cards and "1,380" in cards  # issued, retired, circulating
    assert page.locator("figure svg rect").count() == 6  # 2 vintages x (issued, circulating, retired)
    vintages = page.get_by_role("region", name="Credits per vintage").inner_text()
    assert "2021" in vintages and "2022" in vintages
    assert "VCS-1234" in page.get_by_role("region", name="Projects").inner_text()
    assert "Nairobi Water Co-op" in page.get_by_role("region", name="Retirements").inner_text()
    shot(page, "credit-registry")
    page.get_by_role("link", name=f"#{world.retirement_id}").click()
    page.wait_for_selector("#retired-word")
    assert "120 credits retired" in (page.text_content("#retired-word") or "")


def test_retirement_certificate_is_public(web: LiveService, world: World, page: Any) -> None:
    page.goto(f"{web.url}/credits/{world.credits.registry}/retirements/{world.retirement_id}")
    ready(page)
    text = page.text_content(".verdict") or ""
    assert "120 credits retired" in text
    assert "Nairobi Water Co-op" in text and "Offsetting 2024 pumping emissions" in text
    assert "VERRA VCS-1234" in text
    assert page.evaluate("sessionStorage.length") == 0  # no key involved
    shot(page, "retirement-public")
    page.goto(f"{web.url}/credits/{world.credits.registry}/retirements/999")
    ready(page)
    assert "no such retirement" in page.inner_text(".error").lower()
