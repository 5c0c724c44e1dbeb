# Adversarial request terms through every NIF entry point that takes a term, in a loop:
#   MIX_ENV=prod mix run bench/term_fuzz.exs          (TERM_FUZZ_N, default 1,000,000;
#     TERM_FUZZ_SEED, default 1; TERM_FUZZ_WORKERS, default one per scheduler;
#     TERM_FUZZ_ROUND_TRIP, default 20: one started call in 20 is not cancelled)
# Terms are deep (to 100,000 levels), wide, improper, huge (bignums, 1 MB binaries) or odd
# (tuples, pids, refs, funs, non-UTF-8 keys), placed at random positions of a stream /
# invoke_model_stream request, a tool result, the catalog, cost and text functions, Nova
# Sonic session options, tool results and text, conversation memory and Text.push_many. Calls
# that start go to a closed port on 127.0.0.1 (no network); each must end in one terminal.
# What costs time without adding anything is skipped: the deep and huge terms are built once
# (persistent_term, read without copying) and reused under fresh random wrappers, and a
# started call is cancelled at once (cancel-to-terminal is checked), except one in
# TERM_FUZZ_ROUND_TRIP (default 20) that goes through the refused connection to its error.
# Prints counts by outcome; exits non-zero on a NIF panic, a wrong error reason or a missing
# terminal (a VM crash ends the run without the final line).
alias Aybiza.Bedrock
alias Aybiza.Bedrock.{ConversationMemory, Cost, Sonic, Text}

env = fn name, default ->
  case System.get_env(name) do
    v when v in [nil, ""] -> default
    v -> String.to_integer(v)
  end
end

n = env.("TERM_FUZZ_N", 1_000_000)
seed = env.("TERM_FUZZ_SEED", 1)
round_trip = env.("TERM_FUZZ_ROUND_TRIP", 20)
:persistent_term.put({:term_fuzz, :round_trip}, round_trip)

defmodule TermFuzz do
  @model "anthropic.claude-haiku-4-5-20251001-v1:0"
  @opts [
    endpoint: "http://127.0.0.1:9",
    region: "us-east-1",
    credentials: {:static, "AKIDFUZZ", "fuzz-secret"},
    timeouts: [connect: 200, total: 2_000]
  ]
  @mb :binary.copy("a", 1_000_000)

  @list_depths [10, 63, 64, 65, 99, 101, 1_000, 100_000]
  @map_depths [10, 62, 63, 66, 2_000, 100_000]

  def nested_list(d), do: Enum.reduce(1..d, "x", fn _, acc -> [acc] end)
  def nested_map(d), do: Enum.reduce(1..d, "x", fn _, acc -> %{"a" => acc} end)

  # The deep and huge terms, built once: building a 100,000-level term took longer than
  # converting it (the converter stops at the depth limit).
  def prebuild do
    :persistent_term.put(
      {__MODULE__, :lists},
      List.to_tuple(Enum.map(@list_depths, &nested_list/1))
    )

    :persistent_term.put({__MODULE__, :maps}, List.to_tuple(Enum.map(@map_depths, &nested_map/1)))
    :persistent_term.put({__MODULE__, :long}, List.duplicate(1, 200_000))
  end

  defp cached(key) do
    t = :persistent_term.get({__MODULE__, key})
    elem(t, :rand.uniform(tuple_size(t)) - 1)
  end

  def term(depth) do
    case :rand.uniform(if depth > 5, do: 10, else: 15) do
      1 -> :rand.uniform(1000)
      2 -> 2 ** (60 + :rand.uniform(100))
      3 -> :rand.uniform() * 1.0e300
      4 -> Enum.random([true, false, nil, :atom, :"with space"])
      5 -> :crypto.strong_rand_bytes(:rand.uniform(16))
      6 -> Enum.random(["text", "", "ünïcode", <<0xFF, 0xFE>>])
      7 -> Enum.random([self(), make_ref(), {1, 2}, fn -> :ok end, <<1::3>>])
      # A fresh wrapper (0-2 levels of list, map or improper cell) around a prebuilt term.
      8 -> wrap(cached(:lists))
      9 -> wrap(cached(:maps))
      10 -> wrap(Enum.random([@mb, [@mb, @mb], :persistent_term.get({__MODULE__, :long})]))
      11 -> for _ <- 1..:rand.uniform(5), do: term(depth + 1)
      12 -> [term(depth + 1) | term(depth + 1)]
      13 -> Map.new(1..:rand.uniform(4), fn i -> {"k#{i}", term(depth + 1)} end)
      14 -> %{Enum.random([:a, "b", 1, <<0xFF>>, {:t}, 1.5]) => term(depth + 1)}
      15 -> %{:a => term(depth + 1), "a" => 1}
    end
  end

  defp wrap(t) do
    case :rand.uniform(5) do
      1 -> [t]
      2 -> %{"w" => t}
      3 -> [1 | t]
      4 -> [%{"w" => [t]}]
      5 -> t
    end
  end

  def request(t) do
    base = %{model_id: @model, messages: [%{role: :user, content: "hi"}]}

    case :rand.uniform(8) do
      1 ->
        Map.put(base, :additional_model_request_fields, %{"x" => t})

      2 ->
        Map.put(base, :messages, t)

      3 ->
        Map.put(base, :messages, [%{role: :user, content: t}])

      4 ->
        Map.put(base, :request_metadata, t)

      5 ->
        Map.put(base, :tool_config, %{
          tools: [%{tool_spec: %{name: "t", input_schema: %{json: t}}}]
        })

      6 ->
        Map.put(base, :messages, [
          %{role: :user, content: [%{tool_result: %{tool_use_id: "t", content: [%{json: t}]}}]}
        ])

      7 ->
        Map.put(base, :inference_config, t)

      8 ->
        t
    end
  end

  # A Nova Sonic session of this worker that stays "connecting" (the listener never
  # answers): send_tool_result / send_text get terms while it lives, then "closed".
  defp sonic_session do
    case Process.get(:sonic_session) do
      nil ->
        {:ok, s} =
          Sonic.start_session(
            region: "us-east-1",
            endpoint: :persistent_term.get({:term_fuzz, :silent}),
            credentials: {:static, "AKIDFUZZ", "fuzz-secret"},
            timeouts: [first_byte: 600_000]
          )

        Process.put(:sonic_session, s)
        s

      s ->
        s
    end
  end

  defp sonic_start(t) do
    opt =
      Enum.random(
        system_prompt: t,
        history: t,
        history: [%{role: :user, text: t}],
        inference: t,
        voice: t,
        tool_context: t,
        endpointing_sensitivity: t
      )

    opts = [
      {elem(opt, 0), elem(opt, 1)},
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9",
      credentials: {:static, "AKIDFUZZ", "fuzz-secret"}
    ]

    case guarded(fn -> Sonic.start_session(opts) end) do
      {:started, s} ->
        Sonic.close(s)
        await(s)

      other ->
        other
    end
  end

  # One term through one entry point: the outcome atom.
  def run(t) do
    case System.get_env("TERM_FUZZ_ONLY", "")
         |> then(&if(&1 == "", do: :rand.uniform(15), else: String.to_integer(&1))) do
      k when k <= 6 ->
        stream(fn -> Bedrock.stream(maybe_map(request(t)), @opts) end)

      7 ->
        stream(fn -> Bedrock.invoke_model_stream(@model, %{"x" => t}, @opts) end)

      8 ->
        guarded(fn -> Cost.calculate(@model, %{input_tokens: t}) end)

      9 ->
        guarded(fn -> Text.assess_query_complexity("hi", %{agent_type: t}) end)

      10 ->
        guarded(fn ->
          Aybiza.Bedrock.Routing.select_optimal_model_and_region(0.5, 1000, %{tools: t})
        end)

      11 ->
        sonic_start(t)

      12 ->
        guarded(fn -> Sonic.send_tool_result(sonic_session(), "t1", t) end)

      13 ->
        guarded(fn -> Sonic.send_text(sonic_session(), if(is_binary(t), do: t, else: "x")) end)

      14 ->
        guarded(fn ->
          ConversationMemory.remember("fuzz-#{:rand.uniform(50)}", %{role: :user, content: t})
        end)

      15 ->
        guarded(fn -> Text.push_many(Text.new_segmenter(), t) end)
    end
  end

  defp maybe_map(r) when is_map(r), do: r
  defp maybe_map(r), do: %{model_id: @model, messages: r}

  defp stream(fun) do
    case guarded(fun) do
      {:started, ref} ->
        # The request passed validation; the refused connection only repeats itself.
        if :rand.uniform(:persistent_term.get({:term_fuzz, :round_trip})) != 1,
          do: Bedrock.cancel(ref)

        await(ref)

      other ->
        other
    end
  end

  defp await(ref) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, _}} -> :done
      {:aybiza_bedrock, ^ref, {:error, %Aybiza.Error{reason: :cancelled}}} -> :started_cancelled
      {:aybiza_bedrock, ^ref, {:error, %Aybiza.Error{}}} -> :started_then_error
      {:aybiza_bedrock, ^ref, _} -> await(ref)
    after
      10_000 -> :missing_terminal
    end
  end

  defp guarded(fun) do
    try do
      case fun.() do
        {:ok, ref} when is_reference(ref) ->
          {:started, ref}

        {:error, %Aybiza.Error{reason: r}} when r in [:invalid_request, :invalid_config] ->
          :invalid

        # The worker's Sonic session never connects: its bounded input queue fills up.
        {:error, %Aybiza.Error{reason: :overloaded}} ->
          :overloaded

        {:error, %Aybiza.Error{reason: r}} ->
          {:other_error, r}

        _ ->
          :ok
      end
    rescue
      e in [ArgumentError, FunctionClauseError] -> {:raised, e.__struct__}
      ErlangError -> :nif_panicked
    catch
      :error, :nif_panicked -> :nif_panicked
    end
  end
end

TermFuzz.prebuild()
{:ok, silent} = :gen_tcp.listen(0, [:binary, ip: {127, 0, 0, 1}, active: false])
{:ok, silent_port} = :inet.port(silent)
:persistent_term.put({:term_fuzz, :silent}, "http://127.0.0.1:#{silent_port}")
started = System.monotonic_time(:millisecond)

# One loop per scheduler (TERM_FUZZ_WORKERS), each with its own random stream: worker w of
# seed s is reproducible alone with the same N and WORKERS.
workers = env.("TERM_FUZZ_WORKERS", System.schedulers_online())

counts =
  1..workers
  |> Enum.map(fn w ->
    share = div(n, workers) + if(w <= rem(n, workers), do: 1, else: 0)

    Task.async(fn ->
      :rand.seed(:exsss, {seed, 101 + w, 103})

      Enum.reduce(1..share//1, %{}, fn i, acc ->
        if rem(i, 100_000) == 0, do: IO.puts("term_fuzz: worker #{w}: #{i} terms")
        Map.update(acc, TermFuzz.run(TermFuzz.term(0)), 1, &(&1 + 1))
      end)
    end)
  end)
  |> Task.await_many(:infinity)
  |> Enum.reduce(%{}, &Map.merge(&1, &2, fn _, a, b -> a + b end))

elapsed = System.monotonic_time(:millisecond) - started

IO.puts(
  "term_fuzz: #{n} terms in #{elapsed} ms, seed #{seed}, #{workers} workers, " <>
    "CPU #{div(elem(:erlang.statistics(:runtime), 0), 1000)} s"
)

for {outcome, count} <- Enum.sort_by(counts, &elem(&1, 1), :desc),
    do: IO.puts("  #{inspect(outcome)}: #{count}")

bad =
  Enum.filter(counts, fn {o, _} ->
    o in [:nif_panicked, :missing_terminal] or match?({:other_error, _}, o)
  end)

if bad == [] do
  IO.puts(
    "term_fuzz: PASSED (0 NIF panics, 0 missing terminals, VM alive; live calls #{Bedrock.live_streams()})"
  )
else
  IO.puts(:stderr, "term_fuzz: FAILED: #{inspect(bad)}")
  System.halt(1)
end
