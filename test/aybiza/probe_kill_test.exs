defmodule Aybiza.ProbeKillTest do
  # Red-team probe: whatever dies, every call ends with exactly one terminal message (or, when
  # its receiver is the one that died, none and no leak). Here: the emulator stopped (its
  # connections aborted) while calls wait for their first byte, hold their start (message
  # start decoded, first text not yet: state.rs's held start) or stream, on both transports
  # (Converse event stream, Messages-API SSE); and owners killed at random moments around
  # stream/2's return.
  use ExUnit.Case, async: false

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.{Emulator, StreamSpan, Telemetry}
  alias Aybiza.Native

  @moduletag :emulator
  @moduletag timeout: 120_000
  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"

  setup do
    test = self()
    id = "probe-kill-#{System.unique_integer([:positive])}"

    Telemetry.attach(id, Telemetry.events(), fn
      [_, :raw_stream, kind], _m, _meta, _ -> send(test, {:span, kind})
      _event, _m, _meta, _ -> :ok
    end)

    on_exit(fn -> Telemetry.detach(id) end)
    :ok
  end

  defp request(text), do: %{model_id: @model, messages: [%{role: :user, content: text}]}

  defp rules do
    long = String.duplicate("Word by word we go. ", 60)

    [
      # Nothing for a long time: the call waits for its first byte.
      [prompt_contains: "silent", reply: long, pacing: "first_token_ms=60000"],
      # The message start at once, the first text much later (the held start).
      [prompt_contains: "held", reply: long, pacing: "first_token_ms=0,tps=1,delta_chars=1"],
      # A steady slow stream.
      [prompt_contains: "", reply: long, pacing: "tps=40,delta_chars=4"]
    ]
  end

  # Events of `ref` until its terminal; then nothing more for a while.
  defp one_terminal(ref) do
    events = collect_events(ref, 20_000)
    refute_receive {:aybiza_bedrock, ^ref, _}, 300
    terminal = List.last(events)
    assert Enum.count(events, &match?({kind, _} when kind in [:done, :error], &1)) == 1
    {events, terminal}
  end

  defp spans(acc \\ %{}) do
    receive do
      {:span, kind} -> spans(Map.update(acc, kind, 1, &(&1 + 1)))
    after
      500 -> acc
    end
  end

  defp wait_for(fun, tries \\ 200) do
    cond do
      fun.() -> :ok
      tries == 0 -> flunk("condition never held")
      true -> Process.sleep(25) && wait_for(fun, tries - 1)
    end
  end

  test "the emulator stopped under calls at every phase: one terminal each, nothing after" do
    baseline = Native.live_streams()
    emulator = start_supervised!({Emulator, rules: rules()}, id: :probe_kill_emulator)
    client = emulator_opts(emulator)

    started =
      for api <- [:converse, :messages], prompt <- ["silent", "held", "stream"], n <- 1..3 do
        {:ok, ref} = Bedrock.stream(request("#{prompt} #{n}"), client ++ [api: api])
        {api, prompt, ref}
      end

    # Streams that stream: wait for their first text (the held ones may have only a start).
    for {_api, "stream", ref} <- started do
      assert_receive {:aybiza_bedrock, ^ref, {kind, _}} when kind in [:text, :sentence],
                     10_000
    end

    :ok = stop_supervised(:probe_kill_emulator)

    reasons =
      for {api, prompt, ref} <- started do
        {_events, terminal} = one_terminal(ref)
        assert {:error, %Aybiza.Error{reason: reason} = e} = terminal, "#{api} #{prompt}"
        # A dead peer is a network or stream failure, never our own :internal (a panic).
        refute reason == :internal, "#{api} #{prompt}: #{inspect(e)}"
        # Text reached the caller: the error says so (a retry would repeat it).
        if prompt == "stream" do
          assert e.phase == :mid_stream and e.delivered.chars > 0, inspect(e)
        end

        {api, prompt, reason}
      end

    wait_for(fn -> Native.live_streams() <= baseline end)
    counts = spans()
    assert counts[:start] == length(started), inspect({counts, reasons})
    assert Map.get(counts, :stop, 0) + Map.get(counts, :exception, 0) == length(started)
    assert :ets.info(StreamSpan, :size) == 0
  end

  test "owners killed at random moments around stream/2: no call, span or row outlives them" do
    baseline = Native.live_streams()
    emulator = start_supervised!({Emulator, rules: rules()}, id: :probe_kill_emulator2)
    client = emulator_opts(emulator)
    test = self()

    owners =
      for n <- 1..60 do
        prompt = Enum.at(["silent", "held", "stream"], rem(n, 3))
        api = if rem(n, 2) == 0, do: :converse, else: :messages

        owner =
          spawn(fn ->
            send(test, {:calling, self()})
            {:ok, _ref} = Bedrock.stream(request("#{prompt} #{n}"), client ++ [api: api])
            Process.sleep(:infinity)
          end)

        assert_receive {:calling, ^owner}, 5_000
        # Before start returns, between start and the first event, or mid-stream.
        if rem(n, 4) > 0, do: Process.sleep(rem(n * 37, 60))
        Process.exit(owner, :kill)
        owner
      end

    for pid <- owners, do: refute(Process.alive?(pid))
    wait_for(fn -> Native.live_streams() <= baseline end)
    # A closed row whose caller was killed before it wrote its own is swept (every 5 s, rows
    # older than 5 s): within two sweeps.
    wait_for(fn -> :ets.info(StreamSpan, :size) == 0 end, 600)
    counts = spans()
    # A call the owner never started opens no span; every opened span closed once.
    assert Map.get(counts, :stop, 0) + Map.get(counts, :exception, 0) ==
             Map.get(counts, :start, 0),
           inspect(counts)
  end
end
