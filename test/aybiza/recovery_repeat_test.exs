defmodule Aybiza.Bedrock.RecoveryRepeatTest do
  # Mid-stream recovery never speaks a sentence twice: a continuation that restarts the
  # answer and one that continues from the prefill, against the real engine and emulator.
  use ExUnit.Case, async: true

  import Aybiza.Bedrock.TestHelpers

  alias Aybiza.AWS.BedrockClient
  alias Aybiza.Bedrock.{Emulator, FakeBackend, Recovery}

  @moduletag :emulator

  @sonnet46 "anthropic.claude-sonnet-4-6"
  @haiku45 "anthropic.claude-haiku-4-5-20251001-v1:0"
  @answer [
    "First we check the calendar.",
    "Then we book the slot.",
    "After that we send a note.",
    "Finally we call you back."
  ]
  @long Enum.join(@answer, " ")

  defp emulator(rules) do
    emulator = start_supervised!({Emulator, [rules: rules]}, id: make_ref())
    creds = Emulator.credentials(emulator)

    {emulator,
     [
       endpoint: Emulator.url(emulator),
       credentials: %{
         access_key_id: creds.access_key_id,
         secret_access_key: creds.secret_access_key
       }
     ]}
  end

  # Sonnet 4.6 fails after 12 events (two or three sentences spoken); Haiku 4.5 has the
  # same answer and continues from the prefill, or restarts it.
  defp failing_then(haiku_rule, sonnet_faults \\ "exception=throttlingException@12") do
    emulator([
      %{model: "claude-sonnet-4-6", reply: @long, faults: sonnet_faults, pacing: "delta_chars=8"},
      Map.merge(%{model: "claude-haiku-4-5", reply: @long, pacing: "delta_chars=8"}, haiku_rule)
    ])
  end

  defp run(client_opts, extra \\ []) do
    opts =
      Keyword.merge(
        [
          client_opts: client_opts,
          model_id: @sonnet46,
          region: "us-east-1",
          policy: [random: fn _ -> 0 end, fallback_region: nil, throttle_retries: 0],
          breaker: [failure_threshold: 1_000],
          fallback_line: false
        ],
        extra
      )

    {:ok, ref} =
      BedrockClient.generate_response("Can you book me in?", %{call_id: "repeat"}, opts)

    collect_events(ref, 20_000)
  end

  defp of(events, tag), do: for({^tag, info} <- events, do: info)

  defp assert_spoken_once(events) do
    delivered = sentences(events)
    # seq numbers 0, 1, 2, ... and every sentence of the answer exactly once, in order
    assert Enum.map(delivered, &elem(&1, 0)) == Enum.to_list(0..(length(delivered) - 1))
    assert Enum.map(delivered, &elem(&1, 1)) == @answer
    assert {:done, summary} = List.last(events)
    assert summary.recovered? and summary.sentences == 4
    assert summary.text == @long
    # the summary's content is the whole answer, in request shape
    assert summary.content == [%{"text" => @long}]
    summary
  end

  test "a continuation that restarts the answer: the repeated sentences are skipped" do
    {_emulator, client} = failing_then(%{prefill: "restart"})
    events = run(client)

    assert [%{after_sentences: spoken, mode: :prefill, model_id: @haiku45}] =
             of(events, :recovered)

    assert spoken in 1..3
    summary = assert_spoken_once(events)
    assert summary.skipped_sentences == spoken

    # The display does not see the restart either: the text deltas after the recovery
    # hold each sentence once.
    [before, after_recovery] = split_at_recovery(events)
    assert String.contains?(before, "First we check the calendar.")
    refute String.contains?(after_recovery, "First we check the calendar.")
    assert String.contains?(after_recovery, "Finally we call you back.")
  end

  test "a continuation from the prefill: nothing to skip, nothing repeated" do
    {_emulator, client} = failing_then(%{})
    events = run(client)
    assert [%{mode: :prefill, model_id: @haiku45}] = of(events, :recovered)
    summary = assert_spoken_once(events)
    assert summary.skipped_sentences == 0
  end

  test "a model that refuses prefill continues by instruction, and its restart is skipped" do
    # Sonnet 4.6 rejects a prefill (Claude 4.6 family): the same-model retry after a stream
    # error asks by instruction; the emulator ignores the instruction and restarts, and
    # fails again at the same point; Haiku 4.5 then continues from the prefill.
    {emulator, client} = failing_then(%{}, "exception=modelStreamErrorException@12")
    events = run(client)

    assert [%{mode: :instruction, model_id: @sonnet46}] = of(events, :recovered)
    assert [%{reason: :model_stream_error}] = of(events, :retry)
    assert [%{model_id: @haiku45}] = of(events, :fallback)
    assert_spoken_once(events)
    # no request was refused: the retry to Sonnet 4.6 carried no prefill
    refute Map.has_key?(Emulator.counters(emulator)["converse-stream"], "validation_error")
  end

  test "a continuation is compared after speech normalization (markdown, acronyms)" do
    # The voice preset speaks "**First** we check the API." as "First we check the A-P-I.":
    # the prefill carries the spoken form, the model's answer starts with the written one,
    # so the emulator cannot continue after it and restarts; the repeat is still skipped.
    written = "**First** we check the API. Then we book the slot. Finally we call you back."

    {_emulator, client} =
      emulator([
        %{
          model: "claude-sonnet-4-6",
          reply: written,
          faults: "exception=throttlingException@10",
          pacing: "delta_chars=8"
        },
        %{model: "claude-haiku-4-5", reply: written, pacing: "delta_chars=8"}
      ])

    events = run(client)
    assert [%{mode: :prefill}] = of(events, :recovered)
    spoken = Enum.map(sentences(events), &elem(&1, 1))

    assert spoken == [
             "First we check the A-P-I.",
             "Then we book the slot.",
             "Finally we call you back."
           ]

    assert {:done, %{skipped_sentences: skipped}} = List.last(events)
    assert skipped >= 1
  end

  test "the prefill holds what was spoken, never the unfinished tail that was only shown" do
    error = Aybiza.Error.new(:throttled, "fake", phase: :mid_stream)

    failing =
      {:events,
       [
         :message_start,
         {:text, "First we check the calendar. Then we bo"},
         {:sentence, 0, "First we check the calendar."},
         {:error, error}
       ]}

    script = FakeBackend.script([failing, {:answer, ["Then we book the slot."]}])

    {:ok, ref} =
      BedrockClient.generate_response("Book me in", %{},
        backend: {FakeBackend, script: script},
        model_id: @haiku45,
        region: unique_region(),
        policy: [random: fn _ -> 0 end],
        breaker: [failure_threshold: 1_000],
        fallback_line: false
      )

    events = collect_events(ref)

    assert Enum.map(sentences(events), &elem(&1, 1)) == [
             "First we check the calendar.",
             "Then we book the slot."
           ]

    [_, %{request: second}] = FakeBackend.calls(script)

    assert List.last(second.messages) == %{
             role: :assistant,
             content: [%{text: "First we check the calendar."}]
           }
  end

  test "sentence keys ignore case, whitespace and punctuation, and speech spelling" do
    assert Recovery.sentence_key("Here is the A-P-I key!") ==
             Recovery.sentence_key("here is the API  key")

    refute Recovery.sentence_key("We open at nine.") == Recovery.sentence_key("We open at ten.")
    assert Recovery.sentence_key("...") == ""
  end

  test "a recovered summary keeps the continuation's tool-use and reasoning blocks" do
    reasoning = %{"reasoning_content" => %{"text" => "Book it.", "signature" => "c2ln"}}
    tool_use = %{"tool_use" => %{"tool_use_id" => "t1", "name" => "book", "input" => %{}}}

    continuation =
      {:events,
       [
         :message_start,
         {:text, "Let me book it. "},
         {:sentence, 0, "Let me book it."},
         {:tool_use, %{id: "t1", name: "book", input: %{}}},
         {:stop_reason, :tool_use},
         {:done,
          %{
            model_id: @haiku45,
            stop_reason: :tool_use,
            text: "Let me book it.",
            content: [reasoning, %{"text" => "Let me book it."}, tool_use],
            sentences: 1
          }}
       ]}

    script =
      FakeBackend.script([
        {:fail_after, ["First we check the calendar."], :throttled},
        continuation
      ])

    {:ok, ref} =
      BedrockClient.generate_response("Book me in", %{},
        backend: {FakeBackend, script: script},
        model_id: @haiku45,
        region: unique_region(),
        policy: [random: fn _ -> 0 end],
        breaker: [failure_threshold: 1_000],
        fallback_line: false
      )

    events = collect_events(ref)
    assert {:done, summary} = List.last(events)
    text = "First we check the calendar. Let me book it."
    assert summary.text == text
    assert summary.content == [reasoning, %{"text" => text}, tool_use]
    assert summary.stop_reason == :tool_use

    [_, %{request: second}] = FakeBackend.calls(script)

    assert List.last(second.messages) == %{
             role: :assistant,
             content: [%{text: "First we check the calendar."}]
           }
  end

  defp split_at_recovery(events) do
    {before, after_recovery} = Enum.split_while(events, &(not match?({:recovered, _}, &1)))
    Enum.map([before, after_recovery], fn part -> Enum.join(for {:text, t} <- part, do: t) end)
  end
end
