"""Programme officer pages in a real browser on real data (enrolled through the API, rounds proposed, approved
and disbursed on Anvil): overview with chart and CSV export, round detail with live progress, approval by an
approver but not by the proposer, beneficiary lookup without personal data for keys that may not see it, and
what a narrow key is offered."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from _cash_support import address_of, enrol
from _cash_support import register as register_programme
from _frontend_support import PHONE, LiveService, no_horizontal_scroll, ready, shot
from _rounds_support import AMOUNT, approve, flat_body, propose, rounds_path, wait_all

PEOPLE = ["KE-ID-1001", "KE-ID-1002", "KE-ID-1003"]


@dataclass
class World:
    programme: str
    paid_round: int
    proposed_round: int
    proposer: str  # disburser + approver key that proposed `proposed_round`
    approver: str
    registrar: str
    auditor: str


@pytest.fixture(scope="module")
def world(web: LiveService) -> World:
    programme = register_programme(web)  # type: ignore[arg-type]
    registrar = web.key("registrar", label="Field registrar")
    for n, identifier in enumerate(PEOPLE):
        enrol(web, registrar, programme, identifier, address_of(f"web person {n}"))  # type: ignore[arg-type]
    web.wait_indexed()
    disburser = web.key("disburser", label="Ops disburser")
    approver = web.key("approver", label="Finance approver")
    paid = propose(web, disburser, programme, flat_body(web))  # type: ignore[arg-type]
    approve(web, approver, programme, paid)  # type: ignore[arg-type]
    response = web.post(rounds_path(programme, paid, "/disburse"), disburser)
    assert response.status_code == 202, response.text
    wait_all(web, disburser, response.json()["jobs"])  # type: ignore[arg-type]
    proposer = web.key("disburser", "approver", label="Field ops lead")
    proposed = propose(web, proposer, programme, flat_body(web))  # type: ignore[arg-type]
    web.wait_indexed()
    return World(programme, paid, proposed, proposer, approver, registrar, web.key("auditor", label="Audit office"))


def as_key(context: Any, token: str) -> None:
    """Sign the browser context in (what the sign-in form stores)."""
    context.add_init_script(f"sessionStorage.setItem('pilotkit.apiKey', {json.dumps(token)})")


def test_overview_shows_money_beneficiaries_rounds_and_a_chart(web: LiveService, world: World, context: Any,
                                                              page: Any) -> None:
    as_key(context, world.auditor)
    page.goto(f"{web.url}/programmes/{world.programme}")
    ready(page)
    money = page.inner_text("#money")
    paid = f"{3 * AMOUNT // 10**6}"  # three beneficiaries paid AMOUNT each (6-decimal test token)
    assert f"Paid\n{paid}" in money and "Beneficiaries\n3" in money
    assert "active" in page.get_by_role("region", name="Beneficiaries by status").inner_text()
    rounds = page.get_by_role("region", name="Rounds").inner_text()
    assert "approved" in rounds and "proposed" in rounds
    assert page.locator("figure svg rect").count() >= 1
    assert "Money disbursed per day" in page.inner_text("figcaption")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export to CSV").click()
    import re
    import zipfile

    assert download.value.suggested_filename.endswith("-overview.zip")
    with zipfile.ZipFile(download.value.path()) as archive:  # one table per file, plain numbers
        tables = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    assert set(tables) == {"overview.csv", "beneficiaries-by-status.csv", "rounds.csv", "disbursed-per-day.csv"}
    assert "active,3" in tables["beneficiaries-by-status.csv"]
    assert f"paid,{paid}\r\n" in tables["overview.csv"] and "Field ops lead" in tables["rounds.csv"]
    for name, text in tables.items():
        lines = text.rstrip("\r\n").split("\r\n")
        assert "" not in lines, f"{name} holds more than one table"
        assert all(line.count(",") == lines[0].count(",") for line in lines if '"' not in line), name
        assert not re.search(r'"-?\d{1,3}(,\d{3})+', text), f"{name} has thousands separators"
    shot(page, "programme-overview")


def test_round_detail_shows_who_and_the_disbursement(web: LiveService, world: World, context: Any,
                                                     page: Any) -> None:
    as_key(context, world.auditor)
    page.goto(f"{web.url}/programmes/{world.programme}/rounds/{world.paid_round}")
    ready(page)
    assert page.inner_text("#proposer") == "Ops disburser"
    assert page.inner_text("#approver") == "Finance approver"
    assert "3 of 3 beneficiaries in confirmed payment jobs (100%)" in page.inner_text("main")
    assert "No failed payment." in page.get_by_role("region", name="Failed payment jobs").inner_text()
    assert page.locator("#approve, #disburse").count() == 0  # an auditor is offered no action
    shot(page, "round-paid")


def test_the_proposer_cannot_approve_and_an_approver_can(web: LiveService, world: World, browser: Any) -> None:
    path = f"{web.url}/programmes/{world.programme}/rounds/{world.proposed_round}"
    proposer_ctx = browser.new_context()
    try:
        as_key(proposer_ctx, world.proposer)
        page = proposer_ctx.new_page()
        page.goto(path)
        ready(page)
        assert page.locator("#approve").count() == 0
        assert "You proposed this round" in page.inner_text("#approve-note")
        shot(page, "round-proposer")
    finally:
        proposer_ctx.close()
    # the API refuses the proposer too (the page does not rely on hiding the button)
    refused = web.post(rounds_path(world.programme, world.proposed_round, "/approve"), world.proposer)
    assert refused.status_code == 403, refused.text

    approver_ctx = browser.new_context()
    try:
        as_key(approver_ctx, world.approver)
        page = approver_ctx.new_page()
        page.goto(path)
        ready(page)
        page.get_by_role("button", name="Approve and fund this round").click()
        page.wait_for_selector("#approver:text-is('Finance approver')", timeout=60_000)
        page.wait_for_selector("main .badge:text-is('approved')")
        assert page.locator("#approve").count() == 0
        shot(page, "round-approved")
    finally:
        approver_ctx.close()


def test_lookup_shows_status_and_payments_and_wallet_only_to_registrars(web: LiveService, world: World,
                                                                        browser: Any) -> None:
    for token, sees_wallet in ((world.registrar, True), (world.auditor, False)):
        ctx = browser.new_context()
        try:
            as_key(ctx, token)
            page = ctx.new_page()
            page.goto(f"{web.url}/programmes/{world.programme}/lookup")
            ready(page)
            page.get_by_label("Beneficiary identifier").fill(PEOPLE[1])
            page.get_by_role("button", name="Look up").click()
            page.wait_for_selector("#found")
            result = page.inner_text("#lookup-result")
            assert "active" in result
            assert f"{AMOUNT // 10**6}" in page.get_by_role("region", name="Payments").inner_text()
            assert (page.locator("#wallet").count() == 1) is sees_wallet
            assert address_of("web person 1") in result if sees_wallet else address_of("web person 1") not in result
            assert PEOPLE[1] not in page.url
            shot(page, f"lookup-{'registrar' if sees_wallet else 'auditor'}")
            page.get_by_label("Beneficiary identifier").fill("KE-ID-9999")
            page.get_by_role("button", name="Look up").click()
            page.wait_for_selector("text=No beneficiary with this identifier")
        finally:
            ctx.close()


def test_a_narrow_key_is_offered_only_what_it_may_do(web: LiveService, world: World, browser: Any) -> None:
    ctx = browser.new_context()
    try:
        approver_only = web.key("approver", label="Second approver", bind=f"programme:{world.programme}")
        as_key(ctx, approver_only)
        page = ctx.new_page()
        page.goto(f"{web.url}/programmes/{world.programme}")
        ready(page)
        assert page.get_by_role("link", name="Look up a beneficiary").count() == 0
        assert "Second approver (approver; programme" in page.inner_text("#nav")
        page.goto(f"{web.url}/programmes/{world.programme}/rounds/{world.paid_round}")
        ready(page)
        assert page.locator("#disburse").count() == 0  # approved round: only a disburser may disburse
        page.goto(f"{web.url}/")
        ready(page)
        assert page.locator(".links a").all_inner_texts()[:1] == ["test CashProgramme"]  # only its programme
        shot(page, "narrow-key-start")
    finally:
        ctx.close()
    merchant_ctx = browser.new_context()
    try:
        as_key(merchant_ctx, web.key("merchant", label="Shop"))
        page = merchant_ctx.new_page()
        page.goto(f"{web.url}/programmes/{world.programme}")
        ready(page)
        assert "needs one of these scopes" in page.inner_text(".error")
    finally:
        merchant_ctx.close()


def test_programme_pages_fit_a_phone(web: LiveService, world: World, browser: Any) -> None:
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        as_key(ctx, world.registrar)
        page = ctx.new_page()
        for path, name in ((f"/programmes/{world.programme}", "overview"),
                           (f"/programmes/{world.programme}/rounds/{world.paid_round}", "round"),
                           (f"/programmes/{world.programme}/lookup", "lookup")):
            page.goto(f"{web.url}{path}")
            ready(page)
            assert no_horizontal_scroll(page), path
            shot(page, f"phone-{name}")
    finally:
        ctx.close()
