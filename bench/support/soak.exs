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

  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"
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
  Runs the soak. Options: `:concurrency` (1000), `:seconds` (60, per round), `:rounds` (1),
  `:max_calls` (1_000_000 per round), `:kill_share` (0.03, receivers killed at random),
  `:seed`, `:idle_ms` (1000, ends stalls). Memory is sampled after each round: with two
  rounds, growth in the second tells a leak from allocator caches filled by the first.
  Returns a report map; `check/1` lists what failed.
  """
  def run(opts \\ []) do
    conc = Keyword.get(opts, :concurrency, 1000)
    seconds = Keyword.get(opts, :seconds, 60)
    rounds = Keyword.get(opts, :rounds, 1)
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
    base = memory()
    t0 = System.monotonic_time(:millisecond)

    one_round = fn _, {state, snaps} ->
      deadline = System.monotonic_time(:millisecond) + seconds * 1000
      limit = state.started + max_calls
      state = fill(state, conc, limit, deadline, kill_share, client)
      state = drain(state, conc, limit, deadline, kill_share, client)
      leak_wait_ms = wait_idle(10_000)
      {state, snaps ++ [Map.put(memory(), :leak_wait_ms, leak_wait_ms)]}
    end

    # Results are folded into counts as calls end, so the coordinator's heap stays small and
    # does not show up as growth in the memory figures.
    initial = %{
      started: 0,
      inflight: %{},
      kills: 0,
      agg: %{calls: 0, killed: 0, checked: 0, faulty: 0, problems: [], by_kind: %{}}
    }

    {state, snapshots} = Enum.reduce(1..rounds, {initial, []}, one_round)

    elapsed_ms = System.monotonic_time(:millisecond) - t0
    counters = Emulator.counters(emu)
    GenServer.stop(emu)

    summarize(state, base, snapshots, counters, elapsed_ms)
  end

  defp memory do
    Enum.each(Process.list(), &:erlang.garbage_collect/1)

    Map.new(:erlang.memory())
    |> Map.put(:rss, rss_bytes())
    |> Map.put(:beam, :erlang.memory(:total))
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

          state = %{state | inflight: inflight, agg: record(state.agg, call, result)}

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

  defp rss_bytes do
    [kb] =
      Regex.run(~r/VmRSS:\s+(\d+) kB/, File.read!("/proc/self/status"), capture: :all_but_first)

    String.to_integer(kb) * 1024
  end

  defp record(agg, call, result) do
    agg = %{agg | calls: agg.calls + 1, faulty: agg.faulty + if(call.kind != :ok, do: 1, else: 0)}

    if call.killed and match?({:no_result, _}, result) do
      %{agg | killed: agg.killed + 1}
    else
      problems =
        case problem(call, result) do
          nil -> agg.problems
          p when length(agg.problems) < 100 -> [{call.id, call.kind, p} | agg.problems]
          _ -> agg.problems
        end

      by_kind =
        Map.update(
          agg.by_kind,
          call.kind,
          %{outcome(result) => 1},
          &Map.update(&1, outcome(result), 1, fn n -> n + 1 end)
        )

      %{agg | checked: agg.checked + 1, problems: problems, by_kind: by_kind}
    end
  end

  defp summarize(state, base, snapshots, counters, elapsed_ms) do
    agg = state.agg

    %{
      calls: agg.calls,
      elapsed_ms: elapsed_ms,
      killed: agg.killed,
      kills_scheduled: state.kills,
      checked: agg.checked,
      faulty: agg.faulty,
      problems: Enum.reverse(agg.problems),
      by_kind: agg.by_kind,
      live_streams: Bedrock.live_streams(),
      leak_wait_ms: List.last(snapshots).leak_wait_ms,
      open_streams: counters["open_streams"],
      emulator: Map.drop(counters, ["open_streams", "total_requests"]),
      memory: %{base: base, rounds: snapshots}
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

  @doc """
  What failed, as a list of strings (empty when the soak passed). Memory: BEAM memory after
  the last round within `:beam_slack` (32 MB) of the baseline; RSS after the first round
  within `:rss_slack` (256 MB: malloc arenas and socket buffers filled by 1,000 concurrent
  calls are kept by the allocator), and no further RSS growth than `:rss_round_slack` (48 MB)
  in later rounds (a leak would grow with every round).
  """
  def check(report, opts \\ []) do
    beam_slack = Keyword.get(opts, :beam_slack, 32 * 1024 * 1024)
    rss_slack = Keyword.get(opts, :rss_slack, 256 * 1024 * 1024)
    round_slack = Keyword.get(opts, :rss_round_slack, 48 * 1024 * 1024)
    %{base: base, rounds: [first | _] = rounds} = report.memory
    last = List.last(rounds)

    [
      report.problems != [] &&
        "calls without exactly one correct terminal: #{inspect(Enum.take(report.problems, 10))}",
      report.live_streams != 0 && "live_streams() is #{report.live_streams} after the soak",
      report.open_streams != 0 && "the emulator still has #{report.open_streams} open streams",
      last.beam - base.beam > beam_slack &&
        "BEAM memory grew by #{div(last.beam - base.beam, 1024)} KB",
      first.rss - base.rss > rss_slack && "RSS grew by #{div(first.rss - base.rss, 1024)} KB",
      last.rss - first.rss > round_slack &&
        "RSS kept growing after the first round: +#{div(last.rss - first.rss, 1024)} KB"
    ]
    |> Enum.filter(& &1)
  end

  def print(report) do
    mb = fn b -> :erlang.float_to_binary(b / 1_048_576, decimals: 1) end
    %{base: base, rounds: rounds} = report.memory
    series = fn key -> Enum.map_join([base | rounds], " -> ", &mb.(&1[key])) end

    IO.puts("""
    soak: #{report.calls} calls in #{Float.round(report.elapsed_ms / 1000, 1)} s, \
    #{length(rounds)} round(s) (#{report.faulty} with injected faults, \
    #{report.killed} receivers killed mid-call)
      checked calls:        #{report.checked} (each: exactly one terminal, none after it)
      problems:             #{length(report.problems)}
      outcomes by kind:     #{inspect(report.by_kind)}
      live_streams at end:  #{report.live_streams} (reached 0 #{report.leak_wait_ms} ms after the last call)
      emulator open streams #{report.open_streams}; outcomes #{inspect(report.emulator)}
      memory (MB), baseline -> after each round:
        BEAM total          #{series.(:beam)}
          processes         #{series.(:processes)}
          binary            #{series.(:binary)}
          ets               #{series.(:ets)}
          code              #{series.(:code)}
        RSS                 #{series.(:rss)}\
    """)
  end
end
