# Usage: AYBIZA_BENCH_URL=http://127.0.0.1:PORT MIX_ENV=prod mix run --no-compile bench/cpu_split.exs
# (an emulator started with the rules of `aybiza-bench rules`, as bin/bench does).
# User vs system CPU of the whole VM per delta for the NIF events path (reads /proc/self/stat).
Code.require_file("bench/support/bench.exs")

stat = fn ->
  [_, rest] = File.read!("/proc/self/stat") |> String.split(") ", parts: 2)
  f = String.split(rest)
  {String.to_integer(Enum.at(f, 11)) * 10_000, String.to_integer(Enum.at(f, 12)) * 10_000}
end

opts = AybizaBench.client_opts(api: :converse)
req = AybizaBench.request("bench-fast")
Process.flag(:message_queue_data, :off_heap)

count = fn count, ref, n ->
  receive do
    {:aybiza_bedrock, ^ref, {:text, _}} -> count.(count, ref, n + 1)
    {:aybiza_bedrock, ^ref, {:done, _}} -> n
    {:aybiza_bedrock, ^ref, {:error, e}} -> raise inspect(e)
    {:aybiza_bedrock, ^ref, _} -> count.(count, ref, n)
  end
end

run = fn ->
  {:ok, ref} = Aybiza.Bedrock.stream(req, opts)
  count.(count, ref, 0)
end

run.()
{u0, s0} = stat.()
n = Enum.sum(for _ <- 1..5, do: run.())
{u1, s1} = stat.()

IO.puts(
  "#{n} deltas: user #{Float.round((u1 - u0) / n, 2)} us, system #{Float.round((s1 - s0) / n, 2)} us per delta"
)
