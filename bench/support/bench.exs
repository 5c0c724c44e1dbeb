# Helpers shared by the Elixir benchmarks (loaded with Code.require_file).
#
# Results are rows `section<TAB>metric<TAB>value<TAB>unit<TAB>note` on stdout; bin/bench
# collects them and bench/report.py turns them into the table.
defmodule AybizaBench do
  # Served on Converse and on the Anthropic Messages API: both transports run one model.
  @model "us.anthropic.claude-opus-4-7"

  # The emulator's default static test credentials (docs/EMULATOR.md).
  @key_id "AKIAIOSFODNN7EXAMPLE"
  @secret "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

  def model, do: @model

  def env_int(name, default) do
    case System.get_env(name) do
      nil -> default
      "" -> default
      v -> String.to_integer(v)
    end
  end

  def env_list(name, default) do
    case System.get_env(name) do
      nil -> default
      "" -> default
      v -> v |> String.split(",", trim: true) |> Enum.map(&String.to_integer(String.trim(&1)))
    end
  end

  @doc "Client options for the running emulator whose URL bin/bench exports."
  def client_opts(extra \\ []) do
    url =
      System.get_env("AYBIZA_BENCH_URL") ||
        raise "AYBIZA_BENCH_URL is not set: start bedrock-emulator (see bin/bench) and export its URL"

    # Converse unless a section asks for the Messages API (the catalog's :auto would pick
    # the Messages API for this model; the long-standing rows stay on Converse).
    Keyword.merge(
      [
        endpoint: url,
        region: "us-east-1",
        credentials: {:static, @key_id, @secret},
        api: :converse
      ],
      extra
    )
  end

  def request(prompt) do
    %{
      model_id: @model,
      messages: [%{role: :user, content: prompt}],
      inference_config: %{max_tokens: 8192}
    }
  end

  def row(section, metric, value, unit, note \\ "") do
    value =
      case value do
        v when is_float(v) -> :erlang.float_to_binary(v, decimals: 3)
        v when is_integer(v) -> Integer.to_string(v)
        nil -> "nan"
      end

    IO.puts(Enum.join([section, metric, value, unit, note], "\t"))
  end

  @doc "Nearest-rank quantiles of a list of numbers."
  def quantiles([]), do: %{n: 0, p50: nil, p99: nil, max: nil}

  def quantiles(list) do
    sorted = Enum.sort(list)
    t = List.to_tuple(sorted)
    n = tuple_size(t)
    q = fn p -> elem(t, max(1, min(n, ceil(p * n))) - 1) end
    %{n: n, p50: q.(0.5), p99: q.(0.99), max: elem(t, n - 1)}
  end

  @doc "Resident set size of the BEAM OS process, in bytes."
  def rss_bytes do
    "/proc/self/status"
    |> File.read!()
    |> then(&Regex.run(~r/VmRSS:\s+(\d+) kB/, &1, capture: :all_but_first))
    |> then(fn [kb] -> String.to_integer(kb) * 1024 end)
  end

  @doc "CPU time (user + system, all threads incl. the NIF's tokio runtime) in µs."
  def cpu_us do
    [_, rest] = "/proc/self/stat" |> File.read!() |> String.split(")", parts: 2)
    fields = String.split(rest)
    # utime and stime are fields 14 and 15 of the file, 12 and 13 after the name; 100 Hz.
    (String.to_integer(Enum.at(fields, 11)) + String.to_integer(Enum.at(fields, 12))) * 10_000
  end

  @doc """
  CPU time (user + system, all threads) in µs and context switches (voluntary +
  involuntary, summed over the threads alive now) of OS process `pid` (a string); `nil`
  when it is gone. For the emulator's share of a benchmark (its pid: AYBIZA_BENCH_EMULATOR_PID).
  """
  def proc_usage(pid) do
    with {:ok, stat} <- File.read("/proc/#{pid}/stat"),
         {:ok, tasks} <- File.ls("/proc/#{pid}/task") do
      [_, rest] = String.split(stat, ")", parts: 2)
      fields = String.split(rest)

      cpu =
        (String.to_integer(Enum.at(fields, 11)) + String.to_integer(Enum.at(fields, 12))) * 10_000

      switches =
        Enum.reduce(tasks, 0, fn tid, acc ->
          case File.read("/proc/#{pid}/task/#{tid}/status") do
            {:ok, status} ->
              Regex.scan(~r/(?:non)?voluntary_ctxt_switches:\s+(\d+)/, status,
                capture: :all_but_first
              )
              |> Enum.reduce(acc, fn [n], a -> a + String.to_integer(n) end)

            _ ->
              acc
          end
        end)

      %{cpu_us: cpu, switches: switches}
    else
      _ -> nil
    end
  end

  @doc """
  On-CPU time in µs (`/proc/self/task/*/schedstat`: nanoseconds, not the 10 ms ticks of
  `/proc/self/stat`) and context switches (voluntary, involuntary) of this VM's threads,
  summed by group: `:shards` (the engine's `aybiza-shard-<i>` or `aybiza-worker` threads),
  `:schedulers` (the normal BEAM schedulers, where the receiving processes run) and
  `:other` (dirty schedulers, aux, poller, ...). Threads that start or end in between are
  counted from zero or not at all; compare two calls around a steady stretch.
  """
  def thread_usage do
    zero = %{cpu_us: 0, voluntary: 0, involuntary: 0}

    "/proc/self/task"
    |> File.ls!()
    |> Enum.reduce(%{shards: zero, schedulers: zero, other: zero}, fn tid, acc ->
      dir = "/proc/self/task/" <> tid

      with {:ok, comm} <- File.read(dir <> "/comm"),
           {:ok, sched} <- File.read(dir <> "/schedstat"),
           {:ok, status} <- File.read(dir <> "/status") do
        [ns | _] = String.split(sched)
        switches = fn key -> status_field(status, key) end

        Map.update!(acc, thread_group(String.trim(comm)), fn g ->
          %{
            cpu_us: g.cpu_us + div(String.to_integer(ns), 1000),
            voluntary: g.voluntary + switches.("voluntary_ctxt_switches"),
            involuntary: g.involuntary + switches.("nonvoluntary_ctxt_switches")
          }
        end)
      else
        # The thread ended between the listing and the reads.
        _ -> acc
      end
    end)
  end

  defp thread_group("aybiza-shard-" <> _), do: :shards
  defp thread_group("aybiza-worker"), do: :shards

  defp thread_group(comm) do
    if Regex.match?(~r/^\d+_scheduler$/, comm), do: :schedulers, else: :other
  end

  defp status_field(status, key) do
    case Regex.run(~r/(?:^|\n)#{key}:\s+(\d+)/, status, capture: :all_but_first) do
      [n] -> String.to_integer(n)
      nil -> 0
    end
  end

  @doc "Garbage-collects every process, then returns `:erlang.memory(:total)`."
  def beam_memory_after_gc do
    Enum.each(Process.list(), &:erlang.garbage_collect/1)
    :erlang.memory(:total)
  end

  @doc """
  Starts counting `long_schedule` events (a process or port that ran 1 ms or more without
  yielding: a blocked scheduler). One system monitor per VM, owned by a collector process.
  """
  def start_long_schedule_monitor do
    parent = self()

    pid =
      spawn(fn ->
        :erlang.system_monitor(self(), [{:long_schedule, 1}])
        send(parent, {:monitor_ready, self()})
        long_schedule_loop(0, [], false)
      end)

    Process.register(pid, :aybiza_bench_long_schedule)

    receive do
      {:monitor_ready, ^pid} -> pid
    end
  end

  @doc """
  Runs `fun` (the benchmark's own bookkeeping: statistics over hundreds of thousands of
  samples, walking thousands of processes for their memory) with long_schedule events not
  counted, so the count speaks of the library under test, not of the harness.
  """
  def unmonitored(fun) do
    case Process.whereis(:aybiza_bench_long_schedule) do
      nil ->
        fun.()

      monitor ->
        send(monitor, {:pause, true})

        try do
          fun.()
        after
          send(monitor, {:pause, false})
        end
    end
  end

  defp long_schedule_loop(count, samples, paused?) do
    receive do
      {:monitor, _who, :long_schedule, _info} when paused? ->
        long_schedule_loop(count, samples, paused?)

      {:monitor, who, :long_schedule, info} ->
        sample = if length(samples) < 3, do: [describe(who, info) | samples], else: samples

        long_schedule_loop(count + 1, sample, paused?)

      {:pause, flag} ->
        long_schedule_loop(count, samples, flag)

      {:get, from} ->
        send(from, {:long_schedule, count, Enum.reverse(samples)})
        long_schedule_loop(count, samples, paused?)

      {:reset, from} ->
        send(from, {:long_schedule, count, Enum.reverse(samples)})
        long_schedule_loop(0, [], paused?)
    end
  end

  # "who (name) 3 ms in Mod.fun/2 out Mod.fun/2": which code held the scheduler.
  defp describe(who, info) do
    name =
      case is_pid(who) && Process.info(who, :registered_name) do
        {:registered_name, n} when is_atom(n) -> " #{n}"
        _ -> ""
      end

    "#{inspect(who)}#{name} #{info[:timeout]} ms in #{inspect(info[:in])} out #{inspect(info[:out])}"
  end

  @doc """
  The long_schedule events since the last call: `{count, first_samples}` (the counter and
  samples restart, so each measured part reports its own).
  """
  def long_schedules(monitor) do
    send(monitor, {:reset, self()})

    receive do
      {:long_schedule, count, samples} -> {count, samples}
    end
  end

  @doc "Receives the messages of one stream until its terminal event."
  def await_terminal(ref, timeout \\ 60_000) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, summary}} -> {:ok, summary}
      {:aybiza_bedrock, ^ref, {:error, error}} -> {:error, error}
      {:aybiza_bedrock, ^ref, _} -> await_terminal(ref, timeout)
    after
      timeout -> {:error, :timeout}
    end
  end

  @doc """
  Polls until `Aybiza.Bedrock.live_streams/0` is at most `n`; returns µs waited. Polls
  continuously for the first 500 µs, then every millisecond, so that a slow stop does not
  leave this process spinning on a core the tokio runtime needs (2-core machines).
  """
  def wait_live_at_most(n, t0 \\ System.monotonic_time(:microsecond), limit_us \\ 10_000_000) do
    waited = System.monotonic_time(:microsecond) - t0

    cond do
      Aybiza.Bedrock.live_streams() <= n ->
        System.monotonic_time(:microsecond) - t0

      waited > limit_us ->
        raise "live_streams() stayed above #{n} for #{div(limit_us, 1000)} ms"

      waited < 500 ->
        :erlang.yield()
        wait_live_at_most(n, t0, limit_us)

      true ->
        receive do
        after
          1 -> wait_live_at_most(n, t0, limit_us)
        end
    end
  end
end
