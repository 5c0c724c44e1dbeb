defmodule Aybiza.StreamTraceTimingsTest do
  # `trace_timings: true`: the summary's timings carry the points the call reached on its
  # way to the first sentence, on this VM's monotonic clock, in the order the path reaches
  # them, for ConverseStream and the Messages API (SSE). Off (the default), no `:trace`.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.Emulator

  @opus "us.anthropic.claude-opus-4-7"

  setup do
    emulator =
      start_supervised!(
        {Emulator,
         rules: [
           %{
             prompt_contains: "traced",
             reply: "Your visit is booked for Monday. Anything else?",
             pacing: %{tps: 0, delta_chars: 8}
           }
         ]}
      )

    creds = Emulator.credentials(emulator)

    opts = [
      endpoint: Emulator.url(emulator),
      region: "us-east-1",
      credentials: {:static, creds.access_key_id, creds.secret_access_key}
    ]

    %{opts: opts}
  end

  defp request, do: %{model_id: @opus, messages: [%{role: :user, content: "traced"}]}

  defp run(opts) do
    called = System.monotonic_time(:nanosecond)
    {:ok, ref} = Bedrock.stream(request(), opts)
    {received, summary} = await(ref, nil)
    {called, received, summary}
  end

  defp await(ref, sentence_at) do
    receive do
      {:aybiza_bedrock, ^ref, {:sentence, 0, _}} ->
        await(ref, System.monotonic_time(:nanosecond))

      {:aybiza_bedrock, ^ref, {:done, summary}} ->
        {sentence_at, summary}

      {:aybiza_bedrock, ^ref, {:error, e}} ->
        flunk("stream failed: #{Exception.message(e)}")

      {:aybiza_bedrock, ^ref, _} ->
        await(ref, sentence_at)
    after
      10_000 -> flunk("no terminal message")
    end
  end

  # In path order; `:spawned` (the NIF after the spawn) and `:task_start` (the task on a
  # runtime thread) run in parallel and are checked apart.
  @converse ~w(entry decoded client execution serialized signed transmit headers response first_event first_text sentence_cut sentence_sent)a
  @messages ~w(entry decoded serialized client signed transmit headers response first_event first_text sentence_cut sentence_sent)a

  for {api, chain} <- [converse: @converse, messages: @messages] do
    test "#{api}: every point of the path, in order, between the call and the receipt", %{
      opts: opts
    } do
      {called, received, summary} = run([api: unquote(api), trace_timings: true] ++ opts)
      trace = summary.timings.trace

      assert Enum.sort(Map.keys(trace)) == Enum.sort([:spawned, :task_start | unquote(chain)])
      times = Enum.map(unquote(chain), &Map.fetch!(trace, &1))
      assert times == Enum.sort(times)
      assert called <= trace.entry
      # `:sentence_sent` is stamped when `enif_send` has returned; a receiver on the other core
      # may already hold the sentence by then (bin/bench's delivery phase is often negative).
      assert trace.sentence_cut <= received
      # The task starts after the NIF decoded the request and before it is serialized.
      assert trace.decoded <= trace.spawned
      assert trace.decoded <= trace.task_start
      assert trace.task_start <= trace.serialized
    end
  end

  test "off by default; a non-boolean is refused", %{opts: opts} do
    {_, _, summary} = run(opts)
    refute Map.has_key?(summary.timings, :trace)
    assert is_integer(summary.timings.first_sentence_us)

    assert_raise ArgumentError, ~r/:trace_timings must be a boolean/, fn ->
      Bedrock.stream(request(), [trace_timings: :yes] ++ opts)
    end
  end
end
