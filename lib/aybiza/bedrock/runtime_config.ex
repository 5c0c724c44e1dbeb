defmodule Aybiza.Bedrock.RuntimeConfig do
  @moduledoc """
  Reads the environment variables of our design into the application configuration of
  `:aybiza_bedrock`. `Aybiza.Bedrock.Application` runs this step at application start,
  before any child starts, so a host application that depends on this library gets the
  variables without copying any code (Mix never evaluates a dependency's own
  `config/runtime.exs`). It works the same under `mix run`, `mix test` of the host and in
  a release.

  Precedence, highest first:

    1. the host's application config (`config :aybiza_bedrock, fallback_region: ...` in
       its `config/*.exs`, or `Application.put_env/3` before the application starts);
    2. these environment variables;
    3. the library's defaults (in code, see docs/CLIENT.md).

  So a key the host configures is never overridden by a variable (the variable is then
  neither parsed nor applied, with a `:debug` log line naming both). `:timeouts` merges key by key: a host
  that sets `timeouts: [connect: 1_000]` still gets `BEDROCK_REQUEST_TIMEOUT` as `:total`.

  Opt out in one line: `config :aybiza_bedrock, read_env: false`.

  Only variables that are set (and not empty) are applied; an invalid value stops boot
  with `{:invalid_config, message}` naming the variable and the rejected text (these
  variables hold regions, model ids and numbers; no credential is read here: the AWS SDK
  resolves credentials itself).

  | variable | config key | form |
  |---|---|---|
  | `AWS_REGION` | `:region` | AWS region name, e.g. `us-east-1` |
  | `AWS_FALLBACK_REGION` | `:fallback_region` | AWS region name |
  | `AWS_BEDROCK_MODELS` | `:models` | comma-separated model ids / inference profile ids |
  | `AWS_DEFAULT_BEDROCK_MODEL` | `:default_model` | a model id |
  | `LATENCY_THRESHOLD_MS` | `:latency_threshold_ms` | positive integer |
  | `EXTENDED_THINKING_THRESHOLD` | `:extended_thinking_threshold` | number in 0..1 |
  | `COST_OPTIMIZATION_ENABLED` | `:cost_optimization_enabled` | `true`/`false`/`1`/`0`/`yes`/`no` |
  | `BEDROCK_CONNECTION_TIMEOUT` | `:timeouts` `:connect` | positive integer (ms) |
  | `BEDROCK_REQUEST_TIMEOUT` | `:timeouts` `:total` | positive integer (ms) |

  Deprecated and ignored: `BEDROCK_POOL_SIZE` / `config :aybiza_bedrock, :pool_size`. The
  engine's HTTP client keeps its own connection pool (one per runtime, reused across
  calls); nothing ever read this value. Setting either logs a warning at start.

  Model ids written as in our design documents (`anthropic.claude-4-sonnet-20250120`) are
  not real Bedrock ids; they are mapped to the real ones
  (`anthropic.claude-sonnet-4-20250514-v1:0`).
  """

  @variables [
    {"AWS_REGION", :region, :region},
    {"AWS_FALLBACK_REGION", :fallback_region, :region},
    {"AWS_BEDROCK_MODELS", :models, :model_list},
    {"AWS_DEFAULT_BEDROCK_MODEL", :default_model, :model},
    {"LATENCY_THRESHOLD_MS", :latency_threshold_ms, :pos_integer},
    {"EXTENDED_THINKING_THRESHOLD", :extended_thinking_threshold, :unit_float},
    {"COST_OPTIMIZATION_ENABLED", :cost_optimization_enabled, :boolean},
    {"BEDROCK_CONNECTION_TIMEOUT", {:timeouts, :connect}, :pos_integer},
    {"BEDROCK_REQUEST_TIMEOUT", {:timeouts, :total}, :pos_integer}
  ]

  @design_aliases %{
    "anthropic.claude-4-opus-20250120" => "anthropic.claude-opus-4-20250514-v1:0",
    "anthropic.claude-4-sonnet-20250120" => "anthropic.claude-sonnet-4-20250514-v1:0"
  }

  @deprecated_variables [{"BEDROCK_POOL_SIZE", :pool_size}]

  require Logger

  @doc "The variable names read."
  @spec variables() :: [String.t()]
  def variables, do: Enum.map(@variables, &elem(&1, 0))

  @doc """
  Parses `env` (a map of variable name => value, e.g. `System.get_env()`) into a keyword
  list for `config :aybiza_bedrock`. Returns `{:error, message}` naming the first bad
  variable.
  """
  @spec parse(%{optional(String.t()) => String.t()}) :: {:ok, keyword()} | {:error, String.t()}
  def parse(env) when is_map(env) do
    Enum.reduce_while(@variables, {:ok, []}, fn {name, key, type}, {:ok, acc} ->
      case Map.get(env, name) do
        value when value in [nil, ""] ->
          {:cont, {:ok, acc}}

        raw ->
          case convert(type, String.trim(raw)) do
            {:ok, value} ->
              {:cont, {:ok, put(acc, key, value)}}

            {:error, expected} ->
              {:halt, {:error, "invalid #{name}=#{inspect(raw)}: expected #{expected}"}}
          end
      end
    end)
  end

  @doc "Like `parse/1` but raises `ArgumentError` (which stops boot) on a bad value."
  @spec parse!(%{optional(String.t()) => String.t()}) :: keyword()
  def parse!(env) do
    case parse(env) do
      {:ok, config} -> config
      {:error, message} -> raise ArgumentError, message
    end
  end

  @doc """
  The application-start step: applies the variables of `env` (default `System.get_env()`)
  to the application environment of `:aybiza_bedrock` under the host's config (see the
  module doc), unless `config :aybiza_bedrock, read_env: false`. Logs a warning for each
  deprecated setting in use. Returns the config keys it set, or `{:error, message}` naming
  the first invalid variable (the application then does not start).
  """
  @spec apply_env(%{optional(String.t()) => String.t()}) :: {:ok, [atom()]} | {:error, String.t()}
  def apply_env(env \\ System.get_env()) when is_map(env) do
    app_config = Application.get_all_env(:aybiza_bedrock)
    read_env? = Keyword.get(app_config, :read_env, true)

    unless is_boolean(read_env?) do
      raise ArgumentError,
            "config :aybiza_bedrock, :read_env must be true or false, got: #{Aybiza.Bedrock.Options.shown(read_env?)}"
    end

    env = if read_env?, do: env, else: %{}

    for warning <- deprecation_warnings(env, app_config) do
      Logger.warning(warning, aybiza_config: :deprecated)
    end

    with true <- read_env?,
         {:ok, settings, ignored} <- resolve(env, app_config) do
      for {name, key} <- ignored do
        Logger.debug(
          "aybiza_bedrock: #{name} is set but config :aybiza_bedrock, #{inspect(key)} takes precedence",
          aybiza_config: :env_ignored
        )
      end

      Application.put_all_env(aybiza_bedrock: settings)
      keys = Keyword.keys(settings)

      if keys != [] do
        Logger.info(
          "aybiza_bedrock: configuration from the environment: #{Enum.map_join(keys, ", ", &inspect/1)}",
          aybiza_config: :env_applied
        )
      end

      {:ok, keys}
    else
      false -> {:ok, []}
      {:error, _message} = error -> error
    end
  end

  @doc """
  What `apply_env/1` would set: the settings parsed from `env` that `app_config` (the
  host's `config :aybiza_bedrock` keyword list) does not set already, and the variables
  ignored for that reason as `{name, key}`. Pure; used by `apply_env/1` and tests.
  """
  @spec resolve(%{optional(String.t()) => String.t()}, keyword()) ::
          {:ok, keyword(), [{String.t(), atom() | {:timeouts, atom()}}]} | {:error, String.t()}
  def resolve(env, app_config) when is_map(env) and is_list(app_config) do
    host_timeouts = Keyword.get(app_config, :timeouts)

    # A variable whose key the host configures is not even parsed: a value the host
    # overrides (say an AWS_REGION meant for other tools) never stops its boot.
    taken? = fn
      {:timeouts, key} ->
        Keyword.has_key?(app_config, :timeouts) and
          (not Keyword.keyword?(host_timeouts || []) or Keyword.has_key?(host_timeouts, key))

      key ->
        Keyword.has_key?(app_config, key)
    end

    ignored =
      for {name, key, _type} <- @variables,
          Map.get(env, name) not in [nil, ""],
          taken?.(key),
          do: {name, key}

    with {:ok, parsed} <- parse(Map.drop(env, Enum.map(ignored, &elem(&1, 0)))) do
      settings =
        case Keyword.fetch(parsed, :timeouts) do
          {:ok, timeouts} ->
            Keyword.put(parsed, :timeouts, Keyword.merge(host_timeouts || [], timeouts))

          :error ->
            parsed
        end

      {:ok, settings, ignored}
    end
  end

  @doc "Warnings for deprecated settings present in `env` or `app_config`."
  @spec deprecation_warnings(map(), keyword()) :: [String.t()]
  def deprecation_warnings(env, app_config) do
    for {name, key} <- @deprecated_variables,
        source = deprecated_source(env, app_config, name, key),
        source != nil do
      "aybiza_bedrock: #{source} is deprecated and ignored: the engine's HTTP client " <>
        "manages its own connection pool (see Aybiza.Bedrock.RuntimeConfig)"
    end
  end

  defp deprecated_source(env, app_config, name, key) do
    cond do
      Keyword.has_key?(app_config, key) -> "config :aybiza_bedrock, #{inspect(key)}"
      Map.get(env, name) not in [nil, ""] -> name
      true -> nil
    end
  end

  defp put(acc, {:timeouts, key}, value),
    do: Keyword.update(acc, :timeouts, [{key, value}], &Keyword.put(&1, key, value))

  defp put(acc, key, value), do: Keyword.put(acc, key, value)

  @doc false
  @spec convert(atom(), String.t()) :: {:ok, term()} | {:error, String.t()}
  def convert(:region, value) do
    if value =~ ~r/\A[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}\z/,
      do: {:ok, value},
      else: {:error, "an AWS region such as us-east-1"}
  end

  def convert(:model, value) do
    if value =~ ~r/\A[a-z0-9][a-z0-9.\-]*[a-z0-9](:[0-9a-z]+)*\z/i,
      do: {:ok, Map.get(@design_aliases, value, value)},
      else: {:error, "a Bedrock model id such as anthropic.claude-sonnet-4-6"}
  end

  def convert(:model_list, value) do
    ids = value |> String.split(",") |> Enum.map(&String.trim/1)

    if ids == [] or Enum.any?(ids, &(&1 == "")) do
      {:error, "a comma-separated list of model ids without empty entries"}
    else
      Enum.reduce_while(ids, {:ok, []}, fn id, {:ok, acc} ->
        case convert(:model, id) do
          {:ok, model} ->
            {:cont, {:ok, acc ++ [model]}}

          {:error, _} ->
            {:halt, {:error, "a comma-separated list of model ids (#{inspect(id)} is not one)"}}
        end
      end)
    end
  end

  def convert(:pos_integer, value) do
    case Integer.parse(value) do
      {n, ""} when n > 0 -> {:ok, n}
      _ -> {:error, "a positive integer"}
    end
  end

  def convert(:unit_float, value) do
    case Float.parse(value) do
      {f, ""} when f >= 0.0 and f <= 1.0 -> {:ok, f}
      _ -> {:error, "a number between 0 and 1"}
    end
  end

  def convert(:boolean, value) do
    case String.downcase(value) do
      v when v in ["true", "1", "yes", "on"] -> {:ok, true}
      v when v in ["false", "0", "no", "off"] -> {:ok, false}
      _ -> {:error, "true or false"}
    end
  end
end
