#!/usr/bin/env bash
# Runs the independent-client checks against the emulator binary: boto3/botocore, the AWS
# CLI, Anthropic's Python SDK and langchain-aws, at the versions pinned in requirements.txt.
#
# The clients live in a venv under a cache dir (AYBIZA_CLIENTS_VENV, default
# ${XDG_CACHE_HOME:-~/.cache}/aybiza_bedrock/clients-<hash of requirements.txt>), made on
# first use from PyPI. When it cannot be made (no python3 venv, no network) this prints
# "skipped" and exits 0, unless AYBIZA_CLIENTS_REQUIRED=1; when a check fails it exits 1.
# Builds the emulator binary with cargo (CARGO_TARGET_DIR is honoured); EMULATOR_BIN
# overrides it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"

skip() {
  echo "skipped the client checks: $*"
  if [ "${AYBIZA_CLIENTS_REQUIRED:-0}" = "1" ]; then exit 1; fi
  exit 0
}

reqs="$here/requirements.txt"
hash="$({ sha256sum "$reqs" 2>/dev/null || shasum -a 256 "$reqs"; } | cut -c1-12)"
venv="${AYBIZA_CLIENTS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/aybiza_bedrock/clients-$hash}"
if [ ! -f "$venv/.complete" ]; then
  command -v python3 >/dev/null 2>&1 || skip "no python3"
  # Made in place (venv scripts name their interpreter by absolute path) and marked complete
  # last, so an interrupted install is redone rather than taken for a venv.
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  if ! python3 -m venv "$venv" >/dev/null 2>&1; then
    rm -rf "$venv"
    skip "python3 -m venv failed (python3-venv not installed?)"
  fi
  echo "installing the pinned clients into $venv (once)"
  if ! "$venv/bin/pip" install -q --disable-pip-version-check --timeout 20 --retries 1 -r "$reqs" >"$venv/install.log" 2>&1; then
    tail -n 3 "$venv/install.log"
    rm -rf "$venv"
    skip "pip could not install $reqs (no network to PyPI?)"
  fi
  touch "$venv/.complete"
fi

if [ -z "${EMULATOR_BIN:-}" ]; then
  (cd "$root" && cargo build -q -p bedrock_emulator --bin bedrock-emulator)
  export EMULATOR_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/bedrock-emulator"
fi
cd "$here"
export PATH="$venv/bin:$PATH"
for check in check_boto3.py check_cli.py check_anthropic.py check_langchain.py; do
  echo "--- $check"
  "$venv/bin/python" "$check"
done
echo "client checks passed"
