defmodule Aybiza.Bedrock.Cluster.Quotas do
  @moduledoc """
  Bedrock's per-account quotas of a `{model_id, region}`, as data, for
  `Aybiza.Bedrock.Cluster.Admission`.

  What AWS documents (Quotas for the bedrock-runtime endpoint,
  <https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-runtime.html>):

    * runtime quotas are **per model and per Region**, in **tokens per minute, input and
      output combined**: "On-demand InvokeModel tokens per minute for ${model}" (in-Region
      ids) and "Cross-Region InvokeModel tokens per minute for ${model}" (inference
      profiles such as `us.` / `global.` ids), shared by InvokeModel, Converse and the other
      runtime APIs;
    * Bedrock **no longer enforces requests-per-minute quotas** on bedrock-runtime or
      bedrock-mantle (AWS release note of May 2026, reflected on that page): a
      `:requests_per_minute` limit is therefore only applied when you configure one;
    * a request reserves `input tokens + max_tokens` of the token quota when it starts and
      is settled with the real usage when it ends (AWS's Bedrock quota guide in
      `aws/agent-toolkit-for-aws`, `references/quota-health.md`; the bedrock-mantle quota
      page, <https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-mantle.html>,
      evaluates `input + max_tokens` the same way).

  **No default value is confirmed.** We looked (December 2026) for the default
  on-demand and cross-Region tokens/requests per minute of the catalog's main models
  (Claude Sonnet 4.6, Haiku 4.5, Opus, Nova) on AWS's pages: "Quotas for Amazon Bedrock"
  (<https://docs.aws.amazon.com/bedrock/latest/userguide/quotas.html>), the runtime page
  above, "Request an increase for Amazon Bedrock quotas"
  (<https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-increase.html>) and the
  General Reference's "Amazon Bedrock endpoints and quotas"
  (<https://docs.aws.amazon.com/general/latest/gr/bedrock.html#limits_bedrock>). They name
  the quotas and say where to read them (the Service Quotas console, per account and
  Region) but state no per-model numbers in any text we could read; "the default quotas
  assigned to an account might be updated depending on regional factors, payment history,
  fraudulent usage, and/or approval of a quota increase request" (quotas.html), and the
  values developers report from their own consoles differ by orders of magnitude between
  accounts. So the one default below stays `confirmed: false` (from the fact sheet of our
  design, `../shared/design/bedrock-2026-12.md`, "Default quotas", which quotes a third
  party), and **hosts must configure their quotas**: read yours in the Service Quotas
  console (`aws service-quotas list-service-quotas --service-code bedrock`) and put them in
  `limits`. A model without a configured or default quota is not limited by admission.

      config :aybiza_bedrock, :quotas,
        # false: ignore the defaults below, use only `limits`
        use_defaults: true,
        limits: [
          # {model id (base id or profile), region or :any, limits}
          {"anthropic.claude-sonnet-4-6", "us-east-1", tokens_per_minute: 400_000},
          {"us.anthropic.claude-haiku-4-5-20251001-v1:0", :any,
           tokens_per_minute: 2_000_000, requests_per_minute: 2_000}
        ]

  A configured entry for a profile id (`us.`, `eu.`, `global.`...) applies to calls through
  that profile; one for a base id applies to that id and, unless a profile entry matches
  first, to its profiles as well. The first matching entry wins.
  """

  @typedoc "Limits per minute of a `{model, region}` for the whole account."
  @type limits :: %{
          requests_per_minute: pos_integer() | nil,
          tokens_per_minute: pos_integer() | nil
        }

  @profile_prefixes ~w(us. eu. apac. jp. au. ca. us-gov. global.)

  # Defaults: {base model id, :cross_region | :on_demand, limits, confirmed?, source}.
  # Unconfirmed: see the moduledoc.
  @defaults [
    # The fact sheet also quotes a cross-Region RPM of 10,000 for Haiku 4.5 (third party):
    # not applied, since Bedrock no longer enforces requests per minute.
    {"anthropic.claude-sonnet-5", :cross_region, %{tokens_per_minute: 6_000_000}, false,
     "fact sheet 'Default quotas' (third-party figure)"}
  ]

  @doc "The built-in default quotas with their status and source."
  @spec defaults() :: [map()]
  def defaults do
    for {model, scope, limits, confirmed?, source} <- @defaults,
        do: %{model: model, scope: scope, limits: limits, confirmed: confirmed?, source: source}
  end

  @doc """
  The account's limits for `model_id` in `region`: the first configured entry that
  matches, then the defaults (unless `use_defaults: false`), else `nil` (not limited).
  """
  @spec get(String.t(), String.t()) :: limits() | nil
  def get(model_id, region) when is_binary(model_id) and is_binary(region) do
    config = Application.get_env(:aybiza_bedrock, :quotas, [])
    {scope, base} = split(model_id)

    configured =
      Enum.find_value(Keyword.get(config, :limits, []), fn
        {id, where, limits} when is_binary(id) and is_list(limits) ->
          if (id == model_id or id == base) and (where == :any or where == region),
            do: normalize(limits)

        _ ->
          nil
      end)

    cond do
      configured ->
        configured

      Keyword.get(config, :use_defaults, true) ->
        Enum.find_value(@defaults, fn {id, default_scope, limits, _, _} ->
          if id == base and default_scope == scope, do: normalize(limits)
        end)

      true ->
        nil
    end
  end

  @doc """
  Validates the `:quotas` configuration; raises `ArgumentError` naming a bad entry.
  """
  @spec validate!(keyword()) :: :ok
  def validate!(config) do
    unless Keyword.keyword?(config),
      do: raise(ArgumentError, "config :aybiza_bedrock, :quotas must be a keyword list")

    for entry <- Keyword.get(config, :limits, []) do
      case entry do
        {id, where, limits} when is_binary(id) and (is_binary(where) or where == :any) ->
          if normalize(limits) == nil, do: bad!(entry)

        _ ->
          bad!(entry)
      end
    end

    :ok
  end

  defp bad!(entry) do
    raise ArgumentError,
          "invalid :quotas limit #{inspect(entry)}: expected {model_id, region | :any, " <>
            "[tokens_per_minute: pos_integer, requests_per_minute: pos_integer]}"
  end

  defp normalize(limits) when is_list(limits) or is_map(limits) do
    limits = Map.new(limits)
    rpm = Map.get(limits, :requests_per_minute)
    tpm = Map.get(limits, :tokens_per_minute)

    valid? = fn v -> is_nil(v) or (is_integer(v) and v > 0) end

    if valid?.(rpm) and valid?.(tpm) and (rpm != nil or tpm != nil) and
         Map.keys(limits) -- [:requests_per_minute, :tokens_per_minute] == [],
       do: %{requests_per_minute: rpm, tokens_per_minute: tpm}
  end

  defp normalize(_), do: nil

  @doc false
  # {:cross_region | :on_demand, base id}
  @spec split(String.t()) :: {:cross_region | :on_demand, String.t()}
  def split(model_id) do
    case Enum.find(@profile_prefixes, &String.starts_with?(model_id, &1)) do
      nil ->
        {:on_demand, model_id}

      prefix ->
        {:cross_region,
         binary_part(model_id, byte_size(prefix), byte_size(model_id) - byte_size(prefix))}
    end
  end
end
