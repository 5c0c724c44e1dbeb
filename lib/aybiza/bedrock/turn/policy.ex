defmodule Aybiza.Bedrock.Turn.Policy do
  @moduledoc """
  The failure policy: what to do after a failed attempt. Pure functions, used by the
  per-call relay of `Aybiza.AWS.BedrockClient` (see `Aybiza.Bedrock.Turn.Relay`).

  | error (`Aybiza.Error` reason) | step |
  |---|---|
  | `:throttled` | retry the same model after exponential backoff with full jitter, at most `:throttle_retries` times, then the next model of the model's throttling chain |
  | `:model_not_ready`, `:circuit_open` (the breaker opened after routing), `:quota_share_exceeded` (no room in this node's quota share, `Aybiza.Bedrock.Cluster.Admission`) | an alternative model in the same region (the next of the chain) |
  | `:service_unavailable`, `:internal_server`, `:connect`, `:connect_timeout` | the fallback region with the same model; when no other region is left, the model's geographic inference profile (`us.`, `eu.`, `apac.`) in the same region |
  | `:validation` | no retry, except a request with `performance_config: %{latency: :optimized}` whose rejection mentions latency/performance: retried once with standard latency |
  | `:timeout`, `:first_byte_timeout`, `:idle_timeout`, `:model_timeout` | a faster model (lower tier of the chain) |
  | `:model_stream_error`, `:protocol` | the same model once after backoff, then the next model of the chain |
  | `:guardrail_intervened` (stop reason `guardrail_intervened`: the request's guardrail blocked the prompt or the answer) | no retry, no fallback model or region (the same guardrail would block again; another model without it would bypass it): the terminal error carries the trace in `guardrail`, after the spoken fallback line when the caller heard nothing (the guardrail's blocked message, when streamed, was spoken) |
  | `:access_denied`, `:invalid_credentials`, `:expired_credentials`, `:model_not_found`, anything else | no retry: a terminal error whose message says what to fix |

  Every step also stops when `:max_attempts` attempts were made (then the call ends with a
  terminal error and, when configured, a spoken fallback line). Targets whose circuit
  breaker is open, or that were already tried, are skipped.
  """

  alias Aybiza.Error
  alias Aybiza.Bedrock.Turn.Policy.Models

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
    unknown_model: "the model id is not in the catalog",
    guardrail_intervened: "never retried: see the error's guardrail trace"
  }

  @region_errors [:service_unavailable, :internal_server, :connect, :connect_timeout]
  @timeout_errors [:timeout, :first_byte_timeout, :idle_timeout, :model_timeout]
  @stream_errors [:model_stream_error, :protocol]
  # Refused before the network: a breaker that opened between routing and the attempt, or
  # no room in this node's quota share (Aybiza.Bedrock.Cluster.Admission).
  @not_sent_errors [:circuit_open, :quota_share_exceeded]

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
            "policy option #{inspect(key)} must be a positive integer, got: #{Aybiza.Bedrock.Options.shown(opts[key])}"
          )
    end

    unless is_integer(opts[:throttle_retries]) and opts[:throttle_retries] >= 0,
      do:
        raise(
          ArgumentError,
          "policy option :throttle_retries must be a non-negative integer, got: #{Aybiza.Bedrock.Options.shown(opts[:throttle_retries])}"
        )

    unless is_nil(opts[:fallback_region]) or is_binary(opts[:fallback_region]),
      do:
        raise(
          ArgumentError,
          "policy option :fallback_region must be a region string or nil, got: #{Aybiza.Bedrock.Options.shown(opts[:fallback_region])}"
        )

    for key <- [:random, :allowed?] do
      arity = if key == :random, do: 1, else: 2

      unless is_nil(opts[key]) or is_function(opts[key], arity),
        do:
          raise(
            ArgumentError,
            "policy option #{inspect(key)} must be a function of arity #{arity}, got: #{Aybiza.Bedrock.Options.shown(opts[key])}"
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
    reason not in ([:throttled, :model_not_ready, :validation] ++
                     @not_sent_errors ++
                     @region_errors ++ @timeout_errors ++ @stream_errors)
  end

  defp step_for(:throttled, error, attempt, cfg) do
    if attempt.same_target_tries <= cfg.throttle_retries,
      do: {:retry, backoff_ms(attempt.same_target_tries, cfg)},
      else: next_model(:throttling_chain, Models.chain(attempt.model_id), error, attempt, cfg)
  end

  # A breaker that opened between routing and the attempt: like a model not ready.
  defp step_for(reason, error, attempt, cfg) when reason in [:model_not_ready | @not_sent_errors],
    do: next_model(:alternative_model, Models.chain(attempt.model_id), error, attempt, cfg)

  defp step_for(reason, error, attempt, cfg) when reason in @region_errors do
    regions =
      Enum.uniq(
        Enum.reject([cfg.fallback_region | Models.nearest_regions(attempt.region)], &is_nil/1)
      )

    # The same model, under the id that is callable there (in-region, or the region's
    # geographic / global profile): a `us.` profile is no use in eu-west-1. The target judged
    # is the one that would be sent, so a region already tried under another id form is
    # never tried again.
    Enum.reduce_while(regions, nil, fn region, nil ->
      case region_model_id(attempt.model_id, region) do
        {:ok, model_id} ->
          if usable?({model_id, region}, attempt, cfg),
            do: {:halt, {:fallback, :fallback_region, model_id, region}},
            else: {:cont, nil}

        {:error, lookup_error} ->
          {:halt, {:stop, lookup_error}}
      end
    end) || geo_profile_step(error, attempt, cfg)
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

  defp region_model_id(model_id, region) do
    with {:ok, %{base_model_id: base}} <- Aybiza.Bedrock.Catalog.get(model_id),
         do: Models.invocable_id(base, region)
  end

  # A catalog lookup that fails ends the call with the lookup's error (it says what is wrong
  # with the model id), never a silent stop.
  defp geo_profile_step(error, attempt, cfg) do
    case Models.geo_profile(attempt.model_id, attempt.region) do
      {:ok, profile} when is_binary(profile) ->
        if usable?({profile, attempt.region}, attempt, cfg),
          do: {:fallback, :geo_profile, profile, attempt.region},
          else: {:stop, exhausted(error, attempt)}

      {:ok, nil} ->
        {:stop, exhausted(error, attempt)}

      {:error, lookup_error} ->
        {:stop, lookup_error}
    end
  end

  defp next_model(_kind, {:error, lookup_error}, _error, _attempt, _cfg),
    do: {:stop, lookup_error}

  defp next_model(kind, {:ok, candidates}, error, attempt, cfg) do
    case Enum.find(candidates, &usable?({&1, attempt.region}, attempt, cfg)) do
      nil -> {:stop, exhausted(error, attempt)}
      model_id -> {:fallback, kind, model_id, attempt.region}
    end
  end

  # A target is compared with the tried ones as it goes on the wire: a base id Bedrock serves
  # only through a profile is sent as that profile (the engine's pre-flight), so
  # `{"anthropic.claude-sonnet-4-6", "us-east-1"}` and `{"us.anthropic.claude-sonnet-4-6",
  # "us-east-1"}` are one target, and a failed one is never repeated under the other name.
  defp usable?({model_id, region} = target, attempt, cfg) do
    wire = wire_target(target)

    not Enum.any?(attempt.tried, &(wire_target(&1) == wire)) and cfg.allowed?.(model_id, region)
  end

  defp wire_target({model_id, region}) do
    case Models.invocable_id(model_id, region) do
      {:ok, id} -> {id, region}
      {:error, _} -> {model_id, region}
    end
  end

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
