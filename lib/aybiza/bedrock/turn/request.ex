defmodule Aybiza.Bedrock.Turn.Request do
  @moduledoc """
  Step 2 of a turn (see `Aybiza.Bedrock.Turn`): the one request builder. Every request of a
  turn (each attempt, each fallback model, each tool round) comes from `build/5`;
  `Aybiza.AWS.BedrockClient.build_request/4` is this with the client's settings.
  """

  alias Aybiza.Error

  alias Aybiza.Bedrock.{
    Catalog,
    ConversationMemory,
    PromptCache,
    Text,
    Tool,
    VoicePrompts
  }

  alias Aybiza.Bedrock.Turn.Policy.Models

  @doc """
  The Converse request for `prompt` on `model_id` (the design's `build_enhanced_payload`),
  from the model's catalog entry: system prompt + voice guidelines
  (`Aybiza.Bedrock.VoicePrompts`), history + the user turn, `max_tokens` of
  `Aybiza.Bedrock.Catalog.max_tokens_for/2`, temperature (0.3) and top_p (0.9, only when
  the model accepts both), `top_k` (250) in the additional fields of Anthropic models (no
  sampling parameter at all for models that take none, Claude Opus 4.7 and later), tools
  only when the model supports them, extended (budget) thinking when asked and supported
  (then no temperature/top_p/top_k), and `performance_config` for `latency: :optimized`.
  `{:error, %Aybiza.Error{}}` for a model the catalog does not know or an unknown
  `:agent_type`.
  """
  @spec build(String.t(), map(), keyword(), String.t(), map()) ::
          {:ok, map()} | {:error, Error.t()}
  def build(prompt, context, opts, model_id, settings) do
    with {:ok, facts} <- Models.facts(model_id),
         :ok <- check_metadata(context, opts),
         {:ok, max_tokens} <- Catalog.max_tokens_for(model_id, opts[:max_tokens]),
         {:ok, system} <- system_text(context) do
      thinking? = facts.thinking? and thinking_wanted?(prompt, context, opts, settings)
      budget = max(1024, opts[:thinking_budget] || 3_000)
      max_tokens = if thinking?, do: max(max_tokens, budget + 1024), else: max_tokens

      inference =
        cond do
          thinking? or not facts.sampling? ->
            %{max_tokens: max_tokens}

          facts.temperature_and_top_p? ->
            %{max_tokens: max_tokens, temperature: opts[:temperature], top_p: opts[:top_p]}

          true ->
            %{max_tokens: max_tokens, temperature: opts[:temperature]}
        end

      additional =
        cond do
          thinking? ->
            %{"thinking" => %{"type" => "enabled", "budget_tokens" => budget}}

          facts.family == "anthropic" and facts.sampling? and opts[:top_k] ->
            %{"top_k" => opts[:top_k]}

          true ->
            %{}
        end

      request =
        %{
          model_id: model_id,
          system: [%{text: system}],
          # A history that ends with a user turn (the caller spoke twice, e.g. after a
          # barge-in) merges with this one: Converse refuses two user turns in a row. A
          # history that opens with the agent's greeting loses it (Converse refuses a
          # conversation that starts with an assistant turn; ConversationMemory does the same).
          messages:
            (List.wrap(context[:conversation_history]) ++ [user_message(prompt, context)])
            |> ConversationMemory.merge_same_roles()
            |> drop_leading_assistant(),
          inference_config: inference
        }
        |> put_if(additional != %{}, :additional_model_request_fields, additional)
        |> put_tools(context[:tools] || [], facts.tools?, opts[:tool_choice] || :auto)
        |> put_if(opts[:latency] == :optimized, :performance_config, %{latency: :optimized})
        |> put_if(metadata(context, opts) != %{}, :request_metadata, metadata(context, opts))
        |> put_guardrail(opts[:guardrail])

      with :ok <- Aybiza.Bedrock.Media.check_counts(request.messages) do
        cache(request, opts[:cache] || false)
      end
    end
  end

  # The caller's words, after the images and documents of `context[:attachments]` (blocks
  # built by `Aybiza.Bedrock.Media.image/2` and `document/3`).
  defp drop_leading_assistant([%{} = message | rest] = messages) do
    if Map.get(message, :role, Map.get(message, "role")) in [:assistant, "assistant"],
      do: drop_leading_assistant(rest),
      else: messages
  end

  defp drop_leading_assistant(messages), do: messages

  defp user_message(prompt, context) do
    %{role: :user, content: List.wrap(context[:attachments]) ++ [%{text: prompt}]}
  end

  defp put_tools(request, [], _supported?, _choice), do: request
  defp put_tools(request, _tools, false, _choice), do: request

  defp put_tools(request, [%Tool{} | _] = tools, true, choice),
    do: Map.put(request, :tool_config, Tool.tool_config(tools, tool_choice: choice))

  defp put_tools(request, tools, true, choice),
    do: Map.put(request, :tool_config, %{tools: tools, tool_choice: choice})

  defp cache(request, false), do: {:ok, request}
  defp cache(request, true), do: PromptCache.add_cache_points(request, history: false)

  defp cache(request, opts) when is_list(opts),
    do: PromptCache.add_cache_points(request, Keyword.put_new(opts, :history, false))

  defp put_guardrail(request, nil), do: request

  defp put_guardrail(request, guardrail) do
    guardrail = Map.new(guardrail)

    config =
      %{
        guardrail_identifier: guardrail[:id],
        guardrail_version: guardrail[:version]
      }
      |> put_if(guardrail[:trace] != nil, :trace, to_string(guardrail[:trace]))
      |> put_if(
        guardrail[:stream_processing_mode] != nil,
        :stream_processing_mode,
        to_string(guardrail[:stream_processing_mode])
      )

    Map.put(request, :guardrail_config, config)
  end

  defp thinking_wanted?(prompt, context, opts, settings) do
    case opts[:extended_thinking] do
      true ->
        true

      # The design's heuristic, or a complexity at or above EXTENDED_THINKING_THRESHOLD.
      :auto ->
        Text.should_use_extended_thinking?(prompt, context) or
          Text.assess_query_complexity(prompt, context) >= settings.extended_thinking_threshold

      _ ->
        false
    end
  end

  defp system_text(context) do
    guidelines = VoicePrompts.voice_guidelines()

    with {:ok, base} <- base_prompt(context) do
      if String.contains?(base, String.trim(guidelines)),
        do: {:ok, base},
        else:
          {:ok,
           String.trim(String.trim_trailing(base) <> "\n\n" <> String.trim_trailing(guidelines))}
    end
  end

  defp base_prompt(%{system_prompt: prompt}) when is_binary(prompt), do: {:ok, prompt}

  defp base_prompt(%{agent_type: agent_type}) when is_atom(agent_type) and agent_type != nil do
    if agent_type in VoicePrompts.agent_types(),
      do: {:ok, VoicePrompts.prompt(agent_type, guidelines: false)},
      else:
        {:error,
         Error.new(
           :invalid_request,
           "unknown :agent_type #{inspect(agent_type)}; expected one of #{inspect(VoicePrompts.agent_types())} or a :system_prompt"
         )}
  end

  defp base_prompt(_context), do: {:ok, ""}

  # The ids go to Bedrock as requestMetadata strings: only scalars have an honest string form
  # (a map or a pid would raise in to_string/1 or send something meaningless).
  defp check_metadata(context, opts) do
    bad =
      for key <- [:call_id, :tenant_id],
          value = opts[key] || context[key],
          not (is_binary(value) or is_integer(value) or is_atom(value)),
          do: key

    case bad do
      [] ->
        :ok

      [key | _] ->
        {:error,
         Error.new(:invalid_request, "#{inspect(key)} must be a string, an atom or an integer")}
    end
  end

  defp metadata(context, opts) do
    %{
      "call_id" => opts[:call_id] || context[:call_id],
      "tenant_id" => opts[:tenant_id] || context[:tenant_id]
    }
    |> Enum.reject(fn {_k, v} -> is_nil(v) end)
    |> Map.new(fn {k, v} -> {k, to_string(v)} end)
  end

  defp put_if(map, true, key, value), do: Map.put(map, key, value)
  defp put_if(map, false, _key, _value), do: map
end
