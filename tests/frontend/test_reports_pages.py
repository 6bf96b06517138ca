"""Pilot replay reports in a real browser: two real replays (`pilotkit replay` library calls, two seeds) written to
the service's reports folder; list, open the HTML report in its sandboxed frame, compare the runs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from _domain_support import REPO
from _frontend_support import LiveService, ready, shot

SCENARIO = REPO / "pilots" / "university-diplomas.yaml"


@pytest.fixture(scope="module")
def reports(web: LiveService) -> tuple[str, str]:
    from pilotkit.pilots.engine import replay_file
    from pilotkit.pilots.report_html import write_html
    from pilotkit.pilots.report_json import write_json
    from pilotkit.project import Project

    folder: Path = web.app.state.web_settings.reports_dir
    folder.mkdir(parents=True, exist_ok=True)
    project = Project.load(REPO)
    names = []
    for seed in (1, 2):
        result = replay_file(SCENARIO, project=project, seed=seed)
        name = f"diplomas-seed{seed}"
        write_json(result, folder / f"{name}.json")
        write_html(result, folder / f"{name}.html")
        names.append(name)
        time.sleep(0.05)  # distinct modification times: newest first
    (folder / "broken.json").write_text("{not json")
    return names[0], names[1]


@pytest.fixture
def signed_in(web: LiveService, context: Any) -> None:
    token = web.key("auditor", label="Evaluator")
    context.add_init_script(f"sessionStorage.setItem('pilotkit.apiKey', {json.dumps(token)})")


def test_reports_need_a_key_and_links_expire(web: LiveService, reports: tuple[str, str]) -> None:
    assert web.get("/v1/reports").status_code == 401
    token = web.key("merchant")
    link = web.http.post(f"/v1/reports/{reports[0]}/view-link", headers=web.headers(token)).json()
    assert web.get(link["url"]).status_code == 200
    assert "sandbox" in web.get(link["url"]).headers["content-security-policy"]
    assert web.get(link["url"].replace("sig=", "sig=0")).status_code == 404
    assert web.get(f"/reports/{reports[0]}/view?expires=1&sig=00").status_code == 404
    assert web.get("/v1/reports/..%2Fweb", token).status_code == 404
    assert web.get("/v1/reports/broken", token).status_code == 422


def test_list_open_and_compare(web: LiveService, reports: tuple[str, str], signed_in: None, page: Any) -> None:
    first, second = reports
    page.goto(f"{web.url}/reports")
    ready(page)
    listing = page.get_by_role("region", name="Pilot reports").inner_text()
    assert first in listing and second in listing and "PASS" in listing and "broken" in listing
    shot(page, "reports")
    page.get_by_role("link", name=first).click()
    ready(page)
    frame = page.frame_locator("iframe.report")
    frame.locator("body").wait_for()
    assert "university-diplomas" in frame.locator("body").inner_text()
    shot(page, "report")
    page.goto(f"{web.url}/reports")
    ready(page)
    page.get_by_label("First run").select_option(first)
    page.get_by_label("Second run").select_option(second)
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(f"{web.url}/reports/compare?a={first}&b={second}")
    ready(page)
    assert "Values that differ" in page.inner_text("main")
    assert page.get_by_role("region", name="Values that differ").locator("tbody tr").count() >= 1
    shot(page, "reports-compare")
