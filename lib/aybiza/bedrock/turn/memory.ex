defmodule Aybiza.Bedrock.Turn.Memory do
  @moduledoc """
  Steps 3 and 8 of a turn (see `Aybiza.Bedrock.Turn`): `memory: call_id` of
  `Aybiza.AWS.BedrockClient.generate_response/3`. Before the request is built, the call's
  window from `Aybiza.Bedrock.ConversationMemory` goes before the context's history (an id
  with no memory has none: a new conversation); when the turn completes, the caller's words,
  the tool exchange and the answer are appended. A failed or cancelled turn appends nothing.
  """

  alias Aybiza.Bedrock.ConversationMemory

  @doc """
  `context` with the call's remembered window before its `:conversation_history`.
  `opts`: options of `ConversationMemory.build_messages_with_memory/3` (`:memory`,
  `:last_n`, `:since`, `:max_input_tokens`, `:summary`, `:count_tokens`); a bad one raises
  `ArgumentError` in the caller, before any network.
  """
  @spec window_into(map(), term(), keyword()) :: map()
  def window_into(context, call_id, opts) do
    window = ConversationMemory.build_messages_with_memory(call_id, nil, opts)
    Map.put(context, :conversation_history, window ++ List.wrap(context[:conversation_history]))
  end

  @doc """
  Appends the turn's messages to the call's memory. Never fails the turn: the answer was
  spoken already, so a memory that cannot be written is left as it was.
  """
  @spec remember(term(), [map()], keyword()) :: :ok
  def remember(call_id, messages, opts) do
    _ = ConversationMemory.remember_all(call_id, messages, Keyword.take(opts, [:memory]))
    :ok
  catch
    :exit, _ -> :ok
  end
end
