defmodule Aybiza.Cluster.BreakerClusterTest do
  # Three real peer nodes against one emulator on this VM: not async.
  use ExUnit.Case, async: false

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock.{CircuitBreaker, Emulator}
  alias Aybiza.ClusterCase

  @moduletag :cluster
  @moduletag :emulator
  @moduletag ClusterCase.skip_tag()
  @moduletag timeout: 120_000

  @model "anthropic.claude-sonnet-4-6"
  @region "us-east-1"
  @recovery_ms 1_500

  setup do
    emulator =
      start_supervised!(
        {Emulator, rules: [%{model: "claude-sonnet-4-6", faults: "throttle", reply: "Open."}]}
      )

    creds = Emulator.credentials(emulator)

    client = [
      endpoint: Emulator.url(emulator),
      credentials: %{
        access_key_id: creds.access_key_id,
        secret_access_key: creds.secret_access_key
      }
    ]

    breaker = [failure_threshold: 2, recovery_ms: @recovery_ms, half_open_calls: 1]
    peers = ClusterCase.start_peers(3, env: [{:aybiza_bedrock, :circuit_breaker, breaker}])
    on_exit(fn -> Enum.each(peers, &ClusterCase.stop_peer/1) end)

    %{emulator: emulator, client: client, peers: peers}
  end

  defp call(node, client) do
    opts = [
      stream: false,
      client_opts: client,
      model_id: @model,
      region: @region,
      policy: [max_attempts: 1, throttle_retries: 0, fallback_region: nil],
      fallback_line: false,
      admission: false,
      timeout: 10_000
    ]

    :erpc.call(node, BedrockClient, :generate_response, ["When do you open?", %{}, opts], 15_000)
  end

  defp breaker(node) do
    :erpc.call(node, CircuitBreaker, :list, [])
    |> Enum.find(fn {{model, region}, _} -> region == @region and model =~ "sonnet-4-6" end)
  end

  defp remaining_ms(node, key) do
    :erpc.call(node, CircuitBreaker, :snapshot, [])
    |> Enum.find_value(fn
      {^key, {:open, remaining, _}} -> remaining
      _ -> nil
    end)
  end

  test "a throttling emulator rule opens the breaker on all three nodes, with one deadline; " <>
         "the cluster sends one half-open trial and closes everywhere",
       %{emulator: emulator, client: client, peers: [a, b, c] = peers} do
    # Node A alone sees the throttles: two failures open its breaker.
    assert {:error, %{reason: :throttled}} = call(a.node, client)
    assert {:error, %{reason: :throttled}} = call(a.node, client)
    assert {key, :open} = breaker(a.node)

    for %{node: node} <- [b, c] do
      ClusterCase.eventually(fn -> breaker(node) == {key, :open} end, 2_000)
    end

    # Same deadline everywhere (read one after the other: a few ms apart at most).
    [ra, rb, rc] = Enum.map(peers, &remaining_ms(&1.node, key))
    assert Enum.max([ra, rb, rc]) - Enum.min([ra, rb, rc]) < 200
    assert ra > 0 and ra <= @recovery_ms

    # B and C refuse without sending anything: the emulator saw A's two calls only.
    assert {:error, %{reason: :circuit_open}} = call(b.node, client)
    assert {:error, %{reason: :circuit_open}} = call(c.node, client)
    assert %{"throttled" => 2} = Emulator.counters(emulator)["converse-stream"]

    # Recovery: the model answers again, slowly, so the trial is still running while the
    # other nodes try.
    :ok = Emulator.set_rules(emulator, [%{reply: "We open at nine."}])
    :ok = Emulator.set_pacing(emulator, "first_token_ms=600")
    Process.sleep(@recovery_ms + 100)

    results =
      peers
      |> Enum.map(fn %{node: node} -> Task.async(fn -> call(node, client) end) end)
      |> Enum.map(&Task.await(&1, 20_000))

    assert [{:ok, %{text: "We open at nine."}}] = Enum.filter(results, &match?({:ok, _}, &1))
    assert length(for {:error, %{reason: :circuit_open}} <- results, do: 1) == 2
    assert %{"ok" => 1} = Emulator.counters(emulator)["converse-stream"]

    for %{node: node} <- peers do
      ClusterCase.eventually(fn -> breaker(node) == {key, :closed} end, 2_000)
    end
  end

  test "a node that joins late gets the open breakers", %{client: client, peers: [a | _]} do
    assert {:error, %{reason: :throttled}} = call(a.node, client)
    assert {:error, %{reason: :throttled}} = call(a.node, client)
    assert {key, :open} = breaker(a.node)

    [late] =
      ClusterCase.start_peers(1,
        env: [
          {:aybiza_bedrock, :circuit_breaker, [failure_threshold: 2, recovery_ms: @recovery_ms]}
        ]
      )

    on_exit(fn -> ClusterCase.stop_peer(late) end)
    ClusterCase.eventually(fn -> breaker(late.node) == {key, :open} end, 3_000)
    assert remaining_ms(late.node, key) <= @recovery_ms
  end
end
