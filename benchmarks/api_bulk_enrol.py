"""Bulk enrolment throughput: a 100,000-row CSV through `POST /v1/programmes/{p}/beneficiaries/bulk`.

Measures the API's part (upload, parse, canonicalise, keyed-hash, validate wallets, duplicate checks, enrolBatch
calldata, 667 jobs and 100,000 records in one transaction, the stored idempotent response) on a fresh SQLite
database (or --database-url), against a private Anvil with the core contracts. The sender is not running: this
times the request, not the chain (see sender_throughput.py for that).

Run: .venv/bin/python benchmarks/api_bulk_enrol.py [--rows 100000] [--runs 3] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _util import REPO

sys.path[:0] = [str(REPO / "tests" / "backend" / "kinds"), str(REPO / "tests" / "backend" / "kinds" / "cash")]

from _cash_support import csv_file, register, upload  # noqa: E402
from _domain_support import running_service, sqlite_url, start_service_chain  # noqa: E402

from pilotkit.project import Project  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="an empty database (default: a temporary SQLite file)")
    args = parser.parse_args()
    project = Project.load(REPO)
    project.artifacts("local")
    data = csv_file([f"bench-{i:07d},0x{i:040x}" for i in range(1, args.rows + 1)])
    samples = []
    with tempfile.TemporaryDirectory() as folder:
        chain = start_service_chain(project, Path(folder))
        try:
            for run in range(args.runs):
                snapshot = chain.control.snapshot()
                run_folder = Path(folder) / f"run{run}"
                run_folder.mkdir()
                url = args.database_url or sqlite_url(run_folder)
                try:
                    with running_service(chain, url, run_workers=False) as service:
                        programme = register(service)
                        token = service.key("registrar")
                        started = time.perf_counter()
                        response = upload(service, token, programme, data)
                        elapsed = time.perf_counter() - started
                        assert response.status_code == 202, response.text[:300]
                        body = response.json()
                        assert body["accepted"] == args.rows, body["accepted"]
                        samples.append(elapsed)
                        print(f"run {run + 1}: {args.rows} rows, {len(body['jobs'])} jobs, {elapsed:.2f} s, "
                              f"{args.rows / elapsed:,.0f} rows/s")
                finally:
                    chain.control.revert(snapshot)
        finally:
            chain.close()
    median = statistics.median(samples)
    print(f"bulk enrol ({len(data) / 1e6:.1f} MB CSV): median {median:.2f} s = {args.rows / median:,.0f} rows/s, "
          f"best {args.rows / min(samples):,.0f} rows/s")


if __name__ == "__main__":
    main()
