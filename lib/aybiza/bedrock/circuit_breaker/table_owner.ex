defmodule Aybiza.Bedrock.CircuitBreaker.TableOwner do
  @moduledoc """
  Owns the library's public ETS tables so that they outlive any crash of the processes
  that use them: the circuit-breaker table, the local telemetry handler table, the
  performance-monitor table and the admission buckets (`Aybiza.Bedrock.Cluster.Admission`).

  It is the first child of `Aybiza.Bedrock.Application` and does nothing but own the
  tables, so it has no reason to crash; every other process (the client, the monitor,
  per-call relays) only reads and writes the tables and can restart without losing state.
  """
  use GenServer

  @doc "Starts the owner and creates the tables."
  @spec start_link(keyword()) :: GenServer.on_start()
  def start_link(opts \\ []) do
    opts = Keyword.validate!(opts, name: __MODULE__)
    GenServer.start_link(__MODULE__, :ok, name: opts[:name])
  end

  @doc "The names of the tables owned."
  @spec tables() :: [atom()]
  def tables do
    [
      Aybiza.Bedrock.CircuitBreaker.table(),
      Aybiza.Bedrock.Telemetry.table(),
      Aybiza.Bedrock.PerformanceMonitor.table(),
      Aybiza.Bedrock.Cluster.Admission.table()
    ]
  end

  @impl true
  def init(:ok) do
    concurrency = [read_concurrency: true, write_concurrency: true]
    :ets.new(Aybiza.Bedrock.CircuitBreaker.table(), [:set, :public, :named_table | concurrency])

    :ets.new(Aybiza.Bedrock.Telemetry.table(), [
      :bag,
      :public,
      :named_table,
      read_concurrency: true
    ])

    :ets.new(Aybiza.Bedrock.PerformanceMonitor.table(), [
      :set,
      :public,
      :named_table | concurrency
    ])

    # Admission buckets: read and CAS-updated by every call, like the breakers.
    :ets.new(Aybiza.Bedrock.Cluster.Admission.table(), [:set, :public, :named_table | concurrency])

    {:ok, %{}}
  end
end
