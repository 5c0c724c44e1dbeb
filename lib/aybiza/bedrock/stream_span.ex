defmodule Aybiza.Bedrock.StreamSpan do
  @moduledoc false
  # The telemetry span of a raw `Aybiza.Bedrock.stream/2` call (`telemetry: true`, or
  # `config :aybiza_bedrock, stream_telemetry: true`): the engine sends to a small relay that
  # forwards every message unchanged to the receiver and emits
  # `[:aybiza_bedrock, :raw_stream, :start]` then exactly one `:stop` or `:exception`
  # (cancel, receiver exit and relay death included). Off by default: a raw stream is the
  # zero-hop path, and `Aybiza.AWS.BedrockClient` has its own spans around it.
  #
  # One terminal whatever dies, as in `Aybiza.Bedrock.Turn.Relay`: the relay hands the
  # terminal to a guard that forwards it; if the relay dies first the guard cancels the
  # engine call, closes the span and sends `{:error, %Aybiza.Error{reason: :internal}}`.

  alias Aybiza.Error
  alias Aybiza.Bedrock.Telemetry
  alias Aybiza.Bedrock.Turn.Relay

  @doc false
  # Starts the relay; `start_call.(relay_pid)` starts the engine call with that receiver and
  # returns `{:ok, ref}` or `{:error, error}`.
  @spec start(pid(), map(), (pid() -> {:ok, term()} | {:error, Error.t()})) ::
          {:ok, term()} | {:error, Error.t()}
  def start(to, metadata, start_call) do
    parent = self()
    ack = make_ref()
    started = System.monotonic_time()

    guard =
      spawn(fn ->
        guard = self()

        {relay, monitor} =
          spawn_monitor(fn ->
            receive do
              {:watch, ^ack, ref} ->
                register(ref, guard)
                send(parent, {ack, :watching})
                Process.monitor(to)

                emit(
                  [:start],
                  %{system_time: System.system_time(), monotonic_time: started},
                  metadata
                )

                relay(ref, to, guard, metadata, started)

              {:abort, ^ack} ->
                send(guard, {:terminal, self(), :none})
            end
          end)

        send(parent, {ack, :relay, relay})
        guard(relay, monitor, to, metadata, started, nil)
      end)

    relay =
      receive do
        {^ack, :relay, pid} -> pid
      end

    _ = guard

    case start_call.(relay) do
      {:ok, ref} = ok ->
        send(relay, {:watch, ack, ref})
        send(guard, {:ref, ref})

        receive do
          {^ack, :watching} -> ok
        end

      {:error, _} = error ->
        send(relay, {:abort, ack})
        error
    end
  end

  @doc false
  # Cancels a raw stream's relay, if it has one: waits until its terminal is forwarded.
  @spec await_cancelled(term()) :: :ok
  def await_cancelled(ref) do
    case lookup(ref) do
      nil ->
        :ok

      {relay, guard} ->
        relay_monitor = Process.monitor(relay)
        guard_monitor = Process.monitor(guard)

        receive do
          {:DOWN, ^relay_monitor, _, _, _} -> :ok
        end

        receive do
          {:DOWN, ^guard_monitor, _, _, _} -> :ok
        end

        :ok
    end
  end

  defp lookup(ref) do
    case Registry.lookup(Relay.registry(), {:raw_stream, ref}) do
      [{relay, guard}] -> {relay, guard}
      [] -> nil
    end
  rescue
    ArgumentError -> nil
  end

  defp register(ref, guard) do
    Registry.register(Relay.registry(), {:raw_stream, ref}, guard)
  rescue
    ArgumentError -> :error
  end

  defp relay(ref, to, guard, metadata, started) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, summary}} = message ->
        usage = (is_map(summary) && Map.get(summary, :usage)) || %{}

        emit(
          [:stop],
          %{
            duration: System.monotonic_time() - started,
            input_tokens: Map.get(usage, :input_tokens, 0),
            output_tokens: Map.get(usage, :output_tokens, 0),
            cost: nanodollars(is_map(summary) && Map.get(summary, :cost))
          },
          Map.merge(metadata, %{stop_reason: is_map(summary) && Map.get(summary, :stop_reason)})
        )

        send(guard, {:terminal, self(), message})

      {:aybiza_bedrock, ^ref, {:error, error}} = message ->
        cost =
          case error do
            %{delivered: %{cost: cost}} -> nanodollars(cost)
            _ -> 0
          end

        emit(
          [:exception],
          %{duration: System.monotonic_time() - started, cost: cost},
          Map.put(metadata, :reason, reason(error))
        )

        send(guard, {:terminal, self(), message})

      {:aybiza_bedrock, ^ref, _event} = message ->
        send(to, message)
        relay(ref, to, guard, metadata, started)

      {:DOWN, _, :process, ^to, _} ->
        Aybiza.Native.cancel(ref)

        emit(
          [:exception],
          %{duration: System.monotonic_time() - started, cost: 0},
          Map.put(metadata, :reason, :cancelled)
        )

        send(guard, {:terminal, self(), :none})
    end
  end

  defp guard(relay, monitor, to, metadata, started, ref) do
    receive do
      {:ref, ref} ->
        guard(relay, monitor, to, metadata, started, ref)

      {:terminal, ^relay, :none} ->
        Process.demonitor(monitor, [:flush])

      {:terminal, ^relay, message} ->
        Process.demonitor(monitor, [:flush])
        send(to, message)

      {:DOWN, ^monitor, :process, ^relay, _reason} when ref != nil ->
        Aybiza.Native.cancel(ref)

        emit(
          [:exception],
          %{duration: System.monotonic_time() - started, cost: 0},
          Map.put(metadata, :reason, :internal)
        )

        error =
          Error.new(:internal, "the stream's telemetry relay exited before the stream ended")

        send(to, {:aybiza_bedrock, ref, {:error, error}})

      {:DOWN, ^monitor, :process, ^relay, _reason} ->
        :ok
    end
  end

  defp reason(%Error{reason: reason}), do: reason
  defp reason({:aybiza_error, reason, _}) when is_atom(reason), do: reason
  defp reason(_), do: :internal

  defp nanodollars(%{nanodollars: n}) when is_integer(n), do: n
  defp nanodollars(_), do: 0

  defp emit(suffix, measurements, metadata),
    do: Telemetry.execute([:aybiza_bedrock, :raw_stream | suffix], measurements, metadata)
end
