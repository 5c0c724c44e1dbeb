defmodule Aybiza.Bedrock.Catalog do
  @moduledoc """
  The model catalog: real Bedrock model ids, limits, capabilities, regions, inference
  profiles and published prices, compiled into the NIF from `native/aybiza_core/data/models.json`
  (see `docs/CATALOG.md` for the file format, its source and as-of date).

  Ids are accepted in every form Bedrock takes: versioned and unversioned base ids
  (`anthropic.claude-3-haiku-20240307-v1:0`), inference profiles (`us.`, `eu.`, `apac.`, `au.`,
  `jp.`, `us-gov.`, `global.`), foundation-model and inference-profile ARNs, friendly aliases
  (`claude-sonnet-4-5`) and the names of our design documents that do not exist on Bedrock
  (`anthropic.claude-4-sonnet-20250120`, `bedrock:claude-sonnet-3.5`): those resolve to the
  real id and log a warning once per name.

  The catalog can be patched at runtime with `put_overrides/1`, or at boot from
  `config :aybiza_bedrock, :catalog_overrides, ...` with `load_from_config/0`.
  """

  require Logger

  alias Aybiza.Native

  @typedoc "A model entry (see `docs/CATALOG.md` for every field)."
  @type model :: %{
          id: String.t(),
          name: String.t(),
          family: String.t(),
          tier: String.t(),
          aliases: [String.t()],
          context_window: pos_integer(),
          max_output_tokens: pos_integer(),
          default_max_tokens: pos_integer(),
          capabilities: %{
            tools: boolean(),
            streaming_tools: boolean(),
            vision: boolean(),
            documents: boolean(),
            thinking: boolean(),
            prompt_caching: boolean(),
            min_cache_tokens: non_neg_integer(),
            cache_ttl_1h: boolean(),
            accepts_temperature_and_top_p: boolean(),
            thinking_budget: boolean(),
            thinking_adaptive: boolean(),
            accepts_sampling: boolean()
          },
          apis: [api()],
          mantle_id: String.t() | nil,
          regions: [String.t()],
          profiles: [String.t()],
          prices: map() | nil,
          speech: map() | nil,
          regional_premium_percent: non_neg_integer(),
          profile_premium_percent: map(),
          profile_prices: map(),
          lifecycle: %{
            state: String.t(),
            launched: String.t() | nil,
            legacy_since: String.t() | nil,
            eol_date: String.t() | nil,
            eol_no_sooner_than: String.t() | nil,
            replacement: String.t() | nil
          },
          sources: [String.t()],
          unconfirmed: [String.t()],
          deprecation_date: String.t() | nil,
          notes: String.t() | nil,
          verified: boolean()
        }

  @typedoc """
  A Bedrock API family: `:converse` (Converse / ConverseStream), `:invoke` (InvokeModel /
  InvokeModelWithResponseStream), `:messages` (the Anthropic Messages API on Bedrock, SSE) or
  `:bidirectional` (InvokeModelWithBidirectionalStream: the speech-to-speech models, Amazon
  Nova Sonic, served by `Aybiza.Bedrock.Sonic` only; their `prices` are `nil` and their
  speech and text token prices are in `speech.prices`).
  """
  @type api :: :converse | :invoke | :messages | :bidirectional

  @typedoc """
  A resolved id. `model_id` is what to send to Bedrock; `base_model_id` the foundation model;
  `profile` the inference profile prefix (`nil` for the in-region id); `alias_of` the alias the
  caller used; `deprecated_alias` is true for names from our design documents;
  `needs_profile` is true when the base id cannot be invoked on demand (send a profile id);
  `apis` lists the API families the model is served on (also in `spec.apis`); `mantle_id` is
  the model's id on bedrock-mantle when it differs from the base id; `lifecycle_state` is the
  Bedrock state today (details in `spec.lifecycle`).
  """
  @type resolved :: %{
          input: String.t(),
          model_id: String.t(),
          base_model_id: String.t(),
          profile: String.t() | nil,
          region: String.t() | nil,
          alias_of: String.t() | nil,
          deprecated_alias: boolean(),
          price_percent: pos_integer(),
          needs_profile: boolean(),
          family: atom(),
          lifecycle_state: :active | :legacy | :eol,
          apis: [api()],
          mantle_id: String.t() | nil,
          spec: model()
        }

  @doc "Every model of the catalog (embedded data plus overrides)."
  @spec models() :: [model()]
  def models, do: Native.catalog_models()

  @doc """
  Where the data comes from and the rest of the configuration: `source`, `as_of`,
  `overridden`, `profiles`, `deprecated_aliases`, `fallback_chains`, `regions`, `routing_rules`.
  """
  @spec info() :: map()
  def info, do: Native.catalog_info()

  @doc """
  Resolves a model id (any accepted form). Unknown ids return
  `{:error, %Aybiza.Error{reason: :unknown_model}}` whose message lists the closest known ids.
  A deprecated alias logs a warning the first time it is seen.
  """
  @spec get(String.t()) :: {:ok, resolved()} | {:error, Aybiza.Error.t()}
  def get(model_id) when is_binary(model_id) do
    case Native.catalog_resolve(model_id) do
      {:ok, resolved} ->
        warn_alias_once(resolved)

        warn_legacy_once(
          resolved.base_model_id,
          resolved.lifecycle_state,
          resolved.spec.lifecycle
        )

        {:ok, resolved}

      {:error, {:aybiza_error, :unknown_model, _}} ->
        # The closest known ids, computed on a dirty scheduler.
        case Native.catalog_unknown_model(model_id) do
          {:ok, resolved} -> {:ok, resolved}
          {:error, native} -> {:error, Aybiza.Error.from_native(native)}
        end

      {:error, native} ->
        {:error, Aybiza.Error.from_native(native)}
    end
  end

  # The term is described, not shown: a careless caller may pass anything here (options
  # with credentials), and the error reaches logs.
  def get(other),
    do:
      {:error,
       Aybiza.Error.new(
         :invalid_request,
         "model id must be a string, got #{Aybiza.Bedrock.Options.describe(other)}"
       )}

  @doc false
  # The APIs serving `model_id` (`nil` for an id the catalog does not know), for
  # `stream/2`'s choice of API on the first sentence's path: one small NIF term instead of
  # `get/1`'s whole resolved model (~20 µs). Logs the same one-time alias and Legacy warnings
  # as `get/1`.
  @spec apis(String.t()) :: [api()] | nil
  def apis(model_id) when is_binary(model_id) do
    case Native.catalog_call_info(model_id) do
      {apis, alias, legacy} ->
        with {alias_name, real} <- alias, do: warn_alias_once(alias_name, real)

        with {base_model_id, eol, replacement} <- legacy,
             do:
               warn_legacy_once(base_model_id, :legacy, %{eol_date: eol, replacement: replacement})

        apis

      nil ->
        nil
    end
  end

  def apis(_model_id), do: nil

  @doc "Like `get/1` but raises `Aybiza.Error`."
  @spec get!(String.t()) :: resolved()
  def get!(model_id) do
    case get(model_id) do
      {:ok, resolved} -> resolved
      {:error, error} -> raise error
    end
  end

  @doc """
  The lifecycle of a model on Bedrock as of today: `%{state: :active | :legacy | :eol,
  base_model_id:, launched:, eol_date:, replacement:}`, or `nil` for an id the catalog does
  not know. An `eol_date` in the past makes the model `:eol` on that day.

  Calls (`Aybiza.Bedrock.stream/2`, `converse/2`, `invoke_model*`, runtime `count_tokens/2`)
  to an EOL model fail before any network with `%Aybiza.Error{reason: :model_end_of_life}`
  naming the replacement;
  a Legacy model logs one warning per model per VM with its EOL date (`warn_if_legacy/1`).
  """
  @spec lifecycle(String.t()) :: map() | nil
  def lifecycle(model_id) when is_binary(model_id), do: Native.catalog_lifecycle(model_id)
  def lifecycle(_), do: nil

  @doc """
  Logs a warning, once per model per VM, when `model_id` (or the `:model_id` of a request
  map) is a Legacy model: it still works, and stops on its EOL date. Returns `:ok`.
  """
  @spec warn_if_legacy(String.t() | map()) :: :ok
  def warn_if_legacy(%{} = request) do
    case request_model_id(request) do
      id when is_binary(id) -> warn_if_legacy(id)
      _ -> :ok
    end
  end

  def warn_if_legacy(model_id) when is_binary(model_id) do
    case lifecycle(model_id) do
      %{state: :legacy} = l -> warn_legacy_once(l.base_model_id, :legacy, l)
      _ -> :ok
    end
  end

  def warn_if_legacy(_), do: :ok

  defp request_model_id(request) do
    Enum.find_value([:model_id, "model_id", "modelId", :modelId], &Map.get(request, &1))
  end

  @doc """
  Whether the model is served on `api` (`:converse`, `:invoke`, `:messages` or
  `:bidirectional`). Unknown ids return `false`.
  """
  @spec serves?(String.t(), api()) :: boolean()
  def serves?(model_id, api) when api in [:converse, :invoke, :messages, :bidirectional] do
    case get(model_id) do
      {:ok, %{apis: apis}} -> api in apis
      {:error, _} -> false
    end
  end

  @doc "The capabilities of a model (see `t:model/0`)."
  @spec capabilities(String.t()) :: {:ok, map()} | {:error, Aybiza.Error.t()}
  def capabilities(model_id) do
    with {:ok, resolved} <- get(model_id), do: {:ok, resolved.spec.capabilities}
  end

  @doc """
  Replaces the runtime overrides (they do not accumulate: each call starts from the embedded
  data). Takes JSON text or an Elixir map with the shape of `models.json` (atom or string
  keys); `nil` goes back to the embedded data. Invalid overrides leave the catalog unchanged.

      Catalog.put_overrides(%{
        models: [%{id: "anthropic.claude-3-haiku-20240307-v1:0", default_max_tokens: 300}],
        regions: %{countries: %{"BR" => "sa-east-1"}}
      })
  """
  @spec put_overrides(String.t() | map() | keyword() | nil) ::
          {:ok, map()} | {:error, Aybiza.Error.t()}
  def put_overrides(overrides)
      when is_binary(overrides) or is_map(overrides) or is_nil(overrides) do
    case Native.catalog_put_overrides(stringify(overrides)) do
      {:ok, info} -> {:ok, info}
      {:error, native} -> {:error, Aybiza.Error.from_native(native)}
    end
  end

  def put_overrides(overrides) when is_list(overrides), do: put_overrides(Map.new(overrides))

  @doc """
  Applies `config :aybiza_bedrock, :catalog_overrides, overrides` (a map, keyword list, JSON
  text, or `{:file, path}` of a JSON file). Call it from the application's start; without the
  key the embedded catalog is used.
  """
  @spec load_from_config() :: :ok | {:error, Aybiza.Error.t()}
  def load_from_config do
    case Application.get_env(:aybiza_bedrock, :catalog_overrides) do
      nil ->
        :ok

      {:file, path} ->
        case File.read(path) do
          {:ok, json} ->
            load(json)

          {:error, reason} ->
            {:error,
             Aybiza.Error.new(
               :invalid_config,
               "catalog overrides file #{path}: #{:file.format_error(reason)}"
             )}
        end

      overrides ->
        load(overrides)
    end
  end

  defp load(overrides) do
    case put_overrides(overrides) do
      {:ok, _} -> :ok
      {:error, _} = error -> error
    end
  end

  @doc """
  `max_tokens` for a request to `model_id`: the explicit value (an integer, or `:max_tokens` in
  an options map / keyword list) when given, else the model's voice default (Opus 4096,
  Sonnet 4 2048, 3.5 Sonnet 1024, 3.5 Haiku 512, 3 Haiku 256 ...), capped at the model maximum.
  """
  @spec max_tokens_for(String.t(), pos_integer() | map() | keyword() | nil) ::
          {:ok, pos_integer()} | {:error, Aybiza.Error.t()}
  def max_tokens_for(model_id, explicit \\ nil)

  def max_tokens_for(model_id, opts) when is_list(opts) or is_map(opts),
    do: max_tokens_for(model_id, opts[:max_tokens] || opts["max_tokens"] || opts["maxTokens"])

  def max_tokens_for(model_id, explicit)
      when is_nil(explicit) or (is_integer(explicit) and explicit >= 0) do
    case Native.catalog_max_tokens(model_id, explicit) do
      {:ok, n} -> {:ok, n}
      {:error, native} -> {:error, Aybiza.Error.from_native(native)}
    end
  end

  @doc """
  The AWS region serving callers from `country` (ISO 3166 alpha-2, e.g. the Cloudflare
  `cf-ipcountry` header): US/CA us-east-1, GB/FR/ES/NL eu-west-1, DE/IT eu-central-1,
  SG/AU ap-southeast-1, JP ap-northeast-1, IN ap-south-1, anything else the default region.
  """
  @spec region_for_country(String.t() | atom() | nil) :: String.t()
  def region_for_country(nil), do: Native.catalog_region_for_country("")

  def region_for_country(country) when is_atom(country),
    do: region_for_country(Atom.to_string(country))

  def region_for_country(country) when is_binary(country),
    do: Native.catalog_region_for_country(country)

  @doc "The region tried when the preferred one cannot serve (config `regions.fallback_region`)."
  @spec fallback_region() :: String.t()
  def fallback_region, do: info().regions.fallback_region

  @doc """
  The models to switch to when `model_id` is throttled, in order (the design's chain: Sonnet,
  then 3.5 Haiku, then 3 Haiku). Empty when the model has no configured chain.
  """
  @spec fallback_chain(String.t()) :: {:ok, [String.t()]} | {:error, Aybiza.Error.t()}
  def fallback_chain(model_id) do
    case Native.catalog_fallback_chain(model_id) do
      {:ok, chain} -> {:ok, chain}
      {:error, native} -> {:error, Aybiza.Error.from_native(native)}
    end
  end

  @doc """
  Approximate token count of `text` (for interrupted streams): the larger of about 4 ASCII
  characters per token (1 per CJK character) and 4/3 tokens per word.
  """
  @spec estimate_tokens(String.t()) :: non_neg_integer()
  def estimate_tokens(text) when is_binary(text), do: Native.catalog_estimate_tokens(text)

  # One warning per alias per VM; :persistent_term makes the check free after the first time.
  defp warn_alias_once(%{deprecated_alias: true, alias_of: alias_name, model_id: real}),
    do: warn_alias_once(alias_name, real)

  defp warn_alias_once(_resolved), do: :ok

  defp warn_alias_once(alias_name, real) do
    key = {__MODULE__, :alias_warned, alias_name}

    unless :persistent_term.get(key, false) do
      :persistent_term.put(key, true)

      Logger.warning(
        "model id #{inspect(alias_name)} does not exist on Bedrock; using #{inspect(real)}. " <>
          "Update the configuration to the real id."
      )
    end

    :ok
  end

  # Keyed by base model id: at most one key per catalog model, whatever ids callers pass.
  defp warn_legacy_once(base_model_id, :legacy, lifecycle) do
    key = {__MODULE__, :legacy_warned, base_model_id}

    unless :persistent_term.get(key, false) do
      :persistent_term.put(key, true)
      eol = lifecycle_field(lifecycle, :eol_date)
      replacement = lifecycle_field(lifecycle, :replacement)

      Logger.warning(
        "model #{base_model_id} is Legacy on Bedrock" <>
          if(eol,
            do: " and reaches end of life on #{eol}",
            else: " (end-of-life date not yet published)"
          ) <>
          if(replacement, do: "; move to #{replacement}", else: "")
      )
    end

    :ok
  end

  defp warn_legacy_once(_base_model_id, _state, _lifecycle), do: :ok

  defp lifecycle_field(%{} = l, key), do: Map.get(l, key)
  defp lifecycle_field(_, _), do: nil

  # Atom keys and atom values become strings so the NIF sees plain JSON-like data.
  defp stringify(nil), do: nil
  defp stringify(bin) when is_binary(bin), do: bin
  defp stringify(map) when is_map(map), do: Map.new(map, fn {k, v} -> {key(k), value(v)} end)

  defp key(k) when is_atom(k), do: Atom.to_string(k)
  defp key(k), do: k

  defp value(v) when is_map(v), do: stringify(v)

  defp value(v) when is_list(v),
    do:
      if(Keyword.keyword?(v) and v != [], do: stringify(Map.new(v)), else: Enum.map(v, &value/1))

  defp value(v), do: v
end
