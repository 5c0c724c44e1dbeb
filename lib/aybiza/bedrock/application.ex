defmodule Aybiza.Bedrock.Application do
  @moduledoc """
  The supervision tree of aybiza_bedrock. Strategy `:rest_for_one`, children in order:

    1. `Aybiza.Bedrock.CircuitBreaker.TableOwner` - owns the ETS tables (breakers, local
       telemetry handlers, metrics). It does nothing else, so it does not crash; if it ever
       did, every later child restarts with it (`:rest_for_one`) and starts from the fresh,
       empty tables, so no process keeps a reference to a table that is gone.
    2. `Aybiza.Bedrock.StreamRegistry` (a unique `Registry`) - per-call relays registered
       by stream ref, for `Aybiza.AWS.BedrockClient.cancel/1`. Relays trap the exit signal
       of its partition, so a registry restart leaves calls running (only `cancel/1` no
       longer finds them).
    3. `Aybiza.AWS.BedrockClient` - owns the settings (published to `:persistent_term`).
       Calls in flight run in relays linked to nothing: a restart of the client does not
       touch them.
    4. `Aybiza.Bedrock.PerformanceMonitor` - prunes expired metric slots.
    5. `Aybiza.Bedrock.ConversationMemory.Supervisor` - when that module is present.

  Restarting the client or the monitor leaves the tables (breaker states, metrics) as they
  were.
  """
  use Application

  @impl true
  def start(_type, _args) do
    Supervisor.start_link(children(), strategy: :rest_for_one, name: Aybiza.Bedrock.Supervisor)
  end

  @doc "The child specs, in start order."
  @spec children() :: [Supervisor.child_spec() | {module(), term()} | module()]
  def children do
    memory = Aybiza.Bedrock.ConversationMemory.Supervisor

    [
      Aybiza.Bedrock.CircuitBreaker.TableOwner,
      {Registry, keys: :unique, name: Aybiza.Bedrock.StreamRegistry},
      Aybiza.AWS.BedrockClient,
      Aybiza.Bedrock.PerformanceMonitor
    ] ++ if(Code.ensure_loaded?(memory), do: [memory], else: [])
  end
end
