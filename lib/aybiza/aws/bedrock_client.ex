defmodule Aybiza.AWS.BedrockClient do
  @moduledoc """
  The Bedrock client of a voice app: `generate_response/3` picks the region and the model,
  builds the Converse request, starts the call and applies the failure policy.

  It is a GenServer (started by `Aybiza.Bedrock.Application`) only to own its settings:
  it publishes them to `:persistent_term`, and `generate_response/3` reads them there and
  never calls the process. Each call runs in its own relay process (see
  `Aybiza.Bedrock.Recovery`) that sends the events straight to the caller, so 1,000
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
  `Aybiza.Bedrock.Recovery` (`{:retry, _}`, `{:fallback, _}`, `{:recovered, _}`,
  `{:fallback_line, _}`), ending with exactly one `{:done, summary}` or `{:error, error}`.
  See `docs/CLIENT.md`.
  """
  use GenServer

  alias Aybiza.Error

  alias Aybiza.Bedrock.{
    Catalog,
    CircuitBreaker,
    Config,
    ConversationMemory,
    Options,
    PerformanceMonitor,
    Policy,
    Recovery,
    Routing,
    Text,
    VoicePrompts
  }

  alias Aybiza.Bedrock.Policy.Models

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
    call_id: nil,
    tenant_id: nil,
    timeout: 120_000
  ]

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

  @doc """
  Starts the client. Options override the application environment for the settings
  (`:region`, `:fallback_region`, `:default_model`, `:models`, `:latency_threshold_ms`,
  `:extended_thinking_threshold`, `:cost_optimization_enabled`, `:fallback_line`,
  `:recovery`, `:backend`), plus `:name`.
  """
  @spec start_link(keyword()) :: GenServer.on_start()
  def start_link(opts \\ []) do
    {name, opts} = Keyword.pop(opts, :name, __MODULE__)
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
  `:tools` (Converse tool specs), `:cloudflare_country` (ISO code: picks the region),
  `:call_id`, `:tenant_id`, `:requires_tools`.

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
    * `:policy` - options of `Aybiza.Bedrock.Policy.options!/1`; `:breaker` - options of
      `Aybiza.Bedrock.CircuitBreaker`.
    * `:call_id`, `:tenant_id` - telemetry metadata (default from `context`).
    * `:timeout` - with `stream: false`, how long to wait (default 120_000 ms).

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

    with {:ok, {model_id, region, complexity}} <-
           select_model_and_region(prompt, context, opts, settings),
         # Built here so a bad model id or agent type is this call's error, not the relay's.
         {:ok, first_request} <- build_request(prompt, context, opts, model_id) do
      ref = make_ref()
      to = if opts[:stream], do: opts[:to] || self(), else: self()
      {backend, backend_opts} = backend(opts[:backend] || settings.backend)

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

      {:ok, _relay} = Recovery.start(plan)

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
  def cancel(ref), do: Recovery.cancel(ref)

  @doc """
  The region for a caller: `context[:cloudflare_country]` mapped by
  `Aybiza.Bedrock.Catalog.region_for_country/1`; a country the catalog does not map, or
  no country, gets the configured region.
  """
  @spec determine_region(map(), map()) :: String.t()
  def determine_region(context, settings \\ settings()) do
    case context[:cloudflare_country] || context[:country] do
      country when is_binary(country) and country != "" -> country_region(country, settings)
      _ -> settings.region
    end
  end

  @doc """
  Chooses `{model_id, region, complexity}` for a turn: complexity from
  `Aybiza.Bedrock.Text.assess_query_complexity/2`, then
  `Aybiza.Bedrock.Routing.select_optimal_model_and_region/4` (the catalog's rules on
  complexity, latency budget, cost sensitivity and tool needs), then the first model of
  the choice and its fallback chain whose circuit breaker is not open, restricted to the
  configured `:models` when set. Routing and catalog errors are returned.
  """
  @spec select_model_and_region(String.t(), map(), keyword(), map()) ::
          {:ok, {String.t(), String.t(), float()}} | {:error, Error.t()}
  def select_model_and_region(prompt, context, opts, settings \\ settings()) do
    region = opts[:region] || determine_region(context, settings)
    complexity = Text.assess_query_complexity(prompt, context)

    if opts[:model_id] do
      # An alias resolves here, once: the real id is what is sent, and what breakers,
      # fallback chains, telemetry and the monitor see.
      with {:ok, model_id} <- real_id(opts[:model_id]), do: {:ok, {model_id, region, complexity}}
    else
      cost? =
        if is_nil(opts[:cost_optimize]),
          do: settings.cost_optimization_enabled,
          else: opts[:cost_optimize]

      with {:ok, %{model_id: routed, region: routed_region}} <-
             route(context, complexity, opts[:max_latency], cost?, region, opts),
           {:ok, chain} <- Models.chain(routed),
           {:ok, candidates} <- configured_only([routed | chain], settings.models),
           {:ok, model_id} <- first_allowed(candidates, routed_region, opts, settings) do
        {:ok, {model_id, routed_region, complexity}}
      end
    end
  end

  @doc """
  The Converse request for `prompt` on `model_id` (the design's `build_enhanced_payload`),
  from the model's catalog entry: system prompt + voice guidelines
  (`Aybiza.Bedrock.VoicePrompts`), history + the user turn, `max_tokens` of
  `Aybiza.Bedrock.Catalog.max_tokens_for/2`, temperature (0.3) and top_p (0.9, only when
  the model accepts both), `top_k` (250) in the additional fields of Anthropic models (no
  sampling parameter at all for models that take none, Claude Opus 4.7 and later), tools
  only when the model supports them, extended (budget) thinking when asked and supported
  (then no temperature/top_p/top_k), and `performance_config` for `latency: :optimized`.
  `{:error, %Aybiza.Error{}}` for a model the catalog does not know or an unknown
  `:agent_type`.
  """
  @spec build_request(String.t(), map(), keyword(), String.t()) ::
          {:ok, map()} | {:error, Error.t()}
  def build_request(prompt, context, opts, model_id) do
    with {:ok, facts} <- Models.facts(model_id),
         {:ok, max_tokens} <- Catalog.max_tokens_for(model_id, opts[:max_tokens]),
         {:ok, system} <- system_text(context) do
      thinking? = facts.thinking? and thinking_wanted?(prompt, context, opts)
      budget = max(1024, opts[:thinking_budget] || 3_000)
      max_tokens = if thinking?, do: max(max_tokens, budget + 1024), else: max_tokens

      inference =
        cond do
          thinking? or not facts.sampling? ->
            %{max_tokens: max_tokens}

          facts.temperature_and_top_p? ->
            %{max_tokens: max_tokens, temperature: opts[:temperature], top_p: opts[:top_p]}

          true ->
            %{max_tokens: max_tokens, temperature: opts[:temperature]}
        end

      additional =
        cond do
          thinking? ->
            %{"thinking" => %{"type" => "enabled", "budget_tokens" => budget}}

          facts.family == "anthropic" and facts.sampling? and opts[:top_k] ->
            %{"top_k" => opts[:top_k]}

          true ->
            %{}
        end

      tools = context[:tools] || []

      request =
        %{
          model_id: model_id,
          system: [%{text: system}],
          # A history that ends with a user turn (the caller spoke twice, e.g. after a
          # barge-in) merges with this one: Converse refuses two user turns in a row.
          messages:
            ConversationMemory.merge_same_roles(
              List.wrap(context[:conversation_history]) ++
                [%{role: :user, content: [%{text: prompt}]}]
            ),
          inference_config: inference
        }
        |> put_if(additional != %{}, :additional_model_request_fields, additional)
        |> put_if(tools != [] and facts.tools?, :tool_config, %{
          tools: tools,
          tool_choice: opts[:tool_choice]
        })
        |> put_if(opts[:latency] == :optimized, :performance_config, %{latency: :optimized})
        |> put_if(metadata(context, opts) != %{}, :request_metadata, metadata(context, opts))

      {:ok, request}
    end
  end

  # --- internals ---

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
      policy: &is_list/1,
      breaker: &is_list/1,
      timeout: &(is_integer(&1) and &1 > 0)
    ]

    for {key, valid?} <- checks, not valid?.(opts[key]) do
      raise ArgumentError, "invalid option #{inspect(key)}: #{shown(key, opts[key])}"
    end

    # A misspelt client option is this call's ArgumentError, not a failure in the relay.
    # (`:to`, `:sentences`, `:operation`, `:backend` are the client's own.)
    Options.validate!(
      opts[:client_opts],
      Aybiza.Bedrock.option_names() -- [:to, :sentences, :operation, :backend],
      "BedrockClient :client_opts option"
    )

    opts
  end

  # Values that can hold client options (credentials) are described, never printed.
  defp shown(key, value) when key in [:client_opts, :backend], do: Options.describe(value)
  defp shown(_key, value), do: inspect(value)

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

  # The catalog answers its default region for a country it does not map; such callers
  # get the configured region. The country table is only read when the answer is ambiguous.
  defp country_region(country, settings) do
    region = Catalog.region_for_country(country)

    cond do
      region == settings.region or region != Catalog.region_for_country(nil) -> region
      Map.has_key?(Catalog.info().regions.countries, String.upcase(country)) -> region
      true -> settings.region
    end
  end

  defp route(context, complexity, max_latency, cost?, region, opts) do
    requirements =
      [
        if(context[:requires_tools] || List.wrap(context[:tools]) != [], do: :tools),
        if(opts[:extended_thinking] == true, do: :thinking)
      ]
      |> Enum.reject(&is_nil/1)

    Routing.select_optimal_model_and_region(complexity, max_latency, requirements,
      preferred_region: region,
      cost_sensitive: cost?
    )
  end

  defp real_id(model_id) do
    with {:ok, resolved} <- Catalog.get(model_id), do: {:ok, resolved.model_id}
  end

  # AWS_BEDROCK_MODELS: only models whose foundation model is listed (any id form).
  defp configured_only(candidates, []), do: {:ok, candidates}

  defp configured_only(candidates, models) do
    with {:ok, allowed} <- base_ids(models),
         {:ok, bases} <- base_ids(candidates) do
      {:ok, for({id, base} <- Enum.zip(candidates, bases), base in allowed, do: id)}
    end
  end

  defp base_ids(ids) do
    Enum.reduce_while(Enum.reverse(ids), {:ok, []}, fn id, {:ok, acc} ->
      case Catalog.get(id) do
        {:ok, resolved} -> {:cont, {:ok, [resolved.base_model_id | acc]}}
        {:error, _} = error -> {:halt, error}
      end
    end)
  end

  # The first candidate whose breaker lets calls through; when all are open, the first
  # candidate (its breaker then refuses it and the policy moves on); with no candidate left
  # by the configured models, the default model, as an id callable in the region.
  defp first_allowed([], region, _opts, settings),
    do: Models.invocable_id(settings.default_model, region)

  defp first_allowed([first | _] = candidates, region, opts, _settings) do
    breaker = opts[:breaker] || []
    {:ok, Enum.find(candidates, first, &CircuitBreaker.allowed?(&1, region, breaker))}
  end

  defp thinking_wanted?(prompt, context, opts) do
    case opts[:extended_thinking] do
      true ->
        true

      # The design's heuristic, or a complexity at or above EXTENDED_THINKING_THRESHOLD.
      :auto ->
        Text.should_use_extended_thinking?(prompt, context) or
          Text.assess_query_complexity(prompt, context) >= settings().extended_thinking_threshold

      _ ->
        false
    end
  end

  defp system_text(context) do
    guidelines = VoicePrompts.voice_guidelines()

    with {:ok, base} <- base_prompt(context) do
      if String.contains?(base, String.trim(guidelines)),
        do: {:ok, base},
        else:
          {:ok,
           String.trim(String.trim_trailing(base) <> "\n\n" <> String.trim_trailing(guidelines))}
    end
  end

  defp base_prompt(%{system_prompt: prompt}) when is_binary(prompt), do: {:ok, prompt}

  defp base_prompt(%{agent_type: agent_type}) when is_atom(agent_type) and agent_type != nil do
    if agent_type in VoicePrompts.agent_types(),
      do: {:ok, VoicePrompts.prompt(agent_type, guidelines: false)},
      else:
        {:error,
         Error.new(
           :invalid_request,
           "unknown :agent_type #{inspect(agent_type)}; expected one of #{inspect(VoicePrompts.agent_types())} or a :system_prompt"
         )}
  end

  defp base_prompt(_context), do: {:ok, ""}

  defp metadata(context, opts) do
    %{
      "call_id" => opts[:call_id] || context[:call_id],
      "tenant_id" => opts[:tenant_id] || context[:tenant_id]
    }
    |> Enum.reject(fn {_k, v} -> is_nil(v) end)
    |> Map.new(fn {k, v} -> {k, to_string(v)} end)
  end

  defp put_if(map, true, key, value), do: Map.put(map, key, value)
  defp put_if(map, false, _key, _value), do: map

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
    case real_id(model_id) do
      {:ok, real} ->
        real

      {:error, error} ->
        raise ArgumentError, "invalid BedrockClient setting #{inspect(key)}: #{error.message}"
    end
  end
end
