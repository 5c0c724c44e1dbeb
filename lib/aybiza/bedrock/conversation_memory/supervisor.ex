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
    * `:max_calls` - calls held at once (default 100,000): past it, writes for a new call id
      answer `{:error, %Aybiza.Error{reason: :overloaded}}` until a call is forgotten or
      expires, so a caller making up call ids cannot grow memory without bound.
    * `:max_call_bytes` - bytes one call's memory may hold (history, summary and metadata
      each, in the external term format; default 16 MiB): the oldest messages are dropped
      to stay under it; one message, summary or metadata larger than it is refused.
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
      Keyword.validate!(opts,
        name: ConversationMemory,
        store: nil,
        ttl: nil,
        max_messages: nil,
        max_calls: nil,
        max_call_bytes: nil
      )

    name = opts[:name]

    unless is_atom(name),
      do:
        raise(ArgumentError, ":name must be an atom, got: #{Aybiza.Bedrock.Options.shown(name)}")

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
      do:
        raise(
          ArgumentError,
          ":store must be a module, got: #{Aybiza.Bedrock.Options.shown(store)}"
        )

    unless is_integer(ttl) and ttl > 0,
      do:
        raise(
          ArgumentError,
          ":ttl must be a positive integer (ms), got: #{Aybiza.Bedrock.Options.shown(ttl)}"
        )

    unless is_integer(max) and max > 1,
      do:
        raise(
          ArgumentError,
          ":max_messages must be an integer > 1, got: #{Aybiza.Bedrock.Options.shown(max)}"
        )

    max_calls = opts[:max_calls] || Keyword.get(config, :max_calls, 100_000)
    max_bytes = opts[:max_call_bytes] || Keyword.get(config, :max_call_bytes, 16 * 1024 * 1024)

    unless is_integer(max_calls) and max_calls > 0,
      do:
        raise(
          ArgumentError,
          ":max_calls must be a positive integer, got: #{Aybiza.Bedrock.Options.shown(max_calls)}"
        )

    unless is_integer(max_bytes) and max_bytes >= 1024,
      do:
        raise(
          ArgumentError,
          ":max_call_bytes must be an integer >= 1024, got: #{Aybiza.Bedrock.Options.shown(max_bytes)}"
        )

    name = opts[:name]

    meta = %{
      store: store,
      ttl: ttl,
      max_messages: max,
      max_calls: max_calls,
      max_call_bytes: max_bytes
    }

    children = [
      {Registry, keys: :unique, name: ConversationMemory.registry(name), meta: [config: meta]},
      {ConversationMemory.StoreOwner, store: store},
      {DynamicSupervisor,
       strategy: :one_for_one,
       name: ConversationMemory.calls_supervisor(name),
       max_children: max_calls}
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
