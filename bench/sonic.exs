# Nova Sonic session benchmarks, run by bin/bench against a `bedrock-emulator --tls` it starts
# (AYBIZA_BENCH_SONIC_URL, its CA in AYBIZA_BENCH_SONIC_CA: the bidirectional stream is HTTP/2).
# Without those it starts the embedded emulator (`MIX_ENV=test mix run bench/sonic.exs`; a
# :prod build may leave the embedded emulator out).
#
#   send_audio  - cost of Sonic.send_audio/2 with a 640-byte frame (20 ms at 16 kHz) into an
#                 open session: wall µs per call (p50/p99 of single calls) and CPU µs per call.
#   added       - the library's added latency per audio message: the emulator (pacing `stamp`)
#                 writes each audioOutput chunk's send time into its first 24 PCM samples
#                 (docs/EMULATOR.md, Nova Sonic) at the moment hyper takes the encoded frame
#                 for the connection (not when it was synthesised: the emulator's own queue
#                 stays out); each {:audio, pcm} message's arrival (System.os_time) minus that
#                 stamp is what HTTP/2, TLS, the SDK's decoding, the engine and the message to
#                 the BEAM process add, plus any wait for the 2 cores the emulator shares. At
#                 each concurrency of BENCH_SONIC_ADDED_LEVELS (1,10,100) sessions hear a
#                 real-time 3 s reply (40 ms chunks): p50/p99/max over every chunk, and p99 over
#                 each reply's first chunk. Two arrangements (BENCH_SONIC_ADDED_MODES):
#                 `aligned` (rows added_N_*): every session asks in the same millisecond, so
#                 the N sessions' chunks leave the emulator together every 40 ms (a burst of N
#                 frames; the last of a burst waits for the N-1 before it); `staggered` (rows
#                 added_N_staggered_*): session i asks i * 40 / N ms later, so the chunks are
#                 spread over each 40 ms like N independent callers'.
#                 Issue 15's target: p99 < 1 ms at 100 sessions (release build, idle machine).
#   first_audio - from end_turn/1 to the first {:audio, _} message, at each concurrency of
#                 BENCH_SONIC_LEVELS, with the emulator's own delays at zero: the library both
#                 ways plus the emulator's turn handling.
#   lateness    - BENCH_SONIC_LATENESS_SESSIONS sessions at once each hear a 3 s reply the
#                 emulator paces in real time (40 ms chunks on its own clock); each chunk's
#                 arrival minus its slot (i * 40 ms after the earliest-relative chunk): what
#                 the library (and the
#                 emulator's timer) add to audio delivery under load. Upper bound of the
#                 library's added latency per frame.
#   realtime    - BENCH_SONIC_SESSIONS sessions each sending 32 ms frames in real time for
#                 BENCH_SONIC_SECS, then one turn end and close: terminals per session (must be
#                 exactly 1) and live sessions after (must be 0).
#
# A system monitor counts long_schedule events (>= 1 ms without yielding) during each part.
Code.require_file("support/bench.exs", __DIR__)

defmodule AybizaBench.Sonic do
  import AybizaBench

  alias Aybiza.Bedrock.{Emulator, Sonic}

  # The emulator's default static credentials (docs/EMULATOR.md).
  @key_id "AKIAIOSFODNN7EXAMPLE"
  @secret "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

  def client({url, ca}, extra \\ []) do
    Keyword.merge(
      [
        region: "us-east-1",
        endpoint: url,
        tls_ca: ca,
        credentials: {:static, @key_id, @secret}
      ],
      extra
    )
  end

  defp frame(bytes) do
    for i <- 0..(div(bytes, 2) - 1), into: <<>> do
      <<round(6000 * :math.sin(2 * :math.pi() * 220 * i / 16_000))::little-signed-16>>
    end
  end

  defp await(session, pred, timeout \\ 30_000) do
    receive do
      {:aybiza_bedrock, ^session, event} ->
        if pred.(event), do: event, else: await(session, pred, timeout)
    after
      timeout -> :timeout
    end
  end

  # Terminals of a closed session: waits for the first (close lets the model finish for up
  # to :close_timeout), then counts any extra one for 300 ms.
  defp drain(session, wait \\ 10_000) do
    receive do
      {:aybiza_bedrock, ^session, {t, _}} when t in [:done, :error] -> 1 + drain(session, 300)
      {:aybiza_bedrock, ^session, _} -> drain(session, wait)
    after
      wait -> 0
    end
  end

  defp timed_send(session, pcm) do
    case :timer.tc(fn -> Sonic.send_audio(session, pcm) end) do
      {us, :ok} ->
        us

      {_us, {:error, %Aybiza.Error{reason: :overloaded}}} ->
        Process.put(:sonic_overloaded, Process.get(:sonic_overloaded, 0) + 1)
        Process.sleep(5)
        timed_send(session, pcm)
    end
  end

  def send_audio(emulator, monitor) do
    calls = env_int("BENCH_SONIC_CALLS", 20_000)
    {:ok, s} = Sonic.start_session(client(emulator, input_queue: 10_000))
    :session_started = await(s, &(&1 == :session_started))
    pcm = frame(640)
    long_schedules(monitor)
    cpu0 = cpu_us()

    # Batches below the queue size. Each frame is base64-encoded, framed and signed on its way
    # out, so a batch sent at full speed can still outrun the session's sender: a call that
    # meets a full queue answers :overloaded at once (counted, waited out, not timed).
    times =
      Enum.flat_map(1..div(calls, 1_000), fn _ ->
        t = for _ <- 1..1_000, do: timed_send(s, pcm)
        Process.sleep(50)
        t
      end)

    overloaded = Process.get(:sonic_overloaded, 0)

    cpu = cpu_us() - cpu0
    {ls, samples} = long_schedules(monitor)
    q = quantiles(times)

    note =
      "#{length(times)} calls, 640-byte frames, one session; #{overloaded} :overloaded answers"

    row("sonic", "send_audio_p50", q.p50, "us", note)
    row("sonic", "send_audio_p99", q.p99, "us", note)

    row(
      "sonic",
      "send_audio_cpu_per_call",
      cpu / length(times),
      "us",
      note <> "; whole VM incl. the session task"
    )

    row("sonic", "send_audio_long_schedule", ls, "events", Enum.join(samples, "; "))
    Sonic.close(s)
    drain(s)
  end

  # Opens `n` sessions, runs `prepare` in each, then `measure` in all of them at once (a
  # barrier: none starts before every session is ready); the results in session order.
  defp sessions_at_once(emulator, n, prepare, measure) do
    parent = self()

    pids =
      for _ <- 1..n do
        spawn_link(fn ->
          {:ok, s} = Sonic.start_session(client(emulator))
          :session_started = await(s, &(&1 == :session_started))
          prepare.(s)
          send(parent, {:ready, self()})

          receive do
            :go -> :ok
          end

          result = measure.(s)
          Sonic.close(s)
          drain(s)
          send(parent, {:result, self(), result})
        end)
      end

    for pid <- pids, do: receive(do: ({:ready, ^pid} -> :ok))
    for pid <- pids, do: send(pid, :go)
    for pid <- pids, do: receive(do: ({:result, ^pid, result} -> result))
  end

  def first_audio(emulator, monitor) do
    for n <- env_list("BENCH_SONIC_LEVELS", [1, 100]) do
      long_schedules(monitor)

      lat =
        sessions_at_once(
          emulator,
          n,
          fn s -> for _ <- 1..10, do: :ok = Sonic.send_audio(s, frame(1024)) end,
          fn s ->
            t0 = System.monotonic_time(:microsecond)
            :ok = Sonic.end_turn(s)
            {:audio, _} = await(s, &match?({:audio, _}, &1))
            System.monotonic_time(:microsecond) - t0
          end
        )

      {ls, samples} = long_schedules(monitor)
      q = quantiles(lat)
      note = "#{n} sessions at once; end_turn -> first audio incl. the emulator"
      row("sonic", "first_audio_#{n}_p50", q.p50, "us", note)
      row("sonic", "first_audio_#{n}_p99", q.p99, "us", note)
      row("sonic", "first_audio_#{n}_long_schedule", ls, "events", Enum.join(samples, "; "))
    end
  end

  def lateness(emulator, monitor) do
    n = env_int("BENCH_SONIC_LATENESS_SESSIONS", 100)
    long_schedules(monitor)

    replies =
      sessions_at_once(emulator, n, fn _ -> :ok end, fn s ->
        :ok = Sonic.send_text(s, "bench lateness")
        collect_audio(s, [])
      end)

    late =
      Enum.flat_map(replies, fn
        [_ | _] = ts ->
          # Offsets from the chunks' own schedule; the earliest one is the reference.
          offsets = ts |> Enum.with_index() |> Enum.map(fn {t, i} -> t - i * 40_000 end)
          base = Enum.min(offsets)
          Enum.map(offsets, &(&1 - base))

        [] ->
          []
      end)

    {ls, samples} = long_schedules(monitor)
    q = quantiles(late)

    note =
      "#{n} sessions at once, #{q.n} chunks of 40 ms; arrival minus slot, incl. emulator timer"

    row("sonic", "audio_lateness_#{n}_p50", q.p50, "us", note)
    row("sonic", "audio_lateness_#{n}_p99", q.p99, "us", note)
    row("sonic", "audio_lateness_#{n}_long_schedule", ls, "events", Enum.join(samples, "; "))
  end

  def added(emulator, monitor) do
    modes = env_list_str("BENCH_SONIC_ADDED_MODES", ["aligned", "staggered"])

    for n <- env_list("BENCH_SONIC_ADDED_LEVELS", [1, 10, 100]),
        mode <- modes,
        mode in ["aligned", "staggered"],
        mode == "aligned" or n > 1 do
      long_schedules(monitor)
      # Session i of a staggered run asks i * 40 / n ms after the barrier.
      slots = :atomics.new(1, [])

      replies =
        sessions_at_once(emulator, n, fn _ -> :ok end, fn s ->
          if mode == "staggered" do
            i = :atomics.add_get(slots, 1, 1) - 1
            Process.sleep(div(i * 40, n))
          end

          :ok = Sonic.send_text(s, "bench lateness")
          collect_added(s, [])
        end)

      {ls, samples} = long_schedules(monitor)
      all = List.flatten(replies)
      firsts = for [first | _] <- replies, do: first
      unstamped = Enum.count(all, &(&1 == :unstamped))
      all = Enum.reject(all, &(&1 == :unstamped))
      firsts = Enum.reject(firsts, &(&1 == :unstamped))
      q = quantiles(all)
      f = quantiles(firsts)
      name = if mode == "aligned", do: "added_#{n}", else: "added_#{n}_staggered"

      note =
        "#{n} sessions, #{mode}, #{q.n} audio messages (#{unstamped} unstamped); " <>
          "emulator write stamp -> {:audio, _} in the receiver"

      row("sonic", "#{name}_p50", q.p50, "us", note)
      row("sonic", "#{name}_p99", q.p99, "us", note)
      row("sonic", "#{name}_max", q.max, "us", note)
      row("sonic", "#{name}_first_chunk_p99", f.p99, "us", note)
      row("sonic", "#{name}_long_schedule", ls, "events", Enum.join(samples, "; "))
    end
  end

  defp env_list_str(name, default) do
    case System.get_env(name) do
      v when v in [nil, ""] -> default
      v -> v |> String.split(",") |> Enum.map(&String.trim/1)
    end
  end

  # The emulator's audio stamp (docs/EMULATOR.md): 8 samples of magic, then 16 samples of 4
  # bits each of the send time in µs since the epoch, lowest first.
  defp audio_stamp(
         <<10::little-16, 5::little-16, 10::little-16, 5::little-16, 3::little-16, 12::little-16,
           3::little-16, 12::little-16, nibbles::binary-size(32), _::binary>>
       ) do
    {micros, _} =
      for <<v::little-16 <- nibbles>>, reduce: {0, 0} do
        {acc, shift} -> {acc + Bitwise.bsl(v, shift), shift + 4}
      end

    micros
  end

  defp audio_stamp(_), do: nil

  # Added latency (µs) of each audio message of one reply, until its final transcript.
  defp collect_added(s, acc) do
    receive do
      {:aybiza_bedrock, ^s, {:audio, pcm}} ->
        now = System.os_time(:microsecond)

        case audio_stamp(pcm) do
          nil -> collect_added(s, [:unstamped | acc])
          sent -> collect_added(s, [now - sent | acc])
        end

      {:aybiza_bedrock, ^s, {:transcript, :assistant, :final, _}} ->
        Enum.reverse(acc)

      {:aybiza_bedrock, ^s, {t, _}} when t in [:done, :error] ->
        Enum.reverse(acc)

      {:aybiza_bedrock, ^s, _} ->
        collect_added(s, acc)
    after
      30_000 -> Enum.reverse(acc)
    end
  end

  # Arrival times (µs) of the audio chunks of one reply, until its final transcript.
  defp collect_audio(s, acc) do
    receive do
      {:aybiza_bedrock, ^s, {:audio, _}} ->
        collect_audio(s, [System.monotonic_time(:microsecond) | acc])

      {:aybiza_bedrock, ^s, {:transcript, :assistant, :final, _}} ->
        Enum.reverse(acc)

      {:aybiza_bedrock, ^s, {t, _}} when t in [:done, :error] ->
        Enum.reverse(acc)

      {:aybiza_bedrock, ^s, _} ->
        collect_audio(s, acc)
    after
      30_000 -> Enum.reverse(acc)
    end
  end

  def realtime(emulator, monitor) do
    n = env_int("BENCH_SONIC_SESSIONS", 200)
    secs = env_int("BENCH_SONIC_SECS", 5)
    long_schedules(monitor)
    parent = self()
    pcm = frame(1024)

    pids =
      for _ <- 1..n do
        spawn_link(fn ->
          {:ok, s} = Sonic.start_session(client(emulator))
          deadline = System.monotonic_time(:millisecond) + secs * 1000

          overloaded =
            Stream.repeatedly(fn ->
              r = Sonic.send_audio(s, pcm)
              Process.sleep(32)
              r
            end)
            |> Enum.take_while(fn _ -> System.monotonic_time(:millisecond) < deadline end)
            |> Enum.count(&match?({:error, %{reason: :overloaded}}, &1))

          _ = Sonic.end_turn(s)
          Sonic.close(s)
          send(parent, {:result, overloaded, drain(s)})
        end)
      end

    results = for _ <- pids, do: receive(do: ({:result, o, t} -> {o, t}))
    Process.sleep(200)
    {ls, samples} = long_schedules(monitor)
    terminals = results |> Enum.map(&elem(&1, 1)) |> Enum.frequencies()
    note = "#{n} sessions x #{secs} s of 32 ms frames in real time"

    row(
      "sonic",
      "realtime_sessions_with_one_terminal",
      Map.get(terminals, 1, 0),
      "sessions",
      note <> "; terminals per session: #{inspect(terminals)}"
    )

    row(
      "sonic",
      "realtime_overloaded_frames",
      results |> Enum.map(&elem(&1, 0)) |> Enum.sum(),
      "frames",
      note
    )

    row("sonic", "realtime_live_sessions_after", Sonic.live_sessions(), "sessions", note)
    row("sonic", "realtime_long_schedule", ls, "events", Enum.join(samples, "; "))
  end

  def run do
    emulator =
      case {System.get_env("AYBIZA_BENCH_SONIC_URL"), System.get_env("AYBIZA_BENCH_SONIC_CA")} do
        {url, ca} when url not in [nil, ""] and ca not in [nil, ""] ->
          {url, File.read!(ca)}

        _ ->
          {:ok, pid} =
            Emulator.start_link(
              tls: true,
              pacing: [first_token_ms: 0, stamp: true],
              sonic: [turn_silence_ms: 300],
              rules: [%{prompt_contains: "lateness", reply: String.duplicate("x", 50)}]
            )

          {Emulator.tls_url(pid), Emulator.ca_pem(pid)}
      end

    monitor = start_long_schedule_monitor()
    sections = System.get_env("BENCH_SECTIONS", "send_audio,added,first_audio,lateness,realtime")

    for section <- String.split(sections, ","),
        section in ~w(send_audio added first_audio lateness realtime) do
      apply(__MODULE__, String.to_existing_atom(section), [emulator, monitor])
    end
  end
end

AybizaBench.Sonic.run()
