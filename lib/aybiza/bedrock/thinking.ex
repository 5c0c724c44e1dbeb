defmodule Aybiza.Bedrock.Thinking do
  @moduledoc """
  Extended thinking for hard questions, without leaving the caller in silence.

  Bedrock shape (Converse): `additional_model_request_fields: %{"thinking" => %{"type" =>
  "enabled", "budget_tokens" => n}}` with `1024 <= n < max_tokens`. `enable/3` builds it
  and checks, before anything is sent, that:

    * the budget is an integer >= 1024 and below `inference_config.max_tokens`;
    * the tool choice is not forced (`any` or a named tool): thinking only works with
      `auto`;
    * `temperature`, `top_p` and `top_k` are not set (thinking forbids changing them);
      pass `drop_sampling: true` to remove them instead of failing.

  While the model thinks the stream sends `:thinking_started` (play filler audio, e.g.
  `filler/0`) then `{:thinking, delta}`; thinking never becomes `{:sentence, _, _}`.
  The answer's reasoning blocks (with their signature) are in `summary.content`: send them
  back unchanged on the next turn, which Bedrock requires when tools are used
  (`Aybiza.Bedrock.ToolLoop` does it). Thinking tokens are billed as output tokens:
  Bedrock counts them in `usage.output_tokens`, so `summary.cost` includes them.
  """

  alias Aybiza.Error

  @min_budget 1024

  @doc "The minimum thinking budget Bedrock accepts (1024 tokens)."
  @spec min_budget() :: pos_integer()
  def min_budget, do: @min_budget

  @doc "The filler phrase to speak while the model thinks."
  @spec filler() :: String.t()
  def filler, do: Aybiza.Bedrock.ToolAcknowledgment.thinking()

  @doc """
  Whether `transcript` deserves extended thinking, by our design's heuristic (patterns
  like "analyze", "troubleshoot", "compare" plus length, history and agent type). Delegates
  to `Aybiza.Bedrock.Text.should_use_extended_thinking?/2`; `context` may hold
  `:conversation_history` and `:agent_type`.
  """
  @spec should_use?(String.t(), map()) :: boolean()
  def should_use?(transcript, context \\ %{}) when is_binary(transcript) and is_map(context) do
    Aybiza.Bedrock.Text.should_use_extended_thinking?(transcript, context)
  end

  @doc """
  Whether the model supports extended thinking with a token budget (`type: "enabled"`, the
  shape this module builds; catalog `capabilities.thinking_budget`). Models with adaptive
  thinking only (Claude Opus 4.7 and later) and unknown models do not.
  """
  @spec supported?(String.t() | nil) :: boolean()
  def supported?(nil), do: false

  def supported?(model_id) when is_binary(model_id) do
    caps = Aybiza.Bedrock.PromptCache.model_capabilities(model_id)
    Map.get(caps, :thinking_budget, Map.get(caps, "thinking_budget")) == true
  end

  @doc """
  Raises `inference_config.max_tokens` to leave room for an answer after a thinking budget
  (budget + 1024) when it is missing or too small.
  """
  @spec fit_max_tokens(map(), pos_integer()) :: map()
  def fit_max_tokens(request, budget) do
    inference = get(request, :inference_config, nil) || %{}
    max_tokens = get(inference, :max_tokens, nil)

    if is_integer(max_tokens) and max_tokens > budget do
      request
    else
      inference = inference |> delete(:max_tokens) |> Map.put(:max_tokens, budget + 1024)
      request |> delete(:inference_config) |> Map.put(:inference_config, inference)
    end
  end

  @doc """
  Enables extended thinking on a Converse request with `budget_tokens`. Options:
  `:drop_sampling` (default `false`): remove temperature/top_p/top_k instead of failing.
  """
  @spec enable(map(), pos_integer(), keyword()) :: {:ok, map()} | {:error, Error.t()}
  def enable(request, budget_tokens, opts \\ []) when is_map(request) do
    opts = Keyword.validate!(opts, drop_sampling: false)

    unless is_boolean(opts[:drop_sampling]) do
      raise ArgumentError,
            ":drop_sampling must be a boolean, got: #{Aybiza.Bedrock.Options.shown(opts[:drop_sampling])}"
    end

    request = if opts[:drop_sampling], do: drop_sampling(request), else: request

    fields =
      request
      |> get(:additional_model_request_fields, %{})
      |> Map.put("thinking", %{"type" => "enabled", "budget_tokens" => budget_tokens})

    request
    |> delete(:additional_model_request_fields)
    |> Map.put(:additional_model_request_fields, fields)
    |> validate()
  end

  @doc "Like `enable/3` but raises `Aybiza.Error`."
  @spec enable!(map(), pos_integer(), keyword()) :: map()
  def enable!(request, budget_tokens, opts \\ []) do
    case enable(request, budget_tokens, opts) do
      {:ok, request} -> request
      {:error, error} -> raise error
    end
  end

  @doc "Whether the request enables extended thinking."
  @spec enabled?(map()) :: boolean()
  def enabled?(request) when is_map(request), do: budget(request) != nil

  @doc "The thinking budget of the request, or `nil`."
  @spec budget(map()) :: pos_integer() | nil
  def budget(request) when is_map(request) do
    case request |> get(:additional_model_request_fields, %{}) |> thinking_field() do
      %{} = t -> Map.get(t, "budget_tokens") || Map.get(t, :budget_tokens)
      _ -> nil
    end
  end

  defp thinking_field(fields) when is_map(fields),
    do: Map.get(fields, "thinking") || Map.get(fields, :thinking)

  defp thinking_field(_), do: nil

  @doc """
  Validates a request's thinking setup (a request without thinking is `{:ok, request}`).
  Returns `{:error, %Aybiza.Error{reason: :invalid_request}}` naming the field.
  """
  @spec validate(map()) :: {:ok, map()} | {:error, Error.t()}
  def validate(request) when is_map(request) do
    case request |> get(:additional_model_request_fields, %{}) |> thinking_field() do
      nil -> {:ok, request}
      thinking -> validate_thinking(request, thinking)
    end
  end

  defp validate_thinking(request, thinking) do
    budget = Map.get(thinking, "budget_tokens") || Map.get(thinking, :budget_tokens)
    type = Map.get(thinking, "type") || Map.get(thinking, :type)
    inference = get(request, :inference_config, %{}) || %{}
    max_tokens = get(inference, :max_tokens, nil)
    choice = request |> get(:tool_config, %{}) |> Kernel.||(%{}) |> get(:tool_choice, nil)
    sampling = Enum.filter([:temperature, :top_p], &(get(inference, &1, nil) != nil))
    fields = get(request, :additional_model_request_fields, %{})
    top_k? = Map.has_key?(fields, "top_k") or Map.has_key?(fields, :top_k)

    cond do
      type not in ["enabled", :enabled] ->
        invalid(
          "additional_model_request_fields.thinking.type must be \"enabled\", got: #{Aybiza.Bedrock.Options.shown(type)}"
        )

      not (is_integer(budget) and budget >= @min_budget) ->
        invalid(
          "additional_model_request_fields.thinking.budget_tokens must be an integer >= #{@min_budget}, got: #{Aybiza.Bedrock.Options.shown(budget)}"
        )

      not is_integer(max_tokens) ->
        invalid(
          "inference_config.max_tokens is required with extended thinking (it must exceed the budget)"
        )

      budget >= max_tokens ->
        invalid(
          "additional_model_request_fields.thinking.budget_tokens (#{budget}) must be below inference_config.max_tokens (#{max_tokens})"
        )

      forced_choice?(choice) ->
        invalid(
          "tool_config.tool_choice must be auto with extended thinking, got: #{Aybiza.Bedrock.Options.shown(choice)}"
        )

      sampling != [] ->
        invalid("inference_config.#{hd(sampling)} cannot be set with extended thinking")

      top_k? ->
        invalid("additional_model_request_fields.top_k cannot be set with extended thinking")

      true ->
        {:ok, request}
    end
  end

  defp forced_choice?(choice) when choice in [nil, :auto, "auto"], do: false

  defp forced_choice?(choice) when is_map(choice),
    do: not (Map.has_key?(choice, :auto) or Map.has_key?(choice, "auto"))

  defp forced_choice?(_), do: true

  @doc "Removes temperature, top_p and top_k (which extended thinking forbids)."
  @spec drop_sampling(map()) :: map()
  def drop_sampling(request) do
    request =
      case get(request, :inference_config, nil) do
        %{} = ic ->
          ic = ic |> delete(:temperature) |> delete(:top_p)
          request |> delete(:inference_config) |> Map.put(:inference_config, ic)

        _ ->
          request
      end

    case get(request, :additional_model_request_fields, nil) do
      %{} = f ->
        request
        |> delete(:additional_model_request_fields)
        |> Map.put(:additional_model_request_fields, Map.drop(f, ["top_k", :top_k]))

      _ ->
        request
    end
  end

  @doc "The reasoning blocks of an assistant message's content (text and signature)."
  @spec reasoning_blocks([map()]) :: [map()]
  def reasoning_blocks(content) when is_list(content) do
    Enum.filter(content, fn block ->
      is_map(block) and
        Enum.any?(
          [:reasoning_content, "reasoning_content", "reasoningContent"],
          &Map.has_key?(block, &1)
        )
    end)
  end

  defp invalid(message), do: {:error, Error.new(:invalid_request, message)}

  # Requests may spell keys as atoms or strings, snake_case or camelCase.
  @doc false
  @spec get(map(), atom(), term()) :: term()
  def get(map, key, default) when is_map(map) do
    Enum.find_value(variants(key), default, fn k ->
      case Map.fetch(map, k) do
        {:ok, v} -> v
        :error -> nil
      end
    end)
  end

  def get(_other, _key, default), do: default

  @doc false
  @spec delete(map(), atom()) :: map()
  def delete(map, key), do: Map.drop(map, variants(key))

  @doc false
  @spec variants(atom()) :: [atom() | String.t()]
  def variants(key) do
    snake = Atom.to_string(key)
    [first | rest] = String.split(snake, "_")
    camel = Enum.join([first | Enum.map(rest, &String.capitalize/1)])
    Enum.uniq([key, snake, String.to_atom(camel), camel])
  end
end
