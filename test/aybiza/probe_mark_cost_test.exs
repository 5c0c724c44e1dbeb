defmodule Aybiza.ProbeMarkCostTest do
  # Red-team probe of the segmenter NIFs' normal-scheduler budget (native/aybiza_nif/src/
  # text.rs): shapes under the byte bound (16 KiB) and the old period bound (256) that cost
  # more than a normal scheduler may hold (release build, callgrind / min of 20 runs):
  #   - `ab. ` x 256 (1 KiB, 256 periods): each period followed by a lower-case word runs the
  #     language check over the 512 bytes before it: 19.6 M instructions, 1.2 ms;
  #   - `ab!a` x 4,096 (16 KiB, no period): 16.3 M instructions, 0.8 ms;
  #   - `x。` x 4,096 (16 KiB, no period or line break): 4,096 pieces, 8.5 M instructions, as
  #     many as 5,462 line breaks (which already went dirty).
  # They now answer `:dirty` (the facade then runs the dirty twin), with the same pieces.
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.Text
  alias Aybiza.Native

  @shapes [
    {"ab. ", 256},
    {"ab!a", 4_096},
    {"ab? ", 4_096},
    {"x。", 4_096},
    {"Да! ", 2_730}
  ]

  test "costly shapes under the byte bound go to the dirty scheduler, same pieces" do
    for {piece, n} <- @shapes do
      text = String.duplicate(piece, n)
      assert byte_size(text) <= 16 * 1024

      assert :dirty = Native.segmenter_push(Text.new_segmenter(), text),
             "#{inspect(piece)} x #{n} stayed on the normal scheduler"

      assert :dirty = Native.segmenter_push_many(Text.new_segmenter(), [text]),
             "#{inspect(piece)} x #{n} (batch) stayed on the normal scheduler"

      # Through the facade: the same pieces as pushing the text in small deltas (which stay
      # on the normal scheduler).
      whole = Text.new_segmenter()
      small = Text.new_segmenter()
      got = Text.push(whole, text) ++ Text.finish(whole)

      want = (text |> chunks(48) |> Enum.flat_map(&Text.push(small, &1))) ++ Text.finish(small)

      assert got == want, inspect(piece)
    end
  end

  test "marks of deltas appended unscanned count until they are scanned" do
    # `ab!a` deltas are appended without a scan (a `!` glued to a lower-case letter ends
    # nothing yet); 4,000 of them, then a line break, made that last call scan 16 KB of
    # marks (16 M instructions, ~1 ms) on the normal scheduler.
    segmenter = Text.new_segmenter()
    reference = Text.new_segmenter()
    deltas = List.duplicate("ab!a", 4_000)

    answers = for d <- deltas, do: Native.segmenter_push(segmenter, d)
    # The first ones stay here; past 64 held marks they go dirty (nothing pushed then).
    assert Enum.take(answers, 16) |> Enum.all?(&is_list/1)
    assert Enum.count(answers, &(&1 == :dirty)) > 3_000

    # Push what was refused through the facade (the dirty twin), then end the line.
    segmenter = Text.new_segmenter()
    got = Enum.flat_map(deltas, &Text.push(segmenter, &1))
    assert :dirty = Native.segmenter_push(segmenter, "\n")
    got = got ++ Text.push(segmenter, "\n") ++ Text.finish(segmenter)
    want = Text.push(reference, Enum.join(deltas) <> "\n") ++ Text.finish(reference)
    assert got == want
  end

  test "within the bounds the normal scheduler still takes the text" do
    # A stream of ordinary sentences: each released, so no marks pile up.
    segmenter = Text.new_segmenter()

    for _ <- 1..500 do
      assert is_list(Native.segmenter_push(segmenter, "Fine. "))
      assert is_list(Native.segmenter_push(segmenter, "It is 3.5 p.m. now! "))
    end

    # Batches that leave more than 64 bytes held after each release (merged short sentences
    # and a long one in progress): the marks of released text never pile up.
    long =
      "and it ends here. The next one starts and keeps going on for well over sixty-four bytes "

    for {options, batch} <- [
          {:voice, ["Yes. ", "Fine. ", "It is 3.5 p.m. now, and the long part goes on "]},
          {[merge_short: true, min_chars: 60], ["Yes. ", "Fine. ", "It is 3.5 p.m. "]},
          {[], [long]}
        ] do
      segmenter = Text.new_segmenter(options)

      for _ <- 1..300 do
        assert is_list(Native.segmenter_push_many(segmenter, batch)), inspect(options)
      end
    end

    for text <- [
          String.duplicate("ab. ", 16),
          String.duplicate("Here is a sentence. ", 64),
          String.duplicate("x", 16 * 1024),
          String.duplicate("漢", 2_048)
        ] do
      assert is_list(Native.segmenter_push(Text.new_segmenter(), text)),
             "#{byte_size(text)} bytes went dirty"
    end
  end

  defp chunks(text, size) do
    case text do
      <<chunk::binary-size(size), rest::binary>> -> [chunk | chunks(rest, size)]
      rest -> [rest]
    end
  end
end
