# Usage: AYBIZA_BENCH_URL=http://127.0.0.1:PORT MIX_ENV=prod mix run --no-compile bench/cpu_split.exs
# (an emulator started with the rules of `aybiza-bench rules`, as bin/bench does).
# User vs system CPU of the whole VM per delta for the NIF events path (reads /proc/self/stat).
# AYBIZA_BENCH_FAST_DELTAS: deltas per stream (`aybiza-bench deltas URL bench-fast`; a text
# message may carry several); BENCH_NIF_COALESCE_US: the calls' `:coalesce_us` (default 0).
Code.require_file("bench/support/bench.exs")

stat = fn ->
  [_, rest] = File.read!("/proc/self/stat") |> String.split(") ", parts: 2)
  f = String.split(rest)
  {String.to_integer(Enum.at(f, 11)) * 10_000, String.to_integer(Enum.at(f, 12)) * 10_000}
end

window = AybizaBench.env_int("BENCH_NIF_COALESCE_US", 0)
opts = [coalesce_us: window] ++ AybizaBench.client_opts(api: :converse)
req = AybizaBench.request("bench-fast")
Process.flag(:message_queue_data, :off_heap)

count = fn count, ref, texts, msgs ->
  receive do
    {:aybiza_bedrock, ^ref, {:text, _}} -> count.(count, ref, texts + 1, msgs + 1)
    {:aybiza_bedrock, ^ref, {:done, _}} -> {texts, msgs + 1}
    {:aybiza_bedrock, ^ref, {:error, e}} -> raise inspect(e)
    {:aybiza_bedrock, ^ref, _} -> count.(count, ref, texts, msgs + 1)
  end
end

run = fn ->
  {:ok, ref} = Aybiza.Bedrock.stream(req, opts)
  count.(count, ref, 0, 0)
end

run.()
{u0, s0} = stat.()
counts = for _ <- 1..5, do: run.()
{u1, s1} = stat.()
texts = counts |> Enum.map(&elem(&1, 0)) |> Enum.sum()
msgs = counts |> Enum.map(&elem(&1, 1)) |> Enum.sum()

n =
  case AybizaBench.env_int("AYBIZA_BENCH_FAST_DELTAS", 0) do
    0 -> texts
    per_stream -> per_stream * 5
  end

IO.puts(
  "coalesce_us #{window}: #{n} deltas in #{texts} text messages, #{msgs} messages: " <>
    "user #{Float.round((u1 - u0) / n, 2)} us, system #{Float.round((s1 - s0) / n, 2)} us per delta"
)
