defmodule Aybiza.RawStreamTelemetryTest do
  # Raw Aybiza.Bedrock.stream/2 spans (telemetry: true): balanced in every path (issue 14 item 3).
  use ExUnit.Case, async: false

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.{Emulator, Telemetry}
  alias Aybiza.Error

  @moduletag :emulator
  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"

  setup do
    test = self()
    id = "raw-#{System.unique_integer([:positive])}"

    Telemetry.attach(id, Telemetry.events(), fn [_, :raw_stream, _] = event, m, meta, _ ->
      send(test, {:span, event, m, meta})
    end)

    on_exit(fn -> Telemetry.detach(id) end)
    :ok
  end

  defp emulator(extra) do
    emulator = start_supervised!({Emulator, extra}, id: make_ref())
    {emulator, emulator_opts(emulator)}
  end

  defp request(text \\ "When do you open?"),
    do: %{model_id: @model, messages: [%{role: :user, content: [%{text: text}]}]}

  defp spans do
    receive do
      {:span, [_, _, kind], m, meta} -> [{kind, m, meta} | spans()]
    after
      100 -> []
    end
  end

  test "a finished stream: start, then stop with tokens and cost; messages unchanged" do
    {_emulator, client} = emulator(rules: [[reply: "We open at nine. See you."]])
    {:ok, ref} = Bedrock.stream(request(), client ++ [telemetry: true])
    events = collect_events(ref, 10_000)
    assert [{0, "We open at nine."}, {1, "See you."}] = sentences(events)
    assert {:done, summary} = List.last(events)

    assert [{:start, _, %{model_id: @model}}, {:stop, m, %{stop_reason: :end_turn}}] = spans()
    assert m.output_tokens == summary.usage.output_tokens
    assert m.cost == summary.cost.nanodollars
  end

  test "without telemetry: true there is no span" do
    {_emulator, client} = emulator(rules: [[reply: "Fine."]])
    {:ok, ref} = Bedrock.stream(request(), client)
    assert {:done, _} = List.last(collect_events(ref, 10_000))
    assert spans() == []
  end

  test "an error, a cancel and a receiver exit each close the span once" do
    {_emulator, client} = emulator(rules: [[reply: "Fine.", faults: "throttle"]])
    {:ok, ref} = Bedrock.stream(request(), client ++ [telemetry: true])
    assert {:error, %Error{reason: :throttled}} = List.last(collect_events(ref, 10_000))
    assert [{:start, _, _}, {:exception, _, %{reason: :throttled}}] = spans()

    {_emulator, client} =
      emulator(rules: [[reply: String.duplicate("A long answer here. ", 100), pacing: "tps=50"]])

    {:ok, ref} = Bedrock.stream(request(), client ++ [telemetry: true])
    assert_receive {:aybiza_bedrock, ^ref, {:sentence, 0, _}}, 10_000
    :ok = Bedrock.cancel(ref)
    # cancel/1 returned: the terminal is in the mailbox, last, and nothing follows it.
    {:messages, mailbox} = Process.info(self(), :messages)
    mine = for {:aybiza_bedrock, ^ref, event} <- mailbox, do: event
    assert {:error, %Error{reason: :cancelled}} = List.last(mine)
    assert Enum.count(mine, &match?({:error, _}, &1)) == 1
    Bedrock.flush(ref)
    refute_receive {:aybiza_bedrock, ^ref, _}, 200
    assert [{:start, _, _}, {:exception, m, %{reason: :cancelled}}] = spans()
    assert m.cost > 0

    test = self()

    receiver =
      spawn(fn ->
        {:ok, ref} = Bedrock.stream(request(), client ++ [telemetry: true])
        send(test, {:started, ref})

        receive do
          {:aybiza_bedrock, ^ref, {:sentence, 0, _}} -> exit(:hung_up)
        end
      end)

    assert_receive {:started, _}, 5_000
    ref = Process.monitor(receiver)
    assert_receive {:DOWN, ^ref, _, _, :hung_up}, 10_000
    Process.sleep(200)
    assert [{:start, _, _}, {:exception, _, %{reason: :cancelled}}] = spans()
  end
end
