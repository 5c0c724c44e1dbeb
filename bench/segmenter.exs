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
slice_bytes = AybizaBench.env_int("BENCH_REGEX_SLICE", 10_000)

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

# Cut sizes as a binary (one byte each): the measured loops then hold no big list whose
# garbage collection would stall the process (and count as a long schedule).
cut_bin = fn text -> for n <- cuts.(byte_size(text)), into: <<>>, do: <<n>> end

defmodule SegBench do
  alias Aybiza.Bedrock.Text

  # One Text.push/2 NIF call per delta; returns the number of sentences.
  def push_all(text, cuts) do
    seg = Text.new_segmenter()
    push(seg, text, cuts, 0, 0) + length(Text.finish(seg))
  end

  defp push(_seg, _text, <<>>, _at, n), do: n

  defp push(seg, text, <<k, rest::binary>>, at, n) do
    push(seg, text, rest, at + k, n + length(Text.push(seg, binary_part(text, at, k))))
  end

  # Text.push_many/2 on batches of `size` consecutive deltas (a receiver draining its mailbox
  # several deltas at a time); returns the number of sentences.
  # With `push` = `&Text.push_many/2`; `&SegBench.no_push/2` measures the loop alone (cutting
  # the deltas, building and reversing the batches), the part no segmenter API can remove.
  def push_batched(text, cuts, size, push \\ &Text.push_many/2) do
    seg = Text.new_segmenter()
    batched(seg, text, cuts, 0, size, [], 0, 0, push) + length(Text.finish(seg))
  end

  def no_push(_seg, _deltas), do: []

  defp batched(seg, _text, <<>>, _at, _size, acc, _k, n, push),
    do: n + length(push.(seg, :lists.reverse(acc)))

  defp batched(seg, text, cuts, at, size, acc, size, n, push),
    do:
      batched(
        seg,
        text,
        cuts,
        at,
        size,
        [],
        0,
        n + length(push.(seg, :lists.reverse(acc))),
        push
      )

  defp batched(seg, text, <<k, rest::binary>>, at, size, acc, count, n, push),
    do:
      batched(
        seg,
        text,
        rest,
        at + k,
        size,
        [binary_part(text, at, k) | acc],
        count + 1,
        n,
        push
      )

  # Pre-cut deltas (binaries already, as a voice app receives them in messages): one `f` call
  # (`Text.push/2`, `Text.push_many/2` or `no_push/2`) per element of the tuple `t`.
  def tuple_all(t, f) do
    seg = Text.new_segmenter()
    tuple_loop(seg, t, 1, tuple_size(t), 0, f) + length(Text.finish(seg))
  end

  defp tuple_loop(_seg, _t, i, size, n, _f) when i > size, do: n

  defp tuple_loop(seg, t, i, size, n, f),
    do: tuple_loop(seg, t, i + 1, size, n + length(f.(seg, elem(t, i - 1))), f)

  # The baseline: append the delta, re-split the whole buffer, count the new sentences.
  def regex_all(text, cuts, re), do: regex(text, cuts, re, 0, "", 0)

  defp regex(_text, <<>>, _re, _at, buf, emitted), do: emitted + if(buf == "", do: 0, else: 1)

  defp regex(text, <<k, rest::binary>>, re, at, buf, emitted) do
    buf = buf <> binary_part(text, at, k)
    # Every piece but the last is a finished sentence.
    pieces = Regex.split(re, buf)
    regex(text, rest, re, at + k, buf, max(emitted, length(pieces) - 1))
  end
end

# Runs `fun` until at least min_us passed (and min_rounds); returns MB/s over `bytes`.
timed = fn bytes, fun, min_rounds ->
  t0 = System.monotonic_time(:microsecond)

  Stream.iterate(1, &(&1 + 1))
  |> Enum.reduce_while(nil, fn round, _ ->
    fun.()
    us = System.monotonic_time(:microsecond) - t0
    if round >= min_rounds and us >= min_us, do: {:halt, bytes * round / us}, else: {:cont, nil}
  end)
end

kb = "#{div(byte_size(corpus), 1000)} KB corpus"
all_cuts = cut_bin.(corpus)
# The slice of the regex baseline (cut at a character boundary) and its deltas.
slice = String.slice(binary_part(corpus, 0, min(slice_bytes, byte_size(corpus))), 0..-2//1)
slice_cuts = cut_bin.(slice)

# Pre-cut deltas: the same cuts copied out of the corpus (heap binaries, like a message's)
# into a tuple, and into a tuple of batches, before timing. Each tuple is kept in
# `:persistent_term` and the rows get only its key: a term read from there is not on any
# process heap, so no collection copies it. (On this process's heap, every major collection
# copied all 222k deltas, milliseconds each, and the scheduler watch counted hundreds of long
# schedules in the loop; two full collections do not move data to the old heap.) The
# loop-only rows call a no-op instead of the NIF: the NIF's share is the difference.
precut_rows =
  (fn ->
     {precut, _} =
       all_cuts
       |> :binary.bin_to_list()
       |> Enum.map_reduce(0, fn n, at -> {:binary.copy(binary_part(corpus, at, n)), at + n} end)

     for {name, data, f, what} <- [
           {"nif_deltas_precut", List.to_tuple(precut), &Text.push/2,
            "one Text.push/2 call each"},
           {"nif_deltas_precut_loop_only", List.to_tuple(precut), &SegBench.no_push/2,
            "the same loop with no segmenter call"},
           {"nif_deltas_precut_batch16", precut |> Enum.chunk_every(16) |> List.to_tuple(),
            &Text.push_many/2, "16 per Text.push_many/2 call, batches built before timing"},
           {"nif_deltas_precut_batch64", precut |> Enum.chunk_every(64) |> List.to_tuple(),
            &Text.push_many/2, "64 per Text.push_many/2 call, batches built before timing"}
         ] do
       key = {SegBench, :precut, name}
       :persistent_term.put(key, data)
       {name, key, f, what}
     end
   end).()

:erlang.garbage_collect()

# Scheduler watch from here on: only the measured parts, not the preparation above (building
# the cut lists is plain Elixir work that holds the process for milliseconds).
:erlang.garbage_collect()
:erlang.garbage_collect()
monitor = AybizaBench.start_long_schedule_monitor()

whole_sentences = length(Text.split_sentences(corpus))
mbs = timed.(byte_size(corpus), fn -> Text.split_sentences(corpus) end, 3)
AybizaBench.row("segmenter", "nif_whole", mbs, "MB/s", kb <> " (split_sentences, dirty CPU NIF)")

streamed = SegBench.push_all(corpus, all_cuts)
mbs = timed.(byte_size(corpus), fn -> SegBench.push_all(corpus, all_cuts) end, 3)

AybizaBench.row(
  "segmenter",
  "nif_deltas",
  mbs,
  "MB/s",
  kb <> ", #{byte_size(all_cuts)} deltas of 1-8 bytes (one NIF call each)"
)

for size <- [4, 16, 64] do
  batched = SegBench.push_batched(corpus, all_cuts, size)
  mbs = timed.(byte_size(corpus), fn -> SegBench.push_batched(corpus, all_cuts, size) end, 3)

  AybizaBench.row(
    "segmenter",
    "nif_deltas_batch#{size}",
    mbs,
    "MB/s",
    kb <> ", the same deltas, #{size} per Text.push_many/2 call"
  )

  if batched != whole_sentences do
    IO.puts(:stderr, "segmenter.exs: push_many in #{size}s gave #{batched} sentences")
  end
end

# The batch loop without the NIF call: what the rows above pay in Elixir before any segmenting.
mbs =
  timed.(
    byte_size(corpus),
    fn -> SegBench.push_batched(corpus, all_cuts, 16, &SegBench.no_push/2) end,
    3
  )

AybizaBench.row(
  "segmenter",
  "nif_deltas_batch16_loop_only",
  mbs,
  "MB/s",
  kb <> ", the batch-16 loop with no segmenter call (binary_part, list, reverse)"
)

# Pre-cut rows (the data was built before the scheduler watch).
# Each pre-cut row runs in a fresh process: this script's own heap (the corpus's sentences,
# the cut lists) would otherwise be copied by the loops' collections, a long schedule each.
in_fresh_process = fn fun ->
  parent = self()
  {pid, ref} = spawn_monitor(fn -> send(parent, {self(), fun.()}) end)

  receive do
    {^pid, result} ->
      Process.demonitor(ref, [:flush])
      result

    {:DOWN, ^ref, :process, _, why} ->
      raise "segmenter.exs: a pre-cut row failed: #{inspect(why)}"
  end
end

for {name, key, f, what} <- precut_rows do
  {n, mbs} =
    in_fresh_process.(fn ->
      t = :persistent_term.get(key)
      n = SegBench.tuple_all(t, f)
      {n, timed.(byte_size(corpus), fn -> SegBench.tuple_all(t, f) end, 3)}
    end)

  AybizaBench.row("segmenter", name, mbs, "MB/s", kb <> ", pre-cut deltas of 1-8 bytes, " <> what)

  if f != (&SegBench.no_push/2) and n != whole_sentences do
    IO.puts(:stderr, "segmenter.exs: #{name} gave #{n} sentences")
  end
end

if streamed != whole_sentences do
  IO.puts(
    :stderr,
    "segmenter.exs: whole text gave #{whole_sentences} sentences, deltas #{streamed}"
  )
end

ours_on_slice = SegBench.push_all(slice, slice_cuts)
mbs = timed.(byte_size(slice), fn -> SegBench.push_all(slice, slice_cuts) end, 3)
slice_kb = "#{div(byte_size(slice), 1000)} KB slice"

AybizaBench.row(
  "segmenter",
  "nif_deltas_on_regex_slice",
  mbs,
  "MB/s",
  slice_kb <> ", same deltas as the baseline"
)

# Our parts are done; the baseline below is counted apart.
{ours_long, ours_samples} = AybizaBench.long_schedules(monitor)

# The regex baseline of our design, on the slice (cut at a character boundary).
re = ~r/(?<=[.!?])\s+(?=[A-Z])/

regex_sentences = SegBench.regex_all(slice, slice_cuts, re)
mbs = timed.(byte_size(slice), fn -> SegBench.regex_all(slice, slice_cuts, re) end, 1)

AybizaBench.row(
  "segmenter",
  "regex_baseline_deltas",
  mbs,
  "MB/s",
  slice_kb <> ", #{byte_size(slice_cuts)} deltas, whole-buffer Regex.split per delta"
)

AybizaBench.row(
  "segmenter",
  "sentences_regex_vs_ours_on_slice",
  regex_sentences,
  "",
  "ours: #{ours_on_slice} (the regex also cuts after Dr., a.m., U.S., St. ...)"
)

{count, samples} = AybizaBench.long_schedules(monitor)

AybizaBench.row(
  "scheduler",
  "long_schedule_segmenter_nif",
  ours_long,
  "events",
  Enum.join(ours_samples, "; ")
)

AybizaBench.row(
  "scheduler",
  "baseline_long_schedule_regex",
  count,
  "events",
  "the regex baseline (not our library): " <> Enum.join(samples, "; ")
)
