defmodule Aybiza.Bedrock.Policy do
  @moduledoc """
  The failure policy: what to do after a failed attempt. Pure functions, used by the
  per-call relay of `Aybiza.AWS.BedrockClient` (see `Aybiza.Bedrock.Recovery`).

  | error (`Aybiza.Error` reason) | step |
  |---|---|
  | `:throttled` | retry the same model after exponential backoff with full jitter, at most `:throttle_retries` times, then the next model of the model's throttling chain |
  | `:model_not_ready`, `:circuit_open` (the breaker opened after routing) | an alternative model in the same region (the next of the chain) |
  | `:service_unavailable`, `:internal_server`, `:connect`, `:connect_timeout` | the fallback region with the same model; when no other region is left, the model's geographic inference profile (`us.`, `eu.`, `apac.`) in the same region |
  | `:validation` | no retry, except a request with `performance_config: %{latency: :optimized}` whose rejection mentions latency/performance: retried once with standard latency |
  | `:timeout`, `:first_byte_timeout`, `:idle_timeout`, `:model_timeout` | a faster model (lower tier of the chain) |
  | `:model_stream_error`, `:protocol` | the same model once after backoff, then the next model of the chain |
  | `:access_denied`, `:invalid_credentials`, `:expired_credentials`, `:model_not_found`, anything else | no retry: a terminal error whose message says what to fix |

  Every step also stops when `:max_attempts` attempts were made (then the call ends with a
  terminal error and, when configured, a spoken fallback line). Targets whose circuit
  breaker is open, or that were already tried, are skipped.
  """

  alias Aybiza.Error
  alias Aybiza.Bedrock.Policy.Models

  @type target :: {model_id :: String.t(), region :: String.t()}

  @typedoc "What the relay knows about the attempt that just failed."
  @type attempt :: %{
          required(:model_id) => String.t(),
          required(:region) => String.t(),
          required(:attempt) => pos_integer(),
          required(:same_target_tries) => pos_integer(),
          required(:tried) => [target()],
          required(:latency_optimized?) => boolean()
        }

  @type step ::
          {:retry, delay_ms :: non_neg_integer()}
          | {:fallback, kind :: atom(), String.t(), String.t()}
          | :retry_standard_latency
          | {:stop, Error.t()}

  @fatal_hints %{
    access_denied:
      "check the IAM policy (bedrock:InvokeModelWithResponseStream) and model access in the Bedrock console",
    invalid_credentials: "the AWS credentials were rejected; check the access key and secret",
    expired_credentials: "the AWS credentials expired; refresh them (SSO login, role session)",
    model_not_found:
      "the model id does not exist in this region; check the id or use an inference profile",
    quota_exceeded: "a service quota was exceeded; request an increase",
    unknown_model: "the model id is not in the catalog"
  }

  @region_errors [:service_unavailable, :internal_server, :connect, :connect_timeout]
  @timeout_errors [:timeout, :first_byte_timeout, :idle_timeout, :model_timeout]
  @stream_errors [:model_stream_error, :protocol]

  @defaults [
    max_attempts: 4,
    throttle_retries: 2,
    base_backoff_ms: 100,
    max_backoff_ms: 2_000,
    fallback_region: nil,
    random: nil,
    allowed?: nil
  ]

  @doc "The default policy options."
  @spec defaults() :: keyword()
  def defaults, do: @defaults

  @doc """
  Validated policy options (`:max_attempts`, `:throttle_retries`, `:base_backoff_ms`,
  `:max_backoff_ms`, `:fallback_region`, `:random` - a `fn n -> 0..n end` used for jitter,
  `:allowed?` - a `fn model_id, region -> boolean end`, by default the circuit breakers).
  """
  @spec options!(keyword()) :: map()
  def options!(opts) do
    opts = Keyword.validate!(opts, @defaults)

    for key <- [:max_attempts, :base_backoff_ms, :max_backoff_ms] do
      unless is_integer(opts[key]) and opts[key] > 0,
        do:
          raise(
            ArgumentError,
            "policy option #{inspect(key)} must be a positive integer, got: #{inspect(opts[key])}"
          )
    end

    unless is_integer(opts[:throttle_retries]) and opts[:throttle_retries] >= 0,
      do:
        raise(
          ArgumentError,
          "policy option :throttle_retries must be a non-negative integer, got: #{inspect(opts[:throttle_retries])}"
        )

    unless is_nil(opts[:fallback_region]) or is_binary(opts[:fallback_region]),
      do:
        raise(
          ArgumentError,
          "policy option :fallback_region must be a region string or nil, got: #{inspect(opts[:fallback_region])}"
        )

    for key <- [:random, :allowed?] do
      arity = if key == :random, do: 1, else: 2

      unless is_nil(opts[key]) or is_function(opts[key], arity),
        do:
          raise(
            ArgumentError,
            "policy option #{inspect(key)} must be a function of arity #{arity}, got: #{inspect(opts[key])}"
          )
    end

    opts
    |> Map.new()
    |> Map.update!(:random, &(&1 || fn n -> :rand.uniform(n + 1) - 1 end))
    |> Map.update!(:allowed?, &(&1 || fn _model, _region -> true end))
  end

  @doc """
  Exponential backoff with full jitter: a random delay in `0..min(max, base * 2^(try - 1))`.
  `try` counts from 1.
  """
  @spec backoff_ms(pos_integer(), map()) :: non_neg_integer()
  def backoff_ms(try, cfg) when is_integer(try) and try >= 1 do
    ceiling = min(cfg.max_backoff_ms, cfg.base_backoff_ms * Integer.pow(2, min(try - 1, 20)))
    cfg.random.(ceiling)
  end

  @doc "Whether an error should count against the circuit breaker of its `{model, region}`."
  @spec breaker_failure?(Error.t()) :: boolean()
  def breaker_failure?(%Error{reason: reason}),
    do:
      reason in [
        :throttled,
        :model_not_ready | @region_errors ++ @timeout_errors ++ @stream_errors
      ]

  @doc "The next step after `error` ended `attempt`. See the module doc for the table."
  @spec next_step(Error.t(), attempt(), map()) :: step()
  def next_step(%Error{} = error, attempt, cfg) do
    cond do
      fatal?(error) -> {:stop, explain(error)}
      attempt.attempt >= cfg.max_attempts -> {:stop, exhausted(error, attempt)}
      true -> step_for(error.reason, error, attempt, cfg)
    end
  end

  @doc "Whether `error` is never retried."
  @spec fatal?(Error.t()) :: boolean()
  def fatal?(%Error{reason: reason}) do
    reason not in ([:throttled, :model_not_ready, :circuit_open, :validation] ++
                     @region_errors ++ @timeout_errors ++ @stream_errors)
  end

  defp step_for(:throttled, error, attempt, cfg) do
    if attempt.same_target_tries <= cfg.throttle_retries,
      do: {:retry, backoff_ms(attempt.same_target_tries, cfg)},
      else: next_model(:throttling_chain, Models.chain(attempt.model_id), error, attempt, cfg)
  end

  # A breaker that opened between routing and the attempt: like a model not ready.
  defp step_for(reason, error, attempt, cfg) when reason in [:model_not_ready, :circuit_open],
    do: next_model(:alternative_model, Models.chain(attempt.model_id), error, attempt, cfg)

  defp step_for(reason, error, attempt, cfg) when reason in @region_errors do
    regions =
      Enum.uniq(
        Enum.reject([cfg.fallback_region | Models.nearest_regions(attempt.region)], &is_nil/1)
      )

    case Enum.find(regions, &usable?({attempt.model_id, &1}, attempt, cfg)) do
      nil ->
        profile = Models.geo_profile(attempt.model_id, attempt.region)

        if profile && usable?({profile, attempt.region}, attempt, cfg),
          do: {:fallback, :geo_profile, profile, attempt.region},
          else: {:stop, exhausted(error, attempt)}

      region ->
        {:fallback, :fallback_region, attempt.model_id, region}
    end
  end

  defp step_for(:validation, error, attempt, _cfg) do
    if attempt.latency_optimized? and error.message =~ ~r/latency|performance/i,
      do: :retry_standard_latency,
      else: {:stop, error}
  end

  defp step_for(reason, error, attempt, cfg) when reason in @timeout_errors,
    do: next_model(:faster_model, Models.faster(attempt.model_id), error, attempt, cfg)

  defp step_for(reason, error, attempt, cfg) when reason in @stream_errors do
    if attempt.same_target_tries <= 1,
      do: {:retry, backoff_ms(attempt.same_target_tries, cfg)},
      else: next_model(:throttling_chain, Models.chain(attempt.model_id), error, attempt, cfg)
  end

  defp next_model(kind, candidates, error, attempt, cfg) do
    case Enum.find(candidates, &usable?({&1, attempt.region}, attempt, cfg)) do
      nil -> {:stop, exhausted(error, attempt)}
      model_id -> {:fallback, kind, model_id, attempt.region}
    end
  end

  defp usable?({model_id, region} = target, attempt, cfg),
    do: target not in attempt.tried and cfg.allowed?.(model_id, region)

  defp explain(%Error{reason: reason} = error) do
    case Map.fetch(@fatal_hints, reason) do
      {:ok, hint} ->
        if error.message =~ hint,
          do: error,
          else: %{error | message: "#{error.message} (#{hint})"}

      :error ->
        error
    end
  end

  defp exhausted(error, attempt) do
    %{error | message: "#{error.message} (gave up after #{attempt.attempt} attempt(s))"}
  end
end

defmodule Aybiza.Bedrock.Policy.Models do
  @moduledoc """
  The model facts the policy layer needs: fallback chains, speed tiers, capabilities.

  Taken from `Aybiza.Bedrock.Catalog` when that module is available, otherwise from a small
  built-in table of the Claude models (mirroring `native/aybiza_core/data/models.json`).
  Model ids may carry a geographic inference-profile prefix (`us.`, `eu.`, `apac.`,
  `global.`); facts are looked up by the base id and fallbacks keep the prefix.
  """

  @profile_prefixes ~w(us eu apac jp au us-gov global)

  # id => {tier, default_max_tokens, tools?, thinking?, accepts temperature and top_p?}
  @claude %{
    "anthropic.claude-opus-4-5-20251101-v1:0" => {:opus, 4096, true, true, false},
    "anthropic.claude-opus-4-1-20250805-v1:0" => {:opus, 4096, true, true, false},
    "anthropic.claude-opus-4-20250514-v1:0" => {:opus, 4096, true, true, true},
    "anthropic.claude-sonnet-4-5-20250929-v1:0" => {:sonnet, 2048, true, true, false},
    "anthropic.claude-sonnet-4-20250514-v1:0" => {:sonnet, 2048, true, true, true},
    "anthropic.claude-3-7-sonnet-20250219-v1:0" => {:sonnet, 2048, true, true, true},
    "anthropic.claude-3-5-sonnet-20241022-v2:0" => {:sonnet, 1024, true, false, true},
    "anthropic.claude-haiku-4-5-20251001-v1:0" => {:haiku, 512, true, true, false},
    "anthropic.claude-3-5-haiku-20241022-v1:0" => {:haiku, 512, true, false, true},
    "anthropic.claude-3-haiku-20240307-v1:0" => {:haiku, 256, true, false, true}
  }

  @haiku3 "anthropic.claude-3-haiku-20240307-v1:0"
  @haiku35 "anthropic.claude-3-5-haiku-20241022-v1:0"
  @sonnet4 "anthropic.claude-sonnet-4-20250514-v1:0"
  @sonnet45 "anthropic.claude-sonnet-4-5-20250929-v1:0"

  @chains %{
    "anthropic.claude-opus-4-5-20251101-v1:0" => [@sonnet45, @haiku35, @haiku3],
    "anthropic.claude-opus-4-1-20250805-v1:0" => [@sonnet4, @haiku35, @haiku3],
    "anthropic.claude-opus-4-20250514-v1:0" => [@sonnet4, @haiku35, @haiku3],
    @sonnet45 => [@haiku35, @haiku3],
    @sonnet4 => [@haiku35, @haiku3],
    "anthropic.claude-3-7-sonnet-20250219-v1:0" => [
      "anthropic.claude-3-5-sonnet-20241022-v2:0",
      @haiku35,
      @haiku3
    ],
    "anthropic.claude-3-5-sonnet-20241022-v2:0" => [@haiku35, @haiku3],
    "anthropic.claude-haiku-4-5-20251001-v1:0" => [@haiku35, @haiku3],
    @haiku35 => [@haiku3]
  }

  @nearest %{
    "us-east-1" => ["us-west-2", "us-east-2"],
    "us-east-2" => ["us-east-1", "us-west-2"],
    "us-west-2" => ["us-east-1", "us-east-2"],
    "eu-west-1" => ["eu-central-1", "eu-west-3"],
    "eu-central-1" => ["eu-west-1", "eu-west-3"],
    "ap-southeast-1" => ["ap-southeast-2", "ap-northeast-1"],
    "ap-northeast-1" => ["ap-southeast-1", "ap-northeast-3"],
    "ap-south-1" => ["ap-southeast-1"]
  }

  @doc "Splits an id into its inference-profile prefix (or nil) and base id."
  @spec split_profile(String.t()) :: {String.t() | nil, String.t()}
  def split_profile(model_id) do
    case String.split(model_id, ".", parts: 2) do
      [prefix, rest] when prefix in @profile_prefixes -> {prefix, rest}
      _ -> {nil, model_id}
    end
  end

  @doc "The base model id (without an inference-profile prefix)."
  @spec base_id(String.t()) :: String.t()
  def base_id(model_id), do: elem(split_profile(model_id), 1)

  @doc "The family of a model id (`\"anthropic\"`, `\"amazon\"`...)."
  @spec family(String.t()) :: String.t()
  def family(model_id), do: model_id |> base_id() |> String.split(".", parts: 2) |> hd()

  @doc """
  The facts of a model: `%{tier, default_max_tokens, tools?, thinking?, temperature_and_top_p?}`.
  Unknown models get conservative facts (no tools, no thinking, temperature only).
  """
  @spec facts(String.t()) :: map()
  def facts(model_id) do
    base = base_id(model_id)

    case catalog_facts(base) do
      %{} = facts ->
        facts

      nil ->
        case Map.fetch(@claude, base) do
          {:ok, {tier, max_tokens, tools?, thinking?, both?}} ->
            %{
              tier: tier,
              default_max_tokens: max_tokens,
              tools?: tools?,
              thinking?: thinking?,
              temperature_and_top_p?: both?
            }

          :error ->
            %{
              tier: :unknown,
              default_max_tokens: 1024,
              tools?: false,
              thinking?: false,
              temperature_and_top_p?: false
            }
        end
    end
  end

  @doc "The throttling / alternative chain of a model (same prefix as `model_id`)."
  @spec chain(String.t()) :: [String.t()]
  def chain(model_id) do
    {prefix, base} = split_profile(model_id)

    chain =
      case optional(Aybiza.Bedrock.Catalog, :fallback_chain, [base]) do
        {:ok, [_ | _] = list} -> list
        [_ | _] = list -> list
        _ -> Map.get(@chains, base, [])
      end

    Enum.map(chain, &with_prefix(prefix, base_id(&1)))
  end

  @doc "The models of the chain that are of a faster tier than `model_id`."
  @spec faster(String.t()) :: [String.t()]
  def faster(model_id) do
    rank = tier_rank(facts(model_id).tier)
    Enum.filter(chain(model_id), &(tier_rank(facts(&1).tier) < rank))
  end

  @doc "The regions to fall back to from `region`, nearest first."
  @spec nearest_regions(String.t()) :: [String.t()]
  def nearest_regions(region), do: Map.get(@nearest, region, [])

  @doc """
  The geographic inference profile of a base model id for `region` (e.g. `us.` for
  `us-east-1`), or nil when the id already is a profile or the geography is unknown.
  """
  @spec geo_profile(String.t(), String.t()) :: String.t() | nil
  def geo_profile(model_id, region) do
    geo =
      cond do
        String.starts_with?(region, "us-gov-") -> "us-gov"
        String.starts_with?(region, ["us-", "ca-"]) -> "us"
        String.starts_with?(region, "eu-") -> "eu"
        String.starts_with?(region, "ap-") -> "apac"
        true -> nil
      end

    case split_profile(model_id) do
      {nil, base} when geo != nil -> geo <> "." <> base
      _ -> nil
    end
  end

  defp with_prefix(nil, base), do: base
  defp with_prefix(prefix, base), do: prefix <> "." <> base

  defp tier_rank(:haiku), do: 1
  defp tier_rank(:sonnet), do: 2
  defp tier_rank(:opus), do: 3
  defp tier_rank(_), do: 2

  defp catalog_facts(base) do
    case optional(Aybiza.Bedrock.Catalog, :get, [base]) do
      {:ok, %{spec: %{} = spec}} -> from_spec(spec)
      {:ok, %{} = spec} -> from_spec(spec)
      %{} = spec -> from_spec(spec)
      _ -> nil
    end
  end

  defp from_spec(spec) do
    caps = field(spec, :capabilities) || %{}

    %{
      tier: spec |> field(:tier) |> to_tier(),
      default_max_tokens: field(spec, :default_max_tokens) || 1024,
      tools?: field(caps, :tools) == true,
      thinking?: field(caps, :thinking) == true,
      temperature_and_top_p?: field(caps, :accepts_temperature_and_top_p) == true
    }
  end

  defp field(map, key) when is_map(map), do: Map.get(map, key, Map.get(map, Atom.to_string(key)))
  defp field(_, _), do: nil

  defp to_tier(tier) when tier in [:opus, :sonnet, :haiku], do: tier
  defp to_tier("opus"), do: :opus
  defp to_tier("sonnet"), do: :sonnet
  defp to_tier("haiku"), do: :haiku
  defp to_tier(_), do: :unknown

  @doc false
  # Calls another engineer's module only when it exists (no compile-time dependency).
  # `function_exported?/3` is a cheap BIF; a module that is absent is remembered in
  # :persistent_term so the hot path never asks the code server twice.
  @spec optional(module(), atom(), list()) :: term()
  def optional(module, function, args) do
    if available?(module, function, length(args)) do
      try do
        apply(module, function, args)
      rescue
        _ -> nil
      catch
        _, _ -> nil
      end
    end
  end

  defp available?(module, function, arity) do
    function_exported?(module, function, arity) or
      case :persistent_term.get({__MODULE__, :loaded, module}, :unknown) do
        :unknown ->
          loaded? = Code.ensure_loaded?(module)
          :persistent_term.put({__MODULE__, :loaded, module}, loaded?)
          loaded? and function_exported?(module, function, arity)

        _known ->
          false
      end
  end
end
