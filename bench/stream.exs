# Streaming benchmarks of the library from Elixir, against the emulator bin/bench started
# (AYBIZA_BENCH_URL) with the rules of `aybiza-bench rules`:
#
#   events   - per-event overhead: streams of thousands of 4-char deltas sent as fast as the
#              emulator can, through the NIF into this process; events/s and CPU µs/event.
#              Twice, same model and reply: ConverseStream (AWS event stream, `nif_*`) and
#              the Anthropic Messages API (SSE, `nif_sse_*`).
#   ttfs     - time to first sentence on a fixed reply, minus the emulator's first-token delay
#              (Converse `nif_*` and Messages API `nif_sse_*`).
#   ttfs_breakdown - where that time goes, phase by phase, from the points a call made with
#              `trace_timings: true` stamps on its way (see `ttfs_breakdown/0`).
#   cancel   - from cancel/1, and from the owner's death, to live_streams() dropping.
#   latency  - delivery latency (emulator send stamp -> receiving process) of text and sentence
#              events at 30 tokens/s, at each concurrency of BENCH_LEVELS; BEAM memory and RSS
#              per stream; the most streams whose p99 stays under 5 ms.
#
# A system monitor counts long_schedule events (>= 1 ms without yielding) during all of it.
#
#   AYBIZA_BENCH_URL=http://127.0.0.1:PORT BENCH_SECTIONS=events,ttfs MIX_ENV=prod mix run bench/stream.exs
Code.require_file("support/bench.exs", __DIR__)

defmodule AybizaBench.Stream do
  import AybizaBench

  alias Aybiza.Bedrock

  # --- events ------------------------------------------------------------------------------

  # The two transports of the same model: ConverseStream and the Messages API over SSE.
  # BENCH_NIF_LABEL renames the rows, for a second run of a section under other VM flags.
  defp transports do
    label = System.get_env("BENCH_NIF_LABEL", "nif")
    [{label, [api: :converse]}, {label <> "_sse", [api: :messages]}]
  end

  def events, do: Enum.each(transports(), fn {label, api} -> events(label, api) end)

  defp events(label, api) do
    streams = env_int("BENCH_EVENT_STREAMS", 20)
    # BENCH_NIF_COALESCE_US: the calls' coalescing window (`:coalesce_us`, default 0).
    window = env_int("BENCH_NIF_COALESCE_US", 0)
    opts = [coalesce_us: window] ++ client_opts(api)
    req = request("bench-fast")
    # Warm: the connection pool and the SDK client of this config.
    {:ok, _} = run_counting(req, opts)
    cpu0 = cpu_us()
    t0 = System.monotonic_time(:microsecond)

    {events, texts} =
      Enum.reduce(1..streams, {0, 0}, fn _, {e, d} ->
        {:ok, {e1, d1}} = run_counting(req, opts)
        {e + e1, d + d1}
      end)

    us = System.monotonic_time(:microsecond) - t0
    cpu = cpu_us() - cpu0

    # A `{:text, _}` message may carry several deltas (coalesced): per-delta figures divide
    # by the deltas the emulator sent (AYBIZA_BENCH_FAST_DELTAS per stream, counted by
    # `aybiza-bench deltas`), or by the text messages when that is not given.
    deltas =
      case env_int("AYBIZA_BENCH_FAST_DELTAS", 0) do
        0 -> texts
        n -> n * streams
      end

    note =
      "#{streams} streams x #{div(deltas, streams)} deltas in #{div(texts, streams)} text " <>
        "messages, #{div(events, streams)} messages in all; api: #{api[:api]}, coalesce_us: #{window}"

    row("events", "#{label}_messages_per_s", events * 1_000_000 / us, "ev/s", note)
    row("events", "#{label}_deltas_per_s", deltas * 1_000_000 / us, "ev/s", note)
    row("events", "#{label}_cpu_per_delta", cpu / deltas, "us", note <> "; whole VM incl. tokio")
    row("events", "#{label}_messages_per_delta", events / deltas, "msg", note)
  end

  # Counts every message of one stream and its text deltas.
  defp run_counting(req, opts) do
    # At full speed the mailbox fills faster than it drains; kept off the heap, it is not
    # copied by every garbage collection of this process (the advice for any high-rate
    # receiver).
    Process.flag(:message_queue_data, :off_heap)
    {:ok, ref} = Bedrock.stream(req, opts)
    count_loop(ref, 0, 0)
  end

  defp count_loop(ref, events, deltas) do
    receive do
      {:aybiza_bedrock, ^ref, {:text, _}} -> count_loop(ref, events + 1, deltas + 1)
      {:aybiza_bedrock, ^ref, {:done, _}} -> {:ok, {events + 1, deltas}}
      {:aybiza_bedrock, ^ref, {:error, e}} -> raise "stream failed: #{Exception.message(e)}"
      {:aybiza_bedrock, ^ref, _} -> count_loop(ref, events + 1, deltas)
    after
      30_000 -> raise "no event for 30 s"
    end
  end

  # --- time to first sentence ----------------------------------------------------------------

  def ttfs, do: Enum.each(transports(), fn {label, api} -> ttfs(label, api) end)

  defp ttfs(label, api) do
    runs = env_int("BENCH_TTFS_RUNS", 50)
    delay_us = env_int("BENCH_FIRST_TOKEN_MS", 100) * 1000
    opts = client_opts(api)
    req = request("bench-ttfs")
    {:ok, _} = first_sentence(req, opts)

    samples = for _ <- 1..runs, do: first_sentence(req, opts)
    tok = Enum.map(samples, fn {:ok, {t, _}} -> t - delay_us end) |> quantiles()
    sen = Enum.map(samples, fn {:ok, {_, s}} -> s - delay_us end) |> quantiles()
    note = "#{runs} runs, emulator first_token_ms=#{div(delay_us, 1000)}; api: #{api[:api]}"
    row("ttfs", "#{label}_first_token_p50", tok.p50, "us", note)
    row("ttfs", "#{label}_first_sentence_p50", sen.p50, "us", note)
    row("ttfs", "#{label}_first_sentence_p99", sen.p99, "us", note)
  end

  # µs from stream/2 to the first {:text, _} and to {:sentence, 0, _}, measured here.
  defp first_sentence(req, opts) do
    t0 = System.monotonic_time(:microsecond)
    {:ok, ref} = Bedrock.stream(req, opts)
    ttfs_loop(ref, t0, nil, nil)
  end

  defp ttfs_loop(ref, t0, tok, sen) do
    receive do
      {:aybiza_bedrock, ^ref, {:text, _}} ->
        ttfs_loop(ref, t0, tok || System.monotonic_time(:microsecond) - t0, sen)

      {:aybiza_bedrock, ^ref, {:sentence, 0, _}} ->
        ttfs_loop(ref, t0, tok, System.monotonic_time(:microsecond) - t0)

      {:aybiza_bedrock, ^ref, {:done, _}} ->
        {:ok, {tok, sen}}

      {:aybiza_bedrock, ^ref, {:error, e}} ->
        raise "stream failed: #{Exception.message(e)}"

      {:aybiza_bedrock, ^ref, _} ->
        ttfs_loop(ref, t0, tok, sen)
    after
      30_000 -> raise "no event for 30 s"
    end
  end

  # --- time to first sentence, broken down ----------------------------------------------------

  # Where the first sentence's time goes, per api, p50 over BENCH_TTFS_RUNS warm calls made
  # with `trace_timings: true`: the engine stamps each point of the path on the VM's
  # monotonic clock (summary.timings.trace) and this process stamps the call, the return
  # and the receipt of `{:sentence, 0, _}`. Each phase is the time between two consecutive
  # points of the api's chain below (p50 of each, so they need not add up to the total):
  #   elixir          - stream/2 called -> NIF entered: option checks, config, catalog
  #   nif_decode      - the NIF's term walk and decoding of request, config and options
  #   nif_prepare     - request conversion and checks, the spawn of the task
  #   spawn_to_task   - the spawn -> the task's first run on a tokio worker (negative when the
  #                     worker started it before the NIF got to its next line)
  #   client          - the SDK client lookup (Messages API: the cached credentials)
  #   build / serialize / sign / to_transmit - the SDK's orchestrator up to the connector
  #                     (Messages API: body serialized, then credentials, then SigV4)
  #   transmit_to_headers - connection checkout, request write, the emulator's answer
  #   headers_to_response - the SDK's handling of the initial response
  #   first_event     - response -> first event decoded, the emulator's first-token delay
  #                     subtracted (its timer's lateness stays)
  #   first_text / segmenter - first event -> first text delta -> first sentence cut
  #   send            - the sentence cut -> its message sent (held text, then the sentence)
  #   delivery        - the message sent -> received by this process (scheduler wake-up)
  #   returned        - stream/2 called -> returned `{:ok, ref}` (not on the chain: the task
  #                     runs meanwhile)
  #   end_to_end      - stream/2 called -> `{:sentence, 0, _}` received, delay subtracted
  # The raw SDK floor prints the same phases from build to segmenter (`rust_sdk_phase_*`).
  @chains %{
    converse:
      ~w(call entry decoded spawned task_start client execution serialized signed transmit headers response first_event first_text sentence_cut sentence_sent received)a,
    messages:
      ~w(call entry decoded spawned task_start serialized client signed transmit headers response first_event first_text sentence_cut sentence_sent received)a
  }

  @phase_names %{
    {:call, :entry} => "elixir",
    {:entry, :decoded} => "nif_decode",
    {:decoded, :spawned} => "nif_prepare",
    {:spawned, :task_start} => "spawn_to_task",
    {:task_start, :client} => "client",
    {:client, :execution} => "build",
    {:execution, :serialized} => "serialize",
    {:task_start, :serialized} => "serialize",
    {:serialized, :signed} => "sign",
    {:serialized, :client} => "client",
    {:client, :signed} => "sign",
    {:signed, :transmit} => "to_transmit",
    {:transmit, :headers} => "transmit_to_headers",
    {:headers, :response} => "headers_to_response",
    {:response, :first_event} => "first_event",
    {:first_event, :first_text} => "first_text",
    {:first_text, :sentence_cut} => "segmenter",
    {:sentence_cut, :sentence_sent} => "send",
    {:sentence_sent, :received} => "delivery"
  }

  def ttfs_breakdown, do: Enum.each(transports(), fn {label, api} -> breakdown(label, api) end)

  defp breakdown(label, api) do
    runs = env_int("BENCH_TTFS_RUNS", 50)
    delay_ns = env_int("BENCH_FIRST_TOKEN_MS", 100) * 1_000_000
    opts = [trace_timings: true] ++ client_opts(api)
    chain = Map.fetch!(@chains, api[:api])
    req = request("bench-ttfs")
    {:ok, _} = first_sentence(req, opts)

    samples =
      for _ <- 1..runs do
        call = System.monotonic_time(:nanosecond)
        {:ok, ref} = Bedrock.stream(req, opts)
        returned = System.monotonic_time(:nanosecond)
        {received, trace} = breakdown_loop(ref, nil)
        points = Map.merge(trace, %{call: call, received: received})

        phases =
          chain
          |> Enum.chunk_every(2, 1, :discard)
          |> Enum.flat_map(fn [a, b] ->
            case {points[a], points[b]} do
              {nil, _} -> []
              {_, nil} -> []
              {ta, tb} -> [{Map.fetch!(@phase_names, {a, b}), phase_ns(a, tb - ta, delay_ns)}]
            end
          end)

        Map.new(
          [returned: returned - call, end_to_end: received - call - delay_ns] ++ phases,
          fn {k, ns} -> {to_string(k), ns / 1000} end
        )
      end

    note =
      "#{runs} warm runs with trace_timings, p50; emulator first_token_ms=#{div(delay_ns, 1_000_000)} subtracted; api: #{api[:api]}"

    names =
      (chain
       |> Enum.chunk_every(2, 1, :discard)
       |> Enum.map(fn [a, b] -> @phase_names[{a, b}] end)) ++
        ["returned", "end_to_end"]

    for name <- names, values = Enum.flat_map(samples, &List.wrap(&1[name])), values != [] do
      row("ttfs", "#{label}_phase_#{name}_p50", quantiles(values).p50, "us", note)

      # The two thread hand-offs depend on where the kernel puts the woken thread (the
      # caller's core or the other): their p90 shows the slow placement.
      if name in ["spawn_to_task", "delivery", "end_to_end"],
        do: row("ttfs", "#{label}_phase_#{name}_p90", p90(values), "us", note)
    end
  end

  defp p90(values), do: values |> Enum.sort() |> Enum.at(div(length(values) * 9, 10))

  # The emulator's first-token delay falls between the response and the first event.
  defp phase_ns(:response, ns, delay_ns), do: ns - delay_ns
  defp phase_ns(_from, ns, _delay_ns), do: ns

  defp breakdown_loop(ref, sentence_at) do
    receive do
      {:aybiza_bedrock, ^ref, {:sentence, 0, _}} ->
        breakdown_loop(ref, System.monotonic_time(:nanosecond))

      {:aybiza_bedrock, ^ref, {:done, summary}} ->
        {sentence_at, summary.timings.trace}

      {:aybiza_bedrock, ^ref, {:error, e}} ->
        raise "stream failed: #{Exception.message(e)}"

      {:aybiza_bedrock, ^ref, _} ->
        breakdown_loop(ref, sentence_at)
    after
      30_000 -> raise "no event for 30 s"
    end
  end

  # --- cancel latency ------------------------------------------------------------------------

  def cancel do
    runs = env_int("BENCH_CANCEL_RUNS", 100)
    opts = client_opts()
    req = request("bench-cancel")
    wait_live_at_most(0)

    by_cancel =
      for _ <- 1..runs do
        {:ok, ref} = Bedrock.stream(req, opts)
        first_text(ref)
        t0 = System.monotonic_time(:microsecond)
        :ok = Bedrock.cancel(ref)
        us = wait_live_at_most(0, t0)
        Bedrock.flush(ref)
        us
      end

    by_death =
      for _ <- 1..runs do
        parent = self()

        owner =
          spawn(fn ->
            {:ok, ref} = Bedrock.stream(req, opts)
            first_text(ref)
            send(parent, {:streaming, self()})
            Process.sleep(:infinity)
          end)

        receive do
          {:streaming, ^owner} -> :ok
        end

        t0 = System.monotonic_time(:microsecond)
        Process.exit(owner, :kill)
        wait_live_at_most(0, t0)
      end

    note = "#{runs} runs at 30 tokens/s, one stream live"

    for {name, list} <- [cancel: by_cancel, owner_death: by_death] do
      q = quantiles(list)
      row("cancel", "#{name}_p50", q.p50, "us", note)
      row("cancel", "#{name}_p99", q.p99, "us", note)
    end
  end

  defp first_text(ref) do
    receive do
      {:aybiza_bedrock, ^ref, {:text, _}} -> :ok
      {:aybiza_bedrock, ^ref, {:error, e}} -> raise "stream failed: #{Exception.message(e)}"
    after
      10_000 -> raise "no text in 10 s"
    end
  end

  # --- control -------------------------------------------------------------------------------

  # A pure-Erlang busy loop, no NIF involved: its long_schedule count is what the machine
  # itself produces (the OS descheduling a scheduler thread counts as a long schedule too).
  def control do
    deadline = System.monotonic_time(:millisecond) + env_int("BENCH_CONTROL_MS", 3_000)
    spin(deadline, 0)
  end

  defp spin(deadline, acc) do
    if System.monotonic_time(:millisecond) > deadline,
      do: acc,
      else: spin(deadline, :erlang.phash2({acc, 1}))
  end

  # --- delivery latency and concurrency ------------------------------------------------------

  # Converse rows keep their long-standing names; the Messages API (SSE) rows of the same
  # levels carry an `sse_` prefix. BENCH_LATENCY_APIS [converse,messages] picks the transports.
  # BENCH_LATENCY_LABEL prefixes every row (bin/bench runs the section again with held sends
  # on, `AYBIZA_BEDROCK_HOLD_SENDS=16`, and labels those rows `hold16_`).
  def latency do
    apis =
      System.get_env("BENCH_LATENCY_APIS", "converse,messages")
      |> String.split(",", trim: true)
      |> Enum.map(&String.to_existing_atom/1)

    label = System.get_env("BENCH_LATENCY_LABEL", "")
    for api <- apis, do: latency(api, label <> if(api == :converse, do: "", else: "sse_"))
  end

  defp latency(api, prefix) do
    levels = env_list("BENCH_LEVELS", [1, 100, 250, 500, 1000, 2000])
    limit_us = env_int("BENCH_P99_LIMIT_US", 5_000)
    opts = client_opts(api: api, timeouts: [first_byte: 30_000, idle: 30_000])

    results = Enum.map(levels, &latency_level(&1, opts, prefix))

    best =
      results
      |> Enum.filter(fn r ->
        r.ok and r.text.p99 != nil and r.text.p99 < limit_us and r.sentence.p99 < limit_us
      end)
      |> Enum.map(& &1.n)
      |> Enum.max(fn -> 0 end)

    row(
      "concurrency",
      "#{prefix}max_streams_p99_under_5ms",
      best,
      "streams",
      "30 tokens/s each; levels tried #{Enum.join(levels, ",")}; text and sentence p99 < #{limit_us} us; api: #{api}"
    )
  end

  defp latency_level(n, opts, prefix) do
    base_mem = beam_memory_after_gc()
    base_rss = rss_bytes()
    # CPU and context switches of this VM and of the emulator over the level (ramp, the
    # paced streams, their ends), divided by the text deltas received below.
    emulator = System.get_env("AYBIZA_BENCH_EMULATOR_PID")
    vm = System.pid()
    usage0 = {proc_usage(vm), emulator && proc_usage(emulator)}
    req = request("bench-paced")
    parent = self()
    # Starts are spread over ramp_ms so the streams do not tick in lockstep.
    ramp_ms = min(2_000, n)

    # Text messages received, for the steady window below.
    texts = :counters.new(1, [:write_concurrency])

    pids =
      for i <- 1..n do
        delay = if n == 1, do: 0, else: div(i * ramp_ms, n)
        spawn_link(fn -> latency_receiver(parent, req, opts, delay, texts) end)
      end

    # A steady window (every stream started, none ended: the paced answers last 8 s): the
    # VM's CPU per text message by thread group, without the per-stream setup and ends.
    Process.sleep(ramp_ms + 500)
    steady0 = {thread_usage(), :counters.get(texts, 1)}
    Process.sleep(1_500)
    steady1 = {thread_usage(), :counters.get(texts, 1)}
    # Mid-run sample: every stream is live.
    live = Bedrock.live_streams()

    {mem, rss, receivers} =
      AybizaBench.unmonitored(fn ->
        # The receiving processes are the benchmark's (a voice app has its own call
        # process); their heaps, holding the latency samples, are reported apart.
        receivers =
          Enum.reduce(pids, 0, fn pid, acc ->
            case Process.info(pid, :memory) do
              {:memory, m} -> acc + m
              nil -> acc
            end
          end)

        {:erlang.memory(:total), rss_bytes(), receivers}
      end)

    results =
      for pid <- pids do
        receive do
          {:latency, ^pid, r} -> r
        end
      end

    usage1 = {proc_usage(vm), emulator && proc_usage(emulator)}
    failures = Enum.count(results, &(elem(&1, 0) != :ok))

    # Why streams failed (above 1,000 streams on two shared cores: what breaks first).
    why =
      results
      |> Enum.reject(&(elem(&1, 0) == :ok))
      |> Enum.frequencies_by(fn r -> inspect(elem(r, 0)) end)
      |> Enum.map_join(", ", fn {reason, count} -> "#{count} #{reason}" end)

    {text, sentence} =
      AybizaBench.unmonitored(fn ->
        {results |> Enum.flat_map(&elem(&1, 1)) |> quantiles(),
         results |> Enum.flat_map(&elem(&1, 2)) |> quantiles()}
      end)

    wait_live_at_most(0)

    note =
      "#{n} streams at 30 tokens/s, 8-char deltas; #{failures} failed" <>
        if(why == "", do: "", else: " (#{why})") <>
        "; live mid-run #{live}; " <>
        "api: #{opts[:api]}" <> emulator_tick_note() <> hold_sends_note()

    for {kind, q} <- [text: text, sentence: sentence] do
      row("latency", "#{prefix}#{kind}_p50@#{n}", q.p50, "us", "#{q.n} events; " <> note)
      row("latency", "#{prefix}#{kind}_p99@#{n}", q.p99, "us", note)
      row("latency", "#{prefix}#{kind}_max@#{n}", q.max, "us", note)
    end

    usage_rows(prefix, n, text.n, usage0, usage1)
    steady_rows(prefix, n, steady0, steady1)

    # With few streams the difference is below the noise of GC and allocator caches.
    if n >= 100 do
      row(
        "memory",
        "#{prefix}beam_bytes_per_stream@#{n}",
        (mem - base_mem - receivers) / n,
        "B",
        "mid-run minus idle, without the receiving processes (#{div(receivers, n)} B each)"
      )

      row(
        "memory",
        "#{prefix}rss_bytes_per_stream@#{n}",
        (rss - base_rss) / n,
        "B",
        "mid-run minus idle: BEAM + tokio + sockets"
      )
    end

    %{n: n, ok: failures == 0 and live >= n * 0.9, text: text, sentence: sentence}
  end

  # The emulator's pacing clock when bin/bench runs it on a shared tick (the deltas of the
  # streams due in one tick then leave as one burst; the stamps are still the write times).
  defp emulator_tick_note do
    case System.get_env("BENCH_EMULATOR_TICK_MS", "0") do
      "0" -> ""
      ms -> "; emulator pacing tick #{ms} ms"
    end
  end

  # The shards' held sends when the VM runs with them set (`AYBIZA_BEDROCK_HOLD_SENDS`, read
  # once by the NIF; unset, 0 or 1: off).
  defp hold_sends_note do
    case System.get_env("AYBIZA_BEDROCK_HOLD_SENDS") do
      nil -> ""
      n -> "; held sends #{n}"
    end
  end

  # µs of CPU and context switches per text delta, of the VM (the library, its tokio
  # runtime and the receiving processes) and of the emulator, over one level. Levels below
  # 100 streams carry too few deltas for the 10 ms clock ticks of /proc.
  defp usage_rows(_prefix, n, _deltas, _u0, _u1) when n < 100, do: :ok
  defp usage_rows(_prefix, _n, 0, _u0, _u1), do: :ok

  defp usage_rows(prefix, n, deltas, {vm0, emu0}, {vm1, emu1}) do
    note = "#{n} streams, #{deltas} text deltas; whole process, per-stream setup included"

    for {who, u0, u1} <- [{"vm", vm0, vm1}, {"emulator", emu0, emu1}], u0 != nil and u1 != nil do
      row(
        "latency",
        "#{prefix}#{who}_cpu_per_delta@#{n}",
        (u1.cpu_us - u0.cpu_us) / deltas,
        "us",
        note
      )

      row(
        "latency",
        "#{prefix}#{who}_switches_per_delta@#{n}",
        (u1.switches - u0.switches) / deltas,
        "switches",
        note <> "; voluntary + involuntary, all threads"
      )
    end

    :ok
  end

  # Per thread group (engine shards, BEAM schedulers, the rest), from the steady window's
  # on-CPU nanoseconds: where the VM's time per paced delta goes (BENCHMARKS.md, "The VM's
  # cost per lone paced event"). Text messages, not deltas: a paced delta arrives alone.
  defp steady_rows(_prefix, n, _s0, _s1) when n < 100, do: :ok
  defp steady_rows(_prefix, _n, {_, c}, {_, c}), do: :ok

  defp steady_rows(prefix, n, {u0, c0}, {u1, c1}) do
    texts = c1 - c0
    note = "#{n} streams, #{texts} text messages in a 1.5 s window with every stream live"

    for group <- [:shards, :schedulers, :other] do
      a = u0[group]
      b = u1[group]

      row(
        "latency",
        "#{prefix}vm_#{group}_cpu_per_delta@#{n}",
        (b.cpu_us - a.cpu_us) / texts,
        "us",
        note <> "; schedstat on-CPU time"
      )

      row(
        "latency",
        "#{prefix}vm_#{group}_switches_per_delta@#{n}",
        (b.voluntary + b.involuntary - a.voluntary - a.involuntary) / texts,
        "switches",
        note <>
          "; #{b.voluntary - a.voluntary} voluntary, #{b.involuntary - a.involuntary} involuntary"
      )
    end

    :ok
  end

  defp latency_receiver(parent, req, opts, delay, texts) do
    Process.sleep(delay)
    {:ok, ref} = Bedrock.stream(req, opts)
    result = latency_loop(ref, nil, [], [], texts)
    send(parent, {:latency, self(), result})
  end

  # Text deltas start with the emulator's stamp "T<16-digit µs since the epoch>Z "; a sentence
  # is released by the delta just received, so its latency counts from that delta's stamp.
  defp latency_loop(ref, last, texts, sentences, count) do
    receive do
      {:aybiza_bedrock, ^ref, {:text, <<"T", stamp::binary-size(16), "Z", _::binary>>}} ->
        now = System.os_time(:microsecond)
        sent = String.to_integer(stamp)
        :counters.add(count, 1, 1)
        latency_loop(ref, sent, [now - sent | texts], sentences, count)

      {:aybiza_bedrock, ^ref, {:sentence, _, _}} when last != nil ->
        now = System.os_time(:microsecond)
        latency_loop(ref, last, texts, [now - last | sentences], count)

      {:aybiza_bedrock, ^ref, {:done, _}} ->
        {:ok, texts, sentences}

      {:aybiza_bedrock, ^ref, {:error, e}} ->
        {{:error, e.reason}, texts, sentences}

      {:aybiza_bedrock, ^ref, _} ->
        latency_loop(ref, last, texts, sentences, count)
    after
      60_000 -> {{:error, :timeout}, texts, sentences}
    end
  end
end

# Load every module on the path and fill the connection pool before the scheduler watch
# starts: code loading holds a process for milliseconds and is not what is measured.
{:ok, ref} = Aybiza.Bedrock.stream(AybizaBench.request("bench-ttfs"), AybizaBench.client_opts())
{:ok, _} = AybizaBench.await_terminal(ref)

for app <- [:aybiza_bedrock, :elixir, :stdlib, :kernel, :logger],
    do: :code.ensure_modules_loaded(Application.spec(app, :modules) || [])

monitor = AybizaBench.start_long_schedule_monitor()

sections =
  System.get_env("BENCH_SECTIONS", "events,ttfs,ttfs_breakdown,cancel,latency,control")
  |> String.split(",", trim: true)

for section <- sections do
  IO.puts(:stderr, "bench/stream.exs: #{section}")
  apply(AybizaBench.Stream, String.to_atom(section), [])
  {count, samples} = AybizaBench.long_schedules(monitor)

  AybizaBench.row(
    "scheduler",
    "long_schedule_#{section}",
    count,
    "events",
    Enum.join(samples, "; ")
  )
end
