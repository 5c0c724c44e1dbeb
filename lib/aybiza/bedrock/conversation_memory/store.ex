defmodule Aybiza.Bedrock.ConversationMemory.Store do
  @moduledoc """
  Where conversation memory is kept between changes, so a call's memory survives its
  process (and, with `Aybiza.Bedrock.ConversationMemory.MnesiaStore`, the node).

  The per-call process holds the state and writes it through on every change; on start it
  loads what the store has. A state is a map with `:call_id`, `:history` (entries
  `%{role, content, timestamp, metadata}`, oldest first), `:summary`, `:metadata` and
  `:updated_at` (a `DateTime`).

  Implementations: `Aybiza.Bedrock.ConversationMemory.EtsStore` (default) and
  `Aybiza.Bedrock.ConversationMemory.MnesiaStore`.
  """

  @type call_id :: term()
  @type state :: map()

  @doc """
  Prepares the storage (create tables...). Called once by the memory supervisor, in a
  process that lives as long as the memory (it may own tables).
  """
  @callback init(keyword()) :: :ok | {:error, term()}

  @doc "The stored state of a call."
  @callback load(call_id()) :: {:ok, state()} | :not_found

  @doc "Stores the state of a call (replacing any previous one)."
  @callback save(call_id(), state()) :: :ok | {:error, term()}

  @doc "Deletes a call's state."
  @callback delete(call_id()) :: :ok
end
