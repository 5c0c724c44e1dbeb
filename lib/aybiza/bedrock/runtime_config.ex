defmodule Aybiza.Bedrock.RuntimeConfig do
  @moduledoc """
  Reads the environment variables of our design into application configuration, used by
  `config/runtime.exs`. Only variables that are set (and not empty) are applied; an invalid
  value stops boot with an error that names the variable.

  | variable | config key | form |
  |---|---|---|
  | `AWS_REGION` | `:region` | AWS region name, e.g. `us-east-1` |
  | `AWS_FALLBACK_REGION` | `:fallback_region` | AWS region name |
  | `AWS_BEDROCK_MODELS` | `:models` | comma-separated model ids / inference profile ids |
  | `AWS_DEFAULT_BEDROCK_MODEL` | `:default_model` | a model id |
  | `LATENCY_THRESHOLD_MS` | `:latency_threshold_ms` | positive integer |
  | `EXTENDED_THINKING_THRESHOLD` | `:extended_thinking_threshold` | number in 0..1 |
  | `COST_OPTIMIZATION_ENABLED` | `:cost_optimization_enabled` | `true`/`false`/`1`/`0`/`yes`/`no` |
  | `BEDROCK_POOL_SIZE` | `:pool_size` | positive integer |
  | `BEDROCK_CONNECTION_TIMEOUT` | `:timeouts` `:connect` | positive integer (ms) |
  | `BEDROCK_REQUEST_TIMEOUT` | `:timeouts` `:total` | positive integer (ms) |

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
    {"BEDROCK_POOL_SIZE", :pool_size, :pos_integer},
    {"BEDROCK_CONNECTION_TIMEOUT", {:timeouts, :connect}, :pos_integer},
    {"BEDROCK_REQUEST_TIMEOUT", {:timeouts, :total}, :pos_integer}
  ]

  @design_aliases %{
    "anthropic.claude-4-opus-20250120" => "anthropic.claude-opus-4-20250514-v1:0",
    "anthropic.claude-4-sonnet-20250120" => "anthropic.claude-sonnet-4-20250514-v1:0"
  }

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
