defmodule Aybiza.Bedrock.ConversationMemory.EtsStore do
  @moduledoc """
  The default memory store: a public ETS table owned by the memory supervisor's store
  process. Memory survives the crash of a call's process, not a node restart (use
  `Aybiza.Bedrock.ConversationMemory.MnesiaStore` for that).
  """
  @behaviour Aybiza.Bedrock.ConversationMemory.Store

  # Not :aybiza_conversation_memory: Mnesia names its ETS table after the Mnesia table.
  @table __MODULE__

  @doc "The ETS table name."
  @spec table() :: atom()
  def table, do: @table

  @impl true
  def init(_opts) do
    if :ets.whereis(@table) == :undefined do
      :ets.new(@table, [
        :set,
        :public,
        :named_table,
        read_concurrency: true,
        write_concurrency: true
      ])
    end

    :ok
  end

  @impl true
  def load(call_id) do
    case :ets.lookup(@table, call_id) do
      [{_, state}] -> {:ok, state}
      [] -> :not_found
    end
  rescue
    ArgumentError -> :not_found
  end

  @impl true
  def save(call_id, state) do
    :ets.insert(@table, {call_id, state})
    :ok
  end

  @impl true
  def delete(call_id) do
    :ets.delete(@table, call_id)
    :ok
  rescue
    ArgumentError -> :ok
  end
end
