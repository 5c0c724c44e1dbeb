defmodule Aybiza.TextTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.Text

  describe "segmenter" do
    test "releases a sentence as soon as its end is certain" do
      seg = Text.new_segmenter()
      assert Text.push(seg, "Dr. Smith paid $3.") == []
      assert Text.push(seg, "50 today.") == []
      assert Text.push(seg, " Th") == ["Dr. Smith paid $3.50 today."]
      assert Text.push(seg, "en he left.") == []
      assert Text.finish(seg) == ["Then he left."]
    end

    test "deltas cut inside UTF-8 characters give the same sentences" do
      text = "¿Cómo está? Muy bien. 你好。谢谢！Done."
      expected = Text.split_sentences(text)
      assert expected == ["¿Cómo está?", "Muy bien.", "你好。", "谢谢！", "Done."]

      seg = Text.new_segmenter()

      streamed =
        for <<byte <- text>>, reduce: [] do
          acc -> acc ++ Text.push(seg, <<byte>>)
        end

      assert streamed ++ Text.finish(seg) == expected
    end

    test "the voice preset releases sentences ready for speech, in any chunking" do
      text =
        "**Sure!** Here is the `API` key:\n- item one\n## Next\nSee [the docs](https://x.example). Done."

      expected = ["Sure!", "Here is the A-P-I key:", "item one", "Next", "See the docs.", "Done."]
      assert Text.split_sentences(text, :voice) == expected

      seg = Text.new_segmenter(:voice)

      streamed =
        for <<byte <- text>>, reduce: [] do
          acc -> acc ++ Text.push(seg, <<byte>>)
        end

      assert streamed ++ Text.finish(seg) == expected
      # Sentence mode (the default) keeps the text as written and has no length cut.
      assert hd(Text.split_sentences(text)) == "**Sure!**"
      long = String.duplicate("word ", 80) <> "end."
      assert Text.split_sentences(long) == [long]
      assert length(Text.split_sentences(long, :voice)) > 1

      assert Text.split_sentences("Use the API.", speech: [acronyms: ["API"]]) == [
               "Use the A-P-I."
             ]

      # The first clause of the stream leaves early (20+ characters), normalized too.
      first = "**Before you go any further, please** read this. Then call me, or write."
      seg = Text.new_segmenter(:voice)
      assert Text.push(seg, binary_part(first, 0, 29)) == ["Before you go any further,"]
      rest = Text.push(seg, binary_part(first, 29, byte_size(first) - 29))
      assert rest ++ Text.finish(seg) == ["please read this.", "Then call me, or write."]

      assert_raise ArgumentError, ~r/:speech/, fn -> Text.new_segmenter(speech: :yes) end
    end

    test "finish resets the segmenter for reuse" do
      seg = Text.new_segmenter()
      assert Text.push(seg, "One.") == []
      assert Text.finish(seg) == ["One."]
      assert Text.push(seg, "Three. F") == ["Three."]
      assert Text.finish(seg) == ["F"]
    end

    test "voice policy options" do
      assert Text.split_sentences("Sure. Let me check that for you.", merge_short: true) ==
               ["Sure. Let me check that for you."]

      assert Text.split_sentences("Sure. Let me check that for you.") ==
               ["Sure.", "Let me check that for you."]

      assert Text.split_sentences(
               "This sentence is rather long, and it keeps going for a while.",
               max_chars: 40
             ) == ["This sentence is rather long,", "and it keeps going for a while."]

      assert Text.split_sentences("Thanks for calling Acme support, how can I help?",
               first_chunk_min_chars: 10
             ) == ["Thanks for calling Acme support,", "how can I help?"]

      text = "Try this:\n```js\nconsole.log('hi');\n```\nIt prints."
      assert Text.split_sentences(text) == ["Try this:", "It prints."]

      assert Text.split_sentences(text, skip_code_blocks: false) ==
               ["Try this:", "```js\nconsole.log('hi');\n```", "It prints."]
    end

    test "hard cases" do
      assert Text.split_sentences("I live in the U.S. How about you?") ==
               ["I live in the U.S.", "How about you?"]

      assert Text.split_sentences("It was done.Next we test it.") ==
               ["It was done.", "Next we test it."]

      assert Text.split_sentences(~s(He said "Stop." Then he left.)) ==
               [~s(He said "Stop."), "Then he left."]

      assert Text.split_sentences("1. Check the cable 2. Restart the router") ==
               ["1. Check the cable", "2. Restart the router"]
    end

    test "bad options raise ArgumentError naming the option" do
      assert_raise ArgumentError, ~r/max_chars/, fn -> Text.new_segmenter(max_chars: -1) end
      assert_raise ArgumentError, ~r/merge_short/, fn -> Text.new_segmenter(merge_short: 1) end
      assert_raise ArgumentError, ~r/bogus/, fn -> Text.new_segmenter(bogus: true) end

      assert_raise ArgumentError, ~r/first_chunk_min_chars/, fn ->
        Text.split_sentences("x", first_chunk_min_chars: "5")
      end

      assert_raise ArgumentError, ~r/acronyms/, fn ->
        Text.optimize_text_for_speech("x", acronyms: 5)
      end
    end
  end

  describe "speech" do
    test "design rules and markdown" do
      assert Text.optimize_text_for_speech("Open the  URL\n and the API.  ") ==
               "Open the U-R-L and the A-P-I."

      assert Text.optimize_text_for_speech("## Steps\n- **Restart** the [router](http://x.y).") ==
               "Steps Restart the router."

      assert Text.optimize_text_for_speech("Great 🎉", drop_emoji: true) == "Great"
      assert Text.optimize_text_for_speech("Call the CRM", acronyms: ["CRM"]) == "Call the C-R-M"

      assert Text.optimize_text_for_speech("Use SSO", acronyms: %{"SSO" => "single sign-on"}) ==
               "Use single sign-on"
    end
  end

  describe "query heuristics" do
    test "assess_query_complexity follows the design formula" do
      assert Text.assess_query_complexity("") == 0.0
      score = Text.assess_query_complexity("Please troubleshoot my router")
      assert_in_delta score, 4 / 50 * 0.3 + 0.25 * 0.5, 1.0e-9

      assert_in_delta Text.assess_query_complexity("hi", %{requires_tools: true}),
                      1 / 50 * 0.3 + 0.4,
                      1.0e-9

      assert_in_delta Text.assess_query_complexity("hi", conversation_history: Enum.to_list(1..6)),
                      1 / 50 * 0.3 + 0.3,
                      1.0e-9

      assert_in_delta Text.assess_query_complexity("hi", %{multi_turn: true}),
                      1 / 50 * 0.3 + 0.2,
                      1.0e-9
    end

    test "tool intent, extended thinking, response length" do
      assert Text.detect_tool_intent("Can you look up my order?")
      refute Text.detect_tool_intent("Hello there")

      refute Text.should_use_extended_thinking?("analyze this")
      assert Text.should_use_extended_thinking?("analyze this", %{agent_type: :technical_support})

      assert Text.determine_response_length("explain this") == 300
      assert Text.determine_response_length("quick one") == 75
      assert Text.determine_response_length("hello", agent_type: :technical_support) == 225
      assert Text.determine_response_length("hello") == 150
    end
  end
end

defmodule Aybiza.TextSchedulingTest do
  # The system monitor is one per VM: not async.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.Text

  # Every public text function with a 1 MB and a 50 MB input: no long_schedule event (a
  # normal scheduler held for more than 1 ms) comes from our NIFs.
  @tag timeout: 300_000
  test "text functions never hold a normal scheduler, at 1 MB and 50 MB" do
    for size <- [1_000_000, 50_000_000] do
      sentence = "Dr. Smith checked order 42 at 3 p.m. today, and it shipped. "
      text = :binary.copy(sentence, div(size, byte_size(sentence)))
      no_word = :binary.copy("a", size)

      # At 50 MB only the calls whose cost grows fastest with input (the debug build scans
      # ~1 MB/s per pass): the rest are the same dirty-scheduler path.
      large = size > 1_000_000

      events =
        monitored(fn ->
          seg = Text.new_segmenter()
          assert [_ | _] = Text.push(seg, text)
          assert is_list(Text.finish(seg))

          sentence_mode = Text.new_segmenter(max_chars: 0)
          assert Text.push(sentence_mode, no_word) == []
          # Small deltas after a large held sentence: still off the normal scheduler.
          assert Text.push(sentence_mode, "b") == []
          assert [_] = Text.finish(sentence_mode)

          assert Text.determine_response_length(text) in 50..300
          assert is_boolean(Text.detect_tool_intent(text))

          unless large do
            assert length(Text.split_sentences(text)) > 1
            assert is_binary(Text.optimize_text_for_speech(text))
            assert is_float(Text.assess_query_complexity(text))
            assert is_boolean(Text.should_use_extended_thinking?(text))
          end
        end)

      ours =
        Enum.filter(events, fn {_pid, info} ->
          Enum.any?(info, fn
            {k, {mod, _f, _a}} when k in [:in, :out] ->
              mod in [Aybiza.Native, Aybiza.Bedrock.Text]

            _ ->
              false
          end)
        end)

      assert ours == [], "long_schedule at #{size} bytes: #{inspect(ours)}"
    end
  end

  test "length options out of range are an ArgumentError naming the option" do
    for {key, value} <- [max_chars: 2 ** 70, min_chars: -1, first_chunk_min_chars: 1.5] do
      error = assert_raise ArgumentError, fn -> Text.new_segmenter([{key, value}]) end
      assert error.message =~ inspect(key)
    end

    assert_raise ArgumentError, ~r/:max_chars/, fn ->
      Text.split_sentences("Hi.", max_chars: 2 ** 64)
    end

    assert Text.split_sentences("Hi. There.", max_chars: 1_000_000) == ["Hi.", "There."]
  end

  test "a term that is not a segmenter is an ArgumentError on every segmenter call" do
    {:ok, other_resource} = :file.open("", [:ram, :binary])

    for bad <- [make_ref(), :seg, "seg", self(), other_resource] do
      assert_raise ArgumentError, fn -> Text.push(bad, "Hi. There") end
      assert_raise ArgumentError, fn -> Text.push_many(bad, ["Hi. ", "There"]) end
      assert_raise ArgumentError, fn -> Text.finish(bad) end
    end
  end

  test "segmenters of other processes come and go (freed with their last reference)" do
    kept = Text.new_segmenter()
    assert Text.push(kept, "Kept one. Ne") == ["Kept one."]

    results =
      1..200
      |> Task.async_stream(fn i ->
        seg = Text.new_segmenter(if rem(i, 2) == 0, do: :voice, else: [])

        {Text.push(seg, "One here. Two"), Text.push_many(seg, [" there.", " Th"]),
         Text.finish(seg)}
      end)
      |> Enum.map(fn {:ok, r} -> r end)

    assert Enum.uniq(results) == [{["One here."], ["Two there."], ["Th"]}]
    :erlang.garbage_collect()
    assert Text.push(kept, "xt one. A") == ["Next one."]
    assert Text.finish(kept) == ["A"]
  end

  defp monitored(fun) do
    previous = :erlang.system_monitor(self(), [{:long_schedule, 1}])

    try do
      fun.()
    after
      :erlang.system_monitor(previous || :undefined)
    end

    collect([])
  end

  defp collect(acc) do
    receive do
      {:monitor, pid, :long_schedule, info} -> collect([{pid, info} | acc])
    after
      0 -> Enum.reverse(acc)
    end
  end
end
