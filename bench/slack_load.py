"""Slack throughput: N signed app_mention requests at a given concurrency to the Procfile's web command.

Starts the Procfile's `web:` command (gunicorn, WEB_CONCURRENCY workers, SQLite store)
and a local mock Slack Web API (bench/mock_slack.py), then sends the mentions over
HTTP from `concurrency` client threads, each request properly signed. Every mention is
delivered twice, the second time as Slack's retry (X-Slack-Retry-Num: 1) right behind
the first, so "answered exactly once" is tested under concurrency, not assumed.

Reports ack latency (first deliveries and retries), requests per second, replies
delivered, mentions answered more than once or never, and errors. The client, the mock
Web API and their threads share one Python process, so the figures include their own
overhead (they err on the slow side).

    python -m bench.slack_load --mentions 500 --concurrency 25
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import Bar, free_port, percentile, procfile_command, table
from bench.mock_slack import MockSlack
from bench.slack_signing import SECRET, event_body, signed_headers

QUESTIONS = (
    "What does a machine learning engineer do day to day?",
    "Will ML engineers need to learn DevOps?",
    "Why should an ML engineer understand cost functions?",
    "What time does the cafeteria open?",  # off-topic: answered with "nothing good on that"
)


def post(url: str, body: str, headers: dict[str, str]) -> tuple[int, float]:
    """(HTTP status, 0 when the connection failed; milliseconds until the ack arrived)."""
    started = time.perf_counter()
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0
    return status, (time.perf_counter() - started) * 1000


def mention_requests(mentions: int) -> list[tuple[str, dict[str, str], bool]]:
    """(body, signed headers, is a retry) for every delivery: each mention, then its retry."""
    jobs = []
    for n in range(mentions):
        event = {
            "type": "app_mention",
            "user": f"U{n % 50:03d}",
            "channel": f"C{n % 7:03d}",
            "ts": f"{1_700_000_000 + n}.000100",
            "event_ts": f"{1_700_000_000 + n}.000100",
            "text": f"<@UBOT> {QUESTIONS[n % len(QUESTIONS)]}",
        }
        body = event_body(event, event_id=f"EvLoad{n:05d}")
        jobs.append((body, signed_headers(body), False))
        retry = signed_headers(body)
        retry.update({"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
        jobs.append((body, retry, True))
    return jobs


def start_web(slack: MockSlack, workdir: Path, workers: int) -> tuple[subprocess.Popen, str]:
    """The Procfile's web command against the mock, once /healthz answers; (process, base URL)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "DATABASE_URL"))}
    env.update(
        {
            "PORT": str(port),
            "WEB_CONCURRENCY": str(workers),
            "SLACK_BOT_TOKEN": "xoxb-load",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "CAREERBOT_DB": str(workdir / "load.db"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    web = subprocess.Popen(procfile_command("web"), cwd=workdir, env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if web.poll() is not None:
            raise RuntimeError(f"the web process exited with {web.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return web, url
        except OSError:
            time.sleep(0.05)
    web.kill()
    raise RuntimeError("the web process was not ready within 60 s")


def run(mentions: int, concurrency: int, workers: int) -> str:
    """Send the load and return the results as a table."""
    jobs = mention_requests(mentions)
    with MockSlack() as slack, tempfile.TemporaryDirectory() as tmp:
        web, url = start_web(slack, Path(tmp), workers)
        try:
            bar = Bar(len(jobs), "mentions")
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                results = []
                for n, result in enumerate(
                    pool.map(lambda job: post(url + "/slack/events", *job[:2]), jobs), 1
                ):
                    results.append(result)
                    bar.update(n)
            sent_for = time.perf_counter() - started
            bar.close()
            # Answers are posted after the ack; wait for them, then a little longer so a
            # late duplicate would be counted too.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and len(slack.calls_to("chat.postMessage")) < mentions:
                time.sleep(0.02)
            answered_after = time.perf_counter() - started
            time.sleep(1.0)
        finally:
            web.send_signal(signal.SIGTERM)
            web.wait(timeout=30)
        replies = Counter(
            (c.body.get("channel"), c.body.get("thread_ts")) for c in slack.calls_to("chat.postMessage")
        )
    expected = {(f"C{n % 7:03d}", f"{1_700_000_000 + n}.000100") for n in range(mentions)}
    first = [ms for (_, ms), job in zip(results, jobs, strict=True) if not job[2]]
    retries = [ms for (_, ms), job in zip(results, jobs, strict=True) if job[2]]
    everything = [ms for _, ms in results]
    rows = [
        ("mentions", mentions),
        ("requests (each mention + its retry)", len(jobs)),
        ("client concurrency", concurrency),
        ("gunicorn workers (WEB_CONCURRENCY)", workers),
        ("ack p50 ms, first deliveries", percentile(first, 0.5)),
        ("ack p99 ms, first deliveries", percentile(first, 0.99)),
        ("ack p50 ms, retries", percentile(retries, 0.5)),
        ("ack p99 ms, retries", percentile(retries, 0.99)),
        ("ack max ms, all requests", max(everything)),
        ("acked in under 3 s", f"{sum(1 for ms in everything if ms < 3000)} of {len(everything)}"),
        ("requests per second", len(jobs) / sent_for),
        ("all replies delivered after s", answered_after),
        ("replies delivered", sum(replies.values())),
        ("mentions answered exactly once", sum(1 for key in expected if replies.get(key) == 1)),
        ("mentions answered more than once", sum(1 for key in expected if replies.get(key, 0) > 1)),
        ("mentions never answered", sum(1 for key in expected if key not in replies)),
        ("replies to no mention", sum(1 for key in replies if key not in expected)),
        ("errors (non-200 acks)", sum(1 for status, _ in results if status != 200)),
    ]
    return table(["measure", "value"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mentions", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY (2 on this 2-core machine)")
    args = parser.parse_args()
    print(run(args.mentions, args.concurrency, args.workers))


if __name__ == "__main__":
    main()
