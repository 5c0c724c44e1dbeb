defmodule Aybiza.Bedrock.Routing do
  @moduledoc """
  Model and region selection: the rules of our design as a configurable table (catalog
  `routing.rules`, see `docs/CATALOG.md`), filtered by required capabilities, availability
  in the region (else the nearest region / a profile that has it) and open circuit breakers.

  | rule | when | models tried (first that fits) |
  |---|---|---|
  | `deep_reasoning` | complexity > 0.9 and latency > 1000 ms | Opus 4, Opus 4.1, Opus 4.5 |
  | `ultra_fast_cheap` | complexity < 0.3, latency < 150 ms, cost sensitive | 3 Haiku, 3.5 Haiku |
  | `ultra_fast` | complexity < 0.3, latency < 150 ms | 3.5 Haiku, Haiku 4.5, 3 Haiku |
  | `fast` | complexity < 0.6, latency < 200 ms | 3.5 Haiku, Haiku 4.5, 3 Haiku |
  | `tools` | tools needed | Sonnet 4, Sonnet 4.5, 3.7 Sonnet |
  | `complex` | complexity > 0.7 | Sonnet 4, Sonnet 4.5, 3.7 Sonnet |
  | `default` | always | Sonnet 4, Sonnet 4.5, 3.7 Sonnet |
  """

  alias Aybiza.Bedrock.CircuitBreaker
  alias Aybiza.Native

  @type capability ::
          :tools | :streaming_tools | :vision | :documents | :thinking | :prompt_caching

  @type selection :: %{
          model_id: String.t(),
          base_model_id: String.t(),
          region: String.t(),
          profile: String.t() | nil,
          rule: String.t(),
          max_tokens: pos_integer(),
          fallbacks: [String.t()],
          degraded: boolean(),
          price_percent: pos_integer()
        }

  @doc """
  Picks `{model, region}` for a query of `complexity` (0.0..1.0) that must start answering
  within `max_latency_ms`.

  `requirements`: a list of capabilities (`[:tools, :vision]`) or a map
  (`%{tools: true, min_context_tokens: 50_000}`).

  Options: `:country` (ISO code, picks the region), `:preferred_region`, `:cost_sensitive`
  (alias `:cost_optimize`), `:prefer_global_profile`, `:max_tokens`, `:excluded` (a list of
  `{model_id, region}` known to be failing), `:circuit_breaker` (default `true`: also exclude
  pairs whose `Aybiza.Bedrock.CircuitBreaker` is open).
  """
  @spec select_optimal_model_and_region(
          number(),
          non_neg_integer(),
          [capability()] | map(),
          keyword() | map()
        ) ::
          {:ok, selection()} | {:error, Aybiza.Error.t()}
  def select_optimal_model_and_region(
        complexity,
        max_latency_ms,
        requirements \\ [],
        options \\ []
      )
      when is_number(complexity) and is_integer(max_latency_ms) and max_latency_ms >= 0 do
    options = Map.new(options)
    {use_breakers, options} = Map.pop(options, :circuit_breaker, true)
    excluded = Map.get(options, :excluded, []) ++ if(use_breakers, do: open_circuits(), else: [])

    options =
      options
      |> Map.put(:excluded, excluded)
      |> Map.new(fn {k, v} ->
        {k,
         if(is_atom(v) and not is_boolean(v) and not is_nil(v), do: Atom.to_string(v), else: v)}
      end)

    case Native.select_model_and_region(complexity * 1.0, max_latency_ms, requirements, options) do
      {:ok, selection} -> {:ok, selection}
      {:error, native} -> {:error, Aybiza.Error.from_native(native)}
    end
  end

  @doc "The `{model_id, region}` pairs whose circuit breaker currently refuses calls."
  @spec open_circuits() :: [{String.t(), String.t()}]
  def open_circuits do
    for {{model, region}, state} <- CircuitBreaker.list(),
        state != :closed,
        not CircuitBreaker.allowed?(model, region),
        do: {model, region}
  end
end
