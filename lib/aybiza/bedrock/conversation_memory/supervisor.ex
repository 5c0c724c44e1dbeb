defmodule Aybiza.Bedrock.ConversationMemory.Supervisor do
  @moduledoc """
  Supervises conversation memory: a `Registry` of calls, the store's owner process and a
  `DynamicSupervisor` with one `Aybiza.Bedrock.ConversationMemory` process per call id.

  Options:

    * `:name` - the memory instance (default `Aybiza.Bedrock.ConversationMemory`); pass
      the same name as `memory:` to the `Aybiza.Bedrock.ConversationMemory` functions.
    * `:store` - an `Aybiza.Bedrock.ConversationMemory.Store` (default: `config
      :aybiza_bedrock, :conversation_memory, store: ...`, then `EtsStore`).
    * `:ttl` - idle time in ms after which a call's memory is dropped (default 1 hour).
    * `:max_messages` - the sliding window (default 50).
  """
  use Supervisor

  alias Aybiza.Bedrock.ConversationMemory

  @doc "A child spec whose id is `{#{inspect(__MODULE__)}, name}` (several memories may run)."
  @spec child_spec(keyword()) :: Supervisor.child_spec()
  def child_spec(opts) do
    %{
      id: {__MODULE__, Keyword.get(opts, :name, ConversationMemory)},
      start: {__MODULE__, :start_link, [opts]},
      type: :supervisor
    }
  end

  @doc "Starts the memory supervisor."
  @spec start_link(keyword()) :: Supervisor.on_start()
  def start_link(opts \\ []) do
    opts =
      Keyword.validate!(opts, name: ConversationMemory, store: nil, ttl: nil, max_messages: nil)

    name = opts[:name]

    unless is_atom(name), do: raise(ArgumentError, ":name must be an atom, got: #{inspect(name)}")

    Supervisor.start_link(__MODULE__, opts, name: supervisor_name(name))
  end

  @doc false
  @spec supervisor_name(atom()) :: atom()
  def supervisor_name(ConversationMemory), do: __MODULE__
  def supervisor_name(name), do: Module.concat(name, Supervisor)

  @impl true
  def init(opts) do
    config = Application.get_env(:aybiza_bedrock, :conversation_memory, [])
    store = opts[:store] || Keyword.get(config, :store, ConversationMemory.EtsStore)
    ttl = opts[:ttl] || Keyword.get(config, :ttl, :timer.hours(1))
    max = opts[:max_messages] || Keyword.get(config, :max_messages, 50)

    unless is_atom(store),
      do: raise(ArgumentError, ":store must be a module, got: #{inspect(store)}")

    unless is_integer(ttl) and ttl > 0,
      do: raise(ArgumentError, ":ttl must be a positive integer (ms), got: #{inspect(ttl)}")

    unless is_integer(max) and max > 1,
      do: raise(ArgumentError, ":max_messages must be an integer > 1, got: #{inspect(max)}")

    name = opts[:name]
    meta = %{store: store, ttl: ttl, max_messages: max}

    children = [
      {Registry, keys: :unique, name: ConversationMemory.registry(name), meta: [config: meta]},
      {ConversationMemory.StoreOwner, store: store},
      {DynamicSupervisor, strategy: :one_for_one, name: ConversationMemory.calls_supervisor(name)}
    ]

    Supervisor.init(children, strategy: :rest_for_one)
  end
end

defmodule Aybiza.Bedrock.ConversationMemory.StoreOwner do
  @moduledoc false
  # Runs the store's init/1 and lives as long as the memory, owning any ETS table.
  use GenServer

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts)

  @impl true
  def init(opts) do
    case opts[:store].init(opts) do
      :ok -> {:ok, opts[:store]}
      {:error, reason} -> {:stop, {:store_init_failed, reason}}
    end
  end
end
