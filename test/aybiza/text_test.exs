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
