"""Python anchor of the per-event benchmark: boto3 converse_stream against the emulator.

Same emulator, same prompt ("bench-fast": a long reply in 4-char deltas, no pacing) and the
same accounting as the Rust floor and the NIF: stream events per second and CPU time per
event of this process. Prints result rows for bench/report.py.

    bench/results/.venv/bin/python bench/boto3_events.py URL STREAMS
"""
import sys
import time

import boto3
from botocore.config import Config

MODEL = "us.anthropic.claude-opus-4-7"


def main():
    url, streams = sys.argv[1], int(sys.argv[2])
    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=url,
        # The emulator's default static test credentials.
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        config=Config(retries={"total_max_attempts": 1}),
    )
    request = {
        "modelId": MODEL,
        "messages": [{"role": "user", "content": [{"text": "bench-fast"}]}],
        "inferenceConfig": {"maxTokens": 8192},
    }

    def one():
        events = deltas = 0
        for event in client.converse_stream(**request)["stream"]:
            events += 1
            if "text" in event.get("contentBlockDelta", {}).get("delta", {}):
                deltas += 1
        return events, deltas

    one()  # warm: connection pool, credentials, endpoint resolution
    cpu0, t0 = time.process_time(), time.perf_counter()
    events = deltas = 0
    for _ in range(streams):
        e, d = one()
        events += e
        deltas += d
    secs = time.perf_counter() - t0
    cpu_us = (time.process_time() - cpu0) * 1e6
    note = f"{streams} streams x {deltas // streams} deltas"
    print(f"events\tboto3_events_per_s\t{events / secs:.3f}\tev/s\t{note}")
    print(f"events\tboto3_deltas_per_s\t{deltas / secs:.3f}\tev/s\t{note}")
    print(f"events\tboto3_cpu_per_delta\t{cpu_us / deltas:.3f}\tus\t{note}")


if __name__ == "__main__":
    main()
