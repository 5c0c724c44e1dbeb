defmodule Aybiza.Bedrock.ConversationMemory.MnesiaStore do
  @moduledoc """
  A memory store in Mnesia, OTP's own distributed database, replicated to every node of
  the cluster that runs it, so a call continued on another node (its websocket reconnected
  elsewhere) sees the same window, and memory survives a node going down.

  Copies: `config :aybiza_bedrock, :conversation_memory, mnesia_copies: :disc_copies`
  (the default: each node keeps the table in RAM and on disc, so memory also survives a
  restart of the whole cluster) or `:ram_copies` (RAM only: survives nodes going down as
  long as one node keeps running; no disc schema needed). Mnesia's directory is
  `Application.put_env(:mnesia, :dir, dir)` (or `-mnesia dir '"..."'`).

  `init/1` (run by the memory supervisor at start):

    * other connected nodes already run the table (the cluster exists): this node joins
      their Mnesia cluster (`extra_db_nodes`) and adds its own copy of the table (a
      node that was a member before restarts from its disc schema and catches up);
    * no connected node has it: this node creates the schema (for disc copies) and the
      table, alone; the nodes that start later join it.

  So connect the node to the cluster before the application starts (`-kernel
  sync_nodes_mandatory` / `sync_nodes_optional`, or your clustering library's boot
  order), or call `add_node/1` from a member afterwards. Two nodes that each created the
  table alone cannot merge (Mnesia does not merge schemas): see `docs/CLUSTER.md`.

      children = [{Aybiza.Bedrock.ConversationMemory.Supervisor,
                   store: Aybiza.Bedrock.ConversationMemory.MnesiaStore}]

  Writes are Mnesia transactions on every copy (a write returns when all running copies
  have it); reads are local. See `docs/CLUSTER.md` for the consistency given and not
  given.
  """
  @behaviour Aybiza.Bedrock.ConversationMemory.Store

  @table :aybiza_conversation_memory
  @wait_ms 15_000
  @peer_timeout_ms 2_000

  # Called through a function: :mnesia is an optional dependency that the application does
  # not list (it starts only with this store), and a static call would make the compiler
  # warn about the undeclared application.
  defp mnesia, do: :mnesia

  @doc "The Mnesia table name."
  @spec table() :: atom()
  def table, do: @table

  @doc "The configured copy type: `:disc_copies` (default) or `:ram_copies`."
  @spec copies() :: :disc_copies | :ram_copies
  def copies do
    case Keyword.get(
           Application.get_env(:aybiza_bedrock, :conversation_memory, []),
           :mnesia_copies,
           :disc_copies
         ) do
      copies when copies in [:disc_copies, :ram_copies] ->
        copies

      other ->
        raise ArgumentError,
              "config :aybiza_bedrock, :conversation_memory, :mnesia_copies must be " <>
                ":disc_copies or :ram_copies, got: #{Aybiza.Bedrock.Options.shown(other)}"
    end
  end

  @impl true
  def init(_opts) do
    copies = copies()

    result =
      case peers_with_table() do
        [] -> init_alone(copies)
        peers -> join(peers, copies)
      end

    with :ok <- result do
      mnesia().wait_for_tables([@table], @wait_ms) |> wait_result()
    end
  end

  defp init_alone(copies) do
    with :ok <- ensure_schema(copies),
         :ok <- start_mnesia() do
      ensure_table(copies)
    end
  end

  defp join(peers, copies) do
    had_disc_schema? = disc_schema?()

    with :ok <- start_mnesia(),
         {:ok, _} <- mnesia().change_config(:extra_db_nodes, peers) do
      if had_disc_schema? do
        # A former member: its schema already lists the table and its copy.
        ensure_local_copy(copies)
      else
        with :ok <- schema_copy(copies), do: ensure_local_copy(copies)
      end
    else
      {:error, reason} -> {:error, {:join, reason}}
    end
  end

  # Disc copies of a table need the schema on disc on that node.
  defp schema_copy(:ram_copies), do: :ok

  defp schema_copy(:disc_copies) do
    case mnesia().change_table_copy_type(:schema, node(), :disc_copies) |> ok_if_exists() do
      {:atomic, :ok} -> :ok
      {:aborted, reason} -> {:error, {:schema_copy, reason}}
    end
  end

  # Connected nodes whose running Mnesia has the memory table.
  defp peers_with_table do
    Node.list()
    |> Enum.filter(fn node ->
      try do
        :erpc.call(node, :mnesia, :system_info, [:is_running], @peer_timeout_ms) == :yes and
          @table in :erpc.call(node, :mnesia, :system_info, [:tables], @peer_timeout_ms)
      catch
        _, _ -> false
      end
    end)
  end

  defp disc_schema? do
    dir = mnesia().system_info(:directory)
    File.exists?(Path.join(to_string(dir), "schema.DAT"))
  end

  # A disc schema must exist before Mnesia starts for disc_copies tables.
  defp ensure_schema(:ram_copies), do: :ok

  defp ensure_schema(:disc_copies) do
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

  defp ensure_table(copies) do
    case mnesia().create_table(@table, [{:attributes, [:call_id, :state]}, {copies, [node()]}]) do
      {:atomic, :ok} -> :ok
      {:aborted, {:already_exists, @table}} -> ensure_local_copy(copies)
      {:aborted, reason} -> {:error, {:create_table, reason}}
    end
  end

  # The table may exist elsewhere in the cluster; keep a copy here too.
  defp ensure_local_copy(copies) do
    case mnesia().add_table_copy(@table, node(), copies) do
      {:atomic, :ok} -> :ok
      {:aborted, {:already_exists, _, _}} -> :ok
      {:aborted, reason} -> {:error, {:add_table_copy, reason}}
    end
  end

  defp wait_result(:ok), do: :ok
  defp wait_result({:timeout, tables}), do: {:error, {:timeout, tables}}
  defp wait_result({:error, reason}), do: {:error, reason}

  @doc """
  Replicates the memory table to `node` from a member (`node` runs Mnesia, with an empty
  schema, and has not created the table itself): joins it to the Mnesia cluster and adds a
  copy there, of the configured type (`copies/0`).
  """
  @spec add_node(node()) :: :ok | {:error, term()}
  def add_node(node) when is_atom(node) do
    copies = copies()

    schema_step = fn ->
      if copies == :disc_copies,
        do: mnesia().change_table_copy_type(:schema, node, :disc_copies) |> ok_if_exists(),
        else: {:atomic, :ok}
    end

    with {:ok, _} <- mnesia().change_config(:extra_db_nodes, [node]),
         {:atomic, :ok} <- schema_step.(),
         {:atomic, :ok} <- mnesia().add_table_copy(@table, node, copies) |> ok_if_exists() do
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
