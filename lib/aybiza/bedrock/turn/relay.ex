defmodule Aybiza.Bedrock.Turn.Relay do
  @moduledoc """
  The per-call relay of `Aybiza.AWS.BedrockClient`: runs the attempts of one call, applies
  `Aybiza.Bedrock.Turn.Policy` between them, and recovers a stream that fails mid-answer.

  ## The relay

  Each call gets a small process, linked to nothing. The backend stream is started with
  `to:` the relay, which forwards each event to the caller as `{:aybiza_bedrock, ref, event}`
  (never through the `Aybiza.AWS.BedrockClient` GenServer), hides the failures it recovers
  from, and sends exactly one terminal message, `{:done, summary}` or `{:error, error}`.
  It monitors the receiver and cancels the backend stream when the receiver exits.

  Exactly one terminal, whatever dies: each relay has a guard process that monitors it and
  through which the relay sends its terminal. If the relay dies before its terminal (a bug,
  or `Process.exit(relay, :kill)`), the guard sends `{:error, %Aybiza.Error{reason:
  :internal}}` in its place (and closes the telemetry span); since a process's messages
  arrive before its exit notice, the guard never sends a second terminal. If the guard dies,
  the relay sends its terminal itself. `cancel/1` ends the call with the terminal
  `{:error, %Aybiza.Error{reason: :cancelled}}`, in the receiver's mailbox before `cancel/1`
  returns; nothing of the call follows it.

  Extra events besides those of `Aybiza.Bedrock.stream/2`:

    * `{:retry, %{attempt: n, reason: r, delay_ms: d, model_id: m, region: g}}` - the same
      target is tried again after `d` ms.
    * `{:fallback, %{attempt: n, reason: r, kind: k, from: {m, g}, model_id: m2, region: g2}}`
      - the next attempt goes to another model or region (`kind` as in `Aybiza.Bedrock.Turn.Policy`).
    * `{:recovered, %{after_sentences: n, mode: :prefill | :instruction, model_id: m, region: g}}`
      - a stream failed after `n` sentences were delivered and continues on the next attempt.
    * `{:fallback_line, text}` - the call failed for good (all tries spent, or an error that
      is never retried); `text` is a line to speak so the caller is not left in silence
      (only with the `:fallback_line` option), sent just before
      `{:error, error}`. Not after a `:guardrail_intervened` whose blocked message was
      spoken (see "Guardrails" in `docs/CLIENT.md`).

  `:message_start` and `{:first_token, us}` are forwarded once per call (the first attempt
  that produces them); `{:first_token, us}` is measured from the start of the call.

  ## Mid-stream recovery semantics

  When an attempt fails after some sentences reached the caller, the next attempt (retry or
  fallback, chosen by the policy as for any failure) continues the answer instead of
  restarting it:

    * `:prefill` (Claude models that accept a final assistant turn, without extended
      thinking): the delivered sentences are sent back as the start of the assistant's
      turn, so the model writes only what follows.
    * `:instruction` (other models, extended thinking, and the Claude 4.6 family and later,
      which reject a prefill): the system prompt gets an instruction quoting the delivered
      text and asking to continue after it without repeating it.

  The continuation is given only what the caller heard (the delivered sentences, not the
  failed attempt's unfinished tail). Whatever the model does with it, a continuation
  sentence that repeats a sentence delivered earlier in the call (compared by
  `sentence_key/1`: case, whitespace and punctuation ignored, after the segmenter's speech
  normalization) is not forwarded, so a continuation that restarts the answer is skipped up
  to the point already spoken; its text deltas are held until its first new sentence and
  the skipped part dropped. Sentence sequence numbers continue where they stopped (`seq`
  never repeats or goes back). The `{:done, summary}` of a recovered call has `:text` = the
  sentences the caller heard, `:sentences` counting them, `:skipped_sentences`,
  `:recovered?` true, `:recoveries` (one map per recovery) and `:content`, the
  continuation's blocks (string keys) with the whole text in place of the first text block.
  A failure before any sentence was delivered is retried from the start. With
  `recovery: false` a mid-stream failure is terminal. See "Mid-stream recovery" in
  `docs/CLIENT.md` for exactly what is guaranteed.

  Every summary gets `:attempts` (the number of attempts) and `:fallbacks` (the
  `{model_id, region}` targets after the first).
  """

  alias Aybiza.Error
  alias Aybiza.Bedrock.{CircuitBreaker, PerformanceMonitor, Telemetry}
  alias Aybiza.Bedrock.Turn.Policy
  alias Aybiza.Bedrock.Turn.Policy.Models
  alias Aybiza.Bedrock.Turn.Accounting

  require Logger

  @registry Aybiza.Bedrock.StreamRegistry

  @typedoc "Everything a relay needs, built by `Aybiza.AWS.BedrockClient`."
  @type plan :: %{
          required(:ref) => reference(),
          required(:to) => pid(),
          required(:backend) => module(),
          required(:backend_opts) => keyword(),
          required(:model_id) => String.t(),
          required(:region) => String.t(),
          required(:build_request) => (String.t() -> {:ok, map()} | {:error, Error.t()}),
          required(:policy) => map(),
          required(:breaker) => keyword(),
          required(:recovery) => boolean() | :prefill | :instruction,
          required(:fallback_line) => String.t() | nil,
          required(:sentences) => boolean() | keyword(),
          required(:metadata) => map(),
          required(:complexity) => float() | nil
        }

  @doc false
  @spec registry() :: atom()
  def registry, do: @registry

  @doc """
  Starts the relay of `plan` and returns its pid once it is registered under `plan.ref`
  (so `cancel/1` works as soon as this returns).
  """
  @spec start(plan()) :: {:ok, pid()}
  def start(%{ref: ref} = plan) do
    parent = self()
    ack = make_ref()

    guard =
      spawn(fn ->
        guard = self()

        {relay, monitor} =
          spawn_monitor(fn ->
            # Registered before the ack, so cancel/1 finds the relay as soon as start/1
            # returns.
            register(ref, guard)
            send(parent, {ack, self()})
            run(plan, guard)
          end)

        guard(plan, relay, monitor, System.monotonic_time())
      end)

    monitor = Process.monitor(guard)

    receive do
      {^ack, relay} ->
        Process.demonitor(monitor, [:flush])
        {:ok, relay}

      # The relay died before its ack: the guard has sent the terminal.
      {:DOWN, ^monitor, _, _, _} ->
        receive do
          {^ack, _relay} -> :ok
        after
          0 -> :ok
        end

        {:ok, guard}
    end
  end

  @doc """
  Cancels the call `ref`: the backend stream stops and the receiver gets the terminal
  `{:error, %Aybiza.Error{reason: :cancelled}}`. When this returns, that terminal is in the
  receiver's mailbox and no further message of `ref` will be sent. Idempotent: a call that
  already ended (or an unknown ref) is left alone. A raw `Aybiza.Bedrock.stream/2` ref is
  cancelled as `Aybiza.Bedrock.cancel/1` does (its terminal follows within milliseconds).
  """
  @spec cancel(reference()) :: :ok
  def cancel(ref) do
    case lookup_call(ref) do
      nil ->
        # Not a turn: maybe a raw stream's handle (a caller who mixed up the two cancels);
        # anything else is no call at all.
        try do
          Aybiza.Native.cancel(ref)
        rescue
          ArgumentError -> :ok
        end

      {relay, guard} ->
        relay_monitor = Process.monitor(relay)
        guard_monitor = if is_pid(guard), do: Process.monitor(guard)
        send(relay, {:cancel, ref})

        # The relay exits right after handing its terminal to the guard, and the guard right
        # after forwarding it: once both are gone, nothing of `ref` can follow.
        receive do
          {:DOWN, ^relay_monitor, _, _, _} -> :ok
        end

        if guard_monitor do
          receive do
            {:DOWN, ^guard_monitor, _, _, _} -> :ok
          end
        end

        :ok
    end
  end

  @doc "The relay pid of call `ref`, or nil."
  @spec lookup(reference()) :: pid() | nil
  def lookup(ref) do
    case lookup_call(ref) do
      {relay, _guard} -> relay
      nil -> nil
    end
  end

  defp lookup_call(ref) do
    case Registry.lookup(@registry, ref) do
      [{relay, guard}] -> {relay, guard}
      [] -> nil
    end
  rescue
    ArgumentError -> nil
  end

  @doc """
  The request of a continuation attempt: `request` changed so the model continues after
  `delivered_text` (see "Mid-stream recovery semantics").
  """
  @spec continuation_request(map(), String.t(), :prefill | :instruction) :: map()
  def continuation_request(request, delivered_text, :prefill) do
    prefix = String.trim_trailing(delivered_text)
    # Bedrock rejects a final assistant turn that ends with whitespace.
    Map.update(request, :messages, [], &(&1 ++ [%{role: :assistant, content: [%{text: prefix}]}]))
  end

  def continuation_request(request, delivered_text, :instruction) do
    instruction =
      "Your previous answer was interrupted. The caller has already heard this part of it: " <>
        "\"#{String.trim(delivered_text)}\" Continue the answer from exactly where it stopped. " <>
        "Do not repeat anything the caller already heard and do not mention the interruption."

    Map.update(
      request,
      :system,
      [%{text: instruction}],
      &(List.wrap(&1) ++ [%{text: instruction}])
    )
  end

  @doc "The continuation mode for `model_id` and `request` when recovery is `setting`."
  @spec continuation_mode(String.t(), map(), boolean() | :prefill | :instruction) ::
          :prefill | :instruction
  def continuation_mode(_model_id, _request, :instruction), do: :instruction

  # `true` and `:prefill` alike: prefill wherever the model accepts it, since Bedrock rejects
  # a prefill the model does not take (a 400 would end the call).
  def continuation_mode(model_id, request, _setting) do
    thinking? =
      request |> Map.get(:additional_model_request_fields, %{}) |> Map.has_key?("thinking")

    # Prefill is an Anthropic feature that the Claude 4.6 family and later reject; a model
    # the catalog does not know gets the instruction, which every model understands.
    prefill? = match?({:ok, %{prefill?: true}}, Models.facts(model_id))
    if prefill? and not thinking?, do: :prefill, else: :instruction
  end

  # --- the guard ---

  # Waits for the relay's terminal and forwards it; if the relay exits first, the call ends
  # with an `:internal` error instead. A message sent before the relay's exit always arrives
  # before its :DOWN, so exactly one terminal goes out.
  defp guard(plan, relay, monitor, started) do
    receive do
      {:terminal, ^relay, :none} ->
        Process.demonitor(monitor, [:flush])

      {:terminal, ^relay, event} ->
        Process.demonitor(monitor, [:flush])
        send(plan.to, {:aybiza_bedrock, plan.ref, event})

      {:DOWN, ^monitor, :process, ^relay, reason} ->
        error =
          Error.new(:internal, "the call relay exited before the call ended (#{why(reason)})",
            model_id: plan.model_id,
            region: plan.region
          )

        Telemetry.execute(
          [:aybiza_bedrock, :stream, :exception],
          %{duration: System.monotonic_time() - started},
          Map.merge(%{model_id: plan.model_id, region: plan.region}, plan.metadata)
          |> Map.merge(%{reason: :internal, attempts: nil})
        )

        send(plan.to, {:aybiza_bedrock, plan.ref, {:error, error}})
    end
  end

  # Only the shape of the exit reason: it could hold anything the relay had.
  defp why(:killed), do: "killed"
  defp why(:noproc), do: "noproc"
  defp why(reason) when is_atom(reason), do: inspect(reason)
  defp why({:shutdown, _}), do: "shutdown"
  defp why(_reason), do: "crashed"

  # --- the relay loop ---

  defp register(ref, guard) do
    Registry.register(@registry, ref, guard)
  rescue
    # No registry (the application is not started): calls work, cancel/1 does not.
    ArgumentError -> :error
  end

  defp run(plan, guard) do
    # The registry links to its processes; trapping exits keeps the call alive if the
    # registry restarts (only cancel/1 stops finding it).
    Process.flag(:trap_exit, true)
    Process.monitor(plan.to)
    Process.monitor(guard)

    state = %{
      plan: plan,
      guard: guard,
      started_mono: System.monotonic_time(),
      attempt: 0,
      same_target_tries: 0,
      tried: [],
      model_id: plan.model_id,
      region: plan.region,
      latency_standard?: false,
      backend_ref: nil,
      # whether backend_ref is a running backend stream (not a timer or a synthetic ref)
      live?: false,
      attempt_started_ms: nil,
      # sentences delivered to the caller in earlier attempts of this call, and their
      # comparison keys (see `sentence_key/1`)
      delivered: [],
      delivered_keys: MapSet.new(),
      # continuation sentences not forwarded because they repeat a delivered one
      skipped: 0,
      # text deltas of a continuation held until its first new sentence (nil: not holding)
      held_text: nil,
      attempt_sentences: [],
      attempt_text: "",
      message_started?: false,
      first_token?: false,
      recoveries: [],
      fallbacks: [],
      pending_recovery: nil,
      # the request of the running attempt (to estimate its cost on a cancel) and one
      # Accounting entry per finished attempt
      attempt_request: nil,
      attempt_costs: []
    }

    try do
      state |> start_attempt() |> loop()
    catch
      kind, reason ->
        error =
          Error.new(:internal, "the call relay crashed: #{Exception.format_banner(kind, reason)}")

        terminal(state, {:error, error})
    end
  end

  defp loop(%{backend_ref: backend_ref, plan: plan} = state) do
    receive do
      {:aybiza_bedrock, ^backend_ref, event} ->
        case handle_event(event, state) do
          {:continue, state} -> loop(state)
          :finished -> :ok
        end

      {:next_attempt, ^backend_ref} ->
        state |> start_attempt() |> loop()

      {:cancel, ref} when ref == plan.ref ->
        {state, cost} = stop_cancelled(state)
        error = Error.new(:cancelled, "the call was cancelled")
        error = %{error | model_id: state.model_id, region: state.region}

        # Like any error after something reached the caller: mid-stream, with what was said.
        # ...and always with the (estimated) cost of every attempt in `delivered.cost`.
        delivered =
          delivered_info(%{state | delivered: state.delivered ++ state.attempt_sentences})

        error =
          if state.message_started? or state.delivered != [] or state.attempt_sentences != [],
            do: %{error | phase: :mid_stream},
            else: error

        error = %{
          error
          | delivered: Map.merge(delivered, %{cost: cost, attempt_costs: state.attempt_costs})
        }

        terminal(state, {:error, error})

      {:DOWN, _, :process, pid, _} when pid == plan.to ->
        # The receiver's exit cancels the call: the span closes as a cancel.
        {state, _cost} = stop_cancelled(state)

        # Nobody to tell; the guard just stops.
        terminal(state, :none)

      {:DOWN, _, :process, pid, _} when pid == state.guard ->
        loop(%{state | guard: nil})

      {:EXIT, _pid, _reason} ->
        loop(state)
    end
  end

  defp start_attempt(state) do
    %{plan: plan} = state

    state = %{
      state
      | live?: false,
        attempt: state.attempt + 1,
        same_target_tries: state.same_target_tries + 1
    }

    state = %{state | tried: Enum.uniq(state.tried ++ [{state.model_id, state.region}])}

    # One span per call: :start once, closed by one :stop or :exception (retries and
    # fallbacks have their own events), so span handlers stay balanced.
    if state.attempt == 1 do
      emit(
        state,
        [:aybiza_bedrock, :stream, :start],
        %{system_time: System.system_time(), monotonic_time: System.monotonic_time()},
        %{attempt: 1}
      )
    end

    case CircuitBreaker.acquire(state.model_id, state.region, plan.breaker) do
      :ok ->
        opts =
          Keyword.merge(plan.backend_opts,
            to: self(),
            sentences: plan.sentences,
            region: state.region
          )

        with {:ok, request} <- build_request(state),
             {:ok, backend_ref} <- safe_backend_stream(plan.backend, request, opts) do
          %{
            state
            | backend_ref: backend_ref,
              live?: true,
              attempt_request: request,
              attempt_started_ms: System.monotonic_time(:millisecond),
              attempt_sentences: [],
              attempt_text: "",
              held_text: if(state.delivered != [], do: "")
          }
        else
          # A request that cannot be built, or a synchronous refusal, goes through the same
          # policy as an async error.
          {:error, %Error{} = error} ->
            fail_now(state, error)
        end

      {:error, :open} ->
        error =
          Error.new(
            :circuit_open,
            "the circuit breaker of #{state.model_id} in #{state.region} is open",
            model_id: state.model_id,
            region: state.region
          )

        fail_now(state, %{error | retryable?: true})
    end
  end

  # Ends the attempt with `error` through the mailbox, so every failure takes one path.
  defp fail_now(state, error) do
    synthetic_ref = make_ref()
    send(self(), {:aybiza_bedrock, synthetic_ref, {:error, error}})

    %{
      state
      | backend_ref: synthetic_ref,
        attempt_started_ms: System.monotonic_time(:millisecond),
        attempt_sentences: [],
        attempt_text: ""
    }
  end

  defp safe_backend_stream(backend, request, opts) do
    backend.stream(request, opts)
  rescue
    exception in ArgumentError ->
      {:error, Error.new(:invalid_request, Exception.message(exception))}
  end

  defp build_request(state) do
    with {:ok, request} <- state.plan.build_request.(state.model_id) do
      request =
        if state.latency_standard?,
          do: Map.put(request, :performance_config, %{latency: :standard}),
          else: request

      case state.delivered do
        [] ->
          {:ok, request}

        sentences ->
          mode = continuation_mode(state.model_id, request, state.plan.recovery)
          {:ok, continuation_request(request, Enum.join(sentences, " "), mode)}
      end
    end
  end

  # The plain request of the current target (no continuation), for the questions the
  # policy asks about it. A target whose request cannot be built never started, so it
  # has no performance config and continues by instruction.
  defp plain_request(state) do
    case state.plan.build_request.(state.model_id) do
      {:ok, request} -> request
      {:error, _} -> %{}
    end
  end

  defp handle_event(:message_start, %{message_started?: true} = state), do: {:continue, state}

  defp handle_event(:message_start, state) do
    state = maybe_announce_recovery(state)
    forward(state, :message_start)
    {:continue, %{state | message_started?: true}}
  end

  defp handle_event({:first_token, _us}, %{first_token?: true} = state),
    do: {:continue, maybe_announce_recovery(state)}

  defp handle_event({:first_token, _us}, state) do
    state = maybe_announce_recovery(state)
    elapsed = System.monotonic_time() - state.started_mono
    forward(state, {:first_token, System.convert_time_unit(elapsed, :native, :microsecond)})

    emit(state, [:aybiza_bedrock, :stream, :first_token], %{duration: elapsed}, %{
      attempt: state.attempt
    })

    {:continue, %{state | first_token?: true}}
  end

  defp handle_event({:sentence, _seq, text}, state) do
    state = maybe_announce_recovery(state)

    if repeated?(text, state),
      do: {:continue, skip_sentence(state, text)},
      else: forward_sentence(release_held_text(state), text)
  end

  defp handle_event({:text, delta}, %{held_text: held} = state) when is_binary(held) do
    state = maybe_announce_recovery(state)
    {:continue, %{state | held_text: held <> delta, attempt_text: state.attempt_text <> delta}}
  end

  defp handle_event({:text, delta} = event, state) do
    state = maybe_announce_recovery(state)
    forward(state, event)
    {:continue, %{state | attempt_text: state.attempt_text <> delta}}
  end

  # A guardrail intervention ends the call like a failure the policy never retries: another
  # model or region under the same guardrail would be blocked too, and a model without it
  # would bypass it.
  defp handle_event({:done, %{stop_reason: :guardrail_intervened} = summary}, state) do
    state = state |> maybe_announce_recovery() |> release_held_text()

    where =
      if Map.get(summary, :guardrail_trace, %{}) |> Map.has_key?("output_assessments"),
        do: "the answer",
        else: "the prompt or the answer"

    error =
      Error.new(:guardrail_intervened, "the request's guardrail blocked #{where}",
        model_id: state.model_id,
        region: state.region,
        guardrail: Map.get(summary, :guardrail_trace),
        # Bedrock bills a blocked call: the attempt's usage and cost go to the accounting.
        delivered: %{usage: Map.get(summary, :usage), cost: Map.get(summary, :cost)}
      )

    handle_failure(error, state)
  end

  defp handle_event({:done, summary}, state) do
    state = state |> maybe_announce_recovery() |> release_held_text()
    state = %{state | live?: false}
    %{plan: plan} = state
    duration_ms = System.monotonic_time(:millisecond) - state.attempt_started_ms
    CircuitBreaker.record_success(state.model_id, state.region, duration_ms, plan.breaker)
    summary = if is_map(summary), do: summary, else: %{}
    entry = Accounting.done(state.attempt, state.model_id, state.region, summary)
    # The monitor row is this attempt's; earlier attempts recorded their own.
    attempt_cost = Accounting.nanodollars(entry.cost)
    state = %{state | attempt_costs: state.attempt_costs ++ [entry]}
    summary = finish_summary(summary, state)
    usage = Map.get(summary, :usage) || %{}
    # The call's cost: every attempt Bedrock billed.
    cost = cost_nanodollars(summary)

    emit(
      state,
      [:aybiza_bedrock, :stream, :stop],
      %{
        duration: System.monotonic_time() - state.started_mono,
        input_tokens: Map.get(usage, :input_tokens, 0),
        output_tokens: Map.get(usage, :output_tokens, 0),
        cost: cost
      },
      %{
        attempts: state.attempt,
        recovered?: summary.recovered?,
        stop_reason: Map.get(summary, :stop_reason)
      }
    )

    PerformanceMonitor.record(%{
      model_id: state.model_id,
      region: state.region,
      ok?: true,
      first_token_ms: timing_ms(summary, :first_token_us),
      total_ms: duration_ms,
      cost_nanodollars: attempt_cost,
      input_tokens: Map.get(usage, :input_tokens),
      output_tokens: Map.get(usage, :output_tokens),
      complexity: plan.complexity
    })

    terminal(state, {:done, summary})
    :finished
  end

  defp handle_event({:error, error}, state), do: handle_failure(Error.from_native(error), state)

  defp handle_event(event, state) do
    state = maybe_announce_recovery(state)
    forward(state, event)
    {:continue, state}
  end

  defp forward_sentence(state, text) do
    seq = length(state.delivered) + length(state.attempt_sentences)
    forward(state, {:sentence, seq, text})

    emit(
      state,
      [:aybiza_bedrock, :stream, :sentence],
      %{duration: System.monotonic_time() - state.started_mono, seq: seq},
      %{attempt: state.attempt}
    )

    {:continue, %{state | attempt_sentences: state.attempt_sentences ++ [text]}}
  end

  # --- a continuation never repeats a delivered sentence ---

  # A continuation sentence whose key equals the key of a sentence delivered earlier in the
  # call (a model that restarts its answer, or repeats the end of the prefill) is dropped.
  defp repeated?(_text, %{delivered: []}), do: false

  defp repeated?(text, state) do
    key = sentence_key(text)
    key != "" and MapSet.member?(state.delivered_keys, key)
  end

  @doc """
  The key two sentences are compared by when a continuation may repeat what was spoken:
  letters and digits only, lowercased (`"A-P-I key!"` and `"api key"` agree).
  """
  # The comparison key of a sentence: letters and digits only, lowercased. Delivered and
  # continuation sentences come out of the same segmenter, so the voice preset's speech
  # normalization (markdown removed, acronyms spelled "A-P-I") has already been applied to
  # both; the key then ignores case, whitespace and punctuation ("A-P-I" and "API" agree).
  @spec sentence_key(String.t()) :: String.t()
  def sentence_key(text) do
    text |> String.downcase() |> String.replace(~r/[^\p{L}\p{N}]+/u, "")
  end

  # A skipped sentence's text leaves the held deltas too, so a display does not show the
  # restart either (when the held text cannot be matched, it is kept: only speech is
  # guaranteed).
  defp skip_sentence(state, text) do
    held =
      case state.held_text do
        held when is_binary(held) -> drop_through(held, sentence_key(text))
        nil -> nil
      end

    %{state | skipped: state.skipped + 1, held_text: held}
  end

  # `held` after the shortest prefix whose key is `key`; `held` itself if it has none.
  defp drop_through(held, key), do: drop_through(held, key, held)

  defp drop_through(rest, "", _held), do: rest
  defp drop_through("", _key, held), do: held

  defp drop_through(rest, key, held) do
    {char, rest} = String.next_grapheme(rest)

    case sentence_key(char) do
      "" ->
        drop_through(rest, key, held)

      char_key ->
        if String.starts_with?(key, char_key),
          do:
            drop_through(
              rest,
              binary_part(key, byte_size(char_key), byte_size(key) - byte_size(char_key)),
              held
            ),
          else: held
    end
  end

  # The first new sentence of a continuation (or its end) releases the held text deltas.
  defp release_held_text(%{held_text: nil} = state), do: state

  defp release_held_text(%{held_text: held} = state) do
    if String.trim(held) != "", do: forward(state, {:text, held})
    %{state | held_text: nil}
  end

  defp handle_failure(%Error{} = error, state) do
    %{plan: plan} = state
    state = %{state | live?: false}

    error = %{
      error
      | model_id: error.model_id || state.model_id,
        region: error.region || state.region
    }

    if error.reason != :circuit_open do
      if Policy.breaker_failure?(error),
        do: CircuitBreaker.record_failure(state.model_id, state.region, plan.breaker),
        else: CircuitBreaker.release(state.model_id, state.region, plan.breaker)
    end

    entry =
      Accounting.failed(state.attempt, state.model_id, state.region, error, state.attempt_request)

    state = %{state | attempt_costs: state.attempt_costs ++ [entry]}
    {input_tokens, output_tokens} = Accounting.tokens([entry])

    PerformanceMonitor.record(%{
      model_id: state.model_id,
      region: state.region,
      ok?: false,
      error_reason: error.reason,
      cost_nanodollars: Accounting.nanodollars(entry.cost),
      input_tokens: input_tokens,
      output_tokens: output_tokens,
      complexity: plan.complexity
    })

    spoken_now = state.attempt_sentences
    mid_answer? = spoken_now != [] or state.delivered != []

    step =
      if mid_answer? and plan.recovery == false,
        do: {:stop, error},
        else: Policy.next_step(error, attempt_info(state), plan.policy)

    state = %{
      state
      | delivered: state.delivered ++ spoken_now,
        delivered_keys: Enum.into(Enum.map(spoken_now, &sentence_key/1), state.delivered_keys),
        attempt_sentences: [],
        held_text: nil
    }

    state =
      if spoken_now != [],
        do: %{state | pending_recovery: %{after_sentences: length(state.delivered)}},
        else: state

    case step do
      {:retry, delay_ms} ->
        info = %{
          attempt: state.attempt,
          reason: error.reason,
          delay_ms: delay_ms,
          model_id: state.model_id,
          region: state.region
        }

        forward(state, {:retry, info})

        emit(state, [:aybiza_bedrock, :retry], %{delay: delay_ms, attempt: state.attempt}, %{
          reason: error.reason
        })

        log(:info, state, "retrying the same target in #{delay_ms} ms", error,
          aybiza_event: :retry
        )

        wait_ref = make_ref()
        Process.send_after(self(), {:next_attempt, wait_ref}, delay_ms)
        {:continue, %{state | backend_ref: wait_ref}}

      :retry_standard_latency ->
        info = %{
          attempt: state.attempt,
          reason: error.reason,
          delay_ms: 0,
          model_id: state.model_id,
          region: state.region,
          latency: :standard
        }

        forward(state, {:retry, info})

        emit(state, [:aybiza_bedrock, :retry], %{delay: 0, attempt: state.attempt}, %{
          reason: error.reason
        })

        {:continue, start_attempt(%{state | latency_standard?: true})}

      {:fallback, kind, model_id, region} ->
        from = {state.model_id, state.region}

        info = %{
          attempt: state.attempt,
          reason: error.reason,
          kind: kind,
          from: from,
          model_id: model_id,
          region: region
        }

        forward(state, {:fallback, info})

        log(:warning, state, "falling back (#{kind}) to #{model_id} in #{region}", error,
          aybiza_event: :fallback,
          fallback_kind: kind,
          to_model_id: model_id,
          to_region: region
        )

        emit(state, [:aybiza_bedrock, :fallback], %{attempt: state.attempt}, %{
          reason: error.reason,
          kind: kind,
          from_model: state.model_id,
          from_region: state.region,
          model_id: model_id,
          region: region
        })

        state = %{
          state
          | model_id: model_id,
            region: region,
            same_target_tries: 0,
            fallbacks: state.fallbacks ++ [{model_id, region}]
        }

        {:continue, start_attempt(state)}

      {:stop, final} ->
        emit(
          state,
          [:aybiza_bedrock, :stream, :exception],
          %{
            duration: System.monotonic_time() - state.started_mono,
            cost: Accounting.nanodollars(Accounting.total(state.attempt_costs))
          },
          %{reason: final.reason, attempts: state.attempt}
        )

        # A first error that is not retried is the caller's to handle (it is returned); a call
        # that used up retries or fallbacks, or died mid-answer, is an error of the service.
        level =
          if final.reason != :guardrail_intervened and
               (state.attempt > 1 or state.delivered != []),
             do: :error,
             else: :warning

        log(level, state, "call failed after #{state.attempt} attempt(s)", final,
          aybiza_event: :call_failed
        )

        # Whatever the cause, a live caller must not be left in silence; a guardrail that
        # intervened has had its blocked message spoken when one was streamed.
        spoken_guardrail_message? =
          final.reason == :guardrail_intervened and state.delivered != []

        if plan.fallback_line && not spoken_guardrail_message?,
          do: forward(state, {:fallback_line, plan.fallback_line})

        final =
          if state.delivered != [],
            do: %{final | phase: :mid_stream, delivered: delivered_info(state)},
            else: final

        # Attempts Bedrock billed (they generated something) are in the terminal's cost.
        final =
          if state.delivered != [] or Enum.any?(state.attempt_costs, &(&1.cost != nil)),
            do: %{
              final
              | delivered:
                  Map.merge(delivered_info(state), %{
                    cost: Accounting.total(state.attempt_costs),
                    attempt_costs: state.attempt_costs
                  })
            },
            else: final

        terminal(state, {:error, final})
        :finished
    end
  end

  defp attempt_info(state) do
    %{
      model_id: state.model_id,
      region: state.region,
      attempt: state.attempt,
      same_target_tries: state.same_target_tries,
      tried: state.tried,
      latency_optimized?:
        not state.latency_standard? and
          latency_optimized?(plain_request(state))
    }
  end

  defp latency_optimized?(request) do
    case Map.get(request, :performance_config) do
      %{latency: latency} -> latency in [:optimized, "optimized"]
      _ -> false
    end
  end

  # Announced on the first event of the continuation attempt, so the caller knows the
  # following sentences continue the answer.
  defp maybe_announce_recovery(%{pending_recovery: nil} = state), do: state

  defp maybe_announce_recovery(%{pending_recovery: pending} = state) do
    mode = continuation_mode(state.model_id, plain_request(state), state.plan.recovery)

    info =
      Map.merge(pending, %{
        mode: mode,
        model_id: state.model_id,
        region: state.region,
        attempt: state.attempt
      })

    forward(state, {:recovered, info})

    delivered_chars = state.delivered |> Enum.map(&String.length/1) |> Enum.sum()

    emit(
      state,
      [:aybiza_bedrock, :recovery],
      %{delivered_sentences: pending.after_sentences, delivered_chars: delivered_chars},
      %{mode: mode}
    )

    %{state | pending_recovery: nil, recoveries: state.recoveries ++ [info]}
  end

  defp finish_summary(summary, state) do
    summary = if is_map(summary), do: summary, else: %{}
    recovered? = state.recoveries != []

    summary =
      if state.delivered != [] do
        # What the caller heard: the delivered sentences and the continuation's new ones
        # (a continuation's repeats are not part of the answer).
        text = Enum.join(state.delivered ++ state.attempt_sentences, " ")

        Map.merge(summary, %{
          text: text,
          sentences: length(state.delivered) + length(state.attempt_sentences),
          skipped_sentences: state.skipped,
          content: recovered_content(Map.get(summary, :content), text)
        })
      else
        summary
      end

    # Bedrock bills every attempt: the cost is their sum, with the breakdown beside it.
    cost =
      if length(state.attempt_costs) > 1,
        do: Accounting.total(state.attempt_costs),
        else: Map.get(summary, :cost)

    Map.merge(summary, %{
      model_id: Map.get(summary, :model_id) || state.model_id,
      region: Map.get(summary, :region) || state.region,
      cost: cost,
      attempt_costs: state.attempt_costs,
      attempts: state.attempt,
      fallbacks: state.fallbacks,
      recovered?: recovered?,
      recoveries: state.recoveries
    })
  end

  # A cancel (by the caller or by the receiver's exit): the live attempt stopped, its
  # breaker slot released, its estimated cost accounted and the span closed as a cancel.
  defp stop_cancelled(%{plan: plan} = state) do
    if state.live?, do: plan.backend.cancel(state.backend_ref)
    release(state)
    {state, cost} = account_cancel(state)

    emit(
      state,
      [:aybiza_bedrock, :stream, :exception],
      %{
        duration: System.monotonic_time() - state.started_mono,
        cost: Accounting.nanodollars(cost)
      },
      %{reason: :cancelled, attempts: state.attempt}
    )

    {state, cost}
  end

  # The cancelled attempt's entry (estimated: output from the text generated so far) and
  # the call's total; the monitor gets the attempt's row, marked as a cancel.
  defp account_cancel(state) do
    # A call waiting for its next attempt has recorded the failed one already.
    state =
      if state.live? do
        entry =
          Accounting.cancelled(
            state.attempt,
            state.model_id,
            state.region,
            state.attempt_request,
            state.attempt_text
          )

        {input_tokens, output_tokens} = Accounting.tokens([entry])

        PerformanceMonitor.record(%{
          model_id: state.model_id,
          region: state.region,
          cancelled?: true,
          cost_nanodollars: Accounting.nanodollars(entry.cost),
          input_tokens: input_tokens,
          output_tokens: output_tokens,
          complexity: state.plan.complexity
        })

        %{state | attempt_costs: state.attempt_costs ++ [entry]}
      else
        state
      end

    {state, Accounting.total(state.attempt_costs)}
  end

  # The continuation's content blocks (string keys, as the engine sends them) with the text of
  # the whole answer in place of its first text block: tool-use and reasoning blocks are
  # kept where they are, so the message can be sent back on the next turn.
  defp recovered_content(content, text) when is_list(content) do
    {blocks, placed?} =
      Enum.flat_map_reduce(content, false, fn
        %{"text" => _}, true -> {[], true}
        %{"text" => _}, false -> {[%{"text" => text}], true}
        block, placed? -> {[block], placed?}
      end)

    if placed?, do: blocks, else: [%{"text" => text} | blocks]
  end

  defp recovered_content(_content, text), do: [%{"text" => text}]

  defp delivered_info(state) do
    text = Enum.join(state.delivered, " ")
    %{chars: String.length(text), sentences: length(state.delivered), text: text}
  end

  defp release(state) do
    if state.live?, do: CircuitBreaker.release(state.model_id, state.region, state.plan.breaker)
  end

  defp cost_nanodollars(summary) do
    case Map.get(summary, :cost) do
      %{nanodollars: n} when is_integer(n) -> n
      n when is_integer(n) -> n
      _ -> 0
    end
  end

  defp timing_ms(summary, key) do
    case summary do
      %{timings: %{^key => us}} when is_integer(us) -> div(us, 1000)
      _ -> nil
    end
  end

  defp forward(%{plan: plan}, event), do: send(plan.to, {:aybiza_bedrock, plan.ref, event})

  # The terminal goes through the guard (see "The relay"), or straight to the receiver when
  # the guard is gone. `:none`: the receiver is gone, the guard only stops.
  defp terminal(%{guard: guard, plan: plan}, event) do
    if is_pid(guard) and Process.alive?(guard) do
      send(guard, {:terminal, self(), event})
    else
      if event != :none, do: send(plan.to, {:aybiza_bedrock, plan.ref, event})
    end

    :ok
  end

  # Log lines carry ids, atoms and counts only: never an error message (it may quote the
  # model's or the caller's text) nor any option (backend options hold credentials).
  defp log(level, state, text, %Error{reason: reason}, metadata) do
    delivered = length(state.delivered)

    text =
      if delivered > 0,
        do: "#{text} (mid-answer recovery after #{delivered} spoken sentence(s))",
        else: text

    Logger.log(
      level,
      fn -> "aybiza_bedrock: #{state.model_id} in #{state.region}: #{reason}: #{text}" end,
      [
        model_id: state.model_id,
        region: state.region,
        reason: reason,
        attempt: state.attempt,
        delivered_sentences: delivered,
        call_id: state.plan.metadata[:call_id]
      ] ++ metadata
    )
  end

  defp emit(state, event, measurements, extra_metadata) do
    metadata = Map.merge(%{model_id: state.model_id, region: state.region}, state.plan.metadata)
    Telemetry.execute(event, measurements, Map.merge(metadata, extra_metadata))
  end
end
