defmodule Aybiza.Bedrock.Application do
  @moduledoc """
  The supervision tree of aybiza_bedrock. Before any child starts:

    1. the environment variables of our design are applied under the host's config
       (`Aybiza.Bedrock.RuntimeConfig.apply_env/1`; opt out with
       `config :aybiza_bedrock, read_env: false`); an invalid variable stops boot with
       `{:invalid_config, message}` naming it;
    2. runtime changes of an earlier run (`Aybiza.AWS.BedrockClient.update_settings/2`)
       are forgotten: they survive a restart of the client, not of the application;
    3. the catalog overrides of `config :aybiza_bedrock, :catalog_overrides, ...` are
       applied (`Aybiza.Bedrock.Catalog.load_from_config/0`); invalid overrides stop boot
       with a message naming the key and what is wrong.

  Strategy `:rest_for_one`, children in order:

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
    5. `Aybiza.Bedrock.ConversationMemory.Supervisor` - the conversation memory store.
    6. `Aybiza.Bedrock.Cluster.Supervisor` - the cluster layer (`Aybiza.Bedrock.Cluster`:
       the `:pg` scope, breaker sync, admission membership); with
       `config :aybiza_bedrock, :cluster, enabled: false`, only node-local admission.
       Until it runs, breakers and admission work node-locally.
    7. `Aybiza.Bedrock.StreamSpan` - closes the telemetry spans of raw
       `Aybiza.Bedrock.stream/2` calls (the engine tells it how each call ended; it owns
       their ETS rows). Last, so its restart restarts nothing else; while it is down, raw
       streams run without a span, and the spans it had open are not closed.

  Restarting the client or the monitor leaves the tables (breaker states, metrics) as they
  were.
  """
  use Application

  @impl true
  def start(_type, _args) do
    # Before the client starts: its settings come from the host's config and the environment
    # and are checked against the (overridden) catalog.
    with {:env, {:ok, _keys}} <- {:env, Aybiza.Bedrock.RuntimeConfig.apply_env()},
         :ok <- Aybiza.AWS.BedrockClient.forget_runtime_changes(),
         {:catalog, :ok} <- {:catalog, Aybiza.Bedrock.Catalog.load_from_config()} do
      Supervisor.start_link(children(),
        strategy: :rest_for_one,
        name: Aybiza.Bedrock.Supervisor
      )
    else
      {:env, {:error, message}} ->
        {:error, {:invalid_config, message}}

      {:catalog, {:error, %Aybiza.Error{message: message}}} ->
        {:error, {:invalid_config, "config :aybiza_bedrock, :catalog_overrides: #{message}"}}
    end
  end

  @doc "The child specs, in start order."
  @spec children() :: [Supervisor.child_spec() | {module(), term()} | module()]
  def children do
    [
      Aybiza.Bedrock.CircuitBreaker.TableOwner,
      {Registry, keys: :unique, name: Aybiza.Bedrock.StreamRegistry},
      Aybiza.AWS.BedrockClient,
      Aybiza.Bedrock.PerformanceMonitor,
      Aybiza.Bedrock.ConversationMemory.Supervisor,
      Aybiza.Bedrock.Cluster.Supervisor,
      Aybiza.Bedrock.StreamSpan
    ]
  end
end
