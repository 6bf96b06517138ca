"""The jobs list takes the one cursor type too (api.pagination): pages follow to the end, ties included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from _api_support import Api
from pilotkit_backend.platform.models.jobs import Job
from sqlalchemy.orm import Session

BAD_CURSORS = ["99999999999999999999", "²", "1", "1.2.3", "-1.0", "１.1", "2026-01-01T00:00:00|x",
               "999999999999999999.0"]


@pytest.fixture
def jobs(api: Api) -> list[str]:
    start = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    made = []
    with Session(api.engine) as session:
        for n in range(9):  # three instants, three jobs each: ties are ordered by id
            job = Job(kind="test", chain_id=31337, signer="0x" + "11" * 20, to_address="0x" + "22" * 20,
                      created_at=start + timedelta(microseconds=n // 3), expires_at=start + timedelta(hours=1))
            session.add(job)
            made.append(job)
        session.commit()
        return [j.id for j in made]


def test_jobs_pages_follow_their_cursor_to_the_end(api: Api, jobs: list[str]) -> None:
    token = api.key("admin")
    everything = api.client.get("/v1/jobs", params={"limit": 500}, headers={"X-API-Key": token}).json()
    assert len(everything["items"]) == 9 and everything["next_cursor"] is None
    for size in (1, 2, 4):
        seen, cursor = [], None
        while True:
            params = {"limit": size, **({"cursor": cursor} if cursor else {})}
            page = api.client.get("/v1/jobs", params=params, headers={"X-API-Key": token}).json()
            seen += [job["id"] for job in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert cursor.replace(".", "").isascii() and cursor.replace(".", "").isdigit()
        assert seen == [job["id"] for job in everything["items"]], size


def test_bad_job_cursors_are_one_400(api: Api) -> None:
    token = api.key("admin")
    for cursor in BAD_CURSORS:
        response = api.client.get("/v1/jobs", params={"cursor": cursor}, headers={"X-API-Key": token})
        assert response.status_code == 400, (cursor, response.text)
        assert response.json()["type"] == "/problems/invalid-cursor" and response.json()["parameter"] == "cursor"
