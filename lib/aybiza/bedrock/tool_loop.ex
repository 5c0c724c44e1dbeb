defmodule Aybiza.Bedrock.ToolLoop do
  @moduledoc """
  The automatic tool loop: call the model, run every tool use of the turn in parallel,
  send the results back, and continue until the model answers without tools (at most
  `:max_rounds` model calls, 10 by default).

  ## Streaming

      {:ok, ref} = Aybiza.Bedrock.ToolLoop.stream(request, tools)

  The receiver (the caller, or `to: pid`) gets `{:aybiza_bedrock, ref, event}` messages:
  every event of `Aybiza.Bedrock.stream/2` as the engine sends it (`{:text, _}`,
  `{:sentence, seq, text}`, `:thinking_started`, `{:thinking, _}`, `{:tool_use, _}`,
  `{:usage, _}`, ...) except the per-round terminal, plus the loop's own events:

    * `{:round, n}` - round `n` (from 1) starts: one model call.
    * `{:tool_acknowledgment, text}` - something to say while the round's tools run
      (see `Aybiza.Bedrock.ToolAcknowledgment`), sent before any tool starts.
    * `{:tool_call, %{id: id, name: name, input: map, round: n}}` - a tool is about to run.
    * `{:tool_result, %{id: id, name: name, status: :success | :error, content: blocks,
      error: reason | nil, round: n, duration_ms: ms}}` - a tool finished, in completion
      order (tools run in parallel).

  Sentence numbers keep increasing across rounds (the second round's first sentence
  follows the first round's last), so a TTS queue can order them. The stream ends with
  exactly one terminal message:

    * `{:done, result}` - see "Result" below;
    * `{:error, %Aybiza.Error{}}` - a model call failed, the model still asked for tools
      after `:max_rounds` rounds (`reason: :max_rounds`), the loop was cancelled
      (`reason: :cancelled`) or its process died (`reason: :internal`).

  The streaming loop is a turn of the one turn path, `Aybiza.Bedrock.Turn.Rounds` (the one
  `Aybiza.AWS.BedrockClient.generate_response/3` runs for `%Tool{}` tools): every model
  round is a call of the relay `Aybiza.Bedrock.Turn.Relay`, so a throttled or failing round
  gets the failure policy (retries, fallbacks along the model's chain, circuit breakers),
  mid-stream recovery, telemetry spans and performance-monitor rows; the receiver also
  sees `{:retry, _}`, `{:fallback, _}` and `{:recovered, _}` events. `:message_start` and
  `{:first_token, us}` come once per loop. The region is the backend options' `:region`
  (else the configured one).

  `cancel/1` stops the loop (its current model call included, or the running tools); the
  terminal is then `{:error, %Aybiza.Error{reason: :cancelled}}` (with the estimated cost
  in `delivered.cost`) and nothing follows it. The loop also stops when the receiver
  exits. If the loop process itself dies (a bug, or `Process.exit/2`), a guard process
  sends `{:error, %Aybiza.Error{reason: :internal}}` in place of its terminal, so the
  receiver is never left waiting; a tool that crashes, exits, kills itself or returns a
  value that is not JSON only fails its own call (`status: :error`).

  ## Non-streaming

      {:ok, result} = Aybiza.Bedrock.ToolLoop.run(request, tools, on_event: &speak_ack/1)

  Runs the streaming loop above and collects it in the calling process, so its rounds get
  the same retries, fallbacks, breakers, recovery, telemetry spans (`:stream?` is `false`
  in their metadata) and monitor rows; `:on_event` is called with the loop's events
  (`{:round, n}`, `{:tool_acknowledgment, text}`, `{:tool_call, _}`, `{:tool_result, _}`).
  If `:on_event` raises, the loop is cancelled before the exception propagates.

  ## Result

  The last model call's summary (`:stop_reason`, `:content`, `:model_id`, ...) with:
  `:text` (everything the model said over all rounds, joined), `:final_text` (the last
  round's text), `:rounds`, `:tool_calls` (every call with its `:status`, `:content`,
  `:error`), `:usage` summed over the rounds, `:cost` summed over every attempt of every
  round (Bedrock bills failed and retried attempts too) with the breakdown in
  `:attempt_costs`, `:fallbacks` (the `{model_id, region}` targets fallen back to),
  `:recovered?`, `:sentences` (total),
  `:messages` (the whole conversation, ready for the next turn) and `:new_messages` (what
  this loop added: assistant turns with their tool uses and reasoning signatures, the
  tool results, and the final answer; store them with
  `Aybiza.Bedrock.ConversationMemory.remember_all/2`).

  ## Options

    * `:backend` - an `Aybiza.Bedrock.Backend` (default: `config :aybiza_bedrock,
      :backend`, then `Aybiza.Bedrock.Backend.Native`).
    * `:backend_opts` - options passed to the backend's `stream/2` (client
      options, `:sentences`, ...).
    * `:to` - receiver pid (streaming; default the caller).
    * `:max_rounds` - model calls at most (default 10).
    * `:max_concurrency` - tools running at once (default 8).
    * `:tool_choice` - `:auto` (default), `:any`, `{:tool, name}` or a name. A forced
      choice applies to the first round only; later rounds use `:auto` so the model can
      answer.
    * `:acknowledge` - `:when_silent` (default: only when the model said nothing before its
      tool uses in that round, so the library's filler is never spoken on top of the
      model's own preface), `true` (always), `false`, or a function `(tool_uses, tools) ->
      String.t() | nil`.
    * `:thinking` - `nil` (default), a thinking budget in tokens (see
      `Aybiza.Bedrock.Thinking.enable/3`), or `:auto`: when the model supports thinking and
      `Aybiza.Bedrock.Thinking.should_use?/2` says so for the last user text (with
      `:context` as its context map), thinking is enabled with the design's 3000-token
      budget, `max_tokens` raised to fit it and temperature/top_p/top_k removed.
    * `:cache` - `false` (default), `true` or options of
      `Aybiza.Bedrock.PromptCache.add_cache_points/2`, applied to every round.
    * `:context` - any term handed to tools in their context map (`:context`).
    * `:on_event` - (`run/3`) a 1-arity function called with the loop's events.
    * `:stream` - (`run/3`) accepted for compatibility; `run/3` always collects the
      streaming loop (it used `converse/2` per round before, outside the resilience layer).
  """

  alias Aybiza.Error
  alias Aybiza.Bedrock.{PromptCache, Thinking, Tool}
  alias Aybiza.Bedrock.Turn.ToolRound
  import Thinking, only: [get: 3, delete: 2]

  @opts [
    backend: nil,
    backend_opts: [],
    to: nil,
    max_rounds: 10,
    max_concurrency: 8,
    tool_choice: :auto,
    acknowledge: :when_silent,
    thinking: nil,
    cache: false,
    context: nil,
    on_event: nil,
    stream: false
  ]

  # The design's thinking budget for voice turns (thinking: :auto).
  @auto_budget 3000

  @typedoc "A loop handle; events are `{:aybiza_bedrock, ref, event}`."
  @type ref :: reference()

  @typedoc "The loop's own events (in addition to the engine's)."
  @type event ::
          {:round, pos_integer()}
          | {:tool_acknowledgment, String.t()}
          | {:tool_call, map()}
          | {:tool_result, map()}
          | Aybiza.Bedrock.event()

  @doc """
  Starts the streaming loop and returns `{:ok, ref}` at once (see the module docs for the
  events). Bad tools, options or a bad thinking setup return `{:error, %Aybiza.Error{}}`
  before any call; programmer mistakes in options raise `ArgumentError`.
  """
  @spec stream(map(), [Tool.t()], keyword()) :: {:ok, ref()} | {:error, Error.t()}
  def stream(request, tools, opts \\ [])

  def stream(request, tools, opts) when is_map(request) and is_list(tools) and is_list(opts) do
    opts = validate_opts!(opts)
    to = opts[:to] || self()

    with {:ok, state} <- prepare(request, tools, opts) do
      start_turn(state, to, opts, true)
    end
  end

  def stream(request, tools, opts), do: bad_arguments!(request, tools, opts)

  # The streaming loop is a turn of the one turn path (`Aybiza.Bedrock.Turn.Rounds`): every
  # model round a call of the relay, with breakers, the failure policy (retries, fallbacks)
  # and mid-stream recovery, telemetry spans and monitor rows.
  defp start_turn(state, to, opts, stream?) do
    request = state.request
    model_id = get(request, :model_id, nil)
    backend_opts = Keyword.delete(state.backend_opts, :to)
    region = backend_opts[:region] || default_region(backend_opts)
    cache = opts[:cache]

    base = delete(request, :model_id)

    allowed? = fn model, region -> Aybiza.Bedrock.CircuitBreaker.allowed?(model, region, []) end

    turn = %{
      ref: make_ref(),
      to: to,
      backend: state.backend,
      backend_opts: backend_opts,
      model_id: model_id,
      region: region,
      build_request: fn model -> {:ok, Map.put(base, :model_id, model)} end,
      # Cache points are placed per round: the stable history grows every round.
      prepare_round: &cache(&1, cache),
      policy: Aybiza.Bedrock.Turn.Policy.options!(allowed?: allowed?),
      breaker: [],
      recovery: true,
      fallback_line: nil,
      sentences: Keyword.get(backend_opts, :sentences, true),
      complexity: nil,
      metadata: %{call_id: nil, tenant_id: nil, stream?: stream?},
      tools: state.tools,
      max_rounds: state.max_rounds,
      max_concurrency: state.max_concurrency,
      acknowledge: state.acknowledge,
      tool_context: state.context,
      memory: nil,
      user_message: nil,
      initial_messages: get(request, :messages, [])
    }

    {:ok, pid} = Aybiza.Bedrock.Turn.Rounds.start(turn)
    # The turn's process, for callers that watch it; entries of finished turns are pruned.
    prune_finished()
    Process.put({__MODULE__, turn.ref}, pid)
    {:ok, turn.ref}
  end

  defp default_region(backend_opts) do
    case Aybiza.Bedrock.Config.client_config(
           Keyword.take(backend_opts, Aybiza.Bedrock.Config.client_option_names())
         ) do
      {:ok, config} -> config.region
      {:error, _} -> "us-east-1"
    end
  end

  @doc """
  Runs the loop to its end and returns `{:ok, result}` (see "Result"). It is the streaming
  loop collected in the calling process (the one turn path, so every round gets retries,
  fallbacks, breakers, mid-stream recovery, telemetry spans and monitor rows); `:on_event`
  is called in the caller with the loop's events. `stream: true` is accepted and means
  the same.
  """
  @spec run(map(), [Tool.t()], keyword()) :: {:ok, map()} | {:error, Error.t()}
  def run(request, tools, opts \\ [])

  def run(request, tools, opts) when is_map(request) and is_list(tools) and is_list(opts) do
    opts = validate_opts!(opts)

    with {:ok, state} <- prepare(request, tools, opts),
         {:ok, ref} <- start_turn(state, self(), opts, false) do
      collect_or_cancel(ref, opts[:on_event])
    end
  end

  def run(request, tools, opts), do: bad_arguments!(request, tools, opts)

  # Instead of a FunctionClauseError, whose report prints every argument (the backend's
  # options, credentials included): the first wrong argument, by type only.
  defp bad_arguments!(request, tools, opts) do
    describe = &Aybiza.Bedrock.Options.describe/1

    cond do
      not is_map(request) ->
        raise ArgumentError, "the request must be a map, got #{describe.(request)}"

      not is_list(tools) ->
        raise ArgumentError,
              "tools must be a list of Aybiza.Bedrock.Tool, got #{describe.(tools)}"

      true ->
        Aybiza.Bedrock.Options.keyword!(opts)
    end
  end

  # An `:on_event` that raises (or an exit in the caller) must not leave the turn running
  # and sending to this process: it is cancelled and its messages dropped first.
  defp collect_or_cancel(ref, on_event) do
    collect(ref, on_event)
  catch
    kind, reason ->
      cancel(ref)
      Aybiza.Bedrock.flush(ref)
      :erlang.raise(kind, reason, __STACKTRACE__)
  end

  @doc "Like `run/3` but raises `Aybiza.Error`."
  @spec run!(map(), [Tool.t()], keyword()) :: map()
  def run!(request, tools, opts \\ []) do
    case run(request, tools, opts) do
      {:ok, result} -> result
      {:error, error} -> raise error
    end
  end

  @doc """
  Cancels a streaming loop; its one terminal is then `{:error, %Aybiza.Error{reason:
  :cancelled}}`. Idempotent. Returns once the loop has stopped, with that terminal already
  in the receiver's mailbox and no further message of `ref` to follow (see
  `Aybiza.Bedrock.flush/1` to drop what is there), from any process. Running tools are
  stopped; no model call starts after a cancel.
  """
  @spec cancel(ref()) :: :ok
  def cancel(ref) when is_reference(ref) do
    case Aybiza.Bedrock.Turn.Relay.lookup(ref) do
      # Not running (finished, or an unknown ref): nothing to do.
      nil ->
        Process.delete({__MODULE__, ref})
        :ok

      _turn ->
        Process.delete({__MODULE__, ref})
        Aybiza.Bedrock.Turn.Relay.cancel(ref)
    end
  end

  defp prune_finished do
    for {{__MODULE__, ref} = key, pid} when is_reference(ref) <- Process.get(),
        not Process.alive?(pid) do
      Process.delete(key)
    end

    :ok
  end

  # --- setup -------------------------------------------------------------------------

  defp validate_opts!(opts) do
    opts =
      opts
      |> Aybiza.Bedrock.Options.validate!(@opts, "ToolLoop option")
      |> Keyword.update!(:backend_opts, &Aybiza.Bedrock.Config.seal_credentials/1)

    check!(opts, :backend, &(is_nil(&1) or is_atom(&1)), "a module")
    check!(opts, :backend_opts, &is_list/1, "a keyword list")
    check!(opts, :to, &(is_nil(&1) or is_pid(&1)), "a pid")
    check!(opts, :max_rounds, &(is_integer(&1) and &1 > 0), "a positive integer")
    check!(opts, :max_concurrency, &(is_integer(&1) and &1 > 0), "a positive integer")

    check!(
      opts,
      :acknowledge,
      &(is_boolean(&1) or &1 == :when_silent or is_function(&1, 2)),
      "a boolean, :when_silent or a 2-arity function"
    )

    check!(
      opts,
      :thinking,
      &(is_nil(&1) or is_integer(&1) or &1 == :auto),
      "nil, :auto or an integer budget"
    )

    check!(opts, :cache, &(is_boolean(&1) or is_list(&1)), "a boolean or a keyword list")
    check!(opts, :on_event, &(is_nil(&1) or is_function(&1, 1)), "a 1-arity function")
    check!(opts, :stream, &is_boolean/1, "a boolean")
    opts
  end

  # Converse refuses two turns of the same role in a row: the caller's history is merged
  # before the first round (later rounds append assistant + user pairs).
  defp merge_same_roles(request) when is_map(request) do
    case get(request, :messages, nil) do
      messages when is_list(messages) ->
        request
        |> delete(:messages)
        |> Map.put(:messages, Aybiza.Bedrock.ConversationMemory.merge_same_roles(messages))

      _ ->
        request
    end
  end

  defp merge_same_roles(request), do: request

  defp check!(opts, key, fun, what) do
    unless fun.(opts[key]) do
      # Backend options hold client options (credentials): described, never printed.
      shown =
        if key == :backend_opts,
          do: Aybiza.Bedrock.Options.describe(opts[key]),
          else: Aybiza.Bedrock.Options.shown(opts[key])

      raise ArgumentError, "#{inspect(key)} must be #{what}, got: #{shown}"
    end
  end

  defp prepare(request, tools, opts) do
    request = merge_same_roles(request)

    with :ok <- check_tools(tools),
         {:ok, request} <- put_tools(request, tools, opts[:tool_choice]),
         {:ok, request} <- put_thinking(request, opts[:thinking], opts[:context]),
         {:ok, _} <- Thinking.validate(request),
         {:ok, _} <- cache(request, opts[:cache]) do
      {:ok,
       %{
         backend:
           opts[:backend] ||
             Application.get_env(:aybiza_bedrock, :backend, Aybiza.Bedrock.Backend.Native),
         backend_opts: opts[:backend_opts],
         request: request,
         tools: tools,
         max_rounds: opts[:max_rounds],
         max_concurrency: opts[:max_concurrency],
         acknowledge: opts[:acknowledge],
         context: opts[:context]
       }}
    end
  end

  defp check_tools(tools) do
    case ToolRound.check_tools(tools) do
      :ok -> :ok
      {:error, message} -> {:error, Error.new(:invalid_request, message)}
    end
  end

  defp put_tools(request, [], _choice), do: {:ok, request}

  defp put_tools(request, tools, choice) do
    config = Tool.tool_config(tools, tool_choice: choice)
    {:ok, request |> delete(:tool_config) |> Map.put(:tool_config, config)}
  end

  defp put_thinking(request, nil, _context), do: {:ok, request}

  # The design's heuristic decides; the request is adapted to what thinking requires.
  defp put_thinking(request, :auto, context) do
    text = last_user_text(request)
    context = if is_map(context), do: context, else: %{}

    if Thinking.supported?(get(request, :model_id, nil)) and Thinking.should_use?(text, context) do
      Thinking.enable(Thinking.fit_max_tokens(request, @auto_budget), @auto_budget,
        drop_sampling: true
      )
    else
      {:ok, request}
    end
  end

  defp put_thinking(request, budget, _context), do: Thinking.enable(request, budget)

  defp last_user_text(request) do
    request
    |> get(:messages, [])
    |> Enum.filter(&(get(&1, :role, nil) in [:user, "user"]))
    |> List.last()
    |> case do
      nil ->
        ""

      message ->
        case get(message, :content, []) do
          text when is_binary(text) ->
            text

          blocks ->
            blocks
            |> Enum.map(&(is_map(&1) && get(&1, :text, nil)))
            |> Enum.filter(&is_binary/1)
            |> Enum.join(" ")
        end
    end
  end

  defp cache(request, false), do: {:ok, request}
  defp cache(request, true), do: PromptCache.add_cache_points(request)
  defp cache(request, opts), do: PromptCache.add_cache_points(request, opts)

  @loop_events [:round, :tool_acknowledgment, :tool_call, :tool_result]

  defp collect(ref, on_event) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, result}} ->
        Process.delete({__MODULE__, ref})
        {:ok, result}

      {:aybiza_bedrock, ^ref, {:error, error}} ->
        Process.delete({__MODULE__, ref})
        {:error, error}

      {:aybiza_bedrock, ^ref, {tag, _} = event} when tag in @loop_events ->
        if on_event, do: on_event.(event)
        collect(ref, on_event)

      {:aybiza_bedrock, ^ref, _event} ->
        collect(ref, on_event)
    end
  end

  @doc false
  # Tool uses of an assistant message (engine summaries use atom keys; tolerate JSON ones).
  @spec tool_uses(map()) :: [%{id: String.t(), name: String.t(), input: map()}]
  defdelegate tool_uses(summary), to: ToolRound
end
