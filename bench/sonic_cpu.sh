#!/bin/bash
# CPU time and context switches per Nova Sonic audio chunk, per party (the emulator, the
# library's tokio threads, the BEAM schedulers), for BENCHMARKS.md ("Nova Sonic added
# latency"). Runs bench/sonic.exs's `added` section against a release `bedrock-emulator --tls`
# and diffs the threads' /proc counters over the run. CPU time holds up on a loaded machine
# where wall-clock latency does not.
#
#   export CARGO_TARGET_DIR=...; cargo build --release -p bedrock_emulator; MIX_ENV=prod mix compile
#   bench/sonic_cpu.sh [levels, default 100,100] [perf seconds: also `perf record` both processes]
#
# Chunks: each session hears 75 chunks of 40 ms (3 s); divide by 75 x sessions x runs
# (BENCH_SONIC_ADDED_MODES=aligned for one arrangement per level).
set -u
cd "$(dirname "$0")/.."
out=$(mktemp -d)
levels="${1:-100,100}"
printf '[{"prompt_contains": "lateness", "reply": "%s"}]\n' "$(printf 'x%.0s' $(seq 1 50))" >"$out/rules.json"
"${CARGO_TARGET_DIR:-target}/release/bedrock-emulator" --host 127.0.0.1 --port 0 --tls --ca-out "$out/ca.pem" \
  --rules "$out/rules.json" --pacing first_token_ms=0,stamp=1 --sonic '{"turn_silence_ms": 300}' >"$out/emu.log" 2>&1 &
emu=$!
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/.*tls listening on \(https:[^ ]*\).*/\1/p' "$out/emu.log" | head -n1)
  [ -n "$url" ] && break
  sleep 0.1
done
export ELIXIR_ERL_OPTIONS="${ELIXIR_ERL_OPTIONS:-+sbwt none +sbwtdcpu none +sbwtdio none}"
AYBIZA_BENCH_SONIC_URL=$url AYBIZA_BENCH_SONIC_CA=$out/ca.pem BENCH_SECTIONS=added BENCH_SONIC_ADDED_LEVELS=$levels \
  MIX_ENV=prod mix run --no-compile bench/sonic.exs >"$out/rows.txt" 2>&1 &
mixpid=$!
beam=""
for _ in $(seq 1 200); do
  for p in $(pgrep beam.smp); do [ "$(readlink /proc/$p/cwd)" = "$PWD" ] && beam=$p; done
  [ -n "$beam" ] && break
  sleep 0.05
done
# Start counting once the library's runtime is up (the first session).
while ! grep -qsE "aybiza-(shard|worker)" /proc/"$beam"/task/*/comm; do sleep 0.05; done
snap() {
  for p in $emu $beam; do
    for t in /proc/$p/task/*; do
      echo "$p $(tr ' ' _ <"$t/comm") $(awk '{print $14+$15}' "$t/stat") $(awk '/ctxt_switches/ {s+=$2} END {print s}' "$t/status")"
    done
  done
}
snap >"$out/cpu0"
(while kill -0 "$beam" 2>/dev/null; do
  snap >"$out/cpu.tmp" 2>/dev/null
  # Keep the last whole snapshot (threads vanish while the VM exits).
  grep -qE "aybiza-(shard|worker)" "$out/cpu.tmp" && ! grep -q ' $' "$out/cpu.tmp" && mv "$out/cpu.tmp" "$out/cpu1"
  sleep 0.3
done) &
if [ -n "${2:-}" ]; then perf record -e cpu-clock -F 2000 -o "$out/perf.data" -p "$emu,$beam" -- sleep "$2" >/dev/null 2>&1; fi
wait "$mixpid"
sleep 0.5
kill "$emu"
grep -E '^sonic' "$out/rows.txt" | cut -f2,3
python3 - "$out" "$emu" <<'PY'
import collections, sys
out, emu = sys.argv[1], sys.argv[2]
def load(f):
    cpu, cs = collections.Counter(), collections.Counter()
    for line in open(f):
        p = line.split()
        if len(p) == 4:
            cpu[(p[0], p[1])] += int(p[2]); cs[(p[0], p[1])] += int(p[3])
    return cpu, cs
(a, ax), (b, bx) = load(out + "/cpu0"), load(out + "/cpu1")
party = lambda pid, comm: "emulator" if pid == emu else ("library tokio" if comm.startswith(("aybiza-shard", "aybiza-worker")) else "BEAM")
tot, sw = collections.Counter(), collections.Counter()
for k in b:
    tot[party(*k)] += (b[k] - a.get(k, 0)) * 10; sw[party(*k)] += bx[k] - ax.get(k, 0)
for k in ("emulator", "library tokio", "BEAM"):
    print(f"{k}: {tot[k]} ms CPU, {sw[k]} context switches")
PY
echo "rows, counters and perf.data in $out"
