defmodule Aybiza.Bedrock.Turn.Routing do
  @moduledoc """
  Step 1 of a turn (see `Aybiza.Bedrock.Turn`): the region and the model. Pure functions of
  the prompt, the context, the options and the client's settings; the catalog decides every
  model fact. `Aybiza.AWS.BedrockClient.select_model_and_region/4` and `determine_region/2`
  are these.
  """

  alias Aybiza.Error
  alias Aybiza.Bedrock.{Catalog, CircuitBreaker, Routing, Text}
  alias Aybiza.Bedrock.Turn.Policy.Models

  @doc """
  The region for a caller: `context[:cloudflare_country]` mapped by
  `Aybiza.Bedrock.Catalog.region_for_country/1`; a country the catalog does not map, or
  no country, gets the configured region.
  """
  @spec determine_region(map(), map()) :: String.t()
  def determine_region(context, settings) do
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
  def select_model_and_region(prompt, context, opts, settings) do
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

  @doc false
  # An alias (or a design name) as the real id the catalog resolves it to.
  @spec real_id(String.t()) :: {:ok, String.t()} | {:error, Error.t()}
  def real_id(model_id) do
    with {:ok, resolved} <- Catalog.get(model_id), do: {:ok, resolved.model_id}
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
end
