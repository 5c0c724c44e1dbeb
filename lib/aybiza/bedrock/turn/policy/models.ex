defmodule Aybiza.Bedrock.Turn.Policy.Models do
  @moduledoc """
  The model facts the policy layer needs (fallback chains, speed tiers, capabilities,
  geographic inference profiles, nearest regions), all read from `Aybiza.Bedrock.Catalog`:
  the catalog (`native/aybiza_core/data/models.json` plus any overrides) is the one source.

  Ids may be in any form the catalog accepts (inference profiles, aliases, ARNs); fallbacks
  keep the inference-profile prefix of the id they replace and leave out models that are
  not offered under it. A model the catalog does not know is an
  `{:error, %Aybiza.Error{reason: :unknown_model}}`.
  """

  alias Aybiza.Bedrock.Catalog
  alias Aybiza.Error

  @typedoc "What the client and the policy need to know about a model."
  @type facts :: %{
          model_id: String.t(),
          base_model_id: String.t(),
          profile: String.t() | nil,
          family: String.t(),
          tier: :opus | :sonnet | :haiku | :other,
          default_max_tokens: pos_integer(),
          tools?: boolean(),
          prefill?: boolean(),
          thinking?: boolean(),
          temperature_and_top_p?: boolean(),
          sampling?: boolean()
        }

  @doc "The facts of a model, from its catalog entry."
  @spec facts(String.t()) :: {:ok, facts()} | {:error, Error.t()}
  def facts(model_id) do
    with {:ok, resolved} <- Catalog.get(model_id), do: {:ok, from_resolved(resolved)}
  end

  @doc """
  The throttling / alternative chain of a model (catalog `fallback_chains`), each with the
  inference-profile prefix of `model_id`; models not offered under that prefix are left out.
  """
  @spec chain(String.t()) :: {:ok, [String.t()]} | {:error, Error.t()}
  def chain(model_id) do
    with {:ok, resolved} <- Catalog.get(model_id),
         {:ok, chain} <- Catalog.fallback_chain(resolved.base_model_id) do
      with_profile(chain, resolved.profile, [])
    end
  end

  @doc "The models of the chain whose tier is faster than the one of `model_id`."
  @spec faster(String.t()) :: {:ok, [String.t()]} | {:error, Error.t()}
  def faster(model_id) do
    with {:ok, facts} <- facts(model_id),
         {:ok, chain} <- chain(model_id) do
      rank = tier_rank(facts.tier)

      Enum.reduce_while(chain, {:ok, []}, fn candidate, {:ok, acc} ->
        case facts(candidate) do
          {:ok, %{tier: tier}} ->
            {:cont, {:ok, if(tier_rank(tier) < rank, do: acc ++ [candidate], else: acc)}}

          {:error, _} = error ->
            {:halt, error}
        end
      end)
    end
  end

  @doc "The regions to fall back to from `region`, nearest first (catalog `regions.nearest`)."
  @spec nearest_regions(String.t()) :: [String.t()]
  def nearest_regions(region), do: Map.get(Catalog.info().regions.nearest, region, [])

  @doc """
  The geographic inference profile id of `model_id` callable from `region` (e.g. `eu.` for
  `eu-west-1`), when the model is offered under one; nil when `model_id` already is a
  profile id or no geographic profile of the model serves the region.
  """
  @spec geo_profile(String.t(), String.t()) :: {:ok, String.t() | nil} | {:error, Error.t()}
  def geo_profile(model_id, region) do
    with {:ok, resolved} <- Catalog.get(model_id) do
      {:ok, if(resolved.profile == nil, do: profile_id(resolved, region, false))}
    end
  end

  @doc """
  The id to send for `model_id` in `region`: the id itself when it is a profile id or the
  model is served in-region there, else its geographic profile for the region, else its
  global profile, else the id itself (Bedrock then says what is wrong).
  """
  @spec invocable_id(String.t(), String.t()) :: {:ok, String.t()} | {:error, Error.t()}
  def invocable_id(model_id, region) do
    with {:ok, resolved} <- Catalog.get(model_id) do
      cond do
        resolved.profile != nil or region in resolved.spec.regions ->
          {:ok, resolved.model_id}

        id = profile_id(resolved, region, false) || profile_id(resolved, region, true) ->
          {:ok, id}

        true ->
          {:ok, resolved.model_id}
      end
    end
  end

  defp from_resolved(%{spec: spec} = resolved) do
    %{
      model_id: resolved.model_id,
      base_model_id: resolved.base_model_id,
      profile: resolved.profile,
      family: spec.family,
      tier: to_tier(spec.tier),
      default_max_tokens: spec.default_max_tokens,
      tools?: spec.capabilities.tools,
      # A final assistant turn (prefill) is an Anthropic feature, removed from the Claude 4.6
      # family on (400 "This model does not support assistant message prefill", per
      # platform.claude.com/docs/en/about-claude/models/whats-new-claude-4-6#prefill-removal):
      # exactly the catalog's Claude models with adaptive thinking.
      prefill?: spec.family == "anthropic" and not spec.capabilities.thinking_adaptive,
      # The client asks for budget thinking (`type: "enabled"`), which adaptive-only models reject.
      thinking?: spec.capabilities.thinking_budget,
      temperature_and_top_p?: spec.capabilities.accepts_temperature_and_top_p,
      sampling?: spec.capabilities.accepts_sampling
    }
  end

  defp with_profile([], _prefix, acc), do: {:ok, Enum.reverse(acc)}
  defp with_profile([base | rest], nil, acc), do: with_profile(rest, nil, [base | acc])

  defp with_profile([base | rest], prefix, acc) do
    case Catalog.get(base) do
      {:ok, %{spec: %{profiles: profiles}}} ->
        acc = if prefix in profiles, do: [prefix <> "." <> base | acc], else: acc
        with_profile(rest, prefix, acc)

      {:error, _} = error ->
        error
    end
  end

  # The first profile of the model (geographic or global) whose source regions include
  # `region`, in the catalog's profile order.
  defp profile_id(%{spec: spec, base_model_id: base}, region, global?) do
    Enum.find_value(Catalog.info().profiles, fn profile ->
      if profile.global == global? and profile.prefix in spec.profiles and
           (region in profile.regions or "*" in profile.regions),
         do: profile.prefix <> "." <> base
    end)
  end

  # Catalog tiers ranked by speed, for "a faster model"; tiers outside Claude's three
  # rank with Sonnet (never considered faster than it).
  defp to_tier("opus"), do: :opus
  defp to_tier("sonnet"), do: :sonnet
  defp to_tier("haiku"), do: :haiku
  defp to_tier(_), do: :other

  defp tier_rank(:haiku), do: 1
  defp tier_rank(:opus), do: 3
  defp tier_rank(_), do: 2
end
