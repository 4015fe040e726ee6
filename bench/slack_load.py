"""Slack throughput: N signed app_mention requests at a given concurrency to the Procfile's web command.

Starts the real web process (gunicorn, WEB_CONCURRENCY workers) and a local mock Slack Web
API, sends the mentions over HTTP, and reports ack latency p50/p99, replies delivered,
duplicates and errors. Each mention is sent twice (the second as Slack's retry), so
"answered exactly once" is checked too.

    python -m bench.slack_load --mentions 500 --concurrency 25
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.common import ROOT, percentile, progress, table
from tests.slack.mock_slack import MockSlack
from tests.slack.signing import SECRET, event_body, signed_headers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url: str, body: str, headers: dict[str, str]) -> tuple[int, float]:
    started = time.perf_counter()
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            status = resp.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError:
        status = 0
    return status, (time.perf_counter() - started) * 1000


def run(mentions: int, concurrency: int, workers: int) -> str:
    questions = [
        "What does a machine learning engineer do day to day?",
        "Will ML engineers need to learn DevOps?",
        "Why should an ML engineer understand cost functions?",
        "What time does the cafeteria open?",
    ]
    with MockSlack() as slack, tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))},
            "PORT": str(port),
            "WEB_CONCURRENCY": str(workers),
            "SLACK_BOT_TOKEN": "xoxb-load",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "CAREERBOT_DB": str(Path(tmp) / "load.db"),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        web = subprocess.Popen(["careerbot", "serve", "--http"], cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(url + "/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            jobs = []
            for n in range(mentions):
                event = {
                    "type": "app_mention",
                    "user": f"U{n % 50}",
                    "channel": f"C{n % 7}",
                    "ts": f"{1700000000 + n}.000100",
                    "text": f"<@UBOT> {questions[n % len(questions)]}",
                }
                body = event_body(event, event_id=f"EvLoad{n}")
                jobs.append((body, signed_headers(body)))
                retry = signed_headers(body)
                retry.update({"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
                jobs.append((body, retry))
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=concurrency) as pool:
                results = list(
                    progress(
                        pool.map(lambda job: post(url + "/slack/events", *job), jobs), len(jobs), "mentions"
                    )
                )
            sent_for = time.perf_counter() - started
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(slack.calls_to("chat.postMessage")) < mentions:
                time.sleep(0.05)
            time.sleep(1.0)  # late duplicates would show up here
        finally:
            web.send_signal(signal.SIGTERM)
            web.wait(timeout=30)
        replies = Counter(
            (c.body["channel"], c.body["thread_ts"]) for c in slack.calls_to("chat.postMessage")
        )
    latencies = [ms for status, ms in results]
    errors = sum(1 for status, _ in results if status != 200)
    rows = [
        ("mentions (each also re-sent as a retry)", mentions),
        ("requests", len(jobs)),
        ("concurrency", concurrency),
        ("gunicorn workers", workers),
        ("ack p50 ms", percentile(latencies, 0.5)),
        ("ack p99 ms", percentile(latencies, 0.99)),
        ("ack max ms", max(latencies)),
        ("acked in under 3 s", sum(1 for ms in latencies if ms < 3000)),
        ("requests per second", len(jobs) / sent_for),
        ("replies delivered", len(replies)),
        ("mentions answered more than once", sum(1 for c in replies.values() if c > 1)),
        ("errors (non-200 acks)", errors),
    ]
    return table(["measure", "value"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mentions", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=25)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(run(args.mentions, args.concurrency, args.workers))


if __name__ == "__main__":
    main()
