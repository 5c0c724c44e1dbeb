defmodule Aybiza.Cluster.AdmissionClusterTest do
  # Three real peer nodes against one emulator on this VM: not async.
  use ExUnit.Case, async: false

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock.Emulator
  alias Aybiza.Bedrock.Cluster.Admission
  alias Aybiza.ClusterCase

  @moduletag :cluster
  @moduletag :emulator
  @moduletag ClusterCase.skip_tag()
  @moduletag timeout: 120_000

  @model "anthropic.claude-sonnet-4-6"
  @region "us-east-1"
  # 60 requests/min for the account: 1 per second, a burst of 10 for the cluster.
  @rpm 60
  @burst_ms 10_000

  setup do
    emulator = start_supervised!({Emulator, rules: [%{reply: "We open at nine."}]})
    creds = Emulator.credentials(emulator)

    client = [
      endpoint: Emulator.url(emulator),
      credentials: %{
        access_key_id: creds.access_key_id,
        secret_access_key: creds.secret_access_key
      }
    ]

    peers = ClusterCase.start_peers(3, env: peer_env())
    on_exit(fn -> Enum.each(peers, &ClusterCase.stop_peer/1) end)
    %{emulator: emulator, client: client, peers: peers}
  end

  defp peer_env do
    [
      {:aybiza_bedrock, :quotas,
       [use_defaults: false, limits: [{@model, :any, requests_per_minute: @rpm}]]},
      {:aybiza_bedrock, :admission, [max_wait_ms: 0, burst_ms: @burst_ms]}
    ]
  end

  defp call(node, client, extra \\ []) do
    opts = [
      stream: false,
      client_opts: client,
      model_id: @model,
      region: @region,
      policy: [max_attempts: 1, throttle_retries: 0, fallback_region: nil],
      fallback_line: false,
      max_tokens: 100,
      timeout: 10_000
    ]

    opts = Keyword.merge(opts, extra)

    :erpc.call(node, BedrockClient, :generate_response, ["When do you open?", %{}, opts], 15_000)
  end

  defp rpm_share(node),
    do: :erpc.call(node, Admission, :share, [@model, @region]).requests_per_minute

  test "shares of the quota are recomputed when a node stops and when one joins", %{
    peers: [a, b, c]
  } do
    for %{node: node} <- [a, b, c] do
      ClusterCase.eventually(fn -> :erpc.call(node, Admission, :members, []) == 3 end)
      assert_in_delta rpm_share(node), @rpm / 3, 0.001
    end

    ClusterCase.stop_peer(c)

    for %{node: node} <- [a, b] do
      ClusterCase.eventually(fn -> :erpc.call(node, Admission, :members, []) == 2 end)
      assert_in_delta rpm_share(node), @rpm / 2, 0.001
    end

    # A node that joins takes its third again.
    [d] = ClusterCase.start_peers(1, env: peer_env())
    on_exit(fn -> ClusterCase.stop_peer(d) end)
    ClusterCase.mesh([a, b, d])

    for %{node: node} <- [a, b, d] do
      ClusterCase.eventually(fn -> :erpc.call(node, Admission, :members, []) == 3 end)
      assert_in_delta rpm_share(node), @rpm / 3, 0.001
    end
  end

  test "a burst from all nodes stays within the cluster's quota at the emulator",
       %{emulator: emulator, client: client, peers: peers} do
    # The emulator throttles above the account's quota, as Bedrock does.
    :ok =
      Emulator.set_faults(emulator,
        throttle_above: [requests_per_minute: @rpm, burst_ms: @burst_ms]
      )

    started = System.monotonic_time(:millisecond)

    results =
      for %{node: node} <- peers, _ <- 1..10 do
        Task.async(fn -> call(node, client) end)
      end
      |> Enum.map(&Task.await(&1, 30_000))

    elapsed_s = (System.monotonic_time(:millisecond) - started) / 1000
    admitted = Enum.count(results, &match?({:ok, _}, &1))
    refused = for {:error, %{reason: :quota_share_exceeded}} <- results, do: 1

    # Every call is either sent and answered, or refused before the network: none was
    # throttled by the emulator's quota.
    assert admitted + length(refused) == 30
    counters = Emulator.counters(emulator)
    sent = counters["total_requests"]
    assert sent == admitted
    assert throttled(counters) == 0

    # The cluster's burst (10) plus what the rate (1/s) refilled meanwhile; each node had
    # a third of the burst, so at least 3 each.
    assert sent <= 10 + ceil(elapsed_s)
    assert sent >= 9

    # The emulator's quota is live: the same burst without admission is throttled there.
    [%{node: node} | _] = peers

    1..12
    |> Enum.map(fn _ -> Task.async(fn -> call(node, client, admission: false) end) end)
    |> Enum.each(&Task.await(&1, 30_000))

    assert throttled(Emulator.counters(emulator)) >= 1
  end

  defp throttled(counters) do
    for {_route, %{} = outcomes} <- counters, reduce: 0 do
      acc -> acc + Map.get(outcomes, "throttled", 0)
    end
  end

  test "a ThrottlingException lowers the rate on every node (AIMD)",
       %{emulator: emulator, client: client, peers: [a, b, c]} do
    :ok = Emulator.set_faults(emulator, "throttle")
    assert {:error, %{reason: :throttled}} = call(a.node, client)

    for %{node: node} <- [a, b, c] do
      ClusterCase.eventually(fn ->
        :erpc.call(node, Admission, :rate_factor, [@model, @region]) < 0.6
      end)
    end

    # ... and the share follows it.
    assert rpm_share(b.node) < @rpm / 3 * 0.6
  end
end
