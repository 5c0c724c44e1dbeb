# Segmenter throughput from Elixir in CPU time of the VM (`:erlang.statistics(:runtime)`), for
# a shared machine where wall time says little: `push/2` per delta, `push_many/2` in batches of
# 4, 16 and 64, the same loops with no segmenter call (the Elixir share), and the whole text.
# Same corpus and 1-8-byte cuts as bench/segmenter.exs; not part of bin/bench.
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

cpu = fn label, fun ->
  fun.()
  {_, _} = :erlang.statistics(:runtime)
  w0 = System.monotonic_time(:microsecond)
  rounds = 5
  r = Enum.map(1..rounds, fn _ -> fun.() end) |> hd()
  {_, ms} = :erlang.statistics(:runtime)
  w = System.monotonic_time(:microsecond) - w0
  mb = byte_size(corpus) * rounds / 1.0e6

  IO.puts(
    "#{label}\tcpu #{Float.round(mb / (ms / 1000), 1)} MB/s\twall #{Float.round(mb / (w / 1.0e6), 1)} MB/s\t#{r} sentences"
  )
end

cpu.("push per delta", fn -> SegCpu.push_all(corpus, cut_bin) end)
cpu.("per-delta loop only (no NIF)", fn -> SegCpu.loop_all(corpus, cut_bin) end)

for size <- [4, 16, 64] do
  cpu.("push_many x#{size}", fn -> SegCpu.batched(corpus, cut_bin, size, &Text.push_many/2) end)
end

cpu.("loop only x16 (no NIF)", fn ->
  SegCpu.batched(corpus, cut_bin, 16, fn _s, l -> if l == [], do: [], else: [] end)
end)

cpu.("split_sentences whole", fn -> length(Text.split_sentences(corpus)) end)
