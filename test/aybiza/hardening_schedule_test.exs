defmodule Aybiza.HardeningScheduleTest do
  # No NIF of ours holds a normal scheduler, whatever the input size: every NIF-backed public
  # function is called with 1 MB and 50 MB inputs under `:erlang.system_monitor/2`'s
  # `{:long_schedule, 1}`, each in its own process, and no long_schedule event may come from
  # those processes. A machine shared with other work can preempt any scheduler thread for a
  # millisecond, so a case that shows an event is run twice more: a NIF that blocks does it
  # every time, a preemption does not.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.{Catalog, Cost, Emulator, LongSchedule, Text}

  @model "anthropic.claude-haiku-4-5-20251001-v1:0"
  @moduletag timeout: 120_000

  setup_all do
    {:ok, emulator} = Emulator.start_link(rules: [%{prompt_contains: "", reply: "Fine."}])
    %{opts: Aybiza.Bedrock.TestHelpers.emulator_opts(emulator)}
  end

  # Every NIF-backed public function, given an input built from `text` (1 MB or 50 MB). The
  # input is built before the process that calls the function starts (building a 50 MB
  # binary is the test's work, not the library's).
  defp cases(text, opts) do
    usage = %{input_tokens: 10, output_tokens: 5}
    prefixed = "anthropic." <> text
    request = req(text)
    body = body(text)
    with_tool_result = tool_result(text)
    usage_with_key = %{text => 1}

    [
      {"stream", fn -> settle(Bedrock.stream(request, opts)) end},
      {"converse", fn -> Bedrock.converse(request, opts) end},
      {"invoke_model", fn -> Bedrock.invoke_model(@model, body, opts) end},
      {"invoke_model_stream", fn -> settle(Bedrock.invoke_model_stream(@model, body, opts)) end},
      {"tool result", fn -> Bedrock.converse(with_tool_result, opts) end},
      {"model/1", fn -> Bedrock.model(text) end},
      {"Catalog.get/1", fn -> Catalog.get(prefixed) end},
      {"cost/2", fn -> Bedrock.cost(text, usage) end},
      {"Cost.calculate/2 usage", fn -> Cost.calculate(@model, usage_with_key) end},
      {"Catalog.max_tokens_for/2", fn -> Catalog.max_tokens_for(text) end},
      {"Catalog.fallback_chain/1", fn -> Catalog.fallback_chain(text) end},
      {"Catalog.region_for_country/1", fn -> Catalog.region_for_country(text) end}
    ] ++ if byte_size(text) <= 1_100_000, do: text_cases(text), else: []
  end

  # The text pipeline at 1 MB (its own long_schedule test, from the segmentation
  # work in test/aybiza/text_test.exs covers 50 MB; a debug build needs seconds per 50 MB call).
  defp text_cases(text) do
    [
      {"Catalog.estimate_tokens/1", fn -> Catalog.estimate_tokens(text) end},
      {"Text.push/2", fn -> Text.push(Text.new_segmenter(), text) end},
      {"Text.split_sentences/2", fn -> Text.split_sentences(text) end},
      {"Text.optimize_text_for_speech/2", fn -> Text.optimize_text_for_speech(text) end},
      {"Text.assess_query_complexity/2", fn -> Text.assess_query_complexity(text) end},
      {"Text.detect_tool_intent/1", fn -> Text.detect_tool_intent(text) end},
      {"Text.should_use_extended_thinking?/2",
       fn -> Text.should_use_extended_thinking?(text) end},
      {"Text.determine_response_length/2", fn -> Text.determine_response_length(text) end}
    ]
  end

  defp req(text), do: %{model_id: @model, messages: [%{role: :user, content: text}]}

  defp body(text),
    do: %{"max_tokens" => 10, "messages" => [%{"role" => "user", "content" => text}]}

  defp tool_result(text) do
    req("x")
    |> Map.put(:messages, [
      %{role: :user, content: "look it up"},
      %{
        role: :assistant,
        content: [%{tool_use: %{tool_use_id: "t1", name: "lookup", input: %{}}}]
      },
      %{
        role: :user,
        content: [%{tool_result: %{tool_use_id: "t1", content: [%{json: %{"r" => text}}]}}]
      }
    ])
  end

  defp settle({:ok, ref}) when is_reference(ref) do
    Bedrock.cancel(ref)

    receive do
      {:aybiza_bedrock, ^ref, {:done, _}} -> :ok
      {:aybiza_bedrock, ^ref, {:error, _}} -> :ok
    after
      10_000 -> :no_terminal
    end
  end

  defp settle(other), do: other

  test "no long_schedule event from our NIFs at 1 MB and 50 MB inputs", %{opts: opts} do
    small = String.duplicate("Hello there. ", 4)
    mb1 = String.duplicate("Hello there, how are you today? ", 32_768)
    mb50 = :binary.copy(mb1, 50)

    # Load every module and warm every path once before measuring.
    for {_name, fun} <- cases(small, opts), do: LongSchedule.events_of(fun)

    LongSchedule.monitoring(fn ->
      blocked =
        for text <- [mb1, mb50],
            {name, fun} <- cases(text, opts),
            blocks?(name, fun, text, opts),
            do: "#{name} with #{div(byte_size(text), 1_000_000)} MB"

      assert blocked == [], "long_schedule events from: #{Enum.join(blocked, "; ")}"
    end)
  end

  # Whether the case shows a long_schedule event three times in a row.
  defp blocks?(name, fun, text, opts) do
    LongSchedule.events_of(fun) != [] and
      Enum.all?(1..2, fn _ ->
        {^name, again} = List.keyfind(cases(text, opts), name, 0)
        LongSchedule.events_of(again) != []
      end)
  end
end
