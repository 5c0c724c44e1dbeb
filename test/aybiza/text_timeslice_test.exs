defmodule Aybiza.Bedrock.TextTimesliceTest do
  # Normal-scheduler segmenter calls report their work to the VM (enif_consume_timeslice),
  # so a process pushing deltas in a loop gives up its scheduler like any busy process:
  # without it every call counted as one reduction, whatever it scanned.
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock.Text

  # 5,000 bytes of 100 sentences: a normal scheduler takes it (<= 256 periods, 16 KB).
  @big String.duplicate("Here is one more sentence of fifty bytes, or so. ", 100)

  defp reductions_of(fun) do
    {:reductions, before} = Process.info(self(), :reductions)
    fun.()
    {:reductions, now} = Process.info(self(), :reductions)
    now - before
  end

  test "a call's reductions grow with the bytes it segments" do
    small = Text.new_segmenter()
    big = Text.new_segmenter()
    tiny = reductions_of(fn -> for _ <- 1..60, do: [] = Text.push(small, "a ") end)
    large = reductions_of(fn -> for _ <- 1..60, do: Text.push(big, @big) end)
    # 300 KB is ~200 percent of a time slice: ~8,000 reductions on top of what handling
    # the 6,000 returned sentences costs (~7,300 without the report, ~15,800 with it).
    assert large - tiny > 12_000, "tiny #{tiny}, large #{large}"
  end

  test "push_many/2 reports the batch's bytes too" do
    small = Text.new_segmenter()
    big = Text.new_segmenter()
    tiny = reductions_of(fn -> for _ <- 1..60, do: [] = Text.push_many(small, ["a ", "b "]) end)
    batch = [@big]
    large = reductions_of(fn -> for _ <- 1..60, do: Text.push_many(big, batch) end)
    assert large - tiny > 12_000, "tiny #{tiny}, large #{large}"
  end
end
