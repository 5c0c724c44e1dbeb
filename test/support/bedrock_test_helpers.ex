defmodule Aybiza.Bedrock.TestHelpers do
  @moduledoc "Helpers for the client tests: client options for an emulator, collecting events."

  alias Aybiza.Bedrock.Emulator

  @doc """
  Client options that reach `emulator` with its long-term static credentials, in
  `us-east-1`; `url` is `Emulator.url/1` unless given (e.g. `Emulator.tls_url/1`).
  """
  @spec emulator_opts(GenServer.server(), String.t() | nil) :: keyword()
  def emulator_opts(emulator, url \\ nil) do
    creds = Emulator.credentials(emulator)

    [
      endpoint: url || Emulator.url(emulator),
      region: "us-east-1",
      credentials: {:static, creds.access_key_id, creds.secret_access_key}
    ]
  end

  @doc """
  Collects the events of `ref` until its terminal message; fails after `timeout` ms.
  Returns the events in order (terminal included).
  """
  @spec collect_events(reference(), non_neg_integer()) :: [term()]
  def collect_events(ref, timeout \\ 5_000) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, _} = event} -> [event]
      {:aybiza_bedrock, ^ref, {:error, _} = event} -> [event]
      {:aybiza_bedrock, ^ref, event} -> [event | collect_events(ref, timeout)]
    after
      timeout -> raise "no terminal message for #{inspect(ref)} within #{timeout} ms"
    end
  end

  @doc """
  Collects the events of several calls at once, until each has had its terminal: a map of
  each ref to its events, newest first. Fails after `timeout` ms without a message.
  """
  @spec collect_calls([reference()], non_neg_integer()) :: %{reference() => [term()]}
  def collect_calls(refs, timeout \\ 30_000),
    do: collect_calls(Map.new(refs, &{&1, []}), length(refs), timeout)

  defp collect_calls(events, 0, _timeout), do: events

  defp collect_calls(events, pending, timeout) do
    receive do
      {:aybiza_bedrock, ref, event} when is_map_key(events, ref) ->
        pending = if terminal?(event), do: pending - 1, else: pending
        collect_calls(Map.update!(events, ref, &[event | &1]), pending, timeout)
    after
      timeout -> ExUnit.Assertions.flunk("#{pending} calls without a terminal")
    end
  end

  @doc "Whether `event` is a call's terminal message (`{:done, _}` or `{:error, _}`)."
  @spec terminal?(term()) :: boolean()
  def terminal?(event), do: match?({:done, _}, event) or match?({:error, _}, event)

  @doc "The `{seq, text}` of the sentence events."
  @spec sentences([term()]) :: [{non_neg_integer(), String.t()}]
  def sentences(events), do: for({:sentence, seq, text} <- events, do: {seq, text})

  @doc "A region name unique to the test (breaker state is global, keyed by model and region)."
  @spec unique_region() :: String.t()
  def unique_region, do: "xx-test-#{System.unique_integer([:positive])}"
end
