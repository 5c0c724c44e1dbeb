# The cluster soak (run by `bin/soak cluster`): issue 17's targets on real nodes.
#
#   * CLUSTER_NODES (3) peer nodes (OTP :peer, this build's code paths) share one account
#     quota of CLUSTER_RPM requests/min (6000) for one model; CLUSTER_CALLS (600) callers,
#     spread over the nodes, each make calls for CLUSTER_SECONDS (30) with CLUSTER_THINK_MS
#     (300) between them, against one emulator on 127.0.0.1 (first token after 50 ms) that
#     throttles above the quota as Bedrock does: its `throttle_above` fault (a token bucket
#     per model and Region of CLUSTER_RPM/min holding CLUSTER_BURST_MS of it, refilled at the
#     start of each phase; ThrottlingException 429 over it; docs/EMULATOR.md).
#   * Two phases in the same run: admission off (today: every node sends what its callers
#     ask), then on. Reported per phase: calls, answered, refused (:quota_share_exceeded),
#     throttled calls seen by callers, requests the emulator saw, p50/p99 admission wait
#     (telemetry on the nodes); lost or duplicated calls (every call ends with exactly one
#     result, and the emulator saw exactly the calls that got an answer from it).
#   * Breaker propagation: CLUSTER_TRANSITIONS (300) breakers opened on node 1; the lag
#     from the transition to each other node applying it (same host, one clock), p50/p99.
#
# CLUSTER_DRY=1: a dry run (30 callers, 3 s, quota 1200/min, 20 transitions) that checks the
# code path.
# Exits non-zero when a target of the admission phase is missed (throttled calls <= 1%, p99
# admission wait <= 50 ms, no call lost or duplicated) or breaker propagation p99 > 100 ms.
# Compiled into _build only in MIX_ENV=test.
unless Code.ensure_loaded?(Aybiza.ClusterCase),
  do: Code.require_file("../test/support/cluster_case.ex", __DIR__)

alias Aybiza.Bedrock.{CircuitBreaker, Emulator}
alias Aybiza.ClusterCase

{:module, probe, probe_bin, _} =
  defmodule AybizaBench.ClusterProbe do
    @moduledoc false
    # Loaded into the peers: a public ETS table kept by a parked process, and telemetry
    # handlers recording admission waits and breaker lags into it.
    @table :aybiza_bench_cluster_probe

    def setup do
      parent = self()

      spawn(fn ->
        :ets.new(@table, [:duplicate_bag, :public, :named_table])
        send(parent, :ready)
        Process.sleep(:infinity)
      end)

      receive do
        :ready -> :ok
      end

      :ok =
        Aybiza.Bedrock.Telemetry.attach_many(
          {__MODULE__, node()},
          [[:aybiza_bedrock, :admission, :admit], [:aybiza_bedrock, :cluster, :breaker_received]],
          &__MODULE__.handle/4
        )
    end

    def handle([:aybiza_bedrock, :admission, :admit], %{wait_ms: ms}, _meta, _config),
      do: :ets.insert(@table, {:wait, ms})

    def handle([:aybiza_bedrock, :cluster, :breaker_received], %{lag_us: us}, _meta, _config)
        when is_integer(us),
        do: :ets.insert(@table, {:lag, us})

    def handle(_event, _measurements, _meta, _config), do: :ok

    def take(kind) do
      values = for {^kind, v} <- :ets.lookup(@table, kind), do: v
      :ets.delete(@table, kind)
      values
    end
  end

env = fn name, default ->
  case System.get_env(name) do
    v when v in [nil, ""] -> default
    v -> String.to_integer(v)
  end
end

dry? = System.get_env("CLUSTER_DRY") == "1"
nodes_n = env.("CLUSTER_NODES", 3)
callers = if dry?, do: 30, else: env.("CLUSTER_CALLS", 600)
seconds = if dry?, do: 3, else: env.("CLUSTER_SECONDS", 30)
think_ms = env.("CLUSTER_THINK_MS", 300)
rpm = if dry?, do: 1200, else: env.("CLUSTER_RPM", 6000)
burst_ms = env.("CLUSTER_BURST_MS", 1_000)
max_wait_ms = env.("CLUSTER_MAX_WAIT_MS", 50)
transitions = if dry?, do: 20, else: env.("CLUSTER_TRANSITIONS", 300)
model = "anthropic.claude-sonnet-4-6"
region = "us-east-1"

{:ok, emulator} =
  Emulator.start_link(
    rules: [%{reply: "We open at nine."}],
    pacing: "first_token_ms=50",
    faults: [throttle_above: [requests_per_minute: rpm, burst_ms: burst_ms]]
  )

creds = Emulator.credentials(emulator)

client = [
  endpoint: Emulator.url(emulator),
  credentials: %{access_key_id: creds.access_key_id, secret_access_key: creds.secret_access_key}
]

peer_env = [
  {:aybiza_bedrock, :quotas,
   [use_defaults: false, limits: [{model, :any, requests_per_minute: rpm}]]},
  {:aybiza_bedrock, :admission, [max_wait_ms: max_wait_ms, burst_ms: burst_ms]}
]

peers = ClusterCase.start_peers(nodes_n, env: peer_env)

for %{node: node} <- peers do
  {:module, _} = :erpc.call(node, :code, :load_binary, [probe, ~c"cluster_soak", probe_bin])
  :ok = :erpc.call(node, probe, :setup, [])
end

IO.puts(
  "cluster soak: #{nodes_n} nodes, #{callers} callers, #{seconds} s per phase, quota " <>
    "#{rpm} requests/min, burst #{burst_ms} ms, max wait #{max_wait_ms} ms" <>
    if(dry?, do: " (dry run)", else: "")
)

call_opts = [
  stream: false,
  client_opts: client,
  model_id: model,
  region: region,
  policy: [max_attempts: 1, throttle_retries: 0, fallback_region: nil],
  fallback_line: false,
  max_tokens: 100,
  timeout: 20_000
]

nodes = peers |> Enum.map(& &1.node) |> List.to_tuple()

pct = fn
  [], _ -> nil
  sorted, q -> Enum.at(sorted, min(length(sorted) - 1, floor(q * length(sorted))))
end

# One phase: every caller makes calls until the deadline; returns the report.
phase = fn admission? ->
  # Also refills the emulator's throttle_above window: each phase starts with a full bucket.
  :ok = Emulator.reset_counters(emulator)

  for %{node: node} <- peers,
      do: :erpc.call(node, Aybiza.Bedrock.Cluster.Admission, :reset, [model, region])

  for %{node: node} <- peers, do: :erpc.call(node, probe, :take, [:wait])
  opts = if admission?, do: call_opts, else: Keyword.put(call_opts, :admission, false)
  started = System.monotonic_time(:millisecond)
  deadline = started + seconds * 1000

  results =
    1..callers
    |> Enum.map(fn i ->
      node = elem(nodes, rem(i, nodes_n))

      Task.async(fn ->
        Stream.repeatedly(fn -> :call end)
        |> Enum.reduce_while([], fn :call, acc ->
          if System.monotonic_time(:millisecond) >= deadline do
            {:halt, acc}
          else
            result =
              try do
                :erpc.call(
                  node,
                  Aybiza.AWS.BedrockClient,
                  :generate_response,
                  ["When do you open?", %{}, opts],
                  30_000
                )
              catch
                kind, reason -> {:lost, {kind, reason}}
              end

            Process.sleep(think_ms)
            {:cont, [result | acc]}
          end
        end)
      end)
    end)
    |> Enum.flat_map(&Task.await(&1, (seconds + 60) * 1000))

  elapsed_s = (System.monotonic_time(:millisecond) - started) / 1000
  count = fn pattern -> Enum.count(results, pattern) end

  report = %{
    admission?: admission?,
    elapsed_s: elapsed_s,
    calls: length(results),
    ok: count.(&match?({:ok, _}, &1)),
    refused: count.(&match?({:error, %{reason: :quota_share_exceeded}}, &1)),
    throttled: count.(&match?({:error, %{reason: :throttled}}, &1)),
    breaker_open: count.(&match?({:error, %{reason: :circuit_open}}, &1)),
    lost: count.(&match?({:lost, _}, &1)),
    sent: Emulator.counters(emulator)["total_requests"],
    waits: peers |> Enum.flat_map(&:erpc.call(&1.node, probe, :take, [:wait])) |> Enum.sort()
  }

  other =
    report.calls - report.ok - report.refused - report.throttled - report.breaker_open -
      report.lost

  report = Map.put(report, :other, other)

  IO.puts("""
  admission #{if admission?, do: "on", else: "off"}: #{report.calls} calls in \
  #{Float.round(elapsed_s, 1)} s: answered #{report.ok}, refused over share #{report.refused}, \
  throttled #{report.throttled} (#{Float.round(100 * report.throttled / max(report.calls, 1), 2)}%), \
  breaker open #{report.breaker_open}, other errors #{other}, lost #{report.lost}; \
  emulator saw #{report.sent} requests; admission wait ms p50 #{inspect(pct.(report.waits, 0.5))} \
  p99 #{inspect(pct.(report.waits, 0.99))} max #{inspect(List.last(report.waits))} \
  (#{length(report.waits)} admitted attempts)\
  """)

  report
end

# Today's behaviour first (every node sends what its callers ask), then admission.
baseline = phase.(false)
# Let the peers' breakers close and their rate factors recover between the phases.
for %{node: node} <- peers, do: :erpc.call(node, CircuitBreaker, :reset, [model, region])
admitted = phase.(true)

# Breaker propagation: open CLUSTER_TRANSITIONS breakers on node 1, one at a time.
[%{node: first} | _] = peers
for %{node: node} <- peers, do: :erpc.call(node, probe, :take, [:lag])

for i <- 1..transitions do
  :ok =
    :erpc.call(first, CircuitBreaker, :record_failure, [
      model,
      "bench-#{i}",
      [failure_threshold: 1]
    ])

  Process.sleep(5)
end

Process.sleep(500)
lags = peers |> Enum.flat_map(&:erpc.call(&1.node, probe, :take, [:lag])) |> Enum.sort()

IO.puts(
  "breaker propagation us: p50 #{inspect(pct.(lags, 0.5))}, p99 #{inspect(pct.(lags, 0.99))}, " <>
    "max #{inspect(List.last(lags))} (#{length(lags)} of #{transitions * (nodes_n - 1)} expected)"
)

throttled_share = admitted.throttled / max(admitted.calls, 1)
p99_wait = pct.(admitted.waits, 0.99) || 0
p99_lag = pct.(lags, 0.99) || 0
answered_sent = admitted.ok + admitted.throttled + admitted.other

failures =
  [
    {throttled_share <= 0.01,
     "throttled calls with admission #{Float.round(100 * throttled_share, 2)}% > 1%"},
    {p99_wait <= 50, "p99 admission wait #{p99_wait} ms > 50 ms"},
    {admitted.lost == 0 and admitted.sent == answered_sent,
     "lost or duplicated calls (lost #{admitted.lost}, emulator saw #{admitted.sent}, " <>
       "callers got #{answered_sent} answers from it)"},
    {length(lags) == transitions * (nodes_n - 1), "breaker transitions not seen on every node"},
    {p99_lag <= 100_000, "breaker propagation p99 #{p99_lag} us > 100 ms"}
  ]
  |> Enum.reject(&elem(&1, 0))
  |> Enum.map(&elem(&1, 1))

_ = baseline

Enum.each(peers, &ClusterCase.stop_peer/1)

case failures do
  [] ->
    IO.puts("cluster soak: PASSED")

  _ ->
    Enum.each(failures, &IO.puts(:stderr, "cluster soak: FAILED: " <> &1))
    System.halt(1)
end
