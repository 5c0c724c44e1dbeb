# The soak with faults, shared by bin/soak (1,000 concurrent calls for minutes) and
# test/aybiza/soak_test.exs (a few hundred calls in seconds). Loaded with Code.require_file.
#
# It keeps `concurrency` calls in flight until `seconds` passed or `max_calls` started. Each
# call is a fresh receiver process streaming one reply from an embedded emulator; about 20%
# of calls hit a fault rule (matched on a prompt keyword) and a few receivers are killed at a
# random moment. Checked per call: exactly one terminal message (none may follow it), `:done`
# for healthy calls and `{:error, _}` for faulty ones; at the end no live call
# (`live_streams() == 0`), the emulator has no open stream, and memory is back near baseline.
defmodule AybizaBench.Soak do
  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.Emulator

  @model "anthropic.claude-3-5-haiku-20241022-v1:0"
  @reply "Thanks for calling. Dr. Smith can see you at 10:30 a.m. tomorrow. The visit is $49.99. " <>
           "Please bring your card. Is there anything else I can help with?"

  # {kind, share of calls, expected terminal}. The rest of the calls are healthy (:ok).
  @faults [
    {:throttle, 0.04, :error},
    {:exception, 0.04, :error},
    {:reset, 0.04, :error},
    {:stall, 0.04, :error},
    {:corrupt, 0.04, :error}
  ]

  def rules do
    pacing = %{first_token_ms: 20, tps: 200, delta_chars: 8}

    [
      %{prompt_contains: "soak-throttle", faults: %{error: "ThrottlingException"}},
      %{
        prompt_contains: "soak-exception",
        reply: @reply,
        pacing: pacing,
        faults: %{exception: "modelStreamErrorException", exception_after: 4}
      },
      %{prompt_contains: "soak-reset", reply: @reply, pacing: pacing, faults: %{reset_after: 4}},
      %{prompt_contains: "soak-stall", reply: @reply, pacing: pacing, faults: %{stall_after: 4}},
      %{
        prompt_contains: "soak-corrupt",
        reply: @reply,
        pacing: pacing,
        faults: %{corrupt_after: 4}
      },
      %{prompt_contains: "soak-ok", reply: @reply, pacing: pacing}
    ]
  end

  @doc """
  Runs the soak. Options: `:concurrency` (1000), `:seconds` (60), `:max_calls` (1_000_000),
  `:kill_share` (0.03, receivers killed at random), `:seed`, `:idle_ms` (1000, ends stalls).
  Returns a report map; `check/1` lists what failed.
  """
  def run(opts \\ []) do
    conc = Keyword.get(opts, :concurrency, 1000)
    seconds = Keyword.get(opts, :seconds, 60)
    max_calls = Keyword.get(opts, :max_calls, 1_000_000)
    kill_share = Keyword.get(opts, :kill_share, 0.03)
    :rand.seed(:exsss, {Keyword.get(opts, :seed, 42), 7, 11})

    {:ok, emu} = Emulator.start_link(rules: rules())
    creds = Emulator.credentials(emu)

    client = [
      endpoint: Emulator.url(emu),
      region: "us-east-1",
      credentials: {:static, creds.access_key_id, creds.secret_access_key},
      timeouts: [idle: Keyword.get(opts, :idle_ms, 1_000), first_byte: 10_000]
    ]

    # Warm up (runtime, SDK client, connection pool) before the baseline is taken.
    for _ <- 1..20, do: {:ok, _} = Bedrock.converse(request("soak-ok warm"), client)
    wait_idle(5_000)
    base = %{beam: beam_memory(), rss: rss_bytes()}

    t0 = System.monotonic_time(:millisecond)
    deadline = t0 + seconds * 1000
    state = %{started: 0, inflight: %{}, results: [], kills: 0}
    state = fill(state, conc, max_calls, deadline, kill_share, client)
    state = drain(state, conc, max_calls, deadline, kill_share, client)
    elapsed_ms = System.monotonic_time(:millisecond) - t0

    leak_wait_ms = wait_idle(10_000)
    counters = Emulator.counters(emu)
    after_mem = %{beam: beam_memory(), rss: rss_bytes()}
    GenServer.stop(emu)

    summarize(state, base, after_mem, counters, leak_wait_ms, elapsed_ms)
  end

  defp request(prompt) do
    %{
      model_id: @model,
      messages: [%{role: :user, content: prompt}],
      inference_config: %{max_tokens: 400}
    }
  end

  defp pick_kind do
    r = :rand.uniform()

    Enum.reduce_while(@faults, 0.0, fn {kind, share, _}, acc ->
      if r < acc + share, do: {:halt, kind}, else: {:cont, acc + share}
    end)
    |> case do
      kind when is_atom(kind) -> kind
      _ -> :ok
    end
  end

  defp expected(:ok), do: :done
  defp expected(_), do: :error

  defp fill(state, conc, max_calls, deadline, kill_share, client) do
    if map_size(state.inflight) < conc and state.started < max_calls and
         System.monotonic_time(:millisecond) < deadline do
      state
      |> start_call(kill_share, client)
      |> fill(conc, max_calls, deadline, kill_share, client)
    else
      state
    end
  end

  defp start_call(state, kill_share, client) do
    kind = pick_kind()
    id = state.started
    parent = self()
    prompt = "soak-#{kind} call #{id}"
    {pid, mref} = spawn_monitor(fn -> receiver(parent, id, request(prompt), client) end)
    kill? = :rand.uniform() < kill_share
    if kill?, do: Process.send_after(self(), {:kill, pid}, :rand.uniform(400))
    call = %{id: id, kind: kind, killed: kill?, pid: pid}

    %{
      state
      | started: id + 1,
        inflight: Map.put(state.inflight, mref, call),
        kills: state.kills + if(kill?, do: 1, else: 0)
    }
  end

  defp drain(state, conc, max_calls, deadline, kill_share, client) do
    if map_size(state.inflight) == 0 do
      state
    else
      receive do
        {:kill, pid} ->
          Process.exit(pid, :kill)
          drain(state, conc, max_calls, deadline, kill_share, client)

        {:DOWN, mref, :process, _pid, reason} ->
          {call, inflight} = Map.pop(state.inflight, mref)

          result =
            receive do
              {:call_result, id, r} when id == call.id -> r
            after
              0 -> {:no_result, reason}
            end

          state = %{state | inflight: inflight, results: [{call, result} | state.results]}

          state
          |> fill(conc, max_calls, deadline, kill_share, client)
          |> drain(conc, max_calls, deadline, kill_share, client)
      after
        60_000 -> raise "soak: no call finished for 60 s (#{map_size(state.inflight)} in flight)"
      end
    end
  end

  # One call: collect until the terminal message, then make sure nothing follows it.
  defp receiver(parent, id, request, client) do
    result =
      case Bedrock.stream(request, client) do
        {:ok, ref} -> collect(ref, 0)
        {:error, error} -> {:sync_error, error.reason, 1, 0}
      end

    send(parent, {:call_result, id, result})
  end

  defp collect(ref, events) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, _}} -> {:done, :ok, 1 + extra(ref), events}
      {:aybiza_bedrock, ^ref, {:error, e}} -> {:error, e.reason, 1 + extra(ref), events}
      {:aybiza_bedrock, ^ref, _} -> collect(ref, events + 1)
    after
      30_000 -> {:no_terminal, nil, 0, events}
    end
  end

  # Messages of the stream after its terminal one (must be 0); waits briefly for stragglers.
  defp extra(ref, n \\ 0) do
    receive do
      {:aybiza_bedrock, ^ref, _} -> extra(ref, n + 1)
    after
      100 -> n
    end
  end

  # Waits until no call is live; returns the ms it took (or the limit).
  defp wait_idle(limit_ms, waited \\ 0) do
    cond do
      Bedrock.live_streams() == 0 -> waited
      waited >= limit_ms -> waited
      true -> Process.sleep(10) && wait_idle(limit_ms, waited + 10)
    end
  end

  defp beam_memory do
    Enum.each(Process.list(), &:erlang.garbage_collect/1)
    :erlang.memory(:total)
  end

  defp rss_bytes do
    [kb] =
      Regex.run(~r/VmRSS:\s+(\d+) kB/, File.read!("/proc/self/status"), capture: :all_but_first)

    String.to_integer(kb) * 1024
  end

  defp summarize(state, base, after_mem, counters, leak_wait_ms, elapsed_ms) do
    calls = Enum.reverse(state.results)

    {killed, checked} =
      Enum.split_with(calls, fn {call, r} -> call.killed and match?({:no_result, _}, r) end)

    bad =
      for {call, r} <- checked,
          problem = problem(call, r),
          problem != nil,
          do: {call.id, call.kind, problem}

    by_kind =
      checked
      |> Enum.group_by(fn {call, _} -> call.kind end, fn {_, r} -> outcome(r) end)
      |> Map.new(fn {kind, outcomes} -> {kind, Enum.frequencies(outcomes)} end)

    %{
      calls: length(calls),
      elapsed_ms: elapsed_ms,
      killed: length(killed),
      kills_scheduled: state.kills,
      checked: length(checked),
      faulty: Enum.count(calls, fn {c, _} -> c.kind != :ok end),
      problems: bad,
      by_kind: by_kind,
      live_streams: Bedrock.live_streams(),
      leak_wait_ms: leak_wait_ms,
      open_streams: counters["open_streams"],
      emulator: Map.drop(counters, ["open_streams", "total_requests"]),
      memory: %{base: base, after: after_mem}
    }
  end

  defp outcome({:done, _, _, _}), do: :done
  defp outcome({:error, reason, _, _}), do: {:error, reason}
  defp outcome({other, reason, _, _}), do: {other, reason}
  defp outcome(other), do: other

  # nil when the call behaved.
  defp problem(call, {tag, _reason, terminals, _events}) when tag in [:done, :error] do
    cond do
      terminals != 1 ->
        {:terminal_messages, terminals}

      tag == :done and expected(call.kind) != :done ->
        :done_despite_fault

      tag == :error and expected(call.kind) != :error and not call.killed ->
        :error_on_healthy_call

      true ->
        nil
    end
  end

  defp problem(_call, other), do: {:no_terminal, other}

  @doc "What failed, as a list of strings (empty when the soak passed)."
  def check(report, opts \\ []) do
    beam_slack = Keyword.get(opts, :beam_slack, 32 * 1024 * 1024)
    rss_slack = Keyword.get(opts, :rss_slack, 256 * 1024 * 1024)
    %{base: base, after: after_mem} = report.memory

    [
      report.problems != [] &&
        "calls without exactly one correct terminal: #{inspect(Enum.take(report.problems, 10))}",
      report.live_streams != 0 && "live_streams() is #{report.live_streams} after the soak",
      report.open_streams != 0 && "the emulator still has #{report.open_streams} open streams",
      after_mem.beam - base.beam > beam_slack &&
        "BEAM memory grew by #{div(after_mem.beam - base.beam, 1024)} KB",
      after_mem.rss - base.rss > rss_slack &&
        "RSS grew by #{div(after_mem.rss - base.rss, 1024)} KB"
    ]
    |> Enum.filter(& &1)
  end

  def print(report) do
    mb = fn b -> Float.round(b / 1_048_576, 1) end
    %{base: base, after: after_mem} = report.memory

    IO.puts("""
    soak: #{report.calls} calls in #{Float.round(report.elapsed_ms / 1000, 1)} s (#{report.faulty} with injected faults, \
    #{report.killed} receivers killed mid-call)
      checked calls:        #{report.checked} (each: exactly one terminal, none after it)
      problems:             #{length(report.problems)}
      outcomes by kind:     #{inspect(report.by_kind)}
      live_streams at end:  #{report.live_streams} (reached 0 after #{report.leak_wait_ms} ms)
      emulator open streams #{report.open_streams}; outcomes #{inspect(report.emulator)}
      BEAM memory:          #{mb.(base.beam)} MB -> #{mb.(after_mem.beam)} MB
      RSS:                  #{mb.(base.rss)} MB -> #{mb.(after_mem.rss)} MB\
    """)
  end
end
