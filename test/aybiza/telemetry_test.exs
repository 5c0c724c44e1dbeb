defmodule Aybiza.Bedrock.TelemetryTest do
  use ExUnit.Case, async: true

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock.{FakeBackend, Telemetry}

  defp attach_all(test_id, call_id) do
    parent = self()

    :ok =
      Telemetry.attach(test_id, Telemetry.events(), fn event, measurements, metadata, _ ->
        if metadata[:call_id] == call_id,
          do: send(parent, {:telemetry, event, measurements, metadata})
      end)

    on_exit(fn -> Telemetry.detach(test_id) end)
  end

  test "attach/detach of local handlers" do
    parent = self()
    id = make_ref()

    assert :ok =
             Telemetry.attach(
               id,
               [:my, :event],
               fn e, m, md, cfg -> send(parent, {e, m, md, cfg}) end,
               :cfg
             )

    assert {:error, :already_exists} =
             Telemetry.attach(id, [:my, :event], fn _, _, _, _ -> :ok end)

    Telemetry.execute([:my, :event], %{n: 1}, %{k: :v})
    assert_receive {[:my, :event], %{n: 1}, %{k: :v}, :cfg}
    assert :ok = Telemetry.detach(id)
    assert {:error, :not_found} = Telemetry.detach(id)
    Telemetry.execute([:my, :event], %{n: 2}, %{})
    refute_receive {[:my, :event], _, _, _}, 20
  end

  test "a raising handler is detached and does not break the emitter" do
    id = make_ref()
    :ok = Telemetry.attach(id, [:boom], fn _, _, _, _ -> raise "handler bug" end)
    assert :ok = Telemetry.execute([:boom], %{}, %{})
    assert {:error, :not_found} = Telemetry.detach(id)
  end

  test "without :telemetry loaded, events still reach local handlers" do
    # :telemetry is not a dependency of this project.
    refute Telemetry.telemetry_available?()
  end

  test "a stream emits start, first_token, sentence, stop with durations in native units" do
    call_id = "tel-#{System.unique_integer([:positive])}"
    attach_all(make_ref(), call_id)
    script = FakeBackend.script([{:answer, ["One.", "Two."]}])

    {:ok, ref} =
      BedrockClient.generate_response(
        "Hi",
        %{call_id: call_id, tenant_id: "t-1", system_prompt: "secret prompt"},
        backend: {FakeBackend, script: script},
        model_id: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        region: unique_region()
      )

    collect_events(ref)

    assert_receive {:telemetry, [:aybiza_bedrock, :stream, :start], %{system_time: _}, meta}
    assert meta.tenant_id == "t-1" and meta.model_id =~ "haiku"

    assert_receive {:telemetry, [:aybiza_bedrock, :stream, :first_token], %{duration: d}, _}
                   when is_integer(d)

    assert_receive {:telemetry, [:aybiza_bedrock, :stream, :sentence], %{seq: 0}, _}
    assert_receive {:telemetry, [:aybiza_bedrock, :stream, :sentence], %{seq: 1}, _}
    assert_receive {:telemetry, [:aybiza_bedrock, :stream, :stop], stop, stop_meta}
    assert stop.cost == 2_000 and stop.output_tokens == 2 and is_integer(stop.duration)
    assert stop_meta.attempts == 1

    # never prompt text or credentials
    refute inspect(stop_meta) =~ "secret prompt"
  end

  test "retries, fallbacks, recoveries and failures are emitted" do
    call_id = "tel-#{System.unique_integer([:positive])}"
    attach_all(make_ref(), call_id)

    script =
      FakeBackend.script([
        {:error, :throttled},
        {:fail_after, ["One."], :model_not_ready},
        {:answer, ["Two."]}
      ])

    {:ok, ref} =
      BedrockClient.generate_response("Hi", %{call_id: call_id},
        backend: {FakeBackend, script: script},
        model_id: "anthropic.claude-sonnet-4-6",
        region: unique_region(),
        policy: [random: fn _ -> 0 end]
      )

    collect_events(ref)

    assert_receive {:telemetry, [:aybiza_bedrock, :retry], %{delay: 0, attempt: 1},
                    %{reason: :throttled}}

    assert_receive {:telemetry, [:aybiza_bedrock, :fallback], %{attempt: 2},
                    %{
                      kind: :alternative_model,
                      from_model: "anthropic.claude-sonnet-4-6"
                    }}

    assert_receive {:telemetry, [:aybiza_bedrock, :recovery], %{delivered_sentences: 1},
                    %{mode: :prefill}}

    assert_receive {:telemetry, [:aybiza_bedrock, :stream, :stop], _,
                    %{recovered?: true, attempts: 3}}

    call_id = "tel-#{System.unique_integer([:positive])}"
    attach_all(make_ref(), call_id)
    script = FakeBackend.script([{:error, :access_denied}])

    {:ok, ref} =
      BedrockClient.generate_response("Hi", %{call_id: call_id},
        backend: {FakeBackend, script: script},
        model_id: "anthropic.claude-sonnet-4-6",
        region: unique_region()
      )

    collect_events(ref)

    assert_receive {:telemetry, [:aybiza_bedrock, :stream, :exception], %{duration: _},
                    %{reason: :access_denied}}
  end
end
