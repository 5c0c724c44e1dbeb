defmodule Aybiza.Bedrock.StreamSpan do
  @moduledoc false
  # The telemetry span of a raw `Aybiza.Bedrock.stream/2` call, without a process between the
  # engine and the receiver. The caller emits `[:aybiza_bedrock, :raw_stream, :start]` and
  # keeps the span's metadata in an ETS row keyed by the stream ref; the call carries this
  # process's pid as its `observer`, and the native sink, right after it sends the receiver
  # the one terminal (or when the call ends without one: its receiver was gone), sends this
  # process one small `{:aybiza_bedrock_span, ref, outcome}`. This process then emits the
  # one `:stop` or `:exception` and deletes the row. Events never pass through here.
  #
  # The caller and this process race for the row (a call can end before the caller wrote
  # it): both use `insert_new`, and whoever finds the other's row closes the span. Rows are
  # bounded (`@max_open`: past it a call runs without a span) and swept: a closed row whose
  # caller never came (killed between the NIF's return and its insert), an open row of an
  # earlier incarnation of this process. If this process is down, calls run unchanged and
  # have no span; spans open when it restarts are never closed (their stop went to the old
  # pid).

  use GenServer

  alias Aybiza.Bedrock.Telemetry

  @table __MODULE__
  @max_open 100_000
  @sweep_ms 5_000

  @doc false
  def start_link(opts \\ []), do: GenServer.start_link(__MODULE__, opts, name: __MODULE__)

  @doc false
  # The observer pid for a new span, or `nil` (no observer, or too many open spans).
  @spec observer() :: pid() | nil
  def observer do
    with pid when is_pid(pid) <- Process.whereis(__MODULE__),
         size when is_integer(size) and size < @max_open <- :ets.info(@table, :size) do
      pid
    else
      _ -> nil
    end
  end

  @doc false
  # Called by the caller once the engine call started with `observer`: emits `:start` and
  # records the span (or closes it at once if the call already ended).
  @spec opened(term(), pid(), map(), integer()) :: :ok
  def opened(ref, observer, metadata, started) do
    emit([:start], %{system_time: System.system_time(), monotonic_time: started}, metadata)

    unless :ets.insert_new(@table, {ref, :open, {observer, metadata, started}}) do
      case :ets.take(@table, ref) do
        [{_, :closed, {outcome, _at}}] -> close(outcome, metadata, started)
        _ -> :ok
      end
    end

    :ok
  rescue
    # The table is gone (the observer is restarting): its stop went nowhere either.
    ArgumentError -> :ok
  end

  @impl true
  def init(_opts) do
    :ets.new(@table, [:named_table, :public, :set, write_concurrency: true])
    Process.send_after(self(), :sweep, @sweep_ms)
    {:ok, nil}
  end

  @impl true
  def handle_info({:aybiza_bedrock_span, ref, outcome}, state) do
    case :ets.take(@table, ref) do
      [{_, :open, {_observer, metadata, started}}] ->
        close(outcome, metadata, started)

      [] ->
        # The caller has not written its row yet: leave the outcome for it.
        unless :ets.insert_new(@table, {ref, :closed, {outcome, System.monotonic_time()}}) do
          case :ets.take(@table, ref) do
            [{_, :open, {_observer, metadata, started}}] -> close(outcome, metadata, started)
            _ -> :ok
          end
        end

      _ ->
        :ok
    end

    {:noreply, state}
  end

  def handle_info(:sweep, state) do
    cutoff = System.monotonic_time() - System.convert_time_unit(@sweep_ms, :millisecond, :native)
    me = self()

    :ets.select_delete(@table, [
      {{:_, :closed, {:_, :"$1"}}, [{:<, :"$1", cutoff}], [true]},
      {{:_, :open, {:"$1", :_, :_}}, [{:"=/=", :"$1", me}], [true]}
    ])

    Process.send_after(self(), :sweep, @sweep_ms)
    {:noreply, state}
  end

  def handle_info(_other, state), do: {:noreply, state}

  defp close({:done, input, output, cost, stop_reason}, metadata, started) do
    emit(
      [:stop],
      %{
        duration: System.monotonic_time() - started,
        input_tokens: input,
        output_tokens: output,
        cost: cost
      },
      Map.put(metadata, :stop_reason, stop_reason)
    )
  end

  defp close({:error, reason, cost}, metadata, started) do
    emit(
      [:exception],
      %{duration: System.monotonic_time() - started, cost: cost},
      Map.put(metadata, :reason, reason || :internal)
    )
  end

  defp close(_outcome, metadata, started), do: close({:error, :internal, 0}, metadata, started)

  defp emit(suffix, measurements, metadata),
    do: Telemetry.execute([:aybiza_bedrock, :raw_stream | suffix], measurements, metadata)
end
