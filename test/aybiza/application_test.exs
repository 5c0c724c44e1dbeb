defmodule Aybiza.Bedrock.ApplicationTest do
  # Kills and restarts application processes: not async.
  use ExUnit.Case, async: false

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock.{CircuitBreaker, FakeBackend}

  @haiku "us.anthropic.claude-haiku-4-5-20251001-v1:0"

  test "the supervision tree" do
    children = Supervisor.which_children(Aybiza.Bedrock.Supervisor)
    ids = children |> Enum.map(&elem(&1, 0)) |> Enum.reverse()

    assert Enum.take(ids, 4) == [
             Aybiza.Bedrock.CircuitBreaker.TableOwner,
             Aybiza.Bedrock.StreamRegistry,
             Aybiza.AWS.BedrockClient,
             Aybiza.Bedrock.PerformanceMonitor
           ]

    assert Enum.at(ids, 4) ==
             {Aybiza.Bedrock.ConversationMemory.Supervisor, Aybiza.Bedrock.ConversationMemory}

    for {_id, pid, _, _} <- children, do: assert(is_pid(pid))
  end

  test "invalid catalog overrides stop boot with a message naming them" do
    Application.put_env(:aybiza_bedrock, :catalog_overrides,
      models: [%{id: "amazon.nova-lite-v1:0", default_max_tokens: 10_000_000}]
    )

    try do
      assert {:error, {:invalid_config, message}} = Aybiza.Bedrock.Application.start(:normal, [])

      assert message =~ "config :aybiza_bedrock, :catalog_overrides"
      assert message =~ "default_max_tokens"
      # The catalog is unchanged and the running tree untouched.
      refute Aybiza.Bedrock.Catalog.info().overridden
      assert is_pid(Process.whereis(Aybiza.Bedrock.Supervisor))
    after
      Application.delete_env(:aybiza_bedrock, :catalog_overrides)
    end
  end

  test "a crash of the client does not touch calls in flight, and breaker state survives it" do
    region = unique_region()
    for _ <- 1..5, do: CircuitBreaker.record_failure(@haiku, region)
    ref = start_gated_call()

    client = Process.whereis(BedrockClient)
    monitor = Process.monitor(client)
    # The call is in flight (its stream waits at the gate) when the client dies.
    assert_receive {:fake_gate, stream}
    Process.exit(client, :kill)
    assert_receive {:DOWN, ^monitor, _, _, _}
    send(stream, :open)

    events = collect_events(ref)
    assert {:done, %{text: "Still here."}} = List.last(events)
    assert CircuitBreaker.state(@haiku, region) == :open

    wait_until(fn ->
      is_pid(Process.whereis(BedrockClient)) and Process.whereis(BedrockClient) != client
    end)

    assert %{region: _} = BedrockClient.settings()
  end

  test "a restart of the stream registry partition does not end calls in flight" do
    ref = start_gated_call()

    assert_receive {:fake_gate, stream}
    assert Aybiza.Bedrock.Turn.Relay.lookup(ref)
    # The partition process links to every registered relay.
    registry = Process.whereis(Aybiza.Bedrock.StreamRegistry)
    [{_, partition, _, _}] = Supervisor.which_children(registry)
    monitor = Process.monitor(partition)
    Process.exit(partition, :kill)
    assert_receive {:DOWN, ^monitor, _, _, _}
    send(stream, :open)

    assert {:done, %{text: "Still here."}} = List.last(collect_events(ref))

    wait_until(fn ->
      match?(
        [{_, pid, _, _}] when is_pid(pid) and pid != partition,
        Supervisor.which_children(registry)
      )
    end)
  end

  test "settings are read from :persistent_term and can be changed at runtime" do
    old = BedrockClient.settings()

    try do
      new = BedrockClient.update_settings(fallback_region: "eu-west-3")
      assert new.fallback_region == "eu-west-3"
      assert BedrockClient.settings().fallback_region == "eu-west-3"

      assert_raise ArgumentError, ~r/unknown BedrockClient setting :bogus/, fn ->
        BedrockClient.update_settings(bogus: 1)
      end

      # A bad value is rejected in the caller; the client keeps running with its settings.
      client = Process.whereis(BedrockClient)

      assert_raise ArgumentError, ~r/latency_threshold_ms/, fn ->
        BedrockClient.update_settings(latency_threshold_ms: -5)
      end

      assert Process.whereis(BedrockClient) == client
      assert BedrockClient.settings().fallback_region == "eu-west-3"
    after
      BedrockClient.update_settings(fallback_region: old.fallback_region)
    end
  end

  test "EXTENDED_THINKING_THRESHOLD: extended_thinking: :auto also thinks at or above it" do
    old = BedrockClient.settings()
    model = "anthropic.claude-sonnet-4-6"

    thinking? = fn ->
      {:ok, request} =
        BedrockClient.build_request("Hi there", %{}, [extended_thinking: :auto], model)

      Map.has_key?(Map.get(request, :additional_model_request_fields, %{}), "thinking")
    end

    try do
      refute thinking?.()
      BedrockClient.update_settings(extended_thinking_threshold: 0.0)
      assert thinking?.()
    after
      BedrockClient.update_settings(extended_thinking_threshold: old.extended_thinking_threshold)
    end
  end

  test "1,000 concurrent calls complete without queueing on the client" do
    client = Process.whereis(BedrockClient)
    parent = self()
    sampling = make_ref()

    sampler =
      spawn_link(fn ->
        sample = fn sample, max ->
          receive do
            {^sampling, :stop} -> send(parent, {sampling, :max_queue, max})
          after
            1 ->
              {:message_queue_len, len} = Process.info(client, :message_queue_len)
              sample.(sample, max(max, len))
          end
        end

        sample.(sample, 0)
      end)

    backend = {FakeBackend, item: {:answer, ["One.", "Two."]}}

    # Warm-up: load every module once, so the burst measures the steady state.
    {:ok, ref} =
      BedrockClient.generate_response("Warm-up", %{}, backend: backend, region: unique_region())

    assert {:done, _} = List.last(collect_events(ref))

    results =
      1..1_000
      |> Task.async_stream(
        fn i ->
          {:ok, ref} =
            BedrockClient.generate_response("Call #{i}", %{call_id: "load-#{i}"},
              backend: backend,
              region: unique_region()
            )

          List.last(collect_events(ref, 30_000))
        end,
        max_concurrency: 1_000,
        timeout: 60_000
      )
      |> Enum.map(fn {:ok, result} -> result end)

    send(sampler, {sampling, :stop})
    assert_receive {^sampling, :max_queue, max_queue}, 5_000

    assert length(results) == 1_000
    assert Enum.all?(results, &match?({:done, %{sentences: 2}}, &1))
    assert max_queue == 0
  end

  # A call whose stream waits at a gate (`{:fake_gate, stream}` arrives; send it `:open`)
  # before it answers "Still here.".
  defp start_gated_call do
    script = FakeBackend.script([{:gate, self(), {:answer, ["Still here."]}}])

    {:ok, ref} =
      BedrockClient.generate_response("Hi", %{},
        backend: {FakeBackend, script: script},
        model_id: @haiku,
        region: unique_region()
      )

    ref
  end

  defp wait_until(fun, tries \\ 100) do
    cond do
      fun.() -> :ok
      tries == 0 -> flunk("condition not met")
      true -> Process.sleep(10) && wait_until(fun, tries - 1)
    end
  end
end
