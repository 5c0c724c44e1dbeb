# The cluster soak (run by `bin/soak cluster`): issue 17's targets on real nodes.
#
#   * CLUSTER_NODES (3) peer nodes (OTP :peer, this build's code paths) share one account
#     quota of CLUSTER_RPM requests/min (6000) for one model; CLUSTER_CALLS (600) callers,
#     spread over the nodes, each make calls for CLUSTER_SECONDS (30) with CLUSTER_THINK_MS
#     (300) between them, against one emulator on 127.0.0.1 (first token after 50 ms).
#     Reported: calls, admitted, refused (:quota_share_exceeded), requests the emulator saw,
#     requests over the quota (sent beyond rate x time + burst: what Bedrock would have
#     throttled; the emulator has no rate-based fault yet, see the note of issue 17), the
#     throttled calls callers saw, p50/p99 admission wait (telemetry on the nodes), and lost
#     or duplicated calls (every call must end with exactly one result, and the emulator
#     must have seen exactly the admitted ones).
#   * Breaker propagation: CLUSTER_TRANSITIONS (300) breakers opened on node 1; the lag
#     from the transition to each other node applying it (same host, one clock), p50/p99.
#
# CLUSTER_DRY=1: a dry run (30 callers, 3 s, quota 1200/min, 20 transitions) that checks the
# code path.
# Exits non-zero when a target is missed (targets: throttled calls <= 1%, p99 admission
# wait <= 50 ms, no call lost or duplicated, breaker propagation p99 <= 100 ms).
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
  Emulator.start_link(rules: [%{reply: "We open at nine."}], pacing: "first_token_ms=50")

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
  "cluster soak: #{nodes_n} nodes, #{callers} callers, #{seconds} s, quota #{rpm} requests/min, " <>
    "burst #{burst_ms} ms, max wait #{max_wait_ms} ms#{if dry?, do: " (dry run)", else: ""}"
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
                ["When do you open?", %{}, call_opts],
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
calls = length(results)
ok = Enum.count(results, &match?({:ok, _}, &1))
refused = Enum.count(results, &match?({:error, %{reason: :quota_share_exceeded}}, &1))
throttled = Enum.count(results, &match?({:error, %{reason: :throttled}}, &1))
lost = Enum.count(results, &match?({:lost, _}, &1))
breaker_open = Enum.count(results, &match?({:error, %{reason: :circuit_open}}, &1))
# Errors of calls that were sent (timeouts, resets...).
other = calls - ok - refused - throttled - lost - breaker_open
sent = Emulator.counters(emulator)["total_requests"]
allowed = rpm / 60 * elapsed_s + rpm / 60_000 * burst_ms
over = max(0, sent - round(allowed))

waits =
  peers
  |> Enum.flat_map(&:erpc.call(&1.node, probe, :take, [:wait]))
  |> Enum.sort()

pct = fn
  [], _ -> nil
  sorted, q -> Enum.at(sorted, min(length(sorted) - 1, floor(q * length(sorted))))
end

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

IO.puts("""
calls #{calls} in #{Float.round(elapsed_s, 1)} s: admitted #{ok}, refused over share #{refused}, \
throttled #{throttled}, breaker open #{breaker_open}, other errors #{other}, lost #{lost}
emulator saw #{sent} requests; quota allows #{round(allowed)} in that time (rate x time + burst); \
over the quota: #{over} (#{Float.round(100 * over / max(calls, 1), 2)}% of calls)
admission wait ms: p50 #{inspect(pct.(waits, 0.5))}, p99 #{inspect(pct.(waits, 0.99))}, max #{inspect(List.last(waits))} \
(#{length(waits)} admitted attempts)
breaker propagation us: p50 #{inspect(pct.(lags, 0.5))}, p99 #{inspect(pct.(lags, 0.99))}, \
max #{inspect(List.last(lags))} (#{length(lags)} of #{transitions * (nodes_n - 1)} expected)
""")

throttled_share = (throttled + over) / max(calls, 1)
p99_wait = pct.(waits, 0.99) || 0
p99_lag = pct.(lags, 0.99) || 0

failures =
  [
    {throttled_share <= 0.01,
     "throttled (or over-quota) calls #{Float.round(100 * throttled_share, 2)}% > 1%"},
    {p99_wait <= 50, "p99 admission wait #{p99_wait} ms > 50 ms"},
    {lost == 0 and sent == ok + throttled + other,
     "lost or duplicated calls (lost #{lost}, sent #{sent}, answered #{ok + throttled + other})"},
    {length(lags) == transitions * (nodes_n - 1), "breaker transitions not seen on every node"},
    {p99_lag <= 100_000, "breaker propagation p99 #{p99_lag} us > 100 ms"}
  ]
  |> Enum.reject(&elem(&1, 0))
  |> Enum.map(&elem(&1, 1))

Enum.each(peers, &ClusterCase.stop_peer/1)

case failures do
  [] ->
    IO.puts("cluster soak: PASSED")

  _ ->
    Enum.each(failures, &IO.puts(:stderr, "cluster soak: FAILED: " <> &1))
    System.halt(1)
end
