"""Turns the result rows of one bin/bench run into the table (stdout and a markdown file).

Rows are `section<TAB>metric<TAB>value<TAB>unit<TAB>note` lines, from the Rust binary, the
Elixir scripts and the boto3 script; anything else in the input (build output) is ignored.
Every ratio compares figures of this same run, because these machines are noisy.

bin/bench runs every measurement BENCH_RUNS times (default 3), so a (section, metric) pair
can appear several times: the table shows the median, and the spread as min-max over the runs
with its width relative to the median. A concurrency row shows the smallest level reached (the
level that held in every run), a long_schedule count the largest. Ratios use the medians.

    python3 bench/report.py bench/results/rows.tsv bench/results/latest.md
"""
import math
import sys

ORDER = ["machine", "segmenter", "events", "ttfs", "latency", "concurrency", "memory",
         "cancel", "sonic", "scheduler"]


def read(path):
    """(section, metric) -> (value, unit, note, samples); the value aggregates the samples."""
    seen = {}
    for line in open(path, encoding="utf-8", errors="replace"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 5 or parts[0] not in ORDER:
            continue
        section, metric, value, unit, note = parts
        try:
            v = float(value)
        except ValueError:
            v = value  # machine facts are text
        if (section, metric) in seen:
            seen[(section, metric)][0].append(v)
        else:
            seen[(section, metric)] = ([v], unit, note)
    rows = {}
    for (section, metric), (samples, unit, note) in seen.items():
        rows[(section, metric)] = (aggregate(section, metric, samples), unit, note, samples)
    return rows


def numbers(samples):
    return [x for x in samples if isinstance(x, float) and not math.isnan(x)]


def aggregate(section, metric, samples):
    nums = numbers(samples)
    if len(nums) != len(samples) or not nums:
        return samples[-1]
    if section == "concurrency":
        return min(nums)
    if section == "scheduler":
        return max(nums)
    nums = sorted(nums)
    mid = len(nums) // 2
    return nums[mid] if len(nums) % 2 else (nums[mid - 1] + nums[mid]) / 2


def spread(v, samples):
    nums = numbers(samples)
    if len(samples) < 2 or len(nums) != len(samples):
        return ""
    lo, hi = min(nums), max(nums)
    width = f" ({(hi - lo) / abs(v) * 100:.0f}%)" if isinstance(v, float) and v else ""
    return f"{fmt(lo)} - {fmt(hi)}{width}, {len(nums)} runs"


def fmt(v):
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    if abs(v) >= 0.1 or v == 0:
        return f"{v:.2f}"
    return f"{v:.3g}"


def main():
    src, out = sys.argv[1], sys.argv[2]
    rows = read(src)
    val = lambda s, m: rows.get((s, m), (None,))[0]

    lines = ["| section | metric | value | spread (min - max) | unit | notes |",
             "|---|---|---:|---|---|---|"]
    for section in ORDER:
        for (s, m), (v, unit, note, samples) in rows.items():
            if s == section:
                lines.append(f"| {s} | {m} | {fmt(v)} | {spread(v, samples)} | {unit} | {note} |")

    ratios = []

    def ratio(label, a, b, meaning):
        if isinstance(a, float) and isinstance(b, float) and b:
            ratios.append(f"| {label} | {a / b:.2f}x | {meaning} |")
        else:
            ratios.append(f"| {label} | n/a | {meaning} (a side is missing) |")

    seg, ev = "segmenter", "events"
    ratio("segmenter: NIF deltas / regex baseline (same slice, same deltas)",
          val(seg, "nif_deltas_on_regex_slice"), val(seg, "regex_baseline_deltas"),
          "how much faster our streaming segmenter is than the design's regex re-split")
    ratio("segmenter: NIF deltas / native Rust deltas", val(seg, "nif_deltas"),
          val(seg, "rust_native_deltas"), "share of native speed left after one NIF call per delta")
    ratio("segmenter: NIF whole / native Rust whole", val(seg, "nif_whole"),
          val(seg, "rust_native_whole"), "whole-text call through the dirty NIF")
    ratio("events/s: NIF into a BEAM process / raw Rust SDK", val(ev, "nif_deltas_per_s"),
          val(ev, "rust_sdk_deltas_per_s"), "1.00x = the library costs no throughput")
    ratio("CPU per delta: raw Rust SDK / decode floor", val(ev, "rust_sdk_cpu_per_delta"),
          val(ev, "decode_floor_cpu_per_delta"),
          "what HTTP, the SDK's event types and tokio add to decoding the same bytes")
    ratio("CPU per delta: engine without BEAM / raw Rust SDK", val(ev, "engine_cpu_per_delta"),
          val(ev, "rust_sdk_cpu_per_delta"), "the engine's stream state and sentence cutting")
    ratio("CPU per delta: NIF (whole VM) / engine without BEAM", val(ev, "nif_cpu_per_delta"),
          val(ev, "engine_cpu_per_delta"), "term building, enif_send and the receiving process")
    ratio("CPU per delta: NIF, +sbwt none / default busy-wait", val(ev, "nif_cpu_per_delta"),
          val(ev, "nif_sbwt_default_cpu_per_delta"),
          "what waking a sleeping scheduler for every message costs")
    ratio("CPU per delta: old floor (block_on) / raw Rust SDK", val(ev, "rust_sdk_blockon_cpu_per_delta"),
          val(ev, "rust_sdk_cpu_per_delta"), "the cost of waiting on a stream from outside the runtime")
    ratio("segmenter: NIF push_many (16 per call) / native Rust deltas", val(seg, "nif_deltas_batch16"),
          val(seg, "rust_native_deltas"), "share of native speed left with one NIF call per 16 deltas")
    ratio("events/s: boto3 / raw Rust SDK", val(ev, "boto3_deltas_per_s"),
          val(ev, "rust_sdk_deltas_per_s"), "the Python anchor")
    ratio("events/s: NIF / boto3", val(ev, "nif_deltas_per_s"), val(ev, "boto3_deltas_per_s"),
          "our library vs the Python stack")
    ratio("CPU per delta: NIF (whole VM) / raw Rust SDK", val(ev, "nif_cpu_per_delta"),
          val(ev, "rust_sdk_cpu_per_delta"), "includes segmenting and BEAM delivery")
    ratio("CPU per delta: boto3 / NIF", val(ev, "boto3_cpu_per_delta"),
          val(ev, "nif_cpu_per_delta"), "how much more CPU the Python client burns per event")
    ratio("events/s: Messages API (SSE) / Converse (event stream), NIF", val(ev, "nif_sse_deltas_per_s"),
          val(ev, "nif_deltas_per_s"), "same model, reply and deltas; only the transport differs")
    ratio("CPU per delta: Messages API (SSE) / Converse (event stream), NIF",
          val(ev, "nif_sse_cpu_per_delta"), val(ev, "nif_cpu_per_delta"),
          "SSE parsing in aybiza_core vs the SDK's event-stream decoding")
    a, b = val("ttfs", "nif_sse_first_sentence_p50"), val("ttfs", "nif_first_sentence_p50")
    if isinstance(a, float) and isinstance(b, float):
        ratios.append(f"| time to first sentence: Messages API - Converse (p50) | {a - b:,.0f} us | "
                      "what the SSE transport adds (or saves) on the first sentence |")
    for nif, api in [("nif", "Converse"), ("nif_sse", "Messages API")]:
        for q in ["p50", "p99"]:
            a = val("ttfs", f"{nif}_first_sentence_{q}")
            b = val("ttfs", f"rust_sdk_first_sentence_{q}")
            if isinstance(a, float) and isinstance(b, float):
                ratios.append(f"| time to first sentence: NIF {api} - raw Rust SDK ({q}) | "
                              f"{a - b:,.0f} us | what the library adds to the first sentence "
                              "beyond the SDK (target < 100 us at p50; the phases are the "
                              "ttfs `*_phase_*` rows) |")

    # Counters are cumulative per VM: the segmenter VM's and the stream VM's last value.
    # One row per measured part (each counts its own events); the regex baseline is apart.
    counts = [v for (s, m), (v, _, _, _) in rows.items()
              if s == "scheduler" and m.startswith("long_schedule_") and m != "long_schedule_control"
              and isinstance(v, float)]
    total = sum(counts)
    control = val("scheduler", "long_schedule_control")
    if not counts:
        verdict = "not measured"
    elif total == 0:
        verdict = "OK"
    elif isinstance(control, float) and control > 0:
        verdict = ("NOT 0; the control loop without any NIF also has long schedules, so the "
                   "OS is descheduling BEAM threads on this machine: see the samples")
    else:
        verdict = "BLOCKED SCHEDULERS"

    text = "\n".join([
        "## Results", "", *lines, "", "## Comparisons (both sides in this run)", "",
        "| comparison | ratio | meaning |", "|---|---:|---|", *ratios, "",
        f"long_schedule events (>= 1 ms on a scheduler) in our library's runs: {fmt(total)} ({verdict}); "
        f"in the regex baseline: {fmt(val('scheduler', 'baseline_long_schedule_regex'))}; "
        f"in a pure-Erlang busy loop (control, no NIF): {fmt(val('scheduler', 'long_schedule_control'))}",
        "",
    ])
    print(text)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
