defmodule Aybiza.RawStreamTelemetryTest do
  # Raw Aybiza.Bedrock.stream/2 spans, on by default and with no process between the engine
  # and the receiver: balanced in every path (issue 14 item 3).
  use ExUnit.Case, async: false

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.{Emulator, StreamSpan, Telemetry}
  alias Aybiza.Error

  @moduletag :emulator
  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"

  setup do
    test = self()
    id = "raw-#{System.unique_integer([:positive])}"

    Telemetry.attach(id, Telemetry.events(), fn [_, :raw_stream, _] = event, m, meta, _ ->
      send(test, {:span, event, m, meta, self()})
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

  defp long_reply,
    do: [reply: String.duplicate("A long answer here. ", 100), pacing: "tps=50"]

  defp spans(wait \\ 300) do
    receive do
      {:span, [_, _, kind], m, meta, _emitter} -> [{kind, m, meta} | spans(wait)]
    after
      wait -> []
    end
  end

  defp open_rows, do: :ets.info(StreamSpan, :size)

  test "by default a finished stream is a span: start, then stop with tokens and cost" do
    {_emulator, client} = emulator(rules: [[reply: "We open at nine. See you."]])
    {:ok, ref} = Bedrock.stream(request(), client)
    assert_received {:span, [_, _, :start], _, %{model_id: @model}, emitter}
    assert emitter == self()
    events = collect_events(ref, 10_000)
    assert [{0, "We open at nine."}, {1, "See you."}] = sentences(events)
    assert {:done, summary} = List.last(events)

    assert_receive {:span, [_, _, :stop], m, %{stop_reason: :end_turn} = meta, emitter}, 2_000
    assert emitter == Process.whereis(StreamSpan)
    assert meta.model_id == @model
    assert m.output_tokens == summary.usage.output_tokens
    assert m.input_tokens == summary.usage.input_tokens
    assert m.cost == summary.cost.nanodollars and m.cost > 0
    assert m.duration > 0
    assert spans() == []
    assert open_rows() == 0
  end

  test "telemetry: false: no span, and the observer hears nothing" do
    {_emulator, client} = emulator(rules: [[reply: "Fine."]])
    :erlang.trace(Process.whereis(StreamSpan), true, [:receive])
    {:ok, ref} = Bedrock.stream(request(), client ++ [telemetry: false])
    assert {:done, _} = List.last(collect_events(ref, 10_000))
    assert spans() == []
    refute_received {:trace, _, :receive, {:aybiza_bedrock_span, _, _}}
  after
    :erlang.trace(Process.whereis(StreamSpan), false, [:receive])
  end

  test "config stream_telemetry: false turns the default off; telemetry: true still asks" do
    {_emulator, client} = emulator(rules: [[reply: "Fine."]])
    Application.put_env(:aybiza_bedrock, :stream_telemetry, false)

    try do
      {:ok, ref} = Bedrock.stream(request(), client)
      assert {:done, _} = List.last(collect_events(ref, 10_000))
      assert spans() == []

      {:ok, ref} = Bedrock.stream(request(), client ++ [telemetry: true])
      assert {:done, _} = List.last(collect_events(ref, 10_000))
      assert [{:start, _, _}, {:stop, _, _}] = spans()
    after
      Application.delete_env(:aybiza_bedrock, :stream_telemetry)
    end
  end

  test "an error closes the span once with its reason" do
    {_emulator, client} = emulator(rules: [[reply: "Fine.", faults: "throttle"]])
    {:ok, ref} = Bedrock.stream(request(), client)
    assert {:error, %Error{reason: :throttled}} = List.last(collect_events(ref, 10_000))
    assert [{:start, _, _}, {:exception, m, %{reason: :throttled}}] = spans()
    # Nothing delivered: nothing billed.
    assert m.cost == 0
    assert open_rows() == 0
  end

  test "a cancel closes the span once, reason :cancelled, with the estimated cost" do
    {_emulator, client} = emulator(rules: [long_reply()])
    {:ok, ref} = Bedrock.stream(request(), client)
    assert_receive {:aybiza_bedrock, ^ref, {:sentence, 0, _}}, 10_000
    :ok = Bedrock.cancel(ref)
    assert {:error, %Error{reason: :cancelled}} = List.last(collect_events(ref, 5_000))
    assert [{:start, _, _}, {:exception, m, %{reason: :cancelled}}] = spans()
    assert m.cost > 0
    assert open_rows() == 0
  end

  test "a receiver that exits and a killed caller each close the span once" do
    {_emulator, client} = emulator(rules: [long_reply()])
    test = self()

    receiver =
      spawn(fn ->
        {:ok, ref} = Bedrock.stream(request(), client)
        send(test, {:started, ref})

        receive do
          {:aybiza_bedrock, ^ref, {:sentence, 0, _}} -> exit(:hung_up)
        end
      end)

    assert_receive {:started, _}, 5_000
    monitor = Process.monitor(receiver)
    assert_receive {:DOWN, ^monitor, _, _, :hung_up}, 10_000
    assert [{:start, _, _}, {:exception, _, %{reason: :cancelled}}] = spans(1_000)

    # The caller is killed right after starting a stream to another receiver: the span is
    # not the caller's, it still closes when the stream ends.
    {_emulator, client} = emulator(rules: [[reply: "Fine."]])

    caller =
      spawn(fn ->
        {:ok, ref} = Bedrock.stream(request(), client ++ [to: test])
        send(test, {:started, ref})
        Process.sleep(:infinity)
      end)

    assert_receive {:started, ref}, 5_000
    Process.exit(caller, :kill)
    assert {:done, _} = List.last(collect_events(ref, 10_000))
    assert [{:start, _, _}, {:stop, _, %{stop_reason: :end_turn}}] = spans(1_000)

    # A caller that dies as the receiver before the stream ends.
    {_emulator, client} = emulator(rules: [long_reply()])

    caller =
      spawn(fn ->
        {:ok, ref} = Bedrock.stream(request(), client)
        send(test, {:started, ref})
        Process.sleep(:infinity)
      end)

    assert_receive {:started, _}, 5_000
    Process.exit(caller, :kill)
    assert [{:start, _, _}, {:exception, _, %{reason: :cancelled}}] = spans(1_000)
    assert open_rows() == 0
  end

  test "events go straight from the engine to the receiver: no process in between" do
    {_emulator, client} = emulator(rules: [long_reply()])
    observer = Process.whereis(StreamSpan)
    # A suspended observer forwards nothing: events keep arriving while it cannot run.
    :ok = :sys.suspend(observer)

    try do
      before = MapSet.new(Process.list())
      {:ok, ref} = Bedrock.stream(request(), client)
      assert_receive {:aybiza_bedrock, ^ref, {:sentence, 0, _}}, 10_000
      assert_receive {:aybiza_bedrock, ^ref, {:sentence, 1, _}}, 10_000
      # Mid-stream, no process was started for the call (the old relay was one).
      spawned = MapSet.difference(MapSet.new(Process.list()), before)
      assert Enum.filter(spawned, &Process.alive?/1) == []
      :ok = Bedrock.cancel(ref)
      assert {:error, %Error{reason: :cancelled}} = List.last(collect_events(ref, 5_000))
      assert spans() |> Enum.map(&elem(&1, 0)) == [:start]
    after
      :sys.resume(observer)
    end

    # Resumed, the observer closes the span from the one message it was sent.
    assert [{:exception, _, %{reason: :cancelled}}] = spans()
  end

  test "with the observer down calls still work, without a span" do
    {_emulator, client} = emulator(rules: [[reply: "Fine."]])
    :ok = Supervisor.terminate_child(Aybiza.Bedrock.Supervisor, StreamSpan)

    try do
      {:ok, ref} = Bedrock.stream(request(), client)
      assert {:done, _} = List.last(collect_events(ref, 10_000))
      assert spans() == []
    after
      {:ok, _} = Supervisor.restart_child(Aybiza.Bedrock.Supervisor, StreamSpan)
    end

    {:ok, ref} = Bedrock.stream(request(), client)
    assert {:done, _} = List.last(collect_events(ref, 10_000))
    assert [{:start, _, _}, {:stop, _, _}] = spans()
  end

  test "receivers killed at any point of their streams: every span closes once" do
    # Killed while the engine is sending: a send can fail before the receiver's monitor
    # fires, and the call then ends with no terminal sent; the span closes all the same.
    {_emulator, client} = emulator(rules: [[reply: String.duplicate("Word by word we go. ", 40)]])

    test = self()

    receivers =
      for n <- 1..30 do
        spawn(fn ->
          {:ok, ref} = Bedrock.stream(request(), client)
          send(test, {:started, self()})
          wait_events(ref, rem(n, 10))
          Process.exit(self(), :kill)
        end)
      end

    for pid <- receivers, do: assert_receive({:started, ^pid}, 5_000)
    all = spans(1_000)
    assert Enum.count(all, &match?({:start, _, _}, &1)) == 30
    closes = Enum.reject(all, &match?({:start, _, _}, &1))
    assert length(closes) == 30
    assert open_rows() == 0
  end

  defp wait_events(_ref, 0), do: :ok

  defp wait_events(ref, n) do
    receive do
      {:aybiza_bedrock, ^ref, _} -> wait_events(ref, n - 1)
    after
      2_000 -> :ok
    end
  end

  test "a receiver already dead at start: the span opens and closes, reason :cancelled" do
    {_emulator, client} = emulator(rules: [[reply: "Fine."]])
    {dead, monitor} = spawn_monitor(fn -> :ok end)
    assert_receive {:DOWN, ^monitor, _, _, _}
    {:ok, _ref} = Bedrock.stream(request(), client ++ [to: dead])
    assert [{:start, _, _}, {:exception, _, %{reason: :cancelled}}] = spans(1_000)
    assert open_rows() == 0
  end

  test "the sweep drops orphan rows and keeps the live ones" do
    observer = Process.whereis(StreamSpan)
    {old_observer, monitor} = spawn_monitor(fn -> :ok end)
    assert_receive {:DOWN, ^monitor, _, _, _}
    long_ago = System.monotonic_time() - System.convert_time_unit(60, :second, :native)
    live = make_ref()
    # An open row of an earlier observer, an outcome whose caller never came, a live span.
    :ets.insert(StreamSpan, {make_ref(), :open, {old_observer, %{}, long_ago}})
    :ets.insert(StreamSpan, {make_ref(), :closed, {{:error, :throttled, 0}, long_ago}})
    :ets.insert(StreamSpan, {live, :open, {observer, %{}, long_ago}})
    send(observer, :sweep)
    :sys.get_state(observer)
    assert [{^live, :open, _}] = :ets.tab2list(StreamSpan)
    :ets.delete(StreamSpan, live)
  end

  test "a :telemetry option that is not a boolean is refused, not ignored" do
    assert_raise ArgumentError, fn -> Bedrock.stream(request(), telemetry: :yes) end
  end
end
