defmodule Aybiza.ProbeSegmenterTest do
  # Red-team pass over the segmenter NIFs since they open their resource type themselves
  # (`enif_get_resource` on a type opened in `load`) and keep a join buffer per scheduler
  # thread: foreign, stale and shared resources, concurrent pushes, odd batches. A crash here
  # would be the VM's (a NIF cannot fail softer than badarg).
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.{Config, Text}
  alias Aybiza.Native

  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"

  @segmenter_nifs [
    {:segmenter_push, ["Hi. "]},
    {:segmenter_push_dirty, ["Hi. "]},
    {:segmenter_push_many, [["Hi. "]]},
    {:segmenter_push_many_dirty, [["Hi. "]]},
    {:segmenter_finish, []},
    {:segmenter_finish_dirty, []}
  ]

  defp foreign_terms do
    {:ok, config} =
      Config.client_config(
        endpoint: "http://127.0.0.1:9",
        region: "us-east-1",
        credentials: {:static, "AKIAPROBESEGMENTER00", "PROBE-SECRET"}
      )

    request = %{model_id: @model, messages: [%{role: :user, content: "Hi"}]}

    {:ok, call} =
      Native.start_call(:converse_stream, request, Config.native(config), self(), %{
        sentences: %{},
        limits: %{}
      })

    Native.cancel(call)

    [
      # This library's own other resource (a call), and other libraries' NIF resources.
      call,
      :zlib.open(),
      :crypto.mac_init(:hmac, :sha256, "key"),
      make_ref(),
      :atomics.new(1, []),
      :counters.new(1, []),
      :ets.new(:probe, []),
      self(),
      nil,
      {:segmenter, make_ref()},
      <<0::64>>,
      # A resource of the same name from another module (a copy of the NIF library cannot
      # be loaded twice here; another library's resource stands in).
      :erlang.binary_to_term(:erlang.term_to_binary(:zlib.open()))
    ]
  end

  test "every segmenter NIF refuses whatever is not a live segmenter with badarg" do
    for term <- foreign_terms(), {fun, args} <- @segmenter_nifs do
      assert_raise ArgumentError, fn -> apply(Native, fun, [term | args]) end
    end

    # And a segmenter is not a call or a Sonic session.
    segmenter = Text.new_segmenter()
    assert_raise ArgumentError, fn -> Native.cancel(segmenter) end
    assert_raise ArgumentError, fn -> Native.sonic_close(segmenter) end
    assert_raise ArgumentError, fn -> Native.sonic_end_turn(segmenter) end
  end

  test "a segmenter copied through term_to_binary is the same live segmenter" do
    segmenter = Text.new_segmenter()
    copy = :erlang.binary_to_term(:erlang.term_to_binary(segmenter))
    assert [] = Text.push(copy, "Shared text here")
    assert ["Shared text here"] = Text.finish(segmenter)
  end

  test "a segmenter outlives the process that made it and stays usable after finish" do
    parent = self()
    spawn(fn -> send(parent, {:segmenter, Text.new_segmenter()}) end)
    assert_receive {:segmenter, segmenter}
    # The owner is gone; the term keeps the resource.
    :erlang.garbage_collect()
    assert ["First one here."] = Text.push(segmenter, "First one here. Second")
    assert ["Second"] = Text.finish(segmenter)
    # Finished, then pushed again: a new stream, never a crash.
    assert [] = Text.push(segmenter, "Again")
    assert ["Again"] = Text.finish(segmenter)
    assert [] = Text.finish(segmenter)
  end

  test "one segmenter pushed from many processes at once on every path keeps every byte" do
    segmenter = Text.new_segmenter(min_chars: 0)
    # Each process pushes whole sentences, so whatever the interleaving every sentence
    # comes out once and intact; normal, batch and dirty calls race on one mutex.
    sentence = fn i, j -> "Process #{i} sentence #{j} is here. " end
    big = String.duplicate("Long one with many words and no end ", 600)

    tasks =
      for i <- 1..24 do
        Task.async(fn ->
          for j <- 1..60, reduce: [] do
            acc ->
              out =
                case rem(j, 4) do
                  0 -> Text.push(segmenter, sentence.(i, j))
                  1 -> Text.push_many(segmenter, [sentence.(i, j)])
                  2 -> Native.segmenter_push_dirty(segmenter, sentence.(i, j))
                  3 -> Native.segmenter_push_many_dirty(segmenter, [sentence.(i, j)])
                end

              acc ++ out
          end
        end)
      end

    # Meanwhile a large push (dirty by size) from this process; what it releases may hold
    # the others' sentences.
    big_out = Text.push(segmenter, big)
    released = big_out ++ Enum.flat_map(tasks, &Task.await(&1, 120_000))
    rest = Text.finish(segmenter)
    # A piece may be cut inside a long sentence (the big push has no end): join with spaces.
    all = (released ++ rest) |> Enum.join(" ") |> String.replace(~r/\s+/, " ")

    for i <- 1..24, j <- 1..60 do
      assert all =~ "Process #{i} sentence #{j} is here.", "#{i}/#{j}"
    end
  end

  test "push_many with odd batches: improper, nested, huge counts, sub-binaries" do
    segmenter = Text.new_segmenter()

    for bad <- [
          ["a" | "b"],
          ["a", :b],
          [["a"]],
          [1],
          [<<1::1>>],
          ["ok. " | :tail]
        ] do
      assert_raise ArgumentError, fn -> Text.push_many(segmenter, bad) end
    end

    # Nothing of a refused batch was pushed.
    assert [] = Text.finish(segmenter)

    # More than the normal scheduler's 4,096 deltas: dirty, same text.
    many = List.duplicate("a", 100_000)
    assert [] = Text.push_many(segmenter, many)
    assert [text] = Text.finish(segmenter)
    assert byte_size(text) == 100_000

    # Sub-binaries of a large binary, empty deltas, a delta cut inside a character.
    parent = :binary.copy("Ünïcödé here. ", 1_000)
    subs = for i <- 0..99, do: binary_part(parent, i * 3, 3)
    assert is_list(Text.push_many(segmenter, ["" | subs] ++ [""]))
    assert is_list(Text.finish(segmenter))
  end

  test "the join buffer of one call never leaks into another's text" do
    # Big batches (kept buffers are bounded) then small ones on the same schedulers.
    a = Text.new_segmenter(min_chars: 0)
    b = Text.new_segmenter(min_chars: 0)
    big = List.duplicate("x", 15_000)
    _ = Text.push_many(a, big)

    for _ <- 1..200 do
      assert [] = Text.push_many(b, ["y"])
    end

    assert [ys] = Text.finish(b)
    assert ys == String.duplicate("y", 200)
    assert [xs] = Text.finish(a)
    assert xs == String.duplicate("x", 15_000)
  end

  test "thousands of speech acronyms cost a push about what four do" do
    # Each word was compared with every configured acronym: 16 KB with 100,000 of them held
    # a normal scheduler for ~1 s (release build). A ratio, not a time: a loaded machine
    # slows both sides.
    acronyms = Map.new(1..20_000, fn i -> {"AC#{i}", "A-C-#{i}"} end)
    words = String.duplicate("a b c d e ", 600) <> "AC7 AC20001."

    best = fn opts ->
      for _ <- 1..3 do
        # The index is built here, on the dirty scheduler; the push only looks words up.
        segmenter = Text.new_segmenter(min_chars: 0, speech: opts)
        {us, [piece]} = :timer.tc(fn -> Text.push(segmenter, words <> " Next") end)
        assert String.ends_with?(piece, "e A-C-7 AC20001.")
        us
      end
      |> Enum.min()
    end

    few = best.(acronyms: %{"AC7" => "A-C-7"})
    many = best.(acronyms: acronyms)
    assert many < max(few, 200) * 20, "1 acronym #{few} us, 20,000 #{many} us"
  end

  test "text with thousands of line breaks goes to the dirty scheduler, with the same pieces" do
    # Each line is a piece (a String and a term): 16 KB of `a\n` held a normal scheduler for
    # 1-2 ms (release build). More than 2,048 breaks in one call go dirty, like periods.
    lines = String.duplicate("line\n", 3_000)
    segmenter = Text.new_segmenter(min_chars: 0)
    assert :dirty = Native.segmenter_push(segmenter, lines)
    assert :dirty = Native.segmenter_push_many(segmenter, List.duplicate("line\n", 3_000))
    # Nothing was pushed by the refusals; the facade takes the dirty twin.
    assert Text.push(segmenter, lines) == List.duplicate("line", 3_000)

    # At the bound, the normal scheduler takes it.
    at_bound = String.duplicate("x\n", 2_048)
    assert is_list(Native.segmenter_push(Text.new_segmenter(), at_bound))
  end
end
