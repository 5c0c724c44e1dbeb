# Usage: AYBIZA_BENCH_URL=http://127.0.0.1:PORT MIX_ENV=prod mix run --no-compile bench/cpu_split.exs
# (an emulator started with the rules of `aybiza-bench rules`, as bin/bench does).
# User vs system CPU of the whole VM per delta for the NIF events path (reads /proc/self/stat),
# and the context switches of all its threads per delta (/proc/self/task/*/status: voluntary
# and involuntary, i.e. sleeps and wake-ups; a count, so less at the mercy of a loaded
# machine than the CPU times, which tick at 10 ms).
# AYBIZA_BENCH_FAST_DELTAS: deltas per stream (`aybiza-bench deltas URL bench-fast`; a text
# message may carry several); BENCH_NIF_COALESCE_US: the calls' `:coalesce_us` (default 0);
# BENCH_SPLIT_STREAMS: streams measured after one warm-up stream (default 5);
# BENCH_SPLIT_API: converse (default) or messages.
Code.require_file("bench/support/bench.exs")

stat = fn ->
  [_, rest] = File.read!("/proc/self/stat") |> String.split(") ", parts: 2)
  f = String.split(rest)

  switches =
    for t <- File.ls!("/proc/self/task"), reduce: 0 do
      acc ->
        case File.read("/proc/self/task/#{t}/status") do
          {:ok, s} ->
            Regex.scan(~r/ctxt_switches:\s+(\d+)/, s)
            |> Enum.reduce(acc, fn [_, v], a -> a + String.to_integer(v) end)

          # A thread that ended between the listing and the read.
          _ ->
            acc
        end
    end

  {String.to_integer(Enum.at(f, 11)) * 10_000, String.to_integer(Enum.at(f, 12)) * 10_000,
   switches}
end

window = AybizaBench.env_int("BENCH_NIF_COALESCE_US", 0)
streams = AybizaBench.env_int("BENCH_SPLIT_STREAMS", 5)
api = if System.get_env("BENCH_SPLIT_API") == "messages", do: :messages, else: :converse
opts = [coalesce_us: window] ++ AybizaBench.client_opts(api: api)
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
{u0, s0, c0} = stat.()
counts = for _ <- 1..streams, do: run.()
{u1, s1, c1} = stat.()
texts = counts |> Enum.map(&elem(&1, 0)) |> Enum.sum()
msgs = counts |> Enum.map(&elem(&1, 1)) |> Enum.sum()

n =
  case AybizaBench.env_int("AYBIZA_BENCH_FAST_DELTAS", 0) do
    0 -> texts
    per_stream -> per_stream * streams
  end

IO.puts(
  "#{api}, coalesce_us #{window}: #{n} deltas in #{texts} text messages, #{msgs} messages: " <>
    "user #{Float.round((u1 - u0) / n, 2)} us, system #{Float.round((s1 - s0) / n, 2)} us, " <>
    "context switches #{Float.round((c1 - c0) / n, 2)} per delta"
)
