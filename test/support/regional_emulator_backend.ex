defmodule Aybiza.Bedrock.RegionalEmulatorBackend do
  @moduledoc """
  The native backend with one endpoint per region, for tests of region fallback: Bedrock
  has an endpoint per region, an emulator instance plays each of them.

  Use as `backend: {Aybiza.Bedrock.RegionalEmulatorBackend, endpoints: %{"us-east-1" => url_a,
  "us-west-2" => url_b}}`; calls to other regions go to the `:endpoint` client option.
  """
  @behaviour Aybiza.Bedrock.Backend

  alias Aybiza.Bedrock.Backend.Native

  @impl true
  def stream(request, opts), do: Native.stream(request, route(opts))

  @impl true
  def converse(request, opts), do: Native.converse(request, route(opts))

  @impl true
  def cancel(ref), do: Native.cancel(ref)

  defp route(opts) do
    {endpoints, opts} = Keyword.pop(opts, :endpoints, %{})

    case Map.fetch(endpoints, opts[:region]) do
      {:ok, url} -> Keyword.put(opts, :endpoint, url)
      :error -> opts
    end
  end
end
