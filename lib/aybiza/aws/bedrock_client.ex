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
  alias Aybiza.Bedrock.{CircuitBreaker, Policy, Recovery}
  alias Aybiza.Bedrock.Policy.Models

  @settings_key {__MODULE__, :settings}

  @haiku3 "anthropic.claude-3-haiku-20240307-v1:0"
  @haiku35 "anthropic.claude-3-5-haiku-20241022-v1:0"
  @sonnet4 "anthropic.claude-sonnet-4-20250514-v1:0"
  @opus4 "anthropic.claude-opus-4-20250514-v1:0"

  @default_fallback_line "I'm sorry, I'm having trouble right now. Could you give me a moment and ask again?"

  @fallback_guidelines """
  VOICE INTERACTION GUIDELINES:
  - Keep responses concise and conversational; this is a phone call.
  - Use short sentences that are easy to say aloud; no markdown, lists or emojis.
  """

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
    sentences: true,
    backend: nil,
    client_opts: [],
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
    opts = Keyword.validate!(opts, @setting_keys)
    GenServer.start_link(__MODULE__, opts, name: name)
  end

  @doc "The settings in force (read from `:persistent_term`, no process call)."
  @spec settings() :: map()
  def settings, do: :persistent_term.get(@settings_key, nil) || resolve_settings([])

  @doc "Changes settings at runtime (e.g. a new fallback region); returns the new settings."
  @spec update_settings(keyword(), GenServer.server()) :: map()
  def update_settings(changes, server \\ __MODULE__) do
    changes = Keyword.validate!(changes, @setting_keys)
    GenServer.call(server, {:update_settings, changes})
  end

  @impl true
  def init(overrides) do
    {:ok, publish(resolve_settings(overrides))}
  end

  @impl true
  def handle_call({:update_settings, changes}, _from, settings) do
    settings = publish(Map.merge(settings, validate_settings!(Map.new(changes))))
    {:reply, settings, settings}
  end

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
      `Aybiza.Bedrock.Text.should_use_extended_thinking?/2` decide (without it: complexity
      at or above `EXTENDED_THINKING_THRESHOLD`); `:thinking_budget`.
    * `:temperature` (0.3), `:top_p` (0.9), `:top_k` (250), `:max_tokens` (per model),
      `:tool_choice` (`:auto`), `:latency` (`:standard` or `:optimized`).
    * `:sentences` - as for `Aybiza.Bedrock.stream/2`.
    * `:backend` - a module implementing `Aybiza.Bedrock.Backend` or `{module, opts}`.
    * `:client_opts` - client options of `Aybiza.Bedrock` (`:timeouts`, `:endpoint`, ...).
    * `:fallback_line` - `true` (the default line), a string, or `nil`/`false` (none).
    * `:recovery` - mid-stream recovery: `true` (default), `false`, `:prefill`, `:instruction`.
    * `:policy` - options of `Aybiza.Bedrock.Policy.options!/1`; `:breaker` - options of
      `Aybiza.Bedrock.CircuitBreaker`.
    * `:call_id`, `:tenant_id` - telemetry metadata (default from `context`).
    * `:timeout` - with `stream: false`, how long to wait (default 120_000 ms).
  """
  @spec generate_response(String.t(), map(), keyword() | map()) ::
          {:ok, reference()} | {:ok, map()} | {:error, Error.t()}
  def generate_response(prompt, context \\ %{}, options \\ [])
      when is_binary(prompt) and is_map(context) do
    opts = validate_options!(options)
    settings = settings()
    {model_id, region, complexity} = select_model_and_region(prompt, context, opts, settings)
    ref = make_ref()
    to = if opts[:stream], do: opts[:to] || self(), else: self()
    {backend, backend_opts} = backend(opts[:backend] || settings.backend)

    plan = %{
      ref: ref,
      to: to,
      backend: backend,
      backend_opts: Keyword.merge(opts[:client_opts], backend_opts),
      model_id: model_id,
      region: region,
      build_request: fn model -> build_request(prompt, context, opts, model) end,
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

  @doc "Like `generate_response/3` but raises `Aybiza.Error` on failure."
  @spec generate_response!(String.t(), map(), keyword() | map()) :: reference() | map()
  def generate_response!(prompt, context \\ %{}, options \\ []) do
    case generate_response(prompt, context, options) do
      {:ok, result} -> result
      {:error, error} -> raise error
    end
  end

  @doc "Cancels a streaming call; after it returns no further message of `ref` arrives."
  @spec cancel(reference()) :: :ok
  def cancel(ref), do: Recovery.cancel(ref)

  @doc """
  The region for a caller: `context[:cloudflare_country]` mapped by the catalog (or the
  design's country table), else the configured region.
  """
  @spec determine_region(map(), map()) :: String.t()
  def determine_region(context, settings \\ settings()) do
    country = context[:cloudflare_country] || context[:country]

    from_country =
      if is_binary(country) do
        case Models.optional(Aybiza.Bedrock.Catalog, :region_for_country, [country]) do
          region when is_binary(region) -> region
          {:ok, region} when is_binary(region) -> region
          _ -> Map.get(country_regions(), String.upcase(country))
        end
      end

    from_country || settings.region
  end

  @doc """
  Chooses `{model_id, region, complexity}` for a turn: complexity from
  `Aybiza.Bedrock.Text.assess_query_complexity/2`, then the design's rules on complexity,
  latency budget, cost sensitivity and tool needs (through
  `Aybiza.Bedrock.Routing.select_optimal_model_and_region/4` when available), then the
  first model of the choice's chain whose circuit breaker is not open, restricted to the
  configured `:models` when set.
  """
  @spec select_model_and_region(String.t(), map(), keyword(), map()) ::
          {String.t(), String.t(), float() | nil}
  def select_model_and_region(prompt, context, opts, settings \\ settings()) do
    region = opts[:region] || determine_region(context, settings)
    complexity = complexity(prompt, context)

    cond do
      opts[:model_id] ->
        {opts[:model_id], region, complexity}

      true ->
        cost? =
          if is_nil(opts[:cost_optimize]),
            do: settings.cost_optimization_enabled,
            else: opts[:cost_optimize]

        {model_id, region} = route(context, complexity, opts[:max_latency], cost?, region, opts)
        candidates = Enum.filter([model_id | Models.chain(model_id)], &configured?(&1, settings))
        breaker = opts[:breaker] || []

        chosen =
          Enum.find(candidates, &CircuitBreaker.allowed?(&1, region, breaker)) ||
            List.first(candidates) || endpoint_id(settings.default_model, region)

        {chosen, region, complexity}
    end
  end

  @doc """
  The Converse request for `prompt` on `model_id` (the design's `build_enhanced_payload`):
  system prompt + voice guidelines, history + the user turn, `max_tokens` per model,
  temperature (0.3) and top_p (0.9, only when the model accepts both), `top_k` (250) in the
  additional fields of Anthropic models, tools only when the model supports them, extended
  thinking when asked and supported (then no temperature/top_p/top_k), and
  `performance_config` for `latency: :optimized`.
  """
  @spec build_request(String.t(), map(), keyword(), String.t()) :: map()
  def build_request(prompt, context, opts, model_id) do
    facts = Models.facts(model_id)
    anthropic? = Models.family(model_id) == "anthropic"
    thinking? = facts.thinking? and thinking_wanted?(prompt, context, opts)
    budget = max(1024, opts[:thinking_budget] || 3_000)
    max_tokens = opts[:max_tokens] || max_tokens_for(model_id, facts)
    max_tokens = if thinking?, do: max(max_tokens, budget + 1024), else: max_tokens

    inference =
      cond do
        thinking? ->
          %{max_tokens: max_tokens}

        facts.temperature_and_top_p? ->
          %{max_tokens: max_tokens, temperature: opts[:temperature], top_p: opts[:top_p]}

        true ->
          %{max_tokens: max_tokens, temperature: opts[:temperature]}
      end

    additional =
      cond do
        thinking? -> %{"thinking" => %{"type" => "enabled", "budget_tokens" => budget}}
        anthropic? and opts[:top_k] -> %{"top_k" => opts[:top_k]}
        true -> %{}
      end

    tools = context[:tools] || []

    %{
      model_id: model_id,
      system: [%{text: system_text(context)}],
      messages:
        List.wrap(context[:conversation_history]) ++ [%{role: :user, content: [%{text: prompt}]}],
      inference_config: inference
    }
    |> put_if(additional != %{}, :additional_model_request_fields, additional)
    |> put_if(tools != [] and facts.tools?, :tool_config, %{
      tools: tools,
      tool_choice: opts[:tool_choice]
    })
    |> put_if(opts[:latency] == :optimized, :performance_config, %{latency: :optimized})
    |> put_if(metadata(context, opts) != %{}, :request_metadata, metadata(context, opts))
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
        flush(ref)
        {:error, Error.new(:timeout, "no answer within #{timeout} ms")}
    end
  end

  defp flush(ref) do
    receive do
      {:aybiza_bedrock, ^ref, _} -> flush(ref)
    after
      0 -> :ok
    end
  end

  defp validate_options!(options) when is_map(options),
    do: validate_options!(Map.to_list(options))

  defp validate_options!(options) when is_list(options) do
    opts = Keyword.validate!(options, @option_defaults)

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
      fallback_line: &(is_nil(&1) or is_boolean(&1) or is_binary(&1)),
      recovery: &(is_nil(&1) or is_boolean(&1) or &1 in [:prefill, :instruction]),
      policy: &is_list/1,
      breaker: &is_list/1,
      timeout: &(is_integer(&1) and &1 > 0)
    ]

    for {key, valid?} <- checks, not valid?.(opts[key]) do
      raise ArgumentError, "invalid option #{inspect(key)}: #{inspect(opts[key])}"
    end

    opts
  end

  defp backend(nil), do: {Aybiza.Bedrock.Backend.Native, []}
  defp backend({module, opts}) when is_atom(module) and is_list(opts), do: {module, opts}
  defp backend(module) when is_atom(module), do: {module, []}
  defp backend(other), do: raise(ArgumentError, "invalid option :backend: #{inspect(other)}")

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

  defp complexity(prompt, context) do
    case Models.optional(Aybiza.Bedrock.Text, :assess_query_complexity, [prompt, context]) do
      value when is_number(value) -> value / 1
      {:ok, value} when is_number(value) -> value / 1
      _ -> fallback_complexity(prompt, context)
    end
  end

  # The design's scoring, used only when Aybiza.Bedrock.Text is not available.
  defp fallback_complexity(prompt, context) do
    words = prompt |> String.split() |> length()

    patterns = [
      ~r/analy[sz]e|compare|evaluate|reasoning|step.by.step/i,
      ~r/troubleshoot|debug|diagnose/i,
      ~r/calculate|compute|solve/i,
      ~r/explain.why|walk.me.through/i
    ]

    pattern_score = Enum.count(patterns, &Regex.match?(&1, prompt)) / length(patterns)

    context_factor =
      cond do
        length(List.wrap(context[:conversation_history])) > 5 -> 0.3
        context[:requires_tools] -> 0.4
        true -> 0.0
      end

    min(min(words / 50, 1.0) * 0.3 + pattern_score * 0.5 + context_factor, 1.0)
  end

  defp route(context, complexity, max_latency, cost?, region, opts) do
    requirements =
      [
        if(context[:requires_tools] || List.wrap(context[:tools]) != [], do: :tools),
        if(opts[:extended_thinking] == true, do: :thinking)
      ]
      |> Enum.reject(&is_nil/1)

    routing_opts = [preferred_region: region, cost_sensitive: cost?]

    case Models.optional(Aybiza.Bedrock.Routing, :select_optimal_model_and_region, [
           complexity,
           max_latency,
           requirements,
           routing_opts
         ]) do
      {:ok, %{model_id: model_id, region: routed_region}}
      when is_binary(model_id) and is_binary(routed_region) ->
        {model_id, routed_region}

      _ ->
        {endpoint_id(design_rule(complexity, max_latency, cost?, context), region), region}
    end
  end

  # The design's selection rules with real model ids.
  defp design_rule(complexity, max_latency, cost?, context) do
    cond do
      complexity > 0.9 and max_latency > 1000 -> @opus4
      complexity < 0.3 and max_latency < 150 -> if(cost?, do: @haiku3, else: @haiku35)
      complexity < 0.6 and max_latency < 200 -> @haiku35
      context[:requires_tools] || List.wrap(context[:tools]) != [] -> @sonnet4
      true -> @sonnet4
    end
  end

  # Claude 3.5+ models are served through geographic inference profiles outside a few
  # regions; Claude 3 Haiku is in-region almost everywhere.
  defp endpoint_id(model_id, region) do
    {prefix, base} = Models.split_profile(model_id)

    if prefix == nil and String.starts_with?(base, "anthropic.") and base != @haiku3,
      do: Models.geo_profile(base, region) || base,
      else: model_id
  end

  defp configured?(model_id, %{models: models}) when is_list(models) and models != [],
    do: Models.base_id(model_id) in Enum.map(models, &Models.base_id/1)

  defp configured?(_model_id, _settings), do: true

  defp thinking_wanted?(prompt, context, opts) do
    case opts[:extended_thinking] do
      true ->
        true

      :auto ->
        case Models.optional(Aybiza.Bedrock.Text, :should_use_extended_thinking?, [
               prompt,
               context
             ]) do
          decision when is_boolean(decision) -> decision
          # Without the text pipeline: the design's EXTENDED_THINKING_THRESHOLD on complexity.
          _ -> complexity(prompt, context) >= settings().extended_thinking_threshold
        end

      _ ->
        false
    end
  end

  defp max_tokens_for(model_id, facts) do
    case Models.optional(Aybiza.Bedrock.Catalog, :max_tokens_for, [Models.base_id(model_id), nil]) do
      n when is_integer(n) and n > 0 -> n
      {:ok, n} when is_integer(n) and n > 0 -> n
      _ -> facts.default_max_tokens
    end
  end

  defp system_text(context) do
    guidelines =
      case Models.optional(Aybiza.Bedrock.VoicePrompts, :voice_guidelines, []) do
        text when is_binary(text) -> text
        _ -> @fallback_guidelines
      end

    base =
      cond do
        is_binary(context[:system_prompt]) ->
          context[:system_prompt]

        is_atom(context[:agent_type]) and context[:agent_type] != nil ->
          agent_prompt(context[:agent_type])

        true ->
          ""
      end

    if String.contains?(base, String.trim(guidelines)),
      do: base,
      else: String.trim(String.trim_trailing(base) <> "\n\n" <> String.trim_trailing(guidelines))
  end

  defp agent_prompt(agent_type) do
    case Models.optional(Aybiza.Bedrock.VoicePrompts, :prompt, [agent_type, [guidelines: false]]) do
      text when is_binary(text) -> text
      _ -> ""
    end
  end

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
    settings
  end

  defp resolve_settings(overrides) do
    env = fn key, default ->
      Keyword.get(overrides, key, Application.get_env(:aybiza_bedrock, key, default))
    end

    validate_settings!(%{
      region: env.(:region, nil) || System.get_env("AWS_REGION") || "us-east-1",
      fallback_region: env.(:fallback_region, "us-west-2"),
      default_model: env.(:default_model, @sonnet4),
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
      raise ArgumentError, "invalid BedrockClient setting #{inspect(key)}: #{inspect(value)}"
    end

    settings
  end

  defp country_regions do
    %{
      "US" => "us-east-1",
      "CA" => "us-east-1",
      "GB" => "eu-west-1",
      "DE" => "eu-central-1",
      "FR" => "eu-west-1",
      "IT" => "eu-central-1",
      "ES" => "eu-west-1",
      "NL" => "eu-west-1",
      "SG" => "ap-southeast-1",
      "JP" => "ap-northeast-1",
      "AU" => "ap-southeast-1",
      "IN" => "ap-south-1"
    }
  end
end
