"""What the dashboard costs on the bundled corpus (320 challenges, 1,260 innovators), in process.

    python -m eval.bench_dashboard [--data-dir DIR]

Starts the app on a fresh SQLite database seeded with the bundled corpus (shipped vectors, so no
model encodes the corpus), waits until the index is ready, then times `GET /v1/dashboard`: the first
call (every challenge matched by the live engine), a second one (served from the cache of the same
change-log sequence), one after an engagement event (still cached: events are not in the change
log) and one after a challenge write (a new sequence: matched again). Prints one line per step.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

ADMIN_KEY = "bench-dashboard-admin-" + "k" * 24


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None, help="where to put the database (default: a temp dir)")
    args = parser.parse_args()
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.config import ServiceSettings

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    settings = ServiceSettings(data_dir=data_dir, seed_demo=True, demo_accounts=False, bootstrap_admin_key=ADMIN_KEY)
    headers = {"X-API-Key": ADMIN_KEY}
    start = time.perf_counter()
    with TestClient(create_app(settings)) as client:
        while client.get("/v1/ready").status_code != 200:
            time.sleep(0.5)
        print(f"index ready in {time.perf_counter() - start:.1f} s ({data_dir})", flush=True)

        def timed(label: str) -> None:
            began = time.perf_counter()
            response = client.get("/v1/dashboard", headers=headers)
            response.raise_for_status()
            data = response.json()
            total = data["total"]
            print(f"{label}: {1000 * (time.perf_counter() - began):,.0f} ms (seq {data['seq']}, posted {total['posted']}, "
                  f"suggested {total['suggested']}, contacted {total['contacted']})", flush=True)

        timed("first call (matches every challenge)")
        timed("second call (cached)")
        listing = client.get("/v1/challenges?limit=1", headers=headers).json()["data"][0]
        innovator = client.get("/v1/innovators?limit=1").json()["data"][0]
        client.post(f"/v1/challenges/{listing['id']}/engagements", headers=headers,
                    json={"innovator_id": innovator["id"], "state": "invited"}).raise_for_status()
        timed("after an engagement event (cached)")
        client.patch(f"/v1/challenges/{listing['id']}", headers=headers,
                     json={"title": listing["title"] + " (edited)"}).raise_for_status()
        timed("after a challenge write (new sequence)")


if __name__ == "__main__":
    main()
