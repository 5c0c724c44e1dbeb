defmodule Aybiza.Bedrock.ConversationMemory.MnesiaStore do
  @moduledoc """
  A memory store in Mnesia, OTP's own distributed database: a `disc_copies` table, so
  memory survives a node restart, and replicable to other nodes (`add_node/1`) so another
  node can take a call over.

  Configure the directory with `Application.put_env(:mnesia, :dir, dir)` (or
  `-mnesia dir '"..."'`) before the memory supervisor starts; `init/1` creates the disc
  schema there when there is none, starts Mnesia and creates the table.

      children = [{Aybiza.Bedrock.ConversationMemory.Supervisor,
                   store: Aybiza.Bedrock.ConversationMemory.MnesiaStore}]
  """
  @behaviour Aybiza.Bedrock.ConversationMemory.Store

  @table :aybiza_conversation_memory
  @wait_ms 15_000

  # Called through a function: :mnesia is an optional dependency that the application does
  # not list (it starts only with this store), and a static call would make the compiler
  # warn about the undeclared application.
  defp mnesia, do: :mnesia

  @doc "The Mnesia table name."
  @spec table() :: atom()
  def table, do: @table

  @impl true
  def init(_opts) do
    with :ok <- ensure_schema(),
         :ok <- start_mnesia(),
         :ok <- ensure_table() do
      mnesia().wait_for_tables([@table], @wait_ms) |> wait_result()
    end
  end

  # A disc schema must exist before Mnesia starts for disc_copies tables.
  defp ensure_schema do
    if mnesia().system_info(:is_running) == :yes do
      :ok
    else
      case mnesia().create_schema([node()]) do
        :ok -> :ok
        {:error, {_, {:already_exists, _}}} -> :ok
        {:error, reason} -> {:error, {:create_schema, reason}}
      end
    end
  end

  defp start_mnesia do
    case Application.ensure_all_started(:mnesia) do
      {:ok, _} -> :ok
      {:error, reason} -> {:error, {:start_mnesia, reason}}
    end
  end

  defp ensure_table do
    case mnesia().create_table(@table, attributes: [:call_id, :state], disc_copies: [node()]) do
      {:atomic, :ok} -> :ok
      {:aborted, {:already_exists, @table}} -> ensure_local_copy()
      {:aborted, reason} -> {:error, {:create_table, reason}}
    end
  end

  # The table may exist elsewhere in the cluster; keep a disc copy here too.
  defp ensure_local_copy do
    case mnesia().add_table_copy(@table, node(), :disc_copies) do
      {:atomic, :ok} -> :ok
      {:aborted, {:already_exists, _, _}} -> :ok
      {:aborted, reason} -> {:error, {:add_table_copy, reason}}
    end
  end

  defp wait_result(:ok), do: :ok
  defp wait_result({:timeout, tables}), do: {:error, {:timeout, tables}}
  defp wait_result({:error, reason}), do: {:error, reason}

  @doc """
  Replicates the memory table to `node` (which must run Mnesia with this library): joins
  it to the Mnesia cluster and adds a disc copy there.
  """
  @spec add_node(node()) :: :ok | {:error, term()}
  def add_node(node) when is_atom(node) do
    with {:ok, _} <- mnesia().change_config(:extra_db_nodes, [node]),
         {:atomic, :ok} <-
           mnesia().change_table_copy_type(:schema, node, :disc_copies) |> ok_if_exists(),
         {:atomic, :ok} <- mnesia().add_table_copy(@table, node, :disc_copies) |> ok_if_exists() do
      :ok
    else
      {:aborted, reason} -> {:error, reason}
      {:error, reason} -> {:error, reason}
    end
  end

  defp ok_if_exists({:aborted, {:already_exists, _, _}}), do: {:atomic, :ok}
  defp ok_if_exists({:aborted, {:already_exists, _, _, _}}), do: {:atomic, :ok}
  defp ok_if_exists(other), do: other

  @impl true
  def load(call_id) do
    case mnesia().transaction(fn -> mnesia().read(@table, call_id) end) do
      {:atomic, [{@table, ^call_id, state}]} -> {:ok, state}
      _ -> :not_found
    end
  end

  @impl true
  def save(call_id, state) do
    case mnesia().transaction(fn -> mnesia().write({@table, call_id, state}) end) do
      {:atomic, :ok} -> :ok
      {:aborted, reason} -> {:error, reason}
    end
  end

  @impl true
  def delete(call_id) do
    _ = mnesia().transaction(fn -> mnesia().delete({@table, call_id}) end)
    :ok
  end
end
