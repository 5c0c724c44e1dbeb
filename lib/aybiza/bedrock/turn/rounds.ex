defmodule Aybiza.Bedrock.Turn.Rounds do
  @moduledoc """
  The tool rounds of a turn of `Aybiza.AWS.BedrockClient.generate_response/3`: each model
  round is a call of the resilience layer (`Aybiza.Bedrock.Turn.Relay`: breakers, the failure
  policy, retries, fallbacks, mid-stream recovery, telemetry and monitor rows per attempt),
  and between rounds the model's tool uses run in parallel (`Aybiza.Bedrock.Tool`: approval,
  timeouts, input validation) while the caller hears an acknowledgment. Also the home of
  `memory:` (the answer is remembered when the turn completes).

  Events to the receiver, besides those of the rounds' calls (sentence numbers keep
  increasing across rounds; `:message_start` and `{:first_token, us}` come once per turn):

    * `{:round, n}` - model round `n` (from 1) starts.
    * `{:tool_acknowledgment, text}` - something to say while the round's tools run.
    * `{:tool_call, %{id:, name:, input:, round:}}` - a tool is about to run.
    * `{:tool_result, %{id:, name:, status:, content:, error:, round:, duration_ms:}}`.

  and exactly one terminal: `{:done, summary}` (the last round's summary with `:text` of
  every round, `:final_text`, `:rounds`, `:tool_calls`, `:usage` summed over the rounds
  (each round's answering attempt), `:cost` summed over every attempt of every round
  (failed and retried ones too; each attempt's usage is in `:attempt_costs`), `:messages`,
  `:new_messages`) or
  `{:error, %Aybiza.Error{}}` (`:max_rounds`, a round's final error, `:cancelled` with the
  estimated cost in `delivered.cost`, `:internal` when this process dies: its guard sends
  it).
  """

  alias Aybiza.Error
  alias Aybiza.Bedrock.Telemetry
  alias Aybiza.Bedrock.Turn.{Accounting, Memory, Relay, ToolRound}

  @doc """
  Starts the turn and returns once it is registered under `turn.ref` (so
  `Aybiza.AWS.BedrockClient.cancel/1` works at once). `turn` is a relay plan of
  `Aybiza.Bedrock.Turn.Relay` plus `:tools`, `:max_rounds`, `:max_concurrency`,
  `:acknowledge`, `:tool_context`, `:memory` (`nil` or `{call_id, memory_opts}`),
  `:user_message` (the turn's user message, to remember, or nil), and optionally
  `:initial_messages` (the request's messages, for the result's `:messages`) and
  `:prepare_round` (`fn request -> {:ok, request} | {:error, error} end`, applied to every
  round's request, e.g. cache points that move as the history grows).
  """
  @spec start(map()) :: {:ok, pid()}
  def start(%{ref: ref} = turn) do
    parent = self()
    ack = make_ref()

    guard =
      spawn(fn ->
        guard = self()

        {proc, monitor} =
          spawn_monitor(fn ->
            register(ref, guard)
            send(parent, {ack, self()})
            run(turn, guard)
          end)

        guard(turn, proc, monitor, System.monotonic_time(), nil)
      end)

    monitor = Process.monitor(guard)

    receive do
      {^ack, proc} ->
        Process.demonitor(monitor, [:flush])
        {:ok, proc}

      {:DOWN, ^monitor, _, _, _} ->
        {:ok, guard}
    end
  end

  defp register(ref, guard) do
    Registry.register(Relay.registry(), ref, guard)
  rescue
    ArgumentError -> :error
  end

  # Exactly one terminal, whatever dies (as in Aybiza.Bedrock.Turn.Relay).
  # `tool_round`: the open tool round's {round, started}, so a dying turn still closes its
  # span.
  defp guard(turn, proc, monitor, started, tool_round) do
    receive do
      {:tool_round, ^proc, open} ->
        guard(turn, proc, monitor, started, open)

      {:terminal, ^proc, :none} ->
        Process.demonitor(monitor, [:flush])

      {:terminal, ^proc, event} ->
        Process.demonitor(monitor, [:flush])
        send(turn.to, {:aybiza_bedrock, turn.ref, event})

      {:DOWN, ^monitor, :process, ^proc, _reason} ->
        with {round, round_started} <- tool_round do
          Telemetry.execute(
            [:aybiza_bedrock, :tool_round, :exception],
            %{duration: System.monotonic_time() - round_started, reason: :internal},
            Map.merge(turn.metadata, %{model_id: turn.model_id, region: turn.region, round: round})
          )
        end

        Telemetry.execute(
          [:aybiza_bedrock, :turn, :exception],
          %{duration: System.monotonic_time() - started, cost: 0},
          Map.merge(turn.metadata, %{model_id: turn.model_id, reason: :internal, rounds: nil})
        )

        error =
          Error.new(:internal, "the turn process exited before the turn ended",
            model_id: turn.model_id,
            region: turn.region
          )

        send(turn.to, {:aybiza_bedrock, turn.ref, {:error, error}})
    end
  end

  # --- the turn ---

  defp run(turn, guard) do
    Process.flag(:trap_exit, true)
    Process.monitor(turn.to)
    Process.monitor(guard)

    state = %{
      turn: turn,
      guard: guard,
      started: System.monotonic_time(),
      round: 0,
      # messages the rounds added after the user's turn (assistant turns, tool results)
      added: [],
      phase: nil,
      seq_offset: 0,
      round_sentences: 0,
      message_started?: false,
      first_token?: false,
      summaries: [],
      tool_calls: [],
      attempt_costs: [],
      delivered: []
    }

    emit(state, [:aybiza_bedrock, :turn, :start], %{
      system_time: System.system_time(),
      monotonic_time: state.started
    })

    try do
      state |> start_round() |> loop()
    catch
      kind, reason ->
        stop_phase(state)
        error = Error.new(:internal, "the turn crashed: #{Exception.format_banner(kind, reason)}")
        finish_error(state, error)
    end
  end

  defp start_round(state) do
    round = state.round + 1
    forward(state, {:round, round})
    inner = make_ref()
    added = state.added
    build = state.turn.build_request
    prepare = Map.get(state.turn, :prepare_round) || fn request -> {:ok, request} end

    plan =
      state.turn
      |> Map.take([
        :backend,
        :backend_opts,
        :model_id,
        :region,
        :policy,
        :breaker,
        :recovery,
        :fallback_line,
        :sentences,
        :complexity
      ])
      |> Map.merge(%{
        ref: inner,
        to: self(),
        metadata: Map.put(state.turn.metadata, :round, round),
        build_request: fn model_id ->
          with {:ok, request} <- build.(model_id) do
            prepare.(continue_with(request, added, round))
          end
        end
      })

    {:ok, _relay} = Relay.start(plan)
    %{state | round: round, phase: {:model, inner}, round_sentences: 0}
  end

  # Later rounds carry the tool exchange; a forced tool choice applies to round 1 only.
  defp continue_with(request, [], _round), do: request

  defp continue_with(request, added, _round) do
    request
    |> Map.update(:messages, added, &(&1 ++ added))
    |> Map.update(:tool_config, nil, fn
      %{} = config -> Map.put(config, :tool_choice, %{auto: %{}})
      other -> other
    end)
  end

  defp loop(state) do
    receive do
      {:aybiza_bedrock, inner, event} when state.phase == {:model, inner} ->
        case model_event(event, state) do
          {:continue, state} -> loop(state)
          :finished -> :ok
        end

      {:tool_result, tag, call} when elem(state.phase, 1) == tag ->
        forward(state, {:tool_result, call})
        loop(state)

      {:tools_done, tag, calls} when elem(state.phase, 1) == tag ->
        {:tools, ^tag, worker, monitor, started} = state.phase
        Process.demonitor(monitor, [:flush])
        ToolRound.flush_exit(worker)

        if is_pid(state.guard), do: send(state.guard, {:tool_round, self(), nil})

        emit(state, [:aybiza_bedrock, :tool_round, :stop], %{
          duration: System.monotonic_time() - started,
          tools: length(calls),
          errors: Enum.count(calls, &(&1.status == :error))
        })

        summary = hd(state.summaries)

        added =
          state.added ++
            [
              %{role: :assistant, content: ToolRound.content(summary)},
              ToolRound.results_message(calls)
            ]

        state = %{state | added: added, tool_calls: state.tool_calls ++ calls, phase: nil}

        if receiver_gone?(state.turn.to),
          do: finish_gone(state),
          else: state |> start_round() |> loop()

      {:DOWN, monitor, :process, _pid, reason} when elem(state.phase, 3) == monitor ->
        if is_pid(state.guard), do: send(state.guard, {:tool_round, self(), nil})

        emit(state, [:aybiza_bedrock, :tool_round, :exception], %{
          duration: System.monotonic_time() - elem(state.phase, 4),
          reason: :internal
        })

        finish_error(
          %{state | phase: nil},
          Error.new(:internal, "the tool round exited (#{inspect(elem_reason(reason))})")
        )

      {:cancel, ref} when ref == state.turn.ref ->
        finish_cancel(state)

      {:DOWN, _, :process, pid, _} when pid == state.turn.to ->
        finish_gone(state)

      {:DOWN, _, :process, pid, _} when pid == state.guard ->
        loop(%{state | guard: nil})

      {:EXIT, _pid, _reason} ->
        loop(state)

      _stray ->
        loop(state)
    end
  end

  defp elem_reason(reason) when is_atom(reason), do: reason
  defp elem_reason(_reason), do: :crashed

  # --- a model round's events ---

  defp model_event(:message_start, %{message_started?: true} = state), do: {:continue, state}

  defp model_event(:message_start, state) do
    forward(state, :message_start)
    {:continue, %{state | message_started?: true}}
  end

  defp model_event({:first_token, _us}, %{first_token?: true} = state), do: {:continue, state}

  defp model_event({:first_token, _us}, state) do
    elapsed = System.monotonic_time() - state.started
    forward(state, {:first_token, System.convert_time_unit(elapsed, :native, :microsecond)})
    {:continue, %{state | first_token?: true}}
  end

  defp model_event({:sentence, seq, text}, state) do
    forward(state, {:sentence, seq + state.seq_offset, text})

    {:continue,
     %{
       state
       | round_sentences: max(state.round_sentences, seq + 1),
         delivered: [text | state.delivered]
     }}
  end

  defp model_event({:done, summary}, state) do
    summary = Map.new(summary)

    state = %{
      state
      | phase: nil,
        summaries: [summary | state.summaries],
        seq_offset: state.seq_offset + sentences(summary, state.round_sentences),
        attempt_costs: state.attempt_costs ++ round_entries(summary, state.round)
    }

    uses = ToolRound.tool_uses(summary)

    # A round that fell back (a throttled or failing model) hands its target to the next
    # round: going back to the model that just failed would pay its retries again.
    state =
      case Map.get(summary, :fallbacks) do
        [_ | _] = fallbacks ->
          {model_id, region} = List.last(fallbacks)
          %{state | turn: %{state.turn | model_id: model_id, region: region}}

        _ ->
          state
      end

    cond do
      uses == [] or not ToolRound.tool_use_stop?(summary) or state.turn.tools == [] ->
        finish_done(state, summary)

      state.round >= state.turn.max_rounds ->
        error =
          Error.new(
            :max_rounds,
            "the model still asked for tools after #{state.turn.max_rounds} rounds",
            model_id: Map.get(summary, :model_id),
            region: Map.get(summary, :region)
          )

        finish_error(state, error)

      true ->
        {:continue, start_tools(state, summary, uses)}
    end
  end

  defp model_event({:error, %Error{} = error}, state) do
    entries =
      case error.delivered do
        %{attempt_costs: entries} when is_list(entries) -> entries
        _ -> []
      end

    state = %{
      state
      | phase: nil,
        attempt_costs: state.attempt_costs ++ tag_round(entries, state.round)
    }

    if error.reason == :cancelled,
      do: finish_cancel(state),
      else: finish_error(state, error)
  end

  defp model_event(event, state) do
    forward(state, event)
    {:continue, state}
  end

  defp sentences(summary, seen) do
    case Map.get(summary, :sentences) do
      n when is_integer(n) -> max(n, seen)
      _ -> seen
    end
  end

  defp round_entries(summary, round) do
    case Map.get(summary, :attempt_costs) do
      entries when is_list(entries) -> tag_round(entries, round)
      _ -> []
    end
  end

  defp tag_round(entries, round), do: Enum.map(entries, &Map.put(&1, :round, round))

  # --- a tool round ---

  defp start_tools(state, summary, uses) do
    turn = state.turn
    said = Map.get(summary, :text)
    ack = ToolRound.acknowledgment(turn.acknowledge, uses, turn.tools, said)
    if ack, do: forward(state, {:tool_acknowledgment, ack})

    for use <- uses, do: forward(state, {:tool_call, Map.put(use, :round, state.round)})

    started = System.monotonic_time()

    if is_pid(state.guard), do: send(state.guard, {:tool_round, self(), {state.round, started}})

    emit(state, [:aybiza_bedrock, :tool_round, :start], %{
      system_time: System.system_time(),
      tools: length(uses)
    })

    owner = self()
    tag = make_ref()
    by_name = Map.new(turn.tools, &{&1.name, &1})
    round = state.round

    # A worker runs the tools so this process stays free to hear a cancel; killing it kills
    # the tools (they are linked to it and stop with it).
    # Linked: if this process dies, the worker and its tools go too.
    worker =
      spawn_link(fn ->
        calls =
          ToolRound.run(uses, by_name, round, turn.tool_context, turn.max_concurrency, fn call ->
            send(owner, {:tool_result, tag, call})
          end)

        send(owner, {:tools_done, tag, calls})
      end)

    monitor = Process.monitor(worker)

    %{state | phase: {:tools, tag, worker, monitor, started}}
  end

  # --- the terminal ---

  defp finish_done(state, summary) do
    summaries = Enum.reverse(state.summaries)
    base = hd(summaries)

    text =
      summaries
      |> Enum.map(&String.trim(Map.get(&1, :text) || ""))
      |> Enum.reject(&(&1 == ""))
      |> Enum.join(" ")

    final_content = ToolRound.content(summary)

    final = if final_content == [], do: [], else: [%{role: :assistant, content: final_content}]
    new_messages = List.wrap(state.turn.user_message) ++ state.added ++ final
    initial = Map.get(state.turn, :initial_messages) || []

    cost = Accounting.total(state.attempt_costs)

    result =
      Map.merge(summary, %{
        text: text,
        final_text: Map.get(summary, :text) || "",
        rounds: state.round,
        tool_calls: state.tool_calls,
        usage: summaries |> Enum.map(&Map.get(&1, :usage)) |> sum_usage(),
        cost: cost,
        attempt_costs: state.attempt_costs,
        attempts: length(state.attempt_costs),
        sentences: state.seq_offset,
        fallbacks: Enum.flat_map(summaries, &(Map.get(&1, :fallbacks) || [])),
        recovered?: Enum.any?(summaries, &(Map.get(&1, :recovered?) == true)),
        new_messages: new_messages,
        messages: initial ++ state.added ++ final,
        timings: Map.get(base, :timings)
      })

    remember(state, new_messages)

    emit(
      state,
      [:aybiza_bedrock, :turn, :stop],
      %{duration: System.monotonic_time() - state.started, cost: cost.nanodollars},
      %{rounds: state.round, stop_reason: Map.get(summary, :stop_reason)}
    )

    terminal(state, {:done, result})
    :finished
  end

  defp finish_error(state, %Error{} = error) do
    cost = Accounting.total(state.attempt_costs)

    emit(
      state,
      [:aybiza_bedrock, :turn, :exception],
      %{duration: System.monotonic_time() - state.started, cost: cost.nanodollars},
      %{reason: error.reason, rounds: state.round}
    )

    error = with_turn_delivered(error, state, cost)
    terminal(state, {:error, error})
    :finished
  end

  # Barge-in: the running round's call is cancelled (its relay accounts for its attempt),
  # running tools are killed; one :cancelled terminal with the estimated cost of all.
  defp finish_cancel(state) do
    state = stop_phase(state)
    error = Error.new(:cancelled, "the turn was cancelled")
    finish_error(state, %{error | model_id: state.turn.model_id, region: state.turn.region})
  end

  defp finish_gone(state) do
    state = stop_phase(state)
    cost = Accounting.total(state.attempt_costs)

    emit(
      state,
      [:aybiza_bedrock, :turn, :exception],
      %{duration: System.monotonic_time() - state.started, cost: cost.nanodollars},
      %{reason: :cancelled, rounds: state.round}
    )

    terminal(state, :none)
    :finished
  end

  defp stop_phase(%{phase: {:model, inner}} = state) do
    # Synchronous: when it returns, the round's terminal is in this mailbox.
    Relay.cancel(inner)

    receive do
      {:aybiza_bedrock, ^inner, {:error, %Error{delivered: %{attempt_costs: entries}}}}
      when is_list(entries) ->
        drop_inner(inner)

        %{
          state
          | phase: nil,
            attempt_costs: state.attempt_costs ++ tag_round(entries, state.round)
        }

      {:aybiza_bedrock, ^inner, {:done, summary}} ->
        drop_inner(inner)

        %{
          state
          | phase: nil,
            attempt_costs: state.attempt_costs ++ round_entries(Map.new(summary), state.round)
        }
    after
      0 ->
        drop_inner(inner)
        %{state | phase: nil}
    end
  end

  defp stop_phase(%{phase: {:tools, _tag, worker, monitor, started}} = state) do
    Process.exit(worker, :kill)

    receive do
      {:DOWN, ^monitor, :process, ^worker, _} -> :ok
    end

    if is_pid(state.guard), do: send(state.guard, {:tool_round, self(), nil})

    emit(state, [:aybiza_bedrock, :tool_round, :exception], %{
      duration: System.monotonic_time() - started,
      reason: :cancelled
    })

    # Tool results of the killed round that were already sent.
    %{state | phase: nil}
  end

  defp stop_phase(state), do: state

  defp drop_inner(inner) do
    receive do
      {:aybiza_bedrock, ^inner, _} -> drop_inner(inner)
    after
      0 -> :ok
    end
  end

  defp with_turn_delivered(error, state, cost) do
    spoken = Enum.reverse(state.delivered)
    text = Enum.join(spoken, " ")

    delivered =
      if(is_map(error.delivered), do: error.delivered, else: %{})
      |> Map.merge(%{
        chars: String.length(text),
        sentences: length(spoken),
        text: text,
        cost: cost,
        attempt_costs: state.attempt_costs,
        tool_calls: state.tool_calls
      })

    phase = if spoken != [] or state.round > 1, do: :mid_stream, else: error.phase
    %{error | delivered: delivered, phase: phase}
  end

  defp remember(%{turn: %{memory: {call_id, opts}}}, messages),
    do: Memory.remember(call_id, messages, opts)

  defp remember(_state, _messages), do: :ok

  defp sum_usage(usages) do
    case Enum.filter(usages, &is_map/1) do
      [] ->
        nil

      [first | rest] ->
        rest
        |> Enum.reduce(first, fn usage, acc ->
          Map.merge(acc, usage, fn
            _k, a, b when is_number(a) and is_number(b) -> a + b
            :cache_details, a, b when is_list(a) and is_list(b) -> a ++ b
            _k, _a, b -> b
          end)
        end)
        |> sum_cache_details()
    end
  end

  # The rounds' cache writes split by TTL, one entry per TTL; kept only when they account for
  # the whole summed write (a round without details, e.g. a fallback to a model that sends
  # none, leaves the split unknown), so the sum stays a valid `Aybiza.Bedrock.Cost` input.
  defp sum_cache_details(%{cache_details: details} = usage) when is_list(details) do
    by_ttl =
      details
      |> Enum.group_by(& &1.ttl, & &1.input_tokens)
      |> Enum.map(fn {ttl, tokens} -> %{input_tokens: Enum.sum(tokens), ttl: ttl} end)
      |> Enum.sort_by(& &1.ttl, :desc)

    if Enum.sum(Enum.map(by_ttl, & &1.input_tokens)) == Map.get(usage, :cache_write_input_tokens),
      do: %{usage | cache_details: by_ttl},
      else: Map.delete(usage, :cache_details)
  end

  defp sum_cache_details(usage), do: usage

  defp receiver_gone?(to) when is_pid(to) and node(to) == node(), do: not Process.alive?(to)
  defp receiver_gone?(_to), do: false

  defp forward(state, event), do: send(state.turn.to, {:aybiza_bedrock, state.turn.ref, event})

  defp terminal(%{guard: guard, turn: turn}, event) do
    if is_pid(guard) and Process.alive?(guard) do
      send(guard, {:terminal, self(), event})
    else
      if event != :none, do: send(turn.to, {:aybiza_bedrock, turn.ref, event})
    end

    :ok
  end

  defp emit(state, event, measurements, extra \\ %{}) do
    metadata =
      Map.merge(state.turn.metadata, %{
        model_id: state.turn.model_id,
        region: state.turn.region,
        round: state.round
      })

    Telemetry.execute(event, measurements, Map.merge(metadata, extra))
  end
end
