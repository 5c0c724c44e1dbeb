# Segmenter throughput from Elixir in CPU time of the VM (`:erlang.statistics(:runtime)`), for
# a shared machine where wall time says little: `push/2` per delta, `push_many/2` in batches of
# 4, 16 and 64, the same loops with no segmenter call (the Elixir share), and the whole text.
# Same corpus and 1-8-byte cuts as bench/segmenter.exs; not part of bin/bench.
#
# Two ways to get the deltas. "cut": each loop cuts them from the corpus as it goes
# (`binary_part/3`, and for batches a list built and reversed), so the row includes that
# Elixir work. "pre-cut": the deltas arrive as binaries already, as they do in a voice app
# (each a message's binary): they are copied out of the corpus (`:binary.copy/1`, heap
# binaries like a message's) into a tuple before timing, and the batches into a tuple of lists;
# two full garbage collections then move that data to the old heap, which the minor
# collections during the loop do not copy. The loop reads the tuple with `elem/2`. Each
# pre-cut row has its loop-only twin (the same loop calling a no-op function instead of the
# NIF), so the NIF's share is the difference.
#
#   AYBIZA_BENCH_CORPUS=bench/results/corpus.txt MIX_ENV=prod mix run bench/segmenter_cpu.exs
#
# (`segmenter_same --write-corpus PATH`, an example of aybiza_core, writes the corpus too.)
alias Aybiza.Bedrock.Text
corpus = File.read!(System.get_env("AYBIZA_BENCH_CORPUS", "bench/results/corpus.txt"))
mask = 0xFFFFFFFFFFFFFFFF

cuts =
  Stream.unfold({88_172_645_463_325_252, 0}, fn
    {_, total} when total >= byte_size(corpus) ->
      nil

    {x, total} ->
      x = Bitwise.bxor(x, Bitwise.band(Bitwise.bsl(x, 13), mask))
      x = Bitwise.bxor(x, Bitwise.bsr(x, 7))
      x = Bitwise.bxor(x, Bitwise.band(Bitwise.bsl(x, 17), mask))
      n = min(1 + rem(x, 8), byte_size(corpus) - total)
      {n, {x, total + n}}
  end)
  |> Enum.to_list()

cut_bin = for n <- cuts, into: <<>>, do: <<n>>

defmodule SegCpu do
  alias Aybiza.Bedrock.Text

  def push_all(text, cuts) do
    seg = Text.new_segmenter()
    push(seg, text, cuts, 0, 0) + length(Text.finish(seg))
  end

  defp push(_seg, _text, <<>>, _at, n), do: n

  defp push(seg, text, <<k, rest::binary>>, at, n),
    do: push(seg, text, rest, at + k, n + length(Text.push(seg, binary_part(text, at, k))))

  def loop_all(text, cuts), do: loop(text, cuts, 0, 0)
  defp loop(_text, <<>>, _at, n), do: n

  defp loop(text, <<k, rest::binary>>, at, n),
    do: loop(text, rest, at + k, n + length(nop(binary_part(text, at, k))))

  defp nop(_), do: []

  # Pre-cut: one `push/2` per element of the tuple `t` (deltas) or one `push_many/2` per
  # element (batches); `f` is the segmenter call or a no-op.
  def tuple_all(t, f) do
    seg = Text.new_segmenter()
    tuple_loop(seg, t, 1, tuple_size(t), 0, f) + length(Text.finish(seg))
  end

  defp tuple_loop(_seg, _t, i, size, n, _f) when i > size, do: n

  defp tuple_loop(seg, t, i, size, n, f),
    do: tuple_loop(seg, t, i + 1, size, n + length(f.(seg, elem(t, i - 1))), f)

  def noop(_seg, _delta), do: []

  def batched(text, cuts, size, f) do
    seg = Text.new_segmenter()
    b(seg, text, cuts, 0, size, [], 0, 0, f) + length(Text.finish(seg))
  end

  defp b(seg, _text, <<>>, _at, _size, acc, _k, n, f),
    do: n + length(f.(seg, :lists.reverse(acc)))

  defp b(seg, text, cuts, at, size, acc, size, n, f),
    do: b(seg, text, cuts, at, size, [], 0, n + length(f.(seg, :lists.reverse(acc))), f)

  defp b(seg, text, <<k, rest::binary>>, at, size, acc, count, n, f),
    do: b(seg, text, rest, at + k, size, [binary_part(text, at, k) | acc], count + 1, n, f)
end

cpu = fn label, fun, rounds ->
  fun.()
  {_, _} = :erlang.statistics(:runtime)
  w0 = System.monotonic_time(:microsecond)
  r = Enum.map(1..rounds, fn _ -> fun.() end) |> hd()
  {_, ms} = :erlang.statistics(:runtime)
  # The runtime clock has millisecond ticks: at least one.
  ms = max(ms, 1)
  w = System.monotonic_time(:microsecond) - w0
  mb = byte_size(corpus) * rounds / 1.0e6

  IO.puts(
    "#{label}\tcpu #{Float.round(mb / (ms / 1000), 1)} MB/s\twall #{Float.round(mb / (w / 1.0e6), 1)} MB/s\t#{r} sentences"
  )
end

cpu.("push per delta", fn -> SegCpu.push_all(corpus, cut_bin) end, 5)
cpu.("per-delta loop only (no NIF)", fn -> SegCpu.loop_all(corpus, cut_bin) end, 5)

for size <- [4, 16, 64] do
  cpu.(
    "push_many x#{size}",
    fn -> SegCpu.batched(corpus, cut_bin, size, &Text.push_many/2) end,
    5
  )
end

cpu.(
  "loop only x16 (no NIF)",
  fn -> SegCpu.batched(corpus, cut_bin, 16, fn _s, l -> if l == [], do: [], else: [] end) end,
  5
)

cpu.("split_sentences whole", fn -> length(Text.split_sentences(corpus)) end, 5)

# Pre-cut deltas (see the top): built before timing, then moved to the old heap.
{deltas, _} =
  Enum.map_reduce(cuts, 0, fn n, at -> {:binary.copy(binary_part(corpus, at, n)), at + n} end)

delta_tuple = List.to_tuple(deltas)
batch_tuples = Map.new([16, 64], &{&1, deltas |> Enum.chunk_every(&1) |> List.to_tuple()})
:erlang.garbage_collect()
:erlang.garbage_collect()

cpu.("pre-cut push per delta", fn -> SegCpu.tuple_all(delta_tuple, &Text.push/2) end, 5)
cpu.("pre-cut per-delta loop only", fn -> SegCpu.tuple_all(delta_tuple, &SegCpu.noop/2) end, 20)

for size <- [16, 64] do
  t = batch_tuples[size]
  cpu.("pre-cut push_many x#{size}", fn -> SegCpu.tuple_all(t, &Text.push_many/2) end, 5)
  cpu.("pre-cut x#{size} loop only", fn -> SegCpu.tuple_all(t, &SegCpu.noop/2) end, 200)
end
