defmodule Aybiza.Bedrock.PromptCache do
  @moduledoc """
  Prompt caching with Converse `cachePoint` blocks, so the long system prompt, the tool
  list and the stable part of the conversation are not paid in full every turn.

  `add_cache_points/2` adds `%{cache_point: %{type: "default"}}` (or with `ttl: "1h"`) after the
  system prompt, after the tools and after the stable history (everything before the
  newest user turn), each only when

    * the model supports prompt caching (a catalog fact, `Aybiza.Bedrock.Catalog`), and
    * the prefix up to that point reaches the model's minimum cacheable tokens (estimated
      at ~4 characters per token).

  Bedrock takes at most 4 cache points per request; `add_cache_points/2` never adds more than that
  (counting the ones already there). Cache usage comes back in `usage` as
  `cache_read_input_tokens` and `cache_write_input_tokens` (with `cache_details`, the write
  split by TTL, when Bedrock sends it), and `summary.cost` prices them (reads ~10% of
  input, writes ~125% for 5 minutes, ~200% for 1 hour per the catalog's prices).
  """

  import Aybiza.Bedrock.Thinking, only: [get: 3, delete: 2]

  @max_cache_points 4

  @doc """
  Adds cache points to `request`. Options:

    * `:system`, `:tools`, `:history` - where to place them (booleans; default `true`).
    * `:ttl` - `"5m"` (default) or `"1h"` (only for models that accept it; otherwise
      `{:error, %Aybiza.Error{}}`).
    * `:min_tokens` - override the catalog's minimum cacheable tokens.
    * `:supported` - override the catalog's `prompt_caching` capability (e.g. for a model
      the catalog does not know).

  Returns `{:ok, request}` (unchanged when caching does not apply).
  """
  @spec add_cache_points(map(), keyword()) :: {:ok, map()} | {:error, Aybiza.Error.t()}
  def add_cache_points(request, opts \\ []) when is_map(request) do
    opts =
      Keyword.validate!(opts,
        system: true,
        tools: true,
        history: true,
        ttl: "5m",
        min_tokens: nil,
        supported: nil
      )

    for key <- [:system, :tools, :history], not is_boolean(opts[key]) do
      raise ArgumentError,
            "#{inspect(key)} must be a boolean, got: #{Aybiza.Bedrock.Options.shown(opts[key])}"
    end

    unless opts[:ttl] in ["5m", "1h"] do
      raise ArgumentError,
            ":ttl must be \"5m\" or \"1h\", got: #{Aybiza.Bedrock.Options.shown(opts[:ttl])}"
    end

    caps = capabilities(get(request, :model_id, nil))
    supported = if is_nil(opts[:supported]), do: caps.prompt_caching, else: opts[:supported]
    min_tokens = opts[:min_tokens] || caps.min_cache_tokens

    cond do
      not supported ->
        {:ok, request}

      opts[:ttl] == "1h" and opts[:supported] == nil and not caps.cache_ttl_1h ->
        {:error,
         Aybiza.Error.new(:invalid_request, "cache ttl \"1h\" is not supported by this model")}

      true ->
        {:ok, add_points(request, opts, min_tokens)}
    end
  end

  @doc "Like `add_cache_points/2` but raises."
  @spec add_cache_points!(map(), keyword()) :: map()
  def add_cache_points!(request, opts \\ []) do
    case add_cache_points(request, opts) do
      {:ok, request} -> request
      {:error, error} -> raise error
    end
  end

  @doc "The cache point block for a TTL (`\"5m\"` is Bedrock's default and is left out)."
  @spec cache_point(String.t()) :: map()
  def cache_point("5m"), do: %{cache_point: %{type: "default"}}
  def cache_point(ttl), do: %{cache_point: %{type: "default", ttl: ttl}}

  @doc "Estimated tokens of a text or a term (~4 characters per token)."
  @spec estimate_tokens(term()) :: non_neg_integer()
  def estimate_tokens(text) when is_binary(text), do: div(String.length(text) + 3, 4)
  def estimate_tokens(term), do: term |> chars() |> Kernel.+(3) |> div(4)

  defp chars(text) when is_binary(text), do: String.length(text)

  defp chars(map) when is_map(map),
    do: Enum.reduce(map, 0, fn {k, v}, acc -> acc + chars(k) + chars(v) end)

  defp chars(list) when is_list(list), do: Enum.reduce(list, 0, &(chars(&1) + &2))
  defp chars(atom) when is_atom(atom), do: 0
  defp chars(other), do: other |> to_string_safe() |> String.length()

  defp to_string_safe(v) when is_number(v), do: to_string(v)
  defp to_string_safe(v), do: inspect(v)

  @doc """
  The model's caching facts from the catalog: `%{prompt_caching: bool, min_cache_tokens:
  n, cache_ttl_1h: bool}`. Unknown models get `prompt_caching: false`.
  """
  @spec capabilities(String.t() | nil) :: map()
  def capabilities(nil), do: %{prompt_caching: false, min_cache_tokens: 1024, cache_ttl_1h: false}

  def capabilities(model_id) when is_binary(model_id) do
    caps = model_capabilities(model_id)

    %{
      prompt_caching: field(caps, :prompt_caching) == true,
      min_cache_tokens: field(caps, :min_cache_tokens) || 1024,
      cache_ttl_1h: field(caps, :cache_ttl_1h) == true
    }
  end

  @doc false
  # Unknown models (and a catalog that cannot answer) have no capabilities.
  @spec model_capabilities(String.t()) :: map()
  def model_capabilities(model_id) do
    case Aybiza.Bedrock.Catalog.capabilities(model_id) do
      {:ok, %{} = caps} -> caps
      _ -> %{}
    end
  rescue
    _ -> %{}
  end

  defp field(%{} = map, key), do: Map.get(map, key, Map.get(map, Atom.to_string(key)))
  defp field(_, _), do: nil

  defp add_points(request, opts, min_tokens) do
    point = cache_point(opts[:ttl])
    budget = @max_cache_points - count_points(request)

    tools =
      request
      |> get(:tool_config, nil)
      |> then(&if(is_map(&1), do: get(&1, :tools, []), else: []))

    system = request |> get(:system, []) |> List.wrap()
    messages = get(request, :messages, [])

    # Anthropic models read the prefix as tools, then system, then messages.
    tools_tokens = estimate_tokens(tools)
    system_tokens = tools_tokens + estimate_tokens(system)

    {request, budget} =
      if opts[:tools] and budget > 0 and tools != [] and tools_tokens >= min_tokens and
           not ends_with_point?(tools) do
        tc = get(request, :tool_config, %{})
        tc = tc |> delete(:tools) |> Map.put(:tools, tools ++ [point])
        {request |> delete(:tool_config) |> Map.put(:tool_config, tc), budget - 1}
      else
        {request, budget}
      end

    {request, budget} =
      if opts[:system] and budget > 0 and system != [] and system_tokens >= min_tokens and
           not ends_with_point?(system) do
        {request |> delete(:system) |> Map.put(:system, system ++ [point]), budget - 1}
      else
        {request, budget}
      end

    if opts[:history] and budget > 0 and length(messages) >= 2 do
      {stable, [last]} = Enum.split(messages, -1)
      stable_tokens = system_tokens + estimate_tokens(stable)
      prev = List.last(stable)

      if stable_tokens >= min_tokens and not ends_with_point?(content(prev)) do
        stable = List.replace_at(stable, -1, put_content(prev, content(prev) ++ [point]))
        request |> delete(:messages) |> Map.put(:messages, stable ++ [last])
      else
        request
      end
    else
      request
    end
  end

  defp content(message) do
    case get(message, :content, []) do
      text when is_binary(text) -> [%{text: text}]
      list -> list
    end
  end

  defp put_content(message, content),
    do: message |> delete(:content) |> Map.put(:content, content)

  defp ends_with_point?([]), do: false
  defp ends_with_point?(list), do: point?(List.last(list))

  defp point?(block) when is_map(block), do: get(block, :cache_point, nil) != nil
  defp point?(_), do: false

  defp count_points(request) do
    tools =
      request
      |> get(:tool_config, nil)
      |> then(&if(is_map(&1), do: get(&1, :tools, []), else: []))

    system = request |> get(:system, []) |> List.wrap()
    blocks = Enum.flat_map(get(request, :messages, []), &content/1)
    Enum.count(tools ++ system ++ blocks, &point?/1)
  end
end
