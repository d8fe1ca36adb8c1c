"""Delivery latency: 100 pending alerts to a local Standard Webhooks receiver; prints one summary line.

    .venv/bin/python bench/alerts.py [--alerts N] [--mode each|digest]

Output (key=value, one line): alerts, mode, ok, requests, verified, seconds, per_alert_ms.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # the real receiver and samples live in tests/support

from support.alerts import WEBHOOK_SECRET, context, numbered_updates, webhook_channel  # noqa: E402
from support.servers import receiver  # noqa: E402

from alerts.deliver import PendingDelivery, deliver  # noqa: E402
from alerts.secrets import env_secret_resolver  # noqa: E402

DEFAULT_ALERTS = 100  # the figure issue 4 §3 asks for


def run(count: int, mode: str) -> str:
    """Deliver `count` pending alerts and return the summary line."""
    resolve = env_secret_resolver({"CW_TEST_WEBHOOK_SECRET": WEBHOOK_SECRET})
    pending = [PendingDelivery(i, "hook", e) for i, e in enumerate(numbered_updates(count))]
    with receiver(WEBHOOK_SECRET) as hook:
        channel = webhook_channel(hook.url, mode=mode)
        started = time.perf_counter()
        results = deliver(pending, [channel], context, resolve)
        seconds = time.perf_counter() - started
        verified = sum(1 for r in hook.received if r.error is None)
    ok = sum(r.ok for r in results)
    return (f"bench=alerts_delivery alerts={count} mode={mode} ok={ok} requests={len(hook.received)} "
            f"verified={verified} seconds={seconds:.3f} per_alert_ms={1000 * seconds / count:.2f}")


def main() -> None:
    """Parse arguments, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=DEFAULT_ALERTS)
    parser.add_argument("--mode", choices=("each", "digest"), default="each")
    args = parser.parse_args()
    print(run(args.alerts, args.mode))


if __name__ == "__main__":
    main()
