defmodule Aybiza.TextPushManyTest do
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.Text

  @text "Dr. Smith paid $3.50 at 10:30 a.m. today. ¿Cómo está? Muy bien. 你好。谢谢！" <>
          "The U.S. office opens on Monday. Call us at 555-0100, ext. 4. Bye!"

  # Cuts of 1..8 bytes anywhere, inside UTF-8 characters too.
  defp cuts(text, seed) do
    :rand.seed(:exsss, {seed, seed, seed})
    cut(text, [])
  end

  defp cut(<<>>, acc), do: Enum.reverse(acc)

  defp cut(text, acc) do
    k = min(:rand.uniform(8), byte_size(text))
    <<piece::binary-size(k), rest::binary>> = text
    cut(rest, [piece | acc])
  end

  defp one_by_one(deltas, opts) do
    seg = Text.new_segmenter(opts)
    Enum.flat_map(deltas, &Text.push(seg, &1)) ++ Text.finish(seg)
  end

  defp batched(deltas, size, opts) do
    seg = Text.new_segmenter(opts)

    deltas
    |> Enum.chunk_every(size)
    |> Enum.flat_map(&Text.push_many(seg, &1))
    |> Kernel.++(Text.finish(seg))
  end

  test "returns exactly what push/2 of each delta returns, whatever the batch size" do
    for seed <- 1..5, size <- [1, 2, 3, 7, 64], opts <- [[], :voice] do
      deltas = cuts(@text, seed)
      expected = one_by_one(deltas, opts)
      assert length(expected) > 3
      assert batched(deltas, size, opts) == expected
    end
  end

  test "invalid and incomplete UTF-8 across deltas and batches: the same as push/2 of each" do
    # Cut inside a character at a batch end, a truncated sequence followed by ASCII, a stray
    # continuation byte, an invalid lead byte: push_many joins a batch's bytes before decoding.
    deltas = [
      "Fine. Caf",
      <<0xC3>>,
      <<0xA9>>,
      " ok. A",
      <<0xE2, 0x80>>,
      "b. C",
      <<0x80>>,
      "d. E",
      <<0xFF, 0xE2>>,
      <<0x82>>,
      <<0xAC>>,
      " end. Last",
      <<0xF0, 0x9F>>
    ]

    for size <- 1..length(deltas), opts <- [[], :voice] do
      assert batched(deltas, size, opts) == one_by_one(deltas, opts)
    end

    assert one_by_one(deltas, []) == [
             "Fine.",
             "Café ok.",
             "A\uFFFDb.",
             "C\uFFFDd.",
             "E\uFFFD€ end.",
             "Last\uFFFD"
           ]
  end

  test "an empty batch releases nothing and keeps the held text" do
    seg = Text.new_segmenter()
    assert Text.push_many(seg, ["Hello there. Then mo"]) == ["Hello there."]
    assert Text.push_many(seg, []) == []
    assert Text.push_many(seg, ["re. And"]) == ["Then more."]
    assert Text.finish(seg) == ["And"]
  end

  test "a batch larger than a normal scheduler's share is done on a dirty scheduler" do
    sentence = "This is sentence number one of many. "
    deltas = List.duplicate(sentence, 1_000) ++ List.duplicate("x", 5_000)
    seg = Text.new_segmenter()
    out = Text.push_many(seg, deltas)
    # Every sentence is released: the 1,000th once the next (lowercase) piece starts.
    assert length(out) == 1_000
    assert Enum.all?(out, &(&1 == String.trim_trailing(sentence)))
  end

  test "an improper list or a non-binary element is an ArgumentError and changes nothing" do
    seg = Text.new_segmenter()
    assert_raise ArgumentError, fn -> Text.push_many(seg, ["One. ", "Two" | "tail"]) end
    assert_raise ArgumentError, fn -> Text.push_many(seg, ["One. ", :two]) end
    assert_raise FunctionClauseError, fn -> Text.push_many(seg, "not a list") end
    # Nothing of the refused batches was pushed: the stream is as if they never came.
    assert Text.push_many(seg, ["Fine. ", "Next"]) ++ Text.finish(seg) == ["Fine.", "Next"]
  end
end
