#!/usr/bin/env bash
# Runs the independent-client checks (boto3, Anthropic's Python SDK) against the emulator
# binary. Creates a venv under /tmp on first use (needs PyPI). Not part of bin/test.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
venv="${EMULATOR_CLIENTS_VENV:-/tmp/bedrock-emulator-clients}"
[ -x "$venv/bin/python" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q boto3 anthropic; }
(cd "$root" && cargo build -q -p bedrock_emulator --bin bedrock-emulator)
cd "$here"
"$venv/bin/python" check_boto3.py
"$venv/bin/python" check_anthropic.py
