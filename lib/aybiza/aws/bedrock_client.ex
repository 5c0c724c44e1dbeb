defmodule Aybiza.AWS.BedrockClient do
  @moduledoc """
  The Bedrock client of a voice app: `generate_response/3` picks the region and the model,
  builds the Converse request, starts the call and applies the failure policy.

  It is a GenServer (started by `Aybiza.Bedrock.Application`) only to own its settings:
  it publishes them to `:persistent_term`, and `generate_response/3` reads them there and
  never calls the process. Each call runs in its own relay process (see
  `Aybiza.Bedrock.Turn.Relay`) that sends the events straight to the caller, so 1,000
  concurrent calls never queue on one mailbox, and a crash or restart of this GenServer
  does not touch calls in flight.

  ## A turn

      {:ok, ref} =
        Aybiza.AWS.BedrockClient.generate_response("When do you open tomorrow?", %{
          system_prompt: "You are the voice agent of Acme Dental.",
          conversation_history: [],
          cloudflare_country: "GB",
          call_id: "c-42"
        })

      receive do
        {:aybiza_bedrock, ^ref, {:sentence, _seq, text}} -> speak(text)
      end

  The message protocol is the one of `Aybiza.Bedrock.stream/2` plus the events of
  `Aybiza.Bedrock.Turn.Relay` (`{:retry, _}`, `{:fallback, _}`, `{:recovered, _}`,
  `{:fallback_line, _}`), ending with exactly one `{:done, summary}` or `{:error, error}`.
  See `docs/CLIENT.md`.
  """
  use GenServer

  alias Aybiza.Error

  alias Aybiza.Bedrock.{
    CircuitBreaker,
    Config,
    Options,
    PerformanceMonitor,
    Tool
  }

  # The turn's steps, in order: see Aybiza.Bedrock.Turn.
  alias Aybiza.Bedrock.Turn.{Memory, Policy, Relay, Request, Rounds, Routing, ToolRound}

  @settings_key {__MODULE__, :settings}
  # update_settings/2 changes, applied again when the client restarts.
  @runtime_changes_key {__MODULE__, :runtime_changes}

  # Used when routing's choices are all excluded by the configured `:models`: the design's
  # Sonnet choice, today's Active Sonnet (Sonnet 4 is Legacy on Bedrock). Profile-only, so
  # calls go through the region's profile.
  @default_model "anthropic.claude-sonnet-4-6"

  @default_fallback_line "I'm sorry, I'm having trouble right now. Could you give me a moment and ask again?"

  @option_defaults [
    stream: true,
    to: nil,
    model_id: nil,
    region: nil,
    max_latency: 500,
    cost_optimize: nil,
    extended_thinking: false,
    thinking_budget: 3_000,
    temperature: 0.3,
    top_p: 0.9,
    top_k: 250,
    max_tokens: nil,
    tool_choice: :auto,
    latency: :standard,
    sentences: :voice,
    backend: nil,
    client_opts: [],
    api: :auto,
    messages_endpoint: :runtime,
    fallback_line: nil,
    recovery: nil,
    policy: [],
    breaker: [],
    admission: nil,
    call_id: nil,
    tenant_id: nil,
    timeout: 120_000,
    memory: nil,
    memory_opts: [],
    cache: false,
    guardrail: nil,
    max_rounds: 10,
    max_concurrency: 8,
    acknowledge: :when_silent,
    tool_context: nil
  ]

  # Bedrock's GuardrailStreamConfiguration / GuardrailConfiguration, per
  # https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_GuardrailStreamConfiguration.html
  # (identifier: up to 2,048 chars, an id or a guardrail ARN; version: 1-99999999 or DRAFT;
  # trace: enabled | disabled | enabled_full; streamProcessingMode: sync | async).
  @guardrail_id ~r/\A(?:[a-z0-9]+|arn:aws(?:-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:guardrail\/[a-z0-9]+)\z/
  @guardrail_version ~r/\A(?:[1-9][0-9]{0,7}|DRAFT)\z/

  @setting_keys [
    :region,
    :fallback_region,
    :default_model,
    :models,
    :latency_threshold_ms,
    :extended_thinking_threshold,
    :cost_optimization_enabled,
    :fallback_line,
    :recovery,
    :backend
  ]

  # --- the process ---

  @doc false
  # The default child spec keeps the options as given in `start`, which a supervisor prints
  # ("Start Call") whenever the client crashes or fails to start: the backend's credentials
  # are sealed here already.
  def child_spec(opts) do
    opts =
      if Keyword.keyword?(opts) and Keyword.has_key?(opts, :backend),
        do: Keyword.update!(opts, :backend, &seal_backend/1),
        else: opts

    %{id: __MODULE__, start: {__MODULE__, :start_link, [opts]}}
  end

  @doc """
  Starts the client. Options override the application environment for the settings
  (`:region`, `:fallback_region`, `:default_model`, `:models`, `:latency_threshold_ms`,
  `:extended_thinking_threshold`, `:cost_optimization_enabled`, `:fallback_line`,
  `:recovery`, `:backend`), plus `:name`.
  """
  @spec start_link(keyword()) :: GenServer.on_start()
  def start_link(opts \\ []) do
    {name, opts} = opts |> Options.keyword!() |> Keyword.pop(:name, __MODULE__)
    opts = Options.validate!(opts, @setting_keys, "BedrockClient setting")
    GenServer.start_link(__MODULE__, opts, name: name)
  end

  @doc "The settings in force (read from `:persistent_term`, no process call)."
  @spec settings() :: map()
  def settings, do: :persistent_term.get(@settings_key, nil) || resolve_settings([])

  @doc """
  Changes settings at runtime (e.g. a new fallback region); returns the new settings.

  The changes outlive a restart of the client process (they are kept apart from the
  process and applied again over the configured settings when it starts), but not a
  restart of the application, which starts from its configuration again.
  """
  @spec update_settings(keyword(), GenServer.server()) :: map()
  def update_settings(changes, server \\ __MODULE__) do
    changes = Options.validate!(changes, @setting_keys, "BedrockClient setting")
    # Validated in the caller: a bad value raises here instead of crashing the client.
    GenServer.call(server, {:update_settings, validate_settings!(Map.new(changes))})
  end

  @doc false
  # Called by Aybiza.Bedrock.Application before the tree starts: a fresh application starts
  # from its configuration.
  @spec forget_runtime_changes() :: :ok
  def forget_runtime_changes do
    :persistent_term.erase(@runtime_changes_key)
    :ok
  end

  @impl true
  def init(overrides) do
    # Runtime changes win over the configuration, as they did before the restart.
    changes = :persistent_term.get(@runtime_changes_key, %{})
    {:ok, publish(Map.merge(resolve_settings(overrides), changes))}
  end

  @impl true
  def handle_call({:update_settings, changes}, _from, settings) do
    # Rare (an operator's change), so the cost of a :persistent_term update is fine here.
    all_changes = Map.merge(:persistent_term.get(@runtime_changes_key, %{}), changes)
    :persistent_term.put(@runtime_changes_key, all_changes)
    settings = publish(Map.merge(settings, changes))
    {:reply, settings, settings}
  end

  # Crash reports and :sys.get_status/1 (OTP 25+): a backend's options may hold client
  # options; they are sealed already (see validate_settings!/1), and are left out here too.
  @doc false
  def format_status(status) do
    Map.new(status, fn
      {:state, %{} = settings} ->
        {:state, redact_settings(settings)}

      {:message, {:update_settings, changes}} ->
        {:message, {:update_settings, redact_settings(changes)}}

      other ->
        other
    end)
  end

  defp redact_settings(%{backend: {module, _opts}} = settings),
    do: %{settings | backend: {module, :redacted}}

  defp redact_settings(settings), do: settings

  # --- the public API ---

  @doc """
  Generates the answer to `prompt` (the caller's words) in `context`.

  `context` (map): `:system_prompt` (or `:agent_type` for a built-in prompt of
  `Aybiza.Bedrock.VoicePrompts`), `:conversation_history` (Converse messages),
  `:tools` (`%Aybiza.Bedrock.Tool{}` structs, which the turn runs, or raw Converse tool
  specs, which are only sent), `:attachments` (image/document blocks of
  `Aybiza.Bedrock.Media`, before the caller's words), `:cloudflare_country` (ISO code:
  picks the region), `:call_id`, `:tenant_id`, `:requires_tools`.

  A turn with `%Tool{}` tools or `:memory` runs in `Aybiza.Bedrock.Turn.Rounds`: every model
  round is a call of the relay (`Aybiza.Bedrock.Turn.Relay`, with the whole failure policy),
  the tools run between rounds; see `docs/CLIENT.md` "Tool turns".

  Options (keyword list or map):

    * `:stream` - `true` (default): returns `{:ok, ref}` and the events go to `:to`
      (default the caller). `false`: waits and returns `{:ok, summary}`.
    * `:model_id` / `:region` - force a model / region instead of choosing one.
    * `:max_latency` - latency budget in ms (default 500); `:cost_optimize` - prefer
      cheaper models (default: the `COST_OPTIMIZATION_ENABLED` setting).
    * `:extended_thinking` - `true` to think when the model supports it, `:auto` to let
      `Aybiza.Bedrock.Text.should_use_extended_thinking?/2` decide; `:thinking_budget`.
    * `:temperature` (0.3), `:top_p` (0.9), `:top_k` (250), `:max_tokens` (per model),
      `:tool_choice` (`:auto`), `:latency` (`:standard` or `:optimized`).
    * `:sentences` - as for `Aybiza.Bedrock.stream/2`; default `:voice`, the voice preset of
      `Aybiza.Bedrock.Text` (first clause released early, clause cut at 250 characters, every
      piece normalized for speech).
    * `:backend` - a module implementing `Aybiza.Bedrock.Backend` or `{module, opts}`.
    * `:client_opts` - client options of `Aybiza.Bedrock` (`:timeouts`, `:endpoint`, ...).
    * `:api` - `:auto` (default: the catalog's transport for the model, e.g. the Anthropic
      Messages API over SSE for Claude Opus 4.7), `:converse` or `:messages`;
      `:messages_endpoint` - `:runtime` (default) or `:mantle`. See
      `Aybiza.Bedrock.MessagesApi`.
    * `:fallback_line` - `true` (the default line), a string, or `nil`/`false` (none).
    * `:recovery` - mid-stream recovery: `true` (default), `false`, `:prefill`, `:instruction`.
    * `:policy` - options of `Aybiza.Bedrock.Turn.Policy.options!/1`; `:breaker` - options of
      `Aybiza.Bedrock.CircuitBreaker`; `:admission` - options of
      `Aybiza.Bedrock.Cluster.Admission` (quota-aware admission), `false` to skip it.
    * `:call_id`, `:tenant_id` - telemetry metadata (default from `context`).
    * `:timeout` - with `stream: false`, how long to wait (default 120_000 ms).
    * `:memory` - a `Aybiza.Bedrock.ConversationMemory` call id: its window goes before
      the history and the turn is remembered when it completes (`:memory_opts`: options of
      `ConversationMemory.build_messages_with_memory/3`). An unknown id starts anew.
    * `:cache` - `false` (default), `true` or `Aybiza.Bedrock.PromptCache` options: cache
      points after the system prompt and the tools, above the catalog's minimum.
    * `:guardrail` - `[id:, version:, trace:, stream_processing_mode:]`, validated, sent as
      `guardrailConfig`.
    * `:max_rounds` (10), `:max_concurrency` (8), `:acknowledge` (`:when_silent`, `true`,
      `false` or a function), `:tool_context` - for tool turns.

  Returns `{:error, %Aybiza.Error{}}` before any network when the turn cannot be planned:
  a model id the catalog does not know (`:unknown_model`), no reachable model for the
  requirements (routing's `:invalid_request` / `:service_unavailable`), an unknown
  `:agent_type` (`:invalid_request`). Invalid options raise `ArgumentError`.
  """
  @spec generate_response(String.t(), map(), keyword() | map()) ::
          {:ok, reference()} | {:ok, map()} | {:error, Error.t()}
  def generate_response(prompt, context \\ %{}, options \\ [])

  def generate_response(prompt, context, options) when is_binary(prompt) and is_map(context) do
    opts = validate_options!(options)
    settings = settings()

    with :ok <- check_context_lists(context),
         {:ok, tools} <- turn_tools(context),
         :ok <- check_attachments(context),
         {:ok, context} <- with_memory(context, opts),
         {:ok, {model_id, region, complexity}} <-
           select_model_and_region(prompt, context, opts, settings),
         # Built here so a bad model id or agent type is this call's error, not the relay's.
         {:ok, first_request} <- build_request(prompt, context, opts, model_id) do
      ref = make_ref()
      to = if opts[:stream], do: opts[:to] || self(), else: self()
      # Each attempt is admitted against this node's share of the Bedrock quota first.
      {backend, backend_opts} =
        Aybiza.Bedrock.Cluster.Admission.guard(
          backend(opts[:backend] || settings.backend),
          opts[:admission]
        )

      build = fn
        ^model_id -> {:ok, first_request}
        other -> build_request(prompt, context, opts, other)
      end

      plan = %{
        ref: ref,
        to: to,
        backend: backend,
        backend_opts:
          Keyword.merge(
            Keyword.merge(opts[:client_opts], Keyword.take(opts, [:api, :messages_endpoint])),
            backend_opts
          ),
        model_id: model_id,
        region: region,
        build_request: build,
        policy: policy(opts, settings),
        breaker: opts[:breaker],
        recovery: recovery_setting(opts, settings),
        fallback_line: fallback_line(opts, settings),
        sentences: opts[:sentences],
        complexity: complexity,
        metadata: %{
          call_id: opts[:call_id] || context[:call_id],
          tenant_id: opts[:tenant_id] || context[:tenant_id],
          stream?: opts[:stream]
        }
      }

      # A turn with tools to run, or with memory to keep, goes through the tool rounds (each
      # model round a call of the relay); any other turn is one call of the relay.
      if tools != [] or opts[:memory] != nil do
        {:ok, _turn} =
          Rounds.start(
            Map.merge(plan, %{
              tools: tools,
              max_rounds: opts[:max_rounds],
              max_concurrency: opts[:max_concurrency],
              acknowledge: opts[:acknowledge],
              tool_context: opts[:tool_context],
              memory: if(opts[:memory] != nil, do: {opts[:memory], opts[:memory_opts]}),
              user_message: Memory.user_message(prompt, context, opts[:memory_opts]),
              initial_messages: first_request.messages
            })
          )
      else
        {:ok, _relay} = Relay.start(plan)
      end

      if opts[:stream], do: {:ok, ref}, else: collect(ref, opts[:timeout])
    end
  end

  # Not a FunctionClauseError: its report would print every argument, options included.
  def generate_response(prompt, context, _options) do
    unless is_binary(prompt),
      do: raise(ArgumentError, "the prompt must be a string, got #{Options.describe(prompt)}")

    raise ArgumentError, "the context must be a map, got #{Options.describe(context)}"
  end

  @doc "Like `generate_response/3` but raises `Aybiza.Error` on failure."
  @spec generate_response!(String.t(), map(), keyword() | map()) :: reference() | map()
  def generate_response!(prompt, context \\ %{}, options \\ []) do
    case generate_response(prompt, context, options) do
      {:ok, result} -> result
      {:error, error} -> raise error
    end
  end

  @doc """
  Cancels a streaming call. When it returns, the call's one terminal
  `{:error, %Aybiza.Error{reason: :cancelled}}` is in the receiver's mailbox (unless the call
  had already ended) and no further message of `ref` arrives. Idempotent.
  """
  @spec cancel(reference()) :: :ok
  def cancel(ref), do: Relay.cancel(ref)

  @doc """
  The region for a caller: `context[:cloudflare_country]` mapped by
  `Aybiza.Bedrock.Catalog.region_for_country/1`; a country the catalog does not map, or
  no country, gets the configured region. See `Aybiza.Bedrock.Turn.Routing`.
  """
  @spec determine_region(map(), map()) :: String.t()
  def determine_region(context, settings \\ settings()),
    do: Routing.determine_region(context, settings)

  @doc """
  Chooses `{model_id, region, complexity}` for a turn (routing on complexity, latency
  budget, cost sensitivity and tool needs, then the first model of the choice's fallback
  chain whose breaker is not open, within the configured `:models`). See
  `Aybiza.Bedrock.Turn.Routing.select_model_and_region/4`.
  """
  @spec select_model_and_region(String.t(), map(), keyword(), map()) ::
          {:ok, {String.t(), String.t(), float()}} | {:error, Error.t()}
  def select_model_and_region(prompt, context, opts, settings \\ settings()),
    do: Routing.select_model_and_region(prompt, context, opts, settings)

  @doc """
  The Converse request for `prompt` on `model_id`, with the client's settings: see
  `Aybiza.Bedrock.Turn.Request.build/5` (the one request builder of every turn).
  """
  @spec build_request(String.t(), map(), keyword(), String.t()) ::
          {:ok, map()} | {:error, Error.t()}
  def build_request(prompt, context, opts, model_id),
    do: Request.build(prompt, context, opts, model_id, settings())

  @doc """
  The turn as an Enumerable of its events (`{:sentence, seq, text}`, `{:text, delta}`,
  `{:tool_call, _}`, ..., ending with `{:done, summary}` or `{:error, error}`), for
  `Enum`/`Stream` pipelines. Options as `generate_response/3` (`:stream` and `:to` are
  set by this function). Halting the enumeration early cancels the turn. A turn that cannot
  be planned yields its one `{:error, error}`.
  """
  @spec stream_events(String.t(), map(), keyword() | map()) :: Enumerable.t()
  def stream_events(prompt, context \\ %{}, options \\ []) do
    options = if is_map(options), do: Map.to_list(options), else: options

    Stream.resource(
      fn ->
        case generate_response(prompt, context, Keyword.merge(options, stream: true, to: self())) do
          {:ok, ref} -> {:running, ref}
          {:error, error} -> {:failed, error}
        end
      end,
      fn
        {:running, ref} ->
          receive do
            {:aybiza_bedrock, ^ref, {:done, _} = event} -> {[event], {:ended, ref}}
            {:aybiza_bedrock, ^ref, {:error, _} = event} -> {[event], {:ended, ref}}
            {:aybiza_bedrock, ^ref, event} -> {[event], {:running, ref}}
          end

        {:failed, error} ->
          {[{:error, error}], :halted}

        other ->
          {:halt, other}
      end,
      fn
        {:running, ref} ->
          cancel(ref)
          Aybiza.Bedrock.flush(ref)

        _ ->
          :ok
      end
    )
  end

  # --- internals ---

  # Tools given as %Tool{} structs are run by the turn; raw Converse tool specs are only
  # sent (the caller runs them). A mix of both is refused.
  defp turn_tools(context) do
    tools = List.wrap(context[:tools])

    cond do
      tools == [] ->
        {:ok, []}

      Enum.all?(tools, &is_struct(&1, Tool)) ->
        case ToolRound.check_tools(tools) do
          :ok -> {:ok, tools}
          {:error, message} -> {:error, Error.new(:invalid_request, message)}
        end

      Enum.any?(tools, &is_struct(&1, Tool)) ->
        {:error,
         Error.new(
           :invalid_request,
           "context :tools mixes %Aybiza.Bedrock.Tool{} structs with raw tool specs"
         )}

      true ->
        {:ok, []}
    end
  end

  # Attachments are content blocks of Aybiza.Bedrock.Media (checked again, with their
  # sizes, before the network by the engine).
  # The context's list fields are walked by List/Enum functions further on: an improper list
  # there is this call's :invalid_request naming the field, not an ArgumentError ("not a
  # list") or a FunctionClauseError from deep inside.
  defp check_context_lists(context) do
    bad =
      Enum.find([:conversation_history, :tools, :attachments], fn key ->
        case Map.get(context, key) do
          list when is_list(list) -> not proper_list?(list)
          _ -> false
        end
      end)

    if bad,
      do: {:error, Error.new(:invalid_request, "context :#{bad} must be a proper list")},
      else: :ok
  end

  defp proper_list?([]), do: true
  defp proper_list?([_ | tail]), do: proper_list?(tail)
  defp proper_list?(_tail), do: false

  defp check_attachments(context) do
    case context[:attachments] do
      nil ->
        :ok

      blocks when is_list(blocks) ->
        if Enum.all?(blocks, &media_block?/1),
          do: :ok,
          else:
            {:error,
             Error.new(
               :invalid_request,
               "context :attachments must be image or document blocks of Aybiza.Bedrock.Media"
             )}

      _other ->
        {:error, Error.new(:invalid_request, "context :attachments must be a list")}
    end
  end

  defp media_block?(%{image: %{}} = block) when map_size(block) == 1, do: true
  defp media_block?(%{document: %{}} = block) when map_size(block) == 1, do: true
  defp media_block?(_), do: false

  # `memory: call_id` (step 3 of the turn, see Aybiza.Bedrock.Turn.Memory).
  defp with_memory(context, opts) do
    case opts[:memory] do
      nil -> {:ok, context}
      call_id -> {:ok, Memory.window_into(context, call_id, opts[:memory_opts])}
    end
  end

  defp collect(ref, timeout) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, summary}} -> {:ok, summary}
      {:aybiza_bedrock, ^ref, {:error, error}} -> {:error, error}
      {:aybiza_bedrock, ^ref, _event} -> collect(ref, timeout)
    after
      timeout ->
        cancel(ref)
        Aybiza.Bedrock.flush(ref)
        {:error, Error.new(:timeout, "no answer within #{timeout} ms")}
    end
  end

  defp validate_options!(options) when is_map(options) and not is_struct(options),
    do: validate_options!(Map.to_list(options))

  defp validate_options!(options) do
    opts =
      options
      |> Options.validate!(@option_defaults, "BedrockClient option")
      |> Keyword.update!(:client_opts, &Config.seal_credentials/1)
      |> Keyword.update!(:backend, &seal_backend/1)

    checks = [
      stream: &is_boolean/1,
      to: &(is_nil(&1) or is_pid(&1)),
      model_id: &(is_nil(&1) or (is_binary(&1) and &1 != "")),
      region: &(is_nil(&1) or (is_binary(&1) and &1 != "")),
      max_latency: &(is_integer(&1) and &1 > 0),
      cost_optimize: &(is_nil(&1) or is_boolean(&1)),
      extended_thinking: &(is_boolean(&1) or &1 == :auto),
      thinking_budget: &(is_integer(&1) and &1 >= 1024),
      temperature: &(is_number(&1) and &1 >= 0 and &1 <= 1),
      top_p: &(is_number(&1) and &1 >= 0 and &1 <= 1),
      top_k: &(is_nil(&1) or (is_integer(&1) and &1 > 0)),
      max_tokens: &(is_nil(&1) or (is_integer(&1) and &1 > 0)),
      tool_choice: &(&1 in [:auto, :any] or match?({:tool, name} when is_binary(name), &1)),
      latency: &(&1 in [:standard, :optimized]),
      client_opts: &is_list/1,
      api: &(&1 in [:auto, :converse, :messages]),
      messages_endpoint: &(&1 in [:runtime, :mantle]),
      fallback_line: &(is_nil(&1) or is_boolean(&1) or is_binary(&1)),
      recovery: &(is_nil(&1) or is_boolean(&1) or &1 in [:prefill, :instruction]),
      admission: &(is_nil(&1) or is_boolean(&1) or is_list(&1)),
      policy: &is_list/1,
      breaker: &is_list/1,
      timeout: &(is_integer(&1) and &1 > 0),
      memory_opts: &is_list/1,
      cache: &(is_boolean(&1) or is_list(&1)),
      guardrail: &(is_nil(&1) or valid_guardrail?(&1)),
      max_rounds: &(is_integer(&1) and &1 > 0),
      max_concurrency: &(is_integer(&1) and &1 > 0),
      acknowledge: &(is_boolean(&1) or &1 == :when_silent or is_function(&1, 2)),
      call_id: &(is_nil(&1) or is_binary(&1) or is_integer(&1) or is_atom(&1)),
      tenant_id: &(is_nil(&1) or is_binary(&1) or is_integer(&1) or is_atom(&1))
    ]

    for {key, valid?} <- checks, not valid?.(opts[key]) do
      raise ArgumentError, "invalid option #{inspect(key)}: #{shown(key, opts[key])}"
    end

    # The segmenter options too: a custom backend must not be the first to see them.
    Config.segmenter_options!(opts[:sentences])

    # A misspelt client option is this call's ArgumentError, not a failure in the relay.
    # (`:to`, `:sentences`, `:operation`, `:backend` are the client's own.)
    Options.validate!(
      opts[:client_opts],
      Aybiza.Bedrock.option_names() -- [:to, :sentences, :operation, :backend],
      "BedrockClient :client_opts option"
    )

    opts
  end

  defp valid_guardrail?(guardrail) when is_list(guardrail) or is_map(guardrail) do
    guardrail = if is_list(guardrail), do: keyword_map(guardrail), else: guardrail

    is_map(guardrail) and
      Enum.all?(Map.keys(guardrail), &(&1 in [:id, :version, :trace, :stream_processing_mode])) and
      is_binary(guardrail[:id]) and byte_size(guardrail[:id]) <= 2048 and
      guardrail[:id] =~ @guardrail_id and is_binary(guardrail[:version]) and
      guardrail[:version] =~ @guardrail_version and
      guardrail[:trace] in [nil, :enabled, :disabled, :enabled_full] and
      guardrail[:stream_processing_mode] in [nil, :sync, :async]
  end

  defp valid_guardrail?(_), do: false

  defp keyword_map(list) do
    if Keyword.keyword?(list), do: Map.new(list), else: nil
  end

  # Values that can hold client options (credentials) are described, never printed.
  defp shown(key, value) when key in [:client_opts, :backend], do: Options.describe(value)
  defp shown(_key, value), do: Options.shown(value)

  # `{module, opts}` backends get client options: their credentials are sealed at once.
  defp seal_backend({module, opts}) when is_atom(module) and is_list(opts),
    do: {module, Config.seal_credentials(opts)}

  defp seal_backend(backend), do: backend

  defp backend(nil), do: {Aybiza.Bedrock.Backend.Native, []}
  defp backend({module, opts}) when is_atom(module) and is_list(opts), do: {module, opts}
  defp backend(module) when is_atom(module), do: {module, []}

  defp backend(other),
    do: raise(ArgumentError, "invalid option :backend: #{Options.describe(other)}")

  defp policy(opts, settings) do
    defaults = [fallback_region: settings.fallback_region]
    breaker = opts[:breaker]
    allowed? = fn model, region -> CircuitBreaker.allowed?(model, region, breaker) end
    Policy.options!(Keyword.merge(defaults ++ [allowed?: allowed?], opts[:policy]))
  end

  defp recovery_setting(opts, settings) do
    case opts[:recovery] do
      nil -> settings.recovery
      value -> value
    end
  end

  defp fallback_line(opts, settings) do
    case if(is_nil(opts[:fallback_line]), do: settings.fallback_line, else: opts[:fallback_line]) do
      true -> @default_fallback_line
      line when is_binary(line) -> line
      _ -> nil
    end
  end

  defp publish(settings) do
    :persistent_term.put(@settings_key, settings)
    PerformanceMonitor.put_latency_threshold_ms(settings.latency_threshold_ms)
    settings
  end

  defp resolve_settings(overrides) do
    env = fn key, default ->
      Keyword.get(overrides, key, Application.get_env(:aybiza_bedrock, key, default))
    end

    validate_settings!(%{
      region: env.(:region, nil) || System.get_env("AWS_REGION") || "us-east-1",
      fallback_region: env.(:fallback_region, "us-west-2"),
      default_model: env.(:default_model, @default_model),
      models: env.(:models, []),
      latency_threshold_ms: env.(:latency_threshold_ms, 200),
      extended_thinking_threshold: env.(:extended_thinking_threshold, 0.9),
      cost_optimization_enabled: env.(:cost_optimization_enabled, false),
      fallback_line: env.(:fallback_line, true),
      recovery: env.(:recovery, true),
      backend: env.(:backend, nil)
    })
  end

  defp validate_settings!(settings) do
    checks = %{
      region: &is_binary/1,
      fallback_region: &(is_nil(&1) or is_binary(&1)),
      default_model: &is_binary/1,
      models: &(is_list(&1) and Enum.all?(&1, fn m -> is_binary(m) end)),
      latency_threshold_ms: &(is_integer(&1) and &1 > 0),
      extended_thinking_threshold: &(is_number(&1) and &1 >= 0 and &1 <= 1),
      cost_optimization_enabled: &is_boolean/1,
      fallback_line: &(is_boolean(&1) or is_binary(&1) or is_nil(&1)),
      recovery: &(is_boolean(&1) or &1 in [:prefill, :instruction]),
      backend: &(is_nil(&1) or is_atom(&1) or match?({m, o} when is_atom(m) and is_list(o), &1))
    }

    for {key, value} <- settings, check = checks[key], not check.(value) do
      raise ArgumentError,
            "invalid BedrockClient setting #{inspect(key)}: #{shown(key, value)}"
    end

    settings =
      if Map.has_key?(settings, :backend),
        do: Map.update!(settings, :backend, &seal_backend/1),
        else: settings

    # Model ids must be known to the catalog: a typo stops boot instead of failing every call.
    # Aliases are replaced by the real id they name (the catalog logs "using <real id>" once
    # for a design name): that id is what every call sends.
    Enum.reduce([:default_model, :models], settings, fn key, settings ->
      case settings do
        %{^key => ids} when is_list(ids) ->
          Map.put(settings, key, Enum.map(ids, &real_id!(key, &1)))

        %{^key => id} ->
          Map.put(settings, key, real_id!(key, id))

        _ ->
          settings
      end
    end)
  end

  defp real_id!(key, model_id) do
    case Routing.real_id(model_id) do
      {:ok, real} ->
        real

      {:error, error} ->
        raise ArgumentError, "invalid BedrockClient setting #{inspect(key)}: #{error.message}"
    end
  end
end
