# Segmenter throughput from Elixir (run by bin/bench):
#
#   * our Rust segmenter through the NIF: the whole corpus (`Text.split_sentences/2`, a dirty
#     CPU NIF) and deltas of 1 to 8 bytes (`Text.push/2` per delta, as a stream does);
#   * the baseline of our design: on every delta, re-split the whole buffer with the regex
#     `(?<=[.!?])\s+(?=[A-Z])` and emit the sentences not emitted yet. It is quadratic, so it
#     runs on a slice (BENCH_REGEX_SLICE bytes) and its MB/s is reported with that size.
#
#   AYBIZA_BENCH_CORPUS=bench/results/corpus.txt MIX_ENV=prod mix run bench/segmenter.exs
Code.require_file("support/bench.exs", __DIR__)

alias Aybiza.Bedrock.Text

corpus = File.read!(System.get_env("AYBIZA_BENCH_CORPUS", "bench/results/corpus.txt"))
min_us = AybizaBench.env_int("BENCH_MIN_MS", 1_000) * 1000
slice_bytes = AybizaBench.env_int("BENCH_REGEX_SLICE", 50_000)
monitor = AybizaBench.start_long_schedule_monitor()

# The same xorshift64 cuts as native/aybiza_bench/src/segmenter.rs.
cuts = fn len ->
  mask = 0xFFFFFFFFFFFFFFFF

  Stream.unfold({88_172_645_463_325_252, 0}, fn
    {_, total} when total >= len ->
      nil

    {x, total} ->
      x = Bitwise.bxor(x, Bitwise.band(Bitwise.bsl(x, 13), mask))
      x = Bitwise.bxor(x, Bitwise.bsr(x, 7))
      x = Bitwise.bxor(x, Bitwise.band(Bitwise.bsl(x, 17), mask))
      n = min(1 + rem(x, 8), len - total)
      {n, {x, total + n}}
  end)
  |> Enum.to_list()
end

deltas = fn text ->
  {parts, _} =
    Enum.map_reduce(cuts.(byte_size(text)), 0, fn n, at -> {binary_part(text, at, n), at + n} end)

  parts
end

# Runs `fun` until at least min_us passed (and 3 rounds); returns MB/s over `bytes`.
timed = fn bytes, fun ->
  t0 = System.monotonic_time(:microsecond)

  Stream.iterate(1, &(&1 + 1))
  |> Enum.reduce_while(nil, fn round, _ ->
    fun.()
    us = System.monotonic_time(:microsecond) - t0
    if round >= 3 and us >= min_us, do: {:halt, bytes * round / us}, else: {:cont, nil}
  end)
end

kb = "#{div(byte_size(corpus), 1000)} KB corpus"
all_deltas = deltas.(corpus)

whole_sentences = length(Text.split_sentences(corpus))
mbs = timed.(byte_size(corpus), fn -> Text.split_sentences(corpus) end)
AybizaBench.row("segmenter", "nif_whole", mbs, "MB/s", kb <> " (split_sentences, dirty CPU NIF)")

push_all = fn parts ->
  seg = Text.new_segmenter()
  n = Enum.reduce(parts, 0, fn d, n -> n + length(Text.push(seg, d)) end)
  n + length(Text.finish(seg))
end

streamed = push_all.(all_deltas)
mbs = timed.(byte_size(corpus), fn -> push_all.(all_deltas) end)

AybizaBench.row(
  "segmenter",
  "nif_deltas",
  mbs,
  "MB/s",
  kb <> ", #{length(all_deltas)} deltas of 1-8 bytes (one NIF call each)"
)

if streamed != whole_sentences do
  IO.puts(
    :stderr,
    "segmenter.exs: whole text gave #{whole_sentences} sentences, deltas #{streamed}"
  )
end

# The regex baseline of our design, on a slice cut at a character boundary.
slice = String.slice(binary_part(corpus, 0, min(slice_bytes, byte_size(corpus))), 0..-2//1)
slice_deltas = deltas.(slice)
re = ~r/(?<=[.!?])\s+(?=[A-Z])/

regex_stream = fn parts ->
  {buffer, emitted} =
    Enum.reduce(parts, {"", 0}, fn d, {buf, emitted} ->
      buf = buf <> d
      pieces = Regex.split(re, buf)
      # Every piece but the last is a finished sentence.
      {buf, max(emitted, length(pieces) - 1)}
    end)

  emitted + if(buffer == "", do: 0, else: 1)
end

regex_sentences = regex_stream.(slice_deltas)
mbs = timed.(byte_size(slice), fn -> regex_stream.(slice_deltas) end)
slice_kb = "#{div(byte_size(slice), 1000)} KB slice"

AybizaBench.row(
  "segmenter",
  "regex_baseline_deltas",
  mbs,
  "MB/s",
  slice_kb <> ", #{length(slice_deltas)} deltas, whole-buffer Regex.split per delta"
)

slice_seg = Text.new_segmenter()
ours_on_slice = Enum.reduce(slice_deltas, 0, fn d, n -> n + length(Text.push(slice_seg, d)) end)
mbs = timed.(byte_size(slice), fn -> push_all.(slice_deltas) end)

AybizaBench.row(
  "segmenter",
  "nif_deltas_on_regex_slice",
  mbs,
  "MB/s",
  slice_kb <> ", same deltas as the baseline"
)

AybizaBench.row(
  "segmenter",
  "sentences_regex_vs_ours_on_slice",
  regex_sentences,
  "",
  "ours: #{ours_on_slice + length(Text.finish(slice_seg))} (the regex misses abbreviations, decimals, times)"
)

{count, samples} = AybizaBench.long_schedules(monitor)

AybizaBench.row(
  "scheduler",
  "long_schedule_segmenter",
  count,
  "events",
  inspect(samples, limit: 5)
)
